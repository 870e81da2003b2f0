//! Syntax: tree-sitter ERROR and MISSING nodes, plus a delimiter balance check so an unclosed
//! block points at its opening brace rather than at one error spanning the whole class.

use tree_sitter::Node;

use super::Sink;
use super::source::Source;

/// Most syntax diagnostics reported per file; garbage input would otherwise yield thousands.
pub(crate) const MAX_SYNTAX: usize = 50;

/// How many open delimiters back a closer may match (see `unbalanced`).
const MAX_REACH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Issue {
    Unclosed,
    Unexpected,
}

#[derive(Debug, Clone, Copy)]
struct Delim {
    at: usize,
    ch: u8,
    issue: Issue,
}

pub(crate) fn check(src: &Source<'_>, sink: &mut Sink<'_>) {
    let root = src.tree.root_node();
    if !root.has_error() {
        return;
    }
    let delims = unbalanced(src.scan.as_bytes());
    let mut reported = 0usize;
    for d in &delims {
        if reported >= MAX_SYNTAX {
            break;
        }
        let (msg, len) = match d.issue {
            Issue::Unclosed => (format!("`{}` is never closed", d.ch as char), 1),
            Issue::Unexpected => (format!("unexpected `{}` with nothing to close", d.ch as char), 1),
        };
        sink.emit_bytes("SPK0003", d.at, d.at + len, msg);
        reported += 1;
    }
    // An ERROR node around a reported delimiter is the same problem, located worse.
    let unclosed: Vec<usize> = delims.iter().map(|d| d.at).collect();
    let unclosed_kinds: Vec<u8> = delims.iter().map(|d| closer(d.ch)).collect();

    // Walk only into subtrees that contain errors; iterative, so deep nesting cannot overflow.
    let mut stack: Vec<Node<'_>> = vec![root];
    let mut nodes: Vec<Node<'_>> = Vec::new();
    while let Some(node) = stack.pop() {
        if node.is_missing() || (node.start_byte() == node.end_byte() && node.has_error() && !node.is_error())
        {
            let kind = node.kind();
            let is_delim = kind.len() == 1 && unclosed_kinds.contains(&kind.as_bytes()[0]);
            if !is_delim {
                nodes.push(node);
            }
            continue;
        }
        if node.is_error() {
            let r = node.byte_range();
            if !unclosed.iter().any(|&u| r.start <= u && u < r.end) {
                nodes.push(node);
                continue;
            }
        }
        let mut c = node.walk();
        let children: Vec<Node<'_>> = node.children(&mut c).filter(|ch| ch.has_error()).collect();
        stack.extend(children.into_iter().rev());
    }
    nodes.sort_by_key(|n| n.start_byte());
    for node in nodes {
        if reported >= MAX_SYNTAX {
            let p = node.start_position();
            let (line, col) = src.line_col(node.start_byte(), p);
            sink.emit_at(
                "SPK0001",
                (line, col, line, col),
                format!("too many syntax errors; only the first {MAX_SYNTAX} are reported"),
            );
            break;
        }
        if node.is_error() && missing_semicolon(node, src) {
            let end = node.end_position();
            let (line, col) = src.line_col(node.end_byte(), end);
            sink.emit_at("SPK0002", (line, col, line, col), "expected `;`".into());
        } else if node.is_error() {
            let tok = first_leaf(node);
            let text = src.t(tok);
            let shown: String = text.chars().take(40).collect();
            let msg = if shown.trim().is_empty() {
                "syntax error".to_string()
            } else {
                format!("unexpected `{}`", shown.trim())
            };
            sink.emit_node("SPK0001", tok, msg);
        } else {
            let kind = node.kind();
            let msg = if kind.chars().all(|c| c.is_ascii_punctuation()) || is_keyword(kind) {
                format!("expected `{kind}`")
            } else {
                format!("expected {}", kind.replace('_', " "))
            };
            sink.emit_node("SPK0002", node, msg);
        }
        reported += 1;
    }
}

/// An ERROR that is the last thing in a block, on one line, not ending in `;` or `}`: almost
/// always a statement whose semicolon is missing.
fn missing_semicolon(node: Node<'_>, src: &Source<'_>) -> bool {
    let next_is_close = node.next_sibling().is_some_and(|n| n.kind() == "}");
    let in_block = node.parent().is_some_and(|p| p.kind() == "block");
    let text = src.t(node).trim_end();
    next_is_close
        && in_block
        && node.start_position().row == node.end_position().row
        && !text.ends_with(';')
        && !text.ends_with('}')
        && !text.ends_with('{')
}

