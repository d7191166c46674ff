//! Properties: what a lesson asserts about a run. A lesson's `[[assert]]` entries compile into
//! [`Property`]s here — each kind's file syntax, compilation and judgement live together in this
//! module, so adding a kind is one enum arm in each of three neighbouring functions.
//!
//! A property is judged `at = "end"` (the default: pending until no action is possible, then
//! pass or fail on the final world) or `at = "always"` (it must hold in every state of the run:
//! the first state where it does not is recorded in the world, and the verdict is fail from
//! then on).

use crate::lesson::source::Source;
use crate::lesson::LessonError;
use crate::model::{Model, Status, World};
use crate::service::{Kind, Reply, Request, ServiceId, ServiceState};
use crate::value::Value;
use serde::Deserialize;
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

/// An `[[assert]]` entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAssert {
    id: Spanned<String>,
    says: String,
    at: Option<Spanned<String>>,
    sql: Option<Spanned<String>>,
    equals: Option<crate::lesson::raw::RawValue>,
    finish_within_ms: Option<u64>,
    clients: Option<Vec<Spanned<String>>>,
    no_locks_held: Option<bool>,
}

/// What compiling an assertion needs from the rest of the lesson.
pub(crate) struct Context<'a> {
    pub src: &'a Source<'a>,
    pub services: &'a [Kind],
    pub initial: &'a [Option<ServiceState>],
    pub client_names: &'a [String],
}

impl RawAssert {
    pub(crate) fn id(&self) -> &Spanned<String> {
        &self.id
    }

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
        let prepared = crate::sql::prepare(sql_text.get_ref()).and_then(|stmt| {
            if !stmt.is_read_only() {
                return Err(crate::sql::SqlError::not_supported(
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

impl Property {
    /// The verdict on world `w`. `finished`: no action is possible any more.
    pub fn judge(&self, index: usize, m: &Model, w: &World, finished: bool) -> (Verdict, String) {
        if self.when == When::Always {
            if let Some((t, detail)) = w.violations.get(&index) {
                return (Verdict::Fail, format!("at {t} ms: {detail}"));
            }
        }
        let (verdict, detail) = self.check.judge(m, w, finished);
        match self.when {
            When::End => (verdict, detail),
            When::Always if finished => (Verdict::Pass, format!("held in every state; {detail}")),
            When::Always => (Verdict::Pending, format!("holds so far; {detail}")),
        }
    }

    /// For an "always" property: whether it holds in `w` itself (with the observed detail).
    pub(crate) fn holds_now(&self, m: &Model, w: &World) -> Result<(), String> {
        match &self.check {
            Check::FinishWithin { .. } => match self.check.judge(m, w, false) {
                (Verdict::Fail, d) => Err(d),
                _ => Ok(()),
            },
            _ => match self.check.judge(m, w, true) {
                (Verdict::Fail, d) => Err(d),
                _ => Ok(()),
            },
        }
    }
}

impl Check {
    /// The verdict of the check alone, as an end-of-run check.
    pub fn judge(&self, m: &Model, w: &World, finished: bool) -> (Verdict, String) {
        match self {
            Check::Query {
                service,
                request,
                expected,
            } => query(w, *service, request, expected, finished),
            Check::FinishWithin { ms, clients } => finish_within(m, w, *ms, clients, finished),
            Check::NoLocksHeld => no_locks_held(m, w, finished),
        }
    }
}

fn query(
    w: &World,
    service: ServiceId,
    request: &Request,
    expected: &Value,
    finished: bool,
) -> (Verdict, String) {
    match w.services[service].query(request) {
        Reply::Sql(Ok(r)) => {
            let got = (r.rows.len() == 1 && r.columns.len() == 1).then(|| r.rows[0][0].clone());
            let shown = crate::trace::summarize(&r);
            match (finished, got) {
                (false, _) => (Verdict::Pending, format!("now {shown}")),
                (true, Some(v)) if &v == expected => (Verdict::Pass, format!("got {shown}")),
                (true, _) => (Verdict::Fail, format!("got {shown}, expected {expected}")),
            }
        }
        other => (Verdict::Fail, other.summary()),
    }
}

/// The clients that wait for something that will never come: once no action is possible,
/// every client still blocked is one.
pub fn waiting_forever(w: &World, finished: bool) -> Vec<usize> {
    if !finished {
        return Vec::new();
    }
    (0..w.clients.len())
        .filter(|&c| matches!(w.clients[c].status, Status::Blocked { .. }))
        .collect()
}

fn no_locks_held(m: &Model, w: &World, finished: bool) -> (Verdict, String) {
    let locks = w.locks_held();
    let blocked: Vec<&str> = waiting_forever(w, finished)
        .into_iter()
        .map(|c| m.client_name(c))
        .collect();
    if !finished {
        (Verdict::Pending, format!("{locks} row lock(s) held now"))
    } else if locks == 0 && blocked.is_empty() {
        (Verdict::Pass, "no lock held, nobody waiting".into())
    } else if blocked.is_empty() {
        (Verdict::Fail, format!("{locks} row lock(s) still held"))
    } else {
        (
            Verdict::Fail,
            format!(
                "{locks} row lock(s) still held; {}",
                crate::words::wait_forever(&blocked)
            ),
        )
    }
}

fn finish_within(
    m: &Model,
    w: &World,
    ms: u64,
    clients: &[usize],
    finished: bool,
) -> (Verdict, String) {
    let all: Vec<usize> = if clients.is_empty() {
        (0..w.clients.len()).collect()
    } else {
        clients.to_vec()
    };
    let mut pending = false;
    let mut slowest = None;
    for &c in &all {
        let st = &w.clients[c];
        let name = m.client_name(c);
        match (&st.status, st.finished_at) {
            (Status::Crashed, _) => {
                return (Verdict::Fail, format!("{name} crashed and never answered"))
            }
            (_, Some(at)) if at > ms => {
                return (Verdict::Fail, format!("{name} finished at {at} ms"))
            }
            (_, Some(at)) => slowest = slowest.max(Some(at)),
            (_, None) if st.clock.max(w.now) > ms => {
                let at = w.now.max(st.clock);
                return (Verdict::Fail, format!("{name} still running at {at} ms"));
            }
            (_, None) if finished => {
                return (
                    Verdict::Fail,
                    format!("{name} never finishes (it waits forever)"),
                )
            }
            (_, None) => pending = true,
        }
    }
    match (pending, slowest) {
        (true, None) => (Verdict::Pending, "no client has finished yet".to_string()),
        (true, Some(at)) => (Verdict::Pending, format!("slowest so far {at} ms")),
        (false, at) => (
            Verdict::Pass,
            format!("slowest finished at {} ms", at.unwrap_or(0)),
        ),
    }
}
