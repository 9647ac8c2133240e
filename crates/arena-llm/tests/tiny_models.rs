//! Whole-model forward passes against PyTorch `transformers` on tiny random models of each
//! architecture (fixtures from `tests/reference/make_tiny.py`): every position's logits, and
//! greedy continuations.

use std::path::PathBuf;

use arena_llm::Model;
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

struct Case {
    name: String,
    model: Model,
    tokens: Vec<u32>,
    logits: Vec<Vec<f32>>,
    greedy: Vec<u32>,
    ty: String,
}

fn case(name: &str) -> Case {
    let json: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join(format!("{name}.json"))).unwrap())
            .unwrap();
    let bytes = std::fs::read(fixtures().join(json["gguf"].as_str().unwrap())).unwrap();
    let ids = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_u64().unwrap() as u32)
            .collect::<Vec<_>>()
    };
    Case {
        name: name.to_string(),
        model: Model::from_bytes(bytes).unwrap(),
        tokens: ids(&json["tokens"]),
        greedy: ids(&json["greedy"]),
        ty: json["type"].as_str().unwrap().to_string(),
        logits: json["logits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                row.as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap() as f32)
                    .collect()
            })
            .collect(),
    }
}

/// Largest |ours − reference| over every position, and the reference's largest |logit|.
fn compare(c: &Case) -> (f32, f32) {
    let mut state = c.model.new_state(64);
    let ours = c.model.forward(&mut state, &c.tokens, true).unwrap();
    let n = c.model.config.n_vocab;
    assert_eq!(ours.len(), n * c.logits.len(), "{}", c.name);
    let mut worst = 0f32;
    let mut peak = 0f32;
    for (p, want) in c.logits.iter().enumerate() {
        for (i, &w) in want.iter().enumerate() {
            worst = worst.max((ours[p * n + i] - w).abs());
            peak = peak.max(w.abs());
        }
    }
    (worst, peak)
}

fn greedy(c: &Case) -> Vec<u32> {
    let mut state = c.model.new_state(64);
    let mut logits = c.model.forward(&mut state, &c.tokens, false).unwrap();
    let mut out = Vec::new();
    for _ in 0..c.greedy.len() {
        let t = arena_llm::sample::argmax(&logits);
        out.push(t);
        logits = c.model.forward(&mut state, &[t], false).unwrap();
    }
    out
}

fn check(name: &str) {
    let c = case(name);
    let (worst, peak) = compare(&c);
    eprintln!("{name}: max |diff| {worst:.2e}, max |logit| {peak:.2}");
    if c.ty == "F32" {
        assert!(
            worst <= 1e-4 * peak.max(1.0),
            "{name}: logits differ by {worst} (peak {peak})"
        );
        assert_eq!(greedy(&c), c.greedy, "{name}: greedy continuation");
    } else {
        assert!(
            worst <= 0.01 * peak,
            "{name}: logits differ by {worst}, over 1 % of {peak}"
        );
    }
}

macro_rules! tiny {
    ($($test:ident => $name:literal),* $(,)?) => {$(
        #[test]
        fn $test() {
            check($name);
        }
    )*};
}

tiny! {
    llama_f32 => "tiny-llama-F32",
    llama_f16 => "tiny-llama-F16",
    llama_q8_0 => "tiny-llama-Q8_0",
    llama_q4_1 => "tiny-llama-Q4_1",
    qwen2_f32 => "tiny-qwen2-F32",
    qwen2_bf16 => "tiny-qwen2-BF16",
    qwen2_q4_0 => "tiny-qwen2-Q4_0",
    qwen2_q5_0 => "tiny-qwen2-Q5_0",
    gemma3_f32 => "tiny-gemma3-F32",
    gemma3_q8_0 => "tiny-gemma3-Q8_0",
    gemma3_q4_k => "tiny-gemma3-Q4_K",
    gemma3_q6_k => "tiny-gemma3-Q6_K",
}
