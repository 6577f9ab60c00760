//! Password guessing is throttled before it costs anything: failed logins of an account from
//! one address slow that address for that account only (the owner logs in from elsewhere),
//! login attempts per address are bounded, refusals are 503 with a Description, and a 4-way
//! challenge cannot be evicted by strangers' first legs.

use std::net::IpAddr;

use imps_csp::CspVersion;
use imps_testkit::phone::{Phone, Wire};
use imps_testkit::server::TestServer;

fn other() -> IpAddr {
    "127.0.0.2".parse().expect("address")
}

fn login(user: &str, password: &str, cookie: &str) -> String {
    format!(
        "<Login-Request><UserID>{user}</UserID><Password>{password}</Password>\
         <SessionCookie>{cookie}</SessionCookie></Login-Request>"
    )
}

#[tokio::test]
async fn guesses_slow_the_guessing_address_for_that_account_only() {
    let ts = TestServer::start_with(&["alice", "bob"], |s| {
        s.login_limits.failures_burst = 3.0;
        s.login_limits.failures_rate = 0.0;
    })
    .await
    .expect("server");
    let mut attacker = Phone::from_address(&ts.url, CspVersion::V1_2, Wire::Xml, other());
    for i in 0..3 {
        let a = attacker
            .request(&format!("{i}"), &login("alice", "guess", &format!("g{i}")))
            .await
            .expect("answer");
        assert_eq!(a.code(), Some("409"), "guess {i} checked");
    }
    let a = attacker
        .request("9", &login("alice", "alice-pw", "g9"))
        .await
        .expect("answer");
    assert_eq!(
        a.code(),
        Some("503"),
        "slowed: even the right password waits: {:?}",
        a.tree
    );
    assert!(a
        .text("Description")
        .is_some_and(|d| d.contains("Too many")));
    assert_eq!(a.transaction_id(), Some("9"));
    let a = attacker
        .request("10", &login("bob", "bob-pw", "b1"))
        .await
        .expect("answer");
    assert_eq!(a.code(), Some("200"), "another account from that address");
    let mut owner = Phone::new(&ts.url, CspVersion::V1_2, Wire::Xml);
    let a = owner
        .request("1", &login("alice", "alice-pw", "o1"))
        .await
        .expect("answer");
    assert_eq!(
        a.code(),
        Some("200"),
        "the owner from elsewhere is not locked out"
    );
}

#[tokio::test]
async fn login_attempts_per_address_are_bounded() {
    let ts = TestServer::start_with(&["alice"], |s| {
        s.login_limits.per_ip_burst = 5.0;
        s.login_limits.per_ip_rate = 0.0;
    })
    .await
    .expect("server");
    let mut flood = Phone::from_address(&ts.url, CspVersion::V1_1, Wire::Xml, other());
    let mut codes = Vec::new();
    for i in 0..8 {
        let a = flood
            .request(
                &format!("{i}"),
                &login(&format!("nobody{i}"), "x", &format!("c{i}")),
            )
            .await
            .expect("answer");
        codes.push(a.code().unwrap_or("").to_owned());
    }
    assert_eq!(&codes[..5], ["531"; 5], "{codes:?}");
    assert_eq!(&codes[5..], ["503"; 3], "{codes:?}");
    let mut owner = Phone::new(&ts.url, CspVersion::V1_1, Wire::Xml);
    let a = owner
        .request("1", &login("alice", "alice-pw", "o1"))
        .await
        .expect("answer");
    assert_eq!(a.code(), Some("200"), "another address is served");
}

#[tokio::test]
async fn strangers_first_legs_do_not_evict_the_owners_challenge() {
    let ts = TestServer::start(&["alice"]).await.expect("server");
    let first = |cookie: &str| {
        format!(
            "<Login-Request><UserID>alice</UserID><DigestSchema>MD5</DigestSchema>\
             <SessionCookie>{cookie}</SessionCookie></Login-Request>"
        )
    };
    let mut owner = Phone::new(&ts.url, CspVersion::V1_2, Wire::Xml);
    let a = owner
        .request("1", &first("owner"))
        .await
        .expect("challenge");
    let nonce = a.text("Nonce").expect("nonce").to_owned();
    let mut stranger = Phone::from_address(&ts.url, CspVersion::V1_2, Wire::Xml, other());
    for i in 0..20 {
        let a = stranger
            .request(&format!("{i}"), &first(&format!("s{i}")))
            .await
            .expect("challenge");
        assert!(a.text("Nonce").is_some());
    }
    let digest = imps_core::auth::digest("MD5", &nonce, "alice-pw").expect("digest");
    let a = owner
        .request(
            "1",
            &format!(
                "<Login-Request><UserID>alice</UserID><DigestBytes>{digest}</DigestBytes>\
                 <SessionCookie>owner</SessionCookie></Login-Request>"
            ),
        )
        .await
        .expect("second leg");
    assert_eq!(
        a.code(),
        Some("200"),
        "the owner's challenge survived: {:?}",
        a.tree
    );
}
