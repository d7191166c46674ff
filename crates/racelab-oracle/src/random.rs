//! `racelab-oracle --random N --seed S`: N random schedules ([`crate::schedule`]) on PostgreSQL
//! and on the simulator. Each is generated while it runs on the server, then the recorded steps
//! are replayed on the simulator and judged as a scenario file would be. A disagreement is run
//! again (one that PostgreSQL does not repeat is kept as unstable, not failed), shrunk
//! ([`crate::shrink`]) and kept as a scenario file `random-S-I.txt`.
//!
//! Speed: all schedules share one database (`racelab_random_PID`, created at the start and
//! dropped at the end); before each run the table is dropped on a connection kept open for the
//! whole batch (which also serves as the admin connection for the lock probes), and the sessions
//! get fresh connections.

use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::pg::{PgScenario, Server};
use crate::runner::{compare, Failure};
use crate::scenario::{self, Action, Scenario, Step};
use crate::schedule::{self, Generated, Level};
use crate::shrink::shrink;
use crate::wire::Conn;

/// The database every schedule of this process runs in.
fn database() -> String {
    format!("racelab_random_{}", std::process::id())
}
/// A disagreeing schedule is run this many times more before it is shrunk (see [`keep`]). When
/// one COMMIT releases two waiters, which of them goes first is a race inside PostgreSQL (seen
/// both ways at 50/50 and at 80/20): more runs catch more of those, at 50 ms a run.
pub const CONFIRM_RUNS: usize = 5;
/// At most this many runs to shrink one disagreeing schedule.
pub const SHRINK_RUNS: usize = 60;
/// How often a progress line is printed.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);
const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Options {
    pub count: u64,
    /// The index of the first schedule (`--first`: to run schedule I of a seed alone).
    pub first: u64,
    pub seed: u64,
    pub levels: Vec<Level>,
    /// Where disagreeing schedules are written.
    pub keep: PathBuf,
    pub verbose: bool,
}

/// Schedule `index` of `seed`: its own generator, independent of the other schedules.
pub fn rng_for(seed: u64, index: u64) -> StdRng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&index.to_le_bytes());
    StdRng::from_seed(key)
}

/// The scenario text of a schedule: the title, a note, the steps (so its steps start on line 3
/// whatever the note says).
pub fn scenario_text(seed: u64, index: u64, note: &str, steps: &[Step]) -> String {
    let title = format!("random schedule, seed {seed} index {index}");
    schedule::render(&[title, note.to_string()], steps)
}

fn scenario(seed: u64, index: u64, steps: &[Step]) -> Scenario {
    let text = scenario_text(seed, index, "-", steps);
    scenario::parse(&format!("random-{seed}-{index}.txt"), &text)
        .expect("a rendered schedule parses")
}

/// Setup, check and `!wait` stay when shrinking: a wait that resolves a deadlock is part of
/// what the kept file is to check, also when the first difference comes before it.
fn removable(step: &Step) -> bool {
    step.session != "setup" && step.session != "check" && !matches!(step.action, Action::Wait(_))
}

/// The shared database and the connection that resets it.
struct Bench<'a> {
    server: &'a Server,
    database: String,
    conn: Conn,
}

impl<'a> Bench<'a> {
    fn open(server: &'a Server, admin: &mut Conn) -> io::Result<Bench<'a>> {
        let database = database();
        let drop = format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        admin.exec(&drop, TIMEOUT)?;
        admin.exec(&format!("CREATE DATABASE {database}"), TIMEOUT)?;
        let conn = server.connect(&database)?;
        Ok(Bench {
            server,
            database,
            conn,
        })
    }

    fn close(self, admin: &mut Conn) -> io::Result<()> {
        self.conn.terminate();
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database);
        admin.exec(&drop, TIMEOUT)?;
        Ok(())
    }

    /// Runs `f` on a fresh PgScenario over an empty database.
    fn fresh<T>(&mut self, f: impl FnOnce(&mut PgScenario) -> T) -> io::Result<T> {
        self.conn.exec("DROP TABLE IF EXISTS t", TIMEOUT)?;
        let mut pg = PgScenario::reuse(self.server, &mut self.conn, &self.database);
        let out = f(&mut pg);
        pg.finish()?;
        Ok(out)
    }

    fn generate(&mut self, rng: &mut StdRng, levels: &[Level]) -> io::Result<Generated> {
        self.fresh(|pg| schedule::generate(rng, levels, pg))?
    }

