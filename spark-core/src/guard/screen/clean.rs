//! Unicode clean-up of a prompt: characters that hide text from a human reader are removed and
//! the rest is NFKC-normalised, so the detectors and the model read what a reviewer would see.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// What cleaning changed.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Cleaned {
    /// The cleaned prompt.
    pub text: String,
    /// Control characters removed (tab, CR and LF are kept).
    pub controls: usize,
    /// Bidi controls removed.
    pub bidi: usize,
    /// Zero-width and other invisible format characters removed.
    pub invisible: usize,
    /// Unicode tag characters removed; they spell ASCII invisibly.
    pub tags: usize,
    /// The ASCII text the tag characters spelled (capped), screened on its own.
    pub tag_text: String,
    /// Whether NFKC changed anything.
    pub normalized: bool,
}

impl Cleaned {
    /// Characters removed in all.
    pub fn removed(&self) -> usize {
        self.controls + self.bidi + self.invisible + self.tags
    }
}

/// Longest hidden tag text kept for screening.
const MAX_TAG_TEXT: usize = 4096;

enum Kind {
    Keep,
    Control,
    Bidi,
    Invisible,
    Tag(Option<char>),
}

fn kind(c: char) -> Kind {
    match c {
        '\t' | '\n' | '\r' => Kind::Keep,
        c if c.is_control() => Kind::Control,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
            Kind::Bidi
        }
        '\u{00AD}'
        | '\u{034F}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{17B4}'
        | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200D}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{2060}'..='\u{2064}'
        | '\u{206A}'..='\u{206F}'
        | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0100}'..='\u{E01EF}' => Kind::Invisible,
        '\u{E0000}'..='\u{E007F}' => {
            let ascii = (c as u32 - 0xE0000) as u8;
            Kind::Tag((0x20..0x7F).contains(&ascii).then_some(ascii as char))
        }
        _ => Kind::Keep,
    }
}

/// Cleans `prompt`; `None` when there is nothing to change (the common, all-ASCII case costs one
/// pass over the bytes). NFKC can expand text (one character up to 18): a result longer than
/// `max_bytes` is `Err(size so far)`.
pub(crate) fn clean(prompt: &str, max_bytes: usize) -> Option<Result<Cleaned, usize>> {
    let plain = |b: u8| (0x20..0x7F).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r');
    if prompt.bytes().all(plain) {
        return None;
    }
    let mut out = Cleaned { text: String::with_capacity(prompt.len()), ..Default::default() };
    for c in prompt.chars() {
        match kind(c) {
            Kind::Keep => out.text.push(c),
            Kind::Control => out.controls += 1,
            Kind::Bidi => out.bidi += 1,
            Kind::Invisible => out.invisible += 1,
            Kind::Tag(ascii) => {
                out.tags += 1;
                if let Some(a) = ascii
                    && out.tag_text.len() < MAX_TAG_TEXT
                {
                    out.tag_text.push(a);
                }
            }
        }
    }
    if is_nfkc_quick(out.text.chars()) != IsNormalized::Yes {
        let mut normalized = String::with_capacity(out.text.len());
        for c in out.text.nfkc().filter(|c| matches!(kind(*c), Kind::Keep)) {
            normalized.push(c);
            if normalized.len() > max_bytes {
                return Some(Err(normalized.len()));
            }
        }
        if normalized != out.text {
            out.normalized = true;
            out.text = normalized;
        }
    }
    (out.removed() > 0 || out.normalized).then_some(Ok(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(s: &str) -> Option<Cleaned> {
        super::clean(s, 1 << 20).map(Result::unwrap)
    }

    #[test]
    fn plain_text_is_untouched() {
        assert_eq!(clean("a door that opens\twhen\r\nthe player is near"), None);
        assert_eq!(clean("une porte qui s'ouvre à l'approche du joueur"), None);
    }

    #[test]
    fn hidden_characters_are_removed_and_counted() {
        let c = clean("ig\u{200B}nore\u{202E}txt\u{0007} rules\u{E0041}\u{E0042}").unwrap();
        assert_eq!(c.text, "ignoretxt rules");
        assert_eq!((c.invisible, c.bidi, c.controls, c.tags), (1, 1, 1, 2));
        assert_eq!(c.tag_text, "AB");
    }

    #[test]
    fn compatibility_forms_are_folded() {
        let c = clean("ｉｇｎｏｒｅ ﬁle").unwrap();
        assert_eq!(c.text, "ignore file");
        assert!(c.normalized);
        assert_eq!(c.removed(), 0);
    }

    #[test]
    fn expansion_is_bounded() {
        let wide = "\u{FDFA}".repeat(100);
        assert!(matches!(super::clean(&wide, 1000), Some(Err(n)) if n > 1000));
        assert!(matches!(super::clean(&wide, 1 << 20), Some(Ok(_))));
    }
}
