//! A flood of bad requests leaves other users unaffected and the server's memory bounded.
//! Alone in its test binary: it reads the resident memory of the whole test process, which
//! other tests running alongside would disturb.

use imps_testkit::server::{TestServer, Variant};

#[tokio::test]
async fn a_flood_of_bad_requests_leaves_others_unaffected_and_memory_bounded() {
    let ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    let rss = || -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.split_whitespace().next()?.parse().ok())
            })
            .unwrap_or(0)
    };
    // Warm up, then measure.
    let url = ts.url.clone();
    let flood = |n: usize| {
        let url = url.clone();
        async move {
            // 64 connections at a time, each sending n/64 bad requests back to back.
            let client = reqwest::Client::new();
            let mut tasks = Vec::new();
            for w in 0..64 {
                let client = client.clone();
                let url = url.clone();
                tasks.push(tokio::spawn(async move {
                    for i in 0..n / 64 {
                        let body = match (w + i) % 3 {
                            0 => b"garbage".to_vec(),
                            1 => vec![b'<'; 200_000],
                            _ => format!("<WV-CSP-Message>{}", "<a>".repeat(100)).into_bytes(),
                        };
                        let r = client.post(&url).body(body).send().await.expect("HTTP");
                        assert_eq!(r.status().as_u16(), 200);
                    }
                }));
            }
            for t in tasks {
                t.await.expect("task");
            }
        }
    };
    flood(640).await;
    let before = rss();
    flood(6400).await;
    let after = rss();
    let mut a = ts
        .client("alice", Variant::V11_WBXML)
        .await
        .expect("alice logs in");
    a.send_text(&["bob"], "after the flood")
        .await
        .expect("sends");
    if before > 0 {
        assert!(
            after < before + 32 * 1024,
            "memory grew from {before} KiB to {after} KiB over 6400 bad requests"
        );
    }
}
