//! The TOML configuration file (strict: an unknown key is an error) and the defaults.
//!
//! Every key is optional; see `docs/configuration.md` for the list with defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use imps_core::auth::HashCost;
use imps_core::EngineConfig;
use serde::Deserialize;

/// The configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// `[server]`.
    #[serde(default)]
    pub server: ServerSection,
    /// `[auth]`.
    #[serde(default)]
    pub auth: AuthSection,
    /// `[session]`.
    #[serde(default)]
    pub session: SessionSection,
    /// `[limits]`.
    #[serde(default)]
    pub limits: LimitsSection,
    /// `[service]`.
    #[serde(default)]
    pub service: ServiceSection,
    /// `[cir]`.
    #[serde(default)]
    pub cir: CirSection,
    /// `[engine]`.
    #[serde(default)]
    pub engine: EngineSection,
}

/// `[engine]`: how the engine is spread over the machine.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSection {
    /// Shards the users are spread over, 1 to 256 (default: one per core).
    pub shards: Option<usize>,
    /// Seconds an account stays in memory once nothing needs it (default 600; 0: until
    /// restart).
    pub unload_after: Option<u64>,
}

/// `[cir]`: wake-up channels.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CirSection {
    /// Standalone TCP CIR: `"off"`, or the listen address (default: port 3717 on the HTTP
    /// listen address).
    pub tcp: Option<String>,
    /// TCPAddress:TCPPort announced to clients (default: the listen address).
    pub tcp_announce: Option<String>,
    /// Offer standalone HTTP CIR (default true).
    pub http: Option<bool>,
    /// The CIR URL announced (default `http://<http listen address>/cir`).
    pub http_url: Option<String>,
    /// `HELO` must come within this many seconds (default 30).
    pub helo_timeout: Option<u64>,
    /// A connection silent this many seconds is closed (default 2700).
    pub idle_timeout: Option<u64>,
    /// Most open TCP CIR connections (default 20000).
    pub max_connections: Option<usize>,
    /// Most open TCP CIR connections from one address (default 256).
    pub max_connections_per_ip: Option<usize>,
}

/// `[server]`: where to listen and keep data.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// HTTP listen address (default 127.0.0.1:8080).
    pub http: Option<SocketAddr>,
    /// HTTPS listen address (needs `tls_cert` and `tls_key`).
    pub https: Option<SocketAddr>,
    /// PEM certificate chain.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key.
    pub tls_key: Option<PathBuf>,
    /// Data directory (default ./impsd-data).
    pub data: Option<PathBuf>,
    /// The key file sealing the digest secrets (default `<data>/secret.key`).
    pub key_file: Option<PathBuf>,
    /// Control socket for `impsd session ...` (default DATA/control.sock).
    pub control_socket: Option<PathBuf>,
    /// Default domain (default localhost).
    pub domain: Option<String>,
    /// Largest request body accepted, bytes (default 262144).
    pub max_body_bytes: Option<usize>,
    /// Logins waiting for the password check before 503 (default 512).
    pub max_queued_logins: Option<usize>,
    /// A request head must arrive within this many seconds (default 30).
    pub head_timeout: Option<u64>,
    /// An idle keep-alive connection is closed after this many seconds (default 120).
    pub idle_timeout: Option<u64>,
    /// A request body must arrive within this many seconds (default 30).
    pub body_timeout: Option<u64>,
    /// Most open HTTP(S) connections (default 20000).
    pub max_connections: Option<usize>,
    /// Most open connections from one address (default 256).
    pub max_connections_per_ip: Option<usize>,
    /// Addresses of proxies/gateways that carry many clients.
    pub trusted_proxies: Option<Vec<std::net::IpAddr>>,
    /// Most open connections from one trusted proxy (default 20000).
    pub max_connections_per_proxy: Option<usize>,
}

