//! The people-facing operations behind the `imps` commands, each one request (or a few) on a
//! logged-in [`Client`], built the way the session's CSP version wants them.

use std::time::{Duration, Instant};

use anyhow::bail;
use imps_csp::model::attributes::{PresenceSubList, TextAttribute};
use imps_csp::model::common::{ContactListIdList, NickName, Property, User};
use imps_csp::model::group::UserIdList;
use imps_csp::model::im::{
    AddList, BlockEntityRequest, BlockList, GetBlockedListRequest, RemoveList,
};
use imps_csp::model::presence::{
    AddNickList, ContactListProperties, CreateListRequest, DeleteListRequest, GetListRequest,
    GetPresenceRequest, ListManageRequest, RemoveNickList, SubscribePresenceRequest,
    UpdatePresenceRequest,
};
use imps_csp::{CspVersion, Primitive};

use crate::session::{describe, expect_ok, show, show_presence, Client};

fn users(v: CspVersion, ids: &[String]) -> (Vec<User>, Option<UserIdList>) {
    if v >= CspVersion::V1_3 {
        (
            Vec::new(),
            Some(UserIdList {
                user_id: ids.to_vec(),
            }),
        )
    } else {
        (
            ids.iter()
                .map(|u| User {
                    user_id: u.clone(),
                    ..Default::default()
                })
                .collect(),
            None,
        )
    }
}

/// Subscribes to the presence of `who` (all attributes).
pub async fn subscribe(c: &mut Client, who: &[String]) -> anyhow::Result<()> {
    let (user, user_id_list) = users(c.version(), who);
    let p = c
        .request(Primitive::from(SubscribePresenceRequest {
            user,
            user_id_list,
            ..Default::default()
        }))
        .await?;
    expect_ok(&p, "SubscribePresence")
}

/// Subscribes to the presence of the members of a contact list.
pub async fn subscribe_list(c: &mut Client, list: &str, auto: bool) -> anyhow::Result<()> {
    let v = c.version();
    let mut req = SubscribePresenceRequest {
        auto_subscribe: (auto && v == CspVersion::V1_2).then_some(true),
        ..Default::default()
    };
    if v >= CspVersion::V1_3 {
        req.contact_list_id_list = Some(ContactListIdList {
            contact_list: vec![list.to_owned()],
        });
    } else {
        req.contact_list = vec![list.to_owned()];
    }
    let p = c.request(Primitive::from(req)).await?;
    expect_ok(&p, "SubscribePresence")
}

