//! Random small schedules: 2–3 sessions over a 2–3 row table, each a transaction of 2–4
//! statements drawn from [`MENU`] at a random isolation level, interleaved step by step.
//!
//! The plan (rows, sessions, their statements) is drawn first; the interleaving is drawn while
//! the schedule runs on a [`Driver`] (PostgreSQL in the oracle, the simulator in the tests): the
//! next step goes to a random session that is not blocked and has steps left. When every
//! session with steps left is blocked, or the blocked ones wait for each other in a cycle, the
//! schedule says `!wait 1500` (PostgreSQL's deadlock detector runs after `deadlock_timeout`,
//! 1 s); when that wakes nothing, the other sessions go on, and if none can, the schedule ends
//! (at most [`MAX_WAITS`] waits). Every schedule ends with `check: SELECT * FROM t ORDER BY id`.
//!
//! Everything random comes from the `StdRng` the caller seeds, so a seed and what the driver
//! observes fix the schedule.

use std::collections::VecDeque;
use std::io;
use std::ops::RangeInclusive;

use rand::rngs::StdRng;
use rand::Rng;

use crate::outcome::Observed;
use crate::pg::PgScenario;
use crate::scenario::{Action, Mark, Step};
use crate::sim::Sim;

/// Sessions per schedule (named `a`, `b`, `c`).
pub const SESSIONS: RangeInclusive<usize> = 2..=3;
/// Statements per session, between its BEGIN and its end (COMMIT, ROLLBACK or a crash).
pub const STATEMENTS: RangeInclusive<usize> = 2..=4;
/// Rows in the table (ids 1, 2, …).
pub const ROWS: RangeInclusive<i64> = 2..=3;
/// The values in the table and in the statements' literals.
pub const VALUES: RangeInclusive<i64> = 0..=4;
/// How long `!wait` lets pass: beyond PostgreSQL's deadlock_timeout (1 s).
pub const WAIT_MS: u64 = 1500;
/// At most this many `!wait`s per schedule.
pub const MAX_WAITS: usize = 3;

pub const SETUP_TABLE: &str = "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)";
pub const CHECK: &str = "SELECT * FROM t ORDER BY id";

/// The statements a session draws from, with their weights. Placeholders: `{k}` the id of a row
/// of the setup, `{n}` an id from 1 to one past the last row (a new or an existing key), `{x}` a
/// value from [`VALUES`]. Only what the simulator models; multi-row SELECTs without ORDER BY
/// return PostgreSQL's scan order (heap order for a sequential scan, first-tuple order for a
/// bitmap index scan).
pub const MENU: &[(u32, &str)] = &[
    (3, "SELECT v FROM t WHERE id = {k}"),
    (2, "SELECT id, v FROM t WHERE v > {x} ORDER BY id"),
    (1, "SELECT * FROM t ORDER BY id"),
    (1, "SELECT * FROM t"),
    (1, "SELECT id, v FROM t WHERE id >= {k}"),
    (2, "SELECT v FROM t WHERE id = {k} FOR UPDATE"),
    (1, "SELECT v FROM t WHERE id = {k} FOR NO KEY UPDATE"),
    (1, "SELECT v FROM t WHERE id = {k} FOR SHARE"),
    (1, "SELECT v FROM t WHERE id = {k} FOR KEY SHARE"),
    (
        1,
        "SELECT id, v FROM t WHERE v > {x} ORDER BY id FOR UPDATE",
    ),
    (4, "UPDATE t SET v = v + 1 WHERE id = {k}"),
    (2, "UPDATE t SET v = {x} WHERE id = {k}"),
    (2, "UPDATE t SET v = v + 1 WHERE v > {x}"),
    (2, "INSERT INTO t VALUES ({n}, {x})"),
    (1, "INSERT INTO t VALUES ({n}, {x}), ({n}, {x})"),
    (
        1,
        "INSERT INTO t VALUES ({n}, {x}) ON CONFLICT (id) DO UPDATE SET v = t.v + 1",
    ),
    (1, "INSERT INTO t VALUES ({n}, {x}) ON CONFLICT DO NOTHING"),
    (2, "DELETE FROM t WHERE id = {k}"),
];

