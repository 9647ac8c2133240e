//! `arena`: the native command line (DESIGN.md §5).
//!
//! `leaderboard`, `merge` and `convert` read Arena JSONL, FastChat JSON or JSONL, battle CSV
//! and Kaggle CSV (the format is detected from the content). All the work is done by
//! `arena-core`; this binary opens files, parses flags and prints.

mod cli;
mod input;
mod llm;
mod output;
mod serve;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("arena: {e:#}");
            ExitCode::FAILURE
        }
    }
}
