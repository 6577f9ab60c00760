//! Shared steps of the replays.

use std::time::Duration;

use imps_client::Client;
use imps_csp::model::attributes::PresenceSubList;
use imps_csp::Primitive;
use imps_testkit::phone::{Answer, Phone};

/// Asserts the answer is `primitive` with `code`, naming the step.
pub fn expect(a: &Answer, primitive: &str, code: &str, step: &str) {
    assert_eq!(a.primitive(), Some(primitive), "{step}: {:?}", a.tree);
    assert_eq!(a.code(), Some(code), "{step}: {:?}", a.tree);
}

/// The next presence notification about `who` that `watcher` gets (acknowledged).
pub async fn presence_of(watcher: &mut Client, who: &str) -> PresenceSubList {
    let who = who.to_owned();
    let p = watcher
        .wait_for(Duration::from_secs(10), |p| {
            matches!(p, Primitive::PresenceNotificationRequest(n)
                if n.presence.iter().any(|x| x.user_id.as_deref().is_some_and(|u| u.contains(&who))))
        })
        .await
        .expect("a presence notification");
    let Primitive::PresenceNotificationRequest(n) = p else {
        unreachable!("matched above")
    };
    n.presence
        .into_iter()
        .next()
        .and_then(|p| p.presence_sub_list.into_iter().next())
        .expect("a PresenceSubList in every Presence")
}

/// OnlineStatus value of a sub-list.
pub fn online(p: &PresenceSubList) -> Option<bool> {
    p.online_status.as_ref().and_then(|o| o.presence_value)
}

/// Polls `phone` until a NewMessage arrives, acknowledging every other server request with
/// Status 200 as the handsets do (and taking the next request an acknowledgement's answer may
/// carry). `tid` numbers the phone's transactions.
pub async fn next_message(phone: &mut Phone, tid: &mut u32, what: &str) -> Answer {
    let mut pending: Option<Answer> = None;
    for _ in 0..60 {
        let a = match pending.take() {
            Some(a) => a,
            None => {
                *tid += 1;
                phone.poll(&tid.to_string()).await.expect(what)
            }
        };
        match a.primitive() {
            Some("NewMessage") => return a,
            Some(p) => {
                assert!(p.ends_with("-Request"), "{what}: {p}");
                let stid = a.transaction_id().expect("server TransactionID").to_owned();
                let next = phone
                    .respond(&stid, "<Status><Result><Code>200</Code></Result></Status>")
                    .await
                    .expect(what);
                pending = next.tree.is_some().then_some(next);
            }
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("{what}: no NewMessage arrived");
}
