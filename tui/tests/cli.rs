//! roost's command line as scripts see it without a daemon. (Being an
//! integration test of this crate, it also makes `cargo test --workspace`
//! build the `roost` binary that the end-to-end tests in `roost-tests` run.)

use std::process::Command;

#[test]
fn help_lists_every_subcommand() {
    let out = Command::new(env!("CARGO_BIN_EXE_roost"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for sub in [
        "post",
        "delete",
        "timeline",
        "follow",
        "unfollow",
        "followers",
        "following",
        "user",
        "stream",
        "--json",
    ] {
        assert!(help.contains(sub), "--help lacks {sub}:\n{help}");
    }
}

#[test]
fn usage_errors_exit_2_and_an_unreachable_daemon_exits_1() {
    let bin = env!("CARGO_BIN_EXE_roost");
    let out = Command::new(bin)
        .args(["delete", "not-a-number"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(bin)
        .args(["user", "x"])
        .env("ROOST_SOCKET", "/nonexistent/roostd.sock")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("roost: unavailable:"),
        "{out:?}"
    );
}
