//! Racelab's side: lessons/lost-update.toml explored without faults, reduced or plain.

use racelab_engine::explore::{self, Config, Outcome};
use racelab_engine::lesson::{self, Lesson};
use racelab_engine::model::Model;
use std::collections::BTreeSet;
use std::sync::Arc;

const LESSON: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../lessons/lost-update.toml"
);

/// The assertion that reads the final balance.
const BALANCE_CHECK: &str = "balance-is-100";

pub fn load() -> Result<Arc<Lesson>, String> {
    let text = std::fs::read_to_string(LESSON).map_err(|e| format!("{LESSON}: {e}"))?;
    lesson::parse("lost-update", LESSON, &text)
        .map(Arc::new)
        .map_err(|errs| {
            let msgs: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
            msgs.join("\n")
        })
}

/// What one exploration found.
pub struct Explored {
    pub states: u64,
    pub executions: u64,
    pub balances: BTreeSet<i64>,
}

/// Explores one variant with no faults (`reduce`: state hashing, the explorer's default).
pub fn explore(model: &Model, reduce: bool) -> Explored {
    let cfg = Config {
        faults: vec![],
        max_faults: 0,
        reduce,
        ..Config::default()
    };
    let r = explore::explore(model, &cfg, None);
    assert!(r.stopped.is_none(), "the exploration stopped early");
    Explored {
        states: r.stats.states,
        executions: r.stats.executions,
        balances: r.outcomes.iter().map(final_balance).collect(),
    }
}

/// The committed balance of an outcome (its state line `category_balance: (1, FOOD, 300)`),
/// checked against the balance assertion's verdict and the clients' ends.
fn final_balance(o: &Outcome) -> i64 {
    let [line] = o.state.as_slice() else {
        panic!("expected one table line, got {:?}", o.state);
    };
    let cells = line
        .strip_prefix("category_balance: (")
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("expected one row of category_balance, got `{line}`"));
    let balance: i64 = cells
        .rsplit(", ")
        .next()
        .and_then(|b| b.parse().ok())
        .unwrap_or_else(|| panic!("no balance in `{line}`"));
    let verdict = o
        .verdicts
        .iter()
        .find(|(id, _)| id == BALANCE_CHECK)
        .map(|(_, v)| *v);
    let expected = if balance == 100 { "pass" } else { "fail" };
    assert_eq!(
        verdict,
        Some(expected),
        "{BALANCE_CHECK} for balance {balance}"
    );
    assert!(
        o.clients.iter().all(|c| c.ends_with(" done")),
        "a client did not finish: {:?}",
        o.clients
    );
    balance
}
