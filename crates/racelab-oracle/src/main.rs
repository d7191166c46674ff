//! `racelab-oracle [--host H] [--port P] [--user U] [-v] PATH...`: runs the scenario files
//! (directories: their `*.txt`, sorted) on PostgreSQL and on the simulator, prints one line per
//! scenario and ends with `N passed, M failed`. Exits 1 when a scenario fails, 2 on bad usage.
//!
//! `racelab-oracle [--host H] [--port P] [--user U] [-v] --random N [--seed S] [--first I]
//! [--keep DIR] [--levels rc,rr,ser]`: N random schedules instead of files (see `random`); one line per
//! disagreement (each is shrunk and kept as a scenario file in DIR, by default
//! `crates/racelab-oracle/found`), progress every 10 s, a summary with the rate. Exits 1 when a
//! schedule disagreed.
//!
//! `racelab-oracle --redis-port P [--host H] [-v] PATH...`: the same for Redis sequence files
//! (`redis/*.txt`) against a Redis server (it is FLUSHALLed before every sequence); ends with
//! `redis: N sequences, M agree` and exits 1 on any disagreement.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use racelab_oracle::pg::Server;
use racelab_oracle::random;
use racelab_oracle::redis_run;
use racelab_oracle::redis_seq::{self, Sequence};
use racelab_oracle::resp::RedisConn;
use racelab_oracle::runner::{self, Verdict};
use racelab_oracle::scenario::{self, Scenario};
use racelab_oracle::schedule::Level;
use racelab_oracle::wire::Conn;

/// Where `--random` keeps disagreeing schedules by default (relative to the current directory).
const FOUND: &str = "crates/racelab-oracle/found";

const USAGE: &str =
    "usage: racelab-oracle [--host 127.0.0.1] [--port 5432] [--user postgres] [-v] PATH...
       racelab-oracle --redis-port PORT [--host 127.0.0.1] [-v] PATH...
  PATH: a scenario file or a directory of *.txt scenarios (with --redis-port: Redis
        sequences; the server is FLUSHALLed before each one)
  -v:   print both sides' outcome of every step
       racelab-oracle [--port 5432 …] --random N [--seed S] [--first I] [--keep DIR]
                      [--levels rc,rr,ser]
  --random N: run N random schedules (2-3 sessions over a 2-3 row table) instead of files
  --seed S:   their seed (default: from the clock, printed)
  --first I:  start at schedule I of the seed (default 0; `--random 1 --first I`: that one)
  --keep DIR: where disagreeing schedules are written, shrunk (default crates/racelab-oracle/found)
  --levels:   the isolation levels sessions draw from (default rc,rr,ser)";

struct Args {
    host: IpAddr,
    port: u16,
    /// `--redis-port`: run Redis sequences instead of PostgreSQL scenarios.
    redis_port: Option<u16>,
    user: String,
    verbose: bool,
    paths: Vec<PathBuf>,
    /// `--random N`: random schedules instead of files.
    random: Option<u64>,
    seed: Option<u64>,
    first: u64,
    keep: PathBuf,
    levels: Vec<Level>,
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("bad {flag} {v}"))
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 5432,
        redis_port: None,
        user: "postgres".to_string(),
        verbose: false,
        paths: Vec::new(),
        random: None,
        seed: None,
        first: 0,
        keep: PathBuf::from(FOUND),
        levels: Level::parse_list("rc,rr,ser")?,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match arg.as_str() {
            "--host" => {
                let v = value("--host")?;
                a.host = v.parse().map_err(|_| format!("bad --host {v}"))?;
            }
            "--port" => {
                let v = value("--port")?;
                a.port = v.parse().map_err(|_| format!("bad --port {v}"))?;
            }
            "--redis-port" => {
                let v = value("--redis-port")?;
                a.redis_port = Some(v.parse().map_err(|_| format!("bad --redis-port {v}"))?);
            }
            "--user" => a.user = value("--user")?,
            "--random" => a.random = Some(number("--random", &value("--random")?)?),
            "--seed" => a.seed = Some(number("--seed", &value("--seed")?)?),
            "--first" => a.first = number("--first", &value("--first")?)?,
            "--keep" => a.keep = PathBuf::from(value("--keep")?),
            "--levels" => a.levels = Level::parse_list(&value("--levels")?)?,
            "-v" | "--verbose" => a.verbose = true,
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            p => a.paths.push(PathBuf::from(p)),
        }
    }
    match (a.random.is_some(), a.paths.is_empty()) {
        (false, true) => Err("no scenario path given".into()),
        (true, false) => Err("--random takes no scenario path".into()),
        (true, true) if a.redis_port.is_some() => Err("--random is for PostgreSQL only".into()),
        _ => Ok(a),
    }
}

