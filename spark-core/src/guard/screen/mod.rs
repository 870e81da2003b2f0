//! Prompt screening, the built-in guard `screen`: Unicode clean-up (the cleaned prompt is what
//! the model sees), prompt-injection detectors and a content filter, each finding a [`Verdict`]
//! with a score, the matched span and the action its policy gives.
//!
//! Verdicts of the injection detectors carry the guard name `prompt_injection`, those of the
//! content filter `content`; a blocking one becomes `InputRejected` naming guard and detector.
//! Everything runs in time linear in the prompt: one `regex` set pass, one Aho-Corasick pass for
//! the word lists and one scan for encoded runs.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use async_trait::async_trait;

use super::{Guard, GuardInput, Rewrite};
use crate::error::{Error, Result};
use crate::result::{GuardAction, Verdict};

mod clean;
mod config;
mod encoded;
mod intent;
mod rules;

pub use config::ScreenConfig;

use rules::{COMPILED, RULES};

/// Guard name of the prompt-injection detectors' verdicts.
pub const INJECTION_GUARD: &str = "prompt_injection";
/// Guard name of the content filter's verdicts.
pub const CONTENT_GUARD: &str = "content";

/// Longest excerpt of the prompt quoted in a verdict, in characters.
const EXCERPT_CHARS: usize = 60;

/// The built-in screening guard (see the module documentation).
#[derive(Debug)]
pub struct ScreenGuard {
    config: ScreenConfig,
    words: Option<Words>,
    max_bytes: usize,
}

#[derive(Debug)]
struct Words {
    matcher: AhoCorasick,
    /// Patterns below this index are block words, the rest warn words.
    blocks: usize,
}

/// A prompt after screening: the cleaned text and every verdict, blocking ones included.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Screened {
    /// The prompt the model would see.
    pub prompt: String,
    /// What the detectors found, at or above their thresholds, with their actions.
    pub verdicts: Vec<Verdict>,
}

impl Screened {
    /// The first blocking verdict, if any.
    pub fn blocked(&self) -> Option<&Verdict> {
        self.verdicts.iter().find(|v| v.action == GuardAction::Block)
    }
}

impl ScreenGuard {
    /// A guard under `config`; a cleaned prompt may grow (NFKC) to at most `max_bytes`.
    pub fn new(config: ScreenConfig, max_bytes: usize) -> Result<Self> {
        config.validate()?;
        let words = if config.block_words.is_empty() && config.warn_words.is_empty() {
            None
        } else {
            let all = config.block_words.iter().chain(&config.warn_words).map(|w| w.trim());
            let matcher = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(all)
                .map_err(|e| Error::config("screen.block_words", e.to_string()))?;
            Some(Words { matcher, blocks: config.block_words.len() })
        };
        // Compile the shared rules now rather than on the first request.
        let _ = &COMPILED.set;
        intent::warm();
        Ok(ScreenGuard { config, words, max_bytes })
    }

    /// Screens `prompt` as a request would be: cleaned, then every detector on the result.
    pub fn screen(&self, prompt: &str) -> Result<Screened> {
        let mut verdicts = Vec::new();
        let cleaned = match self.clean(prompt)? {
            Some(rw) => {
                verdicts = rw.verdicts;
                rw.prompt
            }
            None => prompt.to_string(),
        };
        verdicts.extend(self.detect(&cleaned));
        Ok(Screened { prompt: cleaned, verdicts })
    }

    fn clean(&self, prompt: &str) -> Result<Option<Rewrite>> {
        if !self.config.normalize {
            return Ok(None);
        }
        let Some(c) = clean::clean(prompt, self.max_bytes) else { return Ok(None) };
        let c = c.map_err(|size| Error::InputTooLarge {
            what: "normalized prompt".into(),
            size,
            limit: self.max_bytes,
        })?;
        let mut verdicts = Vec::new();
        if c.removed() > 0 {
            // Tag characters spell text nobody sees; bidi controls reorder what a reviewer reads.
            let score = if c.tags > 0 {
                0.9
            } else if c.bidi > 0 {
                0.8
            } else {
                0.6
            };
            let message = format!(
                "removed {} hidden character(s): {} control, {} bidi, {} zero-width or invisible, {} tag",
                c.removed(),
                c.controls,
                c.bidi,
                c.invisible,
                c.tags
            );
            verdicts.extend(self.verdict(INJECTION_GUARD, "hidden_unicode", score, None, message, true));
        }
        if c.normalized {
            let message = "normalised compatibility characters (NFKC)".to_string();
            verdicts.extend(self.verdict(INJECTION_GUARD, "unicode_normalization", 0.2, None, message, true));
        }
        for mut v in self.detect_in(&c.tag_text, false) {
            v.message.push_str(" (in text hidden as Unicode tag characters)");
            v.span = None;
            verdicts.push(v);
        }
        Ok(Some(Rewrite::new(c.text, verdicts)))
    }

