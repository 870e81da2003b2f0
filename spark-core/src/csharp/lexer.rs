//! The lexer: one pass over the bytes that skips comments, string and character literals
//! (interpolation holes included), records every preprocessor directive, and collects the
//! [`ScriptFacts`] export and extraction need.
//!
//! Iterative: interpolation holes and `#if` groups live on explicit stacks capped by
//! [`MAX_HOLE_DEPTH`] and [`MAX_IF_DEPTH`]; deeper input is still scanned in linear time, only
//! less precisely, and [`ScriptFacts::limited`] says so.

use super::{
    DirKind, Directive, MAX_HOLE_DEPTH, MAX_IF_DEPTH, PACKAGE_ASSEMBLIES, ScriptFacts, cond,
    is_ident_continue, is_ident_start, is_unity_object_base,
};

/// One open `#if` group, evaluated for a player build.
#[derive(Debug, Clone, Copy)]
struct Frame {
    /// The current branch is never compiled into a player.
    dead: bool,
    /// An earlier branch of the group is always taken in a player, so later ones are dead.
    taken: bool,
}

/// An open interpolation hole: the string to resume when its `}` comes.
#[derive(Debug, Clone, Copy)]
struct Hole {
    verbatim: bool,
    /// `{` opened inside the hole and not yet closed.
    braces: usize,
}

#[derive(Default)]
pub(super) struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
    pub facts: ScriptFacts,
    pub directives: Vec<Directive>,
    frames: Vec<Frame>,
    /// `#if` groups opened beyond [`MAX_IF_DEPTH`]: counted, not evaluated.
    excess_ifs: usize,
    /// How many open frames are dead (so "am I in dead code" costs nothing per identifier).
    dead_frames: usize,
    holes: Vec<Hole>,
    /// Only whitespace since the last newline: a `#` here starts a directive.
    line_start: bool,
    /// Byte offset where the current line begins.
    line_begin: usize,
    /// The dotted name being read (`UnityEngine.InputSystem.Keyboard`) while it can still lead
    /// to a name of interest (`live`); whether the last significant token was an identifier
    /// (`in_chain`) or the `.` after one (`after_dot`).
    chain: Vec<u8>,
    live: bool,
    in_chain: bool,
    after_dot: bool,
    /// Waiting for the name after `class` / `struct` / … (and after `record class`).
    want_type: bool,
    /// The type just declared, until its body opens; `in_bases` once its `:` base list started.
    declared: Option<String>,
    in_bases: bool,
}

impl<'a> Lexer<'a> {
    pub fn new(source: &'a str) -> Self {
        Lexer { s: source.as_bytes(), line_start: true, ..Lexer::default() }
    }

    fn peek(&self, k: usize) -> u8 {
        self.s.get(self.i + k).copied().unwrap_or(0)
    }

    fn guarded(&self) -> bool {
        self.dead_frames > 0
    }

    /// Lexes everything.
    pub fn run(mut self) -> Self {
        // A byte-order mark (editors on Windows write one) is not text: a `#if` right after it
        // still starts a line.
        if self.s.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.i = 3;
        }
        while self.i < self.s.len() {
            let c = self.s[self.i];
            match c {
                b'\n' => {
                    self.line_start = true;
                    self.i += 1;
                    self.line_begin = self.i;
                    continue;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => {
                    self.i += 1;
                    continue;
                }
                b'#' if self.line_start && self.holes.is_empty() => {
                    self.directive();
                    continue;
                }
                _ => {}
            }
            self.line_start = false;
            match c {
                b'/' if self.peek(1) == b'/' => self.skip_line(),
                b'/' if self.peek(1) == b'*' => self.skip_block_comment(),
                b'"' => {
                    self.end_chain();
                    self.string(false, false);
                }
                b'\'' => {
                    self.end_chain();
                    self.char_literal();
                }
                b'@' | b'$' if self.string_prefix().is_some() => {
                    self.end_chain();
                    let (len, verbatim, interpolated) = self.string_prefix().unwrap_or((1, false, false));
                    self.i += len - 1;
                    self.string(verbatim, interpolated);
                }
                b'.' if !self.peek(1).is_ascii_digit() => {
                    self.after_dot = self.in_chain;
                    self.in_chain = false;
                    self.i += 1;
                }
                b':' if self.declared.is_some() => {
                    self.end_chain();
                    self.in_bases = true;
                    self.i += 1;
                }
                b';' | b'(' => {
                    self.end_chain();
                    self.end_declaration();
                    self.i += 1;
                }
                b'{' => {
                    self.end_chain();
                    self.end_declaration();
                    if let Some(h) = self.holes.last_mut() {
                        h.braces += 1;
                    }
                    self.i += 1;
                }
                b'}' => {
                    self.end_chain();
                    self.i += 1;
                    match self.holes.last_mut() {
                        Some(h) if h.braces > 0 => h.braces -= 1,
                        Some(&mut h) => {
                            // The hole is closed: back to the string around it.
                            self.holes.pop();
                            self.string_body(h.verbatim, true);
                        }
                        None => {}
                    }
                }
                _ if is_ident_start(c) || (c == b'@' && is_ident_start(self.peek(1))) => self.ident(),
                _ => {
                    self.end_chain();
                    self.i += 1;
                }
            }
        }
        self
    }

