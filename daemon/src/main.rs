use std::process::ExitCode;

use clap::Parser;
use roostd::Config;

fn main() -> ExitCode {
    let config = Config::parse();
    if let Some(command) = &config.command {
        match command.print_offline() {
            Ok(true) => return ExitCode::SUCCESS,
            Ok(false) => {}
            Err(e) => {
                eprintln!("roostd: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ROOST_LOG")
                .unwrap_or_else(|_| "roostd=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    raise_fd_limit();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("roostd: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(roostd::config::Command::Check { repair }) = config.command {
        return match runtime.block_on(roostd::check(config, repair)) {
            Ok(0) => ExitCode::SUCCESS,
            Ok(_) if repair => ExitCode::SUCCESS,
            Ok(_) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("roostd check: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    if let Some(command @ (roostd::config::Command::Export | roostd::config::Command::Import)) =
        &config.command
    {
        let export = matches!(command, roostd::config::Command::Export);
        return match runtime.block_on(roostd::backup(config, export)) {
            Ok(done) => {
                eprintln!("roostd: {done}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("roostd: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    match runtime.block_on(roostd::run(config, shutdown_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("roostd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("installing the SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// Every connection and stream is a file descriptor: take the hard limit.
fn raise_fd_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
