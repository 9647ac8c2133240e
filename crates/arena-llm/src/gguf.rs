//! A hardened reader for GGUF v2/v3 headers (metadata and tensor directory).
//!
//! The file is untrusted: every length is checked against the bytes that remain before it is
//! used to allocate, counts are capped, tensor dimensions and byte sizes are overflow-checked,
//! and every tensor must lie inside the data section at an aligned offset. A malformed file
//! gives a [`GgufError`] that names what is wrong; the reader never panics on input.
//!
//! Layout (ggml's `gguf.md`): magic `GGUF`, version u32, tensor count u64, metadata count u64,
//! the key/value pairs, the tensor infos, padding to `general.alignment` (default 32), then
//! the tensor data, each tensor at its own aligned offset from the start of that section.

use std::collections::BTreeMap;

use crate::quant::GgmlType;

/// Longest string the reader accepts (a chat template is a few KiB; a token a few bytes).
pub const MAX_STRING: u64 = 1 << 20;
/// Most elements in one metadata array (Gemma 3's vocabulary has 262,144 tokens).
pub const MAX_ARRAY: u64 = 1 << 24;
/// Most metadata entries and most tensors.
pub const MAX_ENTRIES: u64 = 1 << 16;
/// Deepest nesting of arrays inside arrays.
pub const MAX_DEPTH: usize = 3;
/// ggml's `GGML_MAX_DIMS`.
pub const MAX_DIMS: u32 = 4;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GgufError {
    #[error("not a GGUF file (the first four bytes are not \"GGUF\")")]
    BadMagic,
    #[error("GGUF version {0} is not supported (only 2 and 3)")]
    Version(u32),
    #[error("the file ends early, at byte {at}, while reading {what}")]
    Truncated { at: u64, what: String },
    #[error("{what} is too large ({value}, at most {max})")]
    TooLarge { what: String, value: u64, max: u64 },
    #[error("metadata key {key:?}: unknown value type {ty}")]
    ValueType { key: String, ty: u32 },
    #[error("{what} is not valid UTF-8")]
    Utf8 { what: String },
    #[error("tensor {name:?}: {problem}")]
    Tensor { name: String, problem: String },
    #[error("metadata key {key:?} is duplicated")]
    DuplicateKey { key: String },
    #[error("metadata {key:?}: {problem}")]
    Metadata { key: String, problem: String },
}

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    U64(u64),
    I64(i64),
    F32(f32),
    F64(f64),
    Bool(bool),
    String(String),
    Array(Vec<Value>),
}

impl Value {
    /// The value as an unsigned integer, if it is a non-negative integer of any width.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U8(v) => Some(v.into()),
            Value::U16(v) => Some(v.into()),
            Value::U32(v) => Some(v.into()),
            Value::U64(v) => Some(v),
            Value::I8(v) => u64::try_from(v).ok(),
            Value::I16(v) => u64::try_from(v).ok(),
            Value::I32(v) => u64::try_from(v).ok(),
            Value::I64(v) => u64::try_from(v).ok(),
            Value::Bool(v) => Some(v.into()),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::I8(v) => Some(v.into()),
            Value::I16(v) => Some(v.into()),
            Value::I32(v) => Some(v.into()),
            Value::I64(v) => Some(v),
            _ => self.as_u64().and_then(|v| i64::try_from(v).ok()),
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F32(v) => Some(v.into()),
            Value::F64(v) => Some(v),
            _ => self.as_i64().map(|v| v as f64),
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => self.as_u64().map(|v| v != 0),
        }
    }
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// One entry of the tensor directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    /// Dimensions as GGUF stores them: `dims[0]` is the contiguous (row) length.
    pub dims: Vec<u64>,
    pub ty: GgmlType,
    /// Offset from the start of the data section.
    pub offset: u64,
    /// Bytes the tensor occupies.
    pub size: u64,
}

