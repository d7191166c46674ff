//! What one step produced, in a form both sides can be reduced to and compared.

use std::fmt;

/// A warning or notice sent with a result (or before an error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub severity: String,
    pub code: String,
    pub message: String,
}

/// The transaction status after a statement, as ReadyForQuery reports it: `I` idle, `T` in a
/// transaction block, `E` in a failed transaction block.
pub type TxStatus = char;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok {
        tag: String,
        columns: Vec<String>,
        /// PostgreSQL's text format: integers as digits, booleans `t`/`f`, `None` = NULL.
        rows: Vec<Vec<Option<String>>>,
        notices: Vec<Notice>,
        /// `None`: unknown, not compared.
        status: Option<TxStatus>,
    },
    Error {
        code: String,
        message: String,
        notices: Vec<Notice>,
        status: Option<TxStatus>,
    },
    /// The statement waits for a lock.
    Blocked,
    /// The client crashed (`!close`): only the wake-ups it causes are compared.
    Closed,
    /// Time passed (`!wait MS`): only the wake-ups it causes are compared.
    Waited,
}

/// The message every refusal of the simulator ends with.
pub const REFUSAL_SUFFIX: &str = "is not supported by the simulator";

impl Outcome {
    /// The simulator's clean refusal: SQLSTATE 0A000 and "… is not supported by the simulator".
    pub fn is_refusal(&self) -> bool {
        matches!(self, Outcome::Error { code, message, .. }
            if code == "0A000" && message.ends_with(REFUSAL_SUFFIX))
    }

    fn status(&self) -> Option<TxStatus> {
        match self {
            Outcome::Ok { status, .. } | Outcome::Error { status, .. } => *status,
            Outcome::Blocked | Outcome::Closed | Outcome::Waited => None,
        }
    }

    fn without_status(&self) -> Outcome {
        let mut o = self.clone();
        if let Outcome::Ok { status, .. } | Outcome::Error { status, .. } = &mut o {
            *status = None;
        }
        o
    }

    /// Equal, where an unknown transaction status on either side matches any.
    pub fn agrees(&self, other: &Outcome) -> bool {
        match (self.status(), other.status()) {
            (Some(a), Some(b)) if a != b => false,
            _ => self.without_status() == other.without_status(),
        }
    }
}

fn cell(v: &Option<String>) -> String {
    match v {
        None => "null".to_string(),
        Some(s) => s.clone(),
    }
}

fn notices(f: &mut fmt::Formatter<'_>, list: &[Notice]) -> fmt::Result {
    for n in list {
        write!(f, " + {} {}: {}", n.severity, n.code, n.message)?;
    }
    Ok(())
}

fn status(f: &mut fmt::Formatter<'_>, s: Option<TxStatus>) -> fmt::Result {
    match s {
        Some(s) => write!(f, " (tx {s})"),
        None => Ok(()),
    }
}

/// One line: `ok SELECT 1 [balance] (300)`, `error 23505: duplicate key …`, `blocked`.
impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok {
                tag,
                columns,
                rows,
                notices: n,
                status: s,
            } => {
                write!(f, "ok {tag:?}")?;
                if !columns.is_empty() {
                    write!(f, " [{}]", columns.join(", "))?;
                    for r in rows {
                        let cells: Vec<String> = r.iter().map(cell).collect();
                        write!(f, " ({})", cells.join(", "))?;
                    }
                }
                notices(f, n)?;
                status(f, *s)
            }
            Outcome::Error {
                code,
                message,
                notices: n,
                status: s,
            } => {
                write!(f, "error {code}: {message}")?;
                notices(f, n)?;
                status(f, *s)
            }
            Outcome::Blocked => f.write_str("blocked"),
            Outcome::Closed => f.write_str("closed"),
            Outcome::Waited => f.write_str("waited"),
        }
    }
}

/// A step's outcome and the statements of other sessions it let finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    pub outcome: Outcome,
    /// Sessions whose blocked statement completed during this step, sorted by session name.
    pub woken: Vec<(String, Outcome)>,
}

fn woken_text(w: &[(String, Outcome)]) -> String {
    if w.is_empty() {
        return "none".to_string();
    }
    w.iter()
        .map(|(s, o)| format!("{s} → {o}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Compares the two sides; `None` when they agree, else what differs, worded for the report.
pub fn diff(pg: &Observed, sim: &Observed) -> Option<String> {
    if !pg.outcome.agrees(&sim.outcome) {
        return Some(format!(
            "postgres: {} | simulator: {}",
            pg.outcome, sim.outcome
        ));
    }
    let same_woken = pg.woken.len() == sim.woken.len()
        && pg
            .woken
            .iter()
            .zip(&sim.woken)
            .all(|((a, x), (b, y))| a == b && x.agrees(y));
    if !same_woken {
        return Some(format!(
            "woken: postgres: {} | simulator: {}",
            woken_text(&pg.woken),
            woken_text(&sim.woken)
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(tag: &str, status: Option<char>) -> Outcome {
        Outcome::Ok {
            tag: tag.into(),
            columns: vec!["a".into(), "b".into()],
            rows: vec![vec![Some("1".into()), None]],
            notices: vec![],
            status,
        }
    }

    #[test]
    fn displays_on_one_line() {
        assert_eq!(
            ok("SELECT 1", Some('T')).to_string(),
            "ok \"SELECT 1\" [a, b] (1, null) (tx T)"
        );
        let e = Outcome::Error {
            code: "25P02".into(),
            message: "current transaction is aborted".into(),
            notices: vec![Notice {
                severity: "WARNING".into(),
                code: "01000".into(),
                message: "w".into(),
            }],
            status: None,
        };
        assert_eq!(
            e.to_string(),
            "error 25P02: current transaction is aborted + WARNING 01000: w"
        );
    }

    #[test]
    fn unknown_status_matches_any() {
        assert!(ok("SELECT 1", None).agrees(&ok("SELECT 1", Some('E'))));
        assert!(!ok("SELECT 1", Some('T')).agrees(&ok("SELECT 1", Some('E'))));
        assert!(!ok("SELECT 1", None).agrees(&ok("SELECT 2", None)));
    }

    #[test]
    fn refusal_needs_code_and_wording() {
        let r = |code: &str, m: &str| Outcome::Error {
            code: code.into(),
            message: m.into(),
            notices: vec![],
            status: None,
        };
        assert!(r("0A000", "FOR SHARE is not supported by the simulator").is_refusal());
        assert!(!r("0A000", "cannot do that").is_refusal());
        assert!(!r("42601", "x is not supported by the simulator").is_refusal());
    }

    #[test]
    fn diff_reports_wakeups() {
        let a = Observed {
            outcome: ok("COMMIT", Some('I')),
            woken: vec![("b".into(), ok("UPDATE 1", Some('T')))],
        };
        let b = Observed {
            outcome: ok("COMMIT", Some('I')),
            woken: vec![],
        };
        assert_eq!(diff(&a, &a), None);
        let d = diff(&a, &b).unwrap();
        assert!(d.starts_with("woken: postgres: b → ok"), "{d}");
        assert!(d.ends_with("simulator: none"), "{d}");
    }
}