/// How a session's transaction ends, with weights: mostly COMMIT, rarely ROLLBACK, sometimes
/// the client crashes (`!close`) with the transaction open.
const ENDINGS: &[(u32, Ending)] = &[
    (16, Ending::Commit),
    (2, Ending::Rollback),
    (2, Ending::Crash),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    Commit,
    Rollback,
    Crash,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

impl Level {
    /// `rc`, `rr`, `ser`.
    pub fn short(self) -> &'static str {
        match self {
            Level::ReadCommitted => "rc",
            Level::RepeatableRead => "rr",
            Level::Serializable => "ser",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Level::ReadCommitted => "READ COMMITTED",
            Level::RepeatableRead => "REPEATABLE READ",
            Level::Serializable => "SERIALIZABLE",
        }
    }

    /// `rc,rr,ser` (any non-empty subset, in any order).
    pub fn parse_list(text: &str) -> Result<Vec<Level>, String> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim) {
            let level = [
                Level::ReadCommitted,
                Level::RepeatableRead,
                Level::Serializable,
            ]
            .into_iter()
            .find(|l| l.short() == part)
            .ok_or_else(|| format!("unknown isolation level `{part}` (rc, rr, ser)"))?;
            if !out.contains(&level) {
                out.push(level);
            }
        }
        Ok(out)
    }

    /// The BEGIN that opens a session's transaction: READ COMMITTED is also plain `BEGIN`.
    fn begin(self, rng: &mut StdRng) -> String {
        if self == Level::ReadCommitted && rng.random_ratio(1, 3) {
            return "BEGIN".to_string();
        }
        format!("BEGIN ISOLATION LEVEL {}", self.sql())
    }
}

/// A schedule's run so far, step by step: a live PostgreSQL (the oracle) or the simulator.
pub trait Driver {
    fn step(&mut self, step: &Step) -> io::Result<Observed>;
    /// Whether the session's last statement waits for a lock.
    fn blocked(&self, session: &str) -> bool;
    /// Whether the blocked sessions wait for each other in a cycle.
    fn wait_cycle(&mut self) -> io::Result<bool>;
}

impl Driver for PgScenario<'_> {
    fn step(&mut self, step: &Step) -> io::Result<Observed> {
        PgScenario::step(self, step)
    }
    fn blocked(&self, session: &str) -> bool {
        PgScenario::blocked(self, session)
    }
    fn wait_cycle(&mut self) -> io::Result<bool> {
        PgScenario::wait_cycle(self)
    }
}

impl Driver for Sim {
    fn step(&mut self, step: &Step) -> io::Result<Observed> {
        Ok(Sim::step(self, step))
    }
    fn blocked(&self, session: &str) -> bool {
        Sim::blocked(self, session)
    }
    /// The simulator does not say; a schedule on it waits only when nothing else can run.
    fn wait_cycle(&mut self) -> io::Result<bool> {
        Ok(false)
    }
}

/// A step as the generator writes it (its line is set when the schedule is rendered).
pub fn step(session: &str, action: Action) -> Step {
    Step {
        line: 0,
        session: session.to_string(),
        action,
        mark: Mark::None,
    }
}

fn sql(session: &str, text: String) -> Step {
    step(session, Action::Sql(text))
}

fn weighted<'m, T>(rng: &mut StdRng, menu: &'m [(u32, T)]) -> &'m T {
    let total: u32 = menu.iter().map(|(w, _)| w).sum();
    let mut pick = rng.random_range(0..total);
    for (w, item) in menu {
        if pick < *w {
            return item;
        }
        pick -= w;
    }
    unreachable!("pick < total")
}

/// One statement from [`MENU`] with its placeholders filled in, for a table of `rows` rows.
fn statement(rng: &mut StdRng, rows: i64) -> String {
    let mut text = weighted(rng, MENU).to_string();
    for (hole, range) in [("{k}", 1..=rows), ("{n}", 1..=rows + 1), ("{x}", VALUES)] {
        while let Some(at) = text.find(hole) {
            let v = rng.random_range(range.clone());
            text.replace_range(at..at + hole.len(), &v.to_string());
        }
    }
    text
}

/// The setup steps and each session's steps, drawn before anything runs.
pub struct Plan {
    pub setup: Vec<Step>,
    pub sessions: Vec<Vec<Step>>,
}

impl Plan {
    pub fn draw(rng: &mut StdRng, levels: &[Level]) -> Plan {
        assert!(!levels.is_empty(), "at least one isolation level");
        let rows = rng.random_range(ROWS);
        let values: Vec<String> = (1..=rows)
            .map(|id| format!("({id}, {})", rng.random_range(VALUES)))
            .collect();
        let setup = vec![
            sql("setup", SETUP_TABLE.to_string()),
            sql(
                "setup",
                format!("INSERT INTO t VALUES {}", values.join(", ")),
            ),
        ];
        let count = rng.random_range(SESSIONS);
        let sessions = ["a", "b", "c"][..count]
            .iter()
            .map(|name| {
                let level = levels[rng.random_range(0..levels.len())];
                let mut steps = vec![sql(name, level.begin(rng))];
                for _ in 0..rng.random_range(STATEMENTS) {
                    steps.push(sql(name, statement(rng, rows)));
                }
                steps.push(match weighted(rng, ENDINGS) {
                    Ending::Commit => sql(name, "COMMIT".into()),
                    Ending::Rollback => sql(name, "ROLLBACK".into()),
                    Ending::Crash => step(name, Action::Close),
                });
                steps
            })
            .collect();
        Plan { setup, sessions }
    }
}