fn is_keyword(k: &str) -> bool {
    !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase()) && k.len() <= 10 && !k.contains('_')
}

/// The first token of `node` (iteratively).
fn first_leaf(node: Node<'_>) -> Node<'_> {
    let mut n = node;
    while let Some(c) = n.child(0) {
        n = c;
    }
    n
}

fn closer(open: u8) -> u8 {
    match open {
        b'{' => b'}',
        b'(' => b')',
        b'[' => b']',
        other => other,
    }
}

/// Delimiters that do not balance, skipping comments, strings (with interpolation holes),
/// character literals and preprocessor lines.
fn unbalanced(b: &[u8]) -> Vec<Delim> {
    struct Open {
        at: usize,
        ch: u8,
        indent: usize,
    }
    struct Hole {
        base: usize,
        verbatim: bool,
    }
    let mut out = Vec::new();
    let mut opens: Vec<Open> = Vec::new();
    let mut holes: Vec<Hole> = Vec::new();
    // `{` openers whose closer sits at a smaller indentation: the likely real culprits.
    let mut suspicious: Vec<usize> = Vec::new();
    let n = b.len();
    let mut i = 0;
    let mut line_start = 0usize;
    let indent_of = |ls: usize| b[ls..].iter().take_while(|&&c| c == b' ' || c == b'\t').count();
    let first_on_line = |ls: usize, at: usize| b[ls..at].iter().all(|&c| c == b' ' || c == b'\t');

    // Scans string content from `i` (after the opening quote); returns the index after the
    // string, or `Err(index)` when an interpolation hole opens at index (its `{` consumed).
    fn scan_string(b: &[u8], mut i: usize, verbatim: bool, interp: bool) -> Result<usize, usize> {
        while i < b.len() {
            let c = b[i];
            if interp && c == b'{' {
                if b.get(i + 1) == Some(&b'{') {
                    i += 2;
                    continue;
                }
                return Err(i + 1);
            }
            if verbatim {
                if c == b'"' {
                    if b.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    return Ok(i + 1);
                }
            } else {
                if c == b'\\' {
                    i += 2;
                    continue;
                }
                if c == b'"' {
                    return Ok(i + 1);
                }
                if c == b'\n' {
                    return Ok(i);
                }
            }
            i += 1;
        }
        Ok(b.len())
    }

    while i < n {
        let c = b[i];
        match c {
            b'\n' => {
                i += 1;
                line_start = i;
                continue;
            }
            b'#' if holes.is_empty() && first_on_line(line_start, i) => {
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < n && !(b[i] == b'*' && b[i + 1] == b'/') {
                    if b[i] == b'\n' {
                        line_start = i + 1;
                    }
                    i += 1;
                }
                i = (i + 2).min(n);
                continue;
            }
            b'\'' => {
                // Character literal: at most a few bytes ('\u0041', '\'').
                let mut j = i + 1;
                if b.get(j) == Some(&b'\\') {
                    j += 2;
                } else {
                    j += 1;
                }
                let lim = (j + 8).min(n);
                while j < lim && b[j] != b'\'' && b[j] != b'\n' {
                    j += 1;
                }
                i = if j < n && b[j] == b'\'' { j + 1 } else { i + 1 };
                continue;
            }
            b'"' | b'$' | b'@' => {
                // String prefixes: $, @, $@, @$, $$…
                let mut j = i;
                let mut dollars = 0;
                let mut verbatim = false;
                while j < n && (b[j] == b'$' || b[j] == b'@') {
                    if b[j] == b'$' {
                        dollars += 1;
                    } else {
                        verbatim = true;
                    }
                    j += 1;
                }
                if j >= n || b[j] != b'"' {
                    i = j.max(i + 1);
                    continue;
                }
                let quotes = b[j..].iter().take_while(|&&q| q == b'"').count();
                if quotes >= 3 && !verbatim {
                    // Raw string: ends at the same number of quotes.
                    let mut k = j + quotes;
                    loop {
                        if k >= n {
                            i = n;
                            break;
                        }
                        if b[k] == b'"' {
                            let run = b[k..].iter().take_while(|&&q| q == b'"').count();
                            if run >= quotes {
                                i = k + run;
                                break;
                            }
                            k += run;
                        } else {
                            if b[k] == b'\n' {
                                line_start = k + 1;
                            }
                            k += 1;
                        }
                    }
                    continue;
                }
                match scan_string(b, j + 1, verbatim, dollars > 0) {
                    Ok(end) => i = end,
                    Err(hole) => {
                        holes.push(Hole { base: opens.len(), verbatim });
                        i = hole;
                    }
                }
                if verbatim {
                    // Keep line starts right across multi-line verbatim strings (only the
                    // string's own bytes are searched, so many strings on one line stay linear).
                    if let Some(p) = b[j..i.max(j)].iter().rposition(|&c| c == b'\n') {
                        line_start = j + p + 1;
                    }
                }
                continue;
            }
            b'}' if holes.last().is_some_and(|h| h.base == opens.len()) => {
                let h = holes.pop().unwrap_or(Hole { base: 0, verbatim: false });
                match scan_string(b, i + 1, h.verbatim, true) {
                    Ok(end) => i = end,
                    Err(hole) => {
                        holes.push(Hole { base: opens.len(), verbatim: h.verbatim });
                        i = hole;
                    }
                }
                continue;
            }
            b':' if holes.last().is_some_and(|h| h.base == opens.len()) && b.get(i + 1) != Some(&b':') => {
                // Format specifier of a hole: text up to the closing brace.
                let mut j = i + 1;
                while j < n && b[j] != b'}' && b[j] != b'\n' {
                    j += 1;
                }
                i = j;
                continue;
            }
            b'{' | b'(' | b'[' => {
                opens.push(Open { at: i, ch: c, indent: indent_of(line_start) });
            }
            b'}' | b')' | b']' => {
                let want = match c {
                    b'}' => b'{',
                    b')' => b'(',
                    _ => b'[',
                };
                // A closer matches one of the last few openers at most: searching deeper would
                // make `((((…]]]]` quadratic, and real code never needs it.
                let floor =
                    holes.last().map(|h| h.base).unwrap_or(0).max(opens.len().saturating_sub(MAX_REACH));
                match opens[floor..].iter().rposition(|o| o.ch == want) {
                    Some(rel) => {
                        let pos = floor + rel;
                        for o in opens.drain(pos + 1..) {
                            out.push(Delim { at: o.at, ch: o.ch, issue: Issue::Unclosed });
                        }
                        if let Some(o) = opens.pop()
                            && c == b'}'
                            && first_on_line(line_start, i)
                            && indent_of(line_start) < o.indent
                        {
                            suspicious.push(o.at);
                        }
                    }
                    None => out.push(Delim { at: i, ch: c, issue: Issue::Unexpected }),
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut suspicious = suspicious.into_iter();
    for o in opens {
        let at = if o.ch == b'{' { suspicious.next().unwrap_or(o.at) } else { o.at };
        out.push(Delim { at, ch: o.ch, issue: Issue::Unclosed });
    }
    out.sort_by_key(|d| d.at);
    out.dedup_by_key(|d| d.at);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Vec<(usize, char, Issue)> {
        unbalanced(s.as_bytes()).into_iter().map(|d| (d.at, d.ch as char, d.issue)).collect()
    }

    #[test]
    fn balance_skips_strings_comments_and_holes() {
        assert!(u("class A { void M() { var s = $\"{(a ? \"}\" : \"{\")} {{ }}\"; } }").is_empty());
        assert!(u("class A { // }\n /* { */ char c = '{'; string v = @\"\"\"{\"; }").is_empty());
        assert!(u("class A { string r = \"\"\"\n } \" {\n\"\"\"; }").is_empty());
        assert!(u("var s = $\"{x:F2} {y,5:0.0}\";").is_empty());
    }

    #[test]
    fn unclosed_points_at_the_culprit() {
        let src = "class A {\n    void M() {\n        Foo();\n\n    void N() {\n    }\n}\n";
        let d = u(src);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].0, src.find("M() {").unwrap() + 4);
        assert_eq!(u("class A { void M() { ) } }"), vec![(21, ')', Issue::Unexpected)]);
    }
}
