//! Where the daemon's socket lives, by the rules of the protocol: `ROOST_SOCKET`,
//! else `$XDG_RUNTIME_DIR/roost/roostd.sock`, else a per-user directory, and the
//! shared host's system daemon at [`SYSTEM_SOCKET`].

use std::path::PathBuf;

/// Environment variable that overrides the socket path for clients and roostd.
pub const SOCKET_ENV: &str = "ROOST_SOCKET";
/// The system daemon of a shared host.
pub const SYSTEM_SOCKET: &str = "/run/roost/roostd.sock";
/// File name of the JSON-lines socket inside the runtime directory.
pub const SOCKET_NAME: &str = "roostd.sock";
/// File name of the HTTP streaming socket beside it.
pub const HTTP_SOCKET_NAME: &str = "roostd-http.sock";

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "roost")
}

/// The per-user runtime directory: `$XDG_RUNTIME_DIR/roost`, else the user's
/// cache directory for roost, else `/tmp/roost-<user>`.
pub fn runtime_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("roost");
    }
    match project() {
        Some(p) => p.runtime_dir().unwrap_or(p.cache_dir()).to_path_buf(),
        None => {
            let user = std::env::var("USER").unwrap_or_else(|_| "user".into());
            std::env::temp_dir().join(format!("roost-{user}"))
        }
    }
}

/// The per-user data directory (`~/.local/share/roost`), where a private
/// redis-server keeps its files.
pub fn data_dir() -> PathBuf {
    match project() {
        Some(p) => p.data_dir().to_path_buf(),
        None => runtime_dir().join("data"),
    }
}

/// The per-user socket path (ignoring `ROOST_SOCKET`).
pub fn user_socket() -> PathBuf {
    runtime_dir().join(SOCKET_NAME)
}

/// `ROOST_SOCKET` if set, else the per-user socket path.
pub fn default_socket() -> PathBuf {
    std::env::var_os(SOCKET_ENV)
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(user_socket)
}
