//! Crash points for tests: `ROOST_CRASH_AT=<name>` makes roostd abort (as a
//! kill -9 would stop it) when it reaches the step of that name, so a test can
//! prove that a crash between any two steps of a multi-step write loses and
//! invents nothing. Unset, a crash point costs one comparison with `None`.

use std::sync::LazyLock;

static CRASH_AT: LazyLock<Option<String>> = LazyLock::new(|| {
    std::env::var("ROOST_CRASH_AT")
        .ok()
        .filter(|s| !s.is_empty())
});

/// Aborts the process if `ROOST_CRASH_AT` names this step.
pub fn crash_point(name: &str) {
    if CRASH_AT.as_deref() == Some(name) {
        eprintln!("roostd: crashing at {name} (ROOST_CRASH_AT)");
        std::process::abort();
    }
}
