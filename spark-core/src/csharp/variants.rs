//! Symbol configurations: the code the compiler sees for one set of defined symbols.
//!
//! The parser reads every branch of every `#if` at once, which is not C#: a directive may sit in
//! the middle of a parameter list, an `if` condition or between two `using (…)` headers, and only
//! one branch is ever compiled. Syntax is therefore checked once per configuration, on the text
//! with the directive lines and the inactive branches blanked.
//!
//! Linear in the text and the number of directives, with explicit stacks only: groups deeper than
//! [`MAX_IF_DEPTH`] are not evaluated (their branches all count as active).

use super::{DirKind, Directive, MAX_IF_DEPTH, cond};

/// One configuration of defined symbols and the byte ranges its compiler never sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variant {
    /// Whether `UNITY_EDITOR` (and `UNITY_EDITOR_*`) is defined.
    pub editor: bool,
    /// Whether the other symbols the conditions name are defined (`#define`d ones always are).
    pub others: bool,
    /// Sorted, disjoint byte ranges to blank: every directive line and every inactive branch.
    pub blank: Vec<(usize, usize)>,
}

/// A conditional directive without its partner: the compiler rejects the file in every
/// configuration (CS1027, CS1028).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stray {
    /// `#if` never closed by `#endif`; byte offset of its line.
    Unclosed(usize),
    /// `#elif`, `#else` or `#endif` with no open `#if`; byte offset of its line.
    Unopened(usize),
    /// `#if` / `#elif` whose condition does not read (CS1517), or is longer than
    /// [`super::MAX_CONDITION_BYTES`]; byte offset of its line.
    Malformed(usize),
}

/// The distinct configurations worth checking, and the directives without a partner: UNITY_EDITOR
/// off and on, times every other symbol undefined and defined (four at most; configurations that
/// blank the same text count once).
pub(crate) fn variants(source: &str, dirs: &[Directive]) -> (Vec<Variant>, Vec<Stray>) {
    let defined = leading_defines(source);
    let (mut editor_syms, mut other_syms) = (false, false);
    // The build target of the "others defined" configuration: the first one the file names.
    // Defining every target symbol at once would compile branches no real player build
    // compiles together (an iOS and an Xbox entry of one list, each without its comma).
    let mut target: Option<&str> = None;
    for d in dirs {
        for s in source.get(d.cond.0..d.cond.1).map(cond::symbols).into_iter().flatten() {
            if target.is_none() && !defined.contains_key(s) {
                target = cond::platform_targets(s).and_then(|t| t.first().copied());
            }
            if cond::is_editor_symbol(s) {
                editor_syms = true;
            } else if !defined.contains_key(s) {
                other_syms = true;
            }
        }
    }
    let mut out: Vec<Variant> = Vec::new();
    let mut strays = Vec::new();
    for editor in [false, true] {
        for others in [false, true] {
            if (editor && !editor_syms) || (others && !other_syms) {
                continue;
            }
            let value = |s: &str| -> Option<bool> {
                Some(match defined.get(s) {
                    Some(&v) => v,
                    None if cond::is_editor_symbol(s) => editor,
                    None => match cond::platform_targets(s) {
                        Some(t) => others && target.is_some_and(|c| t.contains(&c)),
                        None => others,
                    },
                })
            };
            let (blank, st) = blank_for(source, dirs, &value);
            if out.is_empty() {
                strays = st;
            }
            if !out.iter().any(|v| v.blank == blank) {
                out.push(Variant { editor, others, blank });
            }
        }
    }
    (out, strays)
}

