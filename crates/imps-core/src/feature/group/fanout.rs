//! Messages to a group, or to one screen name in it: fanned out by the group's owner.

use super::*;

/// A message to the group, or to one screen name in it (private): a copy for each joined
/// user but the sender, shown as from the sender's screen name.
pub(super) fn fan_out(
    cx: &mut Cx<'_>,
    home: &str,
    group: &str,
    from: &Requester,
    (reply, index): (Option<OpRef>, usize),
    r: SendMessageRequest,
) -> Done {
    let refuse = |code: StatusCode| Done {
        answer: GroupResult::Fanout {
            copies: 0,
            message_id: String::new(),
            refused: Some(code),
        },
        joined: None,
    };
    let Some(g) = get(cx, home, group) else {
        return refuse(StatusCode::GROUP_DOES_NOT_EXIST);
    };
    let Some(me) = g.joined.get(&from.sid) else {
        return refuse(StatusCode::NOT_JOINED);
    };
    let target = r
        .message_info
        .recipient
        .as_ref()
        .and_then(|rc| rc.group.first())
        .and_then(|gr| gr.screen_name.as_ref())
        .map(|s| s.sname.clone());
    let private = target.is_some();
    if private && !g.flag("PrivateMessaging") {
        return refuse(StatusCode::PRIVATE_MESSAGING_DISABLED_GROUP);
    }
    let mut users: Vec<String> = Vec::new();
    match &target {
        Some(t) => match g.by_sname(t) {
            Some((_, j)) if j.no_private => {
                return refuse(StatusCode::PRIVATE_MESSAGING_DISABLED_USER);
            }
            Some((_, j)) => users.push(j.user.clone()),
            None => return refuse(StatusCode::UNKNOWN_USER),
        },
        None => {
            for j in g.joined.values() {
                if j.user != from.user && !users.contains(&j.user) {
                    users.push(j.user.clone());
                }
            }
        }
    }
    let sender = Sender {
        user: None,
        group: Some(Group {
            group_id: None,
            screen_name: Some(ScreenName {
                sname: me.sname.clone(),
                group_id: group.to_owned(),
            }),
        }),
    };
    let recipient = Recipient {
        group: vec![match &target {
            Some(t) => Group {
                group_id: None,
                screen_name: Some(ScreenName {
                    sname: t.clone(),
                    group_id: group.to_owned(),
                }),
            },
            None => Group {
                group_id: Some(group.to_owned()),
                screen_name: None,
            },
        }],
        ..Default::default()
    };
    let Some(reply) = reply else {
        return refuse(StatusCode::INTERNAL_ERROR);
    };
    let len = crate::feature::im::content_len(r.content_data.as_ref());
    if len.saturating_mul(users.len()) > cx.cfg.max_fanout_bytes || users.len() >= GROUP_SPAN {
        return refuse(StatusCode::BAD_PARAMETER);
    }
    let message_id = cx.st.rng.hex(12);
    // Every copy is the same message (the group is its recipient): encoded once, the copies
    // differ only in whose inbox they go to.
    let addressing = crate::feature::im::Addressing {
        sender,
        recipient,
        message_id: message_id.clone(),
    };
    let Some(first) = users.first() else {
        return Done {
            answer: GroupResult::Fanout {
                copies: 0,
                message_id,
                refused: None,
            },
            joined: None,
        };
    };
    let Some(template) = crate::feature::im::copy_addressed(
        cx,
        &from.user,
        first,
        &r.message_info,
        r.content_data.as_ref(),
        false,
        addressing,
    ) else {
        return refuse(StatusCode::INTERNAL_ERROR);
    };
    let content_type = crate::feature::im::content_type(&r.message_info);
    let copies = users.len();
    for (i, user) in users.into_iter().enumerate() {
        let mut stored = template.clone();
        stored.record.recipient = user;
        cx.route(Event::Deliver {
            op: reply,
            index: index + i + 1,
            content_type: content_type.clone(),
            len,
            stored: Box::new(stored),
        });
    }
    Done {
        answer: GroupResult::Fanout {
            copies,
            message_id,
            refused: None,
        },
        joined: None,
    }
}
