//! Prints prefill and decode speed of the CPU path on a real GGUF file, single-threaded.
//!
//! `cargo bench -p arena-llm --bench decode -- [MODEL.gguf …] [--prompt-tokens N] [--tokens N] [--runs N]`
//! (defaults: both models in public/models, a 64-token prompt, 64 tokens, 3 runs; medians).

use std::time::Instant;

use arena_llm::Model;
use arena_llm::sample::argmax;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut models = Vec::new();
    let (mut prompt_n, mut decode_n, mut runs) = (64usize, 64usize, 3usize);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = || args.next().and_then(|v| v.parse().ok()).expect("a number");
        match a.as_str() {
            "--prompt-tokens" => prompt_n = num(),
            "--tokens" => decode_n = num(),
            "--runs" => runs = num(),
            "--bench" => {}
            path => models.push(path.to_string()),
        }
    }
    if models.is_empty() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../public/models/");
        models = [
            "SmolLM2-135M-Instruct.Q4_1.gguf",
            "gemma-3-270m-q4_k_m.gguf",
        ]
        .map(|m| format!("{root}{m}"))
        .to_vec();
    }
    for path in models {
        let t = Instant::now();
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{path}: {e} (run scripts/fetch-models.sh)"));
        let model = Model::from_bytes(bytes).expect("model");
        let load = t.elapsed().as_secs_f64();
        let prompt: Vec<u32> = (0..prompt_n as u32).map(|i| 100 + i * 7 % 1000).collect();
        let (mut pre, mut dec) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let mut state = model.new_state(prompt_n + decode_n + 1);
            let t = Instant::now();
            let mut logits = model.forward(&mut state, &prompt, false).expect("prefill");
            pre.push(prompt_n as f64 / t.elapsed().as_secs_f64());
            let t = Instant::now();
            for _ in 0..decode_n {
                let tok = argmax(&logits);
                logits = model.forward(&mut state, &[tok], false).expect("decode");
            }
            dec.push(decode_n as f64 / t.elapsed().as_secs_f64());
        }
        let name = path.rsplit('/').next().unwrap_or(&path);
        let dec_m = median(dec);
        println!(
            "{name}: load {load:.2} s · prefill {:.1} tok/s ({prompt_n} tokens) · decode {dec_m:.1} tok/s ({decode_n} tokens) · {:.2} GB/s of weights · median of {runs}",
            median(pre),
            model.weight_bytes_per_token() as f64 * dec_m / 1e9
        );
    }
}
