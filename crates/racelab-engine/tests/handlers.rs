//! Scripts that handle errors the way the documents' handlers do: `try:` / `except CODE:` /
//! `retry N`, with errors from PostgreSQL, Redis and injected connection errors.

use racelab_engine::fault::{Fault, FaultPlan};
use racelab_engine::model::Status;
use racelab_engine::run::Run;
use racelab_engine::{lesson, Lesson, Value};
use std::sync::Arc;

fn lesson_with(script: &str) -> Arc<Lesson> {
    let text = format!(
        r#"
title = "Handlers"
services = ["postgres", "redis"]
setup = '''
CREATE TABLE t (id int PRIMARY KEY);
INSERT INTO t VALUES (1);
'''
redis_setup = '''
HSET h f v
'''
[scripts]
s = '''
{script}
'''
[[client]]
name = "C"
script = "s"
"#
    );
    Arc::new(lesson::parse("h", "h.toml", &text).unwrap_or_else(|e| panic!("{e:?}")))
}

fn run(script: &str, faults: FaultPlan) -> Run {
    let mut r = Run::new(lesson_with(script), 0, faults);
    r.run_to_end().unwrap();
    r
}

fn var(r: &Run, name: &str) -> Option<Value> {
    r.world().clients[0].vars.get(name).cloned()
}

fn trace(r: &Run) -> Vec<String> {
    r.trace().events.iter().map(|e| r.describe(e)).collect()
}

#[test]
fn an_except_clause_catches_its_code_and_the_script_goes_on() {
    let r = run(
        "try:\n    INSERT INTO t VALUES (1)\n    x = 'inserted'\nexcept 23505:\n    x = 'duplicate'\nreturn x",
        FaultPlan::new(),
    );
    assert_eq!(var(&r, "x"), Some(Value::Text("duplicate".into())));
    assert_eq!(var(&r, "error_code"), Some(Value::Text("23505".into())));
    assert!(matches!(&var(&r, "error"), Some(Value::Text(m)) if m.contains("duplicate key")));
    assert!(matches!(r.world().clients[0].status, Status::Done { .. }));
    assert!(
        trace(&r)[0].contains("(caught: on at line 5)"),
        "{:?}",
        trace(&r)
    );
}

#[test]
fn an_error_no_clause_names_fails_the_request() {
    let r = run(
        "try:\n    INSERT INTO t VALUES (1)\nexcept 40001, 40P01:\n    x = 1\nreturn 2",
        FaultPlan::new(),
    );
    assert!(
        matches!(&r.world().clients[0].status, Status::Failed { message } if message.contains("23505")),
        "{:?}",
        r.world().clients[0].status
    );
}

#[test]
fn retry_goes_back_to_the_try_and_an_injected_error_hits_once() {
    // The error fault fires the first time line 2 runs; the retry then succeeds.
    let mut faults = FaultPlan::new();
    faults.insert((0, 2), Fault::Error);
    let r = run(
        "try:\n    INSERT INTO t VALUES (2)\nexcept connection:\n    retry 2\n    fail 'gave up'\nreturn 'ok'",
        faults,
    );
    let t = trace(&r);
    assert!(t.iter().any(|l| l.starts_with("ERROR injected")), "{t:?}");
    assert!(t.iter().any(|l| l.contains("retry 1 of 2")), "{t:?}");
    assert!(
        matches!(&r.world().clients[0].status, Status::Done { value: Some(Value::Text(v)) } if v == "ok")
    );
    let rows = r.world().postgres().unwrap().db().tables()[0].rows.len();
    assert_eq!(rows, 2, "the retried INSERT landed once");
}

#[test]
fn retries_used_up_fall_through_to_the_next_line() {
    let r = run(
        "try:\n    INSERT INTO t VALUES (1)\nexcept 23505:\n    retry 2\n    fail 'gave up'\nreturn 'ok'",
        FaultPlan::new(),
    );
    let t = trace(&r);
    assert_eq!(
        t.iter().filter(|l| l.contains("(caught")).count(),
        3,
        "{t:?}"
    );
    assert!(t.iter().any(|l| l.contains("2 retries used up")), "{t:?}");
    assert!(
        matches!(&r.world().clients[0].status, Status::Failed { message } if message == "gave up")
    );
}

#[test]
fn an_inner_try_passes_what_it_does_not_catch_to_the_outer_one() {
    let r = run(
        "try:\n    try:\n        x = redis GET h\n    except 23505:\n        x = 'inner'\nexcept WRONGTYPE:\n    x = 'outer'\nreturn x",
        FaultPlan::new(),
    );
    assert_eq!(var(&r, "x"), Some(Value::Text("outer".into())));
    assert_eq!(var(&r, "error_code"), Some(Value::Text("WRONGTYPE".into())));
}

