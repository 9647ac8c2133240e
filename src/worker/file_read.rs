//! `std::io::Read` over a browser `File`, for the core's streaming readers. Only in a worker:
//! it reads slice by slice with `FileReaderSync`, so the file is never in memory whole.

use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use web_sys::{File, FileReaderSync};

/// Bytes read per slice.
const SLICE: f64 = 1024.0 * 1024.0;

#[derive(Debug)]
pub struct FileRead {
    file: File,
    reader: FileReaderSync,
    /// Bytes handed out so far (shared, so progress can be read while a reader owns this).
    pos: Rc<Cell<f64>>,
    chunk: Vec<u8>,
    chunk_at: usize,
}

impl FileRead {
    pub fn new(file: File) -> io::Result<FileRead> {
        let reader = FileReaderSync::new().map_err(|e| io::Error::other(format!("{e:?}")))?;
        Ok(FileRead {
            file,
            reader,
            pos: Rc::new(Cell::new(0.0)),
            chunk: Vec::new(),
            chunk_at: 0,
        })
    }

    /// A handle on the number of bytes read so far.
    pub fn position(&self) -> Rc<Cell<f64>> {
        self.pos.clone()
    }

    fn fill(&mut self) -> io::Result<()> {
        let start = self.pos.get();
        let end = (start + SLICE).min(self.file.size());
        self.chunk.clear();
        self.chunk_at = 0;
        if start >= end {
            return Ok(());
        }
        let blob = self
            .file
            .slice_with_f64_and_f64(start, end)
            .map_err(|e| io::Error::other(format!("{e:?}")))?;
        let buffer = self
            .reader
            .read_as_array_buffer(&blob)
            .map_err(|e| io::Error::other(format!("{e:?}")))?;
        let bytes = js_sys::Uint8Array::new(&buffer);
        self.chunk.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut self.chunk);
        self.pos.set(start + self.chunk.len() as f64);
        Ok(())
    }
}

impl Read for FileRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = self.fill_buf()?;
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// Buffered by the slice itself: no second copy through a `BufReader`.
impl BufRead for FileRead {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.chunk_at >= self.chunk.len() {
            self.fill()?;
        }
        Ok(&self.chunk[self.chunk_at..])
    }

    fn consume(&mut self, n: usize) {
        self.chunk_at = (self.chunk_at + n).min(self.chunk.len());
    }
}
