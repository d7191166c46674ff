//! Racelab developer commands (`cargo xtask …`, see docs/dev-commands.md):
//!
//! - `serve`   install what is missing, then `trunk serve` on http://127.0.0.1:8080
//! - `test`    install, then fmt → clippy → native tests → pg-oracle → wasm → bundle → e2e
//! - `oracle`  install PostgreSQL 15 and Redis 7, then only the pg-oracle stage (simulators vs
//!   PostgreSQL and Redis); `oracle --random N --seed S`: N random schedules instead
//! - `e2e`     install, then release bundle → e2e only (`--dist DIR`: scenario only)
//! - `install` install only (`install --check` only reports)
//! - `browser-check` check Chromium/ChromeDriver/WebDriver plumbing on a trivial page

mod bundle;
mod e2e;
mod http;
mod install;
mod oracle;
mod util;
mod versions;
mod webdriver;

use install::Scope;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use util::{cmd, fmt_duration, run, Result};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  serve [TRUNK ARGS]  install missing tools, then `trunk serve` (default 127.0.0.1:8080)
  test                install, then: fmt, clippy (native + wasm), native tests,
                      pg-oracle (simulators vs PostgreSQL 15 and Redis 7), wasm tests in headless
                      Chromium, release bundle + sizes, e2e
  oracle              install PostgreSQL 15 and Redis 7, then only the pg-oracle stage
  oracle --random N [--seed S] [--levels rc,rr,ser] [--keep DIR]
                      a throw-away PostgreSQL 15 and N random schedules on it and on the
                      simulator; disagreements are shrunk and kept in DIR
                      (default crates/racelab-oracle/found)
  e2e [--dist DIR]    install, then only: release bundle + sizes, e2e
                      (--dist DIR: only the e2e scenario, against DIR, no build)
  dist [DIR]          install, then the release bundle as a static folder (relative paths,
                      hashed names) in dist/, or copied to DIR: what a course author uploads
  bench               the explorer's figures, optimised build: `racelab bench`, then the same
                      small scenario in Racelab and in the stateright model checker
                      (crates/racelab-peer); browser figures come from the e2e run
  install [--check]   install missing tools only (--check: report, install nothing)
  browser-check       verify Chromium + ChromeDriver + WebDriver on a trivial page

