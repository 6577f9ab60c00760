//! Codec micro-benchmarks: decode and encode of a Login-Request, a 1 KB SendMessage-Request and a
//! PresenceNotification-Request with 50 presences, in XML and WBXML. After criterion's runs it
//! prints, for each message, the ratio of our typed XML decode to quick-xml's bare event loop
//! over the same bytes (the physical limit of XML decoding here; target >= 0.5) and the speed-up
//! of WBXML decode over XML decode (target >= 3).
//!
//! Run: `cargo bench -p imps-csp --bench codec`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, Throughput};
use imps_csp::{
    decode_wbxml, decode_xml, encode_wbxml_into, encode_xml_into, Limits, WvCspMessage,
};

const NS12: &str = "http://www.openmobilealliance.org/DTD/WV-CSP1.2";
const TRC12: &str = "http://www.openmobilealliance.org/DTD/WV-TRC1.2";
const PA12: &str = "http://www.openmobilealliance.org/DTD/WV-PA1.2";

fn envelope(session: &str, mode: &str, tid: &str, body: &str) -> String {
    let descriptor = if session.is_empty() {
        "<SessionType>Outband</SessionType>".to_owned()
    } else {
        format!("<SessionType>Inband</SessionType><SessionID>{session}</SessionID>")
    };
    format!(
        "<WV-CSP-Message xmlns=\"{NS12}\"><Session><SessionDescriptor>{descriptor}</SessionDescriptor>\
         <Transaction><TransactionDescriptor><TransactionMode>{mode}</TransactionMode><TransactionID>{tid}</TransactionID>\
         </TransactionDescriptor><TransactionContent xmlns=\"{TRC12}\">{body}</TransactionContent></Transaction>\
         <Poll>F</Poll></Session></WV-CSP-Message>"
    )
}

fn login() -> String {
    envelope(
        "",
        "Request",
        "1",
        "<Login-Request><UserID>alice@example.com</UserID><ClientID><URL>http://www.android.com/im/imps</URL></ClientID>\
         <DigestBytes>kP1tcwJ9mIZx8l3Nq6K1mA==</DigestBytes><DigestSchema>MD5</DigestSchema><DigestSchema>SHA</DigestSchema>\
         <TimeToLive>7205</TimeToLive><SessionCookie>2b4f6c1a-93de-4d11-a2c0-7e5b9f0c4d21</SessionCookie></Login-Request>",
    )
}

fn send_message() -> String {
    let text: String = "Hello from a Nokia 6300, this is a longer chat line with some words. "
        .chars()
        .cycle()
        .take(1024)
        .collect();
    envelope(
        "s-8f2c41d09e7a",
        "Request",
        "17",
        &format!(
            "<SendMessage-Request><DeliveryReport>T</DeliveryReport><MessageInfo><ContentType>text/plain</ContentType>\
             <ContentEncoding>None</ContentEncoding><ContentSize>1024</ContentSize><Recipient><User><UserID>wv:bob@example.com</UserID>\
             </User></Recipient><Sender><User><UserID>wv:alice@example.com</UserID></User></Sender>\
             <DateTime>20251104T101500Z</DateTime></MessageInfo><ContentData>{text}</ContentData></SendMessage-Request>"
        ),
    )
}

fn presence_notification() -> String {
    let mut body = String::from("<PresenceNotification-Request>");
    for i in 0..50 {
        body.push_str(&format!(
            "<Presence><UserID>wv:user{i}@example.com</UserID><PresenceSubList xmlns=\"{PA12}\">\
             <OnlineStatus><Qualifier>T</Qualifier><PresenceValue>T</PresenceValue></OnlineStatus>\
             <ClientInfo><Qualifier>T</Qualifier><ClientType>MOBILE_PHONE</ClientType><DevManufacturer>Nokia</DevManufacturer>\
             <Model>6300</Model></ClientInfo><UserAvailability><Qualifier>T</Qualifier><PresenceValue>AVAILABLE</PresenceValue>\
             </UserAvailability><StatusText><Qualifier>T</Qualifier><PresenceValue>At the office #{i}</PresenceValue></StatusText>\
             </PresenceSubList></Presence>"
        ));
    }
    body.push_str("</PresenceNotification-Request>");
    envelope("s-8f2c41d09e7a", "Request", "s42", &body)
}

