#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kcertlib_fuzz::targets::private_key(data));
