//! The engine compiled to wasm32 with simd128 (the browser's CPU path), run under
//! wasm-bindgen-test: every tiny fixture model's logits against the `transformers`
//! reference, so each simd128 kernel is checked (the fixtures cover all nine types).
//! Native builds compile this file to nothing; `make test` runs it with
//! `cargo test -p arena-llm --target wasm32-unknown-unknown --test wasm`.
#![cfg(target_arch = "wasm32")]

use arena_llm::Model;
use serde_json::Value;
use wasm_bindgen_test::wasm_bindgen_test;

macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            &include_bytes!(concat!("fixtures/", $name, ".gguf"))[..],
            include_str!(concat!("fixtures/", $name, ".json")),
        )
    };
}

#[wasm_bindgen_test]
fn tiny_models_match_transformers_in_wasm() {
    assert!(cfg!(target_feature = "simd128"), "built without simd128");
    let cases = [
        fixture!("tiny-llama-F32"),
        fixture!("tiny-llama-F16"),
        fixture!("tiny-llama-Q8_0"),
        fixture!("tiny-llama-Q4_1"),
        fixture!("tiny-qwen2-F32"),
        fixture!("tiny-qwen2-BF16"),
        fixture!("tiny-qwen2-Q4_0"),
        fixture!("tiny-qwen2-Q5_0"),
        fixture!("tiny-gemma3-F32"),
        fixture!("tiny-gemma3-Q8_0"),
        fixture!("tiny-gemma3-Q4_K"),
        fixture!("tiny-gemma3-Q6_K"),
    ];
    for (name, gguf, json) in cases {
        let json: Value = serde_json::from_str(json).unwrap();
        let model = Model::from_bytes(gguf.to_vec()).unwrap();
        let tokens: Vec<u32> = json["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_u64().unwrap() as u32)
            .collect();
        let mut state = model.new_state(64);
        let ours = model.forward(&mut state, &tokens, true).unwrap();
        let n = model.config.n_vocab;
        let (mut worst, mut peak) = (0f32, 0f32);
        for (p, row) in json["logits"].as_array().unwrap().iter().enumerate() {
            for (i, w) in row.as_array().unwrap().iter().enumerate() {
                let w = w.as_f64().unwrap() as f32;
                worst = worst.max((ours[p * n + i] - w).abs());
                peak = peak.max(w.abs());
            }
        }
        let tol = if json["type"] == "F32" {
            1e-4 * peak.max(1.0)
        } else {
            0.01 * peak
        };
        assert!(
            worst <= tol,
            "{name}: logits differ by {worst} (tolerance {tol})"
        );
    }
}