    /// Every detector on `text` (already cleaned).
    pub(crate) fn detect(&self, text: &str) -> Vec<Verdict> {
        self.detect_in(text, true)
    }

    fn detect_in(&self, text: &str, decode: bool) -> Vec<Verdict> {
        let mut verdicts = Vec::new();
        if text.is_empty() {
            return verdicts;
        }
        // Noisy-or per name: several independent signals of one detector add up.
        let mut hits: Vec<(&'static str, f32, f32, Range<usize>)> = Vec::new();
        let mut add =
            |name: &'static str, weight: f32, span: Range<usize>| match hits.iter_mut().find(|h| h.0 == name)
            {
                Some(h) => {
                    h.1 = 1.0 - (1.0 - h.1) * (1.0 - weight);
                    if weight > h.2 {
                        h.2 = weight;
                        h.3 = span;
                    }
                }
                None => hits.push((name, weight, weight, span)),
            };
        for i in COMPILED.set.matches(text.as_bytes()).iter() {
            let rule = &RULES[i];
            let Some(m) = COMPILED.each[i].find(text.as_bytes()) else { continue };
            add(rule.name, rule.weight, m.range());
        }
        for (name, weight, span) in intent::hits(text) {
            add(name, weight, span);
        }
        for (name, score, _, span) in hits {
            let guard = if rules::DETECTORS.iter().any(|(n, _)| *n == name) {
                INJECTION_GUARD
            } else {
                CONTENT_GUARD
            };
            let message = format!("matched {}", excerpt(text, &span));
            verdicts.extend(self.verdict(guard, name, score, Some(span), message, false));
        }
        if let Some(words) = &self.words {
            verdicts.extend(self.words(words, text));
        }
        if decode {
            for run in encoded::runs(text) {
                let message = format!(
                    "{} run of {} characters{}",
                    run.kind,
                    run.span.len(),
                    match &run.decoded {
                        Some(_) => " that decodes to text",
                        None => "",
                    }
                );
                verdicts.extend(self.verdict(
                    INJECTION_GUARD,
                    "encoded_payload",
                    run.score,
                    Some(run.span.clone()),
                    message,
                    false,
                ));
                if let Some(decoded) = &run.decoded {
                    for mut v in self.detect_in(decoded, false) {
                        v.message.push_str(&format!(" (inside the {} run)", run.kind));
                        v.span = Some((run.span.start, run.span.end));
                        verdicts.push(v);
                    }
                }
            }
        }
        verdicts
    }

    fn words(&self, words: &Words, text: &str) -> Vec<Verdict> {
        let bytes = text.as_bytes();
        let word_byte = |i: usize| bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        let mut out = Vec::new();
        let mut seen = [false; 2];
        for m in words.matcher.find_iter(text) {
            let whole = (m.start() == 0 || !word_byte(m.start() - 1)) && !word_byte(m.end());
            let block = m.pattern().as_usize() < words.blocks;
            if !whole || seen[block as usize] {
                continue;
            }
            seen[block as usize] = true;
            let name = if block { "block_words" } else { "warn_words" };
            let message = format!("listed word {}", excerpt(text, &m.range()));
            out.extend(self.verdict(CONTENT_GUARD, name, 1.0, Some(m.range()), message, false));
        }
        out
    }

    /// A verdict under the policy for `name`, or none when it is below its threshold (unless
    /// `always`: clean-up is reported whatever its score) or allowed.
    fn verdict(
        &self,
        guard: &str,
        name: &str,
        score: f32,
        span: Option<Range<usize>>,
        message: String,
        always: bool,
    ) -> Option<Verdict> {
        let action = self.config.action(name);
        if action == GuardAction::Allow || (!always && score < self.config.threshold(name)) {
            return None;
        }
        let v = Verdict::new(guard, name, score.clamp(0.0, 1.0), action, message);
        Some(match span {
            Some(s) => v.with_span(s.start, s.end),
            None => v,
        })
    }
}

/// `text[span]` quoted, shortened and with controls escaped.
fn excerpt(text: &str, span: &Range<usize>) -> String {
    let s = text.get(span.clone()).unwrap_or("");
    let mut short: String = s.chars().take(EXCERPT_CHARS).collect();
    if short.len() < s.len() {
        short.push('…');
    }
    format!("{short:?} at {}..{}", span.start, span.end)
}

#[async_trait]
impl Guard for ScreenGuard {
    fn name(&self) -> &str {
        "screen"
    }

    fn rewrite(&self, input: &GuardInput<'_>) -> Result<Option<Rewrite>> {
        self.clean(input.prompt)
    }

    async fn before(&self, input: &GuardInput<'_>) -> Result<Vec<Verdict>> {
        Ok(self.detect(input.prompt))
    }
}

#[cfg(test)]
mod tests;
