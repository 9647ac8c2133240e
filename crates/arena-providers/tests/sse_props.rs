//! The stream parsers give the same events wherever the input is split, and agree with a
//! plain whole-input reading of the WHATWG rules written independently here.

use arena_providers::{EndOfStream, NdjsonParser, SseEvent, SseParser};
use proptest::prelude::*;

/// A direct, non-incremental reading of "Parsing an event stream", as the oracle.
fn reference(input: &[u8], end: EndOfStream) -> Vec<SseEvent> {
    let text = String::from_utf8_lossy(input);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    // Split into lines on CRLF, CR or LF; a last piece without a line end is not a line.
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut cur));
            }
            '\n' => lines.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    let tail = (!cur.is_empty()).then_some(cur);
    let (mut data, mut event, mut id) = (String::new(), String::new(), String::new());
    let mut out = Vec::new();
    let mut dispatch = |data: &mut String, event: &mut String, id: &String| {
        if data.is_empty() {
            event.clear();
            return;
        }
        let mut d = std::mem::take(data);
        if d.ends_with('\n') {
            d.pop();
        }
        let e = if event.is_empty() {
            "message".to_owned()
        } else {
            std::mem::take(event)
        };
        out.push(SseEvent {
            event: e,
            data: d,
            id: id.clone(),
        });
    };
    let eof_lines = usize::from(end == EndOfStream::Dispatch && tail.is_some());
    let all: Vec<String> = lines
        .into_iter()
        .chain(tail.into_iter().take(eof_lines))
        .collect();
    for line in &all {
        if line.is_empty() {
            dispatch(&mut data, &mut event, &id);
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.find(':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (line.as_str(), ""),
        };
        match field {
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "event" => value.clone_into(&mut event),
            "id" if !value.contains('\0') => value.clone_into(&mut id),
            _ => {}
        }
    }
    if end == EndOfStream::Dispatch {
        dispatch(&mut data, &mut event, &id);
    }
    out
}

fn parse_chunks(chunks: &[&[u8]], end: EndOfStream) -> Vec<SseEvent> {
    let mut p = SseParser::with_end(end);
    let mut out = Vec::new();
    for c in chunks {
        out.extend(p.push(c));
    }
    out.extend(p.finish());
    out
}

fn split_at_points<'a>(bytes: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut pts: Vec<usize> = points.iter().map(|p| p % (bytes.len() + 1)).collect();
    pts.sort_unstable();
    let mut out = Vec::new();
    let mut last = 0;
    for p in pts {
        out.push(&bytes[last..p]);
        last = p;
    }
    out.push(&bytes[last..]);
    out
}

/// A stream with every feature: BOM, comments, named events, ids, retry, multi-line data,
/// all three line ends, and text in 2-, 3- and 4-byte UTF-8.
const TRANSCRIPT: &str = "\u{feff}: OPENROUTER PROCESSING\r\n\r\nevent: message_start\r\nid: 1\r\ndata: {\"t\":\"h\u{e9}\"}\r\n\r\n: keep-alive\n\ndata: \u{4f60}\u{597d}\ndata:\u{1f389}\n\nretry: 3000\revent: ping\rdata\r\rdata: \u{e9}\u{e9}\u{1f600}\r\n\r\ndata: [DONE]\n\n";

#[test]
fn transcript_every_single_split_point() {
    let bytes = TRANSCRIPT.as_bytes();
    for end in [EndOfStream::Discard, EndOfStream::Dispatch] {
        let whole = parse_chunks(&[bytes], end);
        assert_eq!(whole, reference(bytes, end));
        let ev = |event: &str, data: &str| SseEvent {
            event: event.into(),
            data: data.into(),
            id: "1".into(),
        };
        assert_eq!(
            whole,
            [
                ev("message_start", "{\"t\":\"h\u{e9}\"}"),
                ev("message", "\u{4f60}\u{597d}\n\u{1f389}"),
                ev("ping", ""),
                ev("message", "\u{e9}\u{e9}\u{1f600}"),
                ev("message", "[DONE]"),
            ]
        );
        for i in 0..=bytes.len() {
            let (a, b) = bytes.split_at(i);
            assert_eq!(parse_chunks(&[a, b], end), whole, "split at {i}");
        }
    }
}