    /// A fresh run of `scenario` on both sides.
    fn judge(&mut self, scenario: &Scenario, log: bool) -> Result<Vec<String>, Failure> {
        self.fresh(|pg| compare(scenario, |step| pg.step(step), log))
            .map_err(|e| Failure::Broken(format!("postgres: {e}")))?
    }
}

/// What one schedule came to.
enum Verdict {
    Agreed,
    /// The text of the first difference and the kept file.
    Disagreed(String, PathBuf),
    /// A difference that PostgreSQL did not repeat on another run (it answered as the
    /// simulator, or went another way): not counted as a failure.
    Unstable(String, PathBuf),
    Error(String),
}

#[derive(Default)]
struct Tally {
    run: u64,
    agreed: u64,
    disagreed: u64,
    refused: u64,
    unstable: u64,
    errors: u64,
    with_wait: u64,
    /// The agreeing schedules without `!wait`, and the time they took: the plain rate.
    plain: u64,
    plain_time: Duration,
}

/// Runs the batch; `Ok(true)` when every schedule agreed.
pub fn run(server: &Server, admin: &mut Conn, opts: &Options) -> io::Result<bool> {
    let levels: Vec<&str> = opts.levels.iter().map(|l| l.short()).collect();
    println!(
        "random: {} schedule(s), seed {}, levels {}, differences kept in {}",
        opts.count,
        opts.seed,
        levels.join(","),
        opts.keep.display()
    );
    let mut bench = Bench::open(server, admin)?;
    let started = Instant::now();
    let mut last_progress = Instant::now();
    let mut t = Tally::default();
    for index in opts.first..opts.first + opts.count {
        let one = Instant::now();
        let (verdict, waited) = run_one(&mut bench, opts, index);
        t.add(verdict, waited, one.elapsed(), opts.seed, index);
        if last_progress.elapsed() >= PROGRESS_EVERY && t.run < opts.count {
            last_progress = Instant::now();
            println!(
                "random: {}/{} … {}",
                t.run,
                opts.count,
                summary(&t, started)
            );
        }
    }
    bench.close(admin)?;
    println!("random: {}", summary(&t, started));
    Ok(t.disagreed == 0 && t.errors == 0)
}

impl Tally {
    /// Counts a schedule's verdict and prints it unless it agreed.
    fn add(&mut self, verdict: Verdict, waited: bool, took: Duration, seed: u64, index: u64) {
        self.run += 1;
        self.with_wait += u64::from(waited);
        match verdict {
            Verdict::Agreed => {
                self.agreed += 1;
                if !waited {
                    self.plain += 1;
                    self.plain_time += took;
                }
            }
            Verdict::Disagreed(text, file) => {
                self.disagreed += 1;
                self.refused += u64::from(text.contains("the simulator refuses"));
                println!("DIFFERS  {}: {text}", file.display());
            }
            Verdict::Unstable(text, file) => {
                self.unstable += 1;
                println!("UNSTABLE {}: {text}", file.display());
            }
            Verdict::Error(e) => {
                self.errors += 1;
                println!("ERROR    seed {seed} index {index}: {e}");
            }
        }
    }
}

fn summary(t: &Tally, started: Instant) -> String {
    let secs = started.elapsed().as_secs_f64();
    let plain = t.plain as f64 / t.plain_time.as_secs_f64().max(1e-9);
    format!(
        "{} schedules in {secs:.1}s ({:.1}/s; {} with !wait; agreeing ones without !wait: \
         {plain:.1}/s): {} agreed, {} disagreed ({} where the simulator refuses a statement), \
         {} unstable (PostgreSQL answered otherwise on a rerun), {} errors",
        t.run,
        t.run as f64 / secs.max(1e-9),
        t.with_wait,
        t.agreed,
        t.disagreed,
        t.refused,
        t.unstable,
        t.errors
    )
}

/// Generates, runs and judges schedule `index`; keeps it when it disagrees. The flag: whether it
/// has a `!wait`.
fn run_one(bench: &mut Bench, opts: &Options, index: u64) -> (Verdict, bool) {
    let mut rng = rng_for(opts.seed, index);
    let g = match bench.generate(&mut rng, &opts.levels) {
        Ok(g) => g,
        Err(e) => return (Verdict::Error(format!("postgres: {e}")), false),
    };
    let waited = g.steps.iter().any(|s| matches!(s.action, Action::Wait(_)));
    let sc = scenario(opts.seed, index, &g.steps);
    if opts.verbose {
        println!("schedule seed {} index {index}:", opts.seed);
    }
    let mut recorded = g.observed.into_iter();
    let replay = |_: &Step| {
        recorded
            .next()
            .ok_or_else(|| io::Error::other("fewer observations than steps"))
    };
    let verdict = match compare(&sc, replay, opts.verbose) {
        Ok(_) => Verdict::Agreed,
        Err(Failure::Broken(e) | Failure::StillBlocked(e)) => Verdict::Error(e),
        Err(Failure::Differs(first)) => keep(bench, opts, index, sc.steps, first),
    };
    (verdict, waited)
}

