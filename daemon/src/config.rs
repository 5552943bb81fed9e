//! Command-line flags of `roostd` (see "Running roostd" in the protocol docs).

use std::path::PathBuf;

use clap::Parser;

/// roostd: the Roost social network daemon. Owns all data in Redis and serves
/// the JSON-lines protocol on a Unix socket.
#[derive(Debug, Clone, Parser)]
#[command(name = "roostd", version, about, long_about = None)]
pub struct Config {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The JSON-lines socket [default: $XDG_RUNTIME_DIR/roost/roostd.sock]
    #[arg(long, env = "ROOST_SOCKET", value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// Permissions of the socket: 0600 (one user) or 0666 (a shared host: every
    /// local user connects, identity from peer credentials); 0660 with
    /// --socket-group
    #[arg(long, default_value = "0600", value_parser = parse_mode, value_name = "MODE")]
    pub socket_mode: u32,

    /// Only this group's members may connect (the sockets get mode 0660)
    #[arg(long, value_name = "NAME")]
    pub socket_group: Option<String>,

    /// The HTTP streaming socket [default: beside --socket, `<name>-http.sock`]
    #[arg(long, value_name = "PATH")]
    pub http_socket: Option<PathBuf>,

    /// Also serve the HTTP streaming API on TCP at this address (bearer tokens
    /// from the `token` op required), e.g. 127.0.0.1:8080
    #[arg(long, value_name = "ADDR")]
    pub http: Option<std::net::SocketAddr>,

    /// Redis to use: redis://host:port/db or redis+unix:///path. Absent: roostd
    /// starts a private redis-server (data in the user's data directory) and stops
    /// it when it exits
    #[arg(long, env = "ROOST_REDIS_URL", value_name = "URL", global = true)]
    pub redis: Option<String>,

    /// A Redis command that takes longer fails its request with `unavailable`
    /// (Redis stopped, or unreachable)
    #[arg(long, default_value_t = 3_000, value_parser = clap::value_parser!(u64).range(100..), value_name = "MS")]
    pub redis_timeout_ms: u64,

    /// Answer a request that writes only once N replicas have its writes
    /// (Redis WAIT, on every master of a cluster), so a failover loses no
    /// acknowledged write; past --replica-ack-timeout-ms the request fails
    /// with `unavailable` (what it wrote stays). 0: off, as Redis does by
    /// default (a failover may lose the last writes a master acknowledged)
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub replica_ack: u32,

