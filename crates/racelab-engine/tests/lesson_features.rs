//! Lesson features the documents' lessons need: clients that start after others end, faults
//! that are part of a variant's story, case tables that place faults on some clients only,
//! Aerospike and Cassandra in assertions, `aerospike_setup`, ZooKeeper's TRYLOCK, and timers
//! that fire only when virtual time gets there.

use racelab_engine::explore::{self, Config};
use racelab_engine::fault::{Fault, FaultPlan};
use racelab_engine::model::{Action, Model, Status};
use racelab_engine::property::Verdict;
use racelab_engine::run::Run;
use racelab_engine::{lesson, Lesson, Value};
use std::sync::Arc;

fn parse(text: &str) -> Arc<Lesson> {
    Arc::new(lesson::parse("f", "f.toml", text).unwrap_or_else(|e| panic!("{e:?}")))
}

const BALANCE: &str = r#"
title = "Balance"
services = ["postgres", "aerospike"]
setup = '''
CREATE TABLE balances (id int PRIMARY KEY, balance int NOT NULL);
INSERT INTO balances VALUES (1, 500);
'''
aerospike_setup = '''
PUT balance:1 500
'''
[scripts]
post = '''
BEGIN
UPDATE balances SET balance = 700 WHERE id = 1
aerospike PUT balance:1 700
COMMIT
'''
audit = '''
v, gen = aerospike GET balance:1
'''
[[client]]
name = "POST"
script = "post"
[[client]]
name = "AUDIT"
script = "audit"
after = ["POST"]

[[variant]]
name = "plain"
[variant.explore]
faults = "exit"
clients = ["POST"]

[[variant]]
name = "crash"
faults = ["exit@POST:4"]

[[assert]]
id = "cache-ok"
says = "The cache agrees with the database"
aerospike = "GET balance:1"
equals_sql = "SELECT balance FROM balances WHERE id = 1"
"#;

#[test]
fn a_client_after_another_waits_for_it_to_end() {
    let l = parse(BALANCE);
    let m = Model::new(l.clone(), 0);
    let w = m.init();
    assert_eq!(m.actions(&w), vec![Action::Step(0)], "AUDIT waits for POST");
    let mut r = Run::new(l.clone(), 0, FaultPlan::new());
    assert!(r
        .client_view(1)
        .unwrap()
        .status_text
        .contains("waits for POST to end"));
    r.run_to_end().unwrap();
    let audit = &r.world().clients[1];
    assert_eq!(
        audit.vars.get("gen"),
        Some(&Value::Int(2)),
        "setup wrote generation 1"
    );
    assert_eq!(r.verdicts()[0].verdict, Verdict::Pass);
}

#[test]
fn a_variant_scenario_fault_happens_in_every_run_and_execution() {
    let l = parse(BALANCE);
    let mut r = Run::new(l.clone(), 1, FaultPlan::new());
    r.run_to_end().unwrap();
    // POST dies before COMMIT after writing the cache: the cache has 700, the database 500.
    assert_eq!(r.world().clients[0].status, Status::Crashed);
    assert_eq!(r.verdicts()[0].verdict, Verdict::Fail);
    let rep = explore::explore(&Model::new(l, 1), &Config::default(), None);
    assert_eq!((rep.tally().ok, rep.tally().bad), (0, 1));
}

#[test]
fn a_case_table_can_place_faults_on_some_clients_only() {
    let l = parse(BALANCE);
    let m = explore::model_for(&l, 0).unwrap();
    let cfg = Config {
        faults: vec![Fault::Exit],
        ..Config::default()
    };
    let rep = explore::explore(&m, &cfg, None);
    assert!(rep.rows.iter().all(|r| !r.label(&l).contains("AUDIT")));
    assert_eq!(
        rep.rows.len(),
        5,
        "no fault + exit before each of POST's 4 lines"
    );
    assert!(explore::table_notes(&m).contains(&"faults placed on POST only".to_string()));
}

#[test]
fn cql_assertions_and_trylock() {
    let text = r#"
title = "Ops"
services = ["cassandra", "zk"]
cassandra_setup = '''
CREATE TABLE ops (id text PRIMARY KEY, status text)
INSERT INTO ops (id, status) VALUES ('op-1', 'PENDING')
'''
[scripts]
node = '''
t = zk TRYLOCK /locks/op-1
if t is null:
    return 'busy'
cql UPDATE ops SET status = 'PROCESSED' WHERE id = 'op-1'
'''
[[client]]
name = "N1"
script = "node"
[[client]]
name = "N2"
script = "node"
[[assert]]
id = "processed"
says = "op-1 is processed"
cql = "SELECT status FROM ops WHERE id = 'op-1'"
equals = "PROCESSED"
"#;
    let l = parse(text);
    let mut r = Run::new(l, 0, FaultPlan::new());
    r.run_to_end().unwrap();
    let ends: Vec<&Status> = r.world().clients.iter().map(|c| &c.status).collect();
    assert_eq!(
        ends[1],
        &Status::Done {
            value: Some(Value::Text("busy".into()))
        }
    );
    assert_eq!(r.world().clients[0].vars.get("t"), Some(&Value::Int(1)));
    assert_eq!(r.verdicts()[0].verdict, Verdict::Pass);
}

#[test]
fn a_ttl_fires_only_when_virtual_time_gets_there() {
    let text = r#"
title = "TTL"
services = ["redis"]
[scripts]
s = '''
redis SET k v EX 10
a = redis GET k
b = redis GET k
'''
[[client]]
name = "C"
script = "s"
"#;
    let l = parse(text);
    let m = Model::new(l, 0);
    let mut w = m.init();
    let (next, _) = m.next_state(&w, &Action::Step(0)).unwrap();
    w = next;
    // The key expires at 10 001 ms; C's next GET takes effect at 2 ms: no timer to choose.
    assert_eq!(m.actions(&w), vec![Action::Step(0)]);
    // After a 20 s pause (a sleep fault) the expiry comes first and can be chosen.
    let (w, _) = m
        .next_state(
            &w,
            &Action::Fault {
                client: 0,
                fault: Fault::Sleep(20_000),
            },
        )
        .unwrap();
    assert!(m.actions(&w).contains(&Action::Timer(0)));
}
