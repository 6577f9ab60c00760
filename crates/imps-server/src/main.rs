//! `impsd`: the IMPS server. `impsd` (or `impsd serve`) serves CSP over HTTP on
//! 127.0.0.1:8080 with data in ./impsd-data; `impsd user ...` administers accounts.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: the request path allocates many small short-lived objects from several threads;
/// glibc's malloc spent a fifth of the server's time at 5 000 messages/s (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use imps_server::{admin, Settings};

mod password;
use password::PasswordArgs;

#[derive(Parser)]
#[command(name = "impsd", version, about = "OMA IMPS (Wireless Village) server")]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory (default ./impsd-data).
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    /// Key file sealing the stored digest secrets (default DATA/secret.key).
    #[arg(long, global = true, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// Default domain for names without one (default localhost).
    #[arg(long, global = true)]
    domain: Option<String>,
    /// HTTP listen address (default 127.0.0.1:8080).
    #[arg(long, global = true)]
    http: Option<SocketAddr>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve CSP (the default).
    Serve,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// See and end the live sessions of the impsd running on this data directory.
    Session {
        #[command(subcommand)]
        action: SessionAction,
    },
    /// System messages to users' CSP 1.3 sessions, and their answers.
    Notice {
        #[command(subcommand)]
        action: NoticeAction,
    },
}

#[derive(Subcommand)]
enum NoticeAction {
    /// Send a system message to a user's live CSP 1.3 sessions.
    Send {
        /// The user.
        name: String,
        /// The text.
        text: String,
        /// Its SystemMessageID (the answers name it).
        #[arg(long)]
        id: String,
        /// An answer option, `ID:TEXT` (repeat for several).
        #[arg(long = "option", value_name = "ID:TEXT")]
        options: Vec<String>,
        /// The client must answer.
        #[arg(long)]
        requires_response: bool,
    },
    /// Show a user's answers to system messages.
    Answers {
        /// The user.
        name: String,
    },
}

