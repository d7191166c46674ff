//! Properties: what a lesson asserts about a run. A lesson's `[[assert]]` entries compile into
//! [`Property`]s here — each kind's file syntax, compilation and judgement live together in this
//! module, so adding a kind is one enum arm in each of three neighbouring functions.
//!
//! Judging lives in `judge.rs`. A property is judged `at = "end"` (the default: pending until no action is possible, then
//! pass or fail on the final world) or `at = "always"` (it must hold in every state of the run:
//! the first state where it does not is recorded in the world, and the verdict is fail from
//! then on).

pub mod judge;

use crate::lesson::raw::RawAssert;
use crate::lesson::source::{LessonError, Source};
use crate::service::api::{Request, ServiceId};
use crate::service::postgres::sql::{self, SqlError};
use crate::service::{Kind, ServiceState};
use crate::value::Value;
use toml::Spanned;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    Pass,
    Fail,
    Pending,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Pending => "pending",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum When {
    /// Judged on the final world.
    End,
    /// Must hold in every state.
    Always,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// The one value a read-only query returns equals `expected` (`sql = …, equals = …`).
    Query {
        service: ServiceId,
        request: Request,
        expected: Value,
    },
    /// Every listed client (all when empty) finishes within `ms` of virtual time.
    FinishWithin { ms: u64, clients: Vec<usize> },
    /// No service holds a lock and no client waits forever.
    NoLocksHeld,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Property {
    pub id: String,
    pub says: String,
    pub when: When,
    pub check: Check,
}

/// What compiling an assertion needs from the rest of the lesson.
pub(crate) struct Context<'a> {
    pub src: &'a Source<'a>,
    pub services: &'a [Kind],
    pub initial: &'a [Option<ServiceState>],
    pub client_names: &'a [String],
}

/// Compiling `[[assert]]` entries (the raw form lives in `lesson/raw.rs`).
impl RawAssert {
    /// Compiles the entry; problems are pushed to `errors` (None when it cannot be used).
    pub(crate) fn compile(&self, cx: &Context, errors: &mut Vec<LessonError>) -> Option<Property> {
        let src = cx.src;
        let kinds = [
            self.sql.is_some(),
            self.finish_within_ms.is_some(),
            self.no_locks_held.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            errors.push(src.err(
                self.id.span(),
                "an assertion has exactly one of: sql (with equals), finish_within_ms, no_locks_held = true",
            ));
            return None;
        }
        let check = if let Some(sql_text) = &self.sql {
            self.query(sql_text, cx, errors)?
        } else if let Some(ms) = self.finish_within_ms {
            let mut idx = Vec::new();
            for c in self.clients.iter().flatten() {
                match cx.client_names.iter().position(|d| d == c.get_ref()) {
                    Some(i) => idx.push(i),
                    None => errors
                        .push(src.err(c.span(), format!("no client named \"{}\"", c.get_ref()))),
                }
            }
            Check::FinishWithin { ms, clients: idx }
        } else if self.no_locks_held == Some(true) {
            Check::NoLocksHeld
        } else {
            errors.push(src.err(self.id.span(), "`no_locks_held` can only be true"));
            return None;
        };
        if self.equals.is_some() && self.sql.is_none() {
            errors.push(src.err(self.id.span(), "`equals` goes with `sql`"));
        }
        let when = match self.at.as_ref().map(|a| (a.get_ref().as_str(), a.span())) {
            None | Some(("end", _)) => When::End,
            Some(("always", _)) => When::Always,
            Some((other, span)) => {
                errors.push(src.err(
                    span,
                    format!("`at` is \"end\" or \"always\", not \"{other}\""),
                ));
                When::End
            }
        };
        Some(Property {
            id: self.id.get_ref().clone(),
            says: self.says.clone(),
            when,
            check,
        })
    }

    fn query(
        &self,
        sql_text: &Spanned<String>,
        cx: &Context,
        errors: &mut Vec<LessonError>,
    ) -> Option<Check> {
        let src = cx.src;
        let Some(expected) = self.equals.clone() else {
            errors.push(src.err(sql_text.span(), "an sql assertion needs `equals = …`"));
            return None;
        };
        let Some(service) = cx.services.iter().position(|k| *k == Kind::Postgres) else {
            errors.push(src.err(
                sql_text.span(),
                "an sql assertion needs the postgres service (services = [\"postgres\", …])",
            ));
            return None;
        };
        let prepared = sql::prepare(sql_text.get_ref()).and_then(|stmt| {
            if !stmt.is_read_only() {
                return Err(SqlError::not_supported(
                    "an assertion that changes data (assertions run a plain SELECT)",
                ));
            }
            Ok(stmt)
        });
        let request = match prepared {
            Ok(stmt) => Request::Sql(stmt),
            Err(e) => {
                let (line, col) = e.position.unwrap_or((1, 1));
                errors.push(src.inside(&sql_text.span(), line, col, e.to_string()));
                return None;
            }
        };
        let Some(Some(state)) = cx.initial.get(service) else {
            return None; // its setup failed, which is reported already
        };
        if let Err(e) = state.check(&request) {
            let (line, col) = e.position.unwrap_or((1, 1));
            errors.push(src.inside(&sql_text.span(), line, col, e.message));
            return None;
        }
        Some(Check::Query {
            service,
            request,
            expected: expected.into(),
        })
    }
}
