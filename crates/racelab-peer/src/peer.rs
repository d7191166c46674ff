//! The lost-update scenario written by hand as a `stateright::Model`, with PostgreSQL's READ
//! COMMITTED semantics as Racelab models them (one row, one row lock):
//!
//! - a plain SELECT reads the committed balance;
//! - UPDATE takes the row lock and leaves a pending write; when another transaction holds the
//!   lock, the statement is sent and the client waits;
//! - COMMIT makes the pending write committed and releases the lock; a waiter then gets the
//!   lock and its statement completes (inside the COMMIT step, as in Racelab);
//! - SELECT … FOR UPDATE takes the row lock (or waits), then reads the latest committed value.
//!
//! Each client runs the five lines of the lesson's script, one step each; an action is "client
//! `i` takes its next step", offered only when the client is neither finished nor waiting.

use stateright::{Checker, Model, Property};
use std::collections::{BTreeSet, HashMap};

/// The script's lines, by program counter: BEGIN, SELECT, compute, UPDATE, COMMIT; then done.
const SELECT: u8 = 1;
const COMPUTE: u8 = 2;
const UPDATE: u8 = 3;
const COMMIT: u8 = 4;
const DONE: u8 = 5;

pub const START: i64 = 500;
pub const DEBIT: i64 = 200;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Client {
    pc: u8,
    bal: Option<i64>,
    new: Option<i64>,
    in_tx: bool,
    /// Sent its statement and waits for the row lock.
    waiting: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Db {
    committed: i64,
    /// The transaction (client) holding the row lock.
    holder: Option<usize>,
    /// The lock holder's uncommitted write.
    pending: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    clients: [Client; 2],
    db: Db,
}

impl State {
    fn finished(&self) -> bool {
        self.clients.iter().all(|c| c.pc == DONE)
    }
}

/// The scenario: `for_update` selects the variant ("naive" when false).
#[derive(Clone, Copy, Debug)]
pub struct LostUpdate {
    pub for_update: bool,
}

impl Model for LostUpdate {
    type State = State;
    type Action = usize;

    fn init_states(&self) -> Vec<State> {
        let c = Client {
            pc: 0,
            bal: None,
            new: None,
            in_tx: false,
            waiting: false,
        };
        vec![State {
            clients: [c.clone(), c],
            db: Db {
                committed: START,
                holder: None,
                pending: None,
            },
        }]
    }

    fn actions(&self, s: &State, actions: &mut Vec<usize>) {
        for (i, c) in s.clients.iter().enumerate() {
            if c.pc < DONE && !c.waiting {
                actions.push(i);
            }
        }
    }

    fn next_state(&self, s: &State, i: usize) -> Option<State> {
        let mut s = s.clone();
        self.step(&mut s, i);
        Some(s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        // The "always" property is never violated here; it also keeps the BFS exhaustive:
        // stateright stops as soon as every property has a discovery (and at once when there
        // are no properties at all).
        vec![
            Property::always("ends done, balance in {500, 300, 100}", |_, s| {
                !terminal(s) || (s.finished() && domain().contains(&s.db.committed))
            }),
            Property::sometimes("ends at 500", |_, s| ends_at(s, START)),
            Property::sometimes("ends at 300", |_, s| ends_at(s, START - DEBIT)),
            Property::sometimes("ends at 100", |_, s| ends_at(s, START - 2 * DEBIT)),
        ]
    }
}

/// Every balance a run can end with: each write is a committed value minus one debit.
fn domain() -> [i64; 3] {
    [START, START - DEBIT, START - 2 * DEBIT]
}

/// No client can take a step (as both clients are done or waiting).
fn terminal(s: &State) -> bool {
    s.clients.iter().all(|c| c.pc == DONE || c.waiting)
}

fn ends_at(s: &State, balance: i64) -> bool {
    terminal(s) && s.db.committed == balance
}

impl LostUpdate {
    fn step(&self, s: &mut State, i: usize) {
        let other = 1 - i;
        let locked_by_other = s.db.holder == Some(other);
        let c = &mut s.clients[i];
        let locks = c.pc == UPDATE || (c.pc == SELECT && self.for_update);
        if locks && locked_by_other {
            c.waiting = true;
            return;
        }
        match c.pc {
            0 => c.in_tx = true,
            SELECT => {
                if self.for_update {
                    s.db.holder = Some(i);
                }
                c.bal = Some(s.db.committed);
            }
            COMPUTE => c.new = c.bal.map(|b| b - DEBIT),
            UPDATE => {
                s.db.holder = Some(i);
                s.db.pending = c.new;
            }
            COMMIT => {
                c.in_tx = false;
                if s.db.holder == Some(i) {
                    if let Some(v) = s.db.pending.take() {
                        s.db.committed = v;
                    }
                    s.db.holder = None;
                }
                c.pc += 1;
                return self.wake(s, other);
            }
            _ => unreachable!("a finished client takes no step"),
        }
        c.pc += 1;
    }

    /// The lock was released: a waiting client gets it, and its statement completes.
    fn wake(&self, s: &mut State, i: usize) {
        let c = &mut s.clients[i];
        if !c.waiting {
            return;
        }
        c.waiting = false;
        s.db.holder = Some(i);
        match c.pc {
            SELECT => c.bal = Some(s.db.committed),
            UPDATE => s.db.pending = c.new,
            pc => unreachable!("a client waits only at SELECT … FOR UPDATE or UPDATE, not {pc}"),
        }
        c.pc += 1;
    }
}

/// What one check found.
pub struct Checked {
    pub unique_states: usize,
    pub balances: BTreeSet<i64>,
}

/// Checks the model with stateright's breadth-first checker (one thread, the default).
pub fn check(model: LostUpdate) -> Result<Checked, String> {
    let checker = model.checker().threads(1).spawn_bfs().join();
    let always = "ends done, balance in {500, 300, 100}";
    if checker.discovery(always).is_some() {
        return Err(format!("stateright found a counterexample to \"{always}\""));
    }
    let names = ["ends at 500", "ends at 300", "ends at 100"];
    let balances = names
        .iter()
        .zip(domain())
        .filter(|(name, _)| checker.discovery(name).is_some())
        .map(|(_, v)| v)
        .collect();
    Ok(Checked {
        unique_states: checker.unique_state_count(),
        balances,
    })
}

/// The number of maximal paths (executions) of the model, counted without stateright: a
/// cross-check against Racelab's plain count, which walks every interleaving.
pub fn executions(model: &LostUpdate) -> u64 {
    fn count(m: &LostUpdate, s: &State, memo: &mut HashMap<State, u64>) -> u64 {
        if let Some(&n) = memo.get(s) {
            return n;
        }
        let mut actions = Vec::new();
        m.actions(s, &mut actions);
        let n = if actions.is_empty() {
            1
        } else {
            let next: Vec<State> = actions
                .into_iter()
                .filter_map(|a| m.next_state(s, a))
                .collect();
            next.iter().map(|t| count(m, t, memo)).sum()
        };
        memo.insert(s.clone(), n);
        n
    }
    let mut memo = HashMap::new();
    model
        .init_states()
        .iter()
        .map(|s| count(model, s, &mut memo))
        .sum()
}
