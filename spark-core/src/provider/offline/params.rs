//! Values a request states ("every 3 seconds", "counts down from 60", "double jump", "press E",
//! "tagged Enemy") that become the defaults of the templates' serialized fields.

use std::collections::BTreeMap;

/// Parameters found in a request, by placeholder name (`INTERVAL`, `DURATION`, `KEY`, ...).
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Params {
    numbers: BTreeMap<&'static str, f64>,
    words: BTreeMap<&'static str, String>,
}

/// Key names a request may use, with their `KeyCode` member.
const KEYS: &[(&str, &str)] = &[
    ("space", "Space"),
    ("spacebar", "Space"),
    ("escape", "Escape"),
    ("esc", "Escape"),
    ("tab", "Tab"),
    ("enter", "Return"),
    ("return", "Return"),
    ("shift", "LeftShift"),
    ("ctrl", "LeftControl"),
    ("control", "LeftControl"),
    ("alt", "LeftAlt"),
    ("backspace", "Backspace"),
];

/// Largest number taken from a request: beyond it the value is surely not a field default.
const MAX_VALUE: f64 = 1_000_000.0;

impl Params {
    /// Reads the parameters of a normalized request (see `matcher::normalize`) whose original
    /// text is `raw` (for the case of tag names).
    pub(super) fn read(norm: &str, raw: &str) -> Params {
        let words: Vec<&str> = norm.split(' ').filter(|w| !w.is_empty()).collect();
        let raw_words: Vec<&str> =
            raw.split(|c: char| !c.is_alphanumeric() && c != '_').filter(|w| !w.is_empty()).collect();
        let mut p = Params::default();
        if norm.contains(" explod") {
            // "explodes on impact": a blast radius instead of a direct hit.
            p.set("RADIUS", 3.0);
        }
        let at = |i: usize| words.get(i).copied().unwrap_or("");
        for (i, &w) in words.iter().enumerate() {
            if let Some(n) = number(w) {
                let next = at(i + 1);
                let prev = at(i.wrapping_sub(1));
                let seconds = match next {
                    "second" | "seconds" | "sec" | "secs" | "s" => Some(n),
                    "minute" | "minutes" | "min" | "mins" => Some(n * 60.0),
                    _ => None,
                };
                if let Some(s) = seconds {
                    if prev == "every" || at(i.wrapping_sub(2)) == "every" {
                        p.set("INTERVAL", s);
                    } else {
                        p.set("DURATION", s);
                    }
                }
                match prev {
                    "from" => p.set("DURATION", n),
                    "every" if seconds.is_none() => p.set("INTERVAL", n),
                    "speed" | "of" if at(i.wrapping_sub(2)) == "speed" || prev == "speed" => {
                        p.set("SPEED", n)
                    }
                    _ => {}
                }
                match next {
                    "wave" | "waves" => p.set("WAVES", n),
                    "slot" | "slots" => p.set("SLOTS", n),
                    "hp" | "health" | "hitpoints" | "lives" => p.set("HEALTH", n),
                    "damage" | "dmg" => p.set("DAMAGE", n),
                    "degrees" | "degree" => p.set("ANGLE", n),
                    "meters" | "metres" | "m" | "units" | "unit" => p.set("RANGE", n),
                    "enemies" | "bullets" | "objects" | "items" | "projectiles" | "coins" | "copies" => {
                        p.set("COUNT", n)
                    }
                    _ => {}
                }
                if (prev == "of" || prev == "size") && matches!(at(i.wrapping_sub(2)), "pool" | "size") {
                    p.set("COUNT", n);
                }
                if prev == "health" || (prev == "of" && at(i.wrapping_sub(2)) == "health") {
                    p.set("HEALTH", n);
                }
            }
            match w {
                "double" if at(i + 1) == "jump" => p.set("JUMPS", 2.0),
                "triple" if at(i + 1) == "jump" => p.set("JUMPS", 3.0),
                "doublejump" => p.set("JUMPS", 2.0),
                "press" | "presses" | "pressing" | "pressed" | "hold" | "holds" | "key" => {
                    let k = if at(i + 1) == "the" { at(i + 2) } else { at(i + 1) };
                    p.key(k);
                }
                _ => {}
            }
            if at(i + 1) == "key" || at(i + 1) == "button" {
                p.key(w);
            }
            if matches!(w, "tagged" | "tag") {
                // The tag keeps the case the request wrote it in.
                let next = at(i + 1);
                if let Some(orig) = raw_words.iter().find(|r| r.to_lowercase() == next)
                    && orig.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && orig.len() <= 32
                    && !matches!(next, "the" | "a" | "an")
                {
                    p.words.entry("TAG").or_insert_with(|| capitalized(orig));
                }
            }
        }
        p
    }

