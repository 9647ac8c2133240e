//! The tokenizer, built at load time from the GGUF's `tokenizer.ggml.*` metadata with the
//! Hugging Face `tokenizers` crate (no hand-written BPE).
//!
//! Two families:
//! - `gpt2`: byte-level BPE from `tokens` and `merges`. The split regex is not in the file;
//!   it is chosen by `tokenizer.ggml.pre`, with the expressions llama.cpp uses for each name.
//! - `llama` (SentencePiece BPE, as Gemma and TinyLlama ship): spaces become `▁`, pieces merge
//!   in the order of their scores (each merge's rank is the score of the piece it makes), and
//!   bytes missing from the vocabulary fall back to `<0xNN>` tokens.
//!
//! Control and user-defined tokens become added tokens, matched literally in the text.

use serde_json::{Value as Json, json};

use crate::gguf::{Header, Value};

#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    #[error("the model file has no tokenizer ({0})")]
    Missing(&'static str),
    #[error("tokenizer model {0:?} is not supported (gpt2 and llama are)")]
    Model(String),
    #[error("tokenizer: {0}")]
    Build(String),
}

/// llama.cpp's token types (`llama_token_type`).
const TYPE_CONTROL: i64 = 3;
const TYPE_USER_DEFINED: i64 = 4;
const TYPE_UNUSED: i64 = 5;

/// GPT-2's split expression.
const GPT2_REGEX: &str =
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
/// Llama 3's ("llama-bpe"), with digits in runs of at most three.
const LLAMA3_REGEX: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Qwen 2's: like Llama 3's but single digits.
const QWEN2_REGEX: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

#[derive(Debug)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    pub bos: Option<u32>,
    pub eos: Option<u32>,
    /// Tokens that end a turn (EOS, EOT, `<|im_end|>`, `<end_of_turn>` …).
    pub end_of_generation: Vec<u32>,
    pub add_bos: bool,
    pub add_eos: bool,
    tokens: Vec<String>,
}

fn strings(h: &Header, key: &'static str) -> Result<Vec<String>, TokenizerError> {
    let arr = h
        .get(key)
        .and_then(Value::as_array)
        .ok_or(TokenizerError::Missing(key))?;
    arr.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or(TokenizerError::Missing(key))
        })
        .collect()
}

fn id(h: &Header, key: &str, n: usize) -> Option<u32> {
    h.get(key)
        .and_then(Value::as_u64)
        .filter(|&v| (v as usize) < n)
        .map(|v| v as u32)
}

