//! The main job: turn a request into Unity C# scripts and a ZIP.
//!
//! ```sh
//! cargo run --example generate -- "a rotating pickup that plays a sound"
//! ```
//!
//! Uses Claude when `ANTHROPIC_API_KEY` is set, OpenAI when `OPENAI_API_KEY` is set (both: Claude
//! first, OpenAI as fallback), and the offline scaffold otherwise. `SPARK_*` variables and a
//! `spark.toml` in the working directory adjust the configuration. `-o FILE` names the ZIP.

use std::process::ExitCode;

use spark_core::{ExportFormat, GenerateRequest, Spark, SparkConfig};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            ExitCode::from(2)
        }
    }
}

async fn run() -> spark_core::Result<ExitCode> {
    let mut args = std::env::args().skip(1);
    let mut prompt = Vec::new();
    let mut out_path = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "-o" | "--output" => out_path = args.next(),
            "-h" | "--help" => {
                println!("usage: generate [-o OUT.zip] <request…>");
                return Ok(ExitCode::SUCCESS);
            }
            _ => prompt.push(a),
        }
    }
    let prompt =
        if prompt.is_empty() { "a rotating pickup that plays a sound".to_string() } else { prompt.join(" ") };

    let config = if std::path::Path::new("spark.toml").exists() {
        SparkConfig::load("spark.toml")?
    } else {
        SparkConfig::from_env()?
    };
    let spark = Spark::builder().config(config).build()?;
    let chain: Vec<String> =
        spark.providers().iter().map(|p| format!("{} ({})", p.name(), p.default_model())).collect();
    if spark.is_offline() {
        println!(
            "provider: offline scaffold (no ANTHROPIC_API_KEY or OPENAI_API_KEY set; no model is called)"
        );
    } else {
        println!("providers: {}", chain.join(" -> "));
    }
    println!("request:  {prompt}\n");

    let out = spark.generate(GenerateRequest::new(&prompt).caller("cli")).await?;
    for f in &out.files {
        println!("── {} ({} lines) ──", f.path, f.content.lines().count());
        println!("{}", f.content);
    }
    if out.diagnostics.is_empty() {
        println!("diagnostics: none");
    } else {
        println!("diagnostics:");
        for d in &out.diagnostics {
            println!("  {d}");
        }
    }
    println!(
        "answered by: {} / {}{}",
        out.provider,
        out.model,
        if out.offline { " (offline scaffold, not a model)" } else { "" }
    );
    println!(
        "usage: {} input + {} output tokens in {} round(s){}",
        out.usage.input_tokens,
        out.usage.output_tokens,
        out.rounds.len(),
        out.cost_usd.map(|c| format!(", ${c:.5}")).unwrap_or_default()
    );
    let stem = out
        .files
        .first()
        .map(|f| f.path.trim_end_matches(".cs").rsplit('/').next().unwrap_or("Scripts").to_string());
    let path = out_path.unwrap_or_else(|| format!("{}.zip", stem.unwrap_or_else(|| "Scripts".into())));
    let bytes = spark.export(&out, ExportFormat::Zip)?;
    std::fs::write(&path, &bytes)?;
    println!("wrote {path} ({} bytes)", bytes.len());
    Ok(ExitCode::SUCCESS)
}
