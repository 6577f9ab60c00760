//! Amplifying WBXML bodies (string-table reference bombs in text and in root attributes, with a
//! known and an unknown public id; EXT_I and OPAQUE mixed into a bomb) each get a CSP Status
//! 400, and the peak resident memory of the server stays within a few MB of where it was
//! before they were sent. Alone in its test binary: it reads the peak resident memory
//! (`VmHWM`) of the whole test process, in which the server runs, and which other tests
//! running alongside would raise.

use imps_csp::{decode_xml, encode_wbxml, Limits, Primitive, StatusCode};
use imps_testkit::server::TestServer;

/// A CSP 1.3 Polling-Request whose TransactionID is `MARK`.
const POLL: &str = r#"<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/IMPS-CSP1.3"><Session><SessionDescriptor><SessionType>Inband</SessionType><SessionID>s1</SessionID></SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>MARK</TransactionID></TransactionDescriptor><TransactionContent xmlns="http://www.openmobilealliance.org/DTD/IMPS-TRC1.3"><Polling-Request/></TransactionContent></Transaction></Session></WV-CSP-Message>"#;

/// `mb_u_int32` of `v`.
fn mb(v: usize) -> Vec<u8> {
    let mut out = vec![(v & 0x7F) as u8];
    let mut v = v >> 7;
    while v > 0 {
        out.insert(0, 0x80 | (v & 0x7F) as u8);
        v >>= 7;
    }
    out
}

/// The WBXML of [`POLL`] with a string table holding one 1000-byte string, the TransactionID
/// replaced by `text` (content tokens) and `root_attrs` added to the root's attributes.
fn bomb(text: &[u8], root_attrs: &[u8]) -> Vec<u8> {
    let msg = decode_xml(POLL.as_bytes(), &Limits::default()).expect("valid");
    let plain = encode_wbxml(&msg).expect("encodes");
    assert_eq!(&plain[..4], &[0x03, 0x12, 0x6A, 0x00]);
    let mut table = vec![b'a'; 1000];
    table.push(0);
    let mark = b"\x03MARK\x00";
    let at = plain
        .windows(mark.len())
        .position(|w| w == mark)
        .expect("the TransactionID is inline");
    // The root `C9 <attributes> 01` follows the header.
    assert_eq!(plain[4], 0xC9);
    let end_of_attrs = 4 + plain[4..].iter().position(|&b| b == 0x01).expect("END");
    let mut out = plain[..3].to_vec();
    out.extend(mb(table.len()));
    out.extend_from_slice(&table);
    out.extend_from_slice(&plain[4..end_of_attrs]);
    out.extend_from_slice(root_attrs);
    out.extend_from_slice(&plain[end_of_attrs..at]);
    out.extend_from_slice(text);
    out.extend_from_slice(&plain[at + mark.len()..]);
    out
}

/// The bodies: each under the default 256 KiB body limit, each 50 to 100 MB of text
/// without a budget.
fn bombs() -> Vec<(&'static str, Vec<u8>)> {
    let str_t = [0x83, 0x00];
    // One root attribute: `xmlns` (token 0x05) followed by 500 references (500 KB).
    let mut attribute = vec![0x05];
    attribute.extend(str_t.repeat(500));
    // EXT_I_0 and OPAQUE of 100 bytes each, then 100 references.
    let mut mixed = vec![0x40];
    mixed.extend_from_slice(&[b'x'; 100]);
    mixed.push(0);
    mixed.extend_from_slice(&[0xC3, 100]);
    mixed.extend_from_slice(&[b'y'; 100]);
    mixed.extend(str_t.repeat(100));
    let mut unknown_id = bomb(b"\x03t\x00", &attribute.repeat(200));
    unknown_id[1] = 0x01;
    let out = vec![
        ("STR_T text", bomb(&str_t.repeat(100_000), &[])),
        (
            "STR_T root attributes",
            bomb(b"\x03t\x00", &attribute.repeat(200)),
        ),
        ("STR_T root attributes, public id unknown", unknown_id),
        (
            "EXT_I, OPAQUE and STR_T text",
            bomb(&mixed.repeat(500), &[]),
        ),
    ];
    for (what, body) in &out {
        assert!(body.len() < 256 << 10, "{what}: {} bytes", body.len());
    }
    out
}

/// Peak resident memory of this process, KiB.
fn vm_hwm() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn amplifying_bodies_get_400_and_peak_memory_stays_put() {
    let ts = TestServer::start(&[]).await.expect("server");
    let client = reqwest::Client::new();
    let post = |body: Vec<u8>| {
        let client = client.clone();
        let url = ts.url.clone();
        async move {
            let r = client
                .post(&url)
                .header("Content-Type", "application/vnd.wv.csp.wbxml")
                .body(body)
                .send()
                .await
                .expect("HTTP");
            let status = r.status().as_u16();
            (status, r.bytes().await.expect("body").to_vec())
        }
    };
    let bombs = bombs();
    // Warm up with bodies of the same sizes that fail at the first byte.
    for _ in 0..20 {
        for (_, body) in &bombs {
            let mut garbage = body.clone();
            garbage[0] = b'X';
            assert_eq!(post(garbage).await.0, 200);
        }
    }
    let before = vm_hwm();
    let mut answers = Vec::new();
    for _ in 0..100 {
        for (what, body) in &bombs {
            let (status, answer) = post(body.clone()).await;
            answers.push((*what, status, answer));
        }
    }
    let after = vm_hwm();
    eprintln!(
        "VmHWM before {before} KiB, after {} requests {after} KiB (+{} KiB)",
        answers.len(),
        after.saturating_sub(before)
    );
    for (what, status, answer) in &answers {
        assert_eq!(*status, 200, "{what}: CSP errors travel inside HTTP 200");
        let m = imps_csp::decode(answer, &Limits::default()).expect("the answer is CSP");
        match &m.session.transactions[0].primitive {
            Primitive::Status(s) => assert_eq!(s.result.code, StatusCode::BAD_REQUEST, "{what}"),
            other => panic!("{what}: expected Status, got {}", other.name()),
        }
    }
    assert!(before > 0, "VmHWM is readable");
    assert!(
        after <= before + 8 * 1024,
        "peak memory grew from {before} KiB to {after} KiB over {} amplifying bodies",
        answers.len()
    );
}
