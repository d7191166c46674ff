//! Client groups (`count = N`): members, the group limit the explorer cuts them to, replay ids
//! that carry the limit, and the symmetry the explorer uses (a group explores like the same
//! clients written one by one).

use racelab_engine::explore::{self, replay_id, Config, Report};
use racelab_engine::fault::Fault;
use racelab_engine::fault::FaultPlan;
use racelab_engine::model::{Model, Status};
use racelab_engine::run::Run;
use racelab_engine::{lesson, Lesson};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const HEAD: &str = r#"
title = "Readers"
services = ["postgres", "redis"]
setup = '''
CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO t VALUES (1, 10);
'''
[scripts]
r = '''
v = redis GET k
if v is null:
    v = SELECT v FROM t WHERE id = 1
    redis SET k {v}
return v
'''
w = '''
UPDATE t SET v = 20 WHERE id = 1
redis DEL k
'''
"#;

const TAIL: &str = r#"
[[client]]
name = "W"
script = "w"

[[assert]]
id = "one-query"
says = "The database is read once"
counter = "redis.misses"
equals = 1

[[assert]]
id = "fresh"
says = "The cache agrees with the database"
redis = "GET k"
equals_sql = "SELECT v FROM t WHERE id = 1"
missing_ok = true
"#;

fn grouped(count: usize) -> Arc<Lesson> {
    let text = format!("{HEAD}[[client]]\nname = \"R\"\nscript = \"r\"\ncount = {count}\n{TAIL}");
    Arc::new(lesson::parse("g", "g.toml", &text).unwrap_or_else(|e| panic!("{e:?}")))
}

fn one_by_one(count: usize) -> Arc<Lesson> {
    let mut text = HEAD.to_string();
    for i in 1..=count {
        text.push_str(&format!("[[client]]\nname = \"R{i}\"\nscript = \"r\"\n"));
    }
    text.push_str(TAIL);
    Arc::new(lesson::parse("s", "s.toml", &text).unwrap_or_else(|e| panic!("{e:?}")))
}

#[test]
fn a_group_is_its_members_named_in_order() {
    let l = grouped(100);
    assert_eq!(l.clients.len(), 101);
    assert_eq!(l.clients[0].name, "R1");
    assert_eq!(l.clients[99].name, "R100");
    assert_eq!(l.clients[100].name, "W");
    assert_eq!(l.groups.len(), 1);
    assert_eq!(
        (l.groups[0].count, l.groups[0].members.clone()),
        (100, 0..100)
    );
    let mut run = Run::new(l, 0, FaultPlan::new());
    run.run_to_end().unwrap();
    let done = run
        .world()
        .clients
        .iter()
        .filter(|c| matches!(c.status, Status::Done { .. }))
        .count();
    assert_eq!(done, 101, "every member and the writer finish");
}

#[test]
fn bad_counts_and_group_names_are_located_errors() {
    for (count, want) in [("0", "1 to 1000 clients, not 0"), ("1001", "not 1001")] {
        let text =
            format!("{HEAD}[[client]]\nname = \"R\"\nscript = \"r\"\ncount = {count}\n{TAIL}");
        let errs = lesson::parse("g", "g.toml", &text).unwrap_err();
        let e = errs.iter().find(|e| e.message.contains(want));
        assert!(
            e.is_some_and(|e| e.to_string().starts_with("g.toml:23:9: a client group")),
            "{errs:?}"
        );
    }
    let text = format!(
        "{HEAD}[[client]]\nname = \"R\"\nscript = \"r\"\ncount = 5\n{TAIL}\n[[assert]]\nid = \"x\"\nsays = \"x\"\nvar = \"R.v\"\nequals = 1\n"
    );
    let errs = lesson::parse("g", "g.toml", &text).unwrap_err();
    assert!(
        errs[0].message.contains("\"R\" is a group of 5 clients"),
        "{errs:?}"
    );
}

#[test]
fn the_explorer_cuts_a_group_and_its_replay_ids_say_so() {
    let l = grouped(100);
    assert_eq!(l.explore_limit(0), Some(3));
    let m = explore::model_for(&l, 0).unwrap();
    assert_eq!(m.lesson().clients.len(), 4);
    assert_eq!(m.lesson().clients[3].name, "W");
    let notes = explore::table_notes(&m);
    assert!(notes[0].contains("group R explored with 3 of its 100 clients"));
    let r = explore::explore(&m, &Config::default(), None);
    assert_eq!(r.stopped, None);
    let id = r.rows[0].counterexample.clone().expect("a bad execution");
    assert!(id.starts_with("default~3:"), "{id}");
    let run = replay_id::replay(&l, &id).expect("replays on the full lesson's text");
    assert_eq!(run.model().lesson().clients.len(), 4);
    assert!(!run.model().can_act(run.world()));
    // The cut lesson explores as it is (not back to 100 members).
    let again = explore::model_for(run.model().lesson(), 0).unwrap();
    assert_eq!(again.lesson().clients.len(), 4);
    // A small group is explored whole, and its ids carry no limit.
    let small = grouped(2);
    assert_eq!(small.explore_limit(0), None);
}

/// (row label, ok > 0, bad > 0) and the verdicts of every outcome; clients R1, R2, … are
/// named R, and rows that then read the same are merged, as a group's table does.
fn shape(l: &Lesson, r: &Report) -> (BTreeMap<String, (bool, bool)>, BTreeSet<String>) {
    let mut rows: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for row in &r.rows {
        let label = (1..=3).fold(row.label(l), |s, i| s.replace(&format!(" R{i}:"), " R:"));
        let e = rows.entry(label).or_default();
        e.0 |= row.ok > 0;
        e.1 |= row.bad > 0;
    }
    let verdicts = r
        .outcomes
        .iter()
        .map(|o| format!("{:?} {:?}", o.verdicts, o.state))
        .collect();
    (rows, verdicts)
}

#[test]
fn starting_one_fresh_member_first_finds_what_every_order_finds() {
    for faults in [vec![], vec![Fault::Exit, Fault::ExitAfter, Fault::Error]] {
        let cfg = Config {
            faults: faults.clone(),
            ..Config::default()
        };
        let (g, s) = (grouped(3), one_by_one(3));
        let rg = explore::explore(&Model::new(g.clone(), 0), &cfg, None);
        let rs = explore::explore(&Model::new(s.clone(), 0), &cfg, None);
        assert_eq!(shape(&g, &rg), shape(&s, &rs), "faults {faults:?}");
        assert!(
            rg.stats.states < rs.stats.states,
            "symmetry saves states: {} vs {}",
            rg.stats.states,
            rs.stats.states
        );
    }
}