see docs/dev-commands.md";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(rest),
        Some("test") => test(),
        Some("e2e") => e2e(rest),
        Some("oracle") => oracle(rest),
        Some("bench") => bench(),
        Some("dist") => install::ensure(Scope::Test)
            .and_then(|()| bundle::dist(rest.first().map(String::as_str))),
        Some("install") if rest.iter().any(|a| a == "--check") => {
            if install::check(Scope::Test) {
                Ok(())
            } else {
                Err("some tools are missing (run `cargo xtask install`)".into())
            }
        }
        Some("install") => install::ensure(Scope::Test),
        Some("browser-check") => install::ensure(Scope::Test).and_then(|()| e2e::browser_check()),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
        Some(other) => {
            eprintln!("unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask bench`: benchmarks that print numbers (never a pass/fail on time).
fn bench() -> Result<()> {
    let cargo = || {
        let mut c = cmd("cargo");
        c.current_dir(util::root());
        c
    };
    run(cargo().args([
        "run",
        "-q",
        "-p",
        "racelab-cli",
        "--profile",
        "measure",
        "--",
        "bench",
    ]))?;
    run(cargo().args(["run", "-q", "-p", "racelab-peer", "--profile", "measure"]))
}

/// `trunk serve` with binaryen first on PATH; replaces this process.
fn serve(extra: &[String]) -> Result<()> {
    use std::os::unix::process::CommandExt;
    install::ensure(Scope::Build)?;
    // Trunk is offline and runs `cargo build --offline`: download the dependencies first.
    run(cmd("cargo").arg("fetch"))?;
    let mut c = cmd("trunk");
    // The editor's page is the whole app (every route, the editor in place); `cargo xtask dist`
    // also builds the reader's page without the lesson compiler.
    c.args(["serve", "edit/index.html"]);
    if !extra.iter().any(|a| a == "-w" || a.starts_with("--watch")) {
        // Trunk watches the page's folder by default: watch the sources instead (not target/).
        for path in [
            "src", "crates", "lessons", "bench", "style", "edit", "build.rs",
        ] {
            c.args(["--watch", path]);
        }
    }
    if !extra
        .iter()
        .any(|a| a == "-a" || a.starts_with("--address"))
    {
        c.args(["--address", "127.0.0.1"]);
    }
    if !extra.iter().any(|a| a == "-p" || a.starts_with("--port")) {
        c.args(["--port", "8080"]);
    }
    c.args(extra);
    println!("$ {}", util::show(&c));
    let err = c.exec();
    Err(format!("could not start trunk: {err}").into())
}

/// Stage bookkeeping: headings, wall times, the summary.
struct Stages {
    planned: Vec<&'static str>,
    done: Vec<(&'static str, Duration, bool)>,
}

impl Stages {
    fn new(planned: &[&'static str]) -> Stages {
        Stages {
            planned: planned.to_vec(),
            done: Vec::new(),
        }
    }

    fn run(
        &mut self,
        name: &'static str,
        what: &str,
        f: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        let n = self.done.len() + 1;
        println!("\n==> [{n}/{}] {name}: {what}", self.planned.len());
        let t = Instant::now();
        let r = f();
        let d = t.elapsed();
        self.done.push((name, d, r.is_ok()));
        match &r {
            Ok(()) => println!("<== {name} ok ({})", fmt_duration(d)),
            Err(_) => println!("<== {name} FAILED after {}", fmt_duration(d)),
        }
        r
    }

    /// Prints the per-stage times and the `N passed, M failed` line.
    fn summary(&self, total: Duration) {
        let passed = self.done.iter().filter(|s| s.2).count();
        let failed = self.done.len() - passed;
        let mut parts: Vec<String> = self
            .done
            .iter()
            .map(|(name, d, ok)| {
                format!(
                    "{name} {}{}",
                    fmt_duration(*d),
                    if *ok { "" } else { " FAILED" }
                )
            })
            .collect();
        parts.extend(
            self.planned[self.done.len()..]
                .iter()
                .map(|name| format!("{name} not run")),
        );
        println!(
            "\nstages: {} — total {}",
            parts.join(", "),
            fmt_duration(total)
        );
        println!("{passed} passed, {failed} failed");
    }
}

fn run_stages(
    planned: &[&'static str],
    body: impl FnOnce(&mut Stages) -> Result<()>,
) -> Result<()> {
    let t = Instant::now();
    let mut stages = Stages::new(planned);
    let r = body(&mut stages);
    stages.summary(t.elapsed());
    r
}

fn cargo(args: &[&str]) -> Result<()> {
    run(cmd("cargo").args(args))
}

/// `racelab check` on every shipped lesson (the debug build the test stage made): each
/// variant's expected verdicts, each case table's tally, each goal proved winnable.
fn check_lessons() -> Result<()> {
    let files: Vec<String> = util::lesson_files()?
        .iter()
        .map(|p| {
            format!(
                "lessons/{}",
                p.file_name().unwrap_or_default().to_string_lossy()
            )
        })
        .collect();
    let mut args = vec!["run", "-q", "-p", "racelab-cli", "--", "check"];
    args.extend(files.iter().map(String::as_str));
    cargo(&args)
}

fn test() -> Result<()> {
    let planned = [
        "install",
        "fmt",
        "clippy",
        "test",
        "lessons",
        "pg-oracle",
        "wasm-test",
        "bundle",
        "e2e",
    ];
    let result = run_stages(&planned, |s| {
        s.run("install", "tools (xtask/src/versions.rs)", || {
            install::ensure(Scope::Test)
        })?;
        s.run("fmt", "cargo fmt --all -- --check", || {
            cargo(&["fmt", "--all", "--", "--check"])
        })?;
        s.run(
            "clippy",
            "native crates + racelab-web on wasm32, -D warnings",
            || {
                // racelab-web is a wasm32 app: checking and testing it natively too would build
                // Leptos twice more on a 2-core machine for nothing it does not already cover.
                cargo(&[
                    "clippy",
                    "--workspace",
                    "--exclude",
                    "racelab-web",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ])?;
                cargo(&[
                    "clippy",
                    "-p",
                    "racelab-web",
                    "--target",
                    versions::WASM_TARGET,
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ])?;
                // The reader's page is built without the editor (index.html).
                cargo(&[
                    "clippy",
                    "-p",
                    "racelab-web",
                    "--target",
                    versions::WASM_TARGET,
                    "--no-default-features",
                    "--lib",
                    "--bins",
                    "--",
                    "-D",
                    "warnings",
                ])
            },
        )?;
        s.run(
            "test",
            "cargo test --workspace --exclude racelab-web (native)",
            || cargo(&["test", "--workspace", "--exclude", "racelab-web"]),
        )?;
        s.run("lessons", "racelab check lessons/*.toml", check_lessons)?;
        pg_oracle(s)?;
        s.run(
            "wasm-test",
            "wasm-bindgen-test in headless Chromium",
            || {
                run(cmd("cargo")
                    .args([
                        "test",
                        "-p",
                        "racelab-web",
                        "--target",
                        versions::WASM_TARGET,
                    ])
                    .env("CHROMEDRIVER", versions::CHROMEDRIVER_BIN)
                    .env(
                        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                        "wasm-bindgen-test-runner",
                    ))
            },
        )?;
        bundle_and_e2e(s)
    });
    print_figures();
    result
}

/// The figures the README keeps (issue 10's budgets), as this run measured them.
fn print_figures() {
    let root = util::root();
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_default();
    let (bundle, page) = (
        read("target/bundle-sizes.txt"),
        read("target/e2e/figures.txt"),
    );
    if bundle.is_empty() && page.is_empty() {
        return;
    }
    println!(
        "\nfigures (budgets: text 300 ms, first step 1 s, step p95 16 ms, download 600 KB gz):"
    );
    for line in bundle.lines().chain(page.lines()) {
        println!("  {line}");
    }
}

/// The release build (with its size report) and the end-to-end test on it: a green wasm-test
/// stage does not prove that the optimized bundle starts, this does.
fn bundle_and_e2e(s: &mut Stages) -> Result<()> {
    s.run("bundle", "trunk build --release + gzipped sizes", || {
        bundle::build_release()?;
        bundle::report().map(drop)
    })?;
    s.run(
        "e2e",
        "dist/ in headless Chromium (lost-update scenario)",
        e2e::run,
    )
}

/// The differential test of the simulated PostgreSQL and Redis against real PostgreSQL 15 and
/// Redis 7 servers.
fn pg_oracle(s: &mut Stages) -> Result<()> {
    s.run(
        "pg-oracle",
        "simulators vs PostgreSQL 15 and Redis 7 on loopback (crates/racelab-oracle/{scenarios,redis}, random schedules)",
        oracle::run_stage,
    )
}

fn oracle(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        if !args.iter().any(|a| a == "--random") {
            return Err(format!("`oracle` takes no arguments but --random N …\n\n{USAGE}").into());
        }
        return run_stages(&["random-oracle"], |s| {
            s.run(
                "random-oracle",
                "random schedules on PostgreSQL 15 and on the simulator",
                || oracle::run_random(args),
            )
        });
    }
    run_stages(&["install", "pg-oracle"], |s| {
        s.run(
            "install",
            "PostgreSQL 15, Redis 7 (xtask/src/versions.rs)",
            || install::ensure(Scope::Oracle),
        )?;
        pg_oracle(s)
    })
}

fn e2e(args: &[String]) -> Result<()> {
    // `--dist DIR`: run the scenario against an already built directory, skipping the build.
    if let Some(i) = args.iter().position(|a| a == "--dist") {
        let Some(dir) = args.get(i + 1) else {
            return Err("--dist needs a directory".into());
        };
        let dir = std::path::PathBuf::from(dir);
        return run_stages(&["e2e"], |s| {
            s.run(
                "e2e",
                &format!("{} in headless Chromium", dir.display()),
                || e2e::run_on(&dir),
            )
        });
    }
    let planned = ["install", "bundle", "e2e"];
    let result = run_stages(&planned, |s| {
        s.run("install", "tools (xtask/src/versions.rs)", || {
            install::ensure(Scope::Test)
        })?;
        bundle_and_e2e(s)
    });
    print_figures();
    result
}
