//! Credentials: the slow password hash at rest, the login digest (4-way login), random ids.

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use md5::Digest as _;
use rand::RngCore;

/// Cost of the password hash (argon2id). Stored in every hash, so changing it only affects new
/// and changed passwords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
}

impl Default for HashCost {
    /// OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        HashCost {
            memory_kib: 19 * 1024,
            iterations: 2,
        }
    }
}

/// Hashes a password (argon2id, random salt) into a PHC string.
pub fn hash_password(password: &str, cost: HashCost) -> Result<String, String> {
    let params =
        Params::new(cost.memory_kib, cost.iterations, 1, None).map_err(|e| e.to_string())?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

thread_local! {
    /// The argon2 working memory of this thread, reused from one check to the next: a fresh
    /// 19 MiB allocation per login fragments the allocator's arenas (measured: gigabytes of
    /// resident memory after a thousand concurrent logins).
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Checks a password against a PHC string (parameters come from the string). Call it from a
/// bounded pool of threads: each thread keeps the hash's working memory for reuse.
pub fn verify_password(hash: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(params), Some(expected), Some(salt)) =
        (Params::try_from(&parsed), parsed.hash, parsed.salt)
    else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    let ok = BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        let need = params.block_count();
        if blocks.len() < need {
            blocks.resize(need, argon2::Block::new());
        }
        argon
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut out,
                &mut blocks[..need],
            )
            .is_ok()
    });
    ok && out.len() == expected.as_bytes().len()
        && out
            .iter()
            .zip(expected.as_bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The digest schemes offered, in order of preference, by their CSP names.
pub const DIGEST_SCHEMES: [&str; 2] = ["SHA", "MD5"];

/// Picks the scheme to use from those a client offered (case-insensitive).
pub fn choose_scheme(offered: &[String]) -> Option<&'static str> {
    DIGEST_SCHEMES
        .into_iter()
        .find(|s| offered.iter().any(|o| o.trim().eq_ignore_ascii_case(s)))
}

/// `DigestBytes` as a client computes it: base64(H(nonce ‖ password)), the password as
/// Latin-1 when it fits (as Android and Nokia encode it), else UTF-8.
pub fn digest(scheme: &str, nonce: &str, password: &str) -> Option<String> {
    let mut input = nonce.as_bytes().to_vec();
    if password.chars().all(|c| (c as u32) < 256) {
        input.extend(password.chars().map(|c| c as u8));
    } else {
        input.extend_from_slice(password.as_bytes());
    }
    let hash: Vec<u8> = if scheme.eq_ignore_ascii_case("MD5") {
        md5::Md5::digest(&input).to_vec()
    } else if scheme.eq_ignore_ascii_case("SHA") {
        sha1::Sha1::digest(&input).to_vec()
    } else {
        return None;
    };
    Some(base64::engine::general_purpose::STANDARD.encode(hash))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `n` random bytes from the OS CSPRNG, as lower-case hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_round_trip() {
        let cost = HashCost {
            memory_kib: 64,
            iterations: 1,
        };
        let h = hash_password("s3cret", cost).expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "s3cret"));
        assert!(!verify_password(&h, "S3cret"));
        assert!(!verify_password("garbage", "s3cret"));
        assert_ne!(hash_password("s3cret", cost).expect("hash"), h, "salted");
    }

    #[test]
    fn digest_matches_known_values() {
        // MD5("abcpassword") and SHA-1("abcpassword"), base64.
        assert_eq!(
            digest("MD5", "abc", "password").expect("md5"),
            base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(b"abcpassword"))
        );
        assert_eq!(
            digest("sha", "abc", "password").expect("sha"),
            base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(b"abcpassword"))
        );
        // Latin-1 password bytes, not UTF-8.
        assert_eq!(
            digest("MD5", "n", "é").expect("md5"),
            base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest([b'n', 0xE9]))
        );
        assert_eq!(digest("MD4", "n", "p"), None);
        assert_eq!(choose_scheme(&["md5".into(), "SHA".into()]), Some("SHA"));
        assert_eq!(choose_scheme(&["MD5".into()]), Some("MD5"));
        assert_eq!(choose_scheme(&["PWD".into()]), None);
    }
}
