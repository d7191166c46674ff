//! The Cassandra-like store (seed 004): single-partition lightweight transactions and what a
//! crash between two writes leaves.

use racelab_engine::fault::{Fault, FaultPlan};
use racelab_engine::run::Run;
use racelab_engine::service::ServiceView;
use racelab_engine::{lesson, Lesson, Value};
use std::sync::Arc;

fn lesson_with(script: &str) -> Result<Arc<Lesson>, String> {
    let text = format!(
        r#"
title = "Billing"
services = ["cassandra"]
cassandra_setup = '''
CREATE TABLE ops (id text PRIMARY KEY, status text, amount int)
CREATE TABLE balances (id text PRIMARY KEY, amount int, version int)
INSERT INTO balances (id, amount, version) VALUES ('acc', 100, 1)
'''
[scripts]
s = '''
{script}
'''
[[client]]
name = "C"
script = "s"
vars = {{ op = "op-1" }}
"#
    );
    lesson::parse("c", "c.toml", &text)
        .map(Arc::new)
        .map_err(|e| {
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
}

fn run(script: &str, faults: FaultPlan) -> Run {
    let mut r = Run::new(lesson_with(script).unwrap(), 0, faults);
    r.run_to_end().unwrap();
    r
}

fn var(r: &Run, name: &str) -> Value {
    r.world().clients[0]
        .vars
        .get(name)
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn lightweight_transactions_answer_applied_and_the_current_values() {
    let r = run(
        "a1 = cql INSERT INTO ops (id, status, amount) VALUES (:op, 'PENDING', 30) IF NOT EXISTS\n\
         a2, st = cql INSERT INTO ops (id, status, amount) VALUES (:op, 'PENDING', 99) IF NOT EXISTS\n\
         a3 = cql UPDATE ops SET status = 'PROCESSING' WHERE id = :op IF status = 'PENDING'\n\
         a4, was = cql UPDATE ops SET status = 'PROCESSING' WHERE id = :op IF status = 'PENDING'\n\
         amount, version = cql SELECT amount, version FROM balances WHERE id = 'acc'\n\
         a5 = cql UPDATE balances SET amount = 70, version = 2 WHERE id = 'acc' IF version = 1\n\
         a6 = cql UPDATE balances SET amount = 40, version = 2 WHERE id = 'acc' IF version = 1",
        FaultPlan::new(),
    );
    assert_eq!(var(&r, "a1"), Value::Bool(true));
    assert_eq!(var(&r, "a2"), Value::Bool(false));
    assert_eq!(
        var(&r, "st"),
        Value::Int(30),
        "IF NOT EXISTS answers the row it found (amount first)"
    );
    assert_eq!(var(&r, "a3"), Value::Bool(true));
    assert_eq!(
        (var(&r, "a4"), var(&r, "was")),
        (Value::Bool(false), Value::Text("PROCESSING".into()))
    );
    assert_eq!(
        (var(&r, "amount"), var(&r, "version")),
        (Value::Int(100), Value::Int(1))
    );
    assert_eq!(
        (var(&r, "a5"), var(&r, "a6")),
        (Value::Bool(true), Value::Bool(false))
    );
    let ServiceView::Cql(v) = &r.service_panels()[0].view else {
        panic!("a cassandra panel")
    };
    let balances = v.tables.iter().find(|t| t.name == "balances").unwrap();
    assert_eq!(
        balances.rows,
        vec![vec!["acc".to_string(), "70".into(), "2".into()]]
    );
}

#[test]
fn a_crash_between_the_two_writes_leaves_an_operation_the_balance_never_saw() {
    let script = "cql INSERT INTO ops (id, status, amount) VALUES (:op, 'DONE', 30)\n\
                  cql UPDATE balances SET amount = 70 WHERE id = 'acc'";
    let mut faults = FaultPlan::new();
    faults.insert((0, 2), Fault::Exit);
    let r = run(script, faults);
    let ServiceView::Cql(v) = &r.service_panels()[0].view else {
        panic!()
    };
    let ops = v.tables.iter().find(|t| t.name == "ops").unwrap();
    let balances = v.tables.iter().find(|t| t.name == "balances").unwrap();
    assert_eq!(ops.rows.len(), 1, "the operation was recorded");
    assert_eq!(
        balances.rows[0][1], "100",
        "the balance never changed: no transaction spans both"
    );
}

#[test]
fn what_cassandra_cannot_do_is_refused_when_the_lesson_is_checked() {
    for (line, want) in [
        (
            "cql UPDATE ops SET status = 'X' WHERE status = 'Y'",
            "partition key id of ops",
        ),
        (
            "cql UPDATE balances SET amount = amount + 1 WHERE id = 'acc'",
            "counter columns",
        ),
        ("cql BEGIN BATCH", "not supported by the simulator"),
        (
            "cql SELECT * FROM nope WHERE id = 'x'",
            "unconfigured table nope",
        ),
        (
            "cql UPDATE balances SET amount = 'ten' WHERE id = 'acc'",
            "Invalid text constant",
        ),
        (
            "cql DELETE FROM ops WHERE id = 'x' IF status = 'Y'",
            "IF EXISTS",
        ),
    ] {
        let err = lesson_with(line).expect_err(line);
        assert!(err.contains(want), "{line}: {err}");
    }
}
