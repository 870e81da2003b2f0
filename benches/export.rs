//! Exporting 1,000 scripts (one in ten an editor script) with their `.meta` files, assembly
//! definitions and manifest, in each format. Goal: under 50 ms per export.
//!
//! Run: `cargo bench -p spark-core --bench export` (`SPARK_EXPORT_LEVEL=0..9` overrides the
//! default compression level 6, to see what compression costs).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use spark_core::ScriptFile;
use spark_core::export::{ExportConfig, ExportFormat, ImportLimits, export, import};

const SCRIPTS: usize = 1000;

fn script(i: usize) -> ScriptFile {
    let content = if i.is_multiple_of(10) {
        format!(
            "using UnityEditor;\nusing UnityEngine;\n\n[CustomEditor(typeof(Pickup{p}))]\npublic class Pickup{i}Editor : \
             Editor\n{{\n    public override void OnInspectorGUI()\n    {{\n        base.OnInspectorGUI();\n        if \
             (GUILayout.Button(\"Reset {i}\"))\n        {{\n            ((Pickup{p})target).ResetState();\n        }}\n    \
             }}\n}}\n",
            p = i + 1
        )
    } else {
        format!(
            "using UnityEngine;\n\n/// <summary>Pickup number {i}: rotates, bobs and plays a sound when \
             collected.</summary>\n[RequireComponent(typeof(AudioSource))]\npublic class Pickup{i} : MonoBehaviour\n{{\n    \
             [SerializeField] private float rotationSpeed = {speed}f;\n    [SerializeField] private float bobHeight = \
             0.25f;\n    [SerializeField] private AudioClip pickupSound;\n\n    private AudioSource audioSource;\n    \
             private Vector3 startPosition;\n\n    private void Awake()\n    {{\n        audioSource = \
             GetComponent<AudioSource>();\n        startPosition = transform.position;\n    }}\n\n    private void \
             Update()\n    {{\n        transform.Rotate(0f, rotationSpeed * Time.deltaTime, 0f);\n        \
             transform.position = startPosition + Vector3.up * Mathf.Sin(Time.time) * bobHeight;\n    }}\n\n    public \
             void ResetState() => transform.position = startPosition;\n\n    private void OnTriggerEnter(Collider \
             other)\n    {{\n        if (!other.CompareTag(\"Player\")) return;\n        \
             audioSource.PlayOneShot(pickupSound);\n        Destroy(gameObject, pickupSound != null ? \
             pickupSound.length : 0f);\n    }}\n}}\n",
            speed = 90 + i % 180
        )
    };
    ScriptFile {
        path: if i.is_multiple_of(10) {
            format!("Editor/Pickup{i}Editor.cs")
        } else {
            format!("Pickup{i}.cs")
        },
        content,
        raw_path: None,
    }
}

fn bench(c: &mut Criterion) {
    let files: Vec<ScriptFile> = (0..SCRIPTS).map(script).collect();
    let bytes: usize = files.iter().map(|f| f.content.len()).sum();
    let level = std::env::var("SPARK_EXPORT_LEVEL").ok().and_then(|l| l.parse().ok()).unwrap_or(6);
    let cfg = ExportConfig { compression_level: level, ..ExportConfig::default() };
    let mut group = c.benchmark_group("export_1000_scripts");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Bytes(bytes as u64));
    for format in ExportFormat::ALL {
        let out = export(&files, format, &cfg).expect("export");
        eprintln!("{format}: {} scripts, {} bytes of source -> {} bytes", SCRIPTS, bytes, out.len());
        group
            .bench_function(format.as_str(), |b| b.iter(|| export(black_box(&files), format, &cfg).unwrap()));
    }
    let zip = export(&files, ExportFormat::Zip, &cfg).unwrap();
    let limits = ImportLimits::default();
    group.bench_function("import_zip", |b| {
        b.iter(|| import(black_box(&zip), ExportFormat::Zip, &limits).unwrap())
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
