//! Decoder edge cases: how the response head picks the mode, and odd bodies.

use arena_providers::{
    ApiKey, Endpoint, ErrorKind, FinishReason, Preset, ProviderError, ResponseHead, StreamEvent,
};

fn decode(preset: Preset, head: &ResponseHead, body: &[u8]) -> Vec<StreamEvent> {
    let mut d = Endpoint::new(preset)
        .with_api_key(ApiKey::new("k-123456"))
        .decoder(head);
    let mut out = d.push(body);
    out.extend(d.finish());
    out
}

fn sse_head() -> ResponseHead {
    ResponseHead::new(200).header("content-type", "text/event-stream")
}

fn error_kind(events: &[StreamEvent]) -> Option<ErrorKind> {
    match events.last() {
        Some(StreamEvent::Error(e)) => Some(e.kind()),
        _ => None,
    }
}

#[test]
fn named_error_event_on_an_openai_stream() {
    let body = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\nevent: error\ndata: {\"message\":\"rate limited\",\"type\":\"rate_limit_error\"}\n\n";
    let events = decode(Preset::Vllm, &sse_head(), body);
    assert_eq!(events[0], StreamEvent::TextDelta("a".into()));
    assert_eq!(
        error_kind(&events),
        Some(ErrorKind::RateLimited),
        "{events:?}"
    );
}

#[test]
fn garbage_mid_stream_is_an_error_not_text() {
    let body = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: <html>oops\n\n";
    let events = decode(Preset::OpenAi, &sse_head(), body);
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(error_kind(&events), Some(ErrorKind::Other));
}

#[test]
fn html_error_page_is_classified_by_status() {
    let head = ResponseHead::new(502).header("content-type", "text/html");
    let events = decode(
        Preset::Together,
        &head,
        b"<html><body>Bad gateway</body></html>",
    );
    assert_eq!(
        events,
        [StreamEvent::Error(ProviderError::Overloaded {
            status: Some(502),
            detail: None
        })]
    );
}

#[test]
fn huge_error_body_is_capped_and_still_classified() {
    let head = ResponseHead::new(429).header("retry-after", "1");
    let body = vec![b'x'; 3 << 20];
    let mut d = Endpoint::new(Preset::Groq)
        .with_api_key(ApiKey::new("k"))
        .decoder(&head);
    for c in body.chunks(64 * 1024) {
        assert!(d.push(c).is_empty());
    }
    let events = d.finish();
    assert_eq!(error_kind(&events), Some(ErrorKind::RateLimited));
    let detail = match &events[0] {
        StreamEvent::Error(e) => e.detail().unwrap().chars().count(),
        other => panic!("{other:?}"),
    };
    assert!(detail <= 401, "detail kept {detail} chars");
}

#[test]
fn ollama_without_content_type_is_ndjson() {
    let body = b"{\"message\":{\"content\":\"hi\"},\"done\":false}\n{\"message\":{\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":1,\"eval_count\":1}\n";
    let events = decode(Preset::Ollama, &ResponseHead::new(200), body);
    assert_eq!(events.first(), Some(&StreamEvent::TextDelta("hi".into())));
    assert_eq!(events.last(), Some(&StreamEvent::Done));
}

#[test]
fn anthropic_whole_message_without_streaming() {
    let head = ResponseHead::new(200).header("content-type", "application/json");
    let body = br#"{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"thinking","thinking":"hm"},{"type":"text","text":"Yes."}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":2}}"#;
    let events = decode(Preset::Anthropic, &head, body);
    assert_eq!(
        events,
        [
            StreamEvent::ReasoningDelta("hm".into()),
            StreamEvent::TextDelta("Yes.".into()),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(arena_providers::Usage {
                input: Some(3),
                output: Some(2)
            }),
            StreamEvent::Done,
        ]
    );
}

#[test]
fn gemini_without_alt_sse_is_a_json_array() {
    let head = ResponseHead::new(200).header("content-type", "application/json; charset=UTF-8");
    let body = br#"[{"candidates":[{"content":{"parts":[{"text":"A"}],"role":"model"},"index":0}]},{"candidates":[{"content":{"parts":[{"text":"B"}],"role":"model"},"finishReason":"STOP","index":0}]}]"#;
    let events = decode(Preset::Gemini, &head, body);
    assert_eq!(
        events[..2],
        [
            StreamEvent::TextDelta("A".into()),
            StreamEvent::TextDelta("B".into())
        ]
    );
    assert_eq!(events.last(), Some(&StreamEvent::Done));
}

#[test]
fn empty_200_body_is_a_broken_connection() {
    let events = decode(Preset::OpenAi, &sse_head(), b"");
    assert_eq!(error_kind(&events), Some(ErrorKind::Network));
}

#[test]
fn only_the_first_finish_reason_counts() {
    let body = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":\"length\"}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    let events = decode(Preset::OpenAi, &sse_head(), body);
    let finishes: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Finish(_)))
        .collect();
    assert_eq!(finishes, [&StreamEvent::Finish(FinishReason::Length)]);
}

#[test]
fn second_choice_is_ignored() {
    let body = b"data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\"other\"}},{\"index\":0,\"delta\":{\"content\":\"mine\"}}]}\n\ndata: [DONE]\n\n";
    let events = decode(Preset::OpenAi, &sse_head(), body);
    assert_eq!(events[0], StreamEvent::TextDelta("mine".into()));
}

#[test]
fn fast_and_general_chunk_paths_agree() {
    // The same chunks, once plain (fast path) and once with `index` as a string, which the
    // typed reader refuses, so they go down the general JSON path.
    let plain = "data: {\"choices\":[{\"index\":0,\"message\":{\"content\":\"a\\u00e9\"},\"finish_reason\":null}]}\n\n\
                 data: {\"choices\":[{\"delta\":{\"reasoning\":\"r\",\"content\":\"b\"},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n\
                 data: {\"choices\":null,\"x_groq\":{\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3}}}\n\ndata: [DONE]\n\n";
    let general = plain
        .replace("\"index\":0", "\"index\":\"0\"")
        .replace("[{\"delta\"", "[{\"index\":\"0\",\"delta\"")
        .replace(
            "\"choices\":null",
            "\"choices\":[{\"index\":\"0\",\"delta\":{}}]",
        );
    assert_eq!(general.matches("\"index\":\"0\"").count(), 3, "{general}");
    let a = decode(Preset::OpenAi, &sse_head(), plain.as_bytes());
    let b = decode(Preset::OpenAi, &sse_head(), general.as_bytes());
    assert_eq!(a, b);
    assert_eq!(
        a,
        [
            StreamEvent::TextDelta("a\u{e9}".into()),
            StreamEvent::ReasoningDelta("r".into()),
            StreamEvent::TextDelta("b".into()),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(arena_providers::Usage {
                input: Some(2),
                output: Some(3)
            }),
            StreamEvent::Done,
        ]
    );
}
