//! Raw bytes through the CSP XML decoder. It may reject anything but must never panic.
#![no_main]

use imps_csp::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = imps_csp::decode_xml(data, &Limits::default());
});
