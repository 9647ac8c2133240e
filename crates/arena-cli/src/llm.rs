//! `arena llm generate` and `arena llm logits` (DESIGN.md §5): the local engine on the CPU.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use arena_llm::generate::Finish;
use arena_llm::{Engine, GenerateParams, Message, SamplerConfig, Step};
use clap::{Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum LlmCommand {
    /// Generate text from a GGUF model (the prompt goes through the model's chat template
    /// unless --raw).
    Generate(GenerateArgs),
    /// Print the last position's logits for the given token ids, as a JSON array.
    Logits(LogitsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Device {
    Cpu,
    Gpu,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    #[arg(long)]
    pub model: PathBuf,
    #[arg(long)]
    pub prompt: String,
    #[arg(long, default_value_t = 256)]
    pub max_tokens: usize,
    /// 0 means greedy.
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f32,
    #[arg(long, default_value_t = 40)]
    pub top_k: usize,
    #[arg(long, default_value_t = 0.95)]
    pub top_p: f32,
    #[arg(long, default_value_t = 1.0)]
    pub repetition_penalty: f32,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: Device,
    /// Tokenize the prompt as it is, without the chat template.
    #[arg(long)]
    pub raw: bool,
    /// Print timings (load, prefill and decode tokens/s) to stderr.
    #[arg(long)]
    pub stats: bool,
}

#[derive(Debug, clap::Args)]
pub struct LogitsArgs {
    #[arg(long)]
    pub model: PathBuf,
    /// Token ids separated by spaces or commas.
    #[arg(long)]
    pub tokens: String,
}

pub fn run(cmd: &LlmCommand) -> Result<()> {
    match cmd {
        LlmCommand::Generate(a) => generate(a),
        LlmCommand::Logits(a) => logits(a),
    }
}

fn load(path: &Path) -> Result<Engine> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Engine::from_bytes(bytes).with_context(|| format!("loading {}", path.display()))
}

fn generate(a: &GenerateArgs) -> Result<()> {
    if a.device == Device::Gpu {
        bail!("--device gpu is not available yet; use --device cpu");
    }
    let t0 = Instant::now();
    let engine = load(&a.model)?;
    let load_s = t0.elapsed().as_secs_f64();
    let prompt = if a.raw {
        engine.tokenizer.encode(&a.prompt, true)?
    } else {
        engine.chat_tokens(&[Message::new("user", &a.prompt)])?
    };
    let params = GenerateParams {
        max_tokens: a.max_tokens,
        sampler: SamplerConfig {
            temperature: a.temperature,
            top_k: a.top_k,
            top_p: a.top_p,
            repetition_penalty: a.repetition_penalty,
            seed: a.seed,
            ..SamplerConfig::default()
        },
        stop: Vec::new(),
        n_ctx: 4096,
    };
    let t1 = Instant::now();
    let mut g = engine.start(&prompt, &params)?;
    let prefill_s = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let mut out = std::io::stdout().lock();
    let finish = loop {
        match g.step()? {
            Step::Token { text, .. } => {
                out.write_all(text.as_bytes())?;
                out.flush()?;
            }
            Step::Done(f) => break f,
        }
    };
    out.write_all(g.flush().as_bytes())?;
    writeln!(out)?;
    let decode_s = t2.elapsed().as_secs_f64();
    if a.stats {
        let n = g.tokens().len();
        eprintln!(
            "load {load_s:.2} s · prompt {} tokens in {prefill_s:.3} s ({:.1} tok/s) · {n} tokens in {decode_s:.3} s ({:.1} tok/s) · end: {}",
            prompt.len(),
            prompt.len() as f64 / prefill_s,
            n as f64 / decode_s,
            match finish {
                Finish::EndOfTurn => "end of turn",
                Finish::Length => "max tokens",
                Finish::Stop => "stop string",
                Finish::ContextFull => "context full",
            }
        );
    }
    Ok(())
}

fn logits(a: &LogitsArgs) -> Result<()> {
    let bytes =
        std::fs::read(&a.model).with_context(|| format!("reading {}", a.model.display()))?;
    let model = arena_llm::Model::from_bytes(bytes)
        .with_context(|| format!("loading {}", a.model.display()))?;
    let tokens: Vec<u32> = a
        .tokens
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .with_context(|| format!("{s:?} is not a token id"))
        })
        .collect::<Result<_>>()?;
    if tokens.is_empty() {
        bail!("--tokens needs at least one token id");
    }
    let mut state = model.new_state(tokens.len());
    let logits = model.forward(&mut state, &tokens, false)?;
    println!("{}", serde_json::to_string(&logits)?);
    Ok(())
}