/// The ranges one configuration blanks, and the unpaired directives.
fn blank_for(
    source: &str,
    dirs: &[Directive],
    value: &dyn Fn(&str) -> Option<bool>,
) -> (Vec<(usize, usize)>, Vec<Stray>) {
    struct Group {
        /// The enclosing code is compiled.
        live: bool,
        /// A branch of this group was taken already.
        taken: bool,
        /// The current branch is taken.
        on: bool,
        start: usize,
        at: usize,
    }
    let eval = |d: &Directive| source.get(d.cond.0..d.cond.1).and_then(|c| cond::eval_with(c, value));
    let mut blank: Vec<(usize, usize)> = Vec::new();
    let mut strays = Vec::new();
    let mut stack: Vec<Group> = Vec::new();
    let mut excess = 0usize;
    // Only the outermost inactive branch needs blanking: it covers what nests inside it.
    let close = |g: &Group, end: usize, blank: &mut Vec<(usize, usize)>| {
        if g.live && !g.on {
            blank.push((g.start, end));
        }
    };
    for d in dirs {
        blank.push(d.line);
        let live = stack.last().is_none_or(|g| g.live && g.on);
        match d.kind {
            DirKind::If if stack.len() >= MAX_IF_DEPTH => excess += 1,
            DirKind::If => {
                // A malformed condition is reported once; its branch reads as false.
                let c = eval(d).unwrap_or_else(|| {
                    strays.push(Stray::Malformed(d.line.0));
                    false
                });
                stack.push(Group { live, taken: c, on: c, start: d.line.1, at: d.line.0 });
            }
            DirKind::Endif if excess > 0 => excess -= 1,
            _ if excess > 0 => {}
            DirKind::Elif | DirKind::Else => match stack.last_mut() {
                Some(g) => {
                    close(g, d.line.0, &mut blank);
                    let c = match d.kind {
                        DirKind::Else => true,
                        _ => eval(d).unwrap_or_else(|| {
                            strays.push(Stray::Malformed(d.line.0));
                            false
                        }),
                    };
                    g.on = !g.taken && c;
                    g.taken |= c;
                    g.start = d.line.1;
                }
                None => strays.push(Stray::Unopened(d.line.0)),
            },
            DirKind::Endif => match stack.pop() {
                Some(g) => close(&g, d.line.0, &mut blank),
                None => strays.push(Stray::Unopened(d.line.0)),
            },
        }
    }
    // An unclosed group is reported as such; blanking its open branch to the end of the file
    // would only add a cascade of unclosed braces.
    while let Some(g) = stack.pop() {
        strays.push(Stray::Unclosed(g.at));
    }
    blank.sort_unstable();
    // Merge overlaps so equal configurations compare equal and blanking is one pass.
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(blank.len());
    for (s, e) in blank {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    strays.sort_unstable_by_key(|s| match s {
        Stray::Unclosed(a) | Stray::Unopened(a) | Stray::Malformed(a) => *a,
    });
    (merged, strays)
}

/// Symbols set by `#define` / `#undef` at the top of the file (C# only allows them before the
/// first token), with their value.
fn leading_defines(source: &str) -> std::collections::HashMap<&str, bool> {
    let mut out = std::collections::HashMap::new();
    let mut in_comment = false;
    for line in source.lines() {
        let t = line.trim();
        if in_comment {
            in_comment = !t.contains("*/");
            continue;
        }
        if t.is_empty() || t.starts_with("//") {
            continue;
        }
        if t.starts_with("/*") {
            in_comment = !t.contains("*/");
            continue;
        }
        let Some(d) = t.strip_prefix('#') else { break };
        let d = d.trim_start();
        let (value, rest) = match (d.strip_prefix("define"), d.strip_prefix("undef")) {
            (Some(r), _) => (true, r),
            (_, Some(r)) => (false, r),
            _ => continue,
        };
        let name = rest.split("//").next().unwrap_or("").trim();
        if !name.is_empty() && rest.starts_with([' ', '\t']) {
            out.insert(name, value);
        }
    }
    out
}

/// Copies `text` with `blank` ranges turned into spaces (newlines kept, so lines and byte offsets
/// stay the same; multi-byte characters become one space per byte, so the text stays UTF-8).
pub(crate) fn apply(text: &str, blank: &[(usize, usize)]) -> String {
    let mut b = text.as_bytes().to_vec();
    for &(s, e) in blank {
        for c in b.iter_mut().take(e.min(text.len())).skip(s) {
            if *c != b'\n' && *c != b'\r' {
                *c = b' ';
            }
        }
    }
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::super::directives;
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        let (v, _) = variants(src, &directives(src));
        v.iter().map(|v| apply(src, &v.blank).split_whitespace().collect::<Vec<_>>().join(" ")).collect()
    }

    #[test]
    fn each_configuration_sees_its_branches() {
        let src = "a\n#if UNITY_EDITOR\nb\n#elif DEBUG\nc\n#else\nd\n#endif\ne\n";
        assert_eq!(texts(src), ["a d e", "a c e", "a b e"]);
        let src = "#define FOO\n#if FOO\nb\n#else\nc\n#endif\n";
        assert_eq!(texts(src), ["#define FOO b"]);
        let src = "#if A\n#if UNITY_EDITOR\nx\n#endif\ny\n#endif\n";
        assert_eq!(texts(src), ["", "y", "x y"]);
    }

    #[test]
    fn unpaired_directives_are_found() {
        let src = "#if A\nx\n#endif\n#endif\n#if B\n";
        let (_, strays) = variants(src, &directives(src));
        assert_eq!(strays, [Stray::Unopened(15), Stray::Unclosed(22)]);
        let src = "#if (A\nx\n#elif B +\n#endif\n";
        let (_, strays) = variants(src, &directives(src));
        assert_eq!(strays, [Stray::Malformed(0), Stray::Malformed(9)]);
    }

    #[test]
    fn deep_nesting_stays_linear() {
        let src = format!("{}x\n{}", "#if A\n".repeat(100_000), "#endif\n".repeat(100_000));
        let run = move || variants(&src, &directives(&src)).0.len();
        let n = std::thread::Builder::new().stack_size(64 * 1024).spawn(run).unwrap().join().unwrap();
        assert_eq!(n, 2);
    }
}
