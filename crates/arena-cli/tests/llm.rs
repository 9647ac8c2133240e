//! `arena llm logits` and `arena llm generate` as a user runs them: real files, the real
//! binary, references from `transformers` (crates/arena-llm/tests/fixtures).

use std::path::PathBuf;
use std::process::{Command, Output};

fn arena(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arena"))
        .args(args)
        .output()
        .expect("run arena")
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../arena-llm/tests/fixtures")
}

#[test]
fn logits_match_the_reference() {
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("tiny-qwen2-F32.json")).unwrap())
            .unwrap();
    let tokens: Vec<String> = json["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    let model = fixtures().join("tiny-qwen2-F32.gguf");
    let out = arena(&[
        "llm",
        "logits",
        "--model",
        model.to_str().unwrap(),
        "--tokens",
        &tokens.join(" "),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<f64> = serde_json::from_slice(&out.stdout).unwrap();
    let want = json["logits"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_array()
        .unwrap();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w.as_f64().unwrap()).abs() < 1e-3, "{g} vs {w}");
    }
}

#[test]
fn generate_answers_with_the_real_model() {
    let model = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../public/models/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(
        model.exists(),
        "{} is missing: run scripts/fetch-models.sh",
        model.display()
    );
    let m = model.to_str().unwrap();
    let out = arena(&[
        "llm",
        "generate",
        "--model",
        m,
        "--prompt",
        "What is the capital of France?",
        "--max-tokens",
        "16",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Paris"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // --raw skips the chat template: a plain continuation.
    let out = arena(&[
        "llm",
        "generate",
        "--model",
        m,
        "--prompt",
        "The capital of France is",
        "--raw",
        "--max-tokens",
        "4",
    ]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Paris"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Seeded sampling is reproducible.
    let sample = |seed: &str| {
        arena(&[
            "llm",
            "generate",
            "--model",
            m,
            "--prompt",
            "Tell me a story.",
            "--max-tokens",
            "12",
            "--temperature",
            "0.9",
            "--seed",
            seed,
        ])
        .stdout
    };
    assert_eq!(sample("7"), sample("7"));
}

#[test]
fn broken_files_get_clear_errors() {
    let dir = std::env::temp_dir().join(format!("arena-llm-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read(fixtures().join("tiny-llama-Q4_1.gguf")).unwrap();
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "truncated.gguf",
            good[..good.len() / 2].to_vec(),
            "truncated or corrupted",
        ),
        (
            "magic.gguf",
            [b"GGUX".as_slice(), &good[4..]].concat(),
            "not a GGUF file",
        ),
        ("empty.gguf", Vec::new(), "ends early"),
    ];
    for (name, bytes, message) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = arena(&[
            "llm",
            "logits",
            "--model",
            path.to_str().unwrap(),
            "--tokens",
            "1 2",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(message),
            "{name}: {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    let model = fixtures().join("tiny-llama-F32.gguf");
    let out = arena(&[
        "llm",
        "logits",
        "--model",
        model.to_str().unwrap(),
        "--tokens",
        "999999",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("outside the vocabulary"));
    let out = arena(&[
        "llm",
        "generate",
        "--model",
        model.to_str().unwrap(),
        "--prompt",
        "x",
        "--device",
        "gpu",
    ]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--device cpu"));
    std::fs::remove_dir_all(&dir).ok();
}
