//! Profiling helper: decodes one message in a loop (`cargo run --release --example decode_loop -- wbxml|xml`).
use imps_csp::{decode_wbxml, decode_xml, encode_wbxml, Limits};
use std::hint::black_box;
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

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "wbxml".into());
    let xml = presence_notification();
    let limits = Limits::default();
    let msg = decode_xml(xml.as_bytes(), &limits).expect("decodes");
    let wbxml = encode_wbxml(&msg).expect("encodes");
    for _ in 0..3000 {
        if mode == "xml" {
            black_box(decode_xml(black_box(xml.as_bytes()), &limits).expect("ok"));
        } else {
            black_box(decode_wbxml(black_box(&wbxml), &limits).expect("ok"));
        }
    }
    let _ = (login, send_message);
}
