//! PostgreSQL's state as the page and the command line show it. A leaf of the postgres service.

use super::sql::{AdvisoryView, SessionId, SessionState, SessionView, TableView};
use crate::value::Value;

/// PostgreSQL's state as students see it: every table with its rows, uncommitted writes, row
/// locks and older versions kept for snapshots; the sessions with their isolation levels and
/// snapshots; who waits for whom. Sessions are named by their clients.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PgView {
    pub tables: Vec<PgTable>,
    pub sessions: Vec<PgSession>,
    /// The wait-for graph: (waiter, holder) for each lock wait.
    pub waits: Vec<(String, String)>,
    /// The sessions on a wait-for cycle (a deadlock not broken yet); empty: none.
    pub deadlock: Vec<String>,
    /// The advisory locks held or waited for, by key.
    pub advisory: Vec<PgAdvisory>,
}

/// An advisory lock: its key, its holders ("alice (exclusive, session ×2)") and its waiters in
/// order ("bob (shared)").
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PgAdvisory {
    pub key: String,
    pub holders: Vec<String>,
    pub waiters: Vec<String>,
}

/// An advisory lock as students see it, sessions named by `who`.
pub fn advisory_view(a: AdvisoryView, who: &dyn Fn(SessionId) -> String) -> PgAdvisory {
    let mode = |shared: bool| if shared { "shared" } else { "exclusive" };
    let times = |n: u32| {
        if n > 1 {
            format!(" ×{n}")
        } else {
            String::new()
        }
    };
    let holders = a
        .holders
        .iter()
        .map(|h| {
            let mut levels = Vec::new();
            if h.session_level > 0 {
                levels.push(format!("session{}", times(h.session_level)));
            }
            if h.xact_level > 0 {
                levels.push(format!("transaction{}", times(h.xact_level)));
            }
            format!(
                "{} ({}, {})",
                who(h.session),
                mode(h.shared),
                levels.join(", ")
            )
        })
        .collect();
    let waiters = a
        .waiters
        .iter()
        .map(|&(s, shared)| format!("{} ({})", who(s), mode(shared)))
        .collect();
    PgAdvisory {
        key: a.key,
        holders,
        waiters,
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PgTable {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<PgRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PgRow {
    /// The primary key's values, e.g. "(1, FOOD)"; "(0,n)" for a table without primary key.
    pub key: String,
    /// None: inserted but not committed yet.
    pub committed: Option<Vec<Value>>,
    /// An uncommitted write: who, and the new values (None = delete).
    pub pending: Option<(String, Option<Vec<Value>>)>,
    /// A row lock: who holds it, and who waits for it in order.
    pub lock: Option<(String, Vec<String>)>,
    /// Every holder of the row lock with its mode (`FOR UPDATE`, …).
    pub modes: Vec<(String, &'static str)>,
    /// Older committed versions kept for a snapshot, oldest first, with who committed them
    /// (None values: a deletion).
    pub older: Vec<(Option<Vec<Value>>, String)>,
}

/// One client's session: what it is doing, its isolation level and snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PgSession {
    pub who: String,
    /// `idle`, `in transaction`, `aborted`, `waiting`.
    pub state: &'static str,
    pub isolation: &'static str,
    /// `none yet`, `per statement`, or `at commit #n`.
    pub snapshot: String,
    /// Its last statement was a deadlock's victim.
    pub deadlock_victim: bool,
}

/// A table of the simulator as students see it, sessions named by `who`.
pub fn table_view(t: TableView, who: &dyn Fn(SessionId) -> String) -> PgTable {
    let rows = t
        .rows
        .into_iter()
        .map(|row| PgRow {
            pending: row.pending.map(|(s, vals)| (who(s), vals)),
            modes: row
                .lock
                .as_ref()
                .map(|l| l.modes.iter().map(|&(s, m)| (who(s), m)).collect())
                .unwrap_or_default(),
            lock: row
                .lock
                .map(|l| (who(l.holder), l.waiters.iter().map(|s| who(*s)).collect())),
            older: row.older.into_iter().map(|(v, s)| (v, who(s))).collect(),
            key: row.key,
            committed: row.committed,
        })
        .collect();
    PgTable {
        name: t.name,
        columns: t.columns,
        rows,
    }
}

/// A session as students see it.
pub fn session_view(s: SessionView, who: &dyn Fn(SessionId) -> String) -> PgSession {
    PgSession {
        who: who(s.session),
        state: match s.state {
            SessionState::Idle => "idle",
            SessionState::InTransaction => "in transaction",
            SessionState::Aborted => "aborted",
            SessionState::Waiting => "waiting",
            SessionState::Closed => "closed",
            SessionState::Terminated => "terminated by the server (idle timeout)",
        },
        isolation: s.isolation,
        snapshot: match s.snapshot {
            None => "none yet".to_string(),
            Some(None) => "per statement".to_string(),
            Some(Some(n)) => format!("at commit #{n}"),
        },
        deadlock_victim: s.deadlock_victim,
    }
}
