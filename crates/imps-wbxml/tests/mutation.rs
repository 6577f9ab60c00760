//! Randomized robustness: mutated valid documents never make the reader panic or loop.
#![allow(clippy::unwrap_used)]

mod common;

use common::{events_with, samples, Rng};
use imps_wbxml::Limits;

const INTERESTING: &[u8] = &[
    0x00, 0x01, 0x02, 0x03, 0x04, 0x40, 0x41, 0x42, 0x43, 0x44, 0x80, 0x81, 0x82, 0x83, 0x84, 0xC0,
    0xC1, 0xC2, 0xC3, 0xC4, 0x7F, 0xFF, 0x6D, 0xC9, 0x05, 0x85,
];

fn mutate(rng: &mut Rng, doc: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4) {
        let pos = rng.below(doc.len() + 1);
        let byte = if rng.below(2) == 0 {
            INTERESTING[rng.below(INTERESTING.len())]
        } else {
            rng.next_u64() as u8
        };
        match rng.below(5) {
            0 if pos < doc.len() => doc[pos] = byte,
            1 if pos < doc.len() => doc[pos] ^= 1 << rng.below(8),
            2 => doc.insert(pos, byte),
            3 if pos < doc.len() => {
                doc.remove(pos);
            }
            _ => doc.truncate(pos),
        }
    }
}

#[test]
fn mutated_documents_never_panic() {
    let limits = Limits {
        max_depth: 16,
        max_elements: 1000,
        max_string_len: 4096,
        max_opaque_len: 4096,
        max_total_size: 1 << 16,
        max_string_table: 4096,
        max_decoded_bytes: 1 << 16,
        decoded_bytes_per_input_byte: 16,
    };
    let samples = samples();
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..20_000 {
        let mut doc = samples[rng.below(samples.len())].clone();
        mutate(&mut rng, &mut doc);
        match events_with(&doc, limits) {
            Ok(_) => ok += 1,
            Err(e) => {
                assert!(!e.to_string().is_empty());
                failed += 1;
            }
        }
        let _ = imps_wbxml::read_header(&doc);
    }
    assert!(ok > 0 && failed > 0, "ok {ok}, failed {failed}");
}

#[test]
fn every_single_byte_value_at_every_offset() {
    for doc in samples() {
        for pos in 0..doc.len() {
            for b in 0..=255u8 {
                let mut d = doc.clone();
                d[pos] = b;
                let _ = events_with(&d, Limits::default());
            }
        }
    }
}

#[test]
fn random_bytes_after_a_valid_header() {
    let mut rng = Rng(42);
    for _ in 0..5_000 {
        let len = rng.below(64);
        let mut doc = vec![0x03, 0x01, 0x6A, 0x04, b'a', 0, b'b', 0];
        doc.extend((0..len).map(|_| INTERESTING[rng.below(INTERESTING.len())]));
        let _ = events_with(&doc, Limits::default());
    }
}
