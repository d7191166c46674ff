//! `racelab bench`: the explorer on fixed scenarios kept in the repo, with the numbers printed
//! (a benchmark, not a timed test). Per scenario: how many executions plain enumeration would
//! walk (counted exactly through the shared states of the reduced search), how many ends that
//! search reaches, its states, steps and time, and — when it fits a budget — a real plain walk
//! that must find the same count and outcomes.

use crate::explore::parse_faults;
use racelab_engine::explore::{self, Config, Report};
use racelab_engine::lesson::{self, Lesson};
use racelab_engine::model::Model;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// (name, file, text, fault kinds).
const SCENARIOS: &[(&str, &str, &str, &str)] = &[
    (
        "lost-update, every fault kind",
        "lessons/lost-update.toml",
        include_str!("../../../lessons/lost-update.toml"),
        "exit,exit-after,error,timeout,sleep=60000",
    ),
    (
        "3 clients x 8 steps, no fault",
        "bench/three-workers.toml",
        include_str!("../../../bench/three-workers.toml"),
        "none",
    ),
    (
        "3 clients x 8 steps, one fault",
        "bench/three-workers.toml",
        include_str!("../../../bench/three-workers.toml"),
        "exit,exit-after,error,sleep=60000",
    ),
];

/// A plain walk stops after this many executions (some scenarios have billions).
const PLAIN_BUDGET: u64 = 2_000_000;

/// One measured exploration: the report and the mean time over `runs` runs.
struct Timed {
    report: Report,
    mean: Duration,
    runs: u32,
}

/// Explores repeatedly for at least `min` of wall time (at least once) and keeps the mean.
fn timed(m: &Model, cfg: &Config, min: Duration) -> Timed {
    let started = Instant::now();
    let mut runs = 0;
    loop {
        let report = explore::explore(m, cfg, None);
        runs += 1;
        if started.elapsed() >= min {
            let mean = started.elapsed() / runs;
            return Timed { report, mean, runs };
        }
    }
}

fn per_second(n: u64, d: Duration) -> String {
    let s = d.as_secs_f64();
    if s <= 0.0 {
        return "-".into();
    }
    format!("{:.0}", n as f64 / s)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

pub fn bench_cmd(args: &[String]) -> ExitCode {
    let quick = args.iter().any(|a| a == "--quick");
    if let Some(a) = args.iter().find(|a| *a != "--quick") {
        eprintln!("racelab bench: unexpected argument {a}\nusage: racelab bench [--quick]");
        return ExitCode::from(2);
    }
    let min = if quick {
        Duration::ZERO
    } else {
        Duration::from_millis(500)
    };
    println!("racelab bench ({} build)", build());
    println!(
        "| scenario | variant | plain executions | reduced: walked | reduction | states | steps | time | executions/s | states/s | plain walk |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for (name, file, text, faults) in SCENARIOS {
        if let Err(e) = bench_scenario(name, file, text, faults, min, quick) {
            eprintln!("racelab bench: {name}: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!("executions/s: plain-equivalent executions covered per second by the reduced search.");
    ExitCode::SUCCESS
}

fn build() -> &'static str {
    if cfg!(debug_assertions) {
        "debug: run `cargo xtask bench` for release figures"
    } else {
        "optimised"
    }
}

fn bench_scenario(
    name: &str,
    file: &str,
    text: &str,
    faults: &str,
    min: Duration,
    quick: bool,
) -> Result<(), String> {
    let lesson: Arc<Lesson> = lesson::parse("bench", file, text)
        .map(Arc::new)
        .map_err(|e| format!("{e:?}"))?;
    let faults = parse_faults(&lesson, faults)?;
    for v in 0..lesson.variants.len() {
        let m = Model::new(lesson.clone(), v);
        let reduced = Config {
            faults: faults.clone(),
            ..Config::default()
        };
        let t = timed(&m, &reduced, min);
        // State hashing alone counts executions exactly, through shared states.
        let plain_count = t.report.stats.executions;
        let plain = if quick {
            "skipped (--quick)".into()
        } else {
            plain_walk(&m, &reduced, plain_count, &t.report)?
        };
        print_row(name, &lesson.variants[v].name, plain_count, &t, &plain);
    }
    Ok(())
}

/// Walks every execution when there are few enough; checks it finds the reduced search's
/// outcomes and the counted number of executions.
fn plain_walk(m: &Model, reduced: &Config, count: u64, r: &Report) -> Result<String, String> {
    if count > PLAIN_BUDGET {
        return Ok(format!("not run (over {PLAIN_BUDGET} executions)"));
    }
    let cfg = Config {
        reduce: false,
        ..reduced.clone()
    };
    let started = Instant::now();
    let plain = explore::explore(m, &cfg, None);
    let took = started.elapsed();
    if plain.stats.executions != count {
        return Err(format!(
            "the plain walk found {} executions, the count said {count}",
            plain.stats.executions
        ));
    }
    let signatures = |r: &Report| {
        let mut s: Vec<String> = r.outcomes.iter().map(|o| o.signature()).collect();
        s.sort();
        s
    };
    if signatures(&plain) != signatures(r) {
        return Err("plain and reduced exploration found different outcomes".into());
    }
    Ok(format!("{} (same outcomes)", ms(took)))
}

fn print_row(name: &str, variant: &str, plain: u64, t: &Timed, plain_walk: &str) {
    let s = t.report.stats;
    let ratio = plain as f64 / s.walked.max(1) as f64;
    println!(
        "| {name} | {variant} | {plain} | {} | {ratio:.1}x | {} | {} | {} (mean of {}) | {} | {} | {plain_walk} |",
        s.walked,
        s.states,
        s.steps,
        ms(t.mean),
        t.runs,
        per_second(plain, t.mean),
        per_second(s.states, t.mean),
    );
}