/// `[auth]`: password storage and login.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    /// Offer 4-way digest login; keeps passwords recoverably (default true).
    pub digest_login: Option<bool>,
    /// Logins must name their client (ClientID URL or MSISDN), else 422 (default false).
    pub require_client_id: Option<bool>,
    /// Requests naming another ClientID than their login's get 604 (default false).
    pub bind_client_id: Option<bool>,
    /// Login attempts one address may make at once (default 30)…
    pub login_burst_per_ip: Option<f64>,
    /// …and per second after that (default 2).
    pub login_rate_per_ip: Option<f64>,
    /// Failed logins of one account from one address before that address is slowed (default 5)…
    pub failed_login_burst: Option<f64>,
    /// …and one more allowed every this many seconds (default 60).
    pub failed_login_every: Option<f64>,
    /// argon2id memory, KiB (default 19456).
    pub hash_memory_kib: Option<u32>,
    /// argon2id iterations (default 2).
    pub hash_iterations: Option<u32>,
}

/// `[session]`: timers.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSection {
    /// KeepAliveTime when the client asks none (s).
    pub keep_alive_time: Option<u32>,
    /// Smallest TimeToLive (s).
    pub min_time_to_live: Option<u32>,
    /// Largest TimeToLive (s).
    pub max_time_to_live: Option<u32>,
    /// ServerPollMin (s).
    pub server_poll_min: Option<u32>,
    /// Live sessions per user.
    pub max_sessions_per_user: Option<usize>,
    /// Seconds before an unacknowledged server request is handed out again.
    pub in_flight_timeout: Option<u64>,
}

/// `[limits]`: bounds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// Contact lists per user.
    pub max_contact_lists: Option<usize>,
    /// Members per contact list.
    pub max_list_members: Option<usize>,
    /// Attribute lists per user.
    pub max_attribute_lists: Option<usize>,
    /// Entries in a block list, and in a grant list.
    pub max_block_entries: Option<usize>,
    /// Queued server requests per session.
    pub max_outbox: Option<usize>,
    /// Undelivered messages per user.
    pub max_inbox: Option<usize>,
    /// Message content, bytes.
    pub max_message_bytes: Option<u32>,
    /// Recipients per message.
    pub max_recipients: Option<usize>,
    /// Presence subscriptions per session.
    pub max_subscriptions: Option<usize>,
    /// Groups one user may own (default 32).
    pub max_groups_per_user: Option<usize>,
    /// Groups on the server, all users together (default 1000000).
    pub max_groups: Option<u64>,
    /// Sessions joined to one group at once (default 2000).
    pub max_joined_per_group: Option<usize>,
    /// Groups one session may be joined to (default 64).
    pub max_joined_groups: Option<usize>,
    /// Members of one group, and users on its reject list (default 5000).
    pub max_group_members: Option<usize>,
    /// Hits one search may find (default 500; 536 beyond).
    pub max_search_hits: Option<usize>,
    /// Seconds a search result set is kept for paging (default 600).
    pub search_lifetime: Option<u64>,
    /// Default message validity (s).
    pub default_validity: Option<u32>,
    /// Largest message validity (s).
    pub max_validity: Option<u32>,
    /// Transactions per message.
    pub max_multi_trans: Option<u32>,
    /// Largest stored presence of a user, bytes (default 16384).
    pub max_presence_bytes: Option<usize>,
    /// Presentities per GetPresence (default 1000).
    pub max_presence_targets: Option<usize>,
    /// Content × recipients per SendMessage, bytes (default 1 MiB).
    pub max_fanout_bytes: Option<usize>,
    /// Messages a user may send at once (default 20)…
    pub messages_burst: Option<f64>,
    /// …and per second after that (default 5).
    pub messages_per_second: Option<f64>,
    /// Undelivered messages of one sender in one recipient's inbox (default 100).
    pub max_inbox_per_sender: Option<usize>,
}

/// `[service]`: what GetSPInfo says and presence policy.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSection {
    /// Service name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// Whether users without attribute lists show all attributes (default true).
    pub open_presence: Option<bool>,
    /// The map service GetMap (CSP 1.3) answers with, e.g.
    /// `https://maps.example.com/?lat={lat}&lon={lon}&q={query}`; unset: GetMap is not offered.
    pub map_url: Option<String>,
}

/// Why `host`, announced to handsets as a CIR address, cannot reach this server from a
/// handset: a wildcard or loopback address, or `localhost`.
fn unreachable_for_handsets(host: &str) -> Result<(), &'static str> {
    if host.eq_ignore_ascii_case("localhost") {
        return Err("a handset cannot reach localhost; announce the public name or address");
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_unspecified() => {
            Err("a wildcard address cannot be reached; announce the public address")
        }
        Ok(ip) if ip.is_loopback() => {
            Err("a handset cannot reach a loopback address; announce the public address")
        }
        _ => Ok(()),
    }
}

