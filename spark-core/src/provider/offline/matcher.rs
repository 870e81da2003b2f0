//! Scores a request against the mechanics table.
//!
//! The request is reduced once to lowercase words separated by single spaces; each cue of each
//! mechanic is then a substring test anchored at a word start (`" patrol"` also matches
//! "patrols"). The table is fixed and the text is capped, so the cost is linear in the request.

use super::templates::{MECHANICS, Mechanic};

/// Only this much of a request is read: a gameplay description fits many times over.
pub(super) const MAX_MATCH_CHARS: usize = 2048;

/// A mechanic is chosen when its cues weigh at least this much.
pub(super) const THRESHOLD: i32 = 3;

/// `" word word "`: lowercase alphanumeric words (any script) and decimal numbers, everything
/// else a separator.
pub(super) fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_MATCH_CHARS) + 2);
    out.push(' ');
    let mut chars = text.chars().take(MAX_MATCH_CHARS).peekable();
    while let Some(c) = chars.next() {
        let decimal_point = c == '.'
            && out.ends_with(|p: char| p.is_ascii_digit())
            && chars.peek().is_some_and(char::is_ascii_digit);
        if decimal_point {
            // "every 2.5 seconds" keeps its number whole.
            out.push('.');
        } else if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if c == '-' && !out.ends_with(' ') {
            // "third-person" and "third person" read the same.
            out.push(' ');
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// Whether `cue` occurs in `norm` starting at a word boundary.
pub(super) fn has_cue(norm: &str, cue: &str) -> bool {
    let mut needle = String::with_capacity(cue.len() + 1);
    needle.push(' ');
    needle.push_str(cue);
    norm.contains(&needle)
}

/// The summed weight of the cues of `m` found in `norm`.
pub(super) fn score(norm: &str, m: &Mechanic) -> i32 {
    m.cues.iter().filter(|(cue, _)| has_cue(norm, cue)).map(|(_, w)| *w).sum()
}

/// The mechanics a request asks for, best first: every one scoring at least [`THRESHOLD`],
/// at most one per group and none another excludes, then what they require. Those matching
/// `subject` (the request's head noun phrase, normalized) come first, so that "a door that opens
/// when the player is near" is a door first.
pub(super) fn select(norm: &str, subject: &str) -> Vec<&'static Mechanic> {
    let mut scored: Vec<(i32, usize)> = MECHANICS
        .iter()
        .enumerate()
        .map(|(i, m)| (score(norm, m), i))
        .filter(|(s, _)| *s >= THRESHOLD)
        .collect();
    // Heaviest first, then table order: deterministic. Within a group the heaviest wins.
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut chosen: Vec<&'static Mechanic> = Vec::new();
    for (_, i) in scored {
        let m = &MECHANICS[i];
        let taken = |c: &&Mechanic| c.id == m.id || (!m.group.is_empty() && c.group == m.group);
        let excluded = |c: &&Mechanic| c.excludes.contains(&m.id) || m.excludes.contains(&c.id);
        if !chosen.iter().any(taken) && !chosen.iter().any(excluded) {
            chosen.push(m);
        }
    }
    // What the request is about comes first: it is the main file and takes the request's name.
    chosen.sort_by_key(|m| score(subject, m) <= 0);
    with_requirements(chosen)
}

/// `chosen` followed by the mechanics they require (transitively), each once.
pub(super) fn with_requirements(mut chosen: Vec<&'static Mechanic>) -> Vec<&'static Mechanic> {
    let mut k = 0;
    while k < chosen.len() {
        for dep in chosen[k].requires {
            if !chosen.iter().any(|c| c.id == *dep)
                && let Some(m) = MECHANICS.iter().find(|m| m.id == *dep)
            {
                chosen.push(m);
            }
        }
        k += 1;
    }
    chosen
}

/// The mechanic scoring highest below the threshold, if any: the closest thing the templates
/// have when nothing matched well.
pub(super) fn closest(norm: &str) -> Option<&'static Mechanic> {
    let mut best: Option<(i32, &'static Mechanic)> = None;
    for m in MECHANICS {
        let s = score(norm, m);
        if s > 0 && best.is_none_or(|(b, _)| s > b) {
            best = Some((s, m));
        }
    }
    best.map(|(_, m)| m)
}
