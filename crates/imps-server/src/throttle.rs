//! Password guessing is throttled before it costs anything: token buckets per source address
//! (every login attempt) and per account and source address (failed attempts), checked before
//! the password hash runs. An account under attack from some addresses is slowed there only:
//! its owner logging in from elsewhere is not locked out.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::Instant;

use parking_lot::Mutex;

/// Throttle settings.
#[derive(Clone, Debug, PartialEq)]
pub struct LoginLimits {
    /// Login attempts one address may make at once…
    pub per_ip_burst: f64,
    /// …and per second after that.
    pub per_ip_rate: f64,
    /// Failed logins of one account from one address at once…
    pub failures_burst: f64,
    /// …and per second after that.
    pub failures_rate: f64,
    /// Addresses carrying many clients (trusted proxies): their buckets are this much larger.
    pub trusted: Vec<IpAddr>,
    /// How much larger.
    pub trusted_factor: f64,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            per_ip_burst: 30.0,
            per_ip_rate: 2.0,
            failures_burst: 5.0,
            failures_rate: 1.0 / 60.0,
            trusted: Vec::new(),
            trusted_factor: 100.0,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Most buckets kept per map: beyond, full (idle) buckets are forgotten first.
const MAX_BUCKETS: usize = 100_000;

#[derive(Debug)]
struct Buckets<K> {
    map: HashMap<K, Bucket>,
}

impl<K: Eq + Hash + Clone> Buckets<K> {
    fn new() -> Self {
        Buckets {
            map: HashMap::new(),
        }
    }

    /// The bucket's tokens now (refilled), without taking any.
    fn level(&mut self, key: &K, burst: f64, rate: f64, now: Instant) -> f64 {
        match self.map.get_mut(key) {
            Some(b) => {
                let dt = now.saturating_duration_since(b.at).as_secs_f64();
                b.tokens = (b.tokens + dt * rate).min(burst);
                b.at = now;
                b.tokens
            }
            None => burst,
        }
    }

    /// Takes one token; false when there is none.
    fn take(&mut self, key: &K, burst: f64, rate: f64, now: Instant) -> bool {
        let level = self.level(key, burst, rate, now);
        if level < 1.0 {
            return false;
        }
        if self.map.len() >= MAX_BUCKETS && !self.map.contains_key(key) {
            self.sweep(burst, rate, now);
        }
        self.map.insert(
            key.clone(),
            Bucket {
                tokens: level - 1.0,
                at: now,
            },
        );
        true
    }

    /// Forgets buckets that refilled (they say nothing any more); if none did, the fullest.
    fn sweep(&mut self, burst: f64, rate: f64, now: Instant) {
        self.map.retain(|_, b| {
            let dt = now.saturating_duration_since(b.at).as_secs_f64();
            b.tokens + dt * rate < burst
        });
        if self.map.len() >= MAX_BUCKETS {
            let drop_n = self.map.len() / 10 + 1;
            let mut keys: Vec<(K, f64)> = self
                .map
                .iter()
                .map(|(k, b)| (k.clone(), b.tokens))
                .collect();
            keys.sort_by(|a, b| b.1.total_cmp(&a.1));
            for (k, _) in keys.into_iter().take(drop_n) {
                self.map.remove(&k);
            }
        }
    }
}

/// Why a login was refused before its password was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Throttled {
    /// Too many login attempts from the address.
    Address,
    /// Too many failed logins of this account from the address.
    Account,
}

/// The login throttle.
#[derive(Debug)]
pub struct LoginThrottle {
    limits: LoginLimits,
    per_ip: Mutex<Buckets<IpAddr>>,
    failures: Mutex<Buckets<(String, IpAddr)>>,
}

impl LoginThrottle {
    /// A throttle with `limits`.
    pub fn new(limits: LoginLimits) -> Self {
        LoginThrottle {
            limits,
            per_ip: Mutex::new(Buckets::new()),
            failures: Mutex::new(Buckets::new()),
        }
    }

    fn factor(&self, ip: IpAddr) -> f64 {
        if self.limits.trusted.contains(&ip) {
            self.limits.trusted_factor
        } else {
            1.0
        }
    }

    /// Whether a login of `user` from `ip` may run its password check now (takes a token of
    /// the address's bucket).
    pub fn check(&self, ip: IpAddr, user: &str) -> Result<(), Throttled> {
        let now = Instant::now();
        let f = self.factor(ip);
        let l = &self.limits;
        let key = (user.to_owned(), ip);
        if self
            .failures
            .lock()
            .level(&key, l.failures_burst * f, l.failures_rate * f, now)
            < 1.0
        {
            return Err(Throttled::Account);
        }
        if !self
            .per_ip
            .lock()
            .take(&ip, l.per_ip_burst * f, l.per_ip_rate * f, now)
        {
            return Err(Throttled::Address);
        }
        Ok(())
    }

    /// Records a failed login of `user` from `ip`.
    pub fn failed(&self, ip: IpAddr, user: &str) {
        let f = self.factor(ip);
        let l = &self.limits;
        let _ = self.failures.lock().take(
            &(user.to_owned(), ip),
            l.failures_burst * f,
            l.failures_rate * f,
            Instant::now(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_slow_one_source_for_one_account_only() {
        let t = LoginThrottle::new(LoginLimits {
            failures_burst: 3.0,
            failures_rate: 0.0,
            ..LoginLimits::default()
        });
        let attacker: IpAddr = "192.0.2.66".parse().expect("ip");
        let owner: IpAddr = "198.51.100.7".parse().expect("ip");
        for _ in 0..3 {
            assert_eq!(t.check(attacker, "alice"), Ok(()));
            t.failed(attacker, "alice");
        }
        assert_eq!(t.check(attacker, "alice"), Err(Throttled::Account));
        assert_eq!(
            t.check(owner, "alice"),
            Ok(()),
            "the owner elsewhere is not locked out"
        );
        assert_eq!(
            t.check(attacker, "bob"),
            Ok(()),
            "another account from there"
        );
    }

    #[test]
    fn attempts_per_address_are_bounded_trusted_proxies_more() {
        let proxy: IpAddr = "10.0.0.1".parse().expect("ip");
        let t = LoginThrottle::new(LoginLimits {
            per_ip_burst: 2.0,
            per_ip_rate: 0.0,
            trusted: vec![proxy],
            trusted_factor: 10.0,
            ..LoginLimits::default()
        });
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        assert!(t.check(a, "x").is_ok());
        assert!(t.check(a, "y").is_ok());
        assert_eq!(t.check(a, "z"), Err(Throttled::Address));
        for i in 0..20 {
            assert!(t.check(proxy, &format!("u{i}")).is_ok(), "{i}");
        }
        assert_eq!(t.check(proxy, "u21"), Err(Throttled::Address));
    }
}
