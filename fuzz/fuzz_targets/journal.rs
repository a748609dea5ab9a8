#![no_main]

libfuzzer_sys::fuzz_target!(
    init: {
        kcertlib_fuzz::targets::journal_root();
    },
    |data: &[u8]| kcertlib_fuzz::targets::journal(data)
);