impl TensorInfo {
    pub fn elements(&self) -> u64 {
        self.dims.iter().product()
    }
    /// Row length (elements) and number of rows, treating every dimension past the first as rows.
    pub fn rows(&self) -> (usize, usize) {
        let cols = self.dims.first().copied().unwrap_or(1) as usize;
        let rows = self.dims.iter().skip(1).product::<u64>() as usize;
        (cols, rows)
    }
}

/// A parsed header: metadata, tensor directory and where the data section starts.
#[derive(Debug, Clone)]
pub struct Header {
    pub version: u32,
    pub metadata: BTreeMap<String, Value>,
    pub tensors: Vec<TensorInfo>,
    pub alignment: u64,
    /// Absolute offset of the data section in the file.
    pub data_offset: u64,
}

impl Header {
    /// Parses the header from the first bytes of a file whose total length is `file_len`.
    ///
    /// `bytes` may be just a prefix of the file (what has arrived of a download); if it is too
    /// short to hold the whole header the error is [`GgufError::Truncated`] and the caller can
    /// retry with more. Tensors are checked against `file_len`.
    pub fn parse(bytes: &[u8], file_len: u64) -> Result<Header, GgufError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(4, "the magic")? != b"GGUF" {
            return Err(GgufError::BadMagic);
        }
        let version = r.u32("the version")?;
        if !(2..=3).contains(&version) {
            return Err(GgufError::Version(version));
        }
        let n_tensors = r.u64("the tensor count")?;
        cap("the tensor count", n_tensors, MAX_ENTRIES)?;
        let n_kv = r.u64("the metadata count")?;
        cap("the metadata count", n_kv, MAX_ENTRIES)?;

        let mut metadata = BTreeMap::new();
        for _ in 0..n_kv {
            let key = r.string("a metadata key")?;
            let ty = r.u32("a metadata type")?;
            let value = r.value(ty, &key, 0)?;
            if metadata.insert(key.clone(), value).is_some() {
                return Err(GgufError::DuplicateKey { key });
            }
        }

        let alignment = match metadata.get("general.alignment") {
            None => 32,
            Some(v) => match v.as_u64() {
                Some(a) if a.is_power_of_two() && a <= 1 << 16 => a,
                _ => {
                    return Err(GgufError::Metadata {
                        key: "general.alignment".into(),
                        problem: "must be a power of two up to 65536".into(),
                    });
                }
            },
        };

        let mut infos = Vec::with_capacity(n_tensors.min(r.remaining() / 24) as usize);
        for _ in 0..n_tensors {
            let name = r.string("a tensor name")?;
            let n_dims = r.u32("a tensor's dimension count")?;
            if n_dims == 0 || n_dims > MAX_DIMS {
                return Err(tensor_err(
                    &name,
                    format!("has {n_dims} dimensions (1 to 4 allowed)"),
                ));
            }
            let mut dims = Vec::with_capacity(n_dims as usize);
            for _ in 0..n_dims {
                dims.push(r.u64("a tensor dimension")?);
            }
            let ty_id = r.u32("a tensor type")?;
            let offset = r.u64("a tensor offset")?;
            let ty = GgmlType::from_id(ty_id)
                .ok_or_else(|| tensor_err(&name, format!("has unsupported type id {ty_id}")))?;
            infos.push((name, dims, ty, offset));
        }
        let data_offset = align_up(r.pos as u64, alignment)
            .ok_or_else(|| truncated(r.pos as u64, "the data section"))?;
        if data_offset > file_len {
            return Err(truncated(file_len, "the padding before the tensor data"));
        }
        let data_len = file_len - data_offset;

