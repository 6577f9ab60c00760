//! `imps bench idle`: how much an idle connection costs the server. Logs in sessions, opens
//! a standalone TCP CIR connection for each (`HELO <SessionID>`, `OK`) and HTTP/1.1 keep-alive
//! connections that each carry one KeepAlive-Request of a session, then leaves them all idle
//! and reports the server's resident memory (VmRSS, VmHWM) after each step, its CPU time while
//! idle, the time each step took and how many connections the server still held at the end.
//!
//! The connections are plain tokio sockets, bound to the given source addresses
//! (`--sources 127.0.0.1-127.0.0.8`) so that more than one address's ephemeral ports can be
//! used; the tool keeps nothing per connection but the socket.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use clap::Args;
use imps_csp::model::session::KeepAliveRequest;
use imps_csp::{Encoding, Limits, Primitive, StatusCode, TransactionMode, WvCspMessage};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};

use crate::{Client, ClientConfig};

/// `imps bench idle` options.
#[derive(Args, Clone, Debug)]
pub struct IdleArgs {
    /// HTTP/1.1 keep-alive connections to open (each after one KeepAlive-Request).
    #[arg(long, default_value_t = 1000)]
    pub http_conns: usize,
    /// Standalone TCP CIR connections to open (one per session).
    #[arg(long, default_value_t = 1000)]
    pub cir_conns: usize,
    /// Sessions to log in (default: the larger of the two counts). CIR connection i belongs to
    /// session i, HTTP connection i to session i modulo this.
    #[arg(long)]
    pub sessions: Option<usize>,
    /// Source addresses to bind the connections to, round robin: a list and ranges of IPv4
    /// addresses (`127.0.0.1-127.0.0.8,127.0.1.1`). Each has its own ephemeral ports.
    #[arg(long)]
    pub sources: Option<String>,
    /// Account name prefix (accounts PREFIX0 … PREFIX(sessions-1)).
    #[arg(long, default_value = "bench")]
    pub prefix: String,
    /// Password of every bench account.
    #[arg(long = "bench-password", default_value = "bench")]
    pub bench_password: String,
    /// Logins in flight at once.
    #[arg(long, default_value_t = 64)]
    pub login_concurrency: usize,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 256)]
    pub connect_concurrency: usize,
    /// TimeToLive asked at login and in the KeepAlive-Request, seconds (the server clamps it
    /// to its `[session] max_time_to_live`).
    #[arg(long, default_value_t = 7200)]
    pub time_to_live: u32,
    /// The server's pid: report its memory and idle CPU time (Linux /proc).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Seconds to stay idle, measuring the server's CPU time, before checking that every
    /// connection is still open.
    #[arg(long, default_value_t = 60)]
    pub idle_seconds: u64,
    /// After the report, keep the connections open until interrupted (Ctrl-C).
    #[arg(long)]
    pub hold: bool,
}

/// Source addresses from `127.0.0.1-127.0.0.8,10.0.0.5`.
pub fn parse_sources(text: &str) -> anyhow::Result<Vec<IpAddr>> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match item.split_once('-') {
            Some((a, b)) => {
                let a: Ipv4Addr = a.trim().parse().with_context(|| format!("in {item:?}"))?;
                let b: Ipv4Addr = b.trim().parse().with_context(|| format!("in {item:?}"))?;
                let (a, b) = (u32::from(a), u32::from(b));
                if b < a || b - a >= 1 << 16 {
                    bail!("{item:?} is not a range of at most 65536 addresses");
                }
                out.extend((a..=b).map(|n| IpAddr::V4(Ipv4Addr::from(n))));
            }
            None => out.push(item.parse().with_context(|| format!("{item:?}"))?),
        }
    }
    if out.is_empty() {
        bail!("no source address in {text:?}");
    }
    Ok(out)
}