    /// `@"`, `$"`, `$@"`, `@$"`, `$$"""`…: (prefix length including the quote, verbatim, interpolated).
    fn string_prefix(&self) -> Option<(usize, bool, bool)> {
        let (mut verbatim, mut interpolated) = (false, false);
        for k in 0..8 {
            match self.peek(k) {
                b'@' => verbatim = true,
                b'$' => interpolated = true,
                b'"' if k > 0 => return Some((k + 1, verbatim, interpolated)),
                _ => return None,
            }
        }
        None
    }

    fn ident(&mut self) {
        let start = self.i;
        if self.s[self.i] == b'@' {
            self.i += 1;
        }
        let word_start = self.i;
        while self.i < self.s.len() && is_ident_continue(self.s[self.i]) {
            self.i += 1;
        }
        let word = &self.s[word_start..self.i];
        let verbatim = word_start != start;
        if self.want_type && !verbatim && matches!(word, b"class" | b"struct") {
            // `record class Name`: keep waiting for the name.
        } else if self.want_type {
            self.want_type = false;
            let name = std::str::from_utf8(word).ok().map(str::to_string);
            if self.facts.first_type.is_none() {
                self.facts.first_type.clone_from(&name);
            }
            self.declared = name;
        } else if self.in_bases {
            if !verbatim && word == b"where" {
                self.end_declaration();
            } else if self.facts.unity_type.is_none() && is_unity_object_base(word) {
                self.facts.unity_type = self.declared.take();
                self.in_bases = false;
            }
        } else if !verbatim {
            self.want_type = matches!(word, b"class" | b"struct" | b"interface" | b"enum" | b"record");
        }
        if !verbatim && word == b"unsafe" && !self.guarded() {
            self.facts.uses_unsafe = true;
        }
        let continuing = self.after_dot;
        self.after_dot = false;
        self.in_chain = true;
        if !continuing {
            self.chain.clear();
            // Every name of interest starts with `U`, `T` or `C`: most chains die here.
            self.live = matches!(word.first(), Some(b'U' | b'T' | b'C'));
        }
        if self.live {
            if continuing {
                self.chain.push(b'.');
            }
            self.chain.extend_from_slice(word);
            self.check_chain();
        }
    }

    fn end_declaration(&mut self) {
        self.declared = None;
        self.in_bases = false;
    }

    fn check_chain(&mut self) {
        let chain = self.chain.as_slice();
        if matches!(chain, b"UnityEditor" | b"UnityEditorInternal") && !self.guarded() {
            self.facts.uses_editor = true;
        }
        if let Ok(k) = PACKAGE_ASSEMBLIES.binary_search_by(|(ns, _)| ns.as_bytes().cmp(chain)) {
            self.facts.references.insert(PACKAGE_ASSEMBLIES[k].1);
        }
        // Stop tracking a chain that no longer leads to a name of interest.
        let leads = |name: &[u8]| name.starts_with(chain) && name.get(chain.len()).is_none_or(|&b| b == b'.');
        self.live =
            leads(b"UnityEditorInternal") || PACKAGE_ASSEMBLIES.iter().any(|(ns, _)| leads(ns.as_bytes()));
    }

    fn end_chain(&mut self) {
        self.in_chain = false;
        self.after_dot = false;
    }

    fn skip_line(&mut self) {
        while self.i < self.s.len() && self.s[self.i] != b'\n' {
            self.i += 1;
        }
    }

    fn skip_block_comment(&mut self) {
        self.i += 2;
        while self.i < self.s.len() && !(self.s[self.i] == b'*' && self.peek(1) == b'/') {
            self.i += 1;
        }
        self.i = (self.i + 2).min(self.s.len());
    }

    fn char_literal(&mut self) {
        self.i += 1;
        let limit = (self.i + 12).min(self.s.len());
        while self.i < limit {
            match self.s[self.i] {
                b'\\' => self.i += 2,
                b'\'' => {
                    self.i += 1;
                    return;
                }
                b'\n' => return,
                _ => self.i += 1,
            }
        }
    }

