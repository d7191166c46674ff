//! `cargo xtask oracle` and the pg-oracle stage of `cargo xtask test`: a throw-away PostgreSQL 15
//! cluster and a throw-away Redis 7 server on free loopback ports, the differential test of the
//! simulators against them (`crates/racelab-oracle`: the PostgreSQL scenarios, then the Redis
//! sequences), and both servers stopped again — also when something fails.
//!
//! Redis runs as a child process (`redis-server --port P --bind 127.0.0.1 --save '' --appendonly
//! no --daemonize no`) with its own temporary `--dir` and log file, so that it writes nothing
//! elsewhere and a system Redis on 6379, if the package started one, plays no part.
//!
//! The cluster lives in a fresh temporary directory (data, Unix socket, log). PostgreSQL refuses
//! to run as root, so as root the directory is given to the `postgres` user and every server
//! command runs through `runuser -u postgres --`. `initdb --locale=C` keeps messages in English
//! and text in bytewise order (the simulator models the "C" collation); fsync and friends are off
//! (they change durability, not answers).

use crate::install;
use crate::util::{self, cmd, run, Error, Result};
use crate::versions;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The scenarios the stage runs (relative to the repository root).
const SCENARIOS: &str = "crates/racelab-oracle/scenarios";

/// The Redis sequences the stage runs (relative to the repository root).
const SEQUENCES: &str = "crates/racelab-oracle/redis";

/// After the scenario files the stage runs this many random schedules (`racelab-oracle --random`,
/// about 70 s for 300 on the 2-core machine: 6 % need a 1.5 s `!wait`), from a fixed
/// seed so that a red stage is repeatable; a disagreement fails the stage and is kept, shrunk, in
/// `crates/racelab-oracle/found/`. Many more on demand: `cargo xtask oracle --random N --seed S`.
const CI_RANDOM_SCHEDULES: u64 = 300;
const CI_RANDOM_SEED: u64 = 1;
/// The isolation levels the CI schedules draw from: all three (seed 1's 300 schedules agree at
/// every level; a schedule PostgreSQL answers otherwise on a rerun is a race inside it, counted
/// as unstable, not failed).
const CI_RANDOM_LEVELS: &str = "rc,rr,ser";

/// Ensures PostgreSQL 15 and Redis 7, starts both, runs every scenario and every sequence, stops
/// both. The Redis sequences run even when a PostgreSQL scenario failed.
pub fn run_stage() -> Result<()> {
    install::ensure_postgres()?;
    install::ensure_redis()?;
    let server = Server::start()?;
    println!(
        "postgres: {} on 127.0.0.1:{} ({})",
        versions::POSTGRES_MAJOR,
        server.port,
        server.dir.display()
    );
    let redis = RedisServer::start()?;
    println!(
        "redis: {} on 127.0.0.1:{} ({})",
        versions::REDIS_MAJOR,
        redis.port,
        redis.dir.display()
    );
    let port = server.port.to_string();
    let pg = run(cmd("cargo").args([
        "run",
        "-q",
        "-p",
        "racelab-oracle",
        "--",
        "--port",
        &port,
        SCENARIOS,
    ]));
    let random = run(cmd("cargo").args([
        "run",
        "-q",
        "-p",
        "racelab-oracle",
        "--",
        "--port",
        &port,
        "--random",
        &CI_RANDOM_SCHEDULES.to_string(),
        "--seed",
        &CI_RANDOM_SEED.to_string(),
        "--levels",
        CI_RANDOM_LEVELS,
    ]));
    let pg = pg.and(random);
    if pg.is_err() {
        server.print_log_tail();
    }
    let redis_port = redis.port.to_string();
    let rd = run(cmd("cargo").args([
        "run",
        "-q",
        "-p",
        "racelab-oracle",
        "--",
        "--redis-port",
        &redis_port,
        SEQUENCES,
    ]));
    if rd.is_err() {
        redis.print_log_tail();
    }
    drop(redis);
    drop(server);
    pg.and(rd)
}

/// `cargo xtask oracle --random N [--seed S] [--levels L] [--keep DIR]`: a throw-away PostgreSQL
/// (no Redis) and only the random schedules; `args` go to `racelab-oracle` as they are (a
/// relative `--keep` is taken from the current directory).
pub fn run_random(args: &[String]) -> Result<()> {
    install::ensure_postgres()?;
    let mut args = args.to_vec();
    if let Some(i) = args.iter().position(|a| a == "--keep") {
        if let Some(dir) = args.get_mut(i + 1) {
            *dir = std::env::current_dir()?.join(&*dir).display().to_string();
        }
    }
    let server = Server::start()?;
    println!(
        "postgres: {} on 127.0.0.1:{} ({})",
        versions::POSTGRES_MAJOR,
        server.port,
        server.dir.display()
    );
    let port = server.port.to_string();
    // A disagreement is no server trouble: no log tail here.
    run(cmd("cargo")
        .args(["run", "-q", "-p", "racelab-oracle", "--", "--port", &port])
        .args(&args))
}

/// A throw-away `redis-server` child process; dropping it kills the process and removes its
/// directory.
struct RedisServer {
    dir: PathBuf,
    port: u16,
    child: Child,
}

impl RedisServer {
    fn start() -> Result<RedisServer> {
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("racelab-redis-{}-{port}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        let log = dir.join("redis.log");
        let mut c = Command::new(versions::REDIS_SERVER_BIN);
        c.arg("--port")
            .arg(port.to_string())
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--loglevel", "warning"])
            .arg("--dir")
            .arg(&dir)
            .arg("--logfile")
            .arg(&log)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let shown = util::show(&c);
        let child = c
            .spawn()
            .map_err(|e| Error(format!("could not start `{shown}`: {e}")))?;
        let mut server = RedisServer { dir, port, child };
        // From here on, Drop kills it. Wait until it answers PING.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                server.print_log_tail();
                return Err(Error(format!("`{shown}` exited at start-up ({status})")));
            }
            if ping(port) {
                return Ok(server);
            }
            if Instant::now() > deadline {
                server.print_log_tail();
                return Err(Error(format!(
                    "redis-server did not answer PING on 127.0.0.1:{port} within 20 s"
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn print_log_tail(&self) {
        let log = self.dir.join("redis.log");
        if let Ok(text) = std::fs::read_to_string(&log) {
            let lines: Vec<&str> = text.lines().collect();
            println!("--- last lines of {} ---", log.display());
            for l in &lines[lines.len().saturating_sub(20)..] {
                println!("{l}");
            }
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        match self.child.try_wait() {
            Ok(Some(status)) => println!("redis: had already exited ({status})"),
            _ => {
                let _ = self.child.kill();
                match self.child.wait() {
                    Ok(_) => println!("redis: stopped"),
                    Err(e) => eprintln!("warning: could not stop redis-server: {e}"),
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether a Redis server answers `PING` with `+PONG` on 127.0.0.1:`port`.
fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(500),
    ) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
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
        assert!(util::root().join(SEQUENCES).is_dir());
    }

    #[test]
    fn nothing_listening_is_no_pong() {
        let p = free_port().unwrap();
        assert!(!ping(p));
    }
}
