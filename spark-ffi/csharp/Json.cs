// A small JSON reader and writer, so the wrapper needs no package (Mono's class library has no
// System.Text.Json, and Unity's JsonUtility cannot read tagged unions like stream events).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Spark
{
    /// <summary>Parses JSON into <c>Dictionary&lt;string, object&gt;</c>, <c>List&lt;object&gt;</c>,
    /// <c>string</c>, <c>double</c>, <c>bool</c> and <c>null</c>.</summary>
    public static class Json
    {
        /// <summary>Parses one JSON document; throws <see cref="FormatException"/> on malformed input.</summary>
        public static object Parse(string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            var r = new Reader(text);
            r.SkipSpace();
            object value = r.ReadValue(0);
            r.SkipSpace();
            if (r.Pos != text.Length) throw r.Error("trailing characters");
            return value;
        }

        /// <summary>Writes <paramref name="value"/> as a JSON string literal.</summary>
        public static void WriteString(StringBuilder sb, string value)
        {
            sb.Append('"');
            foreach (char c in value)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }

        /// <summary>A JSON string literal for <paramref name="value"/>.</summary>
        public static string Quote(string value)
        {
            var sb = new StringBuilder(value.Length + 2);
            WriteString(sb, value);
            return sb.ToString();
        }

        // ---- typed access helpers used by the model classes ----

        internal static Dictionary<string, object> Obj(object o)
        {
            return o as Dictionary<string, object>;
        }

        internal static object Get(Dictionary<string, object> o, string key)
        {
            object v;
            return o != null && o.TryGetValue(key, out v) ? v : null;
        }

        internal static string Str(Dictionary<string, object> o, string key)
        {
            return Get(o, key) as string;
        }

        internal static long Long(Dictionary<string, object> o, string key, long fallback = 0)
        {
            object v = Get(o, key);
            return v is double ? (long)(double)v : fallback;
        }

        internal static double? Num(Dictionary<string, object> o, string key)
        {
            object v = Get(o, key);
            return v is double ? (double?)(double)v : null;
        }

        internal static bool Bool(Dictionary<string, object> o, string key)
        {
            object v = Get(o, key);
            return v is bool && (bool)v;
        }

        internal static List<object> Arr(Dictionary<string, object> o, string key)
        {
            return Get(o, key) as List<object> ?? new List<object>();
        }

        internal static List<object> Arr(object o)
        {
            return o as List<object> ?? new List<object>();
        }

        private sealed class Reader
        {
            private const int MaxDepth = 256;
            private readonly string _s;
            public int Pos;

            public Reader(string s)
            {
                _s = s;
            }

            public FormatException Error(string what)
            {
                return new FormatException("invalid JSON at offset " + Pos + ": " + what);
            }

            public void SkipSpace()
            {
                while (Pos < _s.Length && (_s[Pos] == ' ' || _s[Pos] == '\t' || _s[Pos] == '\n' || _s[Pos] == '\r')) Pos++;
            }

            public object ReadValue(int depth)
            {
                if (depth > MaxDepth) throw Error("nested too deeply");
                if (Pos >= _s.Length) throw Error("unexpected end");
                char c = _s[Pos];
                switch (c)
                {
                    case '{': return ReadObject(depth);
                    case '[': return ReadArray(depth);
                    case '"': return ReadString();
                    case 't': Expect("true"); return true;
                    case 'f': Expect("false"); return false;
                    case 'n': Expect("null"); return null;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                        throw Error("unexpected character '" + c + "'");
                }
            }

            private void Expect(string word)
            {
                if (string.CompareOrdinal(_s, Pos, word, 0, word.Length) != 0) throw Error("expected " + word);
                Pos += word.Length;
            }

            private Dictionary<string, object> ReadObject(int depth)
            {
                var o = new Dictionary<string, object>();
                Pos++;
                SkipSpace();
                if (Pos < _s.Length && _s[Pos] == '}') { Pos++; return o; }
                while (true)
                {
                    SkipSpace();
                    if (Pos >= _s.Length || _s[Pos] != '"') throw Error("expected a key");
                    string key = ReadString();
                    SkipSpace();
                    if (Pos >= _s.Length || _s[Pos] != ':') throw Error("expected ':'");
                    Pos++;
                    SkipSpace();
                    o[key] = ReadValue(depth + 1);
                    SkipSpace();
                    if (Pos >= _s.Length) throw Error("unterminated object");
                    if (_s[Pos] == ',') { Pos++; continue; }
                    if (_s[Pos] == '}') { Pos++; return o; }
                    throw Error("expected ',' or '}'");
                }
            }

            private List<object> ReadArray(int depth)
            {
                var a = new List<object>();
                Pos++;
                SkipSpace();
                if (Pos < _s.Length && _s[Pos] == ']') { Pos++; return a; }
                while (true)
                {
                    SkipSpace();
                    a.Add(ReadValue(depth + 1));
                    SkipSpace();
                    if (Pos >= _s.Length) throw Error("unterminated array");
                    if (_s[Pos] == ',') { Pos++; continue; }
                    if (_s[Pos] == ']') { Pos++; return a; }
                    throw Error("expected ',' or ']'");
                }
            }

            private string ReadString()
            {
                Pos++; // opening quote
                StringBuilder sb = null;
                int start = Pos;
                while (true)
                {
                    if (Pos >= _s.Length) throw Error("unterminated string");
                    char c = _s[Pos];
                    if (c == '"')
                    {
                        string tail = _s.Substring(start, Pos - start);
                        Pos++;
                        return sb == null ? tail : sb.Append(tail).ToString();
                    }
                    if (c < 0x20) throw Error("control character in string");
                    if (c != '\\') { Pos++; continue; }
                    if (sb == null) sb = new StringBuilder();
                    sb.Append(_s, start, Pos - start);
                    Pos++;
                    if (Pos >= _s.Length) throw Error("unterminated escape");
                    char e = _s[Pos++];
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                            int code;
                            if (Pos + 4 > _s.Length ||
                                !int.TryParse(_s.Substring(Pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out code))
                                throw Error("bad \\u escape");
                            sb.Append((char)code); // surrogate pairs arrive as two escapes and combine here
                            Pos += 4;
                            break;
                        default: throw Error("bad escape '\\" + e + "'");
                    }
                    start = Pos;
                }
            }

            private double ReadNumber()
            {
                int start = Pos;
                if (_s[Pos] == '-') Pos++;
                while (Pos < _s.Length && "0123456789.eE+-".IndexOf(_s[Pos]) >= 0) Pos++;
                double d;
                if (!double.TryParse(_s.Substring(start, Pos - start), NumberStyles.Float, CultureInfo.InvariantCulture, out d))
                    throw Error("bad number");
                return d;
            }
        }
    }
}
