//! The two real models of the default arena (fetched by `scripts/fetch-models.sh` into
//! `public/models/`) against references made with `transformers` on the same files
//! (`tests/reference/make_real.py`): tokenizer ids on awkward strings, chat templates,
//! dequantised tensors, the top-20 logits of a fixed prompt and greedy answers.

use std::path::PathBuf;
use std::sync::OnceLock;

use arena_llm::gguf::Header;
use arena_llm::quant::dequantize;
use arena_llm::{Engine, GenerateParams, Message, Step};
use serde_json::Value;

const SMOLLM2: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
const GEMMA3: &str = "gemma-3-270m-q4_k_m.gguf";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(root().join("tests/fixtures").join(name)).unwrap())
        .unwrap()
}

fn model_bytes(file: &str) -> Vec<u8> {
    let path = root().join("../../public/models").join(file);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/fetch-models.sh first", path.display()))
}

fn engine(file: &str) -> &'static Engine {
    static SMOL: OnceLock<Engine> = OnceLock::new();
    static GEMMA: OnceLock<Engine> = OnceLock::new();
    let cell = if file == SMOLLM2 { &SMOL } else { &GEMMA };
    cell.get_or_init(|| Engine::from_bytes(model_bytes(file)).unwrap())
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap() as u32)
        .collect()
}