/// The standalone TCP CIR port impsd listens on unless configured: 3717, the port IANA
/// registered for WV CSP CIR (`wv-csp-udp-cir`, TCP and UDP).
pub const DEFAULT_CIR_TCP_PORT: u16 = 3717;

/// Where standalone TCP CIR listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CirTcp {
    /// Not offered.
    Off,
    /// [`DEFAULT_CIR_TCP_PORT`] on the IP address of the HTTP listener (the default: real
    /// handsets need a CIR channel, csp-reference §11.1); a free port when the HTTP port is 0.
    Default,
    /// This address.
    At(SocketAddr),
}

impl CirTcp {
    /// The address to listen on, given the HTTP listen address.
    pub fn address(self, http: SocketAddr) -> Option<SocketAddr> {
        match self {
            CirTcp::Off => None,
            // An HTTP listener on port 0 (a free port: tests) gets a free CIR port too.
            CirTcp::Default if http.port() == 0 => Some(SocketAddr::new(http.ip(), 0)),
            CirTcp::Default => Some(SocketAddr::new(http.ip(), DEFAULT_CIR_TCP_PORT)),
            CirTcp::At(a) => Some(a),
        }
    }
}

/// Settings resolved from defaults, the file and the command line.
#[derive(Clone, Debug)]
pub struct Settings {
    /// HTTP listen address.
    pub http: SocketAddr,
    /// HTTPS listen address and PEM files.
    pub https: Option<(SocketAddr, PathBuf, PathBuf)>,
    /// Data directory.
    pub data: PathBuf,
    /// The key file sealing the digest secrets; `None`: `<data>/secret.key`.
    pub key_file: Option<PathBuf>,
    /// The control socket (`impsd session ...`); `None`: `<data>/control.sock`.
    pub control_socket: Option<PathBuf>,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Most logins waiting for the password check; beyond, 503 at once.
    pub max_queued_logins: usize,
    /// Password hash cost.
    pub hash_cost: HashCost,
    /// Standalone TCP CIR listener.
    pub cir_tcp: CirTcp,
    /// TCP CIR address and port announced.
    pub cir_tcp_announce: Option<(String, u16)>,
    /// Offer standalone HTTP CIR.
    pub cir_http: bool,
    /// HTTP CIR URL announced.
    pub cir_http_url: Option<String>,
    /// HTTP connection deadlines (head, idle keep-alive).
    pub http_timeouts: crate::conns::Timeouts,
    /// A request body must arrive within this (HTTP 408 beyond).
    pub body_timeout: std::time::Duration,
    /// Caps on open HTTP(S) connections.
    pub http_conns: crate::conns::ConnLimits,
    /// Caps on open standalone TCP CIR connections.
    pub cir_conns: crate::conns::ConnLimits,
    /// A TCP CIR connection must say `HELO` within this.
    pub cir_helo_timeout: std::time::Duration,
    /// A TCP CIR connection that says nothing (no `PING`) for this long is closed.
    pub cir_idle_timeout: std::time::Duration,
    /// Login throttle (attempts per address, failures per account and address).
    pub login_limits: crate::throttle::LoginLimits,
    /// Engine settings.
    pub engine: EngineConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            http: SocketAddr::from(([127, 0, 0, 1], 8080)),
            https: None,
            data: PathBuf::from("impsd-data"),
            key_file: None,
            control_socket: None,
            max_body_bytes: 256 * 1024,
            max_queued_logins: 512,
            hash_cost: HashCost::default(),
            cir_tcp: CirTcp::Default,
            cir_tcp_announce: None,
            cir_http: true,
            cir_http_url: None,
            http_timeouts: crate::conns::Timeouts::default(),
            body_timeout: std::time::Duration::from_secs(30),
            http_conns: crate::conns::ConnLimits::default(),
            cir_conns: crate::conns::ConnLimits::default(),
            cir_helo_timeout: std::time::Duration::from_secs(30),
            // Android PINGs every 20 minutes.
            cir_idle_timeout: std::time::Duration::from_secs(45 * 60),
            login_limits: crate::throttle::LoginLimits::default(),
            engine: EngineConfig {
                // One shard per core: requests of users on different shards run in parallel.
                shards: std::thread::available_parallelism()
                    .map_or(1, std::num::NonZeroUsize::get)
                    .min(256),
                ..EngineConfig::default()
            },
        }
    }
}

