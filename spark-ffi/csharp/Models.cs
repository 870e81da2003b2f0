// Requests, results and events, decoded from the JSON the native library speaks.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Spark
{
    /// <summary>What to generate, and for whom (spark_core::GenerateRequest).</summary>
    public sealed class GenerateRequest
    {
        /// <summary>A request for <paramref name="prompt"/>.</summary>
        public GenerateRequest(string prompt)
        {
            Prompt = prompt;
        }

        /// <summary>The request in plain words.</summary>
        public string Prompt { get; set; }

        /// <summary>Who asks: the key for rate limits, budgets and usage accounting.</summary>
        public string Caller { get; set; }

        /// <summary>Model override for the primary provider.</summary>
        public string Model { get; set; }

        /// <summary>Output token limit override.</summary>
        public int? MaxTokens { get; set; }

        /// <summary>Temperature override (0..2).</summary>
        public double? Temperature { get; set; }

        /// <summary>Repair rounds override.</summary>
        public int? RepairRounds { get; set; }

        /// <summary>Only this provider of the chain (<c>anthropic</c>, <c>openai</c>, <c>offline</c>) serves
        /// the request, with no fallback; a name not in the chain is an <c>invalid_request</c>.</summary>
        public string Provider { get; set; }

        /// <summary>The Unity version to target (<c>"6000.0"</c>): named in the prompt, checked by
        /// validation. The configured <c>generation.unity_version</c> when null.</summary>
        public string UnityVersion { get; set; }

        /// <summary>Bypass the response cache.</summary>
        public bool NoCache { get; set; }

        /// <summary>Hand out code even when the output policy finds blocking security findings
        /// (the result is then not <see cref="GeneratedScripts.Blocked"/>); secrets are redacted anyway.</summary>
        public bool AllowUnsafe { get; set; }

        /// <summary>The tier whose limits apply (a <c>[tiers]</c> name), e.g. a verified caller key's.</summary>
        public string Tier { get; set; }

        /// <summary>SPARK's id for this request (logs, traces, errors); generated when null. Sent to
        /// providers as <c>x-request-id</c> and returned in <see cref="GeneratedScripts.RequestId"/>.</summary>
        public string RequestId { get; set; }

        /// <summary>The caller's W3C trace context (a <c>traceparent</c> header value): the request joins
        /// that trace and provider calls carry it on. A malformed value starts a new trace.</summary>
        public string Traceparent { get; set; }

        /// <summary>The request as the JSON spark_generate expects.</summary>
        public string ToJson()
        {
            if (Prompt == null) throw new ArgumentNullException("Prompt");
            var sb = new StringBuilder("{\"prompt\":");
            Json.WriteString(sb, Prompt);
            if (Caller != null) { sb.Append(",\"caller\":"); Json.WriteString(sb, Caller); }
            if (Model != null) { sb.Append(",\"model\":"); Json.WriteString(sb, Model); }
            if (MaxTokens.HasValue) sb.Append(",\"max_tokens\":").Append(MaxTokens.Value.ToString(CultureInfo.InvariantCulture));
            if (Temperature.HasValue) sb.Append(",\"temperature\":").Append(Temperature.Value.ToString("R", CultureInfo.InvariantCulture));
            if (RepairRounds.HasValue) sb.Append(",\"repair_rounds\":").Append(RepairRounds.Value.ToString(CultureInfo.InvariantCulture));
            if (Provider != null) { sb.Append(",\"provider\":"); Json.WriteString(sb, Provider); }
            if (UnityVersion != null) { sb.Append(",\"unity_version\":"); Json.WriteString(sb, UnityVersion); }
            if (NoCache) sb.Append(",\"no_cache\":true");
            if (AllowUnsafe) sb.Append(",\"allow_unsafe\":true");
            if (Tier != null) { sb.Append(",\"tier\":"); Json.WriteString(sb, Tier); }
            if (RequestId != null) { sb.Append(",\"request_id\":"); Json.WriteString(sb, RequestId); }
            if (Traceparent != null) { sb.Append(",\"traceparent\":"); Json.WriteString(sb, Traceparent); }
            return sb.Append('}').ToString();
        }
    }

    /// <summary>One generated C# file.</summary>
    public sealed class ScriptFile
    {
        /// <summary>Path relative to the scripts folder (<c>Player.cs</c>, <c>Editor/PlayerEditor.cs</c>).</summary>
        public string Path { get; set; }

        /// <summary>The C# source.</summary>
        public string Content { get; set; }

        /// <summary>The name exactly as the model wrote it, or null: untrusted, never use it as a path.</summary>
        public string RawPath { get; set; }

        internal static ScriptFile FromJson(Dictionary<string, object> o)
        {
            return new ScriptFile { Path = Json.Str(o, "path"), Content = Json.Str(o, "content"), RawPath = Json.Str(o, "raw_path") };
        }
    }

    /// <summary>A file of a project for <see cref="SparkClient.ValidateProject(IEnumerable{ProjectFile}, IEnumerable{ProjectFile})"/>:
    /// a path relative to the project (<c>Assets/Tools/Tool.cs</c>, <c>Assets/Tools/Tools.asmdef</c>) and its text.</summary>
    public sealed class ProjectFile
    {
        /// <summary>A file from its path and text.</summary>
        public ProjectFile(string path, string content)
        {
            Path = path;
            Content = content;
        }

        /// <summary>Path relative to the project; its folders decide editor code and the assembly.</summary>
        public string Path { get; set; }

        /// <summary>The C# source, or the assembly definition's JSON.</summary>
        public string Content { get; set; }

        internal void WriteJson(StringBuilder sb)
        {
            if (Path == null || Content == null) throw new ArgumentException("a ProjectFile needs a Path and a Content");
            sb.Append("{\"path\":");
            Json.WriteString(sb, Path);
            sb.Append(",\"content\":");
            Json.WriteString(sb, Content);
            sb.Append('}');
        }
    }

    /// <summary>One finding of the validator, located like a compiler does (1-based).</summary>
    public sealed class Diagnostic
    {
        /// <summary><c>error</c>, <c>warning</c> or <c>info</c>.</summary>
        public string Severity { get; set; }

        /// <summary>Stable rule id (<c>SPK0001</c>).</summary>
        public string Rule { get; set; }

        /// <summary>What is wrong.</summary>
        public string Message { get; set; }

        /// <summary>File name as given to the validator.</summary>
        public string File { get; set; }

        /// <summary>1-based line of the start.</summary>
        public int Line { get; set; }

        /// <summary>1-based character column of the start.</summary>
        public int Column { get; set; }

        /// <summary>1-based line of the end.</summary>
        public int EndLine { get; set; }

        /// <summary>1-based character column of the end (exclusive).</summary>
        public int EndColumn { get; set; }

        /// <summary>Whether this is an error.</summary>
        public bool IsError
        {
            get { return Severity == "error"; }
        }

        /// <summary>Like a compiler: <c>File.cs:12:5: error[SPK0001]: message</c>.</summary>
        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "{0}:{1}:{2}: {3}[{4}]: {5}", File, Line, Column, Severity, Rule, Message);
        }

        internal static Diagnostic FromJson(Dictionary<string, object> o)
        {
            return new Diagnostic
            {
                Severity = Json.Str(o, "severity"),
                Rule = Json.Str(o, "rule"),
                Message = Json.Str(o, "message"),
                File = Json.Str(o, "file"),
                Line = (int)Json.Long(o, "line"),
                Column = (int)Json.Long(o, "column"),
                EndLine = (int)Json.Long(o, "end_line"),
                EndColumn = (int)Json.Long(o, "end_column"),
            };
        }

        internal static List<Diagnostic> ListFromJson(List<object> items)
        {
            var list = new List<Diagnostic>(items.Count);
            foreach (object o in items) list.Add(FromJson(Json.Obj(o)));
            return list;
        }
    }

    /// <summary>Tokens used.</summary>
    public sealed class Usage
    {
        /// <summary>Prompt tokens, cached ones included.</summary>
        public long InputTokens { get; set; }

        /// <summary>Generated tokens.</summary>
        public long OutputTokens { get; set; }

        /// <summary>Of <see cref="InputTokens"/>, those read from the provider's prompt cache.</summary>
        public long CacheReadTokens { get; set; }

        /// <summary>Of <see cref="InputTokens"/>, those written to the provider's prompt cache.</summary>
        public long CacheWriteTokens { get; set; }

        internal static Usage FromJson(Dictionary<string, object> o)
        {
            return new Usage
            {
                InputTokens = Json.Long(o, "input_tokens"),
                OutputTokens = Json.Long(o, "output_tokens"),
                CacheReadTokens = Json.Long(o, "cache_read_tokens"),
                CacheWriteTokens = Json.Long(o, "cache_write_tokens"),
            };
        }
    }

    /// <summary>One round of the generate, validate, repair loop (round 0 is the first generation).</summary>
    public sealed class RepairRound
    {
        /// <summary>0 for the first generation, then 1, 2...</summary>
        public int Round { get; private set; }

        /// <summary>Blocking diagnostics sent into this round (empty for round 0).</summary>
        public IList<Diagnostic> DiagnosticsBefore { get; private set; }

        /// <summary>All diagnostics of this round's output.</summary>
        public IList<Diagnostic> DiagnosticsAfter { get; private set; }

        /// <summary>How many of <see cref="DiagnosticsAfter"/> block.</summary>
        public int Blocking { get; private set; }

        /// <summary>Files extracted in this round.</summary>
        public int Files { get; private set; }

        /// <summary>Tokens this round used.</summary>
        public Usage Usage { get; private set; }

        /// <summary>Whether this round's reply came from the cache.</summary>
        public bool Cached { get; private set; }

        /// <summary>Whether this round's files are the ones returned (exactly one round is kept).</summary>
        public bool Kept { get; private set; }

        /// <summary>Why this repair round failed (the provider call or the reply), if it did.</summary>
        public string Error { get; private set; }

        internal static RepairRound FromJson(Dictionary<string, object> o)
        {
            return new RepairRound
            {
                Round = (int)Json.Long(o, "round"),
                DiagnosticsBefore = Diagnostic.ListFromJson(Json.Arr(o, "diagnostics_before")),
                DiagnosticsAfter = Diagnostic.ListFromJson(Json.Arr(o, "diagnostics_after")),
                Blocking = (int)Json.Long(o, "blocking"),
                Files = (int)Json.Long(o, "files"),
                Usage = Usage.FromJson(Json.Obj(Json.Get(o, "usage"))),
                Cached = Json.Bool(o, "cached"),
                Kept = Json.Bool(o, "kept"),
                Error = Json.Str(o, "error"),
            };
        }
    }

    /// <summary>The result of one generation (spark_core::GeneratedScripts).</summary>
    public sealed class GeneratedScripts
    {
        /// <summary>The C# files.</summary>
        public IList<ScriptFile> Files { get; private set; }

        /// <summary>Diagnostics of the kept round.</summary>
        public IList<Diagnostic> Diagnostics { get; private set; }

        /// <summary>Tokens used by all rounds together.</summary>
        public Usage Usage { get; private set; }

        /// <summary>Cost in USD, when the model's price is known.</summary>
        public double? CostUsd { get; private set; }

        /// <summary>The provider that answered.</summary>
        public string Provider { get; private set; }

        /// <summary>The model that answered.</summary>
        public string Model { get; private set; }

        /// <summary>True when the offline scaffold produced the files.</summary>
        public bool Offline { get; private set; }

        /// <summary>The raw reply of the kept round.</summary>
        public string Raw { get; private set; }

        /// <summary>Every round of the generate, validate, repair loop (one when no repair was needed).</summary>
        public IList<RepairRound> Rounds { get; private set; }

        /// <summary>Why the model stopped in the kept round (<c>end_turn</c>, <c>max_tokens</c>...), if known.</summary>
        public string StopReason { get; private set; }

        /// <summary>SPARK's request id (the caller's, or generated).</summary>
        public string RequestId { get; private set; }

        /// <summary>The provider's own request id of the kept round, for its support.</summary>
        public string ProviderRequestId { get; private set; }

        /// <summary>SHA-256 (hex) of the prompt and options that shape the answer.</summary>
        public string RequestHash { get; private set; }

        /// <summary>What the guards said (warnings, and the output policy's blocks; an input
        /// guard's block is an error instead).</summary>
        public IList<Verdict> Verdicts { get; private set; }

        /// <summary>Set when the output policy held the result back (<see cref="Files"/> is then
        /// empty, and export fails with <c>output_blocked</c> unless told allowUnsafe); else null.</summary>
        public Blocked Blocked { get; private set; }

        /// <summary>The complete result as JSON (what <see cref="SparkClient.Export"/> sends back).</summary>
        public string Json { get; private set; }

        /// <summary>Decodes a result JSON document.</summary>
        public static GeneratedScripts FromJson(string json)
        {
            var o = Spark.Json.Obj(Spark.Json.Parse(json));
            if (o == null) throw new FormatException("a generation result must be a JSON object");
            var files = new List<ScriptFile>();
            foreach (object f in Spark.Json.Arr(o, "files")) files.Add(ScriptFile.FromJson(Spark.Json.Obj(f)));
            var rounds = new List<RepairRound>();
            foreach (object r in Spark.Json.Arr(o, "rounds")) rounds.Add(RepairRound.FromJson(Spark.Json.Obj(r)));
            var verdicts = new List<Verdict>();
            foreach (object v in Spark.Json.Arr(o, "verdicts")) verdicts.Add(Verdict.FromJson(Spark.Json.Obj(v)));
            return new GeneratedScripts
            {
                Files = files,
                Diagnostics = Diagnostic.ListFromJson(Spark.Json.Arr(o, "diagnostics")),
                Usage = Usage.FromJson(Spark.Json.Obj(Spark.Json.Get(o, "usage"))),
                CostUsd = Spark.Json.Num(o, "cost_usd"),
                Provider = Spark.Json.Str(o, "provider"),
                Model = Spark.Json.Str(o, "model"),
                Offline = Spark.Json.Bool(o, "offline"),
                Raw = Spark.Json.Str(o, "raw"),
                Rounds = rounds,
                StopReason = Spark.Json.Str(o, "stop_reason"),
                RequestId = Spark.Json.Str(o, "request_id"),
                ProviderRequestId = Spark.Json.Str(o, "provider_request_id"),
                RequestHash = Spark.Json.Str(o, "request_hash"),
                Verdicts = verdicts,
                Blocked = Blocked.FromJson(Spark.Json.Obj(Spark.Json.Get(o, "blocked"))),
                Json = json,
            };
        }
    }

    /// <summary>Why the output policy held a result back, and the files it held back (spark_core::Blocked).</summary>
    public sealed class Blocked
    {
        /// <summary>Rule ids of the blocking findings, sorted (<c>SPK2001</c>...).</summary>
        public IList<string> Rules { get; private set; }

        /// <summary>The blocking findings (also in the result's diagnostics).</summary>
        public IList<Diagnostic> Findings { get; private set; }

        /// <summary>The generated files, secrets redacted, held back for review.</summary>
        public IList<ScriptFile> WithheldFiles { get; private set; }

        internal static Blocked FromJson(Dictionary<string, object> o)
        {
            if (o == null) return null;
            var rules = new List<string>();
            foreach (object r in Json.Arr(o, "rules")) rules.Add(r as string);
            var files = new List<ScriptFile>();
            foreach (object f in Json.Arr(o, "withheld_files")) files.Add(ScriptFile.FromJson(Json.Obj(f)));
            return new Blocked
            {
                Rules = rules,
                Findings = Diagnostic.ListFromJson(Json.Arr(o, "findings")),
                WithheldFiles = files,
            };
        }
    }

    /// <summary>One guard finding (spark_core::Verdict): which detector, how sure, what was done.</summary>
    public sealed class Verdict
    {
        /// <summary>The guard (<c>limits</c>, <c>prompt_injection</c>...).</summary>
        public string Guard { get; private set; }

        /// <summary>The detector inside it that fired.</summary>
        public string Detector { get; private set; }

        /// <summary>How sure, 0 to 1.</summary>
        public double Score { get; private set; }

        /// <summary>What was done: <c>allow</c>, <c>warn</c> or <c>block</c>.</summary>
        public string Action { get; private set; }

        /// <summary>Why, in words.</summary>
        public string Message { get; private set; }

        internal static Verdict FromJson(Dictionary<string, object> o)
        {
            return new Verdict
            {
                Guard = Spark.Json.Str(o, "guard"),
                Detector = Spark.Json.Str(o, "detector"),
                Score = Spark.Json.Num(o, "score") ?? 0,
                Action = Spark.Json.Str(o, "action"),
                Message = Spark.Json.Str(o, "message"),
            };
        }
    }

    /// <summary>Health of one provider of the chain (spark_core::ProviderStatus).</summary>
    public sealed class ProviderStatus
    {
        /// <summary>Provider name (<c>anthropic</c>, <c>openai</c>, <c>offline</c>).</summary>
        public string Name { get; private set; }

        /// <summary>Its default model.</summary>
        public string Model { get; private set; }

        /// <summary>Circuit breaker state: <c>closed</c>, <c>open</c> or <c>half_open</c>.</summary>
        public string State { get; private set; }

        /// <summary>Failures in the current window (closed) or since opening.</summary>
        public long Failures { get; private set; }

        /// <summary>How long until an open breaker lets a probe through.</summary>
        public TimeSpan? RetryIn { get; private set; }

        /// <summary>Times the breaker opened since the client was created.</summary>
        public long TimesOpened { get; private set; }

        /// <summary>Successful calls since the client was created.</summary>
        public long Successes { get; private set; }

        /// <summary>Failures since the client was created.</summary>
        public long TotalFailures { get; private set; }

        internal static ProviderStatus FromJson(Dictionary<string, object> o)
        {
            double? retry = Json.Num(o, "retry_in_ms");
            return new ProviderStatus
            {
                Name = Json.Str(o, "name"),
                Model = Json.Str(o, "model"),
                State = Json.Str(o, "state"),
                Failures = Json.Long(o, "failures"),
                RetryIn = retry.HasValue ? TimeSpan.FromMilliseconds(retry.Value) : (TimeSpan?)null,
                TimesOpened = Json.Long(o, "times_opened"),
                Successes = Json.Long(o, "successes"),
                TotalFailures = Json.Long(o, "total_failures"),
            };
        }
    }

    /// <summary>Response cache counters (spark_core::CacheStats).</summary>
    public sealed class CacheStats
    {
        /// <summary>Requests answered from the cache.</summary>
        public long Hits { get; private set; }

        /// <summary>Requests that called the provider chain.</summary>
        public long Misses { get; private set; }

        /// <summary>Requests that waited for an identical request in flight.</summary>
        public long Coalesced { get; private set; }

        /// <summary>Entries held.</summary>
        public long Entries { get; private set; }

        /// <summary>Approximate bytes held.</summary>
        public long Bytes { get; private set; }

        internal static CacheStats FromJson(Dictionary<string, object> o)
        {
            return new CacheStats
            {
                Hits = Json.Long(o, "hits"),
                Misses = Json.Long(o, "misses"),
                Coalesced = Json.Long(o, "coalesced"),
                Entries = Json.Long(o, "entries"),
                Bytes = Json.Long(o, "bytes"),
            };
        }
    }

    /// <summary>A client's health: its providers in fallback order and its cache.</summary>
    public sealed class ClientStatus
    {
        /// <summary>The provider chain, in fallback order.</summary>
        public IList<ProviderStatus> Providers { get; private set; }

        /// <summary>The response cache.</summary>
        public CacheStats Cache { get; private set; }

        /// <summary>Decodes the JSON of spark_client_status.</summary>
        public static ClientStatus FromJson(string json)
        {
            var o = Json.Obj(Json.Parse(json));
            if (o == null) throw new FormatException("a client status must be a JSON object");
            var providers = new List<ProviderStatus>();
            foreach (object p in Json.Arr(o, "providers")) providers.Add(ProviderStatus.FromJson(Json.Obj(p)));
            return new ClientStatus { Providers = providers, Cache = CacheStats.FromJson(Json.Obj(Json.Get(o, "cache"))) };
        }
    }

    /// <summary>One provider's health (spark_core::observe::ProviderHealth).</summary>
    public sealed class ProviderHealth
    {
        /// <summary>Provider name.</summary>
        public string Name { get; private set; }

        /// <summary>Breaker state: <c>closed</c>, <c>open</c> or <c>half_open</c>.</summary>
        public string Breaker { get; private set; }

        /// <summary>Whether a call may go to it now (its breaker is not open).</summary>
        public bool Usable { get; private set; }

        /// <summary>Attempts in the recent window (the last 100 calls).</summary>
        public long RecentAttempts { get; private set; }

        /// <summary>Share of those attempts that failed, 0 to 1 (null without attempts).</summary>
        public double? RecentErrorRate { get; private set; }

        /// <summary>Their mean time to an answer or failure, in milliseconds (null without attempts).</summary>
        public double? RecentLatencyMs { get; private set; }

        internal static ProviderHealth FromJson(Dictionary<string, object> o)
        {
            return new ProviderHealth
            {
                Name = Json.Str(o, "name"),
                Breaker = Json.Str(o, "breaker"),
                Usable = Json.Bool(o, "usable"),
                RecentAttempts = Json.Long(o, "recent_attempts"),
                RecentErrorRate = Json.Num(o, "recent_error_rate"),
                RecentLatencyMs = Json.Num(o, "recent_latency_ms"),
            };
        }
    }

    /// <summary>A client's health (spark_core::observe::Health).</summary>
    public sealed class Health
    {
        /// <summary>At least one provider is usable.</summary>
        public bool Ready { get; private set; }

        /// <summary>Each provider, in fallback order.</summary>
        public IList<ProviderHealth> Providers { get; private set; }

        /// <summary>Response cache entries held.</summary>
        public long CacheEntries { get; private set; }

        /// <summary>Approximate bytes the cache holds.</summary>
        public long CacheBytes { get; private set; }

        /// <summary>Cache bytes over its bound, 0 to 1.</summary>
        public double CacheFill { get; private set; }

        /// <summary>Requests waiting for a provider slot.</summary>
        public long QueueDepth { get; private set; }

        /// <summary>Requests allowed to wait (0 when admission is off).</summary>
        public long QueueCapacity { get; private set; }

        /// <summary>The usage ledger: <c>on</c> or <c>off</c>.</summary>
        public string Ledger { get; private set; }

        /// <summary>Decodes the JSON of spark_client_health.</summary>
        public static Health FromJson(string json)
        {
            var o = Json.Obj(Json.Parse(json));
            if (o == null) throw new FormatException("a health report must be a JSON object");
            var providers = new List<ProviderHealth>();
            foreach (object p in Json.Arr(o, "providers")) providers.Add(ProviderHealth.FromJson(Json.Obj(p)));
            return new Health
            {
                Ready = Json.Bool(o, "ready"),
                Providers = providers,
                CacheEntries = Json.Long(o, "cache_entries"),
                CacheBytes = Json.Long(o, "cache_bytes"),
                CacheFill = Json.Num(o, "cache_fill") ?? 0.0,
                QueueDepth = Json.Long(o, "queue_depth"),
                QueueCapacity = Json.Long(o, "queue_capacity"),
                Ledger = Json.Str(o, "ledger"),
            };
        }
    }

    /// <summary>One caller's usage totals over a period (spark_core::UsageTotals).</summary>
    public sealed class UsageTotals
    {
        /// <summary>The caller.</summary>
        public string Caller { get; private set; }

        /// <summary>Requests recorded.</summary>
        public long Requests { get; private set; }

        /// <summary>Requests that ended in an error.</summary>
        public long Errors { get; private set; }

        /// <summary>Requests answered from the cache.</summary>
        public long Cached { get; private set; }

        /// <summary>Input tokens.</summary>
        public long InputTokens { get; private set; }

        /// <summary>Output tokens.</summary>
        public long OutputTokens { get; private set; }

        /// <summary>Input tokens read from the provider's prompt cache.</summary>
        public long CacheReadTokens { get; private set; }

        /// <summary>Input tokens written to the provider's prompt cache.</summary>
        public long CacheWriteTokens { get; private set; }

        /// <summary>Spend in USD (0 where the price is unknown).</summary>
        public double CostUsd { get; private set; }

        internal static UsageTotals FromJson(Dictionary<string, object> o)
        {
            return new UsageTotals
            {
                Caller = Json.Str(o, "caller"),
                Requests = Json.Long(o, "requests"),
                Errors = Json.Long(o, "errors"),
                Cached = Json.Long(o, "cached"),
                InputTokens = Json.Long(o, "input_tokens"),
                OutputTokens = Json.Long(o, "output_tokens"),
                CacheReadTokens = Json.Long(o, "cache_read_tokens"),
                CacheWriteTokens = Json.Long(o, "cache_write_tokens"),
                CostUsd = Json.Num(o, "cost_usd") ?? 0.0,
            };
        }
    }

    /// <summary>Usage totals of one group (a caller, provider, day or hour; spark_core::ledger::UsageGroup).</summary>
    public sealed class UsageGroup
    {
        /// <summary>The caller, provider, day (<c>YYYY-MM-DD</c>) or hour.</summary>
        public string Key { get; private set; }

        /// <summary>Requests recorded.</summary>
        public long Requests { get; private set; }

        /// <summary>Requests that ended in an error.</summary>
        public long Errors { get; private set; }

        /// <summary>Errors over requests, 0 to 1.</summary>
        public double ErrorRate { get; private set; }

        /// <summary>Requests answered from the cache.</summary>
        public long Cached { get; private set; }

        /// <summary>Input tokens.</summary>
        public long InputTokens { get; private set; }

        /// <summary>Output tokens.</summary>
        public long OutputTokens { get; private set; }

        /// <summary>Spend in USD (0 where the price is unknown).</summary>
        public double CostUsd { get; private set; }

        internal static IList<UsageGroup> ListFromJson(object json)
        {
            var list = new List<UsageGroup>();
            foreach (object g in Json.Arr(json))
            {
                var o = Json.Obj(g);
                list.Add(new UsageGroup
                {
                    Key = Json.Str(o, "key"),
                    Requests = Json.Long(o, "requests"),
                    Errors = Json.Long(o, "errors"),
                    ErrorRate = Json.Num(o, "error_rate") ?? 0.0,
                    Cached = Json.Long(o, "cached"),
                    InputTokens = Json.Long(o, "input_tokens"),
                    OutputTokens = Json.Long(o, "output_tokens"),
                    CostUsd = Json.Num(o, "cost_usd") ?? 0.0,
                });
            }
            return list;
        }
    }

    /// <summary>Kinds of progress events.</summary>
    public enum SparkEventKind
    {
        /// <summary>An event type this wrapper does not know yet (see <see cref="SparkEvent.Type"/>).</summary>
        Unknown,
        /// <summary>The provider started answering.</summary>
        Started,
        /// <summary>A piece of the reply's text.</summary>
        Delta,
        /// <summary>A repair round is starting.</summary>
        Repairing,
        /// <summary>The diagnostics of the final files.</summary>
        Diagnostics,
        /// <summary>The finished result; always last.</summary>
        Done,
    }

    /// <summary>Progress of a streamed generation.</summary>
    public sealed class SparkEvent
    {
        /// <summary>The kind.</summary>
        public SparkEventKind Kind { get; private set; }

        /// <summary>The wire name (<c>"delta"</c>...).</summary>
        public string Type { get; private set; }

        /// <summary>Delta text.</summary>
        public string Text { get; private set; }

        /// <summary>Started: the provider.</summary>
        public string Provider { get; private set; }

        /// <summary>Started: the model.</summary>
        public string Model { get; private set; }

        /// <summary>Repairing: the 1-based round.</summary>
        public int Round { get; private set; }

        /// <summary>Diagnostics: the diagnostics.</summary>
        public IList<Diagnostic> Diagnostics { get; private set; }

        /// <summary>Done: the result.</summary>
        public GeneratedScripts Result { get; private set; }

        /// <summary>Decodes one event.</summary>
        public static SparkEvent FromJson(string json)
        {
            var o = Json.Obj(Json.Parse(json));
            string type = Json.Str(o, "type");
            var e = new SparkEvent { Type = type, Kind = SparkEventKind.Unknown };
            switch (type)
            {
                case "started":
                    e.Kind = SparkEventKind.Started;
                    e.Provider = Json.Str(o, "provider");
                    e.Model = Json.Str(o, "model");
                    break;
                case "delta":
                    e.Kind = SparkEventKind.Delta;
                    e.Text = Json.Str(o, "text");
                    break;
                case "repairing":
                    e.Kind = SparkEventKind.Repairing;
                    e.Round = (int)Json.Long(o, "round");
                    break;
                case "diagnostics":
                    e.Kind = SparkEventKind.Diagnostics;
                    e.Diagnostics = Diagnostic.ListFromJson(Json.Arr(o, "diagnostics"));
                    break;
                case "done":
                    e.Kind = SparkEventKind.Done;
                    // The result object is re-serialised by the native side into the call's output;
                    // here it is decoded from the event for listeners that want it early.
                    string result = ExtractResult(json);
                    e.Result = result == null ? null : GeneratedScripts.FromJson(result);
                    break;
            }
            return e;
        }

        // {"type":"done","result":{...}} -> {...}: the native side always writes this exact prefix.
        private static string ExtractResult(string json)
        {
            const string prefix = "{\"type\":\"done\",\"result\":";
            if (json.StartsWith(prefix, StringComparison.Ordinal) && json.EndsWith("}", StringComparison.Ordinal))
                return json.Substring(prefix.Length, json.Length - prefix.Length - 1);
            return null;
        }
    }
}
