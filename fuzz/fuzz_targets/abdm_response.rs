//! `abdm_response`: libFuzzer entry point; the harness and its properties are in `abha_fuzz::abdm`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| abha_fuzz::abdm::run(data));
