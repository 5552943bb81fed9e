use std::process::ExitCode;

use clap::Parser;
use roost::cli::{self, Cli};
use roost::client::{self, Client};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Cli::parse();
    if matches!(args.command, Some(cli::Sub::Doctor)) {
        return if roost::doctor::run().await {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    if let Some(sub) = args.command.as_ref().filter(|s| s.offline()) {
        return match cli::print_offline(sub) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("roost: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let socket = match client::locate_or_start().await {
        Ok(socket) => socket,
        Err(e) => {
            eprintln!("roost: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    match args.command {
        Some(sub) => {
            let (client, events) = match Client::connect(&socket).await {
                Ok(c) => c,
                Err(e) => {
                    eprintln!(
                        "roost: unavailable: cannot reach roostd at {}: {e}",
                        socket.display()
                    );
                    return ExitCode::FAILURE;
                }
            };
            ExitCode::from(cli::run(client, events, args.json, sub).await as u8)
        }
        None => match roost::run::run(socket).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("roost: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}
