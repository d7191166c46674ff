//! Properties judged at the end of a run or in every state ("always").

use racelab_engine::fault::FaultPlan;
use racelab_engine::property::Verdict;
use racelab_engine::run::Run;
use racelab_engine::{lesson, Lesson};
use std::sync::Arc;

const LESSON: &str = r#"
title = "A dip"
setup = '''
CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
INSERT INTO accounts VALUES (1, 500);
'''
[scripts]
dip = '''
UPDATE accounts SET balance = 0 WHERE id = 1
UPDATE accounts SET balance = 500 WHERE id = 1
'''
[[client]]
name = "T1"
script = "dip"

[[assert]]
id = "at-end"
says = "The balance ends at 500"
sql = "SELECT balance FROM accounts WHERE id = 1"
equals = 500

[[assert]]
id = "always"
says = "The balance is 500 in every state"
at = "always"
sql = "SELECT balance FROM accounts WHERE id = 1"
equals = 500
"#;

fn parse(text: &str) -> Arc<Lesson> {
    Arc::new(lesson::parse("dip", "dip.toml", text).unwrap_or_else(|e| panic!("{e:?}")))
}

fn verdicts(r: &Run) -> Vec<(Verdict, String)> {
    r.verdicts()
        .into_iter()
        .map(|v| (v.verdict, v.detail))
        .collect()
}

#[test]
fn an_always_property_fails_at_the_first_state_that_breaks_it_even_if_the_end_is_fine() {
    let mut r = Run::new(parse(LESSON), 0, FaultPlan::new());
    let v = verdicts(&r);
    assert_eq!(v[0].0, Verdict::Pending);
    assert_eq!(v[1], (Verdict::Pending, "holds so far; now 500".into()));
    r.step(0).unwrap(); // balance 0 at 5 ms
    assert_eq!(
        verdicts(&r)[1],
        (Verdict::Fail, "at 5 ms: got 0, expected 500".into())
    );
    r.run_to_end().unwrap();
    let v = verdicts(&r);
    assert_eq!(v[0], (Verdict::Pass, "got 500".into()));
    assert_eq!(v[1], (Verdict::Fail, "at 5 ms: got 0, expected 500".into()));
    // Back before the dip: the violation is gone with the state that had it.
    r.back();
    r.back();
    assert_eq!(verdicts(&r)[1].0, Verdict::Pending);
}

#[test]
fn an_always_property_that_holds_everywhere_passes_at_the_end() {
    let text = LESSON.replace("SET balance = 0", "SET balance = 500");
    let mut r = Run::new(parse(&text), 0, FaultPlan::new());
    r.run_to_end().unwrap();
    assert_eq!(
        verdicts(&r)[1],
        (Verdict::Pass, "held in every state; got 500".into())
    );
}

#[test]
fn a_wrong_at_is_a_located_error() {
    let text = LESSON.replace("at = \"always\"", "at = \"sometimes\"");
    let errs = lesson::parse("dip", "dip.toml", &text).expect_err("rejected");
    let line = text.lines().position(|l| l.contains("sometimes")).unwrap() + 1;
    assert_eq!(errs[0].at.line, line);
    assert!(
        errs[0].message.contains("\"end\" or \"always\""),
        "{}",
        errs[0]
    );
}

#[test]
fn services_and_timing_keys_are_checked() {
    let text = LESSON.replace(
        "title = \"A dip\"",
        "title = \"A dip\"\nservices = [\"postgres\", \"mongo\"]",
    );
    let errs = lesson::parse("dip", "dip.toml", &text).expect_err("rejected");
    assert!(
        errs[0].message.contains("no service named \"mongo\""),
        "{}",
        errs[0]
    );
    assert_eq!(errs[0].at.line, 3);

    let text = LESSON.replace(
        "[scripts]",
        "[timing]\npostgres = 7\ncompute = 2\n[scripts]",
    );
    let l = parse(&text);
    assert_eq!((l.timing.call(0), l.timing.compute), (7, 2));
    let mut r = Run::new(l, 0, FaultPlan::new());
    r.step(0).unwrap();
    assert_eq!(
        r.now(),
        7,
        "a PostgreSQL call takes the lesson's `postgres` time"
    );
}

#[test]
fn sql_without_the_postgres_service_says_what_is_missing() {
    let text = LESSON.replace("title = \"A dip\"", "title = \"A dip\"\nservices = []");
    let errs = lesson::parse("dip", "dip.toml", &text).expect_err("rejected");
    let all: Vec<String> = errs.iter().map(|e| e.message.clone()).collect();
    let has = |needle: &str| all.iter().any(|m| m.contains(needle));
    assert!(has("a lesson needs at least one service"), "{all:?}");
    assert!(has("`setup` is PostgreSQL's setup SQL"), "{all:?}");
    assert!(
        has("this line is for PostgreSQL, but the lesson does not use it"),
        "{all:?}"
    );
    assert!(
        has("an sql assertion needs the postgres service"),
        "{all:?}"
    );
}

#[test]
fn a_counter_assertion_reads_the_caches_counters() {
    let text = r#"
title = "Counters"
services = ["redis"]
redis_setup = '''
SET a 1
'''
[scripts]
s = '''
x = redis GET a
y = redis GET b
z = redis GET c
'''
[[client]]
name = "C"
script = "s"

[[assert]]
id = "misses"
says = "Two reads missed the cache"
counter = "redis.misses"
equals = 2

[[assert]]
id = "hits"
says = "One read hit"
counter = "redis.hits"
equals = 2
"#;
    let mut r = Run::new(parse(text), 0, FaultPlan::new());
    r.run_to_end().unwrap();
    let v = verdicts(&r);
    assert_eq!(v[0], (Verdict::Pass, "misses = 2".into()));
    assert_eq!(v[1], (Verdict::Fail, "hits = 1, expected 2".into()));
    let bad = text.replace("redis.hits", "redis.hats");
    let errs = lesson::parse("c", "c.toml", &bad).expect_err("unknown counter");
    assert!(
        errs[0].message.contains("no counter \"redis.hats\""),
        "{}",
        errs[0]
    );
}