/// VmRSS and VmHWM of a process, KiB.
fn memory_kib(pid: &str) -> Option<(u64, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: &str) -> Option<u64> {
    ticks_of(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// utime + stime from the text of /proc/<pid>/stat.
fn ticks_of(s: &str) -> Option<u64> {
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    let rest = &s[s.rfind(')')? + 1..];
    let mut f = rest.split_whitespace();
    // After ')': state is field 3 of stat(5); utime and stime are fields 14 and 15.
    let utime: u64 = f.nth(11)?.parse().ok()?;
    let stime: u64 = f.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// Raises the open-file limit to `wanted` (the hard limit too, when allowed: root).
fn raise_nofile(wanted: u64) -> anyhow::Result<u64> {
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    if soft >= wanted {
        return Ok(soft);
    }
    if rlimit::setrlimit(rlimit::Resource::NOFILE, wanted, hard.max(wanted)).is_err() {
        rlimit::setrlimit(rlimit::Resource::NOFILE, hard, hard)?;
    }
    let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    if soft < wanted {
        bail!(
            "the open-file limit is {soft} and {wanted} are needed: run under `ulimit -n {wanted}`"
        );
    }
    Ok(soft)
}

/// `http://host:port/path` → (`host:port`, `/path`).
fn split_url(url: &str) -> anyhow::Result<(String, String)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("{url:?}: the idle bench speaks plain http:// only"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let authority = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((authority, path.to_owned()))
}

async fn resolve(authority: &str) -> anyhow::Result<SocketAddr> {
    tokio::net::lookup_host(authority)
        .await?
        .next()
        .ok_or_else(|| anyhow!("{authority} does not resolve"))
}

/// A TCP connection to `to`, from `from` when given.
async fn connect(to: SocketAddr, from: Option<IpAddr>) -> std::io::Result<TcpStream> {
    let socket = if to.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(ip) = from {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let stream = socket.connect(to).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// What went wrong in one step: a count and the first few messages.
#[derive(Default)]
struct Failures {
    count: AtomicUsize,
    first: std::sync::Mutex<Vec<String>>,
}

impl Failures {
    fn record(&self, e: &anyhow::Error) {
        self.count.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut f) = self.first.lock() {
            if f.len() < 3 {
                f.push(format!("{e:#}"));
            }
        }
    }

    fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    fn examples(&self) -> Vec<String> {
        self.first.lock().map(|f| f.clone()).unwrap_or_default()
    }
}

/// Gives up a step after this many failures (a wrong configuration fails every attempt).
const GIVE_UP_AFTER: usize = 100;

/// Runs `work(0..count)` on `concurrency` tasks; returns the results (in no order), the
/// failures and the seconds taken. Prints progress to stderr every 10 s.
async fn in_parallel<T, F, Fut>(
    what: &'static str,
    count: usize,
    concurrency: usize,
    work: F,
) -> (Vec<T>, Arc<Failures>, f64)
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<T>> + Send,
{
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Failures::default());
    let work = Arc::new(work);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.clamp(1, count.max(1)) {
        let (next, done, failures, work) =
            (next.clone(), done.clone(), failures.clone(), work.clone());
        tasks.spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count || failures.count() >= GIVE_UP_AFTER {
                    return out;
                }
                match work(i).await {
                    Ok(t) => out.push(t),
                    Err(e) => failures.record(&e),
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    let progress = {
        let done = done.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(10));
            every.tick().await;
            loop {
                every.tick().await;
                let n = done.load(Ordering::Relaxed);
                let s = started.elapsed().as_secs_f64();
                eprintln!("  … {what}: {n} of {count} in {s:.0} s");
            }
        })
    };
    let mut out = Vec::with_capacity(count);
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok(v) => out.extend(v),
            Err(e) => failures.record(&anyhow!("a worker task failed: {e}")),
        }
    }
    progress.abort();
    (out, failures, started.elapsed().as_secs_f64())
}

/// Logs in and negotiates (STCP asked); returns the SessionID and the TCP CIR endpoint.
async fn login(cfg: ClientConfig, user: String, password: String) -> anyhow::Result<Session> {
    let mut c = Client::new(cfg)?;
    let sid = c
        .login(&user, &password)
        .await
        .with_context(|| format!("login {user}"))?;
    c.negotiate()
        .await
        .with_context(|| format!("negotiation of {user}"))?;
    Ok(Session {
        sid,
        cir: c.tcp_cir(),
    })
}

struct Session {
    sid: String,
    cir: Option<(String, u16)>,
}

/// Opens a TCP CIR connection for `sid`: `HELO`, then the server's `OK`.
async fn open_cir(to: SocketAddr, from: Option<IpAddr>, sid: &str) -> anyhow::Result<TcpStream> {
    let mut s = connect(to, from).await.context("CIR connect")?;
    s.write_all(format!("HELO {sid}\r\n").as_bytes()).await?;
    let mut line = Vec::with_capacity(16);
    let mut byte = [0u8; 1];
    while line.last() != Some(&b'\n') {
        if line.len() > 64 || s.read(&mut byte).await? == 0 {
            bail!("CIR server closed or answered {line:?} to HELO");
        }
        line.push(byte[0]);
    }
    if line.trim_ascii() != b"OK" {
        bail!(
            "CIR server answered {:?} to HELO",
            String::from_utf8_lossy(&line)
        );
    }
    Ok(s)
}

