//! Flags (clap derive) and the three subcommands.
//!
//! `serve` lives in [`crate::serve`].

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use arena_core::formats::csv::CsvWriter;
use arena_core::formats::export::{Anonymiser, CleanBattle, preference_pair};
use arena_core::formats::json_array::JsonArrayWriter;
use arena_core::formats::jsonl::write_record;
use arena_core::formats::pool::Pool;
use arena_core::formats::rows::RowSink;
use arena_core::integrity::flag_identity_leak;
use arena_core::ratings::{
    Anchor, CiMethod, DEFAULT_BOOTSTRAP_ROUNDS, FilterOptions, LeaderboardOptions,
    compute_leaderboard_rows,
};
use clap::{Parser, Subcommand, ValueEnum};

use crate::input::{for_each_record, read_rows};
use crate::output;

#[derive(Debug, Parser)]
#[command(
    name = "arena",
    version,
    about = "Rate, merge and convert Arena vote exports"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Rank the models: Bradley–Terry ratings with intervals, online Elo, battles, win rate.
    Leaderboard(LeaderboardArgs),
    /// Pool exports into one JSONL file, dropping repeated votes (by vote id).
    Merge(MergeArgs),
    /// Convert between formats.
    Convert(ConvertArgs),
    /// Run a local GGUF model (the engine the browser's local contestants use).
    #[command(subcommand)]
    Llm(crate::llm::LlmCommand),
    /// Run the sync server (protocol v1), optionally serving the built app.
    Serve(crate::serve::ServeArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CiArg {
    Sandwich,
    Bootstrap,
}

#[derive(Debug, clap::Args)]
#[allow(clippy::struct_excessive_bools)] // command-line switches
pub struct LeaderboardArgs {
    /// Vote files: Arena JSONL, FastChat JSON or JSONL, battle CSV, Kaggle CSV.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: TableFormat,
    /// Interval method (sandwich unless --bootstrap is given).
    #[arg(long, value_enum)]
    pub ci: Option<CiArg>,
    /// Bootstrap with N rounds.
    #[arg(long, value_name = "N")]
    pub bootstrap: Option<usize>,
    /// Seed for the bootstrap and dedup sampling.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Weight each pair's battles by 1 / max(pair battles, 50).
    #[arg(long)]
    pub reweight: bool,
    /// Pin a model's rating (default: mixtral-8x7b-instruct-v0.1=1114 when present).
    #[arg(long, value_name = "MODEL=RATING")]
    pub anchor: Option<String>,
    /// Only battles in this category (coding, math, multi-turn, long-query, no-tie,
    /// lang:English, …).
    #[arg(long, value_name = "C")]
    pub category: Option<String>,
    /// Control for answer length and markdown; prints the style coefficients.
    #[arg(long)]
    pub style_control: bool,
    /// Count battles flagged as identity leaks.
    #[arg(long)]
    pub include_flagged: bool,
    /// Count non-anonymous battles.
    #[arg(long)]
    pub include_named: bool,
    /// Keep prompts repeated beyond the 99.99th percentile.
    #[arg(long)]
    pub no_dedup: bool,
    /// Run the identity-leak detector on the input and flag what it finds.
    #[arg(long)]
    pub detect_leaks: bool,
    /// Skip bad records (reported on stderr) instead of stopping.
    #[arg(long)]
    pub skip_bad_lines: bool,
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(short = 'o', long = "output", value_name = "OUT.jsonl")]
    pub output: PathBuf,
    #[arg(long)]
    pub skip_bad_lines: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ToFormat {
    Jsonl,
    FastchatJson,
    Csv,
    Dpo,
    Anonymised,
}

#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    pub input: PathBuf,
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: PathBuf,
    /// Output format (default: from the extension of OUT; .json → fastchat-json, .csv → csv,
    /// otherwise jsonl).
    #[arg(long, value_enum)]
    pub to: Option<ToFormat>,
    #[arg(long)]
    pub skip_bad_lines: bool,
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Leaderboard(a) => leaderboard(&a),
        Command::Merge(a) => merge(&a),
        Command::Convert(a) => convert(&a),
        Command::Llm(c) => crate::llm::run(&c),
        Command::Serve(a) => crate::serve::run(&a),
    }
}

