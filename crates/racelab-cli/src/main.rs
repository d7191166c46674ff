//! `racelab`: check lesson files and run lessons headless.
//!
//! ```text
//! racelab check FILE...
//! racelab run FILE [--variant NAME] [--schedule T1,T2,...] [--inject exit@T1:5]... [--quiet]
//! ```

use racelab_engine::lesson::{self, Lesson};
use racelab_engine::run::{self, parse_fault_spec, FaultPlan, Run, Verdict};
use racelab_engine::sql::TableView;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str = "\
usage:
  racelab check FILE...
      Validate lesson files; print file:line:col: message for each problem.
      Also runs every variant with the default schedule and checks its `expect` table.
  racelab run FILE [--variant NAME] [--schedule T1,T2,...] [--inject FAULT]... [--quiet]
      Run a lesson headless and print the trace, the final state and each assertion's verdict.
      --schedule  clients to step first, in order; then next events until no client can run
      --inject    a fault before a script line: exit@T1:5 or sleep=60000@T1:3 (repeatable)
      --quiet     print only the verdicts
  Exit status: 0 all good, 1 a lesson problem or a failing assertion, 2 bad usage.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("check") if args.len() > 1 => check(&args[1..]),
        Some("run") if args.len() > 1 => run_cmd(&args[1..]),
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

fn check(files: &[String]) -> ExitCode {
    let mut bad = 0;
    for f in files {
        let problems = match load(f) {
            Err(msgs) => msgs,
            Ok(l) => run::check_expectations(&l)
                .iter()
                .map(|e| e.to_string())
                .collect(),
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

fn run_cmd(args: &[String]) -> ExitCode {
    let mut file = None;
    let mut variant = None;
    let mut schedule: Vec<String> = Vec::new();
    let mut injects: Vec<String> = Vec::new();
    let mut quiet = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let r = match a.as_str() {
            "--variant" => value("--variant").map(|v| variant = Some(v)),
            "--schedule" => value("--schedule").map(|v| {
                schedule.extend(
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty()),
                )
            }),
            "--inject" => value("--inject").map(|v| injects.push(v)),
            "--quiet" => {
                quiet = true;
                Ok(())
            }
            s if s.starts_with("--") => Err(format!("unknown option {s}")),
            s if file.is_none() => {
                file = Some(s.to_string());
                Ok(())
            }
            s => Err(format!("unexpected argument {s}")),
        };
        if let Err(e) = r {
            eprintln!("racelab run: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    let Some(file) = file else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let lesson = match load(&file) {
        Ok(l) => l,
        Err(msgs) => {
            for m in msgs {
                eprintln!("{m}");
            }
            return ExitCode::from(1);
        }
    };
    let v = match &variant {
        None => 0,
        Some(name) => match lesson.variant_index(name) {
            Some(i) => i,
            None => {
                let names: Vec<&str> = lesson.variants.iter().map(|v| v.name.as_str()).collect();
                eprintln!(
                    "racelab run: {file} has no variant \"{name}\" (variants: {})",
                    names.join(", ")
                );
                return ExitCode::from(2);
            }
        },
    };
    let mut faults = FaultPlan::new();
    for spec in &injects {
        match parse_fault_spec(&lesson, spec) {
            Ok((at, f)) => {
                faults.insert(at, f);
            }
            Err(e) => {
                eprintln!("racelab run: --inject {e}");
                return ExitCode::from(2);
            }
        }
    }
    let mut r = Run::new(lesson.clone(), v, faults);
    for name in &schedule {
        let Some(c) = lesson.client_index(name) else {
            eprintln!("racelab run: --schedule names no client \"{name}\"");
            return ExitCode::from(2);
        };
        if let Err(e) = r.step(c) {
            eprintln!("racelab run: --schedule step {name}: {e}");
            return ExitCode::from(2);
        }
    }
    let finished = r.run_to_end();

    let l = r.lesson().clone();
    if !quiet {
        println!("lesson:  {} ({file})", l.title);
        println!("variant: {}", l.variants[v].name);
        if r.faults().is_empty() {
            println!("faults:  none");
        } else {
            let f: Vec<String> = r
                .faults()
                .iter()
                .map(|((c, line), f)| format!("{f} before {}:{line}", l.clients[*c].name))
                .collect();
            println!("faults:  {}", f.join(", "));
        }
        println!("\ntrace:");
        for e in &r.trace().events {
            println!(
                "  {:>6} ms  {:<4} {:>3}  {}",
                e.time,
                l.clients[e.client].name,
                e.line,
                r.describe(e)
            );
        }
        println!("\nclients:");
        for c in 0..l.clients.len() {
            println!("  {:<4} {}", l.clients[c].name, r.status_text(c));
        }
        println!("\nfinal state:");
        for t in r.world().db.tables() {
            print_table(&r, &t);
        }
        println!();
    }
    if let Err(e) = finished {
        eprintln!("racelab run: {e}");
        return ExitCode::from(1);
    }
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

fn print_table(r: &Run, t: &TableView) {
    println!("  {}", t.name);
    let mut rows: Vec<Vec<String>> = vec![t.columns.clone()];
    let mut notes = Vec::new();
    for row in &t.rows {
        match &row.committed {
            Some(vals) => rows.push(vals.iter().map(|v| v.to_string()).collect()),
            None => notes.push(format!("row {} inserted, not committed", row.key)),
        }
        if let Some((s, _)) = &row.pending {
            notes.push(format!(
                "row {}: uncommitted change by {}",
                row.key,
                r.session_name(*s)
            ));
        }
        if let Some(lock) = &row.lock {
            let waiters: Vec<String> = lock.waiters.iter().map(|s| r.session_name(*s)).collect();
            notes.push(format!(
                "row {}: locked by {}{}",
                row.key,
                r.session_name(lock.holder),
                if waiters.is_empty() {
                    String::new()
                } else {
                    format!(", waiting: {}", waiters.join(", "))
                }
            ));
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