/// The HTTP request of one KeepAlive-Request of session `sid`.
fn keep_alive_request(
    cfg: &ClientConfig,
    host: &str,
    path: &str,
    sid: &str,
    ttl: u32,
) -> anyhow::Result<Vec<u8>> {
    let msg = WvCspMessage::new(
        cfg.version,
        Some(sid.to_owned()),
        TransactionMode::Request,
        Some("1".into()),
        Primitive::KeepAliveRequest(KeepAliveRequest {
            time_to_live: Some(ttl),
        }),
    );
    let body = imps_csp::encode(&msg, cfg.encoding)?;
    let media = match cfg.encoding {
        Encoding::Xml => "application/vnd.wv.csp.xml",
        Encoding::Wbxml => "application/vnd.wv.csp.wbxml",
    };
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {media}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    Ok(req)
}

/// Largest answer read (a KeepAlive-Response is a few hundred bytes).
const MAX_ANSWER: usize = 64 * 1024;

/// Reads one HTTP/1.1 response with a Content-Length; fails unless it is 200, keeps the
/// connection open and carries a successful KeepAlive-Response.
async fn read_keep_alive_answer(s: &mut TcpStream) -> anyhow::Result<()> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_ANSWER {
            bail!("HTTP head too long");
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            bail!("the server closed the connection before answering");
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).context("HTTP head not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    if !status.starts_with("HTTP/1.1 200") {
        bail!("HTTP answer {status:?}");
    }
    let mut length = None;
    for l in lines {
        let Some((name, value)) = l.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
            bail!("the server closes the connection after its answer");
        }
    }
    let length = length
        .filter(|&n| n <= MAX_ANSWER)
        .ok_or_else(|| anyhow!("HTTP answer without a usable Content-Length"))?;
    while buf.len() < head_end + length {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            bail!("the server closed the connection in the body");
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let m = imps_csp::decode(&buf[head_end..head_end + length], &Limits::default())?;
    match m.session.transactions.first().map(|t| &t.primitive) {
        Some(Primitive::KeepAliveResponse(r)) if r.result.code == StatusCode::SUCCESS => Ok(()),
        Some(Primitive::KeepAliveResponse(r)) => bail!("KeepAlive-Response {}", r.result.code.0),
        Some(Primitive::Status(st)) => bail!("Status {} to KeepAlive-Request", st.result.code.0),
        other => bail!(
            "unexpected answer to KeepAlive-Request: {:?}",
            other.map(Primitive::name)
        ),
    }
}

/// How many of `conns` the peer still holds open (nothing to read, no end of stream).
fn still_open(conns: &[TcpStream]) -> usize {
    let mut buf = [0u8; 256];
    conns
        .iter()
        .filter(|s| match s.try_read(&mut buf) {
            Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
            // Data (a CIR wake-up) on a live connection.
            Ok(n) => n > 0,
        })
        .count()
}

fn kib_per(grown: Option<(u64, u64)>, count: usize) -> String {
    match grown {
        Some((before, after)) if count > 0 => format!(
            "{:.2} KiB",
            after.saturating_sub(before) as f64 / count as f64
        ),
        _ => "-".to_owned(),
    }
}

