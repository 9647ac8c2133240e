//! Opening input files and streaming their records.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use arena_core::VoteRecord;
use arena_core::formats::rows::RowSink;
use arena_core::formats::{Format, FormatError, RecordReader, detect_format};

/// Streams the records of `path` into `sink`. A bad record stops with an error naming the
/// file and line, unless `skip_bad` is set, in which case it is reported on stderr and
/// `on_bad` is called. Returns the number of bad records skipped.
pub fn for_each_record(
    path: &Path,
    skip_bad: bool,
    mut sink: impl FnMut(VoteRecord) -> Result<()>,
    mut on_bad: impl FnMut(&FormatError),
) -> Result<u64> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader = RecordReader::detect(BufReader::with_capacity(1 << 20, file))
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut bad = 0;
    for item in reader {
        match item {
            Ok(r) => sink(r)?,
            Err(e) if skip_bad => {
                eprintln!("arena: {}: skipped: {e}", path.display());
                on_bad(&e);
                bad += 1;
            }
            Err(e) => bail!(
                "{}: {e}\n(nothing was written; pass --skip-bad-lines to skip bad records)",
                path.display()
            ),
        }
    }
    Ok(bad)
}

/// Files at least this large are read in parts, one per core, when they can be split at line
/// boundaries.
const SPLIT_BYTES: u64 = 8 << 20;

