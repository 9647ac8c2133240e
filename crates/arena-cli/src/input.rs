//! Opening input files and streaming their records.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::{Context, Result, bail};
use arena_core::VoteRecord;
use arena_core::formats::{FormatError, RecordReader};

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
