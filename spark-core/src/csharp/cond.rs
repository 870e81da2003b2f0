//! `#if` / `#elif` conditions, evaluated for a player build.
//!
//! Iterative (operator-precedence with explicit stacks): `#if` followed by 100,000 `(` costs
//! linear time and heap, never stack.

use super::MAX_CONDITION_BYTES;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Sym(Option<bool>),
    Not,
    And,
    Or,
    Eq,
    Ne,
    Open,
    Close,
}

impl Tok {
    /// Binding strength of an operator on the stack (`!` binds tightest).
    fn prec(self) -> u8 {
        match self {
            Tok::Or => 1,
            Tok::And => 2,
            Tok::Eq | Tok::Ne => 3,
            Tok::Not => 4,
            _ => 0,
        }
    }
}

/// Evaluates a condition for a player build: `UNITY_EDITOR` and every `UNITY_EDITOR_*` symbol
/// (`UNITY_EDITOR_WIN`, `UNITY_EDITOR_64`…: only ever defined in the editor) are false, `true`
/// and `false` are themselves, every other symbol is unknown (`None`). A malformed condition, or
/// one longer than [`MAX_CONDITION_BYTES`], is unknown too.
pub(crate) fn eval_player(expr: &str) -> Option<bool> {
    eval_with(expr, &player_symbol)
}

/// Evaluates a condition with `symbol` giving each symbol's value (`None`: unknown). `true` and
/// `false` are themselves whatever `symbol` says; a malformed condition, or one longer than
/// [`MAX_CONDITION_BYTES`], is unknown.
pub(crate) fn eval_with(expr: &str, symbol: &dyn Fn(&str) -> Option<bool>) -> Option<bool> {
    if expr.len() > MAX_CONDITION_BYTES {
        return None;
    }
    let tokens = tokenize(expr, symbol)?;
    let mut vals: Vec<Option<bool>> = Vec::new();
    let mut ops: Vec<Tok> = Vec::new();
    let mut want_operand = true;
    for t in tokens {
        match (want_operand, t) {
            (true, Tok::Sym(v)) => {
                vals.push(v);
                want_operand = false;
            }
            (true, Tok::Not | Tok::Open) => ops.push(t),
            (false, Tok::Close) => loop {
                match ops.pop()? {
                    Tok::Open => break,
                    op => apply(op, &mut vals)?,
                }
            },
            (false, Tok::And | Tok::Or | Tok::Eq | Tok::Ne) => {
                while let Some(&top) = ops.last() {
                    if top == Tok::Open || top.prec() < t.prec() {
                        break;
                    }
                    ops.pop();
                    apply(top, &mut vals)?;
                }
                ops.push(t);
                want_operand = true;
            }
            _ => return None,
        }
    }
    if want_operand {
        return None;
    }
    while let Some(op) = ops.pop() {
        if op == Tok::Open {
            return None;
        }
        apply(op, &mut vals)?;
    }
    if vals.len() == 1 { vals.pop()? } else { None }
}

/// Applies `op` to the operand stack; `None` when operands are missing (malformed input).
fn apply(op: Tok, vals: &mut Vec<Option<bool>>) -> Option<()> {
    let r = vals.pop()?;
    let v = if op == Tok::Not {
        r.map(|v| !v)
    } else {
        let l = vals.pop()?;
        match op {
            Tok::Or => match (l, r) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Tok::And => match (l, r) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Tok::Eq | Tok::Ne => match (l, r) {
                (Some(a), Some(b)) => Some((a == b) != (op == Tok::Ne)),
                _ => None,
            },
            _ => return None,
        }
    };
    vals.push(v);
    Some(())
}

fn tokenize(s: &str, symbol: &dyn Fn(&str) -> Option<bool>) -> Option<Vec<Tok>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let two = b.get(i..i + 2);
        let (tok, len) = match b[i] {
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'(' => (Tok::Open, 1),
            b')' => (Tok::Close, 1),
            b'!' if two == Some(b"!=") => (Tok::Ne, 2),
            b'!' => (Tok::Not, 1),
            b'&' if two == Some(b"&&") => (Tok::And, 2),
            b'|' if two == Some(b"||") => (Tok::Or, 2),
            b'=' if two == Some(b"==") => (Tok::Eq, 2),
            c if super::is_ident_start(c) => {
                let start = i;
                while i < b.len() && super::is_ident_continue(b[i]) {
                    i += 1;
                }
                let word = &s[start..i];
                out.push(Tok::Sym(match word {
                    "true" => Some(true),
                    "false" => Some(false),
                    w => symbol(w),
                }));
                continue;
            }
            _ => return None,
        };
        out.push(tok);
        i += len;
    }
    Some(out)
}

fn player_symbol(word: &str) -> Option<bool> {
    is_editor_symbol(word).then_some(false)
}

