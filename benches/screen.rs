//! Prompt screening cost.
//!
//! - `screen/1kb_ascii`, `screen/1kb_unicode`: `ScreenGuard::screen` alone on a 1 KB request
//!   (the second with accents, typographic quotes and a zero-width space, so NFKC runs).
//! - `cache_hit_1kb/screen_off` vs `cache_hit_1kb/screen_on`: `Spark::generate` answered from
//!   the result memo for the same 1 KB prompt, without and with the screening guard; the
//!   difference is what screening adds to a request. Goal < 20 µs.
//!
//! Run: `cargo bench -p spark-core --bench screen`

use std::hint::black_box;

use criterion::Criterion;
use spark_core::{GenerateRequest, ScreenConfig, ScreenGuard, Spark, SparkConfig};

mod support;
use support::Fixed;

const REPLY: &str = "### Spin.cs\n```csharp\nusing UnityEngine;\n\npublic class Spin : MonoBehaviour\n{\n    [SerializeField] private float speed = 90f;\n\n    private void Update()\n    {\n        transform.Rotate(0f, speed * Time.deltaTime, 0f);\n    }\n}\n```\n";

/// A realistic request, repeated to 1 KB.
fn prompt_1kb(unicode: bool) -> String {
    let base = if unicode {
        "A third-person controller with double jump, coyote time and a “dash” that the player can rebind; the camera orbits smoothly, avoids walls, and zooms out while sprinting\u{200B}. Café-style UI for the stamina bar. "
    } else {
        "A third-person controller with double jump, coyote time and a dash that the player can rebind; the camera orbits smoothly, avoids walls, and zooms out while sprinting. Show stamina in a UI bar. "
    };
    let mut p = String::new();
    while p.len() < 1024 {
        p.push_str(base);
    }
    p.truncate(p.char_indices().map(|(i, _)| i).take_while(|i| *i <= 1024).last().unwrap_or(0));
    p
}

fn config(screen: bool) -> SparkConfig {
    let mut c = SparkConfig::default();
    c.rate_limit.enabled = false;
    c.repair.max_rounds = 0;
    c.screen.enabled = screen;
    c
}

fn screen_alone(c: &mut Criterion) {
    let guard = ScreenGuard::new(ScreenConfig::default(), 1 << 20).unwrap();
    for (name, unicode) in [("screen/1kb_ascii", false), ("screen/1kb_unicode", true)] {
        let p = prompt_1kb(unicode);
        assert!(guard.screen(&p).unwrap().blocked().is_none());
        c.bench_function(name, |b| b.iter(|| black_box(guard.screen(black_box(&p)).unwrap())));
    }
}

fn cache_hit(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let req = GenerateRequest::new(prompt_1kb(false)).caller("bench");
    for (name, screen) in [("cache_hit_1kb/screen_off", false), ("cache_hit_1kb/screen_on", true)] {
        let spark = Spark::builder().config(config(screen)).provider(Fixed(REPLY)).build().unwrap();
        rt.block_on(spark.generate(req.clone())).unwrap();
        c.bench_function(name, |b| {
            b.iter(|| black_box(rt.block_on(spark.generate(black_box(req.clone()))).unwrap()))
        });
        assert!(spark.cache_stats().hits > 0);
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    screen_alone(&mut c);
    cache_hit(&mut c);
    c.final_summary();
}