    fn set(&mut self, name: &'static str, value: f64) {
        // Counts and maxima below these would divide by zero or do nothing at all.
        let least = match name {
            "HEALTH" | "SLOTS" | "WAVES" | "COUNT" | "JUMPS" => 1.0,
            "INTERVAL" | "SPEED" => 0.01,
            _ => 0.0,
        };
        // The first mention wins: "every 3 seconds for 60 seconds" keeps both apart by kind.
        self.numbers.entry(name).or_insert(value.clamp(least, MAX_VALUE));
    }

    fn key(&mut self, word: &str) {
        let code = if let Some((_, code)) = KEYS.iter().find(|(k, _)| *k == word) {
            (*code).to_string()
        } else if word.len() == 1 && word.chars().all(|c| c.is_ascii_alphabetic()) {
            word.to_ascii_uppercase()
        } else if word.len() == 1 && word.chars().all(|c| c.is_ascii_digit()) {
            format!("Alpha{word}")
        } else {
            return;
        };
        self.words.entry("KEY").or_insert(code);
    }

    /// A number placeholder's value, if the request gave one.
    pub(super) fn number(&self, name: &str) -> Option<f64> {
        self.numbers.get(name).copied()
    }

    /// A word placeholder's value (`KEY`, `TAG`), if the request gave one.
    pub(super) fn word(&self, name: &str) -> Option<&str> {
        self.words.get(name).map(String::as_str)
    }
}

fn number(w: &str) -> Option<f64> {
    let digits = w.chars().filter(char::is_ascii_digit).count();
    let shape = w.chars().all(|c| c.is_ascii_digit() || c == '.') && w.matches('.').count() <= 1;
    if digits == 0 || digits > 9 || !shape {
        return None;
    }
    w.parse().ok().filter(|v: &f64| v.is_finite())
}

fn capitalized(w: &str) -> String {
    let mut c = w.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::matcher::normalize;
    use super::*;

    fn read(s: &str) -> Params {
        Params::read(&normalize(s), s)
    }

    #[test]
    fn numbers_keys_and_tags_are_read() {
        let p = read("a spawner that spawns enemies every 3 seconds");
        assert_eq!(p.number("INTERVAL"), Some(3.0));
        assert_eq!(p.number("DURATION"), None);
        assert_eq!(read("a timer that counts down from 60").number("DURATION"), Some(60.0));
        assert_eq!(read("a 2 minutes countdown").number("DURATION"), Some(120.0));
        assert_eq!(read("a controller with double jump").number("JUMPS"), Some(2.0));
        assert_eq!(read("press E to open").word("KEY"), Some("E"));
        assert_eq!(read("pause when the escape key is pressed").word("KEY"), Some("Escape"));
        assert_eq!(read("damage objects tagged enemy").word("TAG"), Some("Enemy"));
        assert_eq!(read("an enemy with 50 hp").number("HEALTH"), Some(50.0));
        assert_eq!(read("5 waves of 10 enemies").number("WAVES"), Some(5.0));
        assert_eq!(read("a pool of 20 bullets").number("COUNT"), Some(20.0));
        assert_eq!(read("9999999999 seconds").number("DURATION"), None, "too long to be a number");
        assert_eq!(read("every 99999999 seconds").number("INTERVAL"), Some(MAX_VALUE));
        assert_eq!(read("every 2.5 seconds").number("INTERVAL"), Some(2.5));
        assert_eq!(read("version 1.2.3 seconds").number("DURATION"), None, "not a number");
        assert_eq!(read("every 0 seconds").number("INTERVAL"), Some(0.01), "a zero interval would spin");
        assert_eq!(read("an enemy with 0 hp").number("HEALTH"), Some(1.0));
    }
}