/// `UNITY_EDITOR` and the `UNITY_EDITOR_*` family, only ever defined in the editor.
pub(crate) fn is_editor_symbol(word: &str) -> bool {
    word == "UNITY_EDITOR" || word.starts_with("UNITY_EDITOR_")
}

/// Unity's build-target symbols and the targets each is defined on. A player is built for one
/// target, so at most one family holds at a time (`UNITY_IOS` and `UNITY_ANDROID` never both);
/// `UNITY_STANDALONE` and `UNITY_GAMECORE` cover their sub-targets. Source: the Unity Manual,
/// "Conditional compilation" (platform #define directives).
const PLATFORMS: &[(&str, &[&str])] = &[
    ("UNITY_STANDALONE", &["win", "osx", "linux"]),
    ("UNITY_STANDALONE_WIN", &["win"]),
    ("UNITY_STANDALONE_OSX", &["osx"]),
    ("UNITY_STANDALONE_LINUX", &["linux"]),
    ("UNITY_IOS", &["ios"]),
    ("UNITY_IPHONE", &["ios"]),
    ("UNITY_ANDROID", &["android"]),
    ("UNITY_TVOS", &["tvos"]),
    ("UNITY_VISIONOS", &["visionos"]),
    ("UNITY_WEBGL", &["webgl"]),
    ("UNITY_WSA", &["wsa"]),
    ("UNITY_WSA_10_0", &["wsa"]),
    ("UNITY_PS4", &["ps4"]),
    ("UNITY_PS5", &["ps5"]),
    ("UNITY_XBOXONE", &["xboxone"]),
    ("UNITY_GAMECORE", &["gamecore_series", "gamecore_one"]),
    ("UNITY_GAMECORE_XBOXSERIES", &["gamecore_series"]),
    ("UNITY_GAMECORE_XBOXONE", &["gamecore_one"]),
    ("UNITY_SWITCH", &["switch"]),
    ("UNITY_EMBEDDED_LINUX", &["embedded_linux"]),
    ("UNITY_QNX", &["qnx"]),
];

/// The build targets on which `word` is defined, when it is a build-target symbol.
pub(crate) fn platform_targets(word: &str) -> Option<&'static [&'static str]> {
    PLATFORMS.iter().find(|(s, _)| *s == word).map(|(_, t)| *t)
}

/// The symbols a condition names (`true` and `false` excluded), in order, without evaluating.
pub(crate) fn symbols(expr: &str) -> impl Iterator<Item = &str> {
    let b = expr.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            if super::is_ident_start(b[i]) {
                let start = i;
                while i < b.len() && super::is_ident_continue(b[i]) {
                    i += 1;
                }
                match &expr[start..i] {
                    "true" | "false" => continue,
                    w => return Some(w),
                }
            }
            i += 1;
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn player_evaluation() {
        let cases = [
            ("UNITY_EDITOR", Some(false)),
            (" UNITY_EDITOR", Some(false)),
            ("!UNITY_EDITOR", Some(true)),
            ("!!UNITY_EDITOR", Some(false)),
            ("UNITY_EDITOR_WIN", Some(false)),
            ("UNITY_EDITOR_WIN || UNITY_EDITOR_OSX", Some(false)),
            ("UNITY_EDITORX", None),
            ("UNITY_EDITOR && DEBUG", Some(false)),
            ("UNITY_EDITOR || DEBUG", None),
            ("(UNITY_EDITOR)", Some(false)),
            ("DEVELOPMENT_BUILD", None),
            ("DEBUG", None),
            ("UNITY_EDITOR == false", Some(true)),
            ("UNITY_EDITOR != false", Some(false)),
            ("!(DEBUG || true) || UNITY_EDITOR", Some(false)),
            ("true || false && false", Some(true)),
            ("(true || false) && false", Some(false)),
            ("!true == false", Some(true)),
            ("(UNITY_EDITOR", None),
            ("UNITY_EDITOR)", None),
            ("UNITY_EDITOR &&", None),
            ("&& UNITY_EDITOR", None),
            ("()", None),
            ("", None),
            ("A B", None),
            ("a + b", None),
        ];
        for (expr, want) in cases {
            assert_eq!(eval_player(expr), want, "{expr:?}");
        }
    }

    #[test]
    fn deep_nesting_is_linear_and_stackless() {
        let deep = format!("{}UNITY_EDITOR{}", "(".repeat(3000), ")".repeat(3000));
        let bangs = format!("{}UNITY_EDITOR", "!".repeat(3001));
        let open = "(".repeat(100_000);
        let run = move || (eval_player(&deep), eval_player(&bangs), eval_player(&open));
        let got = std::thread::Builder::new().stack_size(64 * 1024).spawn(run).unwrap().join().unwrap();
        assert_eq!(got, (Some(false), Some(true), None));
    }
}