impl Tokenizer {
    pub fn from_header(h: &Header) -> Result<Tokenizer, TokenizerError> {
        let model = h
            .get("tokenizer.ggml.model")
            .and_then(Value::as_str)
            .ok_or(TokenizerError::Missing("tokenizer.ggml.model"))?;
        let tokens = strings(h, "tokenizer.ggml.tokens")?;
        let n = tokens.len();
        let types: Vec<i64> = match h.get("tokenizer.ggml.token_type").and_then(Value::as_array) {
            Some(a) if a.len() == n => a.iter().map(|v| v.as_i64().unwrap_or(1)).collect(),
            _ => vec![1; n],
        };
        let bos = id(h, "tokenizer.ggml.bos_token_id", n);
        let eos = id(h, "tokenizer.ggml.eos_token_id", n);
        let flag = |k: &str, default: bool| h.get(k).and_then(Value::as_bool).unwrap_or(default);
        let spm = model == "llama";
        let add_bos = flag("tokenizer.ggml.add_bos_token", spm);
        let add_eos = flag("tokenizer.ggml.add_eos_token", false);

        let vocab: serde_json::Map<String, Json> = {
            let mut m = serde_json::Map::with_capacity(n);
            for (i, t) in tokens.iter().enumerate() {
                // A duplicated piece keeps its first id, as llama.cpp's map does.
                m.entry(t.clone()).or_insert(json!(i));
            }
            m
        };
        let added: Vec<Json> = types
            .iter()
            .enumerate()
            .filter(|&(_, &ty)| ty == TYPE_CONTROL || ty == TYPE_USER_DEFINED || ty == TYPE_UNUSED)
            .filter(|&(i, _)| !tokens[i].is_empty())
            .map(|(i, &ty)| {
                json!({"id": i, "content": tokens[i], "single_word": false, "lstrip": false, "rstrip": false,
                       "normalized": false, "special": ty != TYPE_USER_DEFINED})
            })
            .collect();

        let spec = match model {
            "gpt2" => {
                let merges = strings(h, "tokenizer.ggml.merges")?;
                let pre = h
                    .get("tokenizer.ggml.pre")
                    .and_then(Value::as_str)
                    .unwrap_or("default");
                let byte_level = |use_regex: bool| json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": use_regex});
                let split = |re: &str| json!({"type": "Split", "pattern": {"Regex": re}, "behavior": "Isolated", "invert": false});
                let pre_tokenizer = match pre {
                    "llama-bpe" | "llama3" | "smaug-bpe" => {
                        json!({"type": "Sequence", "pretokenizers": [split(LLAMA3_REGEX), byte_level(false)]})
                    }
                    "qwen2" | "deepseek-r1-qwen" => {
                        json!({"type": "Sequence", "pretokenizers": [split(QWEN2_REGEX), byte_level(false)]})
                    }
                    // SmolLM splits every digit first, then applies GPT-2's expression.
                    "smollm" => json!({"type": "Sequence", "pretokenizers": [
                        {"type": "Digits", "individual_digits": true}, split(GPT2_REGEX), byte_level(false)]}),
                    _ => {
                        json!({"type": "Sequence", "pretokenizers": [split(GPT2_REGEX), byte_level(false)]})
                    }
                };
                json!({
                    "version": "1.0", "truncation": null, "padding": null, "added_tokens": added,
                    "normalizer": null, "pre_tokenizer": pre_tokenizer, "post_processor": null,
                    "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
                    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                              "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
                              "ignore_merges": false, "vocab": vocab, "merges": merges}
                })
            }
            "llama" => {
                let scores: Vec<f32> =
                    match h.get("tokenizer.ggml.scores").and_then(Value::as_array) {
                        Some(a) if a.len() == n => {
                            a.iter().map(|v| v.as_f64().unwrap_or(0.0) as f32).collect()
                        }
                        _ => return Err(TokenizerError::Missing("tokenizer.ggml.scores")),
                    };
                let merges = spm_merges(&tokens, &scores, &types);
                let unk =
                    id(h, "tokenizer.ggml.unknown_token_id", n).map(|i| tokens[i as usize].clone());
                // SentencePiece's dummy prefix: a leading "▁" unless the file says not to
                // (Gemma's does not add one).
                let prefix = flag(
                    "tokenizer.ggml.add_space_prefix",
                    !matches!(h.architecture(), Some("gemma3" | "gemma2" | "gemma")),
                );
                let mut normalizers = Vec::new();
                if prefix {
                    normalizers.push(json!({"type": "Prepend", "prepend": "\u{2581}"}));
                }
                normalizers.push(
                    json!({"type": "Replace", "pattern": {"String": " "}, "content": "\u{2581}"}),
                );
                let mut decoders = vec![
                    json!({"type": "Replace", "pattern": {"String": "\u{2581}"}, "content": " "}),
                    json!({"type": "ByteFallback"}),
                    json!({"type": "Fuse"}),
                ];
                if prefix {
                    decoders.push(json!({"type": "Strip", "content": " ", "start": 1, "stop": 0}));
                }
                json!({
                    "version": "1.0", "truncation": null, "padding": null, "added_tokens": added,
                    "normalizer": {"type": "Sequence", "normalizers": normalizers},
                    "pre_tokenizer": null, "post_processor": null,
                    "decoder": {"type": "Sequence", "decoders": decoders},
                    "model": {"type": "BPE", "dropout": null, "unk_token": unk, "continuing_subword_prefix": null,
                              "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": true,
                              "ignore_merges": false, "vocab": vocab, "merges": merges}
                })
            }
            other => return Err(TokenizerError::Model(other.to_string())),
        };
        let text =
            serde_json::to_string(&spec).map_err(|e| TokenizerError::Build(e.to_string()))?;
        let inner: tokenizers::Tokenizer = text
            .parse()
            .map_err(|e: tokenizers::Error| TokenizerError::Build(e.to_string()))?;

