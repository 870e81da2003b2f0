// A small C# tokenizer for display: comments, strings, numbers, keywords and type names.
// It never builds HTML; callers put each token's text in the page with textContent.
"use strict";
(function () {
  const KEYWORDS = new Set(("abstract as base bool break byte case catch char checked class const continue " +
    "decimal default delegate do double else enum event explicit extern false finally fixed float for " +
    "foreach goto if implicit in int interface internal is lock long namespace new null object operator " +
    "out override params private protected public readonly ref return sbyte sealed short sizeof stackalloc " +
    "static string struct switch this throw true try typeof uint ulong unchecked unsafe ushort using " +
    "virtual void volatile while var async await yield get set value partial where record init nameof when").split(" "));

  // Splits `text` into lines of [kind, text] tokens; kind is "" for plain text.
  function highlight(text) {
    const lines = [[]];
    const push = (kind, s) => {
      const parts = s.split("\n");
      parts.forEach((p, i) => {
        if (i > 0) lines.push([]);
        if (p) lines[lines.length - 1].push([kind, p]);
      });
    };
    let i = 0;
    const n = text.length;
    while (i < n) {
      const c = text[i];
      const next = text[i + 1];
      let j;
      if (c === "/" && next === "/") {
        j = text.indexOf("\n", i);
        if (j < 0) j = n;
        push("com", text.slice(i, j));
      } else if (c === "/" && next === "*") {
        j = text.indexOf("*/", i + 2);
        j = j < 0 ? n : j + 2;
        push("com", text.slice(i, j));
      } else if (c === "#" && (i === 0 || text[i - 1] === "\n" || /^[ \t]*$/.test(lineBefore(text, i)))) {
        j = text.indexOf("\n", i);
        if (j < 0) j = n;
        push("pre", text.slice(i, j));
      } else if (c === '"' || ((c === "@" || c === "$") && (next === '"' || ((next === "@" || next === "$") && text[i + 2] === '"')))) {
        const start = i;
        let verbatim = false;
        while (text[i] !== '"') { if (text[i] === "@") verbatim = true; i++; }
        j = i + 1;
        while (j < n) {
          if (verbatim && text[j] === '"' && text[j + 1] === '"') { j += 2; continue; }
          if (!verbatim && text[j] === "\\") { j += 2; continue; }
          if (text[j] === '"') { j++; break; }
          if (!verbatim && text[j] === "\n") break;
          j++;
        }
        j = Math.min(j, n);
        push("str", text.slice(start, j));
      } else if (c === "'") {
        j = i + 1;
        while (j < n && text[j] !== "'" && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
        j = Math.min(j + 1, n);
        push("str", text.slice(i, j));
      } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(next || ""))) {
        j = i + 1;
        while (j < n && /[0-9a-fA-FxX._]/.test(text[j])) j++;
        while (j < n && /[fFdDmMuUlL]/.test(text[j])) j++;
        push("num", text.slice(i, j));
      } else if (/[A-Za-z_]/.test(c)) {
        j = i + 1;
        while (j < n && /[A-Za-z0-9_]/.test(text[j])) j++;
        const word = text.slice(i, j);
        push(KEYWORDS.has(word) ? "kw" : /^[A-Z]/.test(word) ? "type" : "", word);
      } else {
        j = i + 1;
        while (j < n && !/[A-Za-z0-9_"'/#@$.]/.test(text[j])) j++;
        push("", text.slice(i, j));
      }
      i = Math.max(j, i + 1);
    }
    return lines;
  }

  function lineBefore(text, i) {
    const start = text.lastIndexOf("\n", i - 1) + 1;
    return text.slice(start, i);
  }

  window.SparkHighlight = { highlight };
})();
