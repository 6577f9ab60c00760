//! Raw bytes through the generic WBXML reader (CSP 1.3 token table) and through the CSP WBXML
//! decoder. Neither may panic; the reader's events must stay balanced and within its limits.
#![no_main]

use imps_csp::tokens::TOKENS_13;
use imps_csp::Limits;
use imps_wbxml::{Event, Reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();

    let _ = imps_wbxml::read_header(data);

    if let Ok(mut reader) = Reader::new(data, &TOKENS_13, limits) {
        let mut open = 0usize;
        loop {
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

    let _ = imps_csp::decode_wbxml(data, &limits);
});
