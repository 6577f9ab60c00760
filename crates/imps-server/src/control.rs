//! The control socket: how `impsd session list|kick` and `impsd user disable|passwd|del` reach
//! a running impsd.
//!
//! A Unix socket, `<data>/control.sock` by default, mode 0600 in the 0700 data directory: only
//! the account that runs impsd (and root) can use it, as only they can read the database. One
//! request per connection: a line of JSON ([`Request`]) in, a line of JSON ([`Reply`]) out.
//!
//! It also keeps two servers off one data directory: a server that finds the socket answering
//! refuses to start.

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use imps_core::{KickTarget, SessionInfo};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;

use crate::App;

/// The longest request line the server reads.
const MAX_REQUEST: u64 = 64 * 1024;

/// How long one request may take to arrive, and the CLI waits for a reply.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What the CLI asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// The live sessions, of one user (a name as `impsd user` takes it) or of everyone.
    Sessions {
        /// The user, if only theirs.
        user: Option<String>,
    },
    /// End sessions with 601: a user's, or one session by SessionID (prefix).
    Kick {
        /// A user name, or a SessionID or a prefix of one.
        target: String,
    },
    /// Read an account from the store again now (after `impsd user disable|passwd|del`).
    Refresh {
        /// The normalised user id.
        user: String,
    },
    /// Send a system message to a user's CSP 1.3 sessions (`impsd notice send`).
    Notice {
        /// A user name.
        user: String,
        /// The SystemMessageID.
        id: String,
        /// The text.
        text: String,
        /// Answer options: (AnswerOptionID, text).
        options: Vec<(u32, String)>,
        /// Whether the client must answer.
        requires_response: bool,
    },
    /// A user's answers to system messages (`impsd notice answers`).
    Answers {
        /// A user name.
        user: String,
    },
}

/// What the server answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Reply {
    /// The live sessions asked for.
    Sessions {
        /// By user, then login time.
        sessions: Vec<SessionInfo>,
    },
    /// Sessions that ended (601), by handle (the first characters of their ids).
    Ended {
        /// Their handles.
        sessions: Vec<String>,
    },
    /// How many sessions a system message went to.
    Noticed {
        /// Live CSP 1.3 sessions of the user.
        sessions: usize,
    },
    /// A user's answers to system messages, oldest first.
    Answers {
        /// The answers.
        answers: Vec<imps_core::SystemAnswer>,
    },
    /// The request could not be carried out.
    Error {
        /// Why.
        message: String,
    },
}

/// Whether a control call reached a server.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No server listens on the socket (none runs on this data directory).
    #[error("impsd is not running on this data directory (nothing answers on {0})")]
    NotRunning(PathBuf),
    /// The socket is there but the exchange failed.
    #[error("control socket {0}: {1}")]
    Failed(PathBuf, String),
}

/// Sends one request to the server listening on `path` and waits (up to 10 s) for its reply.
pub fn call(path: &Path, request: &Request) -> Result<Reply, CallError> {
    let failed = |e: &dyn std::fmt::Display| CallError::Failed(path.to_owned(), e.to_string());
    let mut stream = match std::os::unix::net::UnixStream::connect(path) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Err(CallError::NotRunning(path.to_owned()))
        }
        Err(e) => return Err(failed(&e)),
    };
    stream
        .set_read_timeout(Some(TIMEOUT))
        .map_err(|e| failed(&e))?;
    stream
        .set_write_timeout(Some(TIMEOUT))
        .map_err(|e| failed(&e))?;
    let mut line = serde_json::to_vec(request).map_err(|e| failed(&e))?;
    line.push(b'\n');
    stream.write_all(&line).map_err(|e| failed(&e))?;
    let mut answer = String::new();
    BufReader::new(stream)
        .read_line(&mut answer)
        .map_err(|e| failed(&e))?;
    serde_json::from_str(&answer).map_err(|e| failed(&e))
}

/// Binds the control socket at `path` (mode 0600). Fails if another server answers on it; a
/// socket left by a server that died is replaced. A socket that cannot be bound (a path too
/// long for a Unix socket, a read-only directory) is logged and left out: impsd serves
/// without it (`impsd session ...` then says it cannot reach the server).
pub fn bind(path: &Path) -> anyhow::Result<Option<UnixListener>> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            bail!(
                "{} exists and is not a socket: move it away, or set [server] control_socket",
                path.display()
            );
        }
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            bail!(
                "another impsd is running on this data directory (its control socket {} \
                 answers); two servers on one database would lose messages",
                path.display()
            );
        }
        std::fs::remove_file(path)
            .with_context(|| format!("removing the stale control socket {}", path.display()))?;
    }
    let listener = match UnixListener::bind(path) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(
                path = %path.display(),
                error = %e,
                "no control socket: `impsd session ...` cannot reach this server (set [server] \
                 control_socket to a shorter or writable path)"
            );
            return Ok(None);
        }
    };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("restricting the control socket {}", path.display()))?;
    Ok(Some(listener))
}

