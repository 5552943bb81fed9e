//! Property runs of the parsers and the sanitiser: a short seeded run in every
//! `cargo test` (the same cases each time), and a long run on demand, drawing
//! new cases until the time is up:
//!
//! ```text
//! ROOST_FUZZ_SECS=600 cargo test --release -p roostd fuzz_ -- --nocapture
//! ROOST_FUZZ_SECS=600 cargo test --release -p roost fuzz_ -- --nocapture
//! ```
//!
//! Each prints how many cases it ran.

use std::fmt::Debug;
use std::time::{Duration, Instant};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

/// Strings matching `pattern`, the regex compiled once (a `&str` used as a
/// strategy compiles its regex again for every case).
pub fn regex(pattern: &str) -> proptest::string::RegexGeneratorStrategy<String> {
    proptest::string::string_regex(pattern).expect("a valid regex")
}

/// Cases per round.
const ROUND: u32 = 256;

/// Runs `test` on cases drawn from `strategy`: one seeded round, or rounds
/// with fresh seeds for `ROOST_FUZZ_SECS` seconds. Panics with the failing
/// case (shrunk).
pub fn fuzz<S>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: Debug,
{
    let secs: u64 = std::env::var("ROOST_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let start = Instant::now();
    let (mut executions, mut round) = (0u64, 0u64);
    loop {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&round.to_le_bytes());
        if secs > 0 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            seed[8..16].copy_from_slice(&nanos.to_le_bytes());
        }
        let config = Config {
            cases: ROUND,
            failure_persistence: None,
            ..Config::default()
        };
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
        let mut runner = TestRunner::new_with_rng(config, rng);
        match runner.run(&strategy, &test) {
            Ok(()) => {}
            Err(TestError::Fail(why, case)) => panic!("{name}: {why}\ncase: {case:?}"),
            Err(TestError::Abort(why)) => panic!("{name}: aborted: {why}"),
        }
        executions += u64::from(ROUND);
        round += 1;
        if start.elapsed() >= Duration::from_secs(secs) {
            break;
        }
    }
    eprintln!(
        "fuzz {name}: {executions} executions in {:.1?}",
        start.elapsed()
    );
}
