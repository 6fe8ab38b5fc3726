//! `sync_decode`: libFuzzer entry point; the harness and its properties are in `abha_fuzz::sync`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| abha_fuzz::sync::run(data));
