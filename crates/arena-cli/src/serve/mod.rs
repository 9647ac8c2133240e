//! `arena serve`: the sync server of DESIGN.md §5 (protocol v1), which can also serve the built
//! app and its `arena.json`.
//!
//! The server keeps no state of its own beyond a per-instance rate limiter: every vote lives in
//! the database, so several instances may share one PostgreSQL database behind a balancer.

mod http;
mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use store::Store;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub addr: SocketAddr,
    /// `sqlite:PATH` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(long, default_value = "sqlite:arena.db", env = "ARENA_DB")]
    pub db: String,
    /// Serve the built app (and its `arena.json`) from this folder.
    #[arg(long, value_name = "DIR")]
    pub dist: Option<PathBuf>,
    /// Bearer token that may push and pull votes (required; prefer the environment variable,
    /// which other users of the machine cannot read from the process list).
    #[arg(long, env = "ARENA_WRITE_TOKEN", hide_env_values = true)]
    pub write_token: Option<String>,
    /// Bearer token that may only pull votes and read the leaderboard.
    #[arg(long, env = "ARENA_READ_TOKEN", hide_env_values = true)]
    pub read_token: Option<String>,
    /// An origin allowed to call the API from a browser (repeatable); none: no CORS headers.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// Requests per second allowed to one client address (with a burst of twice that).
    #[arg(long, default_value_t = 50.0)]
    pub rate_limit: f64,
    /// The address of a reverse proxy in front of the server (repeatable): for requests from
    /// it, the client address (for the rate limit) is the last `X-Forwarded-For` entry that
    /// is not itself a trusted proxy. Without it the header is ignored, since anyone can send it.
    #[arg(long = "trusted-proxy", value_name = "IP")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Seconds a request may take, its body included (408 beyond); also how long a shutdown
    /// waits for the requests in flight.
    #[arg(long, default_value_t = 30)]
    pub request_timeout: u64,
}

/// The settings the HTTP layer needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub write_token: String,
    pub read_token: Option<String>,
    pub allow_origins: Vec<String>,
    pub rate_limit: f64,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub dist: Option<PathBuf>,
    pub request_timeout: Duration,
}

pub fn run(a: &ServeArgs) -> Result<()> {
    let Some(write_token) = a.write_token.clone().filter(|t| !t.is_empty()) else {
        bail!("arena serve needs a write token: --write-token or ARENA_WRITE_TOKEN");
    };
    let read_token = a.read_token.clone().filter(|t| !t.is_empty());
    if !a.rate_limit.is_finite() || a.rate_limit <= 0.0 {
        bail!("--rate-limit must be positive");
    }
    if let Some(d) = &a.dist
        && !d.is_dir()
    {
        bail!("--dist {}: not a folder", d.display());
    }
    let settings = Settings {
        write_token,
        read_token,
        allow_origins: a.allow_origins.clone(),
        rate_limit: a.rate_limit,
        trusted_proxies: a.trusted_proxies.clone(),
        dist: a.dist.clone(),
        request_timeout: Duration::from_secs(a.request_timeout),
    };
    if a.request_timeout == 0 {
        bail!("--request-timeout must be at least 1 second");
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ARENA_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    rt.block_on(async {
        let store = Store::open(&a.db).await?;
        let listener = tokio::net::TcpListener::bind(a.addr)
            .await
            .with_context(|| format!("cannot listen on {}", a.addr))?;
        let local = listener.local_addr()?;
        // Tests and scripts read this line to learn the port.
        println!("arena serve: listening on http://{local}");
        tracing::info!(addr = %local, "listening");
        let app = http::router(store.clone(), &settings)?;
        let (stopping_tx, stopping) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stopping_tx.send(());
        });
        // Requests time out on their own; this bounds a connection that never sends one.
        let grace = settings.request_timeout + Duration::from_secs(5);
        tokio::select! {
            r = server => r?,
            () = async {
                if stopping.await.is_ok() {
                    tokio::time::sleep(grace).await;
                } else {
                    std::future::pending::<()>().await;
                }
            } => {
                tracing::warn!("connections still open {} s after the signal; stopping", grace.as_secs());
                store.close().await;
                return Ok(());
            }
        }
        tracing::info!("stopped: in-flight requests finished");
        store.close().await;
        Ok(())
    })
}

/// SIGTERM or Ctrl-C: stop accepting, finish what is in flight, then exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