    /// A string literal starting at its (first) opening quote.
    fn string(&mut self, verbatim: bool, interpolated: bool) {
        let quotes = self.s[self.i..].iter().take_while(|&&b| b == b'"').count();
        if quotes >= 3 {
            // Raw string literal: ends at the same number of quotes.
            self.i += quotes;
            while self.i < self.s.len() {
                if self.s[self.i] == b'"' {
                    let n = self.s[self.i..].iter().take_while(|&&b| b == b'"').count();
                    self.i += n;
                    if n >= quotes {
                        return;
                    }
                } else {
                    self.i += 1;
                }
            }
            return;
        }
        self.i += 1;
        self.string_body(verbatim, interpolated);
    }

    /// String content up to the closing quote, or up to an interpolation hole's `{`: then the
    /// hole is pushed and the main loop lexes its code until the matching `}`.
    fn string_body(&mut self, verbatim: bool, interpolated: bool) {
        while self.i < self.s.len() {
            match self.s[self.i] {
                b'\\' if !verbatim => self.i += 2,
                b'"' if verbatim && self.peek(1) == b'"' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return;
                }
                b'\n' if !verbatim => return,
                b'{' if interpolated && self.peek(1) == b'{' => self.i += 2,
                b'{' if interpolated && self.holes.len() < MAX_HOLE_DEPTH => {
                    self.i += 1;
                    self.holes.push(Hole { verbatim, braces: 0 });
                    return;
                }
                b'{' if interpolated => {
                    // Too deep: the hole is read as string text.
                    self.facts.limited = true;
                    self.i += 1;
                }
                _ => self.i += 1,
            }
        }
    }

    fn directive(&mut self) {
        self.end_chain();
        let line_begin = self.line_begin;
        let hash = self.i;
        self.skip_line();
        let line_end = (self.i + 1).min(self.s.len());
        let Some((kind, cond)) = parse_directive(self.s, hash + 1, self.i) else { return };
        self.directives.push(Directive { kind, cond, line: (line_begin, line_end) });
        let eval = || std::str::from_utf8(&self.s[cond.0..cond.1]).ok().and_then(cond::eval_player);
        match kind {
            DirKind::If if self.frames.len() >= MAX_IF_DEPTH => {
                self.facts.limited = true;
                self.excess_ifs += 1;
            }
            DirKind::If => {
                let c = eval();
                self.push_frame(Frame { dead: c == Some(false), taken: c == Some(true) });
            }
            _ if self.excess_ifs > 0 => {
                if kind == DirKind::Endif {
                    self.excess_ifs -= 1;
                }
            }
            DirKind::Elif => {
                let c = eval();
                if let Some(f) = self.pop_frame() {
                    self.push_frame(Frame {
                        dead: f.taken || c == Some(false),
                        taken: f.taken || c == Some(true),
                    });
                }
            }
            DirKind::Else => {
                if let Some(f) = self.pop_frame() {
                    self.push_frame(Frame { dead: f.taken, taken: f.taken });
                }
            }
            DirKind::Endif => {
                self.pop_frame();
            }
        }
    }

    fn push_frame(&mut self, f: Frame) {
        self.dead_frames += usize::from(f.dead);
        self.frames.push(f);
    }

    fn pop_frame(&mut self) -> Option<Frame> {
        let f = self.frames.pop()?;
        self.dead_frames -= usize::from(f.dead);
        Some(f)
    }
}

/// Reads the directive in `s[start..end]` (after the `#`): an `#if`, `#elif`, `#else` or
/// `#endif`, with the byte range of its condition (a trailing `//` comment excluded).
fn parse_directive(s: &[u8], start: usize, end: usize) -> Option<(DirKind, (usize, usize))> {
    let line = &s[start..end];
    let skip = line.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let body = &line[skip..];
    let (kind, word) = [
        (DirKind::Elif, &b"elif"[..]),
        (DirKind::Else, b"else"),
        (DirKind::Endif, b"endif"),
        (DirKind::If, b"if"),
    ]
    .into_iter()
    .find(|(_, w)| body.starts_with(w))?;
    if body.get(word.len()).is_some_and(|&c| is_ident_continue(c)) {
        return None;
    }
    let cond_start = start + skip + word.len();
    let rest = &s[cond_start..end];
    let cut = rest.windows(2).position(|w| w == b"//").unwrap_or(rest.len());
    let trimmed = rest[..cut].iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |p| p + 1);
    let lead = rest[..trimmed].iter().take_while(|b| b.is_ascii_whitespace()).count();
    Some((kind, (cond_start + lead, cond_start + trimmed)))
}
