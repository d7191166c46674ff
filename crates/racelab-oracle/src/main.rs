//! `racelab-oracle [--host H] [--port P] [--user U] [-v] PATH...`: runs the scenario files
//! (directories: their `*.txt`, sorted) on PostgreSQL and on the simulator, prints one line per
//! scenario and ends with `N passed, M failed`. Exits 1 when a scenario fails, 2 on bad usage.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use racelab_oracle::pg::Server;
use racelab_oracle::runner::{self, Verdict};
use racelab_oracle::scenario::{self, Scenario};

const USAGE: &str =
    "usage: racelab-oracle [--host 127.0.0.1] [--port 5432] [--user postgres] [-v] PATH...
  PATH: a scenario file or a directory of *.txt scenarios
  -v:   print both sides' outcome of every step";

struct Args {
    host: IpAddr,
    port: u16,
    user: String,
    verbose: bool,
    paths: Vec<PathBuf>,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 5432,
        user: "postgres".to_string(),
        verbose: false,
        paths: Vec::new(),
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
            "--user" => a.user = value("--user")?,
            "-v" | "--verbose" => a.verbose = true,
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            p => a.paths.push(PathBuf::from(p)),
        }
    }
    if a.paths.is_empty() {
        return Err("no scenario path given".into());
    }
    Ok(a)
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
