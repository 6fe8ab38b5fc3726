//! `abha-hub`: command-line entry point. Parses arguments, sets up logging, runs the command.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use abha_hub::{HubConfig, open_store, seed_demo};
use clap::{Parser, Subcommand};

/// The ABHA Field hub: syncs tablets at camps and talks to ABDM.
#[derive(Debug, Parser)]
#[command(name = "abha-hub", version, about)]
struct Cli {
    /// Data directory for the hub's encrypted store and keys.
    #[arg(
        long,
        global = true,
        env = "ABHA_HUB_DATA",
        default_value = "abha-hub-data"
    )]
    data: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Seed a demo camp (Jammu & Kashmir villages, households from simulated tablets) into the
    /// hub's encrypted store and print what it holds.
    Demo {
        /// How many households.
        #[arg(long, default_value_t = 300)]
        households: usize,
    },
    /// Print what the hub's store holds.
    Status,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ABHA_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let config = HubConfig {
        data_dir: cli.data.clone(),
    };
    let result = open_store(&config).and_then(|store| match cli.command {
        Command::Demo { households } => seed_demo(&store, households),
        Command::Status => abha_hub::summarize(&store),
    });
    match result {
        Ok(summary) => {
            let text = serde_json::to_string_pretty(&summary).unwrap_or_default();
            let _ = writeln!(std::io::stdout(), "{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "hub command failed");
            ExitCode::from(1)
        }
    }
}
