//! Browser tests of the local-model plumbing that needs no worker: assembling a download
//! (early header check, truncation, memory), progress words, failures that stay anonymous,
//! the Models page's list of files, loading progress through the per-frame batching, and the
//! browser's model cache.

use std::cell::RefCell;
use std::rc::Rc;

use arena_app::contestants::local::{failure, model_files};
use arena_app::contestants::{self, Update};
use arena_app::llm::assemble::Assembler;
use arena_app::llm::cache::{self, CachedModel};
use arena_app::llm::protocol::{LlmError, LoadPhase, LoadProgress, Source};
use arena_core::config::{Contestant, Params, ProviderKind};
use arena_llm::gguf::{Value, Writer};
use arena_llm::quant::GgmlType;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// A GGUF of about 200 KB: some metadata and one F32 tensor.
fn gguf() -> Vec<u8> {
    let data: Vec<u8> = (0..50_000u32)
        .flat_map(|i| (i as f32).to_le_bytes())
        .collect();
    Writer::new()
        .kv("general.architecture", Value::String("llama".into()))
        .kv("general.name", Value::String("tiny".into()))
        .tensor("token_embd.weight", &[100, 500], GgmlType::F32, data)
        .to_bytes()
}

fn feed(asm: &mut Assembler, bytes: &[u8], chunk: usize) -> Result<(), LlmError> {
    for c in bytes.chunks(chunk) {
        asm.push(c)?;
    }
    Ok(())
}

#[wasm_bindgen_test]
fn a_whole_file_is_put_together_exactly_and_its_header_checked_on_the_way() {
    let file = gguf();
    let mut asm = Assembler::new(Some(file.len() as u64)).unwrap();
    asm.push(&file[..70_000]).unwrap();
    assert!(asm.header_ok(), "checked once 64 KiB arrived");
    feed(&mut asm, &file[70_000..], 7_919).unwrap();
    assert_eq!(asm.finish().unwrap(), file);

    // Size unknown (a compressed body): checked at the end.
    let mut asm = Assembler::new(None).unwrap();
    feed(&mut asm, &file, 4096).unwrap();
    assert!(!asm.header_ok());
    assert_eq!(asm.finish().unwrap(), file);
}

#[wasm_bindgen_test]
fn a_bad_file_fails_in_its_first_chunks_not_after_the_download() {
    // Not a GGUF at all (an HTML error page served with status 200, say).
    let html = b"<!doctype html><title>Not here</title>".repeat(4000);
    let n = html.len() as u64;
    let mut asm = Assembler::new(Some(n)).unwrap();
    let e = feed(&mut asm, &html, 16 * 1024).unwrap_err();
    assert!(matches!(e, LlmError::NotGguf { .. }), "{e:?}");
    assert!(asm.len() < 100_000, "stopped after {} bytes", asm.len());

    // Bytes flipped in the header: the tensor type id.
    let mut file = gguf();
    let at = file
        .windows(17)
        .position(|w| w == b"token_embd.weight")
        .unwrap()
        + 17
        + 4
        + 16;
    file[at..at + 4].copy_from_slice(&999u32.to_le_bytes());
    let mut asm = Assembler::new(Some(file.len() as u64)).unwrap();
    let e = feed(&mut asm, &file, 64 * 1024).unwrap_err();
    assert!(matches!(e, LlmError::Damaged { .. }), "{e:?}");
    assert!(e.detail().unwrap().contains("type id 999"), "{e:?}");

    // Truncated, with a matching Content-Length: the tensor runs past the end.
    let whole = gguf();
    let cut = &whole[..120_000];
    let mut asm = Assembler::new(Some(cut.len() as u64)).unwrap();
    let e = feed(&mut asm, cut, 64 * 1024).unwrap_err();
    assert!(matches!(e, LlmError::Damaged { .. }), "{e:?}");
    assert!(e.detail().unwrap().contains("truncated"), "{e:?}");

    // The stream ends before the announced size.
    let mut asm = Assembler::new(Some(whole.len() as u64)).unwrap();
    feed(&mut asm, &whole[..150_000], 50_000).unwrap();
    assert_eq!(
        asm.finish().unwrap_err(),
        LlmError::Incomplete {
            got: 150_000,
            want: whole.len() as u64
        }
    );

    // More than announced.
    let mut asm = Assembler::new(Some(10)).unwrap();
    assert!(matches!(asm.push(&[0; 11]), Err(LlmError::Damaged { .. })));

    // Empty.
    assert!(matches!(
        Assembler::new(Some(0)).unwrap().finish(),
        Err(LlmError::NotGguf { .. })
    ));
}

