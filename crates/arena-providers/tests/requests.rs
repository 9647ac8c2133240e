//! Request building: URLs, headers and body fields per preset, keys kept out of URLs and
//! `Debug`, and the headers a CORS preflight would see.

use arena_providers::{
    ANTHROPIC_DEFAULT_MAX_TOKENS, ApiKey, ChatRequest, Endpoint, HttpRequest, Message, Method,
    Preset, RequestError, ResponseHead, Wire,
};
use serde_json::{Value, json};

const KEY: &str = "sk-test-0123456789-SECRET";

fn full_request() -> ChatRequest {
    ChatRequest {
        model: "m-1".into(),
        messages: vec![
            Message::user("Hi"),
            Message::assistant("Hello!"),
            Message::user("Tell me a joke"),
        ],
        system: Some("Be brief.".into()),
        temperature: Some(0.5),
        top_p: Some(0.9),
        max_tokens: Some(256),
    }
}

fn build(preset: Preset, req: &ChatRequest) -> (HttpRequest, Value) {
    let r = Endpoint::new(preset)
        .with_api_key(ApiKey::new(KEY))
        .chat_request(req)
        .unwrap();
    let body = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
    (r, body)
}

/// Headers a browser preflight would list in `Access-Control-Request-Headers`: everything
/// but the CORS-safelisted ones (and `content-type: application/json` is not safelisted).
fn preflight_headers(r: &HttpRequest) -> Vec<&'static str> {
    let mut names = r.headers.names();
    names.sort_unstable();
    names
}

#[test]
fn openai_body_and_headers() {
    let (r, body) = build(Preset::OpenAi, &full_request());
    assert_eq!(r.method, Method::Post);
    assert_eq!(r.url, "https://api.openai.com/v1/chat/completions");
    assert_eq!(
        r.headers.get("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(r.headers.get("content-type"), Some("application/json"));
    assert_eq!(
        body,
        json!({
            "model": "m-1",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": "Tell me a joke"},
            ],
            "stream": true,
            "stream_options": {"include_usage": true},
            "temperature": 0.5,
            "top_p": 0.9,
            "max_completion_tokens": 256,
        })
    );
}

#[test]
fn compatibles_use_max_tokens_and_their_own_base() {
    for (preset, url) in [
        (
            Preset::Groq,
            "https://api.groq.com/openai/v1/chat/completions",
        ),
        (
            Preset::Together,
            "https://api.together.xyz/v1/chat/completions",
        ),
        (
            Preset::DeepSeek,
            "https://api.deepseek.com/chat/completions",
        ),
        (Preset::Xai, "https://api.x.ai/v1/chat/completions"),
        (
            Preset::OpenRouter,
            "https://openrouter.ai/api/v1/chat/completions",
        ),
        (Preset::Vllm, "http://localhost:8000/v1/chat/completions"),
        (
            Preset::LmStudio,
            "http://localhost:1234/v1/chat/completions",
        ),
        (
            Preset::LlamaCpp,
            "http://localhost:8080/v1/chat/completions",
        ),
        (
            Preset::OllamaOpenAi,
            "http://localhost:11434/v1/chat/completions",
        ),
    ] {
        let (r, body) = build(preset, &full_request());
        assert_eq!(r.url, url);
        assert_eq!(body["max_tokens"], 256, "{preset:?}");
        assert!(body.get("max_completion_tokens").is_none(), "{preset:?}");
        assert_eq!(body["stream_options"]["include_usage"], true, "{preset:?}");
        assert_eq!(
            preflight_headers(&r),
            ["authorization", "content-type"],
            "{preset:?}"
        );
    }
}

#[test]
fn mistral_sends_no_non_standard_headers_or_fields() {
    let (r, body) = build(Preset::Mistral, &full_request());
    assert_eq!(r.url, "https://api.mistral.ai/v1/chat/completions");
    assert_eq!(preflight_headers(&r), ["authorization", "content-type"]);
    assert!(body.get("stream_options").is_none());
    // Attribution headers are OpenRouter's; Mistral's preflight would reject them.
    let r = Endpoint::new(Preset::Mistral)
        .with_api_key(ApiKey::new(KEY))
        .with_attribution(Some("https://arena.example".into()), Some("Arena".into()))
        .chat_request(&full_request())
        .unwrap();
    assert_eq!(preflight_headers(&r), ["authorization", "content-type"]);
}

#[test]
fn openrouter_attribution_headers_are_optional() {
    let ep = Endpoint::new(Preset::OpenRouter).with_api_key(ApiKey::new(KEY));
    let r = ep.chat_request(&full_request()).unwrap();
    assert_eq!(preflight_headers(&r), ["authorization", "content-type"]);
    let r = ep
        .with_attribution(Some("https://arena.example".into()), Some("Arena".into()))
        .chat_request(&full_request())
        .unwrap();
    assert_eq!(r.headers.get("http-referer"), Some("https://arena.example"));
    assert_eq!(r.headers.get("x-title"), Some("Arena"));
}

#[test]
fn anthropic_headers_and_required_max_tokens() {
    let (r, body) = build(Preset::Anthropic, &full_request());
    assert_eq!(r.url, "https://api.anthropic.com/v1/messages");
    assert_eq!(r.headers.get("x-api-key"), Some(KEY));
    assert_eq!(r.headers.get("anthropic-version"), Some("2023-06-01"));
    assert_eq!(
        r.headers.get("anthropic-dangerous-direct-browser-access"),
        Some("true")
    );
    assert!(r.headers.get("authorization").is_none());
    assert_eq!(
        body,
        json!({
            "model": "m-1",
            "max_tokens": 256,
            "messages": [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": "Tell me a joke"},
            ],
            "system": "Be brief.",
            "temperature": 0.5,
            "top_p": 0.9,
            "stream": true,
        })
    );
    let (_, body) = build(Preset::Anthropic, &ChatRequest::new("m", "x"));
    assert_eq!(body["max_tokens"], ANTHROPIC_DEFAULT_MAX_TOKENS);
    assert!(body.get("system").is_none() && body.get("temperature").is_none());
}

#[test]
fn anthropic_base_with_v1_is_not_doubled() {
    let r = Endpoint::new(Preset::Anthropic)
        .with_base_url("http://127.0.0.1:9/anthropic/v1/")
        .with_api_key(ApiKey::new(KEY))
        .chat_request(&full_request())
        .unwrap();
    assert_eq!(r.url, "http://127.0.0.1:9/anthropic/v1/messages");
}

#[test]
fn gemini_key_in_header_not_url() {
    let (r, body) = build(Preset::Gemini, &full_request());
    assert_eq!(
        r.url,
        "https://generativelanguage.googleapis.com/v1beta/models/m-1:streamGenerateContent?alt=sse"
    );
    assert!(!r.url.contains("key="));
    assert_eq!(r.headers.get("x-goog-api-key"), Some(KEY));
    assert_eq!(preflight_headers(&r), ["content-type", "x-goog-api-key"]);
    assert_eq!(
        body,
        json!({
            "contents": [
                {"role": "user", "parts": [{"text": "Hi"}]},
                {"role": "model", "parts": [{"text": "Hello!"}]},
                {"role": "user", "parts": [{"text": "Tell me a joke"}]},
            ],
            "systemInstruction": {"parts": [{"text": "Be brief."}]},
            "generationConfig": {"temperature": 0.5, "topP": 0.9, "maxOutputTokens": 256},
        })
    );
    let (_, body) = build(Preset::Gemini, &ChatRequest::new("m", "x"));
    assert!(body.get("generationConfig").is_none() && body.get("systemInstruction").is_none());
}

#[test]
fn ollama_native_body() {
    let (r, body) = build(Preset::Ollama, &full_request());
    assert_eq!(r.url, "http://localhost:11434/api/chat");
    assert_eq!(
        body,
        json!({
            "model": "m-1",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello!"},
                {"role": "user", "content": "Tell me a joke"},
            ],
            "stream": true,
            "options": {"temperature": 0.5, "top_p": 0.9, "num_predict": 256},
        })
    );
    // No key: no auth header at all (a local Ollama needs none).
    let r = Endpoint::new(Preset::Ollama)
        .chat_request(&ChatRequest::new("llama3.2", "x"))
        .unwrap();
    assert_eq!(preflight_headers(&r), ["content-type"]);
}

