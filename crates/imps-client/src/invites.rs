//! The `imps invite` commands: send an invitation, list the ones waiting for you, accept or
//! reject one, cancel one you sent. Invitations wait on the server until answered, cancelled
//! or expired, so each command can run in a session of its own.

use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Subcommand;
use imps_csp::model::common::{Recipient, Sender, User};
use imps_csp::model::fundamental::{CancelInviteRequest, InviteRequest, InviteUserResponse};
use imps_csp::Primitive;

use crate::session::{expect_ok, Client};

/// `imps invite ...`.
#[derive(Subcommand, Debug)]
pub enum InviteOp {
    /// Invite users (to chat, to see your presence, to a group).
    Send {
        /// The invitation's id (yours to choose).
        id: String,
        /// The users invited.
        #[arg(required = true, value_name = "USER")]
        to: Vec<String>,
        /// IM (the default), PR (presence), GR (a group: give --group), SC (shared content).
        #[arg(long = "type", default_value = "IM")]
        kind: String,
        /// The group of a GR invitation.
        #[arg(long)]
        group: Option<String>,
        /// A note for the invitees.
        #[arg(long)]
        note: Option<String>,
        /// Seconds the invitation stays valid.
        #[arg(long)]
        validity: Option<u32>,
    },
    /// List the invitations waiting for your answer.
    List,
    /// Accept an invitation.
    Accept {
        /// Its id.
        id: String,
        /// Who sent it.
        #[arg(long = "from", value_name = "USER")]
        inviter: String,
        /// A note for the inviter.
        #[arg(long)]
        note: Option<String>,
    },
    /// Reject an invitation.
    Reject {
        /// Its id.
        id: String,
        /// Who sent it.
        #[arg(long = "from", value_name = "USER")]
        inviter: String,
        /// A note for the inviter.
        #[arg(long)]
        note: Option<String>,
    },
    /// Cancel an invitation you sent.
    Cancel {
        /// Its id.
        id: String,
        /// A note for the invitees.
        #[arg(long)]
        note: Option<String>,
    },
}

/// Runs one `imps invite` command; `out` gets the lines to print.
pub async fn run(c: &mut Client, op: InviteOp, mut out: impl FnMut(String)) -> anyhow::Result<()> {
    match op {
        InviteOp::Send {
            id,
            to,
            kind,
            group,
            note,
            validity,
        } => {
            let p = c
                .request(Primitive::from(InviteRequest {
                    invite_id: id.clone(),
                    invite_type: Some(kind),
                    recipient: Recipient {
                        user: to.iter().map(User::new).collect(),
                        ..Default::default()
                    },
                    group_id: group,
                    invite_note: note,
                    validity,
                    ..Default::default()
                }))
                .await?;
            expect_ok(&p, "Invite")?;
            out(format!("invited {} ({id})", to.join(", ")));
        }
        InviteOp::List => {
            // Waiting invitations come with the session's first polls.
            let until = Instant::now() + Duration::from_secs(2);
            let mut next = None;
            while Instant::now() < until {
                let r = match next.take() {
                    Some(r) => Some(r),
                    None => c.poll().await?,
                };
                let Some(r) = r else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                if let Primitive::InviteUserRequest(i) = &r.primitive {
                    let from = i
                        .sender
                        .as_ref()
                        .and_then(|s| s.user.as_ref())
                        .map_or("?", |u| u.user_id.as_str());
                    let mut line = format!(
                        "{} from {from} ({})",
                        i.invite_id,
                        i.invite_type.as_deref().unwrap_or("?")
                    );
                    if let Some(g) = &i.group_id {
                        line.push_str(&format!(" to {g}"));
                    }
                    if let Some(n) = &i.invite_note {
                        line.push_str(&format!(": {n}"));
                    }
                    if let Some(v) = i.validity {
                        line.push_str(&format!(" [{v} s left]"));
                    }
                    out(line);
                }
                next = c.acknowledge(&r).await?;
            }
        }
        InviteOp::Accept { id, inviter, note } => {
            respond(c, &id, &inviter, true, note).await?;
            out(format!("accepted {id}"));
        }
        InviteOp::Reject { id, inviter, note } => {
            respond(c, &id, &inviter, false, note).await?;
            out(format!("rejected {id}"));
        }
        InviteOp::Cancel { id, note } => {
            let p = c
                .request(Primitive::from(CancelInviteRequest {
                    invite_id: id.clone(),
                    invite_note: note,
                    ..Default::default()
                }))
                .await?;
            expect_ok(&p, "CancelInvite")?;
            out(format!("cancelled {id}"));
        }
    }
    Ok(())
}

async fn respond(
    c: &mut Client,
    id: &str,
    inviter: &str,
    yes: bool,
    note: Option<String>,
) -> anyhow::Result<()> {
    let v = c.version();
    let p = c
        .request(Primitive::from(InviteUserResponse {
            invite_id: id.to_owned(),
            acceptance: Some(yes),
            sender: (v >= imps_csp::CspVersion::V1_2).then(|| Sender {
                user: Some(User::new(inviter)),
                group: None,
            }),
            response_note: note,
            ..Default::default()
        }))
        .await?;
    if !matches!(&p, Primitive::Status(_)) {
        bail!("InviteUser-Response: unexpected answer {}", p.name());
    }
    expect_ok(&p, "InviteUser-Response")
}