/// A schedule and what the driver observed at each of its steps.
pub struct Generated {
    pub steps: Vec<Step>,
    pub observed: Vec<Observed>,
}

impl Generated {
    fn run(&mut self, driver: &mut impl Driver, step: Step) -> io::Result<()> {
        self.observed.push(driver.step(&step)?);
        self.steps.push(step);
        Ok(())
    }
}

/// Draws a plan and runs it on `driver`, interleaving as it goes (see the module doc).
pub fn generate(
    rng: &mut StdRng,
    levels: &[Level],
    driver: &mut impl Driver,
) -> io::Result<Generated> {
    let plan = Plan::draw(rng, levels);
    let mut g = Generated {
        steps: Vec::new(),
        observed: Vec::new(),
    };
    for s in plan.setup {
        g.run(driver, s)?;
    }
    let mut queues: Vec<VecDeque<Step>> = plan.sessions.into_iter().map(Into::into).collect();
    let mut waits = 0;
    let mut fruitless_wait = false;
    loop {
        let name = |q: &VecDeque<Step>| q.front().map(|s| s.session.clone());
        let blocked = |q: &VecDeque<Step>| name(q).is_some_and(|n| driver.blocked(&n));
        let any_blocked = queues.iter().any(blocked);
        let blocked_now = queues.iter().filter(|q| blocked(q)).count();
        let runnable: Vec<usize> = (0..queues.len())
            .filter(|&i| !queues[i].is_empty() && !blocked(&queues[i]))
            .collect();
        // A wait that woke nothing is not repeated until another step ran.
        let may_wait = any_blocked && !fruitless_wait && waits < MAX_WAITS;
        if may_wait && (runnable.is_empty() || driver.wait_cycle()?) {
            g.run(driver, step("", Action::Wait(WAIT_MS)))?;
            waits += 1;
            fruitless_wait = g.observed.last().is_some_and(|o| o.woken.is_empty());
            continue;
        }
        if runnable.is_empty() {
            break;
        }
        // Ending a transaction while two or more sessions wait releases them at once, and
        // PostgreSQL's waiters then race (either may get the row first): such a step is left
        // for last, and the schedule ends rather than take it.
        let calm: Vec<usize> = runnable
            .iter()
            .copied()
            .filter(|&i| blocked_now < 2 || !queues[i].front().is_some_and(ends_transaction))
            .collect();
        if calm.is_empty() {
            break;
        }
        let runnable = calm;
        let i = runnable[rng.random_range(0..runnable.len())];
        let next = queues[i]
            .pop_front()
            .expect("runnable queues are not empty");
        g.run(driver, next)?;
        fruitless_wait = false;
    }
    g.run(driver, sql("check", CHECK.to_string()))?;
    Ok(g)
}

/// The scenario file of a schedule: `comments` (the first one is the title), then the steps.
/// COMMIT, END, ROLLBACK (not ROLLBACK TO) or a client crash: the end of a transaction, which
/// releases its locks.
fn ends_transaction(step: &Step) -> bool {
    match &step.action {
        Action::Close => true,
        Action::Sql(text) => {
            let t = text.trim().to_ascii_uppercase();
            t.starts_with("COMMIT")
                || t.starts_with("END")
                || (t.starts_with("ROLLBACK") && !t.contains(" TO "))
        }
        _ => false,
    }
}

