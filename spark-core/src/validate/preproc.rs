//! Preprocessor-correct syntax checking: a file with `#if` groups is checked once per symbol
//! configuration (see [`crate::csharp::variants`]), on the text that configuration compiles, and a
//! real error is reported once at its real position (blanking keeps every byte offset).

use std::borrow::Cow;

use super::Sink;
use super::source::{self, Source};
use super::syntax;
use crate::cancel::CancelToken;
use crate::csharp::{self, variants};
use crate::diagnostic::Diagnostic;
use crate::error::Result;

/// Most blanked ranges for which the file's tree is reused rather than parsed afresh.
const MAX_REUSE_EDITS: usize = 32;

/// Sorted, disjoint byte ranges a configuration blanks.
type Blanks = Vec<(usize, usize)>;

/// Reports the syntax errors of `src` in every configuration of its conditional directives, and
/// directives without a partner; a file without `#if` is checked as parsed.
pub(crate) fn check(src: &Source<'_>, sink: &mut Sink<'_>, cancel: &CancelToken) -> Result<()> {
    let dirs = if src.text.contains('#') { csharp::directives(src.text) } else { Vec::new() };
    if dirs.is_empty() {
        syntax::check(src, sink);
        return Ok(());
    }
    let (configs, strays) = variants::variants(src.text, &dirs);
    let conditional = &src.conditional;
    for s in strays {
        let (at, msg) = match s {
            variants::Stray::Unclosed(at) => (at, "`#if` without its `#endif`"),
            variants::Stray::Unopened(at) => (at, "conditional directive without its `#if`"),
            variants::Stray::Malformed(at) => {
                (at, "invalid `#if` condition: use symbols, `!`, `&&`, `||`, `==`, `!=` and parentheses")
            }
        };
        let hash = src.text.get(at..).and_then(|t| t.find('#')).map_or(at, |p| at + p);
        sink.emit_bytes("SPK0001", hash, hash + 1, msg.into());
    }
    // (blanked ranges, position of the first error) of each configuration checked so far.
    let mut seen: Vec<(Blanks, Option<(u32, u32)>)> = Vec::new();
    // The first top-level statement any clean configuration holds (SPK1003, once per file).
    let mut top_level: Option<(usize, Diagnostic)> = None;
    for v in configs {
        cancel.check()?;
        let blanked = variants::apply(src.text, &v.blank);
        let fixed = source::neutralize(&blanked).unwrap_or(blanked);
        // Reusing the tree pays for a few edits; past a few dozen, tree-sitter's edit bookkeeping
        // costs more than a fresh parse (measured: 5x slower at 16,000 edits).
        let tree = if v.blank.len() <= MAX_REUSE_EDITS {
            source::reparse(&src.scan, &fixed, src.tree.clone(), cancel)
        } else {
            source::parse_fresh(&fixed, cancel)
        };
        let Some(tree) = tree else {
            cancel.check()?;
            continue;
        };
        let view = Source {
            text: src.text,
            scan: Cow::Owned(fixed),
            tree,
            editor_regions: Vec::new(),
            conditional: Vec::new(),
            limited: false,
            g: src.g,
        };
        let mut local =
            Sink { src, file: sink.file, config: sink.config, out: Vec::new(), editor: sink.editor };
        syntax::check(&view, &mut local);
        // Only a syntax error derails the parse: a keyword used as a name does not, so it does
        // not make a later configuration's findings a cascade.
        let first = local.out.iter().map(|d| (d.line, d.column)).min();
        if !conditional.is_empty() {
            keywords_in(&view, &mut local);
            if first.is_none() {
                top_level_in(&view, sink, &mut top_level);
            }
        }
        // A configuration that only differs from one already checked after that one's first
        // error holds the same error again, seen through a different cascade: the parser lost
        // its footing before their texts part.
        let cascade = seen.iter().any(|(blank, err)| {
            let part = source::line_col_of(src.text, first_difference(blank, &v.blank));
            err.is_some_and(|e| e <= part)
        });
        if !cascade {
            sink.out.extend(local.out);
        }
        seen.push((v.blank, first));
    }
    sink.out.extend(top_level.map(|(_, d)| d));
    Ok(())
}

/// The first top-level statement of one configuration's parse, kept in `first` when it comes
/// before the one found so far. In a file with `#if` groups the file's own parse can close a
/// class early (a `case` label inside a group of a switch section), and the members after it
/// read as top-level statements; a configuration's parse without syntax errors cannot.
fn top_level_in(view: &Source<'_>, sink: &Sink<'_>, first: &mut Option<(usize, Diagnostic)>) {
    let root = view.tree.root_node();
    let mut c = root.walk();
    let Some(n) = root.named_children(&mut c).find(|n| view.g.kind(*n) == source::K::GlobalStatement) else {
        return;
    };
    if first.as_ref().is_some_and(|(at, _)| *at <= n.start_byte()) {
        return;
    }
    let mut one =
        Sink { src: sink.src, file: sink.file, config: sink.config, out: Vec::new(), editor: sink.editor };
    super::unity::top_level_statement(n, &mut one);
    *first = one.out.pop().map(|d| (n.start_byte(), d));
}

/// Reserved keywords read as names, on one configuration's parse. In a file with `#if` groups
/// the file's own parse (directives and all) misreads code around a group: a `case` label after
/// `#if` in a switch section, or the `else` after an `#endif` that closed an `else if` of the same
/// chain, read as names. So such a file is checked here, on each text the compiler sees, and
/// not by the main walk; a real error found by several configurations is reported once.
fn keywords_in(view: &Source<'_>, sink: &mut Sink<'_>) {
    let mut stack = vec![view.tree.root_node()];
    let mut c = view.tree.walk();
    while let Some(n) = stack.pop() {
        if view.g.kind(n) == source::K::Identifier {
            super::rules::keywords::identifier(n, view.t(n), sink);
            continue;
        }
        stack.extend(n.children(&mut c));
    }
}

/// The first byte that one blanking hides and the other does not (the end of the text when the
/// two agree): both blank lists are sorted and disjoint.
fn first_difference(a: &[(usize, usize)], b: &[(usize, usize)]) -> usize {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return if x.0 == y.0 { x.1.min(y.1) } else { x.0.min(y.0) };
        }
    }
    match (a.get(b.len()), b.get(a.len())) {
        (Some(r), _) | (_, Some(r)) => r.0,
        _ => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::first_difference;

    #[test]
    fn first_difference_of_blankings() {
        assert_eq!(first_difference(&[(0, 5), (9, 12)], &[(0, 5), (9, 12)]), usize::MAX);
        assert_eq!(first_difference(&[(0, 5), (9, 12)], &[(0, 5), (7, 12)]), 7);
        assert_eq!(first_difference(&[(0, 5), (9, 12)], &[(0, 5), (9, 10)]), 10);
        assert_eq!(first_difference(&[(0, 5)], &[(0, 5), (20, 30)]), 20);
    }
}
