//! A client that ends with its transaction still open (seed 000: "future reads and updates
//! blocked"): the run ends stuck, and the assertions say so.

use racelab_engine::fault::FaultPlan;
use racelab_engine::lesson;
use racelab_engine::property::Verdict;
use racelab_engine::run::Run;
use racelab_engine::view::ClientStatus;
use std::sync::Arc;

const LESSON: &str = r#"
title = "Leaked transaction"
setup = '''
CREATE TABLE balances (id int PRIMARY KEY, balance int NOT NULL);
INSERT INTO balances VALUES (1, 500);
'''

[scripts]
post = '''
BEGIN
row = SELECT balance FROM balances WHERE id = 1 FOR UPDATE
UPDATE balances SET balance = 300 WHERE id = 1
if row > 0:
    return row
COMMIT
'''
get = '''
UPDATE balances SET balance = balance - 1 WHERE id = 1
'''

[[client]]
name = "POST"
script = "post"

[[client]]
name = "NEXT"
script = "get"
start = 20

[[assert]]
id = "no-locks"
says = "Nobody holds a lock at the end"
no_locks_held = true

[[assert]]
id = "fast"
says = "Every request finishes within 100 ms"
finish_within_ms = 100

[[assert]]
id = "balance"
says = "The committed balance is still 500"
sql = "SELECT balance FROM balances WHERE id = 1"
equals = 500
"#;

#[test]
fn a_return_before_commit_leaves_the_lock_and_the_next_request_waits_forever() {
    let l = Arc::new(lesson::parse("leak", "leak.toml", LESSON).expect("lesson parses"));
    let mut r = Run::new(l, 0, FaultPlan::new());
    r.run_to_end().unwrap();
    assert!(r.finished());
    let post = r.client_view(0).unwrap();
    assert_eq!(post.status, ClientStatus::Done);
    assert!(
        post.status_text.contains("returned 500"),
        "{}",
        post.status_text
    );
    let next = r.client_view(1).unwrap();
    assert_eq!(next.status, ClientStatus::Blocked);
    assert!(
        next.status_text.contains("locked by POST"),
        "{}",
        next.status_text
    );
    assert_eq!(r.world().locks_held(), 1);
    assert_eq!(r.waiting_forever(), vec![1]);
    let v: Vec<(String, Verdict, String)> = r
        .verdicts()
        .into_iter()
        .map(|v| (v.id, v.verdict, v.detail))
        .collect();
    assert_eq!(v[0].1, Verdict::Fail);
    assert_eq!(v[0].2, "1 row lock(s) still held; NEXT waits forever");
    assert_eq!(v[1].1, Verdict::Fail);
    assert_eq!(v[1].2, "NEXT never finishes (it waits forever)");
    // The uncommitted 300 is not visible: the committed balance is unchanged.
    assert_eq!((v[2].1, v[2].2.as_str()), (Verdict::Pass, "got 500"));
}
