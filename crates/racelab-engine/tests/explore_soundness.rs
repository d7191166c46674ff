//! The explorer's reduction is sound: on many small generated lessons (2–3 clients, 2–5 lines
//! of SQL, Redis, computation and sleeps; an end check, an "always" check, a timing check and a
//! Redis key with a TTL), reduced and plain exploration find exactly the same set of
//! (fault placements, outcome signature with verdicts) — with state hashing alone and with
//! sleep sets too. Timeless lessons (no TTL, no timing check: the explorer then compares worlds
//! without their times) are generated and compared as well.

mod common;
use common::cases;
use racelab_engine::explore::{self, Config};
use racelab_engine::fault::Fault;
use racelab_engine::lesson;
use racelab_engine::model::Model;
use std::collections::BTreeSet;
use std::fmt::Write;
use std::sync::Arc;

/// A small deterministic generator (an LCG): no randomness in tests either.
struct Gen(u64);

impl Gen {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Lines that read the clock (a key with an expiry), replaced in timeless lessons.
const TIMED: &str = "redis SET k1 7 PX 10";

const LINES: &[&str] = &[
    "x = SELECT v FROM t WHERE id = 1",
    "UPDATE t SET v = v + 1 WHERE id = 1",
    "UPDATE t SET v = 5 WHERE id = 2",
    "x = redis GET k1",
    TIMED,
    "redis INCR k2",
    "y = 1",
    "sleep 10ms",
    "redis DEL k1",
    "UPDATE t SET v = v * 2 WHERE id = 1",
];

/// The text of generated lesson number `seed`; `timeless`: without TTLs and the timing check.
fn lesson_text(seed: u64, small: bool, timeless: bool) -> String {
    let mut g = Gen(seed.wrapping_mul(7919).wrapping_add(17));
    let clients = if small { 2 } else { 2 + g.next(2) as usize };
    let max_lines = match (clients, small) {
        (_, true) => 3,
        (2, false) => 5,
        _ => 2,
    };
    let mut t = String::new();
    let _ = write!(
        t,
        "title = \"generated {seed}\"\nservices = [\"postgres\", \"redis\"]\n\
         setup = '''\nCREATE TABLE t (id int PRIMARY KEY, v int NOT NULL);\n\
         INSERT INTO t VALUES (1, 0);\nINSERT INTO t VALUES (2, 0);\n'''\n\
         redis_setup = '''\nSET k1 0{}\n'''\n\
         [timing]\nsql = {}\nredis = {}\ncompute = {}\n[scripts]\n",
        match 5 + g.next(20) {
            _ if timeless => String::new(),
            ttl => format!(" PX {ttl}"),
        },
        1 + g.next(5),
        1 + g.next(3),
        1 + g.next(3)
    );
    for c in 0..clients {
        let n = 2 + g.next(max_lines as u64 - 1) as usize;
        let lines: Vec<&str> = (0..n)
            .map(|_| LINES[g.next(LINES.len() as u64) as usize])
            .map(|l| {
                if timeless && l == TIMED {
                    "redis SET k1 7"
                } else {
                    l
                }
            })
            .collect();
        let _ = write!(t, "s{c} = '''\n{}\n'''\n", lines.join("\n"));
    }
    for c in 0..clients {
        let start = [0, 0, 3][g.next(3) as usize];
        let _ = write!(
            t,
            "[[client]]\nname = \"C{c}\"\nscript = \"s{c}\"\nstart = {start}\n"
        );
    }
    let _ = write!(
        t,
        "[[assert]]\nid = \"v1\"\nsays = \"v1\"\nsql = \"SELECT v FROM t WHERE id = 1\"\nequals = {}\n\
         [[assert]]\nid = \"v2-stays\"\nsays = \"v2\"\nat = \"always\"\nsql = \"SELECT v FROM t WHERE id = 2\"\nequals = 0\n\
         {}\
         [[assert]]\nid = \"cache\"\nsays = \"cache\"\nredis = \"GET k1\"\nequals_sql = \"SELECT v FROM t WHERE id = 1\"\nmissing_ok = true\n",
        g.next(3),
        if timeless {
            String::new()
        } else {
            format!(
                "[[assert]]\nid = \"fast\"\nsays = \"fast\"\nfinish_within_ms = {}\n",
                10 + g.next(30)
            )
        }
    );
    t
}

fn faults() -> Vec<Fault> {
    vec![
        Fault::Exit,
        Fault::ExitAfter,
        Fault::Error,
        Fault::Timeout,
        Fault::Sleep(20),
    ]
}

/// Compares plain and reduced exploration (state hashing alone, and with sleep sets) of lesson
/// `seed`; false when the plain walk is too big for a test (over the budget), in which case
/// nothing is compared.
fn compare(seed: u64, max_faults: usize, timeless: bool, totals: &mut [u64; 6]) -> bool {
    let text = lesson_text(seed, max_faults > 1, timeless);
    let l = match lesson::parse("gen", "gen.toml", &text) {
        Ok(l) => Arc::new(l),
        Err(e) => panic!("seed {seed}: {e:?}\n{text}"),
    };
    let m = Model::new(l.clone(), 0);
    assert_eq!(m.timeless(), timeless, "seed {seed}:\n{text}");
    let run = |reduce, sleep_sets| {
        let cfg = Config {
            faults: if max_faults > 1 {
                vec![Fault::Exit, Fault::Timeout, Fault::Sleep(20)]
            } else {
                faults()
            },
            max_faults,
            reduce,
            sleep_sets,
            max_executions: Some(if full() { 20_000 } else { 4_000 }),
            ..Config::default()
        };
        explore::explore(&m, &cfg, None)
    };
    let plain = run(false, false);
    if plain.stopped.is_some() {
        return false;
    }
    let hashed = run(true, false);
    let sleeping = run(true, true);
    for reduced in [&hashed, &sleeping] {
        assert_eq!(reduced.stopped, None, "seed {seed}");
        assert_eq!(
            cases(&l, &plain),
            cases(&l, reduced),
            "seed {seed}:\n{text}"
        );
        assert!(reduced.stats.states <= plain.stats.states, "seed {seed}");
    }
    // State hashing alone keeps exact counts; sleep sets only skip executions.
    assert_eq!(
        hashed.stats.executions, plain.stats.executions,
        "seed {seed}"
    );
    assert!(sleeping.stats.executions <= plain.stats.executions);
    for (i, n) in [
        plain.stats.states,
        hashed.stats.states,
        sleeping.stats.states,
        plain.stats.steps,
        hashed.stats.steps,
        sleeping.stats.steps,
    ]
    .into_iter()
    .enumerate()
    {
        totals[i] += n;
    }
    true
}

/// Compares `take` of the first `lessons` generated lessons from `first`; at least `at_least`
/// must be small enough to walk plainly.
fn compare_many(
    what: &str,
    first: u64,
    counts: (u64, usize, usize),
    faults: usize,
    timeless: bool,
) {
    let (lessons, at_least, take) = counts;
    let mut t = [0; 6];
    let compared = (first..first + lessons)
        .filter(|&seed| compare(seed, faults, timeless, &mut t))
        .take(take)
        .count();
    assert!(compared >= at_least, "{compared}");
    eprintln!(
        "{what}, {compared} of {lessons} lessons: states plain/hashed/with sleep sets {}/{}/{}, steps {}/{}/{}",
        t[0], t[1], t[2], t[3], t[4], t[5]
    );
}

/// How many generated lessons to compare: a quick sample in every test run, the full set with
/// `RACELAB_SOUNDNESS=full` (about two minutes in a debug build on two cores).
fn full() -> bool {
    std::env::var("RACELAB_SOUNDNESS").is_ok_and(|v| v == "full")
}

#[test]
fn reduced_and_plain_find_the_same_outcomes_with_one_fault() {
    // Quick: the first 8 lessons small enough to walk plainly; full: every one of 40.
    let counts = if full() { (40, 25, 40) } else { (40, 8, 8) };
    compare_many("one fault", 0, counts, 1, false);
}

#[test]
fn reduced_and_plain_find_the_same_outcomes_with_two_faults() {
    let counts = if full() { (15, 8, 15) } else { (15, 4, 4) };
    compare_many("two faults", 100, counts, 2, false);
}

#[test]
fn reduced_and_plain_find_the_same_outcomes_of_timeless_lessons() {
    // Worlds compared without their times: one fault, then two.
    let counts = if full() { (40, 25, 40) } else { (40, 8, 8) };
    compare_many("timeless, one fault", 200, counts, 1, true);
    let counts = if full() { (15, 8, 15) } else { (15, 4, 4) };
    compare_many("timeless, two faults", 300, counts, 2, true);
}

#[test]
fn generated_lessons_vary() {
    // The generator covers what the reduction must respect: timers (TTLs), sleeps, the
    // "always" check and the timing check deciding some outcomes both ways.
    let mut verdicts = BTreeSet::new();
    for seed in 0..20 {
        let l =
            Arc::new(lesson::parse("gen", "gen.toml", &lesson_text(seed, false, false)).unwrap());
        let m = Model::new(l.clone(), 0);
        let r = explore::explore(&m, &Config::default(), None);
        for o in &r.outcomes {
            for (id, v) in &o.verdicts {
                verdicts.insert((id.clone(), *v));
            }
        }
    }
    for id in ["v1", "v2-stays", "fast", "cache"] {
        assert!(
            verdicts.contains(&(id.to_string(), "pass")),
            "{id} {verdicts:?}"
        );
        assert!(
            verdicts.contains(&(id.to_string(), "fail")),
            "{id} {verdicts:?}"
        );
    }
}