    /// How long a write waits for --replica-ack replicas
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..), value_name = "MS")]
    pub replica_ack_timeout_ms: u64,

    /// Use a Redis Cluster: comma-separated seed nodes (host:port or
    /// redis://host:port). Several roostd may share one cluster
    #[arg(
        long,
        value_name = "URLS",
        value_delimiter = ',',
        conflicts_with = "redis",
        global = true
    )]
    pub redis_cluster: Vec<String>,

    /// Prefix of every key, so several networks can share one Redis
    #[arg(long, default_value = "roost", value_parser = parse_namespace, value_name = "PREFIX", global = true)]
    pub namespace: String,

    /// Newest N statuses kept in each home timeline
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000), value_name = "N")]
    pub timeline_cap: u32,

    /// Followers written per fan-out pass; the first pass runs before `post`
    /// answers, the rest as durable jobs
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000), value_name = "N")]
    pub fanout_batch: u32,

    /// Followers from which an account's posts are no longer copied into
    /// every follower's home but merged into their home reads; it goes back
    /// to copying below half this (0: always copy)
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub celebrity_threshold: u64,

    /// Background job workers (fan-out, delete cleanup, timeline refill)
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64), value_name = "N")]
    pub workers: u16,

    /// Pause between deferred fan-out passes, to spread the load of a huge
    /// fan-out over time (0: none)
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub fanout_pace_ms: u64,

    /// A job left unacknowledged this long by another worker (a dead roostd) is
    /// taken over
    #[arg(long, default_value_t = 30_000, value_name = "MS")]
    pub job_claim_idle_ms: u64,

    /// Failures (with Redis answering) after which a job is parked for
    /// `roostd check` instead of tried again
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub job_attempts: u32,

    /// The pause after a job's first failure; it doubles with each next one (to 60 s)
    #[arg(long, default_value_t = 500, value_name = "MS")]
    pub job_retry_ms: u64,

    /// Events the event log keeps at least (streams resume from within it)
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1000..), value_name = "N")]
    pub event_log_len: u64,

    /// Events queued per connection (or HTTP stream) before its subscriptions
    /// get `lagged`
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_000_000), value_name = "N")]
    pub sub_buffer: u64,

    /// A subscriber whose queue stays full this long is disconnected
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    pub stall_timeout_ms: u64,

    /// Most subscriptions on one connection
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub max_subs_per_connection: usize,

    /// Most subscriptions of one account (or unregistered Unix user) at once
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub max_subs_per_account: usize,

    /// Posts (replies and reposts included) one account may make in any 60 s;
    /// past it `rate_limited` with `retry_after` (0 turns it off; operators
    /// are exempt)
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub limit_posts: u32,

    /// Follows one account may make in any 60 s (0: no limit)
    #[arg(long, default_value_t = 60, value_name = "N")]
    pub limit_follows: u32,

    /// Likes one account may make in any 60 s (0: no limit)
    #[arg(long, default_value_t = 120, value_name = "N")]
    pub limit_likes: u32,

    /// Direct messages one account may send in any 60 s (0: no limit)
    #[arg(long, default_value_t = 60, value_name = "N")]
    pub limit_dms: u32,

    /// Reports one account may file in any 60 s (0: no limit)
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub limit_reports: u32,

    /// Interval of the blank-line keep-alive on HTTP streams
    #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..), value_name = "MS")]
    pub http_keepalive_ms: u64,

    /// Most client connections served at once, over every socket; more are
    /// refused with `rate_limited`
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_000_000), value_name = "N")]
    pub max_connections: u64,

    /// Most connections of one Unix user (or, on TCP, one address) at once;
    /// operators are exempt
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1_000_000), value_name = "N")]
    pub max_connections_per_uid: u64,

    /// Of --max-connections, the last N only go to users holding fewer than
    /// two, so one user can never lock the others out
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub connection_reserve: u64,

    /// A connection with no subscription that sends no request this long is closed
    #[arg(long, default_value_t = 300_000, value_parser = clap::value_parser!(u64).range(1..), value_name = "MS")]
    pub idle_timeout_ms: u64,

    /// Response bytes queued per connection for a client that does not read;
    /// past them roostd reads no more of its requests (and after the stall
    /// timeout disconnects it)
    #[arg(long, default_value_t = 1 << 20, value_parser = clap::value_parser!(u32).range(1024..), value_name = "BYTES")]
    pub max_queued_bytes: u32,

    /// On SIGTERM, how long connections and HTTP streams get to finish before
    /// they are closed
    #[arg(long, default_value_t = 5_000, value_name = "MS")]
    pub shutdown_grace_ms: u64,

    /// An HTTP client must send a request's headers within this time
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..), value_name = "MS")]
    pub http_header_timeout_ms: u64,

    /// Longest request line in bytes; a longer one gets `too_large` and the
    /// connection is closed
    #[arg(long, default_value_t = roost_shared::MAX_LINE_BYTES, value_name = "BYTES")]
    pub max_line: usize,
}

/// What roostd does instead of serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Check the data for broken invariants (counts, one-sided follows, ids
    /// of missing statuses, dangling map entries, parked jobs); exit 1 if any
    Check {
        /// Fix what is found
        #[arg(long)]
        repair: bool,
    },
    /// Write the whole network to standard output as JSON lines, from a live
    /// daemon's Redis without stopping it (a backup, or a move to a cluster)
    Export,
    /// Load an export from standard input into an empty namespace
    Import,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the roostd(8) manual page (roff)
    Man,
}