#[wasm_bindgen_test]
fn a_file_larger_than_the_memory_fails_before_a_byte_is_read() {
    for n in [5_000_000_000_u64, u64::MAX] {
        assert_eq!(
            Assembler::new(Some(n)).unwrap_err(),
            LlmError::OutOfMemory { bytes: n }
        );
    }
    let e = LlmError::OutOfMemory {
        bytes: 5_000_000_000,
    };
    assert_eq!(
        e.to_string(),
        "This browser could not set aside 5000.0 MB of memory for the model."
    );
}

#[wasm_bindgen_test]
fn progress_is_due_about_two_hundred_times_a_file() {
    let file = gguf();
    let mut asm = Assembler::new(Some(file.len() as u64)).unwrap();
    let mut due = 0;
    for c in file.chunks(100) {
        asm.push(c).unwrap();
        if asm.progress_due() {
            due += 1;
        }
    }
    assert!((190..=201).contains(&due), "{due}");
}

#[wasm_bindgen_test]
fn progress_reads_as_bytes_and_percent() {
    let p = LoadProgress {
        source: Source::Network,
        phase: LoadPhase::Reading,
        loaded: 45_200_000,
        total: Some(98_362_432),
    };
    assert_eq!(p.label(), "Downloading the model: 45.2 MB of 98.4 MB (46%)");
    let cached = LoadProgress {
        source: Source::Cache,
        total: None,
        ..p
    };
    assert_eq!(cached.percent(), None);
    assert_eq!(
        cached.label(),
        "Loading the model from this browser: 45.2 MB"
    );
    let preparing = LoadProgress {
        phase: LoadPhase::Preparing,
        ..p
    };
    assert_eq!(preparing.label(), "Preparing the model…");
}

#[wasm_bindgen_test]
fn a_local_failure_names_the_file_only_in_its_hint() {
    let url = "models/SmolLM2-135M-Instruct.Q4_1.gguf";
    for e in [
        LlmError::Http { status: 404 },
        LlmError::Network {
            detail: "Failed to fetch".into(),
        },
        LlmError::Incomplete { got: 1, want: 2 },
        LlmError::NotGguf {
            detail: "not a GGUF file".into(),
        },
        LlmError::Damaged {
            detail: "tensor \"blk.0.attn_q.weight\" …".into(),
        },
        LlmError::Unsupported {
            detail: "architecture \"gemma3\"".into(),
        },
        LlmError::OutOfMemory { bytes: 1 },
        LlmError::Crashed {
            detail: "unreachable".into(),
        },
        LlmError::Cancelled,
    ] {
        let f = failure(&e, url);
        assert!(f.hint.contains(url) || e.detail().is_none_or(|d| f.hint.contains(d)));
        let blind = f.anonymous();
        for giveaway in ["SmolLM", "gguf", "gemma", "Gemma", "blk."] {
            assert!(
                !blind.sentence().contains(giveaway),
                "{e:?}: {}",
                blind.sentence()
            );
        }
        assert_eq!(blind.message, f.message);
    }
    assert_eq!(
        failure(&LlmError::Http { status: 404 }, url).kind,
        "not-found"
    );
    assert_eq!(
        failure(&LlmError::Incomplete { got: 1, want: 2 }, url).kind,
        "bad-model"
    );
}

