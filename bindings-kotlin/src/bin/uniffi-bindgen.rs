//! `uniffi-bindgen` built from the workspace's pinned uniffi, so the generated Kotlin and Swift
//! always match the scaffolding compiled into `libtenths_ffi`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