#[test]
fn no_key_ever_in_a_url_or_debug_output() {
    for preset in Preset::ALL {
        let ep = Endpoint::new(preset).with_api_key(ApiKey::new(KEY));
        let chat = ep.chat_request(&full_request()).unwrap();
        let models = ep.models_request().unwrap();
        for r in [&chat, &models] {
            assert!(!r.url.contains("SECRET"), "{preset:?}: {}", r.url);
            let shown = format!("{r:?} {ep:?}");
            assert!(!shown.contains("SECRET"), "{preset:?}: {shown}");
            assert!(shown.contains("<redacted>"), "{preset:?}: {shown}");
        }
        let err = ep.network_error(Some(&format!("failed with {KEY}")), None);
        assert!(!format!("{err} {err:?} {}", err.hint()).contains("SECRET"));
        let err = ep.parse_models(
            &ResponseHead::new(401),
            format!(r#"{{"error":{{"message":"bad key {KEY}"}}}}"#).as_bytes(),
        );
        assert!(!format!("{err:?}").contains("SECRET"), "{preset:?}");
    }
}

#[test]
fn keys_are_required_by_cloud_presets_only() {
    for preset in Preset::ALL {
        let got = Endpoint::new(preset).chat_request(&full_request());
        if preset.info().needs_key {
            assert_eq!(got, Err(RequestError::MissingKey), "{preset:?}");
        } else {
            let r = got.unwrap();
            assert!(r.headers.get("authorization").is_none(), "{preset:?}");
        }
    }
}

#[test]
fn bad_inputs_are_refused_before_sending() {
    let ep = Endpoint::new(Preset::OpenAi).with_api_key(ApiKey::new(KEY));
    assert_eq!(
        ep.chat_request(&ChatRequest::new(" ", "x")),
        Err(RequestError::MissingModel)
    );
    let empty = ChatRequest {
        model: "m".into(),
        ..ChatRequest::default()
    };
    assert_eq!(ep.chat_request(&empty), Err(RequestError::NoMessages));
    for base in [
        "api.openai.com/v1",
        "javascript:alert(1)",
        "https://user:pw@host/v1",
        "https://host/v1?key=x",
        "https:///v1",
    ] {
        assert_eq!(
            ep.clone().with_base_url(base).chat_request(&full_request()),
            Err(RequestError::BadBaseUrl),
            "{base}"
        );
    }
}

#[test]
fn model_listing_requests() {
    let cases = [
        (Preset::OpenAi, "https://api.openai.com/v1/models"),
        (Preset::OpenRouter, "https://openrouter.ai/api/v1/models"),
        (
            Preset::Anthropic,
            "https://api.anthropic.com/v1/models?limit=1000",
        ),
        (
            Preset::Gemini,
            "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000",
        ),
        (Preset::Ollama, "http://localhost:11434/api/tags"),
        (Preset::OllamaOpenAi, "http://localhost:11434/v1/models"),
    ];
    for (preset, url) in cases {
        let r = Endpoint::new(preset)
            .with_api_key(ApiKey::new(KEY))
            .models_request()
            .unwrap();
        assert_eq!(r.method, Method::Get);
        assert_eq!(r.url, url);
        assert!(r.body.is_none());
        assert!(r.headers.get("content-type").is_none(), "{preset:?}");
    }
}

#[test]
fn model_lists_parse() {
    let ep = |p| Endpoint::new(p).with_api_key(ApiKey::new(KEY));
    let ok = ResponseHead::new(200);
    let ids =
        |list: Vec<arena_providers::ModelInfo>| list.into_iter().map(|m| m.id).collect::<Vec<_>>();

    let openai = br#"{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1,"owned_by":"system"},{"id":"gpt-4o-mini","object":"model","created":1,"owned_by":"system"},{"id":"gpt-4o","object":"model"}]}"#;
    assert_eq!(
        ids(ep(Preset::OpenAi).parse_models(&ok, openai).unwrap()),
        ["gpt-4o", "gpt-4o-mini"]
    );

    let together = br#"[{"id":"meta-llama/Llama-3-8b-chat-hf","object":"model","type":"chat","display_name":"Llama 3 8B"},{"id":"BAAI/bge-large-en","object":"model","type":"embedding"}]"#;
    let list = ep(Preset::Together).parse_models(&ok, together).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name.as_deref(), Some("Llama 3 8B"));

    let anthropic = br#"{"data":[{"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}],"has_more":false,"first_id":"claude-sonnet-4-5","last_id":"claude-sonnet-4-5"}"#;
    let list = ep(Preset::Anthropic).parse_models(&ok, anthropic).unwrap();
    assert_eq!(ids(list.clone()), ["claude-sonnet-4-5"]);
    assert_eq!(list[0].name.as_deref(), Some("Claude Sonnet 4.5"));

    let gemini = br#"{"models":[{"name":"models/gemini-2.0-flash","displayName":"Gemini 2.0 Flash","supportedGenerationMethods":["generateContent","countTokens"]},{"name":"models/text-embedding-004","displayName":"Text Embedding 004","supportedGenerationMethods":["embedContent"]}],"nextPageToken":""}"#;
    assert_eq!(
        ids(ep(Preset::Gemini).parse_models(&ok, gemini).unwrap()),
        ["gemini-2.0-flash"]
    );

    let ollama = br#"{"models":[{"name":"llama3.2:latest","model":"llama3.2:latest","modified_at":"2025-01-01T00:00:00Z","size":2019393189,"digest":"a80c4f17acd5","details":{"format":"gguf","family":"llama","parameter_size":"3.2B","quantization_level":"Q4_K_M"}}]}"#;
    assert_eq!(
        ids(ep(Preset::Ollama).parse_models(&ok, ollama).unwrap()),
        ["llama3.2:latest"]
    );

    let err = ep(Preset::Anthropic)
        .parse_models(
            &ResponseHead::new(401),
            br#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
        )
        .unwrap_err();
    assert_eq!(err.kind(), arena_providers::ErrorKind::BadKey);
    let err = ep(Preset::OpenAi).parse_models(&ok, b"<html>").unwrap_err();
    assert_eq!(err.kind(), arena_providers::ErrorKind::Other);
}

#[test]
fn every_preset_has_its_wire() {
    for preset in Preset::ALL {
        let info = preset.info();
        let expected_wire = match preset {
            Preset::Anthropic => Wire::Anthropic,
            Preset::Gemini => Wire::Gemini,
            Preset::Ollama => Wire::Ollama,
            _ => Wire::OpenAi,
        };
        assert_eq!(info.wire, expected_wire, "{preset:?}");
    }
}