/// The scenario files under `paths`, in order (a directory's `*.txt` sorted by name).
fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "txt"))
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn load(path: &Path) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    scenario::parse(&name, &text)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&args) {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let files = match scenario_files(&args.paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(port) = args.redis_port {
        return run_redis(SocketAddr::new(args.host, port), &files, args.verbose);
    }
    let server = Server {
        addr: SocketAddr::new(args.host, args.port),
        user: args.user.clone(),
    };
    let mut admin = match server.connect("postgres") {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "error: cannot connect to PostgreSQL at {}: {e}",
                server.addr
            );
            return ExitCode::FAILURE;
        }
    };
    let version = admin
        .exec("SHOW server_version", std::time::Duration::from_secs(10))
        .ok()
        .and_then(|r| r.rows.first().and_then(|row| row[0].clone()))
        .unwrap_or_else(|| "?".into());
    if let Some(count) = args.random {
        println!("oracle: PostgreSQL {version} at {}", server.addr);
        return run_random(&server, admin, &args, count);
    }
    println!(
        "oracle: {} scenario file(s) against PostgreSQL {version} at {}",
        files.len(),
        server.addr
    );
    let started = Instant::now();
    let (mut passed, mut failed, mut known) = (0, 0, 0);
    for (i, file) in files.iter().enumerate() {
        let t = Instant::now();
        let scenario = match load(file) {
            Ok(s) => s,
            Err(e) => {
                println!("FAIL        {}: {e}", file.display());
                failed += 1;
                continue;
            }
        };
        let database = format!("racelab_oracle_{i}");
        let verdict = runner::run(&server, &mut admin, &database, &scenario, args.verbose);
        let ms = t.elapsed().as_millis();
        match verdict {
            Verdict::Pass => {
                passed += 1;
                println!(
                    "ok          {} — {} ({ms} ms)",
                    scenario.name, scenario.title
                );
            }
            Verdict::KnownDiff(diffs) => {
                known += 1;
                println!(
                    "known-diff  {} — {} ({ms} ms)",
                    scenario.name, scenario.title
                );
                for d in diffs {
                    println!("              {d}");
                }
            }
            Verdict::Fail(f) => {
                failed += 1;
                println!(
                    "FAIL        {} — {} ({ms} ms)",
                    scenario.name, scenario.title
                );
                println!("              {f}");
            }
        }
    }
    admin.terminate();
    println!(
        "oracle: {} scenarios in {:.1}s: {passed} ok, {known} with known differences (not counted as passed), {failed} failed",
        files.len(),
        started.elapsed().as_secs_f64()
    );
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The random mode: `count` schedules from the seed (or one from the clock).
fn run_random(server: &Server, mut admin: Conn, args: &Args, count: u64) -> ExitCode {
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    });
    let opts = random::Options {
        count,
        first: args.first,
        seed,
        levels: args.levels.clone(),
        keep: args.keep.clone(),
        verbose: args.verbose,
    };
    let result = random::run(server, &mut admin, &opts);
    admin.terminate();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: postgres: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load_sequence(path: &Path) -> Result<Sequence, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    redis_seq::parse(&name, &text)
}

/// The Redis mode: every sequence on the server and on the simulated store.
fn run_redis(addr: SocketAddr, files: &[PathBuf], verbose: bool) -> ExitCode {
    let mut admin = match RedisConn::connect(addr) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot connect to Redis at {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let version = match admin.cmd(&["INFO", "server"]) {
        Ok(racelab_engine::service::redis::resp::Resp::Bulk(info)) => info
            .lines()
            .find_map(|l| l.strip_prefix("redis_version:"))
            .unwrap_or("?")
            .to_string(),
        Ok(other) => format!("? (INFO: {})", redis_run::show(&other)),
        Err(e) => {
            eprintln!("error: Redis at {addr} does not answer: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "oracle: {} sequence file(s) against Redis {version} at {addr}",
        files.len()
    );
    let started = Instant::now();
    let mut agree = 0;
    for file in files {
        let t = Instant::now();
        let seq = match load_sequence(file) {
            Ok(s) => s,
            Err(e) => {
                println!("FAIL   {}: {e}", file.display());
                continue;
            }
        };
        let result = redis_run::run(addr, &mut admin, &seq, verbose);
        let ms = t.elapsed().as_millis();
        match result {
            Ok(diffs) if diffs.is_empty() => {
                agree += 1;
                println!("agree  {} — {} ({ms} ms)", seq.name, seq.title);
            }
            Ok(diffs) => {
                println!("FAIL   {} — {} ({ms} ms)", seq.name, seq.title);
                for d in diffs {
                    println!("         {}", d.step);
                    println!("           redis:     {}", d.real);
                    println!("           simulator: {}", d.sim);
                }
            }
            Err(e) => {
                println!("FAIL   {} — {} ({ms} ms)", seq.name, seq.title);
                println!("         {e}");
            }
        }
    }
    println!(
        "oracle: Redis sequences ran in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    println!("redis: {} sequences, {agree} agree", files.len());
    if agree == files.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
