//! Recorded-shape transcripts (written in each provider's documented wire shapes) decoded into
//! event streams, checked against insta snapshots, and re-decoded at every split point.

use std::fmt::Write as _;
use std::path::Path;

use arena_providers::{ApiKey, Endpoint, Preset, ResponseHead, StreamEvent};

/// Which preset reads a transcript, and the response head it came with.
fn setup(name: &str) -> (Preset, ResponseHead) {
    let preset = match name.split('-').next().unwrap() {
        "openai" => Preset::OpenAi,
        "openrouter" => Preset::OpenRouter,
        "deepseek" => Preset::DeepSeek,
        "groq" => Preset::Groq,
        "mistral" => Preset::Mistral,
        "llamacpp" => Preset::LlamaCpp,
        "anthropic" => Preset::Anthropic,
        "gemini" => Preset::Gemini,
        "ollama" => Preset::Ollama,
        other => panic!("no preset for transcript prefix {other}"),
    };
    let ext = Path::new(name).extension().unwrap().to_str().unwrap();
    let head = match ext {
        "sse" => ResponseHead::new(200).header("Content-Type", "text/event-stream; charset=utf-8"),
        "ndjson" => ResponseHead::new(200).header("Content-Type", "application/x-ndjson"),
        "json" => {
            // Error bodies are named after their status: `openai-401.json`, `gemini-429.json`.
            let status = name
                .split(['-', '.'])
                .find_map(|p| p.parse::<u16>().ok())
                .unwrap_or(200);
            let mut head = ResponseHead::new(status).header("content-type", "application/json");
            if name == "openai-429.json" {
                head.insert("retry-after", "2");
            }
            head
        }
        other => panic!("unknown transcript type {other}"),
    };
    (preset, head)
}

fn endpoint(preset: Preset) -> Endpoint {
    Endpoint::new(preset).with_api_key(ApiKey::new("test-key-123"))
}

fn decode(preset: Preset, head: &ResponseHead, chunks: &[&[u8]]) -> Vec<StreamEvent> {
    let mut d = endpoint(preset).decoder(head);
    let mut out = Vec::new();
    for c in chunks {
        out.extend(d.push(c));
    }
    out.extend(d.finish());
    out
}

/// One line per event, so a snapshot reads like the stream.
fn render(events: &[StreamEvent]) -> String {
    let mut s = String::new();
    for e in events {
        match e {
            StreamEvent::TextDelta(t) => writeln!(s, "text      {t:?}"),
            StreamEvent::ReasoningDelta(t) => writeln!(s, "reasoning {t:?}"),
            StreamEvent::Finish(r) => writeln!(s, "finish    {r:?}"),
            StreamEvent::Usage(u) => {
                writeln!(s, "usage     input={:?} output={:?}", u.input, u.output)
            }
            StreamEvent::Error(err) => writeln!(
                s,
                "error     {} | {} | detail={:?} | hint={}",
                err.kind().as_str(),
                err,
                err.detail(),
                err.hint()
            ),
            StreamEvent::Done => writeln!(s, "done"),
        }
        .unwrap();
    }
    s
}

fn transcripts() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    let mut all: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    all.sort();
    assert!(
        all.len() >= 30,
        "transcripts missing from {}",
        dir.display()
    );
    all
}

/// Every stream ends in exactly one `Done` or `Error`, and nothing follows it.
fn assert_well_formed(name: &str, events: &[StreamEvent]) {
    let terminals = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Done | StreamEvent::Error(_)))
        .count();
    assert_eq!(terminals, 1, "{name}: {events:?}");
    assert!(
        matches!(
            events.last(),
            Some(StreamEvent::Done | StreamEvent::Error(_))
        ),
        "{name}: {events:?}"
    );
    let finishes = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Finish(_)))
        .count();
    assert!(finishes <= 1, "{name}: {events:?}");
}

#[test]
fn transcripts_match_snapshots() {
    for (name, bytes) in transcripts() {
        let (preset, head) = setup(&name);
        let events = decode(preset, &head, &[&bytes]);
        assert_well_formed(&name, &events);
        insta::assert_snapshot!(name.clone(), render(&events));
    }
}

#[test]
fn transcripts_decode_the_same_at_every_split_point() {
    for (name, bytes) in transcripts() {
        let (preset, head) = setup(&name);
        let whole = decode(preset, &head, &[&bytes]);
        for i in 0..=bytes.len() {
            let (a, b) = bytes.split_at(i);
            assert_eq!(decode(preset, &head, &[a, b]), whole, "{name} split at {i}");
        }
        let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(
            decode(preset, &head, &bytewise),
            whole,
            "{name} byte by byte"
        );
    }
}

#[test]
fn the_key_never_shows_in_decoded_errors() {
    for (name, bytes) in transcripts() {
        let (preset, head) = setup(&name);
        let text = format!(
            "{:?} {}",
            decode(preset, &head, &[&bytes]),
            render(&decode(preset, &head, &[&bytes]))
        );
        assert!(!text.contains("test-key-123"), "{name}");
        // OpenAI echoes a masked key; none of it survives.
        assert!(!text.contains("Xy9Q"), "{name}: {text}");
    }
}

#[test]
fn bytes_after_the_end_are_ignored() {
    let (preset, head) = setup("openai-basic.sse");
    let mut d = endpoint(preset).decoder(&head);
    let events = d.push(
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n\n",
    );
    assert_eq!(events.last(), Some(&StreamEvent::Done));
    assert!(d.is_finished());
    assert!(
        d.push(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"late\"}}]}\n\n")
            .is_empty()
    );
    assert!(d.finish().is_empty());
}

#[test]
fn keep_alive_comments_are_counted() {
    let (preset, head) = setup("deepseek-reasoner.sse");
    let mut d = endpoint(preset).decoder(&head);
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts/deepseek-reasoner.sse"),
    )
    .unwrap();
    d.push(&bytes);
    assert_eq!(d.keep_alives(), 2);
}