struct Doc {
    name: &'static str,
    xml: Vec<u8>,
    wbxml: Vec<u8>,
    msg: WvCspMessage,
}

fn docs() -> Vec<Doc> {
    let limits = Limits::default();
    [
        ("login", login()),
        ("send_message_1k", send_message()),
        ("presence_50", presence_notification()),
    ]
    .into_iter()
    .map(|(name, xml)| {
        let msg = decode_xml(xml.as_bytes(), &limits).expect("benchmark document decodes");
        let wbxml = encode_wbxml_into(&msg, Vec::new()).expect("encodes");
        Doc {
            name,
            xml: xml.into_bytes(),
            wbxml,
            msg,
        }
    })
    .collect()
}

/// quick-xml's bare event loop: every event read, nothing done with it.
fn quick_xml_events(xml: &[u8]) -> usize {
    let text = std::str::from_utf8(xml).expect("utf-8");
    let mut reader = quick_xml::Reader::from_str(text);
    let mut n = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) | Err(_) => return n,
            Ok(e) => {
                black_box(&e);
                n += 1;
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    for d in docs() {
        let mut g = c.benchmark_group(d.name);
        g.throughput(Throughput::Bytes(d.xml.len() as u64));
        g.bench_function("xml_decode", |b| {
            b.iter(|| decode_xml(black_box(&d.xml), &limits).expect("ok"))
        });
        g.bench_function("quick_xml_event_loop", |b| {
            b.iter(|| quick_xml_events(black_box(&d.xml)))
        });
        let mut s = String::new();
        g.bench_function("xml_encode", |b| {
            b.iter(|| {
                s = encode_xml_into(black_box(&d.msg), std::mem::take(&mut s)).expect("ok");
            })
        });
        g.throughput(Throughput::Bytes(d.wbxml.len() as u64));
        g.bench_function("wbxml_decode", |b| {
            b.iter(|| decode_wbxml(black_box(&d.wbxml), &limits).expect("ok"))
        });
        let mut v = Vec::new();
        g.bench_function("wbxml_encode", |b| {
            b.iter(|| {
                v = encode_wbxml_into(black_box(&d.msg), std::mem::take(&mut v)).expect("ok");
            })
        });
        g.finish();
    }
}

/// Mean time per call of `f`, over repeated runs of at least 200 ms.
fn time_per_call(mut f: impl FnMut()) -> Duration {
    for _ in 0..100 {
        f();
    }
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed() < Duration::from_millis(200) {
            for _ in 0..50 {
                f();
            }
            n += 50;
        }
        best = best.min(start.elapsed() / n);
    }
    best
}

fn ratios() {
    let limits = Limits::default();
    println!("\nratios (best of 5 runs of 200 ms each):");
    println!(
        "{:<18} {:>8} {:>8} | {:>12} {:>12} {:>12} | {:>10} {:>10}",
        "message", "xml B", "wbxml B", "quick-xml", "our xml", "our wbxml", "xml/qx", "wbxml x"
    );
    for d in docs() {
        let qx = time_per_call(|| {
            black_box(quick_xml_events(black_box(&d.xml)));
        });
        let ours = time_per_call(|| {
            black_box(decode_xml(black_box(&d.xml), &limits).expect("ok"));
        });
        let wb = time_per_call(|| {
            black_box(decode_wbxml(black_box(&d.wbxml), &limits).expect("ok"));
        });
        println!(
            "{:<18} {:>8} {:>8} | {:>12?} {:>12?} {:>12?} | {:>10.3} {:>10.2}",
            d.name,
            d.xml.len(),
            d.wbxml.len(),
            qx,
            ours,
            wb,
            qx.as_secs_f64() / ours.as_secs_f64(),
            ours.as_secs_f64() / wb.as_secs_f64(),
        );
    }
    println!("xml/qx: our typed XML decode speed relative to quick-xml's bare event loop (target >= 0.5)");
    println!(
        "wbxml x: WBXML decode speed-up over our XML decode of the same message (target >= 3)"
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}
