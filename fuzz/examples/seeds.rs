//! Writes the seed corpora to `corpus/<target>/` (or to the directory given as the first
//! argument): `cargo run --release --example seeds`.
//!
//! Why a program and not files by hand: the seeds are real messages from the project's own
//! encoders, so they are regenerated when the wire format changes. Files already there and not
//! made by the generator (inputs added by hand, or minimised crashes kept as regressions) are left
//! alone.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    let seeds = match abha_fuzz::seeds::all() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("could not build the seeds: {e}");
            return ExitCode::FAILURE;
        }
    };
    for s in &seeds {
        let dir = root.join(s.target);
        if let Err(e) =
            std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join(&s.name), &s.bytes))
        {
            eprintln!("could not write {}/{}: {e}", dir.display(), s.name);
            return ExitCode::FAILURE;
        }
    }
    eprintln!("wrote {} seeds under {}", seeds.len(), root.display());
    ExitCode::SUCCESS
}