/// Polls and prints what arrives (acknowledging it) until `count` items or `limit` time.
pub async fn listen(
    c: &mut Client,
    count: Option<usize>,
    limit: Option<Duration>,
    mut out: impl FnMut(String),
) -> anyhow::Result<()> {
    let start = Instant::now();
    let mut seen = 0usize;
    let mut next = None;
    loop {
        if count.is_some_and(|n| seen >= n) || limit.is_some_and(|l| start.elapsed() >= l) {
            return Ok(());
        }
        let req = match next.take() {
            Some(r) => Some(r),
            None => c.poll().await?,
        };
        match req {
            Some(r) => {
                out(show(&r.primitive));
                seen += 1;
                let disconnect = matches!(r.primitive, Primitive::Disconnect(_));
                next = c.acknowledge(&r).await?;
                if disconnect {
                    return Ok(());
                }
            }
            None => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// Publishes availability, status text and mood.
pub async fn set_presence(
    c: &mut Client,
    availability: Option<String>,
    status: Option<String>,
    mood: Option<String>,
) -> anyhow::Result<()> {
    let attr = |v: Option<String>| {
        v.map(|v| TextAttribute {
            qualifier: Some(true),
            presence_value: Some(v),
        })
    };
    let sub = PresenceSubList {
        user_availability: attr(availability),
        status_text: attr(status),
        status_mood: attr(mood),
        ..Default::default()
    };
    if sub.is_empty() {
        bail!("nothing to set: give --availability, --status or --mood");
    }
    let p = c
        .request(Primitive::from(UpdatePresenceRequest {
            presence_sub_list: sub,
        }))
        .await?;
    expect_ok(&p, "UpdatePresence")
}

/// Fetches presence of users, one line each.
pub async fn get_presence(c: &mut Client, who: &[String]) -> anyhow::Result<Vec<String>> {
    let (user, user_id_list) = users(c.version(), who);
    let p = c
        .request(Primitive::from(GetPresenceRequest {
            user,
            user_id_list,
            ..Default::default()
        }))
        .await?;
    match p {
        Primitive::GetPresenceResponse(r) => Ok(r.presence.iter().map(show_presence).collect()),
        other => {
            expect_ok(&other, "GetPresence")?;
            bail!("GetPresence: unexpected {}", other.name())
        }
    }
}

/// Every contact list with its members, as lines.
pub async fn show_lists(c: &mut Client) -> anyhow::Result<Vec<String>> {
    let p = c
        .request(Primitive::GetListRequest(GetListRequest {}))
        .await?;
    let (ids, default) = match p {
        Primitive::GetListResponse(r) => {
            let mut ids = r.contact_list;
            if let Some(l) = r.contact_list_id_list {
                ids.extend(l.contact_list);
            }
            (ids, r.default_contact_list)
        }
        other => {
            expect_ok(&other, "GetList")?;
            bail!("GetList: unexpected {}", other.name())
        }
    };
    let mut out = Vec::new();
    for id in ids {
        let p = c
            .request(Primitive::ListManageRequest(ListManageRequest {
                contact_list: id.clone(),
                receive_list: (c.version() >= CspVersion::V1_2).then_some(true),
                ..Default::default()
            }))
            .await?;
        let mark = if default.as_deref() == Some(id.as_str()) {
            " (default)"
        } else {
            ""
        };
        out.push(format!("{id}{mark}"));
        if let Primitive::ListManageResponse(r) = p {
            for n in r.nick_list.map(|n| n.nick_name).unwrap_or_default() {
                match n.name {
                    Some(name) => out.push(format!("  {} ({name})", n.user_id)),
                    None => out.push(format!("  {}", n.user_id)),
                }
            }
        }
    }
    Ok(out)
}

/// Creates a list.
pub async fn create_list(
    c: &mut Client,
    name: &str,
    display: Option<String>,
) -> anyhow::Result<()> {
    let props = display.map(|d| ContactListProperties {
        property: vec![Property {
            name: "DisplayName".into(),
            value: Some(d),
        }],
    });
    let p = c
        .request(Primitive::CreateListRequest(CreateListRequest {
            contact_list: name.to_owned(),
            nick_list: None,
            contact_list_properties: props,
        }))
        .await?;
    expect_ok(&p, "CreateList")
}

/// Deletes a list.
pub async fn delete_list(c: &mut Client, name: &str) -> anyhow::Result<()> {
    let p = c
        .request(Primitive::DeleteListRequest(DeleteListRequest {
            contact_list: name.to_owned(),
        }))
        .await?;
    expect_ok(&p, "DeleteList")
}

async fn list_manage(c: &mut Client, req: ListManageRequest) -> anyhow::Result<()> {
    let p = c.request(Primitive::ListManageRequest(req)).await?;
    match p {
        Primitive::ListManageResponse(r) if r.result.code.0 == 200 => Ok(()),
        Primitive::ListManageResponse(r) => {
            bail!(
                "ListManage: {}",
                describe(&r.result.code, r.result.description.as_deref())
            )
        }
        other => {
            expect_ok(&other, "ListManage")?;
            bail!("ListManage: unexpected {}", other.name())
        }
    }
}

/// Adds a user to a list.
pub async fn list_add(
    c: &mut Client,
    list: &str,
    user: &str,
    nick: Option<String>,
) -> anyhow::Result<()> {
    list_manage(
        c,
        ListManageRequest {
            contact_list: list.to_owned(),
            add_nick_list: Some(AddNickList {
                nick_name: vec![NickName {
                    name: nick,
                    user_id: user.to_owned(),
                }],
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await
}

/// Removes a user from a list.
pub async fn list_remove(c: &mut Client, list: &str, user: &str) -> anyhow::Result<()> {
    list_manage(
        c,
        ListManageRequest {
            contact_list: list.to_owned(),
            remove_nick_list: Some(RemoveNickList {
                user_id: vec![user.to_owned()],
            }),
            ..Default::default()
        },
    )
    .await
}

/// Blocks (or unblocks) a user, and turns the block list on.
pub async fn block(c: &mut Client, who: &str, on: bool) -> anyhow::Result<()> {
    let v13 = c.version() >= CspVersion::V1_3;
    let ids = vec![who.to_owned()];
    let list = BlockList {
        in_use: (!v13).then_some(true),
        add_list: on.then(|| AddList {
            user_id: ids.clone(),
            ..Default::default()
        }),
        remove_list: (!on).then(|| RemoveList {
            user_id: ids.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let p = c
        .request(Primitive::from(BlockEntityRequest {
            block_list: Some(list),
            block_list_in_use: v13.then_some(true),
            ..Default::default()
        }))
        .await?;
    expect_ok(&p, "BlockEntity")
}

/// The block and grant lists, as lines.
pub async fn blocked(c: &mut Client) -> anyhow::Result<Vec<String>> {
    let p = c
        .request(Primitive::GetBlockedListRequest(GetBlockedListRequest {}))
        .await?;
    let Primitive::GetBlockedListResponse(r) = p else {
        expect_ok(&p, "GetBlockedList")?;
        bail!("GetBlockedList: unexpected {}", p.name());
    };
    let mut out = Vec::new();
    let block_in_use = r
        .block_list_in_use
        .or(r.block_list.as_ref().and_then(|b| b.in_use))
        .unwrap_or(false);
    out.push(format!(
        "block list {}",
        if block_in_use { "on" } else { "off" }
    ));
    for id in r
        .block_list
        .and_then(|b| b.entity_list)
        .map(|e| e.user_id)
        .unwrap_or_default()
    {
        out.push(format!("  {id}"));
    }
    let grant_in_use = r
        .grant_list_in_use
        .or(r.grant_list.as_ref().and_then(|b| b.in_use))
        .unwrap_or(false);
    out.push(format!(
        "grant list {}",
        if grant_in_use { "on" } else { "off" }
    ));
    for id in r
        .grant_list
        .and_then(|b| b.entity_list)
        .map(|e| e.user_id)
        .unwrap_or_default()
    {
        out.push(format!("  {id}"));
    }
    Ok(out)
}
