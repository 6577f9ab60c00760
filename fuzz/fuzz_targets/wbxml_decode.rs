//! Raw bytes through the generic WBXML reader (CSP 1.3 token table) and through the CSP WBXML
//! decoder. Neither may panic; the reader's events must stay balanced and within its limits,
//! the text it hands out within the decoded-bytes budget, and the memory both use within the
//! bound of `common::bound`.
#![no_main]

mod common;

use imps_csp::tokens::TOKENS_13;
use imps_wbxml::{Event, Reader};
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: common::Counting = common::Counting;

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    let budget = limits.decoded_budget(data.len());
    let base = common::start();

    let _ = imps_wbxml::read_header(data);

    if let Ok(mut reader) = Reader::new(data, &TOKENS_13, limits) {
        let mut open = 0usize;
        loop {
            assert!(
                reader.decoded_bytes() <= budget,
                "decoded-bytes budget not enforced"
            );
            match reader.next() {
                Ok(Some(Event::Start { .. })) => {
                    open += 1;
                    assert!(open <= limits.max_depth, "depth limit not enforced");
                }
                Ok(Some(Event::End)) => {
                    assert!(open > 0, "End without Start");
                    open -= 1;
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    assert_eq!(open, 0, "document ended with open elements");
                    // Sticky end of document.
                    assert!(matches!(reader.next(), Ok(None)));
                    break;
                }
                Err(e) => {
                    // Sticky error.
                    assert_eq!(reader.next(), Err(e));
                    break;
                }
            }
        }
    }

    common::check(base, data.len(), 1, "Reader");

    let base = common::start();
    let _ = imps_csp::decode_wbxml(data, &limits);
    common::check(base, data.len(), 1, "decode_wbxml");
});