        let mut end_of_generation: Vec<u32> = Vec::new();
        for key in [
            "tokenizer.ggml.eos_token_id",
            "tokenizer.ggml.eot_token_id",
            "tokenizer.ggml.eom_token_id",
        ] {
            if let Some(t) = id(h, key, n) {
                end_of_generation.push(t);
            }
        }
        // Turn ends that files often leave out of the metadata (llama.cpp's list, in part).
        for name in [
            "<|im_end|>",
            "<|eot_id|>",
            "<end_of_turn>",
            "<|endoftext|>",
            "<|end|>",
            "</s>",
        ] {
            if let Some(i) = tokens.iter().position(|t| t == name)
                && (types[i] == TYPE_CONTROL || types[i] == TYPE_USER_DEFINED)
            {
                end_of_generation.push(i as u32);
            }
        }
        end_of_generation.sort_unstable();
        end_of_generation.dedup();
        Ok(Tokenizer {
            inner,
            bos,
            eos,
            end_of_generation,
            add_bos,
            add_eos,
            tokens,
        })
    }

    /// Token ids of `text`; special tokens written in the text are recognised. With
    /// `add_special`, BOS/EOS are added as the file's flags say.
    pub fn encode(&self, text: &str, add_special: bool) -> Result<Vec<u32>, TokenizerError> {
        let enc = self
            .inner
            .encode_fast(text, false)
            .map_err(|e| TokenizerError::Build(e.to_string()))?;
        let mut ids = Vec::with_capacity(enc.len() + 2);
        if add_special && self.add_bos {
            ids.extend(self.bos);
        }
        ids.extend_from_slice(enc.get_ids());
        if add_special && self.add_eos {
            ids.extend(self.eos);
        }
        Ok(ids)
    }

    /// Text of `ids`; control tokens are left out when `skip_special`.
    pub fn decode(&self, ids: &[u32], skip_special: bool) -> Result<String, TokenizerError> {
        self.inner
            .decode(ids, skip_special)
            .map_err(|e| TokenizerError::Build(e.to_string()))
    }

    pub fn is_end_of_generation(&self, id: u32) -> bool {
        self.end_of_generation.binary_search(&id).is_ok()
    }

    pub fn token_text(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }

    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }
}

/// SentencePiece BPE as merges: every split of a piece into two pieces of the vocabulary is
/// a merge, ranked by the score of the piece it makes (higher first; ties by id), which is
/// the order llama.cpp's SPM tokenizer applies them in.
fn spm_merges(tokens: &[String], scores: &[f32], types: &[i64]) -> Vec<Json> {
    let index: std::collections::HashMap<&str, usize> = tokens
        .iter()
        .enumerate()
        .rev()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let mut merges: Vec<(f32, usize, usize, usize)> = Vec::new();
    for (i, piece) in tokens.iter().enumerate() {
        if types[i] != 1 || piece.chars().nth(1).is_none() {
            continue;
        }
        for (split, _) in piece.char_indices().skip(1) {
            let (l, r) = piece.split_at(split);
            if let (Some(&li), Some(&ri)) = (index.get(l), index.get(r)) {
                merges.push((scores[i], i, li, ri));
            }
        }
    }
    merges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    merges
        .into_iter()
        .map(|(_, _, l, r)| json!([tokens[l], tokens[r]]))
        .collect()
}
