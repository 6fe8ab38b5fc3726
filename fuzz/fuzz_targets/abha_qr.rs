//! `abha_qr`: libFuzzer entry point; the harness and its properties are in `abha_fuzz::qr`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| abha_fuzz::qr::run(data));
