//! System messages (CSP 1.3, csp-reference.md §3.2) as a general mechanism: the operator (or a
//! feature: terms of use, verification) sends a SystemMessage-Request to a user's 1.3 sessions
//! ([`crate::Engine::system_message`]); the user's SystemMessage-User answers are kept durably
//! with the account (the last [`MAX_ANSWERS`]) for whoever asked ([`crate::Engine::system_answers`]).

use imps_csp::model::v13::{
    SystemMessage, SystemMessageList, SystemMessageRequest, SystemMessageUser,
};
use imps_csp::{CspVersion, Primitive, StatusCode};
use serde::{Deserialize, Serialize};

use crate::engine::{fail, status, Cx, Reply};
use crate::state::{About, Queued};
use crate::store::Write;

/// The kind of the document holding a user's answers to system messages.
pub(crate) const ANSWERS_DOCUMENT: &str = "system_answers";

/// Answers kept per user, at most (the oldest go first).
pub const MAX_ANSWERS: usize = 64;

/// One answer a user gave to a system message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemAnswer {
    /// The SystemMessageID answered.
    pub message_id: String,
    /// The AnswerOptionID chosen, if any.
    pub chosen: Option<u32>,
    /// The VerificationKey given, if any.
    pub key: Option<String>,
    /// When (seconds since the epoch).
    pub at: u64,
}

/// Queues `msg` to every CSP 1.3 session of `user` (the primitive does not exist before 1.3);
/// how many got it.
pub(crate) fn send(cx: &mut Cx<'_>, user: &str, msg: SystemMessage) -> usize {
    let sessions: Vec<String> = cx
        .sessions_of(user)
        .into_iter()
        .filter(|sid| {
            cx.st
                .sessions
                .get(sid)
                .is_some_and(|s| s.version >= CspVersion::V1_3)
        })
        .collect();
    let p = Primitive::from(SystemMessageRequest {
        system_message_list: SystemMessageList {
            system_message: vec![msg],
        },
    });
    for sid in &sessions {
        cx.queue(
            sid,
            Queued {
                primitive: Some(Box::new(p.clone())),
                about: About::Other,
            },
        );
    }
    sessions.len()
}

/// SystemMessage-User: the answers are kept (Status 200; 402 when it answers nothing).
pub(crate) fn answer(cx: &mut Cx<'_>, sid: &str, r: SystemMessageUser) -> Reply {
    let user = cx.user_of(sid);
    let now = cx.now;
    let given: Vec<SystemAnswer> = r
        .system_message_response_list
        .iter()
        .flat_map(|l| l.system_message_response.iter())
        .filter(|a| !a.system_message_id.trim().is_empty() && a.system_message_id.len() <= 128)
        .map(|a| SystemAnswer {
            message_id: a.system_message_id.clone(),
            chosen: a.chosen_option_id,
            key: a
                .verification_key
                .clone()
                .map(|k| k.chars().take(128).collect()),
            at: now,
        })
        .collect();
    if given.is_empty() {
        return fail(StatusCode::BAD_PARAMETER);
    }
    let Some(u) = cx.st.users.get_mut(&user) else {
        return fail(StatusCode::INVALID_SESSION);
    };
    for a in given {
        tracing::info!(user = %user, message = %a.message_id, chosen = ?a.chosen, "system message answered");
        u.system_answers.push(a);
    }
    let excess = u.system_answers.len().saturating_sub(MAX_ANSWERS);
    u.system_answers.drain(..excess);
    cx.writes.extend(Write::json_document(
        &user,
        ANSWERS_DOCUMENT,
        &u.system_answers,
    ));
    status(StatusCode::SUCCESS).into()
}