        let mut tensors = Vec::with_capacity(infos.len());
        let mut names = std::collections::HashSet::new();
        for (name, dims, ty, offset) in infos {
            if !names.insert(name.clone()) {
                return Err(tensor_err(&name, "is listed twice".into()));
            }
            let size = tensor_size(&name, &dims, ty)?;
            if offset % alignment != 0 {
                return Err(tensor_err(
                    &name,
                    format!("offset {offset} is not aligned to {alignment}"),
                ));
            }
            let end = offset
                .checked_add(size)
                .ok_or_else(|| tensor_err(&name, "offset overflows".into()))?;
            if end > data_len {
                return Err(tensor_err(
                    &name,
                    format!(
                        "needs bytes {offset}..{end} of the data section, which has {data_len} \
                         (the file is truncated or corrupted)"
                    ),
                ));
            }
            tensors.push(TensorInfo {
                name,
                dims,
                ty,
                offset,
                size,
            });
        }
        Ok(Header {
            version,
            metadata,
            tensors,
            alignment,
            data_offset,
        })
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.get(key)
    }
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }
    /// The architecture (`general.architecture`).
    pub fn architecture(&self) -> Option<&str> {
        self.get("general.architecture").and_then(Value::as_str)
    }
}

fn tensor_size(name: &str, dims: &[u64], ty: GgmlType) -> Result<u64, GgufError> {
    let mut elements: u64 = 1;
    for &d in dims {
        if d == 0 {
            return Err(tensor_err(name, "has a zero dimension".into()));
        }
        elements = elements
            .checked_mul(d)
            .filter(|&e| e <= 1 << 40)
            .ok_or_else(|| tensor_err(name, "has too many elements".into()))?;
    }
    let block = ty.block_size() as u64;
    if !dims[0].is_multiple_of(block) {
        return Err(tensor_err(
            name,
            format!(
                "row length {} is not a multiple of {block}, the {ty:?} block size",
                dims[0]
            ),
        ));
    }
    Ok(elements / block * ty.type_size() as u64)
}

fn tensor_err(name: &str, problem: String) -> GgufError {
    GgufError::Tensor {
        name: name.to_string(),
        problem,
    }
}

fn truncated(at: u64, what: &str) -> GgufError {
    GgufError::Truncated {
        at,
        what: what.to_string(),
    }
}

fn cap(what: &str, value: u64, max: u64) -> Result<(), GgufError> {
    if value > max {
        return Err(GgufError::TooLarge {
            what: what.to_string(),
            value,
            max,
        });
    }
    Ok(())
}

