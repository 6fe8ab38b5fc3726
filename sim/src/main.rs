//! `abdm-sim`: runs the ABDM sandbox simulator as a process, for `abha-hub serve --demo`,
//! benchmarks and manual testing. Prints one line, `abdm-sim listening on http://ADDR`, on
//! stdout so a parent process can read the port, then serves until SIGTERM or Ctrl-C.

use std::io::Write as _;
use std::net::SocketAddr;

use abha_abdm_sim::{Sim, SimConfig};
use anyhow::Context as _;
use clap::Parser;

/// ABDM sandbox simulator (tests and demos only).
#[derive(Debug, Parser)]
#[command(name = "abdm-sim", version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free one. Keep it on loopback.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Client id the gateway accepts.
    #[arg(long, env = "ABDM_SIM_CLIENT_ID")]
    client_id: Option<String>,
    /// Client secret the gateway accepts.
    #[arg(long, env = "ABDM_SIM_CLIENT_SECRET")]
    client_secret: Option<String>,
    /// RSA key size (ABDM uses 4096).
    #[arg(long, default_value_t = 2048)]
    key_bits: u32,
    /// ABHA calls allowed per second (0 = unlimited).
    #[arg(long, default_value_t = 0)]
    rate_limit: u32,
    /// Milliseconds added to every ABHA call.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Demo auth with an unknown, well-formed Aadhaar number registers that resident.
    #[arg(long)]
    accept_unknown: bool,
}

async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let defaults = SimConfig::default();
    let config = SimConfig {
        client_id: args.client_id.unwrap_or(defaults.client_id.clone()),
        client_secret: args.client_secret.unwrap_or(defaults.client_secret.clone()),
        key_bits: args.key_bits,
        rate_limit_per_sec: args.rate_limit,
        latency_ms: args.latency_ms,
        accept_unknown: args.accept_unknown,
        ..defaults
    };
    let sim = Sim::start_on(args.listen, config)
        .await
        .context("starting the simulator")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "abdm-sim listening on {}", sim.base_url())?;
    out.flush()?;
    drop(out);
    stopped().await;
    sim.shutdown();
    Ok(())
}