/// Serves the control socket until `stopped`, then removes it.
pub(crate) async fn serve(
    listener: UnixListener,
    path: PathBuf,
    app: Arc<App>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let stream = tokio::select! {
            _ = stopped.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "control socket: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let app = app.clone();
        tokio::spawn(async move {
            if let Err(e) = tokio::time::timeout(TIMEOUT, exchange(stream, &app)).await {
                tracing::warn!(error = %e, "control socket: a request timed out");
            }
        });
    }
    let _ = std::fs::remove_file(&path);
}

async fn exchange(stream: UnixStream, app: &App) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let read = tokio::io::BufReader::new(read.take(MAX_REQUEST))
        .read_line(&mut line)
        .await;
    let reply = match read {
        Err(e) => Reply::Error {
            message: format!("reading the request: {e}"),
        },
        Ok(_) => match serde_json::from_str::<Request>(&line) {
            Ok(request) => handle(request, app).await,
            Err(e) => Reply::Error {
                message: format!("not a control request: {e}"),
            },
        },
    };
    if let Ok(mut out) = serde_json::to_vec(&reply) {
        out.push(b'\n');
        let _ = write.write_all(&out).await;
    }
}

async fn handle(request: Request, app: &App) -> Reply {
    let now = crate::http::now();
    match request {
        Request::Sessions { user } => {
            let user = match user {
                None => None,
                Some(name) => match app.engine.normalise(&name) {
                    Some(id) => Some(id),
                    None => {
                        return Reply::Error {
                            message: format!("{name:?} is not a user name"),
                        }
                    }
                },
            };
            let mut sessions = app.engine.sessions(user.as_deref());
            for s in &mut sessions {
                s.cir = app.cir.state(&s.id).map(str::to_owned);
            }
            Reply::Sessions { sessions }
        }
        Request::Kick { target } => {
            let user = app.engine.normalise(&target);
            match app.engine.kick_target(&target, user.as_deref()) {
                Ok(t) => {
                    let who = match &t {
                        KickTarget::User(u) => u.clone(),
                        KickTarget::Session(s) => imps_core::redact(s).to_string(),
                    };
                    tracing::warn!(target = %who, "the operator ends sessions (impsd session kick)");
                    ended(app, app.engine.kick(&t, now)).await
                }
                Err(e) => Reply::Error {
                    message: e.to_string(),
                },
            }
        }
        Request::Notice {
            user,
            id,
            text,
            options,
            requires_response,
        } => {
            let Some(user) = app.engine.normalise(&user) else {
                return Reply::Error {
                    message: format!("{user:?} is not a user name"),
                };
            };
            use imps_csp::model::v13::{AnswerOption, AnswerOptions, SystemMessage};
            let msg = SystemMessage {
                system_message_id: id,
                requires_response: Some(requires_response),
                system_message_text: Some(text),
                answer_options: (!options.is_empty()).then(|| AnswerOptions {
                    answer_options_text: None,
                    answer_option: options
                        .into_iter()
                        .map(|(id, text)| AnswerOption {
                            answer_option_id: id,
                            answer_option_text: Some(text),
                        })
                        .collect(),
                }),
                verification_mechanism: None,
            };
            let engine = app.engine.clone();
            let user2 = user.clone();
            match tokio::task::spawn_blocking(move || engine.system_message(&user2, msg, now)).await
            {
                Ok(Some((n, mut outcome))) => {
                    if let Err(e) = app.settle(&mut outcome).await {
                        tracing::error!(error = %e, "commit after a system message failed");
                    }
                    app.wake(outcome.wakes, outcome.ended);
                    tracing::info!(user = %user, sessions = n, "system message sent");
                    Reply::Noticed { sessions: n }
                }
                Ok(None) => Reply::Error {
                    message: format!("{user} does not exist"),
                },
                Err(e) => Reply::Error {
                    message: e.to_string(),
                },
            }
        }
        Request::Answers { user } => {
            let Some(user) = app.engine.normalise(&user) else {
                return Reply::Error {
                    message: format!("{user:?} is not a user name"),
                };
            };
            let engine = app.engine.clone();
            let id = user.clone();
            match tokio::task::spawn_blocking(move || engine.system_answers(&id, now)).await {
                Ok(Some(answers)) => Reply::Answers { answers },
                Ok(None) => Reply::Error {
                    message: format!("{user} does not exist"),
                },
                Err(e) => Reply::Error {
                    message: e.to_string(),
                },
            }
        }
        Request::Refresh { user } => {
            let store = app.store.clone();
            let id = user.clone();
            match tokio::task::spawn_blocking(move || store.user(&id)).await {
                Ok(Ok(record)) => ended(app, app.engine.refresh_user(&user, record, now)).await,
                Ok(Err(e)) => Reply::Error {
                    message: e.to_string(),
                },
                Err(e) => Reply::Error {
                    message: e.to_string(),
                },
            }
        }
    }
}

/// Commits and delivers what ending sessions caused; the reply lists them.
async fn ended(app: &App, mut outcome: imps_core::Outcome) -> Reply {
    let handles = outcome
        .ended
        .iter()
        .map(|s| {
            s.get(..imps_core::operator::HANDLE_LEN)
                .unwrap_or(s)
                .to_owned()
        })
        .collect();
    if let Err(e) = app.settle(&mut outcome).await {
        tracing::error!(error = %e, "commit after ending sessions failed");
    }
    app.wake(outcome.wakes, outcome.ended);
    Reply::Ended { sessions: handles }
}
