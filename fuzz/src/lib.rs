//! Fuzz harnesses for abha-core, shared by the libFuzzer targets, the seed generator and the
//! corpus replay test.
//!
//! Why a library: each target in `fuzz_targets/` is one line that calls a `run` function here, so
//! the same code runs under libFuzzer (`cargo fuzz run`, nightly flags), in the stable-toolchain
//! replay test (`cargo test`, which feeds every committed seed through it) and next to the seed
//! generator that knows the input layouts. Every `run` takes arbitrary bytes, calls the real
//! project code, and panics only when a property of that code is broken: a panic is a bug.
//!
//! - [`sync`]: sync messages, change sets, stored merge state, and the merge rules on decoded ops.
//! - [`validators`]: every identifier, name and date validator, and the form checks.
//! - [`abdm`]: the ABDM error-body and reply parsers, and ABDM's public key.
//! - [`enrol`]: what a tablet reads when it enrols with a hub (QR payload, pin, hub URL, reply).
//! - [`qr`]: what the camera reads at a household: ABHA card and app codes, household slips.

pub mod abdm;
pub mod enrol;
pub mod qr;
pub mod seeds;
pub mod sync;
pub mod validators;

/// The fuzz targets, by name (also the corpus directory names).
pub const TARGETS: [&str; 5] = [
    "sync_decode",
    "validators",
    "abdm_response",
    "enrol_qr",
    "abha_qr",
];

/// Runs the harness of `target` on `data`; `false` if there is no such target.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "sync_decode" => sync::run(data),
        "validators" => validators::run(data),
        "abdm_response" => abdm::run(data),
        "enrol_qr" => enrol::run(data),
        "abha_qr" => qr::run(data),
        _ => return false,
    }
    true
}

/// A run of at least `min` consecutive ASCII digits of `source` that `haystack` also shows, if
/// any. Used to check that personal numbers (Aadhaar, mobile) typed into an input never reach an
/// error text: every window of `min` digits is looked for, so a partial copy counts too.
pub(crate) fn leaked_digits(source: &str, haystack: &str, min: usize) -> Option<String> {
    digit_runs(source, min).into_iter().find_map(|run| {
        // Bounded: inputs are small, and a window past the first 256 digits adds nothing.
        let run = &run[..run.len().min(256)];
        (0..=run.len() - min)
            .map(|i| &run[i..i + min])
            .find(|w| haystack.contains(w))
            .map(str::to_owned)
    })
}

/// Every maximal run of at least `min` ASCII digits in `s`.
fn digit_runs(s: &str, min: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            cur.push(c);
        } else {
            if cur.len() >= min {
                out.push(std::mem::take(&mut cur));
            }
            cur.clear();
        }
    }
    out
}
