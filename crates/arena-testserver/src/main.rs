//! `arena-testserver [--addr 127.0.0.1:0] [--key KEY] [--tps N] [--ollama-origins A,B]
//! [--max-stall-secs N]`
//!
//! Prints the base URL it listens on (`http://127.0.0.1:PORT`) as the first line of stdout,
//! then serves until killed. Logs go to stderr (`RUST_LOG=debug` for every request).

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use arena_testserver::{Config, flavor_ids, spawn};

const USAGE: &str = "usage: arena-testserver [--addr 127.0.0.1:0] [--key KEY] [--tps N] \
                     [--ollama-origins A,B] [--max-stall-secs N]";

fn parse(args: &[String]) -> anyhow::Result<(SocketAddr, Config)> {
    let mut addr: SocketAddr = "127.0.0.1:0".parse()?;
    let mut config = Config::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => addr = value()?.parse().context("--addr wants IP:PORT")?,
            "--key" => config.key.clone_from(value()?),
            "--tps" => config.default_tps = value()?.parse().context("--tps wants a number")?,
            "--ollama-origins" => {
                config.ollama_origins = value()?
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            "--max-stall-secs" => {
                config.max_stall = Duration::from_secs(
                    value()?.parse().context("--max-stall-secs wants seconds")?,
                );
            }
            "-h" | "--help" => {
                println!("{USAGE}\nflavors: {}", flavor_ids().join(", "));
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    Ok((addr, config))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (addr, config) = parse(&args)?;
    let running = spawn(addr, config).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", running.url())?;
    out.flush()?;
    drop(out);
    tracing::info!(url = %running.url(), "arena-testserver listening");
    std::future::pending::<()>().await;
    Ok(())
}
