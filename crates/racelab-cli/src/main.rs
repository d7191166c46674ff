//! `racelab`: check lesson files and run lessons headless.
//!
//! ```text
//! racelab check FILE...
//! racelab run FILE [--variant NAME] [--schedule T1,T2,...] [--inject exit@T1:5]... [--quiet]
//! racelab run FILE --replay ID
//! racelab explore FILE [--variant NAME] [--faults exit,error,...] [--max-faults K] [--plain] [--sleep-sets]
//!                      [--max-executions N] [--max-seconds S] [--json | --markdown]
//!                      [--random N | --pct N [--depth D]] [--seed S]
//! racelab bench [--quick]
//! ```

mod bench;
mod explore;

use racelab_engine::explore::{expect, replay_id, Progress};
use racelab_engine::fault::{self, FaultPlan};
use racelab_engine::lesson::{self, Lesson};
use racelab_engine::property::Verdict;
use racelab_engine::run::{self, Run};
use racelab_engine::service::postgres::view::PgTable;
use racelab_engine::service::redis::view::RedisView;
use racelab_engine::service::ServiceView;
use racelab_engine::view::ServicePanel;
use racelab_engine::words::{lock_note, older_note, pending_note, redis_stats, redis_ttl};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

const USAGE: &str = "\
usage:
  racelab check FILE...
      Validate lesson files; print file:line:col: message for each problem.
      Also runs every variant with the default schedule and checks its `expect` table, and
      explores every variant that declares a case-table tally ([variant.explore] tally).
  racelab run FILE [--variant NAME] [--schedule T1,T2,...] [--inject FAULT]... [--quiet]
      Run a lesson headless and print the trace, the final state and each assertion's verdict.
      --schedule  clients to step first, in order; then next events until no client can run
      --inject    a fault at a script line: exit@T1:5 (before it), exit-after@T1:5 (after it
                  took effect), error@T1:4 (its call fails with a connection error),
                  timeout@T1:4 (its call takes effect, its reply is lost),
                  sleep=60000@T1:3 (before it), down=redis@T1:3 / up=redis@T2:1 /
                  slow=redis:50@T1:2 (the service from when the client reaches that line);
                  repeatable
      --quiet     print only the verdicts
  racelab run FILE --replay ID [--quiet]
      Run exactly the execution a replay id names (the counterexamples `explore` prints).
  racelab explore FILE [--variant NAME] [--faults KINDS] [--max-faults K] [--plain] [--sleep-sets]
                       [--max-executions N] [--max-seconds S] [--json | --markdown]
                       [--random N | --pct N [--depth D]] [--seed S]
      Every interleaving of the clients and every placement of up to K faults (default 1):
      a case table with one row per fault placement (and 'no fault'), how many executions
      end ok (every assertion passes) and bad, their outcomes and the shortest counterexample.
      --faults          kinds to place, comma-separated: exit, exit-after, error, timeout,
                        sleep=MS, down=SERVICE, up=SERVICE, slow=SERVICE:MS; none for no faults.
                        Default: the variant's [variant.explore] faults (and max_faults), else
                        exit,exit-after,error,sleep=60000
      --plain           walk every execution (no state hashing)
      --sleep-sets      add sleep sets to state hashing (fewer executions walked, more steps)
      --max-executions  stop after this many executions (results are partial)
      --max-seconds     stop after this much wall time (default 60)
      --random N        sample N executions with random schedules instead (seeded; the table
                        says \"sampled, not exhaustive\"); --pct N: N PCT schedules of
                        --depth D (default 3); --seed S (default 1)
  racelab bench [--quick]
      The explorer on fixed scenarios (compiled in): executions plain enumeration would walk,
      executions the reduced search walks, states, steps, time. --quick: one run each, no
      plain walk. Build it optimised for figures: cargo xtask bench.
  Exit status: 0 all good, 1 a lesson problem or a failing assertion, 2 bad usage.";

/// Output piped into a reader that stops early (`racelab explore … | head`) ends the process
/// quietly, as for other command-line tools, instead of a panic in `println!`.
#[cfg(unix)]
fn quiet_on_closed_pipe() {
    extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    const SIGPIPE: i32 = 13;
    const SIG_DFL: usize = 0;
    // SAFETY: restores the default action of one signal before any thread starts.
    unsafe {
        signal(SIGPIPE, SIG_DFL);
    }
}

#[cfg(not(unix))]
fn quiet_on_closed_pipe() {}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("check") if args.len() > 1 => check(&args[1..]),
        Some("run") if args.len() > 1 => run_cmd(&args[1..]),
        Some("explore") if args.len() > 1 => explore::explore_cmd(&args[1..], USAGE),
        Some("bench") => bench::bench_cmd(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn load(path: &str) -> Result<Arc<Lesson>, Vec<String>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| vec![format!("{path}: cannot read: {e}")])?;
    let slug = Path::new(path)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("lesson");
    lesson::parse(slug, path, &text)
        .map(Arc::new)
        .map_err(|errs| errs.iter().map(|e| e.to_string()).collect())
}

