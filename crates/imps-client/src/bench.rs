//! `imps bench`: N simulated users log in, negotiate, subscribe to each other's presence,
//! exchange messages and update presence, against a real server. Reports logins/s,
//! messages/s delivered end to end, send-to-receive latency (p50/p99) and, given the server's
//! pid, its resident memory per session.
//!
//! Accounts `<prefix>0` … `<prefix>N-1` with one password must exist
//! (`impsd user bulk-add <prefix> N --password PW`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use imps_csp::codec::ContentData;
use imps_csp::Primitive;
use tokio::sync::{Mutex, Semaphore};

use crate::commands;
use crate::{Client, ClientConfig};

/// `imps bench` options.
#[derive(Args, Clone, Debug)]
pub struct BenchArgs {
    /// Another bench than the messaging one.
    #[command(subcommand)]
    pub mode: Option<BenchMode>,
    /// Simulated users.
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// Account name prefix.
    #[arg(long, default_value = "bench")]
    pub prefix: String,
    /// Number of the first account this process drives (`<prefix><first>` …
    /// `<prefix><first + users - 1>`): several `imps bench` processes on disjoint ranges load
    /// one server together when one process is not enough. Each user writes to and watches the
    /// next users of its own range.
    #[arg(long, default_value_t = 0)]
    pub first: usize,
    /// Password of every bench account.
    #[arg(long = "bench-password", default_value = "bench")]
    pub bench_password: String,
    /// Messages per second, all users together (0 = as fast as the server takes them).
    #[arg(long, default_value_t = 2000)]
    pub rate: u64,
    /// Seconds of messaging.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Presence subscriptions per user (to the next users in order).
    #[arg(long, default_value_t = 5)]
    pub watch: usize,
    /// Milliseconds between polls of an idle user.
    #[arg(long, default_value_t = 100)]
    pub poll_ms: u64,
    /// Logins in flight at once.
    #[arg(long, default_value_t = 64)]
    pub login_concurrency: usize,
    /// The server's pid, to report its memory per session (Linux /proc).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Poll on a timer only, without asking for standalone TCP CIR.
    #[arg(long)]
    pub no_cir: bool,
    /// Seconds between a user's presence updates.
    #[arg(long, default_value_t = 60)]
    pub presence_every: u64,
    /// HTTP requests in flight at once (and idle connections kept in the shared pool).
    #[arg(long, default_value_t = 256)]
    pub connections: usize,
    /// Closed loop, as XMPP load tools measure: each user keeps one message in flight and
    /// sends the next when the previous reached its recipient (`--rate` is ignored).
    #[arg(long)]
    pub closed_loop: bool,
    /// Group chat: the users form groups of this many (consecutive users; the first creates
    /// the group), every user joins its group and each message goes to the whole group (0:
    /// messages from user to user).
    #[arg(long, default_value_t = 0)]
    pub group_size: usize,
}

/// The other benches of `imps bench`.
#[derive(clap::Subcommand, Clone, Debug)]
pub enum BenchMode {
    /// Idle connections: log in sessions, open a TCP CIR connection each and HTTP keep-alive
    /// connections, leave them idle; report the server's memory and idle CPU.
    Idle(crate::bench_idle::IdleArgs),
}

/// Latencies of messages sent in the first two seconds of messaging are not counted.
const WARM_UP_MICROS: u128 = 2_000_000;

fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// CPU time (user + system) a process used so far, in seconds (`/proc/<pid>/stat`, fields 14
/// and 15, in clock ticks of 1/100 s on Linux).
fn cpu_secs(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count from after its closing parenthesis.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs the benchmark and prints the report.
pub async fn run(mut cfg: ClientConfig, args: BenchArgs) -> anyhow::Result<()> {
    if !args.no_cir {
        cfg.cir = vec!["STCP".into()];
    }
    // One connection pool for all simulated users (as a gateway would): the server sees a
    // few hundred keep-alive connections, not one per user.
    cfg.in_flight = Some(Arc::new(Semaphore::new(args.connections)));
    cfg.http = Some(
        reqwest::Client::builder()
            .timeout(cfg.timeout)
            .tcp_nodelay(true)
            .pool_max_idle_per_host(args.connections)
            .build()?,
    );
    let n = args.users;
    anyhow::ensure!(n >= 2, "--users must be at least 2");
    let rss_before = args.server_pid.and_then(rss_kib);

    // Phase 1: logins, in two halves; the server's memory is read after each, so that the
    // per-session figure leaves out fixed costs (login threads, allocator warm-up).
    let sem = Arc::new(Semaphore::new(args.login_concurrency.max(1)));
    let started = Instant::now();
    let mut clients = Vec::with_capacity(n);
    let mut rss_half = None;
    for range in [0..n / 2, n / 2..n] {
        let mut handles = Vec::with_capacity(range.len());
        for i in range {
            let cfg = cfg.clone();
            let sem = sem.clone();
            let user = format!("{}{}", args.prefix, args.first + i);
            let pw = args.bench_password.clone();
            handles.push(tokio::spawn(async move {
                let _permit = sem.acquire().await?;
                let mut c = Client::new(cfg)?;
                c.login(&user, &pw)
                    .await
                    .with_context(|| format!("login {user}"))?;
                c.negotiate().await?;
                anyhow::Ok(c)
            }));
        }
        for h in handles {
            clients.push(h.await??);
        }
        if rss_half.is_none() {
            rss_half = Some(args.server_pid.and_then(rss_kib));
        }
    }
    let rss_half = rss_half.flatten();
    let login_secs = started.elapsed().as_secs_f64();
    let rss_after = args.server_pid.and_then(rss_kib);

    // Phase 2: presence subscriptions.
    let started = Instant::now();
    let mut handles = Vec::with_capacity(n);
    for (i, mut c) in clients.into_iter().enumerate() {
        let who: Vec<String> = (1..=args.watch.min(n - 1))
            .map(|k| format!("{}{}", args.prefix, args.first + (i + k) % n))
            .collect();
        handles.push(tokio::spawn(async move {
            if !who.is_empty() {
                commands::subscribe(&mut c, &who).await?;
            }
            anyhow::Ok(c)
        }));
    }
    let mut clients = Vec::with_capacity(n);
    for h in handles {
        clients.push(h.await??);
    }
    // Every user takes in the initial presence of whom it watches (as a client does after
    // subscribing), so that messaging starts from a steady state.
    let mut handles = Vec::with_capacity(n);
    for mut c in clients {
        handles.push(tokio::spawn(async move {
            let mut next = None;
            loop {
                let r = match next.take() {
                    Some(r) => Some(r),
                    None => c.poll().await?,
                };
                let Some(r) = r else { break };
                next = c.acknowledge(&r).await?;
            }
            anyhow::Ok(c)
        }));
    }
    let mut clients = Vec::with_capacity(n);
    for h in handles {
        clients.push(h.await??);
    }
    let subscribe_secs = started.elapsed().as_secs_f64();

    // Phase 2b (group chat): the first user of each group creates it, then the others join.
    let group_size = args.group_size;
    anyhow::ensure!(
        group_size == 0 || (group_size >= 2 && !args.closed_loop),
        "--group-size must be at least 2, and cannot go with --closed-loop"
    );
    let group_of = |i: usize| {
        let leader = i - i % group_size;
        format!("wv:{}{}/bench{leader}", args.prefix, args.first + leader)
    };
    let started = Instant::now();
    if group_size > 0 {
        for creating in [true, false] {
            let mut handles = Vec::with_capacity(n);
            for (i, mut c) in clients.into_iter().enumerate() {
                let group = group_of(i);
                let mine = (i % group_size == 0) == creating;
                handles.push(tokio::spawn(async move {
                    if mine && creating {
                        let p = c
                            .request(imps_csp::Primitive::from(
                                imps_csp::model::group::CreateGroupRequest {
                                    group_id: group.clone(),
                                    join_group: Some(true),
                                    subscribe_notification: Some(false),
                                    ..Default::default()
                                },
                            ))
                            .await?;
                        crate::session::expect_ok(&p, "CreateGroup")?;
                    } else if mine {
                        let p = c
                            .request(imps_csp::Primitive::from(
                                imps_csp::model::group::JoinGroupRequest {
                                    group_id: group.clone(),
                                    subscribe_notification: Some(false),
                                    ..Default::default()
                                },
                            ))
                            .await?;
                        anyhow::ensure!(
                            matches!(p, imps_csp::Primitive::JoinGroupResponse(_)),
                            "JoinGroup {group}: {}",
                            crate::session::show(&p)
                        );
                    }
                    anyhow::Ok(c)
                }));
            }
            clients = Vec::with_capacity(n);
            for h in handles {
                clients.push(h.await??);
            }
        }
    }
    let group_secs = started.elapsed().as_secs_f64();

    // Phase 3: messages and presence updates.
    let epoch = Instant::now();
    let server_cpu_start = args.server_pid.and_then(cpu_secs);
    let own_cpu_start = cpu_secs(std::process::id());
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let received = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::<u64>::new()));
    let first_errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let per_user_interval = if args.rate == 0 {
        Duration::ZERO
    } else {
        Duration::from_secs_f64(n as f64 / args.rate as f64)
    };
    // Closed loop: arrived[i] is told when user i's message reached user i + 1.
    let arrived: Vec<Arc<tokio::sync::Notify>> = (0..n)
        .map(|_| Arc::new(tokio::sync::Notify::new()))
        .collect();
    let closed = args.closed_loop;
    let mut handles = Vec::with_capacity(n);
    for (i, mut c) in clients.into_iter().enumerate() {
        let mine_arrived = arrived[i].clone();
        let sender_of_mine = arrived[(i + n - 1) % n].clone();
        let stop = stop.clone();
        let sent = sent.clone();
        let received = received.clone();
        let errors = errors.clone();
        let latencies = latencies.clone();
        let to = format!("{}{}", args.prefix, args.first + (i + 1) % n);
        let group = (group_size > 0).then(|| group_of(i));
        let poll = Duration::from_millis(args.poll_ms);
        let presence_every = Duration::from_secs(args.presence_every.max(1));
        let first_errors = first_errors.clone();
        handles.push(tokio::spawn(async move {
            // Wake-ups from the TCP CIR channel, when agreed; else a poll timer.
            let wake = Arc::new(tokio::sync::Notify::new());
            let mut cir_task = None;
            if let Ok(mut ch) = c.open_tcp_cir().await {
                let wake = wake.clone();
                cir_task = Some(tokio::spawn(async move {
                    while ch.wake().await.is_ok() {
                        wake.notify_one();
                    }
                }));
            }
            let timer = cir_task.is_none();
            // Spread the first sends over one interval.
            let offset = per_user_interval.mul_f64(i as f64 / n as f64);
            let mut next_send = tokio::time::Instant::now() + offset;
            // Presence updates every `presence_every` seconds per user, spread evenly.
            let mut next_presence =
                Instant::now() + presence_every.mul_f64(1.0 + i as f64 / n as f64);
            let mut local = Vec::new();
            let mut drain = true;
            let mut in_flight = false;
            while !stop.load(Ordering::Relaxed) {
                if drain {
                    drain = false;
                    let mut piggy = None;
                    let mut first = true;
                    loop {
                        let req = match piggy.take() {
                            Some(r) => Some(r),
                            // As a handset does: poll when woken, and again only when the
                            // server's last answer set Poll (an acknowledgement answered
                            // with nothing means nothing else is waiting; whatever arrives
                            // later wakes the user again).
                            None if first || c.poll_hint || c.has_pending() => c.poll().await.ok().flatten(),
                            None => None,
                        };
                        first = false;
                        let Some(r) = req else { break };
                        if let Primitive::NewMessage(m) = &r.primitive {
                            if let Some(ContentData::Text(t)) = &m.content_data {
                                if let Some(v) =
                                    t.strip_prefix("t=").and_then(|v| v.parse::<u128>().ok())
                                {
                                    let lat = epoch.elapsed().as_micros().saturating_sub(v);
                                    // The first two seconds warm up (connections reopen).
                                    if v >= WARM_UP_MICROS {
                                        local.push(lat as u64);
                                    }
                                    received.fetch_add(1, Ordering::Relaxed);
                                    sender_of_mine.notify_one();
                                }
                            }
                        }
                        piggy = c.acknowledge(&r).await.ok().flatten();
                    }
                }
                let poll_at = tokio::time::Instant::now() + poll;
                if closed {
                    if in_flight {
                        tokio::select! {
                            _ = wake.notified() => { drain = true; continue; }
                            _ = tokio::time::sleep_until(poll_at), if timer => { drain = true; continue; }
                            _ = mine_arrived.notified() => { in_flight = false; }
                            // A message that never arrives must not outlive the run.
                            _ = tokio::time::sleep(Duration::from_millis(500)) => { continue; }
                        }
                    }
                } else {
                    tokio::select! {
                        _ = wake.notified() => { drain = true; continue; }
                        _ = tokio::time::sleep_until(poll_at), if timer => { drain = true; continue; }
                        _ = tokio::time::sleep_until(next_send) => {}
                    }
                }
                let stamp = epoch.elapsed().as_micros();
                let text = format!("t={stamp}");
                let result = match &group {
                    Some(g) => crate::groups::say(&mut c, g, None, &text).await,
                    None => c.send_text(&[&to], &text).await.map(|_| ()),
                };
                match result {
                    Ok(_) => {
                        sent.fetch_add(1, Ordering::Relaxed);
                        in_flight = closed;
                    }
                    Err(e) => {
                        if closed {
                            // Not in flight: try again a little later, not in a hot loop.
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                        errors.fetch_add(1, Ordering::Relaxed);
                        let mut f = first_errors.lock().await;
                        if f.len() < 3 {
                            f.push(format!("{e:#}"));
                        }
                    }
                }
                next_send += per_user_interval;
                let now = tokio::time::Instant::now();
                if next_send < now {
                    next_send = now;
                }
                if Instant::now() >= next_presence {
                    let status = format!("at {}", epoch.elapsed().as_secs());
                    if commands::set_presence(&mut c, None, Some(status), None)
                        .await
                        .is_err()
                    {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    next_presence = Instant::now() + presence_every;
                }
                if c.poll_hint {
                    drain = true;
                }
            }
            latencies.lock().await.extend(local);
            let _ = c.logout().await;
            if let Some(t) = cir_task {
                t.abort();
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let msg_secs = epoch.elapsed().as_secs_f64();
    let delivered_in_window = received.load(Ordering::Relaxed);
    let server_cpu = args
        .server_pid
        .and_then(cpu_secs)
        .zip(server_cpu_start)
        .map(|(b, a)| b - a);
    let own_cpu = cpu_secs(std::process::id())
        .zip(own_cpu_start)
        .map(|(b, a)| b - a);
    for h in handles {
        let _ = h.await;
    }
    let mut lat = latencies.lock().await.clone();
    lat.sort_unstable();
    let received = received.load(Ordering::Relaxed);
    let load = if closed {
        "in a closed loop (one message in flight per user)".to_owned()
    } else {
        format!("at a target of {} msg/s", args.rate)
    };
    println!(
        "imps bench: {n} users, {} s of messaging {load}, presence updated every {} s, {} subscriptions each",
        args.seconds, args.presence_every, args.watch
    );
    println!(
        "  logins:         {:.0} /s ({n} in {login_secs:.2} s, with negotiation)",
        n as f64 / login_secs
    );
    println!(
        "  subscriptions:  {} in {subscribe_secs:.2} s",
        n * args.watch.min(n - 1)
    );
    if group_size > 0 {
        println!(
            "  groups:         {} of {group_size} joined users, created and joined in {group_secs:.2} s (messages go to the whole group; delivered counts copies)",
            n.div_ceil(group_size)
        );
    }
    println!(
        "  messages sent:  {} ({:.0} /s)",
        sent.load(Ordering::Relaxed),
        sent.load(Ordering::Relaxed) as f64 / msg_secs
    );
    println!(
        "  delivered:      {received} ({:.0} /s end to end)",
        received as f64 / msg_secs
    );
    println!(
        "  latency:        p50 {:.1} ms, p99 {:.1} ms (send to receive, after a 2 s warm-up)",
        percentile(&lat, 0.5) as f64 / 1000.0,
        percentile(&lat, 0.99) as f64 / 1000.0
    );
    if let Some(cpu) = server_cpu {
        println!(
            "  server CPU:     {cpu:.2} s over {msg_secs:.1} s ({:.0} % of a core), {:.0} µs per delivered message, {:.0} delivered per CPU-second",
            100.0 * cpu / msg_secs,
            1e6 * cpu / delivered_in_window.max(1) as f64,
            delivered_in_window as f64 / cpu.max(1e-9)
        );
    }
    if let Some(cpu) = own_cpu {
        println!(
            "  bench CPU:      {cpu:.2} s ({:.0} % of a core)",
            100.0 * cpu / msg_secs
        );
    }
    println!("  errors:         {}", errors.load(Ordering::Relaxed));
    for e in first_errors.lock().await.iter() {
        println!("    e.g. {e}");
    }
    if let (Some(a), Some(h), Some(b)) = (rss_before, rss_half, rss_after) {
        // Logged in and negotiated, nothing else yet: the cost of an idle session. Two
        // figures: all growth since start divided by N (an upper bound: it includes the
        // server's warm-up), and the growth over the second half (leaves out fixed costs, but
        // the allocator's page-sized steps make it coarse at small N).
        let second_half = n - n / 2;
        println!(
            "  server RSS:     {a} KiB at start, {h} KiB with {} sessions, {b} KiB with {n}",
            n / 2
        );
        println!(
            "  per idle session: {:.1} KiB (growth since start / {n}), {:.1} KiB (second half)",
            b.saturating_sub(a) as f64 / n as f64,
            b.saturating_sub(h) as f64 / second_half as f64
        );
    }
    Ok(())
}
