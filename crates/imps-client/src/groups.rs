//! The `imps group` commands: create, join (and stay to listen), say, chat (interactive:
//! lines typed are said, `/to NAME text` whispers, `/leave` leaves), members, props, delete,
//! kick and unban. Joining a group lasts as long as the session: every command logs in, does
//! its work and logs out, which leaves the groups it joined.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use clap::Subcommand;
use imps_csp::codec::ContentData;
use imps_csp::model::common::{Group, Recipient, ScreenName, User, UserList};
use imps_csp::model::group::{
    AddGroupMembersRequest, CreateGroupRequest, DeleteGroupRequest, GetGroupMembersRequest,
    GetGroupPropsRequest, GroupProperties, JoinGroupRequest, LeaveGroupRequest, RejectListRequest,
    RemoveGroupMembersRequest, SetGroupPropsRequest, UserIdList,
};
use imps_csp::model::im::{AddList, MessageInfo, RemoveList, SendMessageRequest};
use imps_csp::{CspVersion, Primitive};

use crate::session::{expect_ok, show, Client};

/// `imps group ...`.
#[derive(Subcommand, Debug)]
pub enum GroupOp {
    /// Create a group `wv:<you>/<NAME>@<domain>`.
    Create {
        /// Its name (or a whole group id).
        name: String,
        /// Topic.
        #[arg(long)]
        topic: Option<String>,
        /// Only members may join.
        #[arg(long)]
        restricted: bool,
        /// Allow private messages between screen names.
        #[arg(long)]
        private_messaging: bool,
        /// Welcome note.
        #[arg(long)]
        welcome: Option<String>,
    },
    /// Join a group and print what happens in it until --count items or --seconds passed,
    /// then leave.
    Join {
        /// The group (`wv:alice/chess@domain`, or `alice/chess`).
        group: String,
        /// Screen name.
        #[arg(long)]
        name: Option<String>,
        /// Stop after this many items.
        #[arg(long)]
        count: Option<usize>,
        /// Stop after this many seconds.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
    /// Join a group, say something in it, leave.
    Say {
        /// The group.
        group: String,
        /// The text.
        text: String,
        /// Screen name.
        #[arg(long)]
        name: Option<String>,
        /// Say it only to this screen name (private message).
        #[arg(long)]
        to: Option<String>,
    },
    /// Join a group and talk: each line read is said (`/to NAME text` whispers, `/leave`
    /// leaves); what others say is printed. At the end of input, listens --seconds more.
    Chat {
        /// The group.
        group: String,
        /// Screen name.
        #[arg(long)]
        name: Option<String>,
        /// Seconds to keep listening after the end of input.
        #[arg(long, default_value_t = 2)]
        seconds: u64,
    },
    /// Show a group's members by privilege level (administrators and moderators), or change
    /// them.
    Members {
        /// The group.
        group: String,
        /// Make these users members.
        #[arg(long)]
        add: Vec<String>,
        /// Remove these members.
        #[arg(long)]
        remove: Vec<String>,
    },
    /// Show a group's properties, or set some (`--set Topic=chess`).
    Props {
        /// The group.
        group: String,
        /// NAME=VALUE: a property of the group (its administrators).
        #[arg(long)]
        set: Vec<String>,
        /// NAME=VALUE: one of your own properties in the group (AutoJoin=T: a group you join
        /// at login; PrivateMessaging=F: no private messages to you there).
        #[arg(long)]
        own: Vec<String>,
    },
    /// Delete a group (its administrators).
    Delete {
        /// The group.
        group: String,
    },
    /// Ban a user from a group: its sessions are made to leave and it cannot join again.
    Kick {
        /// The group.
        group: String,
        /// The user.
        #[arg(value_name = "USER")]
        who: String,
    },
    /// Lift a ban.
    Unban {
        /// The group.
        group: String,
        /// The user.
        #[arg(value_name = "USER")]
        who: String,
    },
}

/// The group id `name` means for user `me`: a whole id as it is (`wv:` added), `owner/name`
/// in `me`'s domain, a bare name under `me`.
pub fn group_id(me: &str, name: &str) -> String {
    let me = me.strip_prefix("wv:").unwrap_or(me);
    let domain = me.split_once('@').map(|(_, d)| format!("@{d}"));
    let name = name.strip_prefix("wv:").unwrap_or(name);
    if name.contains('/') {
        let at = if name.contains('@') {
            String::new()
        } else {
            domain.unwrap_or_default()
        };
        return format!("wv:{name}{at}");
    }
    let user = me.split('@').next().unwrap_or(me);
    format!("wv:{user}/{name}{}", domain.unwrap_or_default())
}

/// Runs one `imps group` command as `me`; `out` gets the lines to print.
pub async fn run(
    c: &mut Client,
    me: &str,
    op: GroupOp,
    mut out: impl FnMut(String),
) -> anyhow::Result<()> {
    match op {
        GroupOp::Create {
            name,
            topic,
            restricted,
            private_messaging,
            welcome,
        } => {
            let id = group_id(me, &name);
            let mut props = GroupProperties::default();
            if let Some(t) = topic {
                props.set("Topic", t);
            }
            if restricted {
                props.set("Accesstype", "Restricted");
            }
            if private_messaging {
                props.set("PrivateMessaging", "T");
            }
            props.welcome_note = welcome.map(imps_csp::model::group::WelcomeNote::text);
            let p = c
                .request(Primitive::from(CreateGroupRequest {
                    group_id: id.clone(),
                    group_properties: props,
                    join_group: Some(false),
                    subscribe_notification: Some(false),
                    ..Default::default()
                }))
                .await?;
            expect_ok(&p, "CreateGroup")?;
            out(format!("created {id}"));
        }
        GroupOp::Join {
            group,
            name,
            count,
            seconds,
        } => {
            let id = group_id(me, &group);
            join(c, &id, name, &mut out).await?;
            let limit = Duration::from_secs(seconds);
            crate::commands::listen(c, count, Some(limit), &mut out).await?;
            leave(c, &id, &mut out).await?;
        }
        GroupOp::Say {
            group,
            text,
            name,
            to,
        } => {
            let id = group_id(me, &group);
            join(c, &id, name, &mut |_| {}).await?;
            say(c, &id, to.as_deref(), &text).await?;
            out(format!("said in {id}"));
            leave(c, &id, &mut |_| {}).await?;
        }
        GroupOp::Chat {
            group,
            name,
            seconds,
        } => chat(c, &group_id(me, &group), name, seconds, &mut out).await?,
        GroupOp::Members { group, add, remove } => {
            let id = group_id(me, &group);
            let v = c.version();
            for (users, adding) in [(add, true), (remove, false)] {
                if users.is_empty() {
                    continue;
                }
                let p = c.request(members_change(v, &id, &users, adding)).await?;
                expect_ok(
                    &p,
                    if adding {
                        "AddGroupMembers"
                    } else {
                        "RemoveGroupMembers"
                    },
                )?;
            }
            let p = c
                .request(Primitive::from(GetGroupMembersRequest { group_id: id }))
                .await?;
            let Primitive::GetGroupMembersResponse(r) = p else {
                expect_ok(&p, "GetGroupMembers")?;
                bail!("GetGroupMembers: unexpected answer {}", p.name());
            };
            let users = r.user_list.or(r.users.map(|u| u.user_list));
            for (level, list) in [
                ("admin", r.admin.map(|a| a.user_list)),
                ("mod", r.moderator.map(|m| m.user_list)),
                ("user", users),
            ] {
                for u in list.map(|l| l.user).unwrap_or_default() {
                    out(format!("{level} {}", u.user_id));
                }
            }
        }
        GroupOp::Props { group, set, own } => {
            let id = group_id(me, &group);
            let pairs = |list: &[String], flag: &str| -> anyhow::Result<Vec<(String, String)>> {
                list.iter()
                    .map(|s| {
                        s.split_once('=')
                            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                            .ok_or_else(|| anyhow!("--{flag} wants NAME=VALUE, not {s}"))
                    })
                    .collect()
            };
            let (set, own) = (pairs(&set, "set")?, pairs(&own, "own")?);
            if !set.is_empty() || !own.is_empty() {
                let mut props = GroupProperties::default();
                for (k, v) in &set {
                    props.set(k.as_str(), v.as_str());
                }
                let mut mine = imps_csp::model::group::OwnProperties::default();
                for (k, v) in &own {
                    mine.set(k.as_str(), v.as_str());
                }
                let p = c
                    .request(Primitive::from(SetGroupPropsRequest {
                        group_id: id.clone(),
                        group_properties: (!set.is_empty()).then_some(props),
                        own_properties: (!own.is_empty()).then_some(mine),
                    }))
                    .await?;
                expect_ok(&p, "SetGroupProps")?;
            }
            let p = c
                .request(Primitive::from(GetGroupPropsRequest { group_id: id }))
                .await?;
            let Primitive::GetGroupPropsResponse(r) = p else {
                expect_ok(&p, "GetGroupProps")?;
                bail!("GetGroupProps: unexpected answer {}", p.name());
            };
            let props = r.group_properties.unwrap_or_default();
            for prop in &props.properties {
                out(format!(
                    "{}={}",
                    prop.name,
                    prop.value.as_deref().unwrap_or("")
                ));
            }
            if let Some(ContentData::Text(t)) = props.welcome_note.map(|n| n.content_data) {
                out(format!("welcome: {t}"));
            }
            for prop in r.own_properties.map(|o| o.properties).unwrap_or_default() {
                out(format!(
                    "own {}={}",
                    prop.name,
                    prop.value.unwrap_or_default()
                ));
            }
        }
        GroupOp::Delete { group } => {
            let id = group_id(me, &group);
            let p = c
                .request(Primitive::from(DeleteGroupRequest {
                    group_id: id.clone(),
                }))
                .await?;
            expect_ok(&p, "DeleteGroup")?;
            out(format!("deleted {id}"));
        }
        GroupOp::Kick { group, who } => {
            let id = group_id(me, &group);
            reject(c, &id, &who, true).await?;
            out(format!("banned {who} from {id}"));
        }
        GroupOp::Unban { group, who } => {
            let id = group_id(me, &group);
            reject(c, &id, &who, false).await?;
            out(format!("unbanned {who} in {id}"));
        }
    }
    Ok(())
}

async fn reject(c: &mut Client, id: &str, user: &str, ban: bool) -> anyhow::Result<()> {
    let list = vec![user.to_owned()];
    let p = c
        .request(Primitive::from(RejectListRequest {
            group_id: id.to_owned(),
            add_list: ban.then(|| AddList {
                user_id: list.clone(),
                ..Default::default()
            }),
            remove_list: (!ban).then(|| RemoveList {
                user_id: list,
                ..Default::default()
            }),
        }))
        .await?;
    match p {
        Primitive::RejectListResponse(_) => Ok(()),
        other => {
            expect_ok(&other, "RejectList")?;
            bail!("RejectList: unexpected answer {}", other.name())
        }
    }
}

/// AddGroupMembers / RemoveGroupMembers in the version's shape (1.3: `UserIDList`).
fn members_change(v: CspVersion, id: &str, users: &[String], add: bool) -> Primitive {
    let (user_list, user_id_list) = if v >= CspVersion::V1_3 {
        (
            None,
            Some(UserIdList {
                user_id: users.to_vec(),
            }),
        )
    } else {
        (
            Some(UserList {
                user: users.iter().map(User::new).collect(),
                screen_name: Vec::new(),
            }),
            None,
        )
    };
    let group_id = id.to_owned();
    if add {
        Primitive::from(AddGroupMembersRequest {
            group_id,
            user_list,
            user_id_list,
        })
    } else {
        Primitive::from(RemoveGroupMembersRequest {
            group_id,
            user_list,
            user_id_list,
        })
    }
}

/// Joins `id` (notices on); prints who is there and the welcome note.
pub async fn join(
    c: &mut Client,
    id: &str,
    name: Option<String>,
    out: &mut impl FnMut(String),
) -> anyhow::Result<()> {
    let p = c
        .request(Primitive::from(JoinGroupRequest {
            group_id: id.to_owned(),
            screen_name: name.map(|n| ScreenName {
                sname: n,
                group_id: id.to_owned(),
            }),
            joined_request: Some(true),
            subscribe_notification: Some(true),
            own_properties: None,
        }))
        .await?;
    let Primitive::JoinGroupResponse(r) = p else {
        expect_ok(&p, "JoinGroup")?;
        bail!("JoinGroup: unexpected answer {}", p.name());
    };
    let mut names: Vec<String> = match r.joined_users() {
        Some(m) => m.mappings().iter().map(|m| m.sname.clone()).collect(),
        None => r
            .user_list
            .as_ref()
            .map(|l| l.screen_name.iter().map(|s| s.sname.clone()).collect())
            .unwrap_or_default(),
    };
    names.sort();
    out(format!("joined {id}: {}", names.join(", ")));
    if let Some(ContentData::Text(t)) = r.welcome_note.map(|n| n.content_data) {
        out(format!("welcome: {t}"));
    }
    Ok(())
}

async fn leave(c: &mut Client, id: &str, out: &mut impl FnMut(String)) -> anyhow::Result<()> {
    let p = c
        .request(Primitive::from(LeaveGroupRequest {
            group_id: id.to_owned(),
        }))
        .await?;
    expect_ok(&p, "LeaveGroup")?;
    out(format!("left {id}"));
    Ok(())
}

/// Says `text` in group `id`, or only to screen name `to`.
pub async fn say(c: &mut Client, id: &str, to: Option<&str>, text: &str) -> anyhow::Result<()> {
    let group = match to {
        None => Group {
            group_id: Some(id.to_owned()),
            screen_name: None,
        },
        Some(s) => Group {
            group_id: None,
            screen_name: Some(ScreenName {
                sname: s.to_owned(),
                group_id: id.to_owned(),
            }),
        },
    };
    let p = c
        .request(Primitive::SendMessageRequest(SendMessageRequest {
            delivery_report: Some(false),
            message_info: MessageInfo {
                content_type: Some("text/plain".into()),
                recipient: Some(Recipient {
                    group: vec![group],
                    ..Default::default()
                }),
                ..Default::default()
            },
            content_data: Some(ContentData::Text(text.to_owned())),
        }))
        .await?;
    expect_ok(&p, "SendMessage")
}

/// `imps group chat`: stdin lines in, the group's traffic out.
async fn chat(
    c: &mut Client,
    id: &str,
    name: Option<String>,
    seconds: u64,
    out: &mut impl FnMut(String),
) -> anyhow::Result<()> {
    use tokio::io::AsyncBufReadExt as _;
    join(c, id, name, out).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(16);
    tokio::spawn(async move {
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if tx.send(line).await.is_err() {
                break;
            }
        }
    });
    let mut input_done: Option<Instant> = None;
    loop {
        if input_done.is_some_and(|t| t.elapsed() >= Duration::from_secs(seconds)) {
            break;
        }
        // What came in first, then what was typed.
        while let Some(r) = c.poll().await? {
            out(show(&r.primitive));
            let gone = matches!(&r.primitive, Primitive::LeaveGroupResponse(l) if l.group_id.as_deref() == Some(id));
            if let Some(next) = c.acknowledge(&r).await? {
                c.push_pending(next);
            }
            if gone {
                return Ok(());
            }
        }
        let line = if input_done.is_some() {
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        } else {
            match tokio::time::timeout(Duration::from_millis(250), rx.recv()).await {
                Err(_) => continue,
                Ok(None) => {
                    input_done = Some(Instant::now());
                    continue;
                }
                Ok(Some(line)) => line,
            }
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line == "/leave" {
            break;
        }
        let said = match line.strip_prefix("/to ") {
            Some(rest) => match rest.split_once(' ') {
                Some((to, text)) => say(c, id, Some(to), text).await,
                None => Err(anyhow!("/to NAME text")),
            },
            None => say(c, id, None, line).await,
        };
        // A refusal (a private message the group does not allow, a name nobody has) is
        // shown; the chat goes on.
        if let Err(e) = said {
            out(format!("not said: {e:#}"));
        }
    }
    leave(c, id, out).await
}

#[cfg(test)]
mod tests {
    use super::group_id;

    #[test]
    fn group_ids_from_what_people_type() {
        assert_eq!(group_id("alice", "chess"), "wv:alice/chess");
        assert_eq!(group_id("alice@x.org", "chess"), "wv:alice/chess@x.org");
        assert_eq!(group_id("wv:alice@x.org", "bob/go"), "wv:bob/go@x.org");
        assert_eq!(group_id("alice", "wv:bob/go@y"), "wv:bob/go@y");
    }
}
