//! A minimal wire client: sends each line of standard input to the socket named
//! by the first argument and prints each answer line. The end-to-end tests run it
//! as another Unix user (with `setpriv`) to check identity rules.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;

fn main() -> std::io::Result<()> {
    let socket = std::env::args()
        .nth(1)
        .expect("usage: roost-wire SOCKET < requests");
    let stream = UnixStream::connect(&socket)?;
    let mut answers = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writer.write_all(line.as_bytes())?;
        writer.write_all(b"\n")?;
        let mut answer = String::new();
        if answers.read_line(&mut answer)? == 0 {
            break;
        }
        stdout.lock().write_all(answer.as_bytes())?;
    }
    Ok(())
}