#[test]
fn transcript_every_pair_of_split_points() {
    let bytes = TRANSCRIPT.as_bytes();
    let whole = parse_chunks(&[bytes], EndOfStream::Discard);
    for i in 0..=bytes.len() {
        for j in i..=bytes.len() {
            let chunks = [&bytes[..i], &bytes[i..j], &bytes[j..]];
            assert_eq!(
                parse_chunks(&chunks, EndOfStream::Discard),
                whole,
                "split at {i},{j}"
            );
        }
    }
}

fn line_strategy() -> impl Strategy<Value = String> {
    let value = "[a-z0-9 :\u{e9}\u{4f60}\u{1f389}\u{0}]{0,10}";
    prop_oneof![
        value.prop_map(|v| format!("data:{v}")),
        value.prop_map(|v| format!("data: {v}")),
        "[a-z_]{0,8}".prop_map(|v| format!("event: {v}")),
        value.prop_map(|v| format!("id: {v}")),
        "[0-9a]{0,5}".prop_map(|v| format!("retry: {v}")),
        value.prop_map(|v| format!(":{v}")),
        Just("data".to_owned()),
        Just(String::new()),
        Just(String::new()),
        value.prop_map(|v| format!("other{v}")),
    ]
}

fn stream_strategy() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        prop::collection::vec((line_strategy(), 0..3usize), 0..24),
        any::<bool>(),
    )
        .prop_map(|(bom, lines, cut_last)| {
            let mut s = String::new();
            if bom {
                s.push('\u{feff}');
            }
            for (line, end) in lines {
                s.push_str(&line);
                s.push_str(["\n", "\r", "\r\n"][end]);
            }
            let mut bytes = s.into_bytes();
            if cut_last && !bytes.is_empty() {
                // End mid-line, possibly mid-character.
                bytes.pop();
            }
            bytes
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn sse_same_events_for_every_split(
        bytes in stream_strategy(),
        points in prop::collection::vec(any::<usize>(), 0..8),
        dispatch in any::<bool>(),
    ) {
        let end = if dispatch { EndOfStream::Dispatch } else { EndOfStream::Discard };
        let whole = parse_chunks(&[&bytes], end);
        prop_assert_eq!(&whole, &reference(&bytes, end));
        let chunks = split_at_points(&bytes, &points);
        prop_assert_eq!(&parse_chunks(&chunks, end), &whole);
        let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(&parse_chunks(&bytewise, end), &whole);
    }

    #[test]
    fn sse_arbitrary_bytes_never_panic_and_split_freely(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
        points in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let whole = parse_chunks(&[&bytes], EndOfStream::Dispatch);
        prop_assert_eq!(&whole, &reference(&bytes, EndOfStream::Dispatch));
        prop_assert_eq!(&parse_chunks(&split_at_points(&bytes, &points), EndOfStream::Dispatch), &whole);
    }

    #[test]
    fn ndjson_same_lines_for_every_split(
        lines in prop::collection::vec(("[a-z0-9 {}\":\u{e9}\u{1f389}]{0,12}", any::<bool>()), 0..12),
        points in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let mut s = String::new();
        for (l, crlf) in &lines {
            s.push_str(l);
            s.push_str(if *crlf { "\r\n" } else { "\n" });
        }
        let bytes = s.into_bytes();
        let run = |chunks: &[&[u8]]| {
            let mut p = NdjsonParser::new();
            let mut out = Vec::new();
            for c in chunks {
                out.extend(p.push(c));
            }
            out.extend(p.finish());
            out
        };
        let whole = run(&[&bytes]);
        let expected: Vec<String> = lines
            .iter()
            .map(|(l, _)| l.clone())
            .filter(|l| !l.trim().is_empty())
            .collect();
        prop_assert_eq!(&whole, &expected);
        prop_assert_eq!(&run(&split_at_points(&bytes, &points)), &whole);
    }
}