fn align_up(x: u64, a: u64) -> Option<u64> {
    x.checked_add(a - 1).map(|v| v / a * a)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> u64 {
        (self.bytes.len() - self.pos) as u64
    }
    fn take(&mut self, n: u64, what: &str) -> Result<&'a [u8], GgufError> {
        if n > self.remaining() {
            return Err(truncated(self.bytes.len() as u64, what));
        }
        let n = n as usize;
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], GgufError> {
        let s = self.take(N as u64, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    fn u32(&mut self, what: &str) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn u64(&mut self, what: &str) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    fn string(&mut self, what: &str) -> Result<String, GgufError> {
        let len = self.u64(what)?;
        cap(&format!("the length of {what}"), len, MAX_STRING)?;
        let bytes = self.take(len, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| GgufError::Utf8 {
            what: what.to_string(),
        })
    }
    fn value(&mut self, ty: u32, key: &str, depth: usize) -> Result<Value, GgufError> {
        let what = "a metadata value";
        Ok(match ty {
            0 => Value::U8(self.array::<1>(what)?[0]),
            1 => Value::I8(i8::from_le_bytes(self.array(what)?)),
            2 => Value::U16(u16::from_le_bytes(self.array(what)?)),
            3 => Value::I16(i16::from_le_bytes(self.array(what)?)),
            4 => Value::U32(self.u32(what)?),
            5 => Value::I32(i32::from_le_bytes(self.array(what)?)),
            6 => Value::F32(f32::from_le_bytes(self.array(what)?)),
            7 => match self.array::<1>(what)?[0] {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                b => {
                    return Err(GgufError::Metadata {
                        key: key.to_string(),
                        problem: format!("boolean byte {b} is neither 0 nor 1"),
                    });
                }
            },
            8 => Value::String(self.string(&format!("the value of {key:?}"))?),
            9 => {
                if depth >= MAX_DEPTH {
                    return Err(GgufError::TooLarge {
                        what: format!("array nesting in {key:?}"),
                        value: depth as u64 + 1,
                        max: MAX_DEPTH as u64,
                    });
                }
                let elem_ty = self.u32(what)?;
                let len = self.u64(what)?;
                cap(&format!("the array {key:?}"), len, MAX_ARRAY)?;
                // Every element takes at least one byte, so a length beyond what remains is a
                // lie: refuse before allocating for it.
                if len > self.remaining() {
                    return Err(truncated(
                        self.bytes.len() as u64,
                        &format!("the array {key:?}"),
                    ));
                }
                let mut items = Vec::with_capacity(len as usize);
                for _ in 0..len {
                    items.push(self.value(elem_ty, key, depth + 1)?);
                }
                Value::Array(items)
            }
            10 => Value::U64(self.u64(what)?),
            11 => Value::I64(i64::from_le_bytes(self.array(what)?)),
            12 => Value::F64(f64::from_le_bytes(self.array(what)?)),
            _ => {
                return Err(GgufError::ValueType {
                    key: key.to_string(),
                    ty,
                });
            }
        })
    }
}

/// Writes GGUF v3 files; used by tests (hostile-file cases, tiny models) and tools.
#[derive(Debug, Default)]
pub struct Writer {
    kv: Vec<(String, Value)>,
    tensors: Vec<(String, Vec<u64>, GgmlType, Vec<u8>)>,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn kv(&mut self, key: &str, value: Value) -> &mut Self {
        self.kv.push((key.to_string(), value));
        self
    }
    pub fn tensor(&mut self, name: &str, dims: &[u64], ty: GgmlType, data: Vec<u8>) -> &mut Self {
        self.tensors
            .push((name.to_string(), dims.to_vec(), ty, data));
        self
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(b"GGUF");
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        out.extend_from_slice(&(self.kv.len() as u64).to_le_bytes());
        for (k, v) in &self.kv {
            put_str(&mut out, k);
            put_value(&mut out, v, true);
        }
        let mut offset = 0u64;
        let mut offsets = Vec::new();
        for (name, dims, ty, data) in &self.tensors {
            put_str(&mut out, name);
            out.extend_from_slice(&(dims.len() as u32).to_le_bytes());
            for d in dims {
                out.extend_from_slice(&d.to_le_bytes());
            }
            out.extend_from_slice(&ty.id().to_le_bytes());
            out.extend_from_slice(&offset.to_le_bytes());
            offsets.push(offset);
            offset = align_up(offset + data.len() as u64, 32).unwrap_or(u64::MAX);
        }
        out.resize(align_up(out.len() as u64, 32).unwrap_or(0) as usize, 0);
        let base = out.len();
        for ((_, _, _, data), off) in self.tensors.iter().zip(offsets) {
            out.resize(base + off as usize, 0);
            out.extend_from_slice(data);
        }
        out.resize(align_up(out.len() as u64, 32).unwrap_or(0) as usize, 0);
        out
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn value_type(v: &Value) -> u32 {
    match v {
        Value::U8(_) => 0,
        Value::I8(_) => 1,
        Value::U16(_) => 2,
        Value::I16(_) => 3,
        Value::U32(_) => 4,
        Value::I32(_) => 5,
        Value::F32(_) => 6,
        Value::Bool(_) => 7,
        Value::String(_) => 8,
        Value::Array(_) => 9,
        Value::U64(_) => 10,
        Value::I64(_) => 11,
        Value::F64(_) => 12,
    }
}

fn put_value(out: &mut Vec<u8>, v: &Value, with_type: bool) {
    if with_type {
        out.extend_from_slice(&value_type(v).to_le_bytes());
    }
    match v {
        Value::U8(x) => out.push(*x),
        Value::I8(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::U16(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::I16(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::U32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::I32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::U64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::I64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::F32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::F64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::Bool(x) => out.push(u8::from(*x)),
        Value::String(s) => put_str(out, s),
        Value::Array(items) => {
            let elem = items.first().map_or(4, value_type);
            out.extend_from_slice(&elem.to_le_bytes());
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for it in items {
                put_value(out, it, false);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut w = Writer::new();
        w.kv("general.architecture", Value::String("llama".into()))
            .kv("llama.block_count", Value::U32(2))
            .kv(
                "tokenizer.ggml.tokens",
                Value::Array(vec![Value::String("a".into()), Value::String("b".into())]),
            )
            .tensor("t.weight", &[32, 2], GgmlType::F32, vec![0u8; 256])
            .tensor("q.weight", &[32], GgmlType::Q8_0, vec![1u8; 34]);
        w.to_bytes()
    }

    #[test]
    fn round_trip() {
        let bytes = sample();
        let h = Header::parse(&bytes, bytes.len() as u64).unwrap();
        assert_eq!(h.architecture(), Some("llama"));
        assert_eq!(h.get("llama.block_count").and_then(Value::as_u64), Some(2));
        assert_eq!(h.tensors.len(), 2);
        let q = h.tensor("q.weight").unwrap();
        assert_eq!((q.ty, q.size, q.offset), (GgmlType::Q8_0, 34, 256));
        assert_eq!(h.data_offset % 32, 0);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let bytes = sample();
        for n in 0..bytes.len() - 32 {
            assert!(
                Header::parse(&bytes[..n], n as u64).is_err(),
                "prefix {n} parsed"
            );
        }
    }

    #[test]
    fn bad_magic_and_version() {
        let mut bytes = sample();
        bytes[0] = b'X';
        assert_eq!(
            Header::parse(&bytes, bytes.len() as u64).unwrap_err(),
            GgufError::BadMagic
        );
        let mut bytes = sample();
        bytes[4] = 9;
        assert_eq!(
            Header::parse(&bytes, bytes.len() as u64).unwrap_err(),
            GgufError::Version(9)
        );
    }

    #[test]
    fn huge_array_length_is_refused_before_allocating() {
        let mut w = Writer::new();
        w.kv("k", Value::Array(vec![Value::U8(1)]));
        let mut bytes = w.to_bytes();
        // The array's length field sits after magic(4) version(4) counts(16) key(8+1) type(4) elem(4).
        let at = 4 + 4 + 16 + 9 + 4 + 4;
        bytes[at..at + 8].copy_from_slice(&(1u64 << 23).to_le_bytes());
        let err = Header::parse(&bytes, bytes.len() as u64).unwrap_err();
        assert!(matches!(err, GgufError::Truncated { .. }), "{err}");
        bytes[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        let err = Header::parse(&bytes, bytes.len() as u64).unwrap_err();
        assert!(matches!(err, GgufError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn tensor_outside_the_file_is_named() {
        let bytes = sample();
        let err = Header::parse(&bytes[..bytes.len() - 64], bytes.len() as u64 - 64).unwrap_err();
        assert!(err.to_string().contains("q.weight"), "{err}");
    }

    #[test]
    fn misaligned_and_odd_row_tensors() {
        let mut w = Writer::new();
        w.tensor("odd", &[33], GgmlType::Q8_0, vec![0; 34]);
        let bytes = w.to_bytes();
        let err = Header::parse(&bytes, bytes.len() as u64).unwrap_err();
        assert!(err.to_string().contains("multiple of 32"), "{err}");
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Corrupting any byte never panics and never allocates wildly.
        #[test]
        fn corrupted_bytes_never_panic(at in 0usize..400, byte in 0u8..=255) {
            let mut bytes = sample();
            let at = at % bytes.len();
            bytes[at] = byte;
            let _ = Header::parse(&bytes, bytes.len() as u64);
        }
    }
}
