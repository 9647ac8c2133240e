#![no_main]
//! Any bytes: the header parser and the model loader must return, not panic or allocate wildly.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = arena_llm::gguf::Header::parse(data, data.len() as u64);
    let _ = arena_llm::Engine::from_bytes(data.to_vec());
});
