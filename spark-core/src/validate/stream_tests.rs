//! Streamed validation must give exactly what a validation of the finished reply gives.

use super::*;
use crate::validate::{ProjectFile, validate_project, validate_source};

/// Every `.cs` of the valid and post-C#-9 fixture folders, plus the bench script.
fn fixtures() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let mut out = Vec::new();
    for dir in ["valid", "post9", "bench"] {
        let mut paths: Vec<_> =
            std::fs::read_dir(root.join(dir)).unwrap().flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "cs")) {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            out.push((name, std::fs::read_to_string(&p).unwrap()));
        }
    }
    out
}

/// A small deterministic generator, so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// `text` in pieces of 1 to `max` bytes, cut on character boundaries.
fn pieces<'t>(text: &'t str, rng: &mut Rng, max: usize) -> Vec<&'t str> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let mut end = (at + 1 + rng.below(max)).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[at..end]);
        at = end;
    }
    out
}

fn streamed(reply: &str, rng: &mut Rng, max: usize) -> (Vec<ScriptFile>, Vec<Diagnostic>) {
    let mut v = StreamingValidation::new(ValidationConfig::default());
    for p in pieces(reply, rng, max) {
        v.push(p);
    }
    v.finish()
}

/// The same file with a real error: a `;` or `}` removed somewhere.
fn broken(text: &str, rng: &mut Rng) -> String {
    let cuts: Vec<usize> = text.match_indices([';', '}']).map(|(i, _)| i).collect();
    if cuts.is_empty() {
        return text.to_string();
    }
    let at = cuts[rng.below(cuts.len())];
    format!("{}{}", &text[..at], &text[at + 1..])
}

#[test]
fn streamed_validation_equals_validate_source() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let cfg = ValidationConfig::default();
    let (mut checked, mut with_errors) = (0, 0);
    for (i, (name, text)) in fixtures().iter().enumerate() {
        let body = if i % 2 == 0 { broken(text, &mut rng) } else { text.clone() };
        // Prose after the fence, the fence last, and a reply cut off inside the block.
        let tail = ["\nThat is all: attach it to a GameObject.\n", "", "\n"][i % 3];
        let reply = format!("### {name}\n```csharp\n{body}```{tail}");
        let max = [1, 7, 50, 200, 4096][i % 5];
        let (files, diags) = streamed(&reply, &mut rng, max);
        assert_eq!(files.len(), 1, "{name}");
        let expected = validate_source(&files[0].content, &files[0].path, &cfg);
        assert_eq!(diags, expected, "{name}, pieces of up to {max} bytes");
        with_errors += usize::from(expected.iter().any(|d| d.rule.starts_with("SPK000")));
        checked += 1;
        // Truncated mid-block: the open block's tree is the head start.
        let cut = reply.len() * 2 / 3;
        let cut = (cut..reply.len()).find(|&c| reply.is_char_boundary(c)).unwrap_or(reply.len());
        let (files, diags) = streamed(&reply[..cut], &mut rng, max);
        if let Some(f) = files.first() {
            assert_eq!(diags, validate_source(&f.content, &f.path, &cfg), "{name} truncated");
        }
    }
    assert!(checked >= 100, "only {checked} fixtures");
    assert!(with_errors >= 15, "only {with_errors} broken fixtures gave a syntax error");
}

#[test]
fn several_blocks_are_validated_as_one_project() {
    let all = fixtures();
    let mut rng = Rng(42);
    for (k, group) in all.chunks(3).enumerate().take(20) {
        let mut reply = String::from("Here are the scripts.\n\n");
        for (name, text) in group {
            reply.push_str(&format!(
                "### {name}\n```csharp\n{text}```\n\nAnd then:\n\n```json\n{{\"a\": 1}}\n```\n"
            ));
        }
        // The same type twice (SPK1027) in every other reply.
        if k % 2 == 0 {
            reply.push_str(&format!("```csharp\n{}```\n", group[0].1));
        }
        let (files, diags) = streamed(&reply, &mut rng, 1 + k * 10);
        let project: Vec<ProjectFile> = files.iter().map(|f| ProjectFile::new(&f.path, &f.content)).collect();
        assert_eq!(diags, validate_project(&project, &[], &ValidationConfig::default()), "group {k}");
        assert_eq!(files, crate::extract::extract_files(&reply));
        if k % 2 == 0 {
            assert!(diags.iter().any(|d| d.rule == "SPK1027"), "group {k}: {diags:?}");
        }
    }
}

#[test]
fn oversized_replies_are_evaluated_at_the_end() {
    let line = "    public int field0 = 0; // some padding to make the file long enough\n";
    let body: String = (0..MAX_STREAMED_BYTES / line.len() + 10).map(|_| line).collect();
    let reply = format!("```csharp\npublic class Big {{\n{body}}}\n```\n");
    let (files, diags) = streamed(&reply, &mut Rng(7), 300);
    assert_eq!(diags, validate_source(&files[0].content, &files[0].path, &ValidationConfig::default()));
}

#[test]
fn the_work_is_done_before_the_closing_fence() {
    let (name, text) = fixtures().into_iter().find(|(n, _)| n == "ThirdPersonCharacter.cs").unwrap();
    let reply = format!("### {name}\n```csharp\n{text}```\nAttach it.\n");
    let fence = reply.rfind("```").unwrap();
    let mut v = StreamingValidation::new(ValidationConfig::default());
    for p in pieces(&reply[..fence], &mut Rng(3), 50) {
        v.push(p);
    }
    // The block is still open, yet its last `}` left it whole: evaluated already.
    let (files, diags) = v.speculation.clone().expect("evaluated before the fence");
    assert!(v.block.as_ref().is_some_and(|b| b.early == 1));
    v.push(&reply[fence..]);
    assert_eq!(v.speculation.as_ref().map(|(f, _)| f), Some(&files));
    assert_eq!(v.finish(), (files, diags));
    // A broken file is not evaluated early: its text does not parse cleanly.
    let mut v = StreamingValidation::new(ValidationConfig::default());
    v.push(&reply[..fence].replacen(';', "", 1));
    assert!(v.speculation.is_none());
}
