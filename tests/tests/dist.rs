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

/// The Debian package's metadata (tui/Cargo.toml, `[package.metadata.deb]`)
/// names only files that exist or that `dist/deb/build --assets-only` makes,
/// installs both binaries where the unit runs roostd from, and its maintainer
/// scripts are executable shell that creates the user and enables roostd.
#[test]
fn the_debian_package_holds_what_a_host_needs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(root.join("tui/Cargo.toml")).unwrap()).unwrap();
    let deb = &manifest["package"]["metadata"]["deb"];
    assert_eq!(deb["name"].as_str(), Some("roost"));
    let depends = deb["depends"].as_str().unwrap();
    assert!(depends.contains("redis-server"), "{depends}");

    // The generated assets, made from this build's binaries.
    let bins = tempfile::tempdir().unwrap();
    for bin in [roost_tests::roost_bin(), roostd_bin()] {
        std::os::unix::fs::symlink(&bin, bins.path().join(bin.file_name().unwrap())).unwrap();
    }
    let out = Command::new(root.join("dist/deb/build"))
        .arg("--assets-only")
        .env("ROOST_BIN_DIR", bins.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dist/deb/build --assets-only: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut dests = Vec::new();
    for asset in deb["assets"].as_array().unwrap() {
        let [src, dest, mode] = asset.as_array().unwrap().as_slice() else {
            panic!("an asset is [source, destination, mode]: {asset:?}")
        };
        let (src, dest, mode) = (
            src.as_str().unwrap(),
            dest.as_str().unwrap(),
            mode.as_str().unwrap(),
        );
        let file = match src.strip_prefix("target/release/") {
            Some(built) => bins.path().join(built),
            None => root.join("tui").join(src),
        };
        let size = std::fs::metadata(&file)
            .unwrap_or_else(|e| panic!("asset {src} ({}): {e}", file.display()))
            .len();
        assert!(size > 0, "asset {src} is empty");
        assert!(mode == "644" || mode == "755", "{src}: mode {mode}");
        dests.push(dest.to_owned());
    }
    for wanted in [
        "usr/bin/",
        "usr/lib/systemd/system/roostd.service",
        "usr/lib/sysusers.d/roost.conf",
        "usr/share/man/man1/roost.1",
        "usr/share/man/man8/roostd.8",
        "usr/share/bash-completion/completions/roost",
        "usr/share/zsh/vendor-completions/_roost",
        "usr/share/fish/vendor_completions.d/roost.fish",
    ] {
        assert!(
            dests.iter().any(|d| d == wanted),
            "nothing installs {wanted}"
        );
    }
    let binaries = deb["assets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a[1].as_str() == Some("usr/bin/"))
        .count();
    assert_eq!(binaries, 2, "both roost and roostd in /usr/bin");
    let unit = std::fs::read_to_string(root.join("dist/systemd/roostd.service")).unwrap();
    assert!(
        unit.contains("ExecStart=/usr/bin/roostd "),
        "the unit runs the packaged roostd"
    );
    let man = std::fs::read_to_string(bins.path().join("dist/roost.1")).unwrap();
    assert!(man.contains(".TH roost"), "roost(1) is a man page");

    // Maintainer scripts: executable, valid shell, doing their part.
    let scripts = root
        .join("tui")
        .join(deb["maintainer-scripts"].as_str().unwrap());
    for (name, must) in [
        (
            "postinst",
            ["systemd-sysusers", "systemctl enable roostd.service"],
        ),
        ("prerm", ["systemctl stop roostd.service", "remove"]),
        ("postrm", ["purge", "/var/lib/roost"]),
    ] {
        let path = scripts.join(name);
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&path).unwrap().permissions(),
        );
        assert!(mode & 0o111 != 0, "{name} is not executable");
        let text = std::fs::read_to_string(&path).unwrap();
        for m in must {
            assert!(text.contains(m), "{name} lacks {m}");
        }
        let syntax = Command::new("sh").arg("-n").arg(&path).status().unwrap();
        assert!(syntax.success(), "{name} is not valid sh");
    }
}