pub fn render(comments: &[String], steps: &[Step]) -> String {
    let mut text = String::new();
    for c in comments {
        text.push_str("# ");
        text.push_str(&c.replace('\n', " "));
        text.push('\n');
    }
    for s in steps {
        text.push_str(&s.to_string());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;
    use rand::SeedableRng;

    fn text(seed: u64) -> String {
        let mut rng = StdRng::seed_from_u64(seed);
        let levels = [Level::ReadCommitted];
        let g = generate(&mut rng, &levels, &mut Sim::new()).unwrap();
        render(&[format!("seed {seed}")], &g.steps)
    }

    #[test]
    fn a_seed_gives_the_same_schedule_every_time() {
        for seed in 0..20 {
            assert_eq!(text(seed), text(seed));
        }
        assert_ne!(text(1), text(2));
    }

    #[test]
    fn levels_parse() {
        assert_eq!(
            Level::parse_list("rc,ser").unwrap(),
            [Level::ReadCommitted, Level::Serializable]
        );
        assert_eq!(
            Level::parse_list("rr, rr").unwrap(),
            [Level::RepeatableRead]
        );
        assert!(Level::parse_list("rc,snapshot").is_err());
        assert!(Level::parse_list("").is_err());
    }

    /// The ids a statement names: after `id = `, and first in each `(…)` of VALUES.
    fn ids(sql: &str) -> Vec<i64> {
        let mut out = Vec::new();
        for key in ["id = ", "("] {
            for (at, _) in sql.match_indices(key) {
                let rest = &sql[at + key.len()..];
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                out.extend(digits.parse::<i64>().ok());
            }
        }
        out
    }

    #[test]
    fn plans_respect_the_bounds() {
        let levels = [
            Level::ReadCommitted,
            Level::RepeatableRead,
            Level::Serializable,
        ];
        let mut seen_levels = std::collections::BTreeSet::new();
        for seed in 0..300 {
            let mut rng = StdRng::seed_from_u64(seed);
            let plan = Plan::draw(&mut rng, &levels);
            let Action::Sql(insert) = &plan.setup[1].action else {
                panic!("the setup inserts")
            };
            let rows = insert.matches('(').count() as i64;
            assert!(ROWS.contains(&rows), "{insert}");
            assert_eq!(ids(insert), (1..=rows).collect::<Vec<_>>(), "{insert}");
            assert!(SESSIONS.contains(&plan.sessions.len()));
            for steps in &plan.sessions {
                assert!(STATEMENTS.contains(&(steps.len() - 2)));
                let Action::Sql(begin) = &steps[0].action else {
                    panic!("a session begins")
                };
                assert!(begin.starts_with("BEGIN"), "{begin}");
                seen_levels.insert(begin.clone());
                for s in &steps[1..steps.len() - 1] {
                    let Action::Sql(sql) = &s.action else {
                        panic!("statements in between")
                    };
                    assert!(
                        ids(sql).iter().all(|id| (1..=rows + 1).contains(id)),
                        "{sql}"
                    );
                }
                let end = steps.last().unwrap().to_string();
                assert!(
                    end.ends_with(": COMMIT")
                        || end.ends_with(": ROLLBACK")
                        || end.ends_with(": !close"),
                    "{end}"
                );
            }
        }
        // Plain BEGIN and the three explicit levels all occur.
        assert_eq!(seen_levels.len(), 4, "{seen_levels:?}");
    }

    #[test]
    fn generated_schedules_parse_and_stay_within_the_plan() {
        for seed in 0..200 {
            let text = text(seed);
            let s = parse("g", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            let names: std::collections::BTreeSet<&str> = s
                .steps
                .iter()
                .map(|st| st.session.as_str())
                .filter(|n| !["setup", "check", ""].contains(n))
                .collect();
            assert!(names.len() <= *SESSIONS.end(), "{text}");
            for n in &names {
                let count = s.steps.iter().filter(|st| st.session == *n).count();
                assert!(count <= STATEMENTS.end() + 2, "{text}");
            }
            assert_eq!(
                s.steps.last().unwrap().to_string(),
                format!("check: {CHECK}")
            );
            let waits = s
                .steps
                .iter()
                .filter(|st| matches!(st.action, Action::Wait(_)))
                .count();
            assert!(waits <= MAX_WAITS, "{text}");
        }
    }

    #[test]
    fn the_menu_only_holds_what_the_simulator_answers() {
        let mut rng = StdRng::seed_from_u64(7);
        for (_, template) in MENU {
            let sql = template
                .replace("{k}", "1")
                .replace("{n}", "3")
                .replace("{x}", "0");
            let text = format!(
                "setup: {SETUP_TABLE}\nsetup: INSERT INTO t VALUES (1, 0), (2, 1)\na: BEGIN\na: {sql}\n"
            );
            let s = parse("m", &text).unwrap();
            let mut sim = Sim::new();
            for st in &s.steps {
                let o = sim.step(st).outcome;
                assert!(!o.is_refusal(), "{sql}: {o}");
            }
        }
        // Every placeholder is filled.
        for _ in 0..100 {
            assert!(!statement(&mut rng, 3).contains('{'));
        }
    }
}