/// Runs the disagreeing schedule again ([`CONFIRM_RUNS`] times), shrinks it and writes it to the
/// keep directory. When PostgreSQL answers as the simulator did on one of the runs, or takes
/// another path (a session stays blocked where the schedule goes on with it), the difference is
/// a race inside PostgreSQL: the schedule is kept unshrunk, as unstable.
fn keep(bench: &mut Bench, opts: &Options, index: u64, steps: Vec<Step>, first: String) -> Verdict {
    let seed = opts.seed;
    for run in 2..=CONFIRM_RUNS + 1 {
        let other_path = match bench.judge(&scenario(seed, index, &steps), false) {
            Err(Failure::Differs(_)) => continue,
            Err(Failure::Broken(e)) => return Verdict::Error(e),
            Ok(_) => "PostgreSQL answered as the simulator does".to_string(),
            Err(Failure::StillBlocked(e)) => format!("PostgreSQL took another path ({e})"),
        };
        let note = format!(
            "unstable: {first} — on run {run} of the same schedule {other_path}: a race inside \
             PostgreSQL"
        );
        return write(opts, index, &steps, note, Verdict::Unstable);
    }
    let before = steps.len();
    let mut last = None;
    let fails = |s: &[Step]| match bench.judge(&scenario(seed, index, s), false) {
        Err(Failure::Differs(text)) => {
            last = Some(text);
            true
        }
        _ => false,
    };
    let shrunk = shrink(steps, removable, fails, SHRINK_RUNS);
    let note = format!(
        "first disagreement: {} (shrunk from {before} to {} steps in {} runs)",
        last.unwrap_or(first),
        shrunk.steps.len(),
        shrunk.runs
    );
    write(opts, index, &shrunk.steps, note, Verdict::Disagreed)
}

/// Writes `random-S-I.txt` with `note` as its second comment line.
fn write(
    opts: &Options,
    index: u64,
    steps: &[Step],
    note: String,
    verdict: fn(String, PathBuf) -> Verdict,
) -> Verdict {
    let file = opts.keep.join(format!("random-{}-{index}.txt", opts.seed));
    let text = scenario_text(opts.seed, index, &note, steps);
    let written = std::fs::create_dir_all(&opts.keep).and_then(|()| std::fs::write(&file, text));
    match written {
        Ok(()) => verdict(note, file),
        Err(e) => Verdict::Error(format!("{}: {e} ({note})", file.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Sim;

    fn text(seed: u64, index: u64) -> String {
        let mut rng = rng_for(seed, index);
        let g = schedule::generate(&mut rng, &[Level::ReadCommitted], &mut Sim::new()).unwrap();
        scenario_text(seed, index, "-", &g.steps)
    }

    #[test]
    fn a_schedule_depends_on_its_seed_and_index_only() {
        assert_eq!(text(5, 17), text(5, 17));
        assert_ne!(text(5, 17), text(5, 18));
        assert_ne!(text(5, 17), text(6, 17));
    }

    #[test]
    fn the_steps_start_on_line_three_whatever_the_note() {
        let steps = scenario(1, 2, &[schedule::step("a", Action::Close)]).steps;
        let long = "first disagreement: line 9 `a: SELECT 1`: postgres: x\n| simulator: y";
        let text = scenario_text(1, 2, long, &steps);
        let s = scenario::parse("f", &text).unwrap();
        assert_eq!(s.title, "random schedule, seed 1 index 2");
        assert_eq!(s.steps[0].line, 3);
        assert_eq!(text.lines().count(), 3);
    }

    #[test]
    fn setup_check_and_waits_stay_when_shrinking() {
        let s = scenario::parse(
            "f",
            "setup: SELECT 1\na: SELECT 1\n!wait 1500\ncheck: SELECT 1",
        )
        .unwrap();
        let kept: Vec<bool> = s.steps.iter().map(removable).collect();
        assert_eq!(kept, [false, true, false, false]);
    }
}
