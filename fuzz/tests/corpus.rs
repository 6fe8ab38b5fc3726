//! Replays the committed corpora through the harnesses on the stable toolchain, and checks that
//! the generated seeds are committed as generated.
//!
//! Why: `cargo fuzz` needs nightly flags and minutes of fuzzing; this is the cheap regression
//! check (`cargo test` in `fuzz/`) that every seed, and every crash input kept in the corpus
//! after a fix, still runs clean against the current core.

use std::path::PathBuf;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

#[test]
fn test_every_committed_input_runs_clean() {
    for target in abha_fuzz::TARGETS {
        let dir = corpus().join(target);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("corpus directory") {
            let path = entry.expect("entry").path();
            let data = std::fs::read(&path).expect("readable seed");
            assert!(abha_fuzz::run(target, &data), "{target} is a target");
            n += 1;
        }
        assert!(n > 0, "{} has no seeds", dir.display());
    }
}

#[test]
fn test_generated_seeds_are_committed_unchanged() {
    let seeds = abha_fuzz::seeds::all().expect("seeds build");
    for s in seeds {
        let path = corpus().join(s.target).join(&s.name);
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == s.bytes,
            "{} differs from what the generator makes: run `cargo run --release --example seeds`",
            path.display()
        );
    }
}
