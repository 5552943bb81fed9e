//! Fault points for tests: `ROOST_CRASH_AT=<name>` makes roostd abort (as a
//! kill -9 would stop it) when it reaches the step of that name, so a test can
//! prove that a crash between any two steps of a multi-step write loses and
//! invents nothing; `ROOST_PAUSE_AT=<name>:<ms>` makes it wait there, so a test
//! can land a racing request inside a window. Unset, a point costs one
//! comparison with `None`.

use std::sync::LazyLock;
use std::time::Duration;

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

static PAUSE_AT: LazyLock<Option<(String, Duration)>> = LazyLock::new(|| {
    let spec = std::env::var("ROOST_PAUSE_AT").ok()?;
    let (name, ms) = spec.rsplit_once(':')?;
    Some((name.to_owned(), Duration::from_millis(ms.parse().ok()?)))
});

/// Waits if `ROOST_PAUSE_AT` names this step.
pub async fn pause_point(name: &str) {
    if let Some((at, wait)) = PAUSE_AT.as_ref()
        && at == name
    {
        tokio::time::sleep(*wait).await;
    }
}
