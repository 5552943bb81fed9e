//! What a shared host installs (issue 12): the systemd unit passes
//! `systemd-analyze verify`.

use std::process::Command;

use roost_tests::roostd_bin;

#[test]
fn the_systemd_unit_verifies() {
    let unit = include_str!("../../dist/systemd/roostd.service");
    // As installed, with the binary this build made in its place.
    let unit = unit.replace("/usr/bin/roostd", &roostd_bin().display().to_string());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roostd.service");
    std::fs::write(&path, unit).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .expect("systemd-analyze must be installed for the tests (apt-get install systemd)");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify: {said}");
    assert!(!said.contains("Unknown"), "{said}");
}
