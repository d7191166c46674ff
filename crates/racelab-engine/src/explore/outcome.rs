//! An execution's outcome signature: each assertion's verdict, how each client ended, and a
//! short summary of each service's final state. Compact and deterministic: equal worlds give
//! equal outcomes.

use crate::model::{Model, Status, World};
use crate::property::Verdict;
use crate::service::ServiceView;
use crate::view;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Outcome {
    /// (assertion id, "pass" / "fail" / "pending"), in the lesson's order.
    pub verdicts: Vec<(String, &'static str)>,
    /// How each client ended: "done", "failed", "crashed", "blocked" (waits forever).
    pub clients: Vec<String>,
    /// One line per service: `category_balance: (1, FOOD, 100)`, `redis: k=v`.
    pub state: Vec<String>,
    /// The lesson's observations (`[[observe]]`), (id, word), in the lesson's order.
    pub observed: Vec<(String, String)>,
}

/// How each client ended, "T1 done"; a client group's members together, "R: 2 done, 1
/// failed" (they are interchangeable, so which member did what does not matter).
fn client_endings(m: &Model, w: &World) -> Vec<String> {
    let how = |st: &crate::model::ClientState| match st.status {
        Status::Ready => "ready",
        Status::Blocked { .. } => "blocked",
        Status::Done { .. } => "done",
        Status::Failed { .. } => "failed",
        Status::Crashed => "crashed",
    };
    let mut out = Vec::new();
    for (c, st) in w.clients.iter().enumerate() {
        let Some(g) = m.lesson().group_of(c) else {
            out.push(format!("{} {}", m.client_name(c), how(st)));
            continue;
        };
        if c != g.members.start {
            continue;
        }
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for member in &w.clients[g.members.clone()] {
            match counts.iter_mut().find(|(h, _)| *h == how(member)) {
                Some((_, n)) => *n += 1,
                None => counts.push((how(member), 1)),
            }
        }
        counts.sort_unstable();
        let parts: Vec<String> = counts.iter().map(|(h, n)| format!("{n} {h}")).collect();
        out.push(format!("{}: {}", g.name, parts.join(", ")));
    }
    out
}

impl Outcome {
    /// The outcome of the finished world `w`.
    pub fn of(m: &Model, w: &World) -> Outcome {
        let verdicts = view::verdicts(m, w, true)
            .into_iter()
            .map(|v| (v.id, v.verdict.as_str()))
            .collect();
        let clients = client_endings(m, w);
        let state = view::service_panels(m, w)
            .iter()
            .flat_map(|p| summary(&p.name, &p.view))
            .collect();
        let observed = m
            .lesson()
            .observations
            .iter()
            .map(|o| (o.id.clone(), o.word(m, w)))
            .collect();
        Outcome {
            verdicts,
            clients,
            state,
            observed,
        }
    }

    /// Every assertion passes.
    pub fn ok(&self) -> bool {
        self.verdicts
            .iter()
            .all(|(_, v)| *v == Verdict::Pass.as_str())
    }

    /// One line: `balance-is-100=fail within-timeout=pass | T1 done, T2 done | category_balance:
    /// (1, FOOD, 300)` — or, when the lesson declares observations, those in its words first
    /// and no raw state: `db: unchanged; cache: stale | balance-ok=fail | T1 crashed, T2 done`.
    pub fn signature(&self) -> String {
        let verdicts: Vec<String> = self
            .verdicts
            .iter()
            .map(|(id, v)| format!("{id}={v}"))
            .collect();
        if !self.observed.is_empty() {
            let observed: Vec<String> = self
                .observed
                .iter()
                .map(|(id, word)| format!("{id}: {word}"))
                .collect();
            return format!(
                "{} | {} | {}",
                observed.join("; "),
                verdicts.join(" "),
                self.clients.join(", ")
            );
        }
        format!(
            "{} | {} | {}",
            verdicts.join(" "),
            self.clients.join(", "),
            self.state.join("; ")
        )
    }
}

/// A service's final state in a few words: committed rows, keys and values, lock holders.
fn summary(name: &str, view: &ServiceView) -> Vec<String> {
    let rows = |rows: Vec<String>| {
        if rows.is_empty() {
            "(empty)".to_string()
        } else {
            rows.join(" ")
        }
    };
    match view {
        ServiceView::Postgres(pg) => pg
            .tables
            .iter()
            .map(|t| {
                let committed = t.rows.iter().filter_map(|r| r.committed.as_ref());
                let cells = committed.map(|vals| {
                    let v: Vec<String> = vals.iter().map(|v| v.to_string()).collect();
                    format!("({})", v.join(", "))
                });
                format!("{}: {}", t.name, rows(cells.collect()))
            })
            .collect(),
        ServiceView::Redis(r) => {
            let keys = r.keys.iter().map(|k| format!("{}={}", k.key, k.value));
            vec![format!("{name}: {}", rows(keys.collect()))]
        }
        ServiceView::Aerospike(a) => {
            let recs = a.records.iter().map(|r| format!("{}={}", r.key, r.value));
            vec![format!("{name}: {}", rows(recs.collect()))]
        }
        ServiceView::Zk(z) => {
            let locks = z
                .locks
                .iter()
                .map(|l| format!("{}@{}", l.path, l.holder.as_deref().unwrap_or("nobody")));
            vec![format!("{name}: {}", rows(locks.collect()))]
        }
        ServiceView::Cql(c) => c
            .tables
            .iter()
            .map(|t| {
                let cells = t.rows.iter().map(|r| format!("({})", r.join(", ")));
                format!("{}: {}", t.name, rows(cells.collect()))
            })
            .collect(),
        #[cfg(test)]
        ServiceView::Timer(v) => vec![format!("{name}: {}", v.join(" "))],
    }
}