impl Command {
    /// Prints what `completions` or `man` makes; false for other commands.
    pub fn print_offline(&self) -> std::io::Result<bool> {
        use clap::CommandFactory;
        use std::io::Write;
        let mut text = Vec::new();
        match self {
            Command::Completions { shell } => {
                clap_complete::generate(*shell, &mut Config::command(), "roostd", &mut text)
            }
            Command::Man => clap_mangen::Man::new(Config::command())
                .section("8")
                .render(&mut text)?,
            Command::Check { .. } | Command::Export | Command::Import => return Ok(false),
        }
        std::io::stdout().write_all(&text)?;
        Ok(true)
    }
}

fn parse_mode(text: &str) -> Result<u32, String> {
    match text {
        "0600" | "600" => Ok(0o600),
        "0666" | "666" => Ok(0o666),
        "0660" | "660" => Ok(0o660),
        _ => Err("socket mode must be 0600 or 0666 (0660 with --socket-group)".into()),
    }
}

fn parse_namespace(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b));
    if ok {
        Ok(text.to_owned())
    } else {
        Err("namespace must be 1 to 64 characters of letters, digits and _-.:".into())
    }
}

impl Config {
    /// The socket path: `--socket`, `ROOST_SOCKET`, or the per-user default.
    pub fn socket_path(&self) -> PathBuf {
        self.socket
            .clone()
            .unwrap_or_else(roost_shared::paths::user_socket)
    }

    /// The HTTP socket path: `--http-socket`, or `<name>-http.sock` beside the socket.
    pub fn http_socket_path(&self) -> PathBuf {
        if let Some(path) = &self.http_socket {
            return path.clone();
        }
        let socket = self.socket_path();
        let stem = socket
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "roostd".into());
        socket.with_file_name(format!("{stem}-http.sock"))
    }

    pub fn http_keepalive(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.http_keepalive_ms)
    }

    pub fn stall_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.stall_timeout_ms)
    }

    pub fn idle_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.idle_timeout_ms)
    }

    pub fn shutdown_grace(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.shutdown_grace_ms)
    }

    pub fn http_header_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.http_header_timeout_ms)
    }

    /// Queue length per connection, as a channel capacity.
    pub fn sub_buffer(&self) -> usize {
        self.sub_buffer as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_and_subcommand_has_help() {
        use clap::CommandFactory;
        roost_tests::assert_all_helped(&Config::command(), "roostd");
    }

    /// The command lines of the shipped systemd units are roostd's own flags.
    #[test]
    fn the_units_command_lines_parse() {
        for unit in [
            include_str!("../../dist/systemd/roostd.service"),
            include_str!("../../dist/systemd/distro-redis.conf.example"),
        ] {
            let exec = unit
                .lines()
                .filter_map(|l| l.strip_prefix("ExecStart="))
                .rfind(|l| !l.is_empty())
                .expect("an ExecStart");
            let args: Vec<&str> = exec.split_whitespace().collect();
            assert_eq!(args[0], "/usr/bin/roostd");
            let config = Config::try_parse_from(&args).unwrap_or_else(|e| panic!("{exec}: {e}"));
            assert_eq!(
                config.socket_path(),
                std::path::Path::new(roost_shared::paths::SYSTEM_SOCKET)
            );
        }
    }

    #[test]
    fn flags_parse_and_validate() {
        let c =
            Config::try_parse_from(["roostd", "--socket", "/tmp/x.sock", "--socket-mode", "0666"])
                .unwrap();
        assert_eq!(c.socket_mode, 0o666);
        assert_eq!(c.timeline_cap, 1000);
        assert_eq!(c.fanout_batch, 1000);
        assert_eq!(c.celebrity_threshold, 10_000);
        assert_eq!(c.namespace, "roost");
        assert!(Config::try_parse_from(["roostd", "--socket-mode", "0777"]).is_err());
        assert!(Config::try_parse_from(["roostd", "--namespace", "a{b}"]).is_err());
        assert!(Config::try_parse_from(["roostd", "--timeline-cap", "0"]).is_err());
    }
}