fn check_tokenizer(file: &str, fixture_name: &str) {
    let e = engine(file);
    let cases = fixture(fixture_name);
    let mut failures = Vec::new();
    for case in cases.as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        let got = e.tokenizer.encode(text, false).unwrap();
        if got != ids(&case["ids"]) {
            failures.push(format!("{text:?}: {got:?} vs {:?}", ids(&case["ids"])));
        }
        let got = e.tokenizer.encode(text, true).unwrap();
        if got != ids(&case["ids_special"]) {
            failures.push(format!(
                "{text:?} with specials: {got:?} vs {:?}",
                ids(&case["ids_special"])
            ));
        }
        let decoded = e.tokenizer.decode(&ids(&case["ids"]), false).unwrap();
        if decoded != case["decoded"].as_str().unwrap() {
            failures.push(format!(
                "decode {text:?}: {decoded:?} vs {:?}",
                case["decoded"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.as_array().unwrap().len(),
        failures.join("\n")
    );
}

#[test]
fn smollm2_tokenizer_matches_transformers() {
    check_tokenizer(SMOLLM2, "tokenizer-smollm2.json");
}

#[test]
fn gemma3_tokenizer_matches_transformers() {
    check_tokenizer(GEMMA3, "tokenizer-gemma3.json");
}

fn check_chat(file: &str, fixture_name: &str) {
    let e = engine(file);
    for conv in fixture(fixture_name)["conversations"].as_array().unwrap() {
        let messages: Vec<Message> = conv["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| Message::new(m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
            .collect();
        let add = conv["add_generation_prompt"].as_bool().unwrap();
        assert_eq!(
            e.template.render(&messages, add).unwrap(),
            conv["text"].as_str().unwrap()
        );
        if add {
            assert_eq!(e.chat_tokens(&messages).unwrap(), ids(&conv["ids"]));
        }
    }
}

#[test]
fn smollm2_chat_template_matches_transformers() {
    check_chat(SMOLLM2, "chat-smollm2.json");
}

#[test]
fn gemma3_chat_template_matches_gemmas() {
    check_chat(GEMMA3, "chat-gemma3.json");
}

#[test]
fn real_tensors_dequantise_like_gguf_py() {
    for t in fixture("dequant-real.json").as_array().unwrap() {
        let bytes = model_bytes(t["file"].as_str().unwrap());
        let h = Header::parse(&bytes, bytes.len() as u64).unwrap();
        let info = h.tensor(t["tensor"].as_str().unwrap()).unwrap();
        assert_eq!(format!("{:?}", info.ty), t["type"].as_str().unwrap());
        let start = (h.data_offset + info.offset) as usize;
        let mut out = vec![0f32; info.elements() as usize];
        dequantize(info.ty, &bytes[start..start + info.size as usize], &mut out);
        for (i, (got, want)) in out.iter().zip(t["first"].as_array().unwrap()).enumerate() {
            let want = want.as_f64().unwrap() as f32;
            assert!(
                (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                "{} [{i}]: {got} vs {want}",
                info.name
            );
        }
        let sum: f64 = out.iter().map(|&v| f64::from(v)).sum();
        let sumsq: f64 = out.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        let (ws, wq) = (t["sum"].as_f64().unwrap(), t["sumsq"].as_f64().unwrap());
        assert!(
            (sum - ws).abs() <= 1e-6 * wq.sqrt().max(1.0) * 10.0,
            "{}: sum {sum} vs {ws}",
            info.name
        );
        assert!(
            (sumsq - wq).abs() <= 1e-6 * wq,
            "{}: sumsq {sumsq} vs {wq}",
            info.name
        );
    }
}

/// The top-20 logits of the reference at the last prompt position, and greedy tokens for as
/// long as the reference's margin between its top two is clear of our rounding.
fn check_logits(file: &str, case: &Value) {
    let e = engine(file);
    let tokens = ids(&case["tokens"]);
    let mut state = e.model.new_state(tokens.len() + 40);
    let logits = e.model.forward(&mut state, &tokens, false).unwrap();
    let top: Vec<(u32, f32)> = case["top20"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_u64().unwrap() as u32, p[1].as_f64().unwrap() as f32))
        .collect();
    let peak = top[0].1.abs();
    for &(id, want) in &top {
        let got = logits[id as usize];
        assert!(
            (got - want).abs() <= 0.01 * peak,
            "{file} token {id}: logit {got} vs {want} (1 % of {peak})"
        );
    }
    assert_eq!(
        arena_llm::sample::argmax(&logits),
        top[0].0,
        "{file}: top token"
    );
}

#[test]
fn real_logits_match_transformers() {
    for (file, name) in [
        (SMOLLM2, "real-smollm2-logits.json"),
        (GEMMA3, "real-gemma3-logits.json"),
    ] {
        let f = fixture(name);
        check_logits(file, &f);
        check_logits(file, &f["plain"]);
        // Greedy continuation, while the reference's top-two margin exceeds 0.05.
        let e = engine(file);
        let want = ids(&f["greedy"]);
        let margins: Vec<f64> = f["greedy_margins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_f64().unwrap())
            .collect();
        let prompt = ids(&f["tokens"]);
        let mut state = e.model.new_state(prompt.len() + want.len() + 1);
        let mut logits = e.model.forward(&mut state, &prompt, false).unwrap();
        let mut checked = 0;
        for (&w, &m) in want.iter().zip(&margins) {
            let got = arena_llm::sample::argmax(&logits);
            if m < 0.05 {
                break;
            }
            assert_eq!(got, w, "{file}: greedy token {checked}");
            checked += 1;
            logits = e.model.forward(&mut state, &[w], false).unwrap();
        }
        assert!(
            checked >= 8,
            "{file}: only {checked} greedy tokens compared"
        );
    }
}

#[test]
fn smollm2_says_paris() {
    let e = engine(SMOLLM2);
    let prompt = e
        .chat_tokens(&[Message::new("user", "What is the capital of France?")])
        .unwrap();
    let mut g = e
        .start(
            &prompt,
            &GenerateParams {
                max_tokens: 24,
                ..GenerateParams::default()
            },
        )
        .unwrap();
    let mut text = String::new();
    while let Step::Token { text: t, .. } = g.step().unwrap() {
        text.push_str(&t);
    }
    text.push_str(&g.flush());
    assert!(text.contains("Paris"), "{text:?}");
}

/// A download cut short or a damaged file is an error naming the problem, never a panic.
#[test]
fn truncated_and_corrupted_real_files_fail_cleanly() {
    let bytes = model_bytes(SMOLLM2);
    let n = bytes.len();
    for cut in [0, 3, 8, 23, 4096, 100_000, 1_000_000, n / 2, n - 1] {
        let err = arena_llm::Model::from_bytes(bytes[..cut].to_vec())
            .unwrap_err()
            .to_string();
        assert!(
            ["ends early", "truncated or corrupted", "not a GGUF"]
                .iter()
                .any(|m| err.contains(m)),
            "cut at {cut}: {err}"
        );
    }
    // Flip bytes all over the header (metadata, vocabulary, tensor directory).
    let header_len = Header::parse(&bytes, n as u64).unwrap().data_offset as usize;
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let mut errors = 0;
    for _ in 0..300 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let at = (s % header_len as u64) as usize;
        let mut head = bytes[..header_len].to_vec();
        head[at] ^= (s >> 40) as u8 | 1;
        errors += usize::from(Header::parse(&head, n as u64).is_err());
    }
    assert!(errors > 0, "no corruption was detected");
}
