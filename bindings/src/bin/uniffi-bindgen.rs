//! `uniffi-bindgen`, pinned to this workspace's UniFFI: generates the Kotlin bindings from the
//! built `libabha_ffi` (library mode), e.g.
//! `cargo run -p abha-ffi --features bindgen --bin uniffi-bindgen -- generate --library
//! target/debug/libabha_ffi.so --language kotlin --out-dir build/kotlin --no-format`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