/// Loads a lesson for `run` and `explore`; its problems are printed and end the command (exit 1).
fn load_or_report(path: &str) -> Result<Arc<Lesson>, ExitCode> {
    load(path).map_err(|msgs| {
        for m in msgs {
            eprintln!("{m}");
        }
        ExitCode::from(1)
    })
}

fn check(files: &[String]) -> ExitCode {
    let mut bad = 0;
    for f in files {
        let problems = match load(f) {
            Err(msgs) => msgs,
            Ok(l) => {
                // Each exploration (a case table, a goal) gets a minute.
                let budget = || {
                    let started = std::time::Instant::now();
                    move |_: &Progress| started.elapsed() >= Duration::from_secs(60)
                };
                let mut problems = run::check_expectations(&l);
                problems.extend(expect::check_tallies(&l, budget));
                problems.extend(expect::check_goals(&l, budget));
                problems.iter().map(|e| e.to_string()).collect()
            }
        };
        if problems.is_empty() {
            println!("{f}: ok");
        } else {
            bad += 1;
            for p in problems {
                eprintln!("{p}");
            }
        }
    }
    if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `racelab run`'s options.
#[derive(Default)]
struct RunOpts {
    file: Option<String>,
    variant: Option<String>,
    schedule: Vec<String>,
    injects: Vec<String>,
    replay: Option<String>,
    quiet: bool,
}

fn parse_run_opts(args: &[String]) -> Result<RunOpts, String> {
    let mut o = RunOpts::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--variant" => o.variant = Some(value("--variant")?),
            "--schedule" => o.schedule.extend(
                value("--schedule")?
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            ),
            "--inject" => o.injects.push(value("--inject")?),
            "--replay" => o.replay = Some(value("--replay")?),
            "--quiet" => o.quiet = true,
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s if o.file.is_none() => o.file = Some(s.to_string()),
            s => return Err(format!("unexpected argument {s}")),
        }
    }
    let planned = o.variant.is_some() || !o.schedule.is_empty() || !o.injects.is_empty();
    if o.replay.is_some() && planned {
        return Err("--replay names the variant and every action: no --variant, --schedule or --inject with it".into());
    }
    Ok(o)
}

/// Builds the run the options ask for and takes the `--schedule` steps. Errors are usage errors.
fn start_run(o: &RunOpts, file: &str, lesson: &Arc<Lesson>) -> Result<Run, String> {
    if let Some(id) = &o.replay {
        return replay_id::replay(lesson, id).map_err(|e| format!("--replay {e}"));
    }
    let v = match &o.variant {
        None => 0,
        Some(name) => lesson.variant_index(name).ok_or_else(|| {
            let names: Vec<&str> = lesson.variants.iter().map(|v| v.name.as_str()).collect();
            format!(
                "{file} has no variant \"{name}\" (variants: {})",
                names.join(", ")
            )
        })?,
    };
    let mut faults = FaultPlan::new();
    for spec in &o.injects {
        let (at, f) = fault::parse_spec(lesson, spec).map_err(|e| format!("--inject {e}"))?;
        faults.insert(at, f);
    }
    let mut r = Run::new(lesson.clone(), v, faults);
    for name in &o.schedule {
        let c = lesson
            .client_index(name)
            .ok_or_else(|| format!("--schedule names no client \"{name}\""))?;
        r.step(c)
            .map_err(|e| format!("--schedule step {name}: {e}"))?;
    }
    Ok(r)
}