fn leaderboard(a: &LeaderboardArgs) -> Result<()> {
    let ci = match (a.ci, a.bootstrap) {
        (Some(CiArg::Sandwich), Some(_)) => {
            bail!("--bootstrap N asks for bootstrap intervals; drop --ci sandwich")
        }
        (_, Some(0)) => bail!("--bootstrap needs at least one round"),
        (_, Some(rounds)) => CiMethod::Bootstrap { rounds },
        (Some(CiArg::Bootstrap), None) => CiMethod::Bootstrap {
            rounds: DEFAULT_BOOTSTRAP_ROUNDS,
        },
        (Some(CiArg::Sandwich) | None, None) => CiMethod::Sandwich,
    };
    let anchor = a.anchor.as_deref().map(Anchor::parse).transpose()?;
    // The votes are read straight into rating rows (40 bytes a vote, names interned; see
    // `arena_core::formats::rows`). Leak detection reads the text, so it takes the records.
    let sink = if a.detect_leaks {
        let mut sink = RowSink::new(a.style_control);
        let mut leaks = 0;
        for f in &a.files {
            for_each_record(
                f,
                a.skip_bad_lines,
                |mut r| {
                    if flag_identity_leak(&mut r) {
                        leaks += 1;
                    }
                    sink.push_record(&r);
                    Ok(())
                },
                |_| {},
            )?;
        }
        eprintln!("arena: flagged {leaks} battles as identity leaks");
        sink
    } else {
        read_rows(&a.files, a.skip_bad_lines, a.style_control)?
    };
    if sink.duplicates > 0 {
        eprintln!(
            "arena: {} repeated votes (same id) counted once",
            sink.duplicates
        );
    }
    let rows = sink.into_rows();
    let opts = LeaderboardOptions {
        ci,
        seed: a.seed,
        reweight: a.reweight,
        anchor,
        style_control: a.style_control,
        filter: FilterOptions {
            category: a.category.clone(),
            include_flagged: a.include_flagged,
            include_named: a.include_named,
            dedup: !a.no_dedup,
        },
        ..LeaderboardOptions::default()
    };
    let lb = compute_leaderboard_rows(&rows, &opts)?;
    let s = &lb.summary;
    eprintln!(
        "arena: {} records, {} rated (excluded: {} after reveal, {} flagged, {} named, {} other category, {} dedup)",
        s.records, s.used, s.after_reveal, s.flagged, s.named, s.other_category, s.deduplicated
    );
    if !lb.converged {
        eprintln!("arena: warning: the fit did not converge (an unbeaten or winless model?)");
    }
    let text = match a.format {
        TableFormat::Table => output::table(&lb),
        TableFormat::Csv => output::csv(&lb),
        TableFormat::Json => output::json(&lb),
    };
    if a.format != TableFormat::Table
        && let Some(coefs) = &lb.style_coefficients
    {
        for c in coefs {
            eprintln!(
                "arena: style coefficient {}: {:+.4} [{:+.4}, {:+.4}]",
                c.feature, c.coefficient, c.ci_lower, c.ci_upper
            );
        }
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Writes through a temporary file next to `path`, renamed into place only on success, so a
/// failed run leaves nothing behind.
fn write_atomically(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    let file = File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let result = body(&mut w).and_then(|()| w.flush().map_err(Into::into));
    drop(w);
    match result {
        Ok(()) => {
            std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn merge(a: &MergeArgs) -> Result<()> {
    let mut pool = Pool::new();
    write_atomically(&a.output, |w| {
        for f in &a.files {
            pool.begin_source(f.display().to_string());
            let mut bad = 0;
            for_each_record(
                f,
                a.skip_bad_lines,
                |r| {
                    if pool.offer(&r) {
                        write_record(w, &r)?;
                    }
                    Ok(())
                },
                |_| bad += 1,
            )?;
            for _ in 0..bad {
                pool.bad_record();
            }
        }
        Ok(())
    })?;
    for r in pool.reports() {
        eprintln!(
            "{}: read {}, added {}, duplicates {}, bad {}",
            r.source, r.read, r.added, r.duplicates, r.bad
        );
    }
    eprintln!(
        "total: {} votes written to {}",
        pool.len(),
        a.output.display()
    );
    Ok(())
}

fn convert(a: &ConvertArgs) -> Result<()> {
    let to = a.to.unwrap_or_else(|| {
        match a
            .output
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("json") => ToFormat::FastchatJson,
            Some("csv") => ToFormat::Csv,
            _ => ToFormat::Jsonl,
        }
    });
    let (mut written, mut skipped) = (0u64, 0u64);
    write_atomically(&a.output, |w| {
        let skip = a.skip_bad_lines;
        match to {
            ToFormat::Jsonl => {
                for_each_record(
                    &a.input,
                    skip,
                    |r| {
                        written += 1;
                        write_record(w, &r).map_err(Into::into)
                    },
                    |_| {},
                )?;
            }
            ToFormat::Anonymised => {
                let mut an = Anonymiser::new();
                for_each_record(
                    &a.input,
                    skip,
                    |r| {
                        written += 1;
                        write_record(w, &an.anonymise(&r)).map_err(Into::into)
                    },
                    |_| {},
                )?;
            }
            ToFormat::Dpo => {
                for_each_record(
                    &a.input,
                    skip,
                    |r| {
                        if let Some(p) = preference_pair(&r) {
                            written += 1;
                            serde_json::to_writer(&mut *w, &p)?;
                            w.write_all(b"\n")?;
                        } else {
                            skipped += 1;
                        }
                        Ok(())
                    },
                    |_| {},
                )?;
            }
            ToFormat::FastchatJson => {
                let mut jw = JsonArrayWriter::new(&mut *w);
                for_each_record(
                    &a.input,
                    skip,
                    |r| {
                        written += 1;
                        jw.write(&CleanBattle::from_record(&r)).map_err(Into::into)
                    },
                    |_| {},
                )?;
                jw.finish()?;
            }
            ToFormat::Csv => {
                let mut cw = CsvWriter::new(&mut *w)?;
                for_each_record(
                    &a.input,
                    skip,
                    |r| {
                        written += 1;
                        cw.write(&r).map_err(Into::into)
                    },
                    |_| {},
                )?;
                cw.finish()?;
            }
        }
        Ok(())
    })?;
    if skipped > 0 {
        eprintln!("arena: {skipped} ties or battles without both answers have no preference pair");
    }
    eprintln!("arena: wrote {written} records to {}", a.output.display());
    Ok(())
}