/// Runs the idle bench and prints the report.
pub async fn run(mut cfg: ClientConfig, args: IdleArgs) -> anyhow::Result<()> {
    let sessions = args.sessions.unwrap_or(args.http_conns.max(args.cir_conns));
    if args.cir_conns > sessions {
        bail!("--cir-conns is above --sessions: a session holds one TCP CIR connection");
    }
    if args.http_conns > 0 && sessions == 0 {
        bail!("HTTP connections need at least one session");
    }
    let sources: Vec<Option<IpAddr>> = match &args.sources {
        Some(text) => parse_sources(text)?.into_iter().map(Some).collect(),
        None => vec![None],
    };
    // The connections, and a few files of the runtime; the logins' pooled connections are
    // closed before the first connection opens.
    let wanted = (args.http_conns + args.cir_conns).max(args.login_concurrency) as u64 + 64;
    let nofile = raise_nofile(wanted)?;
    let (authority, path) = split_url(&cfg.url)?;
    let http_to = resolve(&authority).await?;
    let server = args.server_pid.map(|p| p.to_string());
    let server_mem = || server.as_deref().and_then(memory_kib);
    let mem_start = server_mem();

    // Logins, on one shared HTTP connection pool that is dropped afterwards.
    cfg.cir = vec!["STCP".into()];
    cfg.time_to_live = args.time_to_live;
    cfg.http = Some(
        reqwest::Client::builder()
            .timeout(cfg.timeout)
            .tcp_nodelay(true)
            .pool_max_idle_per_host(args.login_concurrency)
            .build()?,
    );
    cfg.in_flight = None;
    let (mut logged_in, failed, login_secs) = {
        let cfg = cfg.clone();
        let (prefix, password) = (args.prefix.clone(), args.bench_password.clone());
        in_parallel("logins", sessions, args.login_concurrency, move |i| {
            let (cfg, user, pw) = (cfg.clone(), format!("{prefix}{i}"), password.clone());
            async move { login(cfg, user, pw).await.map(|s| (i, s)) }
        })
        .await
    };
    cfg.http = None;
    if failed.count() > 0 {
        bail!(
            "{} of {sessions} logins failed, e.g. {:?}",
            failed.count(),
            failed.examples()
        );
    }
    logged_in.sort_unstable_by_key(|(i, _)| *i);
    let cir_to = match logged_in.first().map(|(_, s)| s.cir.clone()) {
        Some(Some((host, port))) => Some(resolve(&format!("{host}:{port}")).await?),
        _ if args.cir_conns > 0 => bail!("the server did not agree to standalone TCP CIR"),
        _ => None,
    };
    let sids: Arc<Vec<String>> = Arc::new(logged_in.into_iter().map(|(_, s)| s.sid).collect());
    let mem_sessions = server_mem();

    // TCP CIR connections: connection i says HELO for session i.
    let sources = Arc::new(sources);
    let (cir, cir_failed, cir_secs) = match cir_to {
        Some(to) => {
            let (sids, sources) = (sids.clone(), sources.clone());
            in_parallel(
                "CIR connections",
                args.cir_conns,
                args.connect_concurrency,
                move |i| {
                    let from = sources[i % sources.len()];
                    let sid = sids[i].clone();
                    async move { open_cir(to, from, &sid).await }
                },
            )
            .await
        }
        None => (Vec::new(), Arc::new(Failures::default()), 0.0),
    };
    let mem_cir = server_mem();

    // HTTP keep-alive connections: connection i sends one KeepAlive-Request of session i
    // modulo the sessions, reads the answer and stays open.
    let (http, http_failed, http_secs) = {
        let (sids, sources, cfg) = (sids.clone(), sources.clone(), cfg.clone());
        let ttl = args.time_to_live;
        in_parallel(
            "HTTP connections",
            args.http_conns,
            args.connect_concurrency,
            move |i| {
                let from = sources[(args.cir_conns + i) % sources.len()];
                let request =
                    keep_alive_request(&cfg, &authority, &path, &sids[i % sids.len()], ttl);
                async move {
                    let request = request?;
                    let mut s = connect(http_to, from).await.context("HTTP connect")?;
                    s.write_all(&request).await?;
                    read_keep_alive_answer(&mut s).await?;
                    Ok(s)
                }
            },
        )
        .await
    };
    let mem_all = server_mem();

    // Idle: nothing is sent; the server's CPU time is read before and after.
    let idle = Duration::from_secs(args.idle_seconds);
    let cpu_before = server.as_deref().and_then(cpu_ticks);
    let own_before = cpu_ticks("self");
    let idle_started = Instant::now();
    tokio::time::sleep(idle).await;
    let idle_secs = idle_started.elapsed().as_secs_f64();
    let cpu_after = server.as_deref().and_then(cpu_ticks);
    let own_after = cpu_ticks("self");
    let mem_idle = server_mem();
    let server_files = server
        .as_deref()
        .and_then(|p| std::fs::read_dir(format!("/proc/{p}/fd")).ok())
        .map(Iterator::count);
    let http_open = still_open(&http);
    let cir_open = still_open(&cir);

    let rate = |n: usize, s: f64| if s > 0.0 { n as f64 / s } else { 0.0 };
    println!(
        "imps bench idle: {} HTTP keep-alive + {} TCP CIR connections, {sessions} sessions, from {} source address(es), open-file limit {nofile}",
        args.http_conns,
        args.cir_conns,
        sources.len()
    );
    println!(
        "  logins:         {sessions} in {login_secs:.1} s ({:.0} /s, with negotiation)",
        rate(sessions, login_secs)
    );
    println!(
        "  CIR opened:     {} in {cir_secs:.1} s ({:.0} /s, HELO and OK)",
        cir.len(),
        rate(cir.len(), cir_secs)
    );
    println!(
        "  HTTP opened:    {} in {http_secs:.1} s ({:.0} /s, each after a KeepAlive-Request)",
        http.len(),
        rate(http.len(), http_secs)
    );
    for (what, f) in [("CIR", &cir_failed), ("HTTP", &http_failed)] {
        if f.count() > 0 {
            println!("  {what} failures: {} e.g. {:?}", f.count(), f.examples());
        }
    }
    println!("  idle for:       {idle_secs:.1} s");
    println!("  HTTP open:      {http_open} (after the idle time)");
    println!("  CIR open:       {cir_open} (after the idle time)");
    if let Some(n) = server_files {
        println!("  server files:   {n} open (/proc/PID/fd, sockets included)");
    }
    if let (Some(a), Some(b)) = (cpu_before, cpu_after) {
        let used = b.saturating_sub(a) as f64 / TICKS_PER_SECOND;
        println!(
            "  server CPU idle: {:.2} % of one core ({used:.2} s utime+stime in {idle_secs:.1} s)",
            100.0 * used / idle_secs.max(0.001)
        );
    }
    if let (Some(a), Some(b)) = (own_before, own_after) {
        let used = b.saturating_sub(a) as f64 / TICKS_PER_SECOND;
        println!("  client CPU idle: {used:.2} s utime+stime in {idle_secs:.1} s");
    }
    if let Some((rss, hwm)) = mem_idle {
        let show = |m: Option<(u64, u64)>| m.map_or("-".to_owned(), |(r, _)| format!("{r} KiB"));
        println!(
            "  server VmRSS:   {} at start, {} with the sessions, {} with the CIR connections, {} with all, {rss} KiB after the idle time",
            show(mem_start),
            show(mem_sessions),
            show(mem_cir),
            show(mem_all)
        );
        println!("  server VmHWM:   {hwm} KiB");
        let rss_of = |m: Option<(u64, u64)>| m.map(|(r, _)| r);
        let pair = |a: Option<(u64, u64)>, b: Option<(u64, u64)>| Some((rss_of(a)?, rss_of(b)?));
        println!(
            "  per connection: CIR {}, HTTP {}, both together {} (VmRSS growth / connections)",
            kib_per(pair(mem_sessions, mem_cir), cir.len()),
            kib_per(pair(mem_cir, mem_all), http.len()),
            kib_per(pair(mem_sessions, mem_all), cir.len() + http.len())
        );
        println!(
            "  per session:    {} (VmRSS growth over the logins)",
            kib_per(pair(mem_start, mem_sessions), sessions)
        );
    }
    if let Some((rss, hwm)) = memory_kib("self") {
        println!("  client:         VmRSS {rss} KiB, VmHWM {hwm} KiB");
    }
    let complete = cir.len() == args.cir_conns
        && http.len() == args.http_conns
        && cir_open == cir.len()
        && http_open == http.len();
    if args.hold {
        println!(
            "  holding {} connections; Ctrl-C to close them",
            cir.len() + http.len()
        );
        tokio::signal::ctrl_c().await?;
    }
    drop((cir, http));
    if !complete {
        bail!("not every connection was opened and kept open (see above)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_take_lists_and_ranges() {
        let s = parse_sources("127.0.0.1-127.0.0.3, 10.0.0.9").expect("valid");
        let want: Vec<IpAddr> = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "10.0.0.9"]
            .iter()
            .map(|a| a.parse().expect("literal"))
            .collect();
        assert_eq!(s, want);
        assert!(parse_sources("127.0.0.3-127.0.0.1").is_err());
        assert!(parse_sources("").is_err());
        assert!(parse_sources("nowhere").is_err());
    }

    #[test]
    fn proc_stat_fields_after_an_odd_command_name() {
        let stat = "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 4 0 1 2 3";
        assert_eq!(ticks_of(stat), Some(1234 + 567));
        assert!(cpu_ticks("self").is_some());
        assert!(memory_kib("self").is_some_and(|(rss, hwm)| rss > 0 && hwm >= rss));
        assert_eq!(
            split_url("http://127.0.0.1:19000/imps").expect("url"),
            ("127.0.0.1:19000".to_owned(), "/imps".to_owned())
        );
        assert!(split_url("https://x/").is_err());
    }
}
