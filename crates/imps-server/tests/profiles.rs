//! Public profiles (CSP 1.3) over real HTTP against the real server, XML and WBXML:
//! UpdatePublicProfile (set, merge, clear; 402 for what is no profile field), GetPublicProfile
//! of users on other shards (201 + 531 for unknown users, 532 when the user blocks the asker),
//! and the profile kept across a restart.

use imps_client::Client;
use imps_csp::model::common::Property;
use imps_csp::model::v13::{
    GetPublicProfileRequest, GetPublicProfileResponse, PublicProfile, UpdatePublicProfileRequest,
};
use imps_csp::{Primitive, StatusCode};
use imps_testkit::server::{TestServer, Variant};

async fn update(c: &mut Client, clear: bool, fields: &[(&str, &str)]) -> StatusCode {
    let p = c
        .request(Primitive::from(UpdatePublicProfileRequest {
            clear_public_profile: clear.then_some(true),
            public_profile: (!fields.is_empty()).then(|| PublicProfile {
                user_id: None,
                property: fields.iter().map(|(k, v)| Property::new(*k, *v)).collect(),
            }),
        }))
        .await
        .expect("UpdatePublicProfile");
    match p {
        Primitive::Status(s) => s.result.code,
        other => panic!("Status expected: {other:?}"),
    }
}

async fn get(c: &mut Client, users: &[&str]) -> GetPublicProfileResponse {
    let p = c
        .request(Primitive::from(GetPublicProfileRequest {
            user_id: users.iter().map(|u| (*u).to_owned()).collect(),
        }))
        .await
        .expect("GetPublicProfile");
    match p {
        Primitive::GetPublicProfileResponse(r) => r,
        other => panic!("GetPublicProfile-Response expected: {other:?}"),
    }
}

fn fields(p: &PublicProfile) -> Vec<(String, String)> {
    p.property
        .iter()
        .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn public_profiles_are_published_read_and_kept() {
    let mut ts = TestServer::start(&["alice", "bob"]).await.expect("server");
    for v in [Variant::V13_XML, Variant::V13_WBXML] {
        let mut alice = ts.client("alice", v).await.expect("alice");
        let mut bob = ts.client("bob", v).await.expect("bob");
        assert_eq!(
            update(
                &mut alice,
                true,
                &[("PP_CITY", "Helsinki"), ("pp_friendly_name", "Alice")]
            )
            .await,
            StatusCode::SUCCESS
        );
        assert_eq!(
            update(&mut alice, false, &[("PP_AGE", "31")]).await,
            StatusCode::SUCCESS,
            "merged"
        );
        assert_eq!(
            update(&mut alice, false, &[("PP_SHOE_SIZE", "38")]).await,
            StatusCode::BAD_PARAMETER
        );
        assert_eq!(
            update(&mut alice, false, &[("PP_AGE", "old")]).await,
            StatusCode::BAD_PARAMETER
        );

        let r = get(&mut bob, &["alice", "ghost"]).await;
        let result = r.result.expect("Result");
        assert_eq!(result.code, StatusCode::PARTIALLY_SUCCESSFUL, "{v:?}");
        assert_eq!(result.detailed[0].code, StatusCode::UNKNOWN_USER);
        assert_eq!(result.detailed[0].user_id, vec!["wv:ghost@localhost"]);
        assert_eq!(r.public_profile.len(), 1);
        assert_eq!(
            r.public_profile[0].user_id.as_deref(),
            Some("wv:alice@localhost")
        );
        assert_eq!(
            fields(&r.public_profile[0]),
            vec![
                ("PP_AGE".to_owned(), "31".to_owned()),
                ("PP_CITY".to_owned(), "Helsinki".to_owned()),
                ("PP_FRIENDLY_NAME".to_owned(), "Alice".to_owned())
            ],
            "{v:?}"
        );
        // One's own, without naming anyone.
        let own = get(&mut alice, &[]).await;
        assert_eq!(
            own.public_profile[0].user_id.as_deref(),
            Some("wv:alice@localhost")
        );
        // A field removed by an empty value.
        assert_eq!(
            update(&mut alice, false, &[("PP_AGE", "")]).await,
            StatusCode::SUCCESS
        );
        let r = get(&mut bob, &["alice"]).await;
        assert_eq!(r.public_profile[0].property.len(), 2, "{v:?}");
        alice.logout().await.expect("logout");
        bob.logout().await.expect("logout");
    }

    // Kept across a restart; a user who blocks the asker shows it nothing (532).
    ts.restart().await.expect("restart");
    let v = Variant::V13_WBXML;
    let mut bob = ts.client("bob", v).await.expect("bob");
    let r = get(&mut bob, &["alice"]).await;
    assert_eq!(r.result.map(|r| r.code), Some(StatusCode::SUCCESS));
    assert_eq!(fields(&r.public_profile[0]).len(), 2);
    let mut alice = ts.client("alice", v).await.expect("alice");
    let p = alice
        .request(Primitive::from(imps_csp::model::im::BlockEntityRequest {
            block_list: Some(imps_csp::model::im::BlockList {
                add_list: Some(imps_csp::model::im::AddList {
                    user_id: vec!["wv:bob@localhost".into()],
                    ..Default::default()
                }),
                ..Default::default()
            }),
            block_list_in_use: Some(true),
            ..Default::default()
        }))
        .await
        .expect("block");
    assert!(
        matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS),
        "{p:?}"
    );
    let r = get(&mut bob, &["alice"]).await;
    assert_eq!(
        r.result.map(|r| r.code),
        Some(StatusCode::RECIPIENT_BLOCKED_SENDER)
    );
    assert!(r.public_profile.is_empty());
    // Cleared: nothing left to show.
    assert_eq!(update(&mut alice, true, &[]).await, StatusCode::SUCCESS);
    let r = get(&mut alice, &[]).await;
    assert!(r.public_profile[0].property.is_empty());
}