fn local(id: &str, name: &str, url: &str) -> Contestant {
    Contestant {
        id: id.into(),
        name: name.into(),
        provider: ProviderKind::Local,
        preset: None,
        base_url: None,
        model: id.into(),
        gguf_url: Some(url.into()),
        params: Params::default(),
        weight: 1.0,
    }
}

#[wasm_bindgen_test]
fn the_models_page_lists_each_file_once_with_who_uses_it_and_what_is_stored() {
    let contestants = [
        local("a", "Smol", "models/smol.gguf"),
        local("b", "Smol greedy", "models/smol.gguf"),
        local("c", "Gemma", "models/gemma.gguf"),
    ];
    let stored = [
        CachedModel {
            url: "https://x.test/models/gemma.gguf".into(),
            bytes: Some(253),
            stored_ms: None,
        },
        CachedModel {
            url: "https://x.test/old.gguf".into(),
            bytes: None,
            stored_ms: None,
        },
    ];
    let files = model_files(&contestants, &stored, |u| format!("https://x.test/{u}"));
    let view: Vec<_> = files
        .iter()
        .map(|f| (f.shown.as_str(), f.used_by.join("+"), f.stored))
        .collect();
    assert_eq!(
        view,
        [
            ("models/smol.gguf", "Smol+Smol greedy".to_string(), None),
            ("models/gemma.gguf", "Gemma".to_string(), Some(Some(253))),
            ("https://x.test/old.gguf", String::new(), Some(None)),
        ]
    );
}

async fn next_frames() {
    for _ in 0..2 {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let cb = wasm_bindgen::closure::Closure::once_into_js(move || {
                let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            });
            web_sys::window()
                .unwrap()
                .request_animation_frame(cb.unchecked_ref())
                .unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    }
}

#[wasm_bindgen_test]
async fn loading_progress_is_batched_per_frame_newest_first_then_cleared() {
    let seen = Rc::new(RefCell::new(Vec::<Update>::new()));
    let sink = seen.clone();
    let (batched, _cancel) = contestants::per_frame(Rc::new(move |u| sink.borrow_mut().push(u)));
    let at = |loaded| LoadProgress {
        source: Source::Network,
        phase: LoadPhase::Reading,
        loaded,
        total: Some(100),
    };
    for n in [10, 20, 30] {
        batched(Update::Loading(Some(at(n))));
    }
    next_frames().await;
    assert_eq!(*seen.borrow(), vec![Update::Loading(Some(at(30)))]);
    batched(Update::Loading(None));
    batched(Update::Text("Hi".into()));
    next_frames().await;
    assert_eq!(
        seen.borrow()[1..],
        [Update::Loading(None), Update::Text("Hi".into())],
        "the bar goes before the text arrives"
    );
}

#[wasm_bindgen_test]
async fn the_model_cache_lists_sizes_and_deletes() {
    let Some(c) = cache::open().await else {
        // No Cache API in this context (not a secure origin): nothing to test.
        return;
    };
    let url = cache::absolute(&format!("test-{}.gguf", js_sys::Math::random()));
    let headers = web_sys::Headers::new().unwrap();
    headers.set(cache::SIZE_HEADER, "4").unwrap();
    let init = web_sys::ResponseInit::new();
    init.set_headers(&headers);
    let body = js_sys::Uint8Array::from(&b"GGUF"[..]);
    let response =
        web_sys::Response::new_with_opt_buffer_source_and_init(Some(&body), &init).unwrap();
    wasm_bindgen_futures::JsFuture::from(c.put_with_str(&url, &response))
        .await
        .unwrap();
    let listed = cache::list().await.unwrap();
    let mine = listed.iter().find(|m| m.url == url).expect("listed");
    assert_eq!(mine.bytes, Some(4));
    assert!(cache::delete(&url).await.unwrap());
    assert!(!cache::list().await.unwrap().iter().any(|m| m.url == url));
    assert!(!cache::delete(&url).await.unwrap());
}