#[test]
fn handler_mistakes_are_located_errors() {
    let cases = [
        (
            "except 23505:\n    x = 1",
            "`except` without a `try:` above it",
        ),
        ("try:\n    x = 1\nreturn 1", "needs at least one `except"),
        ("retry 3", "`retry` goes inside an `except` block"),
        (
            "try:\n    x = 1\nexcept:\n    x = 2\nexcept 23505:\n    x = 3",
            "must come last",
        ),
    ];
    for (script, want) in cases {
        let text = format!(
            "title = \"x\"\nsetup = 'CREATE TABLE t (id int)'\n[scripts]\ns = '''\n{script}\n'''\n[[client]]\nname = \"C\"\nscript = \"s\"\n"
        );
        let errs = lesson::parse("x", "x.toml", &text).expect_err(script);
        assert!(errs[0].message.contains(want), "{script}: {}", errs[0]);
        assert!(errs[0].at.line >= 5, "{script}: {}", errs[0]);
    }
}

#[test]
fn an_error_fault_goes_only_on_a_line_that_calls_a_service() {
    let mut r = Run::new(
        lesson_with("x = 1\nINSERT INTO t VALUES (3)"),
        0,
        FaultPlan::new(),
    );
    assert!(r.set_fault(0, 1, Some(Fault::Error)).is_err());
    assert!(r.set_fault(0, 2, Some(Fault::Error)).is_ok());
    r.run_to_end().unwrap();
    assert!(
        matches!(&r.world().clients[0].status, Status::Failed { message } if message.contains("connection refused"))
    );
}

#[test]
fn a_service_down_from_a_line_fails_its_calls_until_it_is_up_again() {
    // Redis goes down when C reaches line 1 and comes back when C reaches line 4.
    let script = "try:\n    x = redis GET k\nexcept connection:\n    x = 'fallback'\ny = redis PING\nreturn x";
    let l = lesson_with(script);
    let mut faults = FaultPlan::new();
    let (at, down) = racelab_engine::fault::parse_spec(&l, "down=redis@C:2").unwrap();
    faults.insert(at, down);
    let (at, up) = racelab_engine::fault::parse_spec(&l, "up=redis@C:5").unwrap();
    faults.insert(at, up);
    let mut r = Run::new(l, 0, faults);
    r.run_to_end().unwrap();
    assert_eq!(var(&r, "x"), Some(Value::Text("fallback".into())));
    assert!(
        matches!(&var(&r, "error"), Some(Value::Text(m)) if m == "Redis is down (connection refused)")
    );
    assert_eq!(var(&r, "y"), Some(Value::Text("PONG".into())));
    let t = trace(&r);
    assert!(t.iter().any(|l| l.starts_with("Redis DOWN")), "{t:?}");
    assert!(t.iter().any(|l| l.starts_with("Redis UP")), "{t:?}");
    assert_eq!(r.service_panels()[1].health, "up");
}

#[test]
fn a_slow_service_makes_every_call_longer() {
    let l = lesson_with("x = redis PING\ny = redis PING");
    let mut faults = FaultPlan::new();
    let (at, slow) = racelab_engine::fault::parse_spec(&l, "slow=redis:50@C:2").unwrap();
    faults.insert(at, slow);
    let mut r = Run::new(l, 0, faults);
    r.run_to_end().unwrap();
    // PING at 1 ms; the fault at 1 ms; the second PING takes 1 + 50 ms.
    assert_eq!(r.world().clients[0].finished_at, Some(52));
    assert_eq!(r.service_panels()[1].health, "slow (+50 ms)");
    let l = lesson_with("x = 1");
    let err = racelab_engine::fault::parse_spec(&l, "down=mongo@C:1").unwrap_err();
    assert!(
        err.contains("no service named mongo (services: postgres, redis)"),
        "{err}"
    );
}

#[test]
fn a_timeout_lets_the_call_take_effect_but_the_client_never_learns_it() {
    // The INSERT lands at PostgreSQL; the client sees a timeout, retries, and meets its own row.
    let mut faults = FaultPlan::new();
    faults.insert((0, 2), Fault::Timeout);
    let r = run(
        "try:\n    INSERT INTO t VALUES (5)\n    x = 'inserted'\nexcept timeout:\n    retry 1\nexcept 23505:\n    x = 'already there'\nreturn x",
        faults,
    );
    assert_eq!(var(&r, "x"), Some(Value::Text("already there".into())));
    let t = trace(&r);
    assert!(t.iter().any(|l| l.starts_with("TIMEOUT injected")), "{t:?}");
    assert!(
        t.iter()
            .any(|l| l.contains("timeout (injected): no reply came")),
        "{t:?}"
    );
}