impl Settings {
    /// The key file: `key_file`, or `secret.key` in the data directory.
    pub fn key_file(&self) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| self.data.join(imps_store::SqliteStore::KEY_FILE_NAME))
    }

    /// The control socket: `control_socket`, or `control.sock` in the data directory.
    pub fn control_socket(&self) -> PathBuf {
        self.control_socket
            .clone()
            .unwrap_or_else(|| self.data.join("control.sock"))
    }

    /// Opens the SQLite store in the data directory with the key file.
    pub fn open_store(&self) -> anyhow::Result<imps_store::SqliteStore> {
        Ok(imps_store::SqliteStore::open_with_key_file(
            &self.data,
            &self.key_file(),
        )?)
    }

    /// Reads a configuration file over the defaults.
    pub fn from_file(path: &Path) -> anyhow::Result<Settings> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: FileConfig =
            toml::from_str(&text).with_context(|| format!("in {}", path.display()))?;
        Settings::from_config(file)
    }

    /// Applies a parsed file over the defaults.
    pub fn from_config(f: FileConfig) -> anyhow::Result<Settings> {
        let mut s = Settings::default();
        let e = &mut s.engine;
        if let Some(n) = f.engine.shards {
            e.shards = n;
        }
        if let Some(n) = f.engine.unload_after {
            e.unload_after = n;
        }
        if let Some(x) = f.server.http {
            s.http = x;
        }
        if let Some(x) = f.server.data {
            s.data = x;
        }
        s.key_file = f.server.key_file;
        s.control_socket = f.server.control_socket;
        if let Some(x) = f.server.domain {
            e.default_domain = x.to_lowercase();
        }
        if let Some(x) = f.server.max_body_bytes {
            s.max_body_bytes = x;
        }
        if let Some(x) = f.server.max_queued_logins {
            s.max_queued_logins = x.max(1);
        }
        match (f.server.https, f.server.tls_cert, f.server.tls_key) {
            (Some(a), Some(c), Some(k)) => s.https = Some((a, c, k)),
            (None, None, None) => {}
            _ => anyhow::bail!("[server] https, tls_cert and tls_key go together"),
        }
        macro_rules! set {
            ($($src:expr => $dst:expr),* $(,)?) => { $( if let Some(x) = $src { $dst = x; } )* };
        }
        set! {
            f.auth.digest_login => e.digest_login,
            f.auth.require_client_id => e.require_client_id,
            f.auth.bind_client_id => e.bind_client_id,
            f.auth.hash_memory_kib => s.hash_cost.memory_kib,
            f.auth.hash_iterations => s.hash_cost.iterations,
            f.session.keep_alive_time => e.keep_alive_time,
            f.session.min_time_to_live => e.min_time_to_live,
            f.session.max_time_to_live => e.max_time_to_live,
            f.session.server_poll_min => e.server_poll_min,
            f.session.max_sessions_per_user => e.max_sessions_per_user,
            f.session.in_flight_timeout => e.in_flight_timeout,
            f.limits.max_contact_lists => e.max_contact_lists,
            f.limits.max_list_members => e.max_list_members,
            f.limits.max_attribute_lists => e.max_attribute_lists,
            f.limits.max_block_entries => e.max_block_entries,
            f.limits.max_outbox => e.max_outbox,
            f.limits.max_inbox => e.max_inbox,
            f.limits.max_message_bytes => e.max_message_bytes,
            f.limits.max_recipients => e.max_recipients,
            f.limits.max_subscriptions => e.max_subscriptions,
            f.limits.max_groups_per_user => e.max_groups_per_user,
            f.limits.max_groups => e.max_groups,
            f.limits.max_joined_per_group => e.max_joined_per_group,
            f.limits.max_joined_groups => e.max_joined_groups,
            f.limits.max_group_members => e.max_group_members,
            f.limits.max_search_hits => e.max_search_hits,
            f.limits.search_lifetime => e.search_lifetime,
            f.limits.default_validity => e.default_validity,
            f.limits.max_validity => e.max_validity,
            f.limits.max_multi_trans => e.max_multi_trans,
            f.limits.max_presence_bytes => e.max_presence_bytes,
            f.limits.max_presence_targets => e.max_presence_targets,
            f.limits.max_fanout_bytes => e.max_fanout_bytes,
            f.limits.messages_burst => e.messages_burst,
            f.limits.messages_per_second => e.messages_per_second,
            f.limits.max_inbox_per_sender => e.max_inbox_per_sender,
            f.service.name => e.sp_name,
            f.service.open_presence => e.open_presence,
        }
        if f.service.description.is_some() {
            e.sp_description = f.service.description;
        }
        if f.service.url.is_some() {
            e.sp_url = f.service.url;
        }
        if f.service.map_url.is_some() {
            e.map_url = f.service.map_url;
        }
        if let Some(t) = f.cir.tcp {
            s.cir_tcp = match t.trim() {
                "off" | "false" | "" => CirTcp::Off,
                a => CirTcp::At(a.parse().map_err(|_| {
                    anyhow::anyhow!("[cir] tcp must be \"off\" or an address like 0.0.0.0:3717")
                })?),
            };
        }
        if let Some(a) = f.cir.tcp_announce {
            let (host, port) = a
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
                .ok_or_else(|| anyhow::anyhow!("[cir] tcp_announce must be host:port"))?;
            s.cir_tcp_announce = Some((host, port));
        }
        if let Some(x) = f.cir.http {
            s.cir_http = x;
        }
        s.cir_http_url = f.cir.http_url;
        let secs = std::time::Duration::from_secs;
        if let Some(x) = f.server.head_timeout {
            s.http_timeouts.head = secs(x.max(1));
        }
        if let Some(x) = f.server.idle_timeout {
            s.http_timeouts.idle = secs(x.max(1));
        }
        if let Some(x) = f.server.body_timeout {
            s.body_timeout = secs(x.max(1));
        }
        if let Some(x) = f.server.max_connections {
            s.http_conns.max_total = x.max(1);
        }
        if let Some(x) = f.server.max_connections_per_ip {
            s.http_conns.max_per_ip = x.max(1);
            s.cir_conns.max_per_ip = x.max(1);
        }
        if let Some(x) = f.server.trusted_proxies {
            s.http_conns.trusted = x.clone();
            s.cir_conns.trusted = x;
        }
        if let Some(x) = f.server.max_connections_per_proxy {
            s.http_conns.max_per_trusted = x.max(1);
            s.cir_conns.max_per_trusted = x.max(1);
        }
        if let Some(x) = f.auth.login_burst_per_ip {
            s.login_limits.per_ip_burst = x.max(1.0);
        }
        if let Some(x) = f.auth.login_rate_per_ip {
            s.login_limits.per_ip_rate = x.max(0.0);
        }
        if let Some(x) = f.auth.failed_login_burst {
            s.login_limits.failures_burst = x.max(1.0);
        }
        if let Some(x) = f.auth.failed_login_every {
            s.login_limits.failures_rate = if x > 0.0 { 1.0 / x } else { 0.0 };
        }
        s.login_limits.trusted = s.http_conns.trusted.clone();
        if let Some(x) = f.cir.helo_timeout {
            s.cir_helo_timeout = secs(x.max(1));
        }
        if let Some(x) = f.cir.idle_timeout {
            s.cir_idle_timeout = secs(x.max(1));
        }
        if let Some(x) = f.cir.max_connections {
            s.cir_conns.max_total = x.max(1);
        }
        if let Some(x) = f.cir.max_connections_per_ip {
            s.cir_conns.max_per_ip = x.max(1);
        }
        if e.min_time_to_live > e.max_time_to_live {
            anyhow::bail!("[session] min_time_to_live is above max_time_to_live");
        }
        s.validate()?;
        Ok(s)
    }

    /// Refuses settings that would panic or silently stop delivery, with a message that says
    /// which key to change. `impsd` checks them at start.
    pub fn validate(&self) -> anyhow::Result<()> {
        let e = &self.engine;
        if e.shards == 0 || e.shards > 256 {
            anyhow::bail!("[engine] shards must be between 1 and 256");
        }
        if e.max_multi_trans == 0 {
            anyhow::bail!(
                "[limits] max_multi_trans must be at least 1 (every request would get 400)"
            );
        }
        if e.max_outbox == 0 {
            anyhow::bail!("[limits] max_outbox must be at least 1 (nothing could be delivered)");
        }
        if e.max_inbox == 0 {
            anyhow::bail!("[limits] max_inbox must be at least 1 (every message would get 507)");
        }
        if e.messages_burst < 1.0 || e.max_inbox_per_sender == 0 || e.max_fanout_bytes == 0 {
            anyhow::bail!("[limits] messages_burst, max_inbox_per_sender and max_fanout_bytes must be at least 1 (nothing could be sent)");
        }
        if e.max_presence_targets == 0 || e.max_presence_bytes < 1024 {
            anyhow::bail!("[limits] max_presence_targets must be at least 1 and max_presence_bytes at least 1024");
        }
        if e.max_recipients == 0 || e.max_message_bytes == 0 {
            anyhow::bail!("[limits] max_recipients and max_message_bytes must be at least 1");
        }
        if self.max_body_bytes < 1024 {
            anyhow::bail!(
                "[server] max_body_bytes must be at least 1024 (a Login-Request is larger)"
            );
        }
        if self.cir_tcp == CirTcp::Off && self.cir_tcp_announce.is_some() {
            anyhow::bail!("[cir] tcp_announce is set but tcp is \"off\": handsets would be told of a channel nobody serves");
        }
        if !self.cir_http && self.cir_http_url.is_some() {
            anyhow::bail!("[cir] http_url is set but http = false: handsets would be told of a channel nobody serves");
        }
        if let Some((host, _)) = &self.cir_tcp_announce {
            unreachable_for_handsets(host)
                .map_err(|why| anyhow::anyhow!("[cir] tcp_announce {host:?}: {why}"))?;
        }
        if let Some(url) = &self.cir_http_url {
            let host = url
                .split("://")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .and_then(|a| match a.strip_prefix('[') {
                    Some(v6) => v6.split(']').next(),
                    None => a.rsplit_once(':').map_or(Some(a), |(h, _)| Some(h)),
                })
                .filter(|h| !h.is_empty())
                .ok_or_else(|| {
                    anyhow::anyhow!("[cir] http_url {url:?} is not an http(s) URL with a host")
                })?;
            unreachable_for_handsets(host)
                .map_err(|why| anyhow::anyhow!("[cir] http_url {url:?}: {why}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_and_known_ones_apply() {
        let bad: Result<FileConfig, _> = toml::from_str("[server]\nhttpp = \"x\"\n");
        assert!(bad.is_err());
        let f: FileConfig = toml::from_str(
            "[server]\nhttp = \"0.0.0.0:9000\"\ndomain = \"Example.COM\"\n[limits]\nmax_contact_lists = 3\n",
        )
        .expect("valid");
        let s = Settings::from_config(f).expect("settings");
        assert_eq!(s.http.port(), 9000);
        assert_eq!(s.engine.default_domain, "example.com");
        assert_eq!(s.engine.max_contact_lists, 3);
        let d = Settings::default();
        assert_eq!(
            d.cir_tcp.address(d.http),
            Some("127.0.0.1:3717".parse().expect("address")),
            "TCP CIR on by default, port 3717 on the HTTP address"
        );
        let f: FileConfig = toml::from_str("[cir]\ntcp = \"off\"\n").expect("parses");
        assert_eq!(
            Settings::from_config(f).expect("settings").cir_tcp,
            CirTcp::Off
        );
        let f: FileConfig = toml::from_str("[cir]\ntcp = \"nowhere\"\n").expect("parses");
        assert!(Settings::from_config(f).is_err(), "a bad CIR address");
        let f: FileConfig = toml::from_str("[server]\nhttps = \"0.0.0.0:443\"\n").expect("parses");
        assert!(Settings::from_config(f).is_err(), "https without cert");
    }
}
