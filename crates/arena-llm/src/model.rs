//! One decoder for every supported architecture, with the differences held as data.
//!
//! llama (SmolLM2, TinyLlama), qwen2 and gemma3 are the same pre-norm transformer: token
//! embedding, per layer RMSNorm → grouped-query attention with RoPE → residual, RMSNorm → gated
//! MLP → residual, then a final RMSNorm and the output projection. What differs is read from
//! the GGUF into [`Config`] and the optional tensors of [`Layer`]:
//!
//! - RoPE pairs: llama-arch GGUFs store Q and K permuted by the converter, so rotated pairs are
//!   adjacent (2i, 2i+1); qwen2 and gemma3 keep Hugging Face's layout, pairs (i, i + d/2)
//!   ("NEOX").
//! - qwen2 adds biases to Q, K and V.
//! - gemma3 scales the embeddings by √n_embd, normalises Q and K per head, normalises the
//!   attention and MLP outputs again before the residual, uses GELU (tanh form), and
//!   alternates sliding-window layers (local RoPE base 10,000) with global ones (every sixth,
//!   RoPE base from the file). Its GGUF norm weights already include Gemma's "+1".
//! - Tied models have no `output.weight`; the embedding matrix is used instead.

use crate::cpu::{Matrix, matmul};
use crate::gguf::{GgufError, Header, TensorInfo, Value};
use crate::quant::{GgmlType, QAct, dequantize};

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{0}")]
    Gguf(#[from] GgufError),
    #[error("architecture {0:?} is not supported (llama, qwen2 and gemma3 are)")]
    Architecture(String),
    #[error("the model file has no {0:?} (needed by this architecture)")]
    MissingTensor(String),
    #[error("tensor {name:?} has shape {got:?}, expected {want:?}")]
    Shape {
        name: String,
        got: Vec<u64>,
        want: Vec<u64>,
    },
    #[error("metadata {key:?} is missing or invalid")]
    Metadata { key: String },
    #[error("the model's hyperparameters are inconsistent: {0}")]
    Inconsistent(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    Llama,
    Qwen2,
    Gemma3,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RopeStyle {
    /// Pairs (2i, 2i+1): llama-arch GGUFs, whose Q/K rows the converter permuted.
    Adjacent,
    /// Pairs (i, i + n_rot/2): Hugging Face's `rotate_half`.
    Neox,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Silu,
    GeluTanh,
}

/// Hyperparameters, read from the GGUF metadata with explicit defaults.
#[derive(Debug, Clone)]
pub struct Config {
    pub arch: Arch,
    pub n_embd: usize,
    pub n_layer: usize,
    pub n_ff: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    pub head_dim: usize,
    pub n_vocab: usize,
    /// Context length the model was trained for.
    pub n_ctx_train: usize,
    pub eps: f32,
    pub n_rot: usize,
    pub rope_style: RopeStyle,
    /// RoPE base of global layers, and of sliding-window ones.
    pub rope_base: f32,
    pub rope_base_local: f32,
    /// Linear RoPE scaling of global layers (positions are multiplied by this).
    pub rope_freq_scale: f32,
    pub activation: Activation,
    pub embed_scale: Option<f32>,
    pub attn_scale: f32,
    pub sliding_window: Option<usize>,
    /// Per layer: true when it attends only within `sliding_window`.
    pub swa_layers: Vec<bool>,
    pub final_softcap: Option<f32>,
}

impl Config {
    pub fn from_header(h: &Header) -> Result<Config, ModelError> {
        let arch_name = h.architecture().ok_or_else(|| ModelError::Metadata {
            key: "general.architecture".into(),
        })?;
        let arch = match arch_name {
            "llama" => Arch::Llama,
            "qwen2" => Arch::Qwen2,
            "gemma3" => Arch::Gemma3,
            other => return Err(ModelError::Architecture(other.to_string())),
        };
        let key = |k: &str| format!("{arch_name}.{k}");
        let req = |k: &str| -> Result<usize, ModelError> {
            h.get(&key(k))
                .and_then(Value::as_u64)
                .filter(|&v| v > 0 && v < 1 << 24)
                .map(|v| v as usize)
                .ok_or_else(|| ModelError::Metadata { key: key(k) })
        };
        let opt_u = |k: &str| h.get(&key(k)).and_then(Value::as_u64).map(|v| v as usize);
        let opt_f = |k: &str| h.get(&key(k)).and_then(Value::as_f64).map(|v| v as f32);

        let n_embd = req("embedding_length")?;
        let n_layer = req("block_count")?;
        let n_ff = req("feed_forward_length")?;
        let n_head = req("attention.head_count")?;
        let n_head_kv = opt_u("attention.head_count_kv").unwrap_or(n_head);
        let head_dim = opt_u("attention.key_length").unwrap_or(n_embd / n_head);
        let n_rot = opt_u("rope.dimension_count").unwrap_or(head_dim);
        if n_head_kv == 0
            || n_head % n_head_kv != 0
            || head_dim == 0
            || n_rot > head_dim
            || n_rot % 2 != 0
        {
            return Err(ModelError::Inconsistent(format!(
                "{n_head} heads, {n_head_kv} KV heads, head size {head_dim}, {n_rot} rotary dims"
            )));
        }
        if let Some(v) = opt_u("attention.value_length")
            && v != head_dim
        {
            return Err(ModelError::Inconsistent(format!(
                "value head size {v} differs from key head size {head_dim}"
            )));
        }
        let embd = h
            .tensor("token_embd.weight")
            .ok_or_else(|| ModelError::MissingTensor("token_embd.weight".into()))?;
        let n_vocab = embd.dims.get(1).copied().unwrap_or(0) as usize;
        let gemma = arch == Arch::Gemma3;
        let sliding_window = if gemma {
            opt_u("attention.sliding_window")
        } else {
            None
        };
        // llama.cpp's rule for gemma3: every sixth layer is global, the rest slide.
        let pattern = opt_u("attention.sliding_window_pattern")
            .unwrap_or(6)
            .max(1);
        let swa_layers = (0..n_layer)
            .map(|i| sliding_window.is_some() && (i + 1) % pattern != 0)
            .collect();
        let rope_freq_scale = match h.get(&key("rope.scaling.type")).and_then(Value::as_str) {
            Some("linear") => opt_f("rope.scaling.factor")
                .filter(|f| *f > 0.0)
                .map_or(1.0, |f| 1.0 / f),
            _ => 1.0,
        };
        Ok(Config {
            arch,
            n_embd,
            n_layer,
            n_ff,
            n_head,
            n_head_kv,
            head_dim,
            n_vocab,
            n_ctx_train: opt_u("context_length").unwrap_or(2048),
            eps: opt_f("attention.layer_norm_rms_epsilon").unwrap_or(1e-5),
            n_rot,
            rope_style: if arch == Arch::Llama {
                RopeStyle::Adjacent
            } else {
                RopeStyle::Neox
            },
            rope_base: opt_f("rope.freq_base").unwrap_or(10_000.0),
            rope_base_local: if gemma {
                10_000.0
            } else {
                opt_f("rope.freq_base").unwrap_or(10_000.0)
            },
            rope_freq_scale,
            activation: if gemma {
                Activation::GeluTanh
            } else {
                Activation::Silu
            },
            embed_scale: gemma.then(|| (n_embd as f32).sqrt()),
            attn_scale: opt_f("attention.scale").unwrap_or(1.0 / (head_dim as f32).sqrt()),
            sliding_window,
            swa_layers,
            final_softcap: opt_f("final_logit_softcapping").filter(|c| *c > 0.0),
        })
    }
}

/// A weight matrix's place in the file.
#[derive(Debug, Clone, Copy)]
struct W {
    offset: usize,
    ty: GgmlType,
    cols: usize,
    rows: usize,
}

#[derive(Debug)]
struct Layer {
    attn_norm: Vec<f32>,
    q: W,
    k: W,
    v: W,
    o: W,
    q_bias: Option<Vec<f32>>,
    k_bias: Option<Vec<f32>>,
    v_bias: Option<Vec<f32>>,
    q_norm: Option<Vec<f32>>,
    k_norm: Option<Vec<f32>>,
    post_attn_norm: Option<Vec<f32>>,
    ffn_norm: Vec<f32>,
    gate: W,
    up: W,
    down: W,
    post_ffw_norm: Option<Vec<f32>>,
}

/// A loaded model: the file's bytes and where each weight is in them.
#[derive(Debug)]
pub struct Model {
    pub config: Config,
    pub header: Header,
    bytes: Vec<u8>,
    embd: W,
    output: W,
    output_norm: Vec<f32>,
    layers: Vec<Layer>,
}

impl Model {
    /// Loads a model from a whole GGUF file.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Model, ModelError> {
        let header = Header::parse(&bytes, bytes.len() as u64)?;
        let config = Config::from_header(&header)?;
        let c = &config;
        let base = header.data_offset as usize;
        let find = |name: &str| header.tensor(name);
        let mat = |name: &str, cols: usize, rows: usize| -> Result<W, ModelError> {
            let t = find(name).ok_or_else(|| ModelError::MissingTensor(name.to_string()))?;
            check_shape(t, &[cols as u64, rows as u64])?;
            Ok(W {
                offset: base + t.offset as usize,
                ty: t.ty,
                cols,
                rows,
            })
        };
        let vec_opt = |name: &str, len: usize| -> Result<Option<Vec<f32>>, ModelError> {
            let Some(t) = find(name) else { return Ok(None) };
            check_shape(t, &[len as u64])?;
            let mut out = vec![0f32; len];
            let start = base + t.offset as usize;
            dequantize(t.ty, &bytes[start..start + t.size as usize], &mut out);
            Ok(Some(out))
        };
        let vec_req = |name: &str, len: usize| -> Result<Vec<f32>, ModelError> {
            vec_opt(name, len)?.ok_or_else(|| ModelError::MissingTensor(name.to_string()))
        };
        let (d, hd) = (c.n_embd, c.head_dim);
        let (q_out, kv_out) = (c.n_head * hd, c.n_head_kv * hd);
        let mut layers = Vec::with_capacity(c.n_layer);
        for i in 0..c.n_layer {
            let n = |s: &str| format!("blk.{i}.{s}");
            layers.push(Layer {
                attn_norm: vec_req(&n("attn_norm.weight"), d)?,
                q: mat(&n("attn_q.weight"), d, q_out)?,
                k: mat(&n("attn_k.weight"), d, kv_out)?,
                v: mat(&n("attn_v.weight"), d, kv_out)?,
                o: mat(&n("attn_output.weight"), q_out, d)?,
                q_bias: vec_opt(&n("attn_q.bias"), q_out)?,
                k_bias: vec_opt(&n("attn_k.bias"), kv_out)?,
                v_bias: vec_opt(&n("attn_v.bias"), kv_out)?,
                q_norm: vec_opt(&n("attn_q_norm.weight"), hd)?,
                k_norm: vec_opt(&n("attn_k_norm.weight"), hd)?,
                post_attn_norm: vec_opt(&n("post_attention_norm.weight"), d)?,
                ffn_norm: vec_req(&n("ffn_norm.weight"), d)?,
                gate: mat(&n("ffn_gate.weight"), d, c.n_ff)?,
                up: mat(&n("ffn_up.weight"), d, c.n_ff)?,
                down: mat(&n("ffn_down.weight"), c.n_ff, d)?,
                post_ffw_norm: vec_opt(&n("post_ffw_norm.weight"), d)?,
            });
        }
        let embd = mat("token_embd.weight", d, c.n_vocab)?;
        let output = if find("output.weight").is_some() {
            mat("output.weight", d, c.n_vocab)?
        } else {
            embd
        };
        let output_norm = vec_req("output_norm.weight", d)?;
        if d % 32 != 0 || c.n_ff % 32 != 0 || q_out % 32 != 0 {
            return Err(ModelError::Inconsistent(
                "widths must be multiples of 32".into(),
            ));
        }
        Ok(Model {
            config,
            header,
            bytes,
            embd,
            output,
            output_norm,
            layers,
        })
    }

    fn m(&self, w: W) -> Matrix<'_> {
        let len = w.ty.row_bytes(w.cols) * w.rows;
        Matrix {
            ty: w.ty,
            cols: w.cols,
            rows: w.rows,
            bytes: &self.bytes[w.offset..w.offset + len],
        }
    }

    /// Bytes of weights read per decoded token (every matrix once, the output projection
    /// included), for bandwidth figures.
    pub fn weight_bytes_per_token(&self) -> usize {
        let size = |w: W| w.ty.row_bytes(w.cols) * w.rows;
        let layers: usize = self
            .layers
            .iter()
            .map(|l| {
                [l.q, l.k, l.v, l.o, l.gate, l.up, l.down]
                    .map(size)
                    .iter()
                    .sum::<usize>()
            })
            .sum();
        layers + size(self.output)
    }

    /// A fresh inference state with a KV cache for `n_ctx` positions.
    pub fn new_state(&self, n_ctx: usize) -> State {
        State::new(&self.config, n_ctx.clamp(1, self.config.n_ctx_train.max(1)))
    }

    /// Runs `tokens` at the state's next positions and returns the logits of the last one
    /// (or of every one when `all_logits`), `n_vocab` floats per position.
    pub fn forward(
        &self,
        state: &mut State,
        tokens: &[u32],
        all_logits: bool,
    ) -> Result<Vec<f32>, ModelError> {
        let c = &self.config;
        if state.pos + tokens.len() > state.n_ctx {
            return Err(ModelError::Inconsistent(format!(
                "the context is full ({} of {} positions)",
                state.pos + tokens.len(),
                state.n_ctx
            )));
        }
        if let Some(&bad) = tokens.iter().find(|&&t| t as usize >= c.n_vocab) {
            return Err(ModelError::Inconsistent(format!(
                "token id {bad} is outside the vocabulary of {}",
                c.n_vocab
            )));
        }
        let mut logits = Vec::new();
        for chunk in tokens.chunks(BATCH) {
            let last_chunk = chunk.as_ptr_range().end == tokens.as_ptr_range().end;
            self.forward_chunk(state, chunk);
            let n = chunk.len();
            let from = if all_logits {
                0
            } else if last_chunk {
                n - 1
            } else {
                n
            };
            for t in from..n {
                let x = &state.x[t * c.n_embd..(t + 1) * c.n_embd];
                rms_norm(x, &self.output_norm, c.eps, &mut state.xb[..c.n_embd]);
                state.act[0].quantize(&state.xb[..c.n_embd]);
                let start = logits.len();
                logits.resize(start + c.n_vocab, 0.0);
                matmul(&self.m(self.output), &state.act[..1], &mut logits[start..]);
                if let Some(cap) = c.final_softcap {
                    for l in &mut logits[start..] {
                        *l = cap * (*l / cap).tanh();
                    }
                }
            }
        }
        Ok(logits)
    }

    fn forward_chunk(&self, s: &mut State, tokens: &[u32]) {
        let c = &self.config;
        let (d, hd, nt) = (c.n_embd, c.head_dim, tokens.len());
        let (q_out, kv_out) = (c.n_head * hd, c.n_head_kv * hd);
        let mut row = vec![0f32; d];
        for (t, &tok) in tokens.iter().enumerate() {
            let m = self.m(self.embd);
            dequantize(m.ty, m.row(tok as usize), &mut row);
            if let Some(scale) = c.embed_scale {
                for v in &mut row {
                    *v *= scale;
                }
            }
            s.x[t * d..(t + 1) * d].copy_from_slice(&row);
        }
        let p0 = s.pos;
        for (li, l) in self.layers.iter().enumerate() {
            for t in 0..nt {
                rms_norm(
                    &s.x[t * d..(t + 1) * d],
                    &l.attn_norm,
                    c.eps,
                    &mut s.xb[t * d..(t + 1) * d],
                );
                s.act[t].quantize(&s.xb[t * d..(t + 1) * d]);
            }
            matmul(&self.m(l.q), &s.act[..nt], &mut s.q[..nt * q_out]);
            matmul(&self.m(l.k), &s.act[..nt], &mut s.k[..nt * kv_out]);
            matmul(&self.m(l.v), &s.act[..nt], &mut s.v[..nt * kv_out]);
            for t in 0..nt {
                add_bias(&mut s.q[t * q_out..(t + 1) * q_out], l.q_bias.as_deref());
                add_bias(&mut s.k[t * kv_out..(t + 1) * kv_out], l.k_bias.as_deref());
                add_bias(&mut s.v[t * kv_out..(t + 1) * kv_out], l.v_bias.as_deref());
            }
            if let Some(w) = &l.q_norm {
                for h in s.q[..nt * q_out].chunks_exact_mut(hd) {
                    rms_norm_in_place(h, w, c.eps);
                }
            }
            if let Some(w) = &l.k_norm {
                for h in s.k[..nt * kv_out].chunks_exact_mut(hd) {
                    rms_norm_in_place(h, w, c.eps);
                }
            }
            let swa = c.swa_layers[li];
            let (base, scale) = if swa {
                (c.rope_base_local, 1.0)
            } else {
                (c.rope_base, c.rope_freq_scale)
            };
            for t in 0..nt {
                let pos = (p0 + t) as f32 * scale;
                rope(
                    &mut s.q[t * q_out..(t + 1) * q_out],
                    hd,
                    c.n_rot,
                    pos,
                    base,
                    c.rope_style,
                );
                rope(
                    &mut s.k[t * kv_out..(t + 1) * kv_out],
                    hd,
                    c.n_rot,
                    pos,
                    base,
                    c.rope_style,
                );
                let at = (p0 + t) * kv_out;
                s.k_cache[li][at..at + kv_out].copy_from_slice(&s.k[t * kv_out..(t + 1) * kv_out]);
                s.v_cache[li][at..at + kv_out].copy_from_slice(&s.v[t * kv_out..(t + 1) * kv_out]);
            }
            // Attention, one query token and head at a time, over the cached positions.
            let group = c.n_head / c.n_head_kv;
            for t in 0..nt {
                let pos = p0 + t;
                let first = match (swa, c.sliding_window) {
                    (true, Some(win)) => (pos + 1).saturating_sub(win),
                    _ => 0,
                };
                for h in 0..c.n_head {
                    let kvh = h / group;
                    let q = &s.q[t * q_out + h * hd..t * q_out + (h + 1) * hd];
                    let scores = &mut s.att[..=pos - first];
                    for (j, sc) in scores.iter_mut().enumerate() {
                        let at = (first + j) * kv_out + kvh * hd;
                        let k = &s.k_cache[li][at..at + hd];
                        *sc = dot_f32(q, k) * c.attn_scale;
                    }
                    softmax(scores);
                    let out = &mut s.xb[t * q_out + h * hd..t * q_out + (h + 1) * hd];
                    out.fill(0.0);
                    for (j, &p) in scores.iter().enumerate() {
                        let at = (first + j) * kv_out + kvh * hd;
                        let v = &s.v_cache[li][at..at + hd];
                        for (o, &vv) in out.iter_mut().zip(v) {
                            *o += p * vv;
                        }
                    }
                }
                s.act[t].quantize(&s.xb[t * q_out..(t + 1) * q_out]);
            }
            matmul(&self.m(l.o), &s.act[..nt], &mut s.xb2[..nt * d]);
            for t in 0..nt {
                let o = &mut s.xb2[t * d..(t + 1) * d];
                if let Some(w) = &l.post_attn_norm {
                    rms_norm_in_place(o, w, c.eps);
                }
                for (x, &v) in s.x[t * d..(t + 1) * d].iter_mut().zip(o.iter()) {
                    *x += v;
                }
                rms_norm(
                    &s.x[t * d..(t + 1) * d],
                    &l.ffn_norm,
                    c.eps,
                    &mut s.xb[t * d..(t + 1) * d],
                );
                s.act[t].quantize(&s.xb[t * d..(t + 1) * d]);
            }
            let ff = c.n_ff;
            matmul(&self.m(l.gate), &s.act[..nt], &mut s.hb[..nt * ff]);
            matmul(&self.m(l.up), &s.act[..nt], &mut s.hb2[..nt * ff]);
            for t in 0..nt {
                let g = &mut s.hb[t * ff..(t + 1) * ff];
                for (gv, &uv) in g.iter_mut().zip(&s.hb2[t * ff..(t + 1) * ff]) {
                    *gv = match c.activation {
                        Activation::Silu => *gv / (1.0 + (-*gv).exp()),
                        Activation::GeluTanh => gelu_tanh(*gv),
                    } * uv;
                }
                s.act_ff[t].quantize(g);
            }
            matmul(&self.m(l.down), &s.act_ff[..nt], &mut s.xb2[..nt * d]);
            for t in 0..nt {
                let o = &mut s.xb2[t * d..(t + 1) * d];
                if let Some(w) = &l.post_ffw_norm {
                    rms_norm_in_place(o, w, c.eps);
                }
                for (x, &v) in s.x[t * d..(t + 1) * d].iter_mut().zip(o.iter()) {
                    *x += v;
                }
            }
        }
        s.pos += nt;
    }
}

