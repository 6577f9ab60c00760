//! Raw bytes through the CSP XML decoder. It may reject anything but must never panic, and
//! must stay within the memory bound of `common::bound`.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: common::Counting = common::Counting;

fuzz_target!(|data: &[u8]| {
    let base = common::start();
    let _ = imps_csp::decode_xml(data, &common::limits());
    common::check(base, data.len(), 1, "decode_xml");
});
