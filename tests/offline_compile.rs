//! The offline scaffold's scripts compile: Mono's `mcs` builds them against a compile-only
//! UnityEngine stand-in (tests/fixtures/unity-stub). Needs `mcs` (Debian package mono-mcs, which
//! scripts/setup.sh installs); without it the test fails under CI and is skipped locally.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use spark_core::provider::scaffold;

const PROMPTS: &[&str] = &[
    "a rotating pickup that plays a sound",
    "a third-person controller with double jump",
    "a first person player movement script",
    "a character controller with triple jump",
    "enemy health with damage and a death event",
    "a spawner that spawns enemies every 3 seconds",
    "a camera that follows the player smoothly",
    "a floating coin collectible",
    "a hovering platform that spins",
    "a sound emitter that plays audio",
    "a collectible gem with a pickup sound",
    "a player with health that can jump",
    "something completely different",
    "a door",
    "a door that opens when the player is near",
    "a light that turns on when the player comes close",
    "音乐 player",
    "a </summary> <b>tricky</b> & \"quoted\" request\nwith lines",
];

fn mcs_available() -> bool {
    Command::new("mcs").arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{:?} failed:\n{}{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn offline_scaffolds_compile_with_mcs() {
    if !mcs_available() {
        assert!(std::env::var_os("CI").is_none(), "mcs is required under CI (apt install mono-mcs)");
        eprintln!("skipped: mcs not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let stub = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/unity-stub/UnityEngine.cs");
    let stub_dll = dir.path().join("UnityEngine.dll");
    run(Command::new("mcs")
        .args(["-target:library", "-nowarn:0067,0414"])
        .arg(format!("-out:{}", stub_dll.display()))
        .arg(&stub));

    // One mcs run per distinct class name set keeps the test fast: group scripts into batches
    // whose class names do not collide.
    let mut batches: Vec<BTreeMap<String, String>> = Vec::new();
    for prompt in PROMPTS {
        let s = scaffold(prompt);
        let batch = match batches.iter_mut().find(|b| !b.contains_key(&s.class_name)) {
            Some(b) => b,
            None => {
                batches.push(BTreeMap::new());
                batches.last_mut().unwrap()
            }
        };
        batch.insert(s.class_name, s.source);
    }
    for (i, batch) in batches.iter().enumerate() {
        let sub = dir.path().join(format!("batch{i}"));
        std::fs::create_dir(&sub).unwrap();
        let mut cmd = Command::new("mcs");
        cmd.args(["-target:library", "-warnaserror+", "-nowarn:0414,0649"])
            .arg(format!("-r:{}", stub_dll.display()))
            .arg(format!("-out:{}", sub.join("Scripts.dll").display()));
        for (name, source) in batch {
            let path = sub.join(format!("{name}.cs"));
            std::fs::write(&path, source).unwrap();
            cmd.arg(path);
        }
        run(&mut cmd);
    }
}
