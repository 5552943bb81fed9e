//! roostd's command line as scripts see it. (Being an integration test of this
//! crate, it also makes `cargo test --workspace` build the `roostd` binary that
//! the end-to-end tests in `roost-tests` run.)

use std::process::Command;

fn roostd(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_roostd"))
        .args(args)
        .output()
        .expect("running roostd")
}

#[test]
fn help_documents_every_flag_of_the_protocol_docs() {
    let out = roostd(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--socket <PATH>",
        "--socket-mode <MODE>",
        "--redis <URL>",
        "--namespace <PREFIX>",
        "--timeline-cap <N>",
        "--fanout-batch <N>",
        "ROOST_REDIS_URL",
        "ROOST_SOCKET",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }
}

#[test]
fn bad_flags_are_refused_with_a_reason() {
    for (args, says) in [
        (&["--socket-mode", "0777"][..], "0600 or 0666"),
        (&["--timeline-cap", "0"][..], "timeline-cap"),
        (&["--namespace", "a{b}"][..], "namespace"),
        (&["--no-such-flag"][..], "no-such-flag"),
    ] {
        let out = roostd(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn version_names_the_crate_version() {
    let out = roostd(&["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("roostd {}", env!("CARGO_PKG_VERSION"))
    );
}
