//! `roost-bench` works: a quick run goes through every scenario and prints
//! the table, every row with its figure. (Its figures mean nothing in a debug
//! build on a busy machine; the README's come from a release run.)

use std::process::Command;

#[test]
fn roost_bench_quick_prints_every_row_of_the_table() {
    let bin = roost_tests::target_binary("roost-bench");
    let out = Command::new(&bin)
        .arg("--quick")
        .env("ROOSTD_BIN", roost_tests::roostd_bin())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", bin.display()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("| what |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    for row in [
        "home page of 30 over the socket, sequential",
        "home page reads, 64 clients at once",
        "home page of 30 merging 20 big accounts",
        "register + follow",
        "fan-out of one status to 200 followers (copied), one Redis",
        "post by an account with 201 followers",
        "fan-out to 200 followers (copied), 3-master Redis Cluster",
        "post-to-event, 20 subscribers all matching",
        "post-to-event, 20 subscribers, mixed filters",
    ] {
        let line = table
            .iter()
            .find(|l| l.contains(row))
            .unwrap_or_else(|| panic!("no row {row:?} in\n{text}"));
        let figure = line.split('|').nth(2).unwrap_or("").trim();
        assert!(
            figure.chars().any(|c| c.is_ascii_digit()),
            "row {row:?} has no figure: {line}"
        );
    }
    assert_eq!(table.len(), 9, "{text}");
    // The limits are measured in the same run, and the celebrity's post was
    // in every home when it answered (that row's goal is not about speed).
    assert!(
        text.contains("raw-bytes page read straight from Redis: median"),
        "{text}"
    );
    let celebrity = table
        .iter()
        .find(|l| l.contains("post by an account"))
        .unwrap();
    assert!(
        celebrity.contains("0 homes missing it") && celebrity.ends_with("| yes |"),
        "{celebrity}"
    );
}
