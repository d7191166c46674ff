//! `cargo xtask oracle` and the pg-oracle stage of `cargo xtask test`: a throw-away PostgreSQL 15
//! cluster on a free loopback port, the differential test of the simulator against it
//! (`crates/racelab-oracle`), and the server stopped again — also when something fails.
//!
//! The cluster lives in a fresh temporary directory (data, Unix socket, log). PostgreSQL refuses
//! to run as root, so as root the directory is given to the `postgres` user and every server
//! command runs through `runuser -u postgres --`. `initdb --locale=C` keeps messages in English
//! and text in bytewise order (the simulator models the "C" collation); fsync and friends are off
//! (they change durability, not answers).

use crate::install;
use crate::util::{self, cmd, run, Error, Result};
use crate::versions;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The scenarios the stage runs (relative to the repository root).
const SCENARIOS: &str = "crates/racelab-oracle/scenarios";

/// Ensures PostgreSQL 15, starts it, runs every scenario, stops it.
pub fn run_stage() -> Result<()> {
    install::ensure_postgres()?;
    let server = Server::start()?;
    println!(
        "postgres: {} on 127.0.0.1:{} ({})",
        versions::POSTGRES_MAJOR,
        server.port,
        server.dir.display()
    );
    let port = server.port.to_string();
    let result = run(cmd("cargo").args([
        "run",
        "-q",
        "-p",
        "racelab-oracle",
        "--",
        "--port",
        &port,
        SCENARIOS,
    ]));
    if result.is_err() {
        server.print_log_tail();
    }
    drop(server);
    result
}

/// A free TCP port on 127.0.0.1 (the kernel picks it; the listener is closed again at once).
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running cluster; dropping it stops the server and removes its directory.
struct Server {
    dir: PathBuf,
    port: u16,
    /// Run the server tools as the `postgres` user (we are root).
    as_postgres: bool,
    started: bool,
}

impl Server {
    fn start() -> Result<Server> {
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("racelab-pg-{}-{port}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        let mut server = Server {
            dir,
            port,
            as_postgres: util::is_root(),
            started: false,
        };
        if server.as_postgres {
            quiet(
                Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(&server.dir),
            )?;
        }
        let data = server.data();
        quiet(
            server
                .tool("initdb")
                .arg("-D")
                .arg(&data)
                .args(["-A", "trust", "-U", "postgres", "--no-sync"])
                .args(["--locale=C", "-E", "UTF8"]),
        )?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off",
            server.dir.display()
        );
        server.started = true; // from here on, Drop tries to stop it
        quiet(
            server
                .tool("pg_ctl")
                .arg("-D")
                .arg(&data)
                .args(["-o", &options, "-l"])
                .arg(server.log())
                .args(["-w", "-t", "60", "start"]),
        )
        .inspect_err(|_| server.print_log_tail())?;
        Ok(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// A server tool from the PostgreSQL 15 bin directory, as `postgres` when we are root.
    fn tool(&self, name: &str) -> Command {
        let bin = Path::new(versions::POSTGRES_BIN_DIR).join(name);
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin);
            c
        } else {
            Command::new(bin)
        };
        c.current_dir(&self.dir);
        c
    }

    fn print_log_tail(&self) {
        if let Ok(text) = std::fs::read_to_string(self.log()) {
            let lines: Vec<&str> = text.lines().collect();
            println!("--- last lines of {} ---", self.log().display());
            for l in &lines[lines.len().saturating_sub(20)..] {
                println!("{l}");
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // `postmaster.pid` exists while the server runs (pg_ctl start may have failed).
        if self.started && self.data().join("postmaster.pid").exists() {
            let data = self.data();
            if let Err(e) = quiet(
                self.tool("pg_ctl")
                    .arg("-D")
                    .arg(&data)
                    .args(["-m", "fast", "-w", "stop"]),
            ) {
                eprintln!(
                    "warning: could not stop PostgreSQL ({e}); its directory {} is kept",
                    self.dir.display()
                );
                return;
            }
            println!("postgres: stopped");
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs a command, capturing its output; on failure the error carries the output.
fn quiet(c: &mut Command) -> Result<()> {
    let shown = util::show(c);
    let out = c
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error(format!("could not start `{shown}`: {e}")))?;
    if !out.status.success() {
        return Err(Error(format!(
            "`{shown}` failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_bindable() {
        let p = free_port().unwrap();
        assert!(p > 0);
        TcpListener::bind(("127.0.0.1", p)).unwrap();
    }

    #[test]
    fn scenarios_directory_exists() {
        assert!(util::root().join(SCENARIOS).is_dir());
    }
}
