//! Text generation: prompt → tokens → a token-at-a-time loop with streaming text, stop
//! strings, end-of-turn tokens and a token budget.

use crate::chat::{ChatTemplate, Message, TemplateError, default_template};
use crate::gguf::Value;
use crate::model::{Model, ModelError, State};
use crate::sample::{Sampler, SamplerConfig};
use crate::tokenizer::{Tokenizer, TokenizerError};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("the prompt is {prompt} tokens, more than the context of {ctx}")]
    PromptTooLong { prompt: usize, ctx: usize },
}

/// A model with its tokenizer and chat template.
#[derive(Debug)]
pub struct Engine {
    pub model: Model,
    pub tokenizer: Tokenizer,
    pub template: ChatTemplate,
}

#[derive(Debug, Clone)]
pub struct GenerateParams {
    pub max_tokens: usize,
    pub sampler: SamplerConfig,
    pub stop: Vec<String>,
    /// KV cache length (prompt and answer).
    pub n_ctx: usize,
}

impl Default for GenerateParams {
    fn default() -> Self {
        Self {
            max_tokens: 256,
            sampler: SamplerConfig::default(),
            stop: Vec::new(),
            n_ctx: 2048,
        }
    }
}

impl Engine {
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Engine, EngineError> {
        let model = Model::from_bytes(bytes)?;
        let tokenizer = Tokenizer::from_header(&model.header)?;
        let text = |id: Option<u32>| {
            id.and_then(|i| tokenizer.token_text(i))
                .unwrap_or("")
                .to_string()
        };
        let fallback = default_template(model.header.architecture().unwrap_or(""));
        let source = model
            .header
            .get("tokenizer.chat_template")
            .and_then(Value::as_str)
            .unwrap_or(fallback)
            .to_string();
        let template = ChatTemplate::new(&source, &text(tokenizer.bos), &text(tokenizer.eos))?;
        Ok(Engine {
            model,
            tokenizer,
            template,
        })
    }

    /// Prompt tokens for a conversation, through the model's chat template.
    pub fn chat_tokens(&self, messages: &[Message]) -> Result<Vec<u32>, EngineError> {
        let text = self.template.render(messages, true)?;
        // The template writes BOS itself when the model wants one.
        let mut ids = self.tokenizer.encode(&text, false)?;
        if let (true, Some(bos)) = (self.tokenizer.add_bos, self.tokenizer.bos)
            && ids.first() != Some(&bos)
        {
            ids.insert(0, bos);
        }
        Ok(ids)
    }

    /// Starts generating after `prompt` (token ids).
    pub fn start(
        &self,
        prompt: &[u32],
        params: &GenerateParams,
    ) -> Result<Generation<'_>, EngineError> {
        let n_ctx = params
            .n_ctx
            .min(self.model.config.n_ctx_train)
            .max(prompt.len() + 1);
        if prompt.len() >= n_ctx || prompt.is_empty() {
            return Err(EngineError::PromptTooLong {
                prompt: prompt.len(),
                ctx: n_ctx,
            });
        }
        let mut state = self.model.new_state(n_ctx);
        let logits = self.model.forward(&mut state, prompt, false)?;
        Ok(Generation {
            engine: self,
            state,
            sampler: Sampler::new(params.sampler.clone()),
            history: prompt.to_vec(),
            prompt_len: prompt.len(),
            logits,
            max_tokens: params.max_tokens,
            stop: params.stop.clone(),
            emitted: 0,
            done: None,
        })
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    EndOfTurn,
    Length,
    Stop,
    ContextFull,
}

/// One step's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A token was produced; `text` is what became printable (possibly empty while a
    /// multi-byte character or a possible stop string is pending).
    Token {
        id: u32,
        text: String,
    },
    Done(Finish),
}

/// A running generation. Call [`Generation::step`] until it returns `Step::Done`; dropping
/// it between steps cancels.
#[derive(Debug)]
pub struct Generation<'e> {
    engine: &'e Engine,
    state: State,
    sampler: Sampler,
    history: Vec<u32>,
    prompt_len: usize,
    logits: Vec<f32>,
    max_tokens: usize,
    stop: Vec<String>,
    /// Bytes of the answer's text already returned.
    emitted: usize,
    done: Option<Finish>,
}

impl Generation<'_> {
    /// The answer's tokens so far.
    pub fn tokens(&self) -> &[u32] {
        &self.history[self.prompt_len..]
    }

    pub fn step(&mut self) -> Result<Step, EngineError> {
        if let Some(f) = self.done {
            return Ok(Step::Done(f));
        }
        let tok = &self.engine.tokenizer;
        if self.tokens().len() >= self.max_tokens {
            return Ok(self.finish(Finish::Length));
        }
        let id = self.sampler.sample(&mut self.logits, &self.history);
        if tok.is_end_of_generation(id) {
            return Ok(self.finish(Finish::EndOfTurn));
        }
        self.history.push(id);
        let text = tok.decode(self.tokens(), true)?;
        // Hold back an incomplete UTF-8 sequence (decoded as U+FFFD) and any tail that could
        // still become a stop string.
        let mut end = text.len();
        if text.ends_with('\u{FFFD}') {
            end -= '\u{FFFD}'.len_utf8();
        }
        if let Some(at) = self.stop.iter().filter_map(|s| text.find(s.as_str())).min() {
            let out = text.get(self.emitted..at).unwrap_or("").to_string();
            self.emitted = at;
            self.done = Some(Finish::Stop);
            return Ok(Step::Token { id, text: out });
        }
        for s in &self.stop {
            for k in (1..s.len()).rev() {
                if s.is_char_boundary(k) && text[..end].ends_with(&s[..k]) {
                    end = end.min(text.len() - k);
                    break;
                }
            }
        }
        let out = if end > self.emitted {
            text.get(self.emitted..end).unwrap_or("").to_string()
        } else {
            String::new()
        };
        self.emitted = self.emitted.max(end);
        if self.state.pos + 1 >= self.state.n_ctx {
            self.done = Some(Finish::ContextFull);
            return Ok(Step::Token { id, text: out });
        }
        self.logits = self.engine.model.forward(&mut self.state, &[id], false)?;
        Ok(Step::Token { id, text: out })
    }

    fn finish(&mut self, f: Finish) -> Step {
        self.done = Some(f);
        Step::Done(f)
    }

    /// Whatever text is still held back (call after `Done`).
    pub fn flush(&mut self) -> String {
        if self.done == Some(Finish::Stop) {
            return String::new();
        }
        let text = self
            .engine
            .tokenizer
            .decode(self.tokens(), true)
            .unwrap_or_default();
        let out = text.get(self.emitted..).unwrap_or("").to_string();
        self.emitted = text.len();
        out
    }
}
