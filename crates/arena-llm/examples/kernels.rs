//! Throughput of one matrix-vector product per named tensor of a GGUF file (best of 5):
//! `cargo run --release -p arena-llm --example kernels -- M.gguf token_embd.weight blk.0.ffn_gate.weight`
use arena_llm::cpu::{Matrix, matmul};
use arena_llm::gguf::Header;
use arena_llm::quant::QAct;
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let h = Header::parse(&bytes, bytes.len() as u64).unwrap();
    for name in std::env::args().skip(2) {
        let t = h.tensor(&name).unwrap();
        let (cols, rows) = t.rows();
        let start = (h.data_offset + t.offset) as usize;
        let m = Matrix {
            ty: t.ty,
            cols,
            rows,
            bytes: &bytes[start..start + t.size as usize],
        };
        let x: Vec<f32> = (0..cols).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut a = QAct::default();
        a.quantize(&x);
        let mut out = vec![0f32; rows];
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t0 = Instant::now();
            matmul(&m, std::slice::from_ref(&a), &mut out);
            best = best.min(t0.elapsed().as_secs_f64());
        }
        println!(
            "{name} {:?} {cols}x{rows}: {:.3} ms, {:.2} GB/s, {:.2} GMAC/s",
            t.ty,
            best * 1e3,
            t.size as f64 / best / 1e9,
            (cols * rows) as f64 / best / 1e9
        );
    }
}