fn run_cmd(args: &[String]) -> ExitCode {
    let o = match parse_run_opts(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("racelab run: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let Some(file) = o.file.clone() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let lesson = match load_or_report(&file) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let mut r = match start_run(&o, &file, &lesson) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("racelab run: {e}");
            return ExitCode::from(2);
        }
    };
    let finished = r.run_to_end();
    if !o.quiet {
        print_run(&r, &file);
    }
    if let Err(e) = finished {
        eprintln!("racelab run: {e}");
        return ExitCode::from(1);
    }
    // The id that replays exactly this run (`racelab run FILE --replay ID`, the page's links).
    println!(
        "replay id: {}",
        replay_id::id_of(r.model(), &r.trace().actions)
    );
    println!("assertions:");
    let mut failed = false;
    for a in r.verdicts() {
        let tag = match a.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => {
                failed = true;
                "FAIL"
            }
            Verdict::Pending => "PENDING",
        };
        println!("  {tag:<7} {}: {} ({})", a.id, a.says, a.detail);
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The lesson, the faults, the trace, each client's state and every service's final state.
fn print_run(r: &Run, file: &str) {
    let l = r.lesson();
    println!("lesson:  {} ({file})", l.title);
    println!("variant: {}", l.variants[r.variant()].name);
    if r.faults().is_empty() {
        println!("faults:  none");
    } else {
        let f: Vec<String> = r
            .faults()
            .iter()
            .map(|((c, line), f)| {
                let at = match f.placement() {
                    fault::Placement::Before => "before",
                    fault::Placement::After => "after",
                };
                format!("{} {at} {}:{line}", f.spec(l), l.clients[*c].name)
            })
            .collect();
        println!("faults:  {}", f.join(", "));
    }
    println!("\ntrace:");
    for e in &r.trace().events {
        let who = e.client.map_or("", |c| l.clients[c].name.as_str());
        println!(
            "  {:>6} ms  {:<4} {:>3}  {}",
            e.time,
            who,
            e.line,
            r.describe(e)
        );
    }
    println!("\nclients:");
    for c in 0..l.clients.len() {
        println!("  {:<4} {}", l.clients[c].name, r.status_text(c));
    }
    println!("\nfinal state:");
    for panel in r.service_panels() {
        print_panel(&panel);
    }
    println!();
}

fn print_panel(panel: &ServicePanel) {
    if panel.health != "up" {
        println!("  ({} is {})", panel.title, panel.health);
    }
    match &panel.view {
        ServiceView::Postgres(pg) => {
            for t in &pg.tables {
                print_table(t);
            }
            for a in &pg.advisory {
                let waiting = if a.waiters.is_empty() {
                    String::new()
                } else {
                    format!(", waiting: {}", a.waiters.join(", "))
                };
                let held = if a.holders.is_empty() {
                    "nobody".to_string()
                } else {
                    a.holders.join(", ")
                };
                println!("  advisory lock {}: held by {held}{waiting}", a.key);
            }
        }
        ServiceView::Redis(r) => print_redis(r),
        ServiceView::Zk(z) => {
            println!("  zookeeper (next fencing token {})", z.next_token);
            for l in &z.locks {
                let holder = l.holder.as_deref().unwrap_or("nobody");
                let waiting = if l.waiters.is_empty() {
                    String::new()
                } else {
                    format!(", waiting: {}", l.waiters.join(", "))
                };
                println!(
                    "    {} held by {holder} (token {}){waiting}",
                    l.path, l.token
                );
            }
            for s in &z.sessions {
                println!("    ({s})");
            }
        }
        ServiceView::Cql(c) => {
            for t in &c.tables {
                println!("  cassandra {}", t.name);
                println!("    {}", t.columns.join("  "));
                for row in &t.rows {
                    println!("    {}", row.join("  "));
                }
            }
        }
        ServiceView::Aerospike(a) => {
            println!("  aerospike");
            if a.records.is_empty() {
                println!("    (no records)");
            }
            for r in &a.records {
                let ttl = r.ttl_ms.map(redis_ttl).unwrap_or_default();
                println!(
                    "    {}  {}  (generation {}){ttl}",
                    r.key, r.value, r.generation
                );
            }
        }
    }
}

fn print_redis(r: &RedisView) {
    println!("  redis");
    if r.keys.is_empty() {
        println!("    (no keys)");
    }
    for k in &r.keys {
        let ttl = k.ttl_ms.map(redis_ttl).unwrap_or_default();
        println!("    {}  {}{ttl}", k.key, k.value);
    }
    for t in &r.transactions {
        println!("    ({t})");
    }
    println!("    ({})", redis_stats(&r.stats));
}

fn print_table(t: &PgTable) {
    println!("  {}", t.name);
    let mut rows: Vec<Vec<String>> = vec![t.columns.clone()];
    let mut notes = Vec::new();
    for row in &t.rows {
        match &row.committed {
            Some(vals) => rows.push(vals.iter().map(|v| v.to_string()).collect()),
            None => notes.push(format!("row {} inserted, not committed", row.key)),
        }
        for note in pending_note(row)
            .into_iter()
            .chain(lock_note(row))
            .chain(older_note(row))
        {
            notes.push(format!("row {}: {note}", row.key));
        }
    }
    let widths: Vec<usize> = (0..t.columns.len())
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("    {}", cells.join("  ").trim_end());
    }
    for n in notes {
        println!("    ({n})");
    }
}
