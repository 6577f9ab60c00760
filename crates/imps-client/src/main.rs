//! `imps`: the IMPS command-line client. `imps --server URL --user U <command>` (the password
//! from `--password-file FILE`, `IMPS_PASSWORD` or a prompt; `--password P` still works) logs in and acts as a user (send, listen, presence, lists, block); `imps wbxml
//! decode|encode` converts one CSP document between XML and WBXML; `imps bench` is the load
//! generator.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, bail};
use clap::{Parser, Subcommand, ValueEnum};

/// mimalloc: `imps bench` runs thousands of sessions from a few threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use imps_client::commands;
use imps_client::{Client, ClientConfig};
use imps_csp::{CspVersion, Encoding};

mod password;

#[derive(Parser)]
#[command(
    name = "imps",
    version,
    about = "OMA IMPS (Wireless Village) client and tools"
)]
struct Cli {
    /// The server's CSP URL.
    #[arg(long, global = true, default_value = "http://127.0.0.1:8080/")]
    server: String,
    /// User to log in as.
    #[arg(long, global = true)]
    user: Option<String>,
    #[command(flatten)]
    password: password::PasswordArgs,
    /// CSP version.
    #[arg(long, global = true, value_enum, default_value = "1.2")]
    csp: Csp,
    /// Speak WBXML instead of XML.
    #[arg(long, global = true)]
    wbxml: bool,
    /// Use the 4-way (digest) login.
    #[arg(long, global = true)]
    digest: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Csp {
    #[value(name = "1.1")]
    V11,
    #[value(name = "1.2")]
    V12,
    #[value(name = "1.3")]
    V13,
}

#[derive(Subcommand)]
enum Command {
    /// Convert one CSP document between XML and WBXML.
    Wbxml {
        #[command(subcommand)]
        op: WbxmlOp,
    },
    /// Log in, negotiate, print the session id, log out.
    Login,
    /// Send a text message.
    Send {
        /// Recipient (`bob`, `bob@domain`, `wv:bob@domain`).
        to: String,
        /// The text.
        text: String,
    },
    /// Stay logged in and print what arrives (messages, presence), acknowledging it.
    Listen {
        /// Stop after this many items.
        #[arg(long)]
        count: Option<usize>,
        /// Stop after this many seconds.
        #[arg(long)]
        seconds: Option<u64>,
        /// Subscribe to the presence of these users first.
        #[arg(long = "watch")]
        watch: Vec<String>,
    },
    /// Presence.
    Presence {
        #[command(subcommand)]
        op: PresenceOp,
    },
    /// Contact lists: show them all, or manage one.
    Lists {
        #[command(subcommand)]
        op: Option<ListOp>,
    },
    /// Block a user (messages and presence).
    Block {
        /// The user.
        who: String,
    },
    /// Unblock a user.
    Unblock {
        /// The user.
        who: String,
    },
    /// Show the block and grant lists.
    Blocked,
    /// Public profiles (CSP 1.3): show, publish.
    Profile {
        #[command(subcommand)]
        op: imps_client::profiles::ProfileOp,
    },
    /// Search users (by public profile) or groups: `imps search USER_CITY=Helsinki`.
    Search {
        /// ELEMENT=TEXT criteria (all must hold): USER_ID, USER_FRIENDLY_NAME, USER_CITY,
        /// USER_COUNTRY, USER_AGE_MIN, ..., GROUP_NAME, GROUP_TOPIC, GROUP_USER_ID_OWNER.
        #[arg(required = true)]
        criteria: Vec<String>,
    },
    /// Invitations: send, list, accept, reject, cancel.
    Invite {
        #[command(subcommand)]
        op: imps_client::invites::InviteOp,
    },
    /// Groups: create, join, say, chat, members, props, delete, kick, unban.
    Group {
        #[command(subcommand)]
        op: imps_client::groups::GroupOp,
    },
    /// Load generator: N users log in, subscribe, exchange messages, update presence
    /// (`imps bench idle`: idle HTTP and TCP CIR connections).
    Bench(Box<imps_client::bench::BenchArgs>),
}

#[derive(Subcommand)]
enum PresenceOp {
    /// Publish presence.
    Set {
        /// AVAILABLE, NOT_AVAILABLE or DISCREET.
        #[arg(long)]
        availability: Option<String>,
        /// Status text.
        #[arg(long)]
        status: Option<String>,
        /// Mood.
        #[arg(long)]
        mood: Option<String>,
    },
    /// Show users' presence.
    Get {
        /// The users.
        users: Vec<String>,
    },
}

#[derive(Subcommand)]
enum ListOp {
    /// Create a list.
    Create {
        /// List name.
        name: String,
        /// Display name.
        #[arg(long)]
        display: Option<String>,
    },
    /// Delete a list.
    Delete {
        /// List name.
        name: String,
    },
    /// Add a user to a list.
    Add {
        /// List name.
        list: String,
        /// The user to add.
        #[arg(value_name = "USER")]
        member: String,
        /// Nickname.
        #[arg(long)]
        nick: Option<String>,
    },
    /// Remove a user from a list.
    Remove {
        /// List name.
        list: String,
        /// The user to remove.
        #[arg(value_name = "USER")]
        member: String,
    },
}

#[derive(Subcommand)]
enum WbxmlOp {
    /// Read a WBXML CSP document on stdin and write it as XML on stdout.
    Decode,
    /// Read an XML CSP document on stdin and write it as WBXML on stdout.
    Encode,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("imps: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Wbxml { op } = &cli.command {
        let mut input = Vec::new();
        std::io::stdin().read_to_end(&mut input)?;
        let output = match op {
            WbxmlOp::Decode => imps_client::codec::wbxml_to_xml(&input)?.into_bytes(),
            WbxmlOp::Encode => imps_client::codec::xml_to_wbxml(&input)?,
        };
        let mut out = std::io::stdout().lock();
        out.write_all(&output)?;
        out.flush()?;
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(session(cli))
}

async fn session(cli: Cli) -> anyhow::Result<()> {
    let mut cfg = ClientConfig::new(cli.server.clone());
    cfg.version = match cli.csp {
        Csp::V11 => CspVersion::V1_1,
        Csp::V12 => CspVersion::V1_2,
        Csp::V13 => CspVersion::V1_3,
    };
    cfg.encoding = if cli.wbxml {
        Encoding::Wbxml
    } else {
        Encoding::Xml
    };
    cfg.digest = cli.digest;
    if let Command::Bench(mut args) = cli.command {
        return match args.mode.take() {
            Some(imps_client::bench::BenchMode::Idle(idle)) => {
                imps_client::bench_idle::run(cfg, idle).await
            }
            None => imps_client::bench::run(cfg, *args).await,
        };
    }
    let user = cli.user.ok_or_else(|| anyhow!("--user is needed"))?;
    let password = cli.password.read(&format!("Password for {user}"))?;
    let mut c = Client::new(cfg)?;
    let sid = c.login(&user, &password).await?;
    c.negotiate().await?;
    let out = match cli.command {
        Command::Login => {
            println!("logged in as {user}: session {sid}");
            Ok(())
        }
        Command::Send { to, text } => {
            let id = c.send_text(&[&to], &text).await?;
            println!("sent {id}");
            Ok(())
        }
        Command::Listen {
            count,
            seconds,
            watch,
        } => {
            if !watch.is_empty() {
                commands::subscribe(&mut c, &watch).await?;
            }
            commands::listen(&mut c, count, seconds.map(Duration::from_secs), |line| {
                println!("{line}");
                let _ = std::io::stdout().flush();
            })
            .await
        }
        Command::Presence { op } => match op {
            PresenceOp::Set {
                availability,
                status,
                mood,
            } => {
                commands::set_presence(&mut c, availability, status, mood).await?;
                println!("presence updated");
                Ok(())
            }
            PresenceOp::Get { users } => {
                let users = if users.is_empty() {
                    vec![user.clone()]
                } else {
                    users
                };
                for line in commands::get_presence(&mut c, &users).await? {
                    println!("{line}");
                }
                Ok(())
            }
        },
        Command::Lists { op } => match op {
            None => {
                for line in commands::show_lists(&mut c).await? {
                    println!("{line}");
                }
                Ok(())
            }
            Some(ListOp::Create { name, display }) => {
                commands::create_list(&mut c, &name, display).await?;
                println!("created {name}");
                Ok(())
            }
            Some(ListOp::Delete { name }) => {
                commands::delete_list(&mut c, &name).await?;
                println!("deleted {name}");
                Ok(())
            }
            Some(ListOp::Add { list, member, nick }) => {
                commands::list_add(&mut c, &list, &member, nick).await?;
                println!("added {member} to {list}");
                Ok(())
            }
            Some(ListOp::Remove { list, member }) => {
                commands::list_remove(&mut c, &list, &member).await?;
                println!("removed {member} from {list}");
                Ok(())
            }
        },
        Command::Block { who } => {
            commands::block(&mut c, &who, true).await?;
            println!("blocked {who}");
            Ok(())
        }
        Command::Unblock { who } => {
            commands::block(&mut c, &who, false).await?;
            println!("unblocked {who}");
            Ok(())
        }
        Command::Blocked => {
            for line in commands::blocked(&mut c).await? {
                println!("{line}");
            }
            Ok(())
        }
        Command::Profile { op } => {
            imps_client::profiles::profile(&mut c, op, |line| println!("{line}")).await
        }
        Command::Search { criteria } => {
            imps_client::profiles::search(&mut c, &criteria, |line| println!("{line}")).await
        }
        Command::Invite { op } => {
            imps_client::invites::run(&mut c, op, |line| {
                println!("{line}");
                let _ = std::io::stdout().flush();
            })
            .await
        }
        Command::Group { op } => {
            imps_client::groups::run(&mut c, &user, op, |line| {
                println!("{line}");
                let _ = std::io::stdout().flush();
            })
            .await
        }
        Command::Wbxml { .. } | Command::Bench(_) => bail!("unreachable"),
    };
    let _ = c.logout().await;
    out
}
