//! A model file arriving in chunks, put together in one buffer (worker side).
//!
//! The buffer is reserved once for the announced size (`Content-Length`, a file's size), so a
//! 250 MB model is never copied while it grows, and a size the browser cannot hold fails at
//! once as [`LlmError::OutOfMemory`] instead of aborting the worker half-way. The GGUF header
//! is checked as soon as it has arrived — at 64 KiB, then at every doubling — so a file that
//! is not a model, or whose tensors would run past its end, fails in the first chunks rather
//! than after the whole download.

use arena_llm::gguf::{GgufError, Header};

use super::protocol::LlmError;

/// The first header check, in bytes; later checks come at each doubling.
const FIRST_CHECK: usize = 64 * 1024;
/// Progress is worth reporting after this share of the file (or this many bytes when the
/// size is unknown).
const PROGRESS_SHARE: u64 = 200;
const PROGRESS_BYTES: u64 = 2 * 1024 * 1024;

/// A file being put together.
#[derive(Debug)]
pub struct Assembler {
    buf: Vec<u8>,
    expected: Option<u64>,
    next_check: usize,
    header_ok: bool,
    reported: u64,
}

impl Assembler {
    /// A buffer for a file of `expected` bytes (reserved now), or of unknown size.
    pub fn new(expected: Option<u64>) -> Result<Assembler, LlmError> {
        let mut buf = Vec::new();
        if let Some(n) = expected {
            let n_usize = usize::try_from(n).map_err(|_| LlmError::OutOfMemory { bytes: n })?;
            buf.try_reserve_exact(n_usize)
                .map_err(|_| LlmError::OutOfMemory { bytes: n })?;
        }
        Ok(Assembler {
            buf,
            expected,
            next_check: FIRST_CHECK,
            header_ok: false,
            reported: 0,
        })
    }

    /// Bytes so far.
    pub fn len(&self) -> u64 {
        self.buf.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The announced size.
    pub fn expected(&self) -> Option<u64> {
        self.expected
    }

    /// Appends `n` bytes that `fill` writes into the slice it is given (a JS chunk copies
    /// itself straight in), then checks the header if it is due.
    pub fn push_with(&mut self, n: usize, fill: impl FnOnce(&mut [u8])) -> Result<(), LlmError> {
        let start = self.buf.len();
        let end = start + n;
        if let Some(want) = self.expected
            && end as u64 > want
        {
            return Err(LlmError::Damaged {
                detail: format!("more than the announced {want} bytes arrived"),
            });
        }
        if self.buf.try_reserve(n).is_err() {
            return Err(LlmError::OutOfMemory { bytes: end as u64 });
        }
        self.buf.resize(end, 0);
        fill(&mut self.buf[start..end]);
        if !self.header_ok && self.expected.is_some() && end >= self.next_check {
            self.check_header()?;
            self.next_check = self.next_check.saturating_mul(2).max(end);
        }
        Ok(())
    }

    /// [`Assembler::push_with`] for bytes at hand.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), LlmError> {
        self.push_with(bytes.len(), |dst| dst.copy_from_slice(bytes))
    }

    /// Whether the header has been read and found sound.
    pub fn header_ok(&self) -> bool {
        self.header_ok
    }

    /// True when enough has arrived since the last report to report progress again.
    pub fn progress_due(&mut self) -> bool {
        let step = self
            .expected
            .map_or(PROGRESS_BYTES, |t| (t / PROGRESS_SHARE).max(1));
        let now = self.len();
        if now >= self.reported + step || Some(now) == self.expected {
            self.reported = now;
            true
        } else {
            false
        }
    }

    /// Reads the header from what has arrived; `Ok` while it is incomplete.
    fn check_header(&mut self) -> Result<(), LlmError> {
        let file_len = self.expected.unwrap_or(self.buf.len() as u64);
        match Header::parse(&self.buf, file_len) {
            Ok(_) => {
                self.header_ok = true;
                Ok(())
            }
            // Only a prefix has arrived: the rest of the header is still coming. A tensor
            // past the end of a complete file is a real truncation, reported as such.
            Err(GgufError::Truncated { .. }) if (self.buf.len() as u64) < file_len => Ok(()),
            Err(e) => Err(gguf_error(&e)),
        }
    }

    /// The whole file, once the stream has ended.
    pub fn finish(mut self) -> Result<Vec<u8>, LlmError> {
        let got = self.len();
        if let Some(want) = self.expected
            && got != want
        {
            return Err(LlmError::Incomplete { got, want });
        }
        if got == 0 {
            return Err(LlmError::NotGguf {
                detail: "the file is empty".into(),
            });
        }
        if self.expected.is_none() {
            self.expected = Some(got);
        }
        if !self.header_ok {
            self.check_header()?;
        }
        Ok(self.buf)
    }
}

/// A header problem in the page's words.
pub fn gguf_error(e: &GgufError) -> LlmError {
    let detail = e.to_string();
    match e {
        GgufError::BadMagic | GgufError::Version(_) => LlmError::NotGguf { detail },
        _ => LlmError::Damaged { detail },
    }
}