/// Reads the votes of `files` into rating rows (no records are built; see
/// `arena_core::formats::rows`), pooling repeated votes. A large JSONL file, or a CSV file
/// with no quoted field (so that every line is a record), is read in as many parts as there
/// are cores, each part on its own thread, and the parts joined in file order: the rows, the
/// repeats dropped and the errors reported are those of a sequential read.
///
/// Bad records stop with an error naming the file and line unless `skip_bad` is set, in which
/// case each is reported on stderr.
pub fn read_rows(files: &[PathBuf], skip_bad: bool, style: bool) -> Result<RowSink> {
    // `ARENA_THREADS` overrides the number of parts (1: read each file whole).
    let threads = std::env::var("ARENA_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    let mut sink = RowSink::new(style);
    for path in files {
        let estimate = estimate_records(path).unwrap_or(0);
        let parts = split(path, threads, estimate)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let errors = match parts {
            None => {
                sink.reserve(estimate);
                let file =
                    File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
                let mut reader = RecordReader::detect(BufReader::with_capacity(1 << 20, file))
                    .with_context(|| format!("cannot read {}", path.display()))?;
                read_part(&mut reader, &mut sink, skip_bad)
            }
            Some(parts) => {
                sink.reserve(estimate);
                read_parts(path, &parts, &mut sink, skip_bad, style)?
            }
        };
        for e in errors {
            if skip_bad {
                eprintln!("arena: {}: skipped: {e}", path.display());
            } else {
                bail!(
                    "{}: {e}\n(nothing was written; pass --skip-bad-lines to skip bad records)",
                    path.display()
                );
            }
        }
    }
    Ok(sink)
}

/// Reads records into `sink` until the end, or the first error unless `skip_bad`. Returns
/// the errors, with their lines as the reader counts them.
fn read_part<R: BufRead>(
    reader: &mut RecordReader<R>,
    sink: &mut RowSink,
    skip_bad: bool,
) -> Vec<FormatError> {
    let mut errors = Vec::new();
    while let Some(r) = reader.next_row(sink) {
        if let Err(e) = r {
            errors.push(e);
            if !skip_bad {
                break;
            }
        }
    }
    errors
}

/// A part of a file: a byte range starting at a line, and for CSV the header line to put
/// before it.
struct Part {
    /// About how many records it holds (room is made for them up front).
    records: usize,
    start: u64,
    end: u64,
    header: Option<Vec<u8>>,
    format: Format,
}

/// The parts `path` (of about `records` records) is read in, or `None` to read it whole.
fn split(path: &Path, threads: usize, records: usize) -> std::io::Result<Option<Vec<Part>>> {
    let len = std::fs::metadata(path)?.len();
    if threads < 2 || len < SPLIT_BYTES {
        return Ok(None);
    }
    let mut file = BufReader::with_capacity(1 << 20, File::open(path)?);
    let format = detect_format(file.fill_buf()?);
    let header = match format {
        Format::JsonArray => return Ok(None),
        Format::Jsonl => None,
        Format::Csv => {
            // Lines are records only when no field is quoted.
            if has_quote(path)? {
                return Ok(None);
            }
            let mut h = Vec::new();
            file.read_until(b'\n', &mut h)?;
            Some(h)
        }
    };
    let mut starts = vec![0];
    for k in 1..threads as u64 {
        // The first line that starts at or after k/threads of the file.
        let at = len * k / threads as u64;
        file.seek(SeekFrom::Start(at.saturating_sub(1)))?;
        let mut skip = Vec::new();
        let n = file.read_until(b'\n', &mut skip)? as u64;
        let start = at.saturating_sub(1) + n;
        if start < len && start > *starts.last().unwrap_or(&0) {
            starts.push(start);
        }
    }
    let parts: Vec<Part> = starts
        .iter()
        .enumerate()
        .map(|(i, &start)| Part {
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            #[allow(clippy::cast_sign_loss)]
            records: (records as f64 * (starts.get(i + 1).copied().unwrap_or(len) - start) as f64
                / len as f64) as usize,
            start,
            end: starts.get(i + 1).copied().unwrap_or(len),
            header: if i == 0 { None } else { header.clone() },
            format,
        })
        .collect();
    Ok((parts.len() > 1).then_some(parts))
}

/// Reads the parts on threads of their own and joins them into `sink` in order; returns the
/// errors with their lines in the whole file.
fn read_parts(
    path: &Path,
    parts: &[Part],
    sink: &mut RowSink,
    skip_bad: bool,
    style: bool,
) -> Result<Vec<FormatError>> {
    let results: Vec<std::io::Result<(RowSink, Vec<FormatError>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .iter()
            .map(|part| {
                s.spawn(move || -> std::io::Result<(RowSink, Vec<FormatError>)> {
                    let mut file = File::open(path)?;
                    file.seek(SeekFrom::Start(part.start))?;
                    let body = file.take(part.end - part.start);
                    let head = std::io::Cursor::new(part.header.clone().unwrap_or_default());
                    let input = BufReader::with_capacity(1 << 20, head.chain(body));
                    let mut reader = RecordReader::new(input, part.format);
                    let mut chunk = RowSink::chunk(style);
                    chunk.reserve(part.records);
                    let errors = read_part(&mut reader, &mut chunk, skip_bad);
                    Ok((chunk, errors))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a reader thread panicked"))
            .collect()
    });
    let mut errors = Vec::new();
    for (part, result) in parts.iter().zip(results) {
        let (chunk, part_errors) =
            result.with_context(|| format!("cannot read {}", path.display()))?;
        if !part_errors.is_empty() {
            // Lines before the part (counted only when there is an error to place); a CSV
            // part's own first line is the header.
            let before = count_lines(path, part.start)?;
            let shift = before - u64::from(part.header.is_some());
            errors.extend(part_errors.into_iter().map(|e| e.shifted(shift)));
            if !skip_bad {
                // The first error stops a sequential read: what follows it is not read.
                sink.append(&chunk);
                break;
            }
        }
        sink.append(&chunk);
    }
    Ok(errors)
}

/// The number of line breaks in the first `len` bytes of `path`.
fn count_lines(path: &Path, len: u64) -> Result<u64> {
    let mut input = BufReader::with_capacity(1 << 20, File::open(path)?.take(len));
    let mut n = 0;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(n);
        }
        n += memchr::memchr_iter(b'\n', buf).count() as u64;
        let k = buf.len();
        input.consume(k);
    }
}

/// Whether `path` holds a `"` anywhere (read in blocks, not held).
fn has_quote(path: &Path) -> std::io::Result<bool> {
    let mut input = BufReader::with_capacity(1 << 20, File::open(path)?);
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(false);
        }
        if memchr::memchr(b'"', buf).is_some() {
            return Ok(true);
        }
        let k = buf.len();
        input.consume(k);
    }
}

/// About how many lines `path` has, from the lines in its first megabyte (plus 2 %), so the
/// rows are allocated once rather than grown by doubling (which holds both copies).
fn estimate_records(path: &Path) -> std::io::Result<usize> {
    let len = std::fs::metadata(path)?.len();
    let mut head = Vec::with_capacity(1 << 20);
    File::open(path)?.take(1 << 20).read_to_end(&mut head)?;
    let lines = memchr::memchr_iter(b'\n', &head).count().max(1);
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    #[allow(clippy::cast_sign_loss)]
    Ok((len as f64 / head.len().max(1) as f64 * lines as f64 * 1.02) as usize)
}
