//! Connections that cannot be held hostage: caps on open connections (overall and per source
//! address, trusted proxies with a cap of their own) and deadlines on every connection (a head
//! within `head_timeout` of its first byte, or of the accept for a connection that sent
//! nothing; an idle keep-alive connection closed after `idle_timeout`; a stalled write after
//! `head_timeout`).

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Caps on open connections of one listener kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnLimits {
    /// Most open connections overall.
    pub max_total: usize,
    /// Most open connections from one source address.
    pub max_per_ip: usize,
    /// Source addresses that carry many clients (an operator's WAP gateway or proxy).
    pub trusted: Vec<IpAddr>,
    /// Most open connections from one trusted address.
    pub max_per_trusted: usize,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max_total: 20_000,
            max_per_ip: 256,
            trusted: Vec::new(),
            max_per_trusted: 20_000,
        }
    }
}

/// Counts open connections and admits new ones under the caps.
#[derive(Debug, Default)]
pub struct Tracker {
    limits: ConnLimits,
    total: AtomicUsize,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    refused: AtomicUsize,
}

/// Why a connection was not admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The listener holds its most connections.
    Total,
    /// The source address holds its most connections.
    PerAddress,
}

/// An admitted connection: counted until dropped.
#[derive(Debug)]
pub struct Admitted {
    tracker: Arc<Tracker>,
    ip: IpAddr,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.tracker.total.fetch_sub(1, Ordering::Relaxed);
        let mut map = self.tracker.per_ip.lock();
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// An IPv4-mapped IPv6 address as IPv4, so one client counts once.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

impl Tracker {
    /// A tracker with `limits`.
    pub fn new(limits: ConnLimits) -> Arc<Tracker> {
        Arc::new(Tracker {
            limits,
            ..Tracker::default()
        })
    }

    /// Admits a connection from `ip`, or says why not.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Admitted, Refused> {
        let ip = canonical(ip);
        let cap = if self.limits.trusted.contains(&ip) {
            self.limits.max_per_trusted
        } else {
            self.limits.max_per_ip
        };
        let mut map = self.per_ip.lock();
        if self.total.load(Ordering::Relaxed) >= self.limits.max_total {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(Refused::Total);
        }
        let n = map.entry(ip).or_insert(0);
        if *n >= cap {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(Refused::PerAddress);
        }
        *n += 1;
        self.total.fetch_add(1, Ordering::Relaxed);
        Ok(Admitted {
            tracker: self.clone(),
            ip,
        })
    }

    /// Open connections.
    pub fn open(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// Connections refused so far.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::Relaxed)
    }
}

/// Deadlines of an HTTP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// A request head must arrive within this of its first byte (and a new connection must
    /// send one within this of being accepted); a stalled write fails after it too.
    pub head: Duration,
    /// A keep-alive connection with no request in progress is closed after this.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            head: Duration::from_secs(30),
            idle: Duration::from_secs(120),
        }
    }
}

/// What the HTTP service tells the connection it runs on: when a request is in progress.
#[derive(Debug)]
pub struct Activity {
    inner: Mutex<ActivityState>,
}

#[derive(Debug)]
struct ActivityState {
    in_request: bool,
    served: u64,
    /// When the connection last became idle (accepted, or a response finished).
    idle_since: Instant,
    /// The first byte of the next head, when one has arrived.
    head_started: Option<Instant>,
}

impl Activity {
    /// A new connection's activity, idle since now.
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            inner: Mutex::new(ActivityState {
                in_request: false,
                served: 0,
                idle_since: Instant::now(),
                head_started: None,
            }),
        })
    }

    /// A request started (its head was read): no read deadline while it runs.
    pub fn begin(&self) -> RequestGuard<'_> {
        let mut s = self.inner.lock();
        s.in_request = true;
        s.head_started = None;
        RequestGuard { activity: self }
    }

    fn bytes_read(&self) {
        let mut s = self.inner.lock();
        if !s.in_request && s.head_started.is_none() {
            s.head_started = Some(Instant::now());
        }
    }

    fn read_deadline(&self, t: Timeouts) -> Option<Instant> {
        let s = self.inner.lock();
        if s.in_request {
            None
        } else if let Some(h) = s.head_started {
            Some(h + t.head)
        } else if s.served == 0 {
            Some(s.idle_since + t.head)
        } else {
            Some(s.idle_since + t.idle)
        }
    }
}

/// Marks the end of a request when dropped.
pub struct RequestGuard<'a> {
    activity: &'a Activity,
}

impl Drop for RequestGuard<'_> {
    fn drop(&mut self) {
        let mut s = self.activity.inner.lock();
        s.in_request = false;
        s.served += 1;
        s.idle_since = Instant::now();
    }
}

fn timed_out(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, what.to_owned())
}

/// A connection's byte stream with the deadlines of [`Timeouts`] enforced on it.
pub struct TimedIo<S> {
    inner: S,
    activity: Arc<Activity>,
    timeouts: Timeouts,
    read_sleep: Pin<Box<Sleep>>,
    write_sleep: Option<Pin<Box<Sleep>>>,
}

impl<S> TimedIo<S> {
    /// Wraps `inner`; `activity` is shared with the service that runs on it.
    pub fn new(inner: S, activity: Arc<Activity>, timeouts: Timeouts) -> Self {
        TimedIo {
            inner,
            activity,
            timeouts,
            read_sleep: Box::pin(tokio::time::sleep(timeouts.head)),
            write_sleep: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TimedIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.activity.bytes_read();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let Some(deadline) = this.activity.read_deadline(this.timeouts) else {
                    return Poll::Pending;
                };
                if this.read_sleep.deadline() != deadline {
                    this.read_sleep.as_mut().reset(deadline);
                }
                match this.read_sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        Poll::Ready(Err(timed_out("connection idle or head too slow")))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> TimedIo<S> {
    /// Runs a write-side poll with the stall deadline.
    fn stalled<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(Pin<&mut S>, &mut Context<'_>) -> Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        match poll(Pin::new(&mut self.inner), cx) {
            Poll::Ready(r) => {
                self.write_sleep = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                let head = self.timeouts.head;
                let sleep = self
                    .write_sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(head)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(timed_out("write stalled"))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TimedIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.get_mut().stalled(cx, |s, cx| s.poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.get_mut().stalled(cx, |s, cx| s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.get_mut()
            .stalled(cx, |s, cx| s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Raises the soft limit on open files to the hard limit; returns the limit in force.
pub fn raise_nofile_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => Some(n),
        Err(e) => {
            tracing::warn!(error = %e, "could not raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|(soft, _)| soft)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_address_overall_and_for_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().expect("ip");
        let t = Tracker::new(ConnLimits {
            max_total: 5,
            max_per_ip: 2,
            trusted: vec![proxy],
            max_per_trusted: 3,
        });
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let a1 = t.admit(a).expect("first");
        let _a2 = t.admit(a).expect("second");
        assert_eq!(t.admit(a).err(), Some(Refused::PerAddress));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("ip");
        assert_eq!(
            t.admit(mapped).err(),
            Some(Refused::PerAddress),
            "one client"
        );
        let _p: Vec<_> = (0..3).map(|_| t.admit(proxy).expect("proxy")).collect();
        assert_eq!(t.admit(proxy).err(), Some(Refused::Total));
        drop(a1);
        assert_eq!(t.open(), 4);
        let _b = t
            .admit("192.0.2.2".parse().expect("ip"))
            .expect("room again");
        assert_eq!(t.refused(), 3);
    }
}