fn check_shape(t: &TensorInfo, want: &[u64]) -> Result<(), ModelError> {
    if t.dims != want {
        return Err(ModelError::Shape {
            name: t.name.clone(),
            got: t.dims.clone(),
            want: want.to_vec(),
        });
    }
    Ok(())
}

/// Tokens per prefill batch: weights are streamed once per batch.
pub const BATCH: usize = 32;

/// The KV cache and every working buffer, allocated once per conversation.
#[derive(Debug)]
pub struct State {
    pub pos: usize,
    pub n_ctx: usize,
    k_cache: Vec<Vec<f32>>,
    v_cache: Vec<Vec<f32>>,
    x: Vec<f32>,
    xb: Vec<f32>,
    xb2: Vec<f32>,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    hb: Vec<f32>,
    hb2: Vec<f32>,
    att: Vec<f32>,
    act: Vec<QAct>,
    act_ff: Vec<QAct>,
}

impl State {
    fn new(c: &Config, n_ctx: usize) -> State {
        let kv = c.n_head_kv * c.head_dim;
        let wide = c.n_embd.max(c.n_head * c.head_dim);
        State {
            pos: 0,
            n_ctx,
            k_cache: (0..c.n_layer).map(|_| vec![0.0; n_ctx * kv]).collect(),
            v_cache: (0..c.n_layer).map(|_| vec![0.0; n_ctx * kv]).collect(),
            x: vec![0.0; BATCH * c.n_embd],
            xb: vec![0.0; BATCH * wide],
            xb2: vec![0.0; BATCH * c.n_embd],
            q: vec![0.0; BATCH * c.n_head * c.head_dim],
            k: vec![0.0; BATCH * kv],
            v: vec![0.0; BATCH * kv],
            hb: vec![0.0; BATCH * c.n_ff],
            hb2: vec![0.0; BATCH * c.n_ff],
            att: vec![0.0; n_ctx],
            act: (0..BATCH).map(|_| QAct::with_len(wide)).collect(),
            act_ff: (0..BATCH).map(|_| QAct::with_len(c.n_ff)).collect(),
        }
    }
    /// Forgets everything after position `pos` (for regenerating from a shared prefix).
    pub fn truncate(&mut self, pos: usize) {
        self.pos = self.pos.min(pos);
    }
}

