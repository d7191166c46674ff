//! `racelab-peer`: Racelab's explorer against the stateright model checker on the lost-update
//! scenario (lessons/lost-update.toml, variants "naive" and "for update", no faults). Both must
//! find the same set of final balances; the program times them and prints a table.

mod peer;
mod racelab;

use racelab_engine::model::Model;
use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Each measurement repeats its run until this much time has passed (and at least 5 times).
const MIN_TIME: Duration = Duration::from_millis(500);
const MIN_RUNS: u32 = 5;

/// One line of the table.
struct Row {
    scenario: &'static str,
    checker: &'static str,
    states: u64,
    executions: Option<u64>,
    mean: Duration,
    runs: u32,
}

/// Runs `f` once to warm up, then repeatedly; returns its last result and the mean time.
fn measure<T>(mut f: impl FnMut() -> T) -> (T, Duration, u32) {
    let mut last = f();
    let started = Instant::now();
    let mut runs = 0;
    while runs < MIN_RUNS || started.elapsed() < MIN_TIME {
        last = f();
        runs += 1;
    }
    (last, started.elapsed() / runs, runs)
}

/// One variant on both checkers: its rows, and whether every checker found `expected`.
fn variant(
    lesson: &std::sync::Arc<racelab_engine::Lesson>,
    scenario: &'static str,
    expected: &BTreeSet<i64>,
) -> Result<Vec<Row>, String> {
    let index = lesson
        .variant_index(scenario)
        .ok_or_else(|| format!("lost-update.toml has no variant \"{scenario}\""))?;
    let model = Model::new(lesson.clone(), index);
    let mut rows = Vec::new();
    for (checker, reduce) in [("Racelab reduced", true), ("Racelab plain", false)] {
        let (r, mean, runs) = measure(|| racelab::explore(&model, reduce));
        same(scenario, checker, &r.balances, expected)?;
        rows.push(Row {
            scenario,
            checker,
            states: r.states,
            executions: Some(r.executions),
            mean,
            runs,
        });
    }
    let peer = peer::LostUpdate {
        for_update: scenario == "for update",
    };
    let (r, mean, runs) = measure(|| peer::check(peer));
    let r = r?;
    same(scenario, "stateright BFS", &r.balances, expected)?;
    rows.push(Row {
        scenario,
        checker: "stateright BFS",
        states: r.unique_states as u64,
        executions: None,
        mean,
        runs,
    });
    let paths = peer::executions(&peer);
    let plain = rows[1].executions;
    if plain != Some(paths) {
        println!(
            "note: {scenario}: the hand model has {paths} executions, Racelab plain {plain:?}"
        );
    }
    Ok(rows)
}

fn same(
    scenario: &str,
    checker: &str,
    got: &BTreeSet<i64>,
    want: &BTreeSet<i64>,
) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{scenario}: {checker} found final balances {got:?}, expected {want:?}"
        ))
    }
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<10} | {:<15} | {:>6} | {:>10} | {:>10} | {:>5} | {:>12}",
        "scenario", "checker", "states", "executions", "mean time", "runs", "states/s"
    );
    println!("{}", "-".repeat(86));
    for r in rows {
        let execs = r.executions.map_or("-".to_string(), |e| e.to_string());
        let per_s = r.states as f64 / r.mean.as_secs_f64();
        println!(
            "{:<10} | {:<15} | {:>6} | {:>10} | {:>7.1} µs | {:>5} | {:>12.0}",
            r.scenario,
            r.checker,
            r.states,
            execs,
            r.mean.as_secs_f64() * 1e6,
            r.runs,
            per_s
        );
    }
}

fn main() -> ExitCode {
    let lesson = match racelab::load() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("racelab-peer: {e}");
            return ExitCode::FAILURE;
        }
    };
    let start = peer::START;
    let debit = peer::DEBIT;
    // The lost update leaves one debit; with the lock both debits land.
    let naive: BTreeSet<i64> = [start - debit, start - 2 * debit].into();
    let locked: BTreeSet<i64> = [start - 2 * debit].into();
    let mut rows = Vec::new();
    for (scenario, expected) in [("naive", &naive), ("for update", &locked)] {
        match variant(&lesson, scenario, expected) {
            Ok(r) => rows.extend(r),
            Err(e) => {
                eprintln!("racelab-peer: {e}");
                println!("same outcomes: no");
                return ExitCode::FAILURE;
            }
        }
    }
    print_table(&rows);
    println!("final balances: naive {naive:?}, for update {locked:?}");
    println!("same outcomes: yes");
    ExitCode::SUCCESS
}
