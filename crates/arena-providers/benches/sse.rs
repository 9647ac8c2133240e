//! SSE parsing throughput. Prints figures; asserts nothing about time.
//!
//! `cargo bench -p arena-providers --bench sse`

use std::hint::black_box;
use std::time::Instant;

use arena_providers::{Endpoint, Preset, ResponseHead, SseParser};

/// An OpenAI-shaped stream of `n` chunks with some multibyte text and keep-alive comments.
fn transcript(n: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..n {
        if i % 50 == 0 {
            s.push_str(": keep-alive\n\n");
        }
        s.push_str(
            "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\
             \"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"",
        );
        s.push_str(["word ", "héllo ", "你好 ", "🎉 "][i % 4]);
        s.push_str("\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
    }
    s.push_str("data: [DONE]\n\n");
    s.into_bytes()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn measure(
    label: &str,
    bytes: &[u8],
    chunk: usize,
    rounds: usize,
    f: impl Fn(&[u8], usize) -> usize,
) {
    let mut rates = Vec::new();
    let mut events = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        events = f(bytes, chunk);
        let secs = t.elapsed().as_secs_f64();
        rates.push(bytes.len() as f64 / secs / 1e6);
    }
    let lo = rates.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = rates.iter().copied().fold(0.0, f64::max);
    println!(
        "{label:<42} chunk {chunk:>6} B: median {:>8.1} MB/s (min {lo:.1}, max {hi:.1}; {events} events, {} runs)",
        median(rates),
        rounds
    );
}

fn sse_only(bytes: &[u8], chunk: usize) -> usize {
    let mut p = SseParser::new();
    let mut out = Vec::new();
    let mut n = 0;
    for c in bytes.chunks(chunk) {
        p.push_into(black_box(c), &mut out);
        n += out.len();
        out.clear();
    }
    n + p.finish().len()
}

fn full_decode(bytes: &[u8], chunk: usize) -> usize {
    let ep = Endpoint::new(Preset::OpenAi);
    let mut d = ep.decoder(&ResponseHead::new(200).header("content-type", "text/event-stream"));
    let mut n = 0;
    for c in bytes.chunks(chunk) {
        n += d.push(black_box(c)).len();
    }
    n + d.finish().len()
}

fn main() {
    let bytes = transcript(200_000);
    println!("transcript: {:.1} MB", bytes.len() as f64 / 1e6);
    for chunk in [64, 1024, 16 * 1024] {
        measure("SSE parser (events out)", &bytes, chunk, 9, sse_only);
    }
    measure(
        "SSE + OpenAI codec (JSON per event)",
        &bytes,
        16 * 1024,
        5,
        full_decode,
    );
}