/// GetMap (1.3): the URL of the operator's map service for a user's location (as the asker
/// may see it) or for a location given; 404 without one; not offered (506) when no map
/// service is configured.
#[tokio::test]
async fn get_map_points_at_the_operators_map_service() {
    use imps_csp::model::attributes::{Address, GeoLocation, PresenceSubList};
    use imps_csp::model::presence::UpdatePresenceRequest;
    use imps_csp::model::v13::GetMapRequest;
    let ts = TestServer::start_with(&["alice", "bob"], |s| {
        s.engine.map_url = Some("https://maps.example/?lat={lat}&lon={lon}&q={query}".into());
    })
    .await
    .expect("server");
    let v = Variant::V13_XML;
    let mut alice = ts.client("alice", v).await.expect("alice");
    let mut bob = ts.client("bob", Variant::V13_WBXML).await.expect("bob");
    let map = |p: Primitive| match p {
        Primitive::GetMapResponse(r) => Ok(r.url.expect("URL")),
        Primitive::Status(s) => Err(s.result.code),
        other => panic!("GetMap-Response expected: {other:?}"),
    };
    // Nothing known yet.
    let p = bob
        .request(Primitive::from(GetMapRequest {
            user_id: Some("alice".into()),
            presence_sub_list: None,
        }))
        .await
        .expect("GetMap");
    assert_eq!(map(p), Err(StatusCode::NOT_FOUND));
    let p = alice
        .request(Primitive::from(UpdatePresenceRequest {
            presence_sub_list: PresenceSubList {
                geo_location: Some(GeoLocation {
                    qualifier: Some(true),
                    latitude: Some("60.17".into()),
                    longitude: Some("24.94".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        }))
        .await
        .expect("UpdatePresence");
    assert!(
        matches!(&p, Primitive::Status(s) if s.result.code == StatusCode::SUCCESS),
        "{p:?}"
    );
    let p = bob
        .request(Primitive::from(GetMapRequest {
            user_id: Some("alice".into()),
            presence_sub_list: None,
        }))
        .await
        .expect("GetMap");
    assert_eq!(
        map(p),
        Ok("https://maps.example/?lat=60.17&lon=24.94&q=".to_owned())
    );
    let p = bob
        .request(Primitive::from(GetMapRequest {
            user_id: None,
            presence_sub_list: Some(PresenceSubList {
                address: Some(Address {
                    city: Some("Helsinki".into()),
                    street: Some("Mannerheimintie 1".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        }))
        .await
        .expect("GetMap");
    assert_eq!(
        map(p),
        Ok("https://maps.example/?lat=&lon=&q=Mannerheimintie%201%2C%20Helsinki".to_owned())
    );

    // Without a map service: not offered.
    let plain = TestServer::start(&["carol"]).await.expect("server");
    let mut carol = plain.client("carol", v).await.expect("carol");
    let p = carol
        .request(Primitive::from(GetMapRequest {
            user_id: Some("carol".into()),
            presence_sub_list: None,
        }))
        .await
        .expect("GetMap");
    assert_eq!(map(p), Err(StatusCode::SERVICE_NOT_AGREED));
}