fn add_bias(x: &mut [f32], b: Option<&[f32]>) {
    if let Some(b) = b {
        for (v, &bb) in x.iter_mut().zip(b) {
            *v += bb;
        }
    }
}

fn rms_norm(x: &[f32], w: &[f32], eps: f32, out: &mut [f32]) {
    let ss: f32 = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let inv = 1.0 / (ss + eps).sqrt();
    for ((o, &v), &ww) in out.iter_mut().zip(x).zip(w) {
        *o = v * inv * ww;
    }
}

fn rms_norm_in_place(x: &mut [f32], w: &[f32], eps: f32) {
    let ss: f32 = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let inv = 1.0 / (ss + eps).sqrt();
    for (v, &ww) in x.iter_mut().zip(w) {
        *v = *v * inv * ww;
    }
}

fn rope(x: &mut [f32], hd: usize, n_rot: usize, pos: f32, base: f32, style: RopeStyle) {
    let half = n_rot / 2;
    for head in x.chunks_exact_mut(hd) {
        for i in 0..half {
            let theta = pos * base.powf(-2.0 * i as f32 / n_rot as f32);
            let (sin, cos) = theta.sin_cos();
            let (a, b) = match style {
                RopeStyle::Adjacent => (2 * i, 2 * i + 1),
                RopeStyle::Neox => (i, i + half),
            };
            let (x0, x1) = (head[a], head[b]);
            head[a] = x0 * cos - x1 * sin;
            head[b] = x0 * sin + x1 * cos;
        }
    }
}

fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

fn softmax(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in x.iter_mut() {
        *v /= sum;
    }
}

fn gelu_tanh(x: f32) -> f32 {
    const C: f32 = 0.797_884_6; // √(2/π)
    0.5 * x * (1.0 + (C * (x + 0.044_715 * x * x * x)).tanh())
}