#[derive(Subcommand)]
enum SessionAction {
    /// List the live sessions (of one user).
    List {
        /// Only this user's sessions.
        name: Option<String>,
    },
    /// End sessions: the client gets Disconnect 601 by CIR and on its next request.
    Kick {
        /// A user (every session of theirs), or a session: its handle from `session list`, or
        /// any unique prefix of at least 6 characters (as logs show it).
        target: String,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Add an account.
    Add {
        /// `alice`, `alice@domain` or `wv:alice@domain`.
        name: String,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Delete an account and everything it owns.
    Del {
        /// The account.
        name: String,
    },
    /// List the accounts.
    List,
    /// Add accounts PREFIX0 … PREFIX(COUNT-1) sharing one password (load tests).
    BulkAdd {
        /// Name prefix.
        prefix: String,
        /// How many.
        count: usize,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Disable an account: it cannot log in, its live sessions end (601); nothing it owns
    /// is deleted.
    Disable {
        /// The account.
        name: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// The account.
        name: String,
    },
    /// Change a password (live sessions end).
    Passwd {
        /// The account.
        name: String,
        #[command(flatten)]
        password: PasswordArgs,
    },
}

fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let mut s = match &cli.config {
        Some(path) => Settings::from_file(path)?,
        None => Settings::default(),
    };
    if let Some(d) = &cli.data {
        s.data = d.clone();
    }
    if let Some(k) = &cli.key_file {
        s.key_file = Some(k.clone());
    }
    if let Some(a) = cli.http {
        s.http = a;
    }
    if let Some(d) = &cli.domain {
        s.engine.default_domain = d.to_lowercase();
    }
    Ok(s)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("impsd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let s = settings(&cli)?;
    match cli.command {
        None | Some(Command::Serve) => serve(s),
        Some(Command::User { action }) => user(&s, action),
        Some(Command::Session { action }) => session(&s, action),
        Some(Command::Notice { action }) => notice(&s, action),
    }
}

fn user(s: &Settings, action: UserAction) -> anyhow::Result<()> {
    let changed = match action {
        UserAction::Add { name, password } => {
            let password = password.read(&format!("Password for {name}"))?;
            println!("added {}", admin::add(s, &name, &password)?);
            return Ok(());
        }
        UserAction::Del { name } => {
            let id = admin::delete(s, &name)?;
            println!("deleted {id}");
            id
        }
        UserAction::List => {
            for (id, disabled) in admin::list(s)? {
                if disabled {
                    println!("{id} (disabled)");
                } else {
                    println!("{id}");
                }
            }
            return Ok(());
        }
        UserAction::BulkAdd {
            prefix,
            count,
            password,
        } => {
            let password = password.read(&format!("Password for {prefix}*"))?;
            println!(
                "added {} accounts",
                admin::bulk_add(s, &prefix, count, &password)?
            );
            return Ok(());
        }
        UserAction::Disable { name } => {
            let id = admin::set_disabled(s, &name, true)?;
            println!("disabled {id}");
            id
        }
        UserAction::Enable { name } => {
            let id = admin::set_disabled(s, &name, false)?;
            println!("enabled {id}");
            id
        }
        UserAction::Passwd { name, password } => {
            let password = password.read(&format!("New password for {name}"))?;
            let id = admin::passwd(s, &name, &password)?;
            println!("changed the password of {id}");
            id
        }
    };
    // The running server applies the change now (it would within a second anyway).
    match admin::notify(s, &changed) {
        Ok(Some(ended)) if !ended.is_empty() => {
            println!("ended {} live session(s): {}", ended.len(), ended.join(" "))
        }
        Ok(_) => {}
        Err(e) => eprintln!("impsd: the running server will notice within a second ({e:#})"),
    }
    Ok(())
}

fn session(s: &Settings, action: SessionAction) -> anyhow::Result<()> {
    match action {
        SessionAction::List { name } => {
            let sessions = admin::sessions(s, name.as_deref())?;
            let now = imps_server::http::now();
            println!(
                "{:<12}  {:<30}  {:<3}  {:<15}  {:<20}  {:>6}  {:<6}  CLIENT",
                "SESSION", "USER", "CSP", "FROM", "LOGGED IN (UTC)", "IDLE", "CIR"
            );
            for i in &sessions {
                println!(
                    "{:<12}  {:<30}  {:<3}  {:<15}  {:<20}  {:>6}  {:<6}  {}",
                    i.handle(),
                    i.user,
                    i.version,
                    i.peer.map_or_else(|| "-".to_owned(), |p| p.to_string()),
                    when(i.started),
                    format!("{}s", now.saturating_sub(i.last_active)),
                    i.cir.as_deref().unwrap_or("-"),
                    i.client_id.as_deref().unwrap_or("-"),
                );
            }
            eprintln!("{} live session(s)", sessions.len());
        }
        SessionAction::Kick { target } => {
            let ended = admin::kick(s, &target)?;
            println!("ended {} session(s): {}", ended.len(), ended.join(" "));
        }
    }
    Ok(())
}

fn notice(s: &Settings, action: NoticeAction) -> anyhow::Result<()> {
    match action {
        NoticeAction::Send {
            name,
            text,
            id,
            options,
            requires_response,
        } => {
            let mut opts = Vec::new();
            for o in &options {
                let (n, t) = o
                    .split_once(':')
                    .and_then(|(n, t)| Some((n.trim().parse::<u32>().ok()?, t.trim())))
                    .ok_or_else(|| {
                        anyhow::anyhow!("an option is ID:TEXT with a number ID, not {o}")
                    })?;
                opts.push((n, t.to_owned()));
            }
            let request = imps_server::control::Request::Notice {
                user: name.clone(),
                id,
                text,
                options: opts,
                requires_response,
            };
            let n = admin::notice(s, &name, request)?;
            println!("sent to {n} session(s)");
        }
        NoticeAction::Answers { name } => {
            for a in admin::answers(s, &name)? {
                println!(
                    "{} {} {}{}",
                    when(a.at),
                    a.message_id,
                    a.chosen.map_or_else(|| "-".to_owned(), |c| c.to_string()),
                    a.key.map(|k| format!(" key={k}")).unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

/// `2026-12-04 00:40:05`, UTC.
fn when(secs: u64) -> String {
    let t = imps_csp::codec::DateTime::from_unix(secs);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

fn serve(s: Settings) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let data = s.data.clone();
        let running = imps_server::start(s).await?;
        let signal = imps_server::shutdown_signal();
        // Written, not println!: whoever reads the first line may close the pipe, and the
        // server must not die of it.
        let mut out = std::io::stdout();
        let _ = writeln!(
            out,
            "impsd listening on http://{} (data in {})",
            running.http_addr,
            data.display()
        );
        if let Some(a) = running.https_addr {
            let _ = writeln!(out, "impsd listening on https://{a}");
        }
        if let Some(a) = running.cir_tcp_addr {
            let _ = writeln!(out, "impsd standalone TCP CIR on {a}");
        }
        let _ = out.flush();
        running.run_until(signal).await;
        Ok(())
    })
}
