//! Who is calling: the Unix uid from the socket's peer credentials (never what
//! the client claims), whether that uid is an operator, and its user name; and
//! for TCP, where there are no peer credentials, the bearer tokens.

use std::ffi::CStr;
use std::io::Read;

use sha2::{Digest, Sha256};

/// The caller of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub uid: u32,
    /// Root or the uid roostd runs as: may act `as` any account and register bots.
    pub operator: bool,
}

impl Peer {
    pub fn new(uid: u32) -> Peer {
        Peer {
            uid,
            operator: uid == 0 || uid == daemon_uid(),
        }
    }
}

/// The effective uid roostd runs as.
pub fn daemon_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Runs a reentrant user or group database lookup (`get*_r`) with a buffer
/// that grows while the lookup says it is too small.
fn lookup<T>(mut call: impl FnMut(&mut [u8]) -> (libc::c_int, Option<T>)) -> Option<T> {
    let mut buf = vec![0u8; 4096];
    loop {
        let (rc, found) = call(&mut buf);
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        return if rc == 0 { found } else { None };
    }
}

/// The login name of a Unix uid, from the system's user database.
pub fn unix_user_name(uid: u32) -> Option<String> {
    lookup(|buf| {
        // SAFETY: an all-zero passwd is a valid value for getpwuid_r to fill in.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the duration of the call and buf's
        // length is passed along with it.
        let rc = unsafe {
            libc::getpwuid_r(
                uid,
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut result,
            )
        };
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return (rc, None);
        }
        // SAFETY: on success pw_name points to a NUL-terminated string inside buf.
        let name = unsafe { CStr::from_ptr(pwd.pw_name) };
        (rc, name.to_str().ok().map(str::to_owned))
    })
}

/// The id of a Unix group, from the system's group database.
pub fn group_id(name: &str) -> Option<u32> {
    let cname = std::ffi::CString::new(name).ok()?;
    lookup(|buf| {
        // SAFETY: an all-zero group is a valid value for getgrnam_r to fill in.
        let mut grp: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call and buf's length is passed.
        let rc = unsafe {
            libc::getgrnam_r(
                cname.as_ptr(),
                &mut grp,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut result,
            )
        };
        (rc, (!result.is_null()).then_some(grp.gr_gid))
    })
}

/// `N` bytes from the kernel's random source.
pub fn random_bytes<const N: usize>() -> std::io::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes)
}

/// A new bearer token: 32 random bytes, hex.
pub fn new_token() -> std::io::Result<String> {
    Ok(random_bytes::<32>()?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// How a token is stored: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_named_and_an_operator() {
        assert_eq!(unix_user_name(0).as_deref(), Some("root"));
        assert!(Peer::new(0).operator);
        assert!(Peer::new(daemon_uid()).operator);
    }
}
