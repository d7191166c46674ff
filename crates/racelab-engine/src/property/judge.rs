//! Judging properties on a world: each check kind's verdict and what was observed.

use super::observe::{Observation, Observed};
use super::{Check, Expected, Property, Verdict, When};
use crate::model::world::{Model, Status, World};
use crate::service::api::{AsReply, CqlReply, Reply, Request, ServiceId};
use crate::service::postgres::reply::summarize;
use crate::value::Value;
use crate::words;

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
                missing_ok,
            } => query(w, (*service, request), expected, *missing_ok, finished),
            Check::Var {
                client,
                var,
                expected,
            } => var_check(m, w, *client, var, expected, finished),
            Check::Counter {
                service,
                name,
                expected,
            } => {
                let got = w.services[*service].counter(name).unwrap_or(0);
                let shown = format!("{name} = {got}");
                match finished {
                    false => (Verdict::Pending, format!("now {shown}")),
                    true if same(&Value::Int(got as i64), expected) => (Verdict::Pass, shown),
                    true => (Verdict::Fail, format!("{shown}, expected {expected}")),
                }
            }
            Check::FinishWithin { ms, clients } => finish_within(m, w, *ms, clients, finished),
            Check::NoLocksHeld => no_locks_held(m, w, finished),
        }
    }
}

/// What a read-only request returns: the one value (None when it is not one value) and how
/// the page shows it; Err for an error reply.
fn observe(
    w: &World,
    service: ServiceId,
    request: &Request,
) -> Result<(Option<Value>, String), String> {
    match w.services[service].query(request) {
        Reply::Sql(Ok(r)) => {
            let got = (r.rows.len() == 1 && r.columns.len() == 1).then(|| r.rows[0][0].clone());
            Ok((got, summarize(&r)))
        }
        Reply::Redis(r) if !r.is_error() => Ok((Some(r.value()), r.render())),
        // A record's value (null: no record), without its generation.
        Reply::Aerospike(r @ AsReply::Record { .. }) => {
            Ok((Some(r.value(0)), r.value(0).to_string()))
        }
        // One column of one row (null: no row).
        Reply::Cql(CqlReply::Row(row)) => {
            let got = match row {
                None => Some(Value::Null),
                Some(cols) if cols.len() == 1 => Some(cols[0].1.clone()),
                Some(_) => None,
            };
            let shown = got
                .as_ref()
                .map_or("several columns".into(), Value::to_string);
            Ok((got, shown))
        }
        other => Err(other.summary()),
    }
}

/// Equal, or equal as text (a cache holds `"7900"` for the database's `7900`).
fn same(a: &Value, b: &Value) -> bool {
    a == b || words::cell(a) == words::cell(b)
}

/// The expected value now, and how the page shows it.
fn want(w: &World, expected: &Expected) -> Result<(Option<Value>, String), String> {
    match expected {
        Expected::Value(v) => Ok((Some(v.clone()), v.to_string())),
        Expected::Query { service, request } => observe(w, *service, request),
    }
}

fn query(
    w: &World,
    (service, request): (ServiceId, &Request),
    expected: &Expected,
    missing_ok: bool,
    finished: bool,
) -> (Verdict, String) {
    let (got, shown) = match observe(w, service, request) {
        Ok(o) => o,
        Err(e) => return (Verdict::Fail, e),
    };
    let (want, want_shown) = match want(w, expected) {
        Ok(o) => o,
        Err(e) => return (Verdict::Fail, e),
    };
    let missing = got.as_ref().is_none_or(Value::is_null);
    match (finished, got, want) {
        (false, _, _) => (Verdict::Pending, format!("now {shown}")),
        (true, _, _) if missing && missing_ok => {
            (Verdict::Pass, format!("got {shown} (nothing cached)"))
        }
        (true, Some(g), Some(v)) if same(&g, &v) => (Verdict::Pass, format!("got {shown}")),
        (true, _, _) => (Verdict::Fail, format!("got {shown}, expected {want_shown}")),
    }
}

fn var_check(
    m: &Model,
    w: &World,
    client: usize,
    var: &str,
    expected: &Expected,
    finished: bool,
) -> (Verdict, String) {
    let name = m.client_name(client);
    let got = w.clients[client].vars.get(var);
    let shown = got.map_or(format!("{name}.{var} has no value"), |v| {
        format!("{name}.{var} = {v}")
    });
    let (want, want_shown) = match want(w, expected) {
        Ok(o) => o,
        Err(e) => return (Verdict::Fail, e),
    };
    match (finished, got, want) {
        (false, _, _) => (Verdict::Pending, format!("now {shown}")),
        (true, Some(v), Some(x)) if same(v, &x) => (Verdict::Pass, shown),
        (true, _, _) => (Verdict::Fail, format!("{shown}, expected {want_shown}")),
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
                words::wait_forever(&blocked)
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

impl Observation {
    /// What the observation sees in `w`, in the lesson's words.
    pub fn word(&self, m: &Model, w: &World) -> String {
        let value = self.value(m, w);
        self.words
            .get(&value)
            .or_else(|| self.words.get("*"))
            .cloned()
            .unwrap_or(value)
    }

    /// The observed value as text (before `words`).
    pub fn value(&self, _m: &Model, w: &World) -> String {
        match &self.what {
            Observed::Query {
                service,
                request,
                against,
            } => {
                let got = one_value(w, *service, request);
                match (against, got) {
                    (None, Ok(v)) => v.map_or("missing".into(), |v| words::cell(&v)),
                    (None, Err(e)) | (Some(_), Err(e)) => format!("error: {e}"),
                    (Some(_), Ok(None)) => "missing".into(),
                    (Some(pair), Ok(Some(v))) => match one_value(w, pair.0, &pair.1) {
                        Ok(Some(x)) if words::cell(&x) == words::cell(&v) => "same".into(),
                        Ok(_) => "different".into(),
                        Err(e) => format!("error: {e}"),
                    },
                }
            }
            Observed::Var { client, var } => w.clients[*client]
                .vars
                .get(var)
                .map_or("missing".into(), words::cell),
            Observed::Counter { service, name } => {
                w.services[*service].counter(name).unwrap_or(0).to_string()
            }
            Observed::Locks => w.locks_held().to_string(),
        }
    }
}

/// The one value a read-only request returns now (None: no value, a nil, no row).
fn one_value(w: &World, service: ServiceId, request: &Request) -> Result<Option<Value>, String> {
    match w.services[service].query(request) {
        Reply::Sql(Ok(r)) => Ok((r.rows.len() == 1 && r.columns.len() == 1)
            .then(|| r.rows[0][0].clone())
            .filter(|v| !v.is_null())),
        Reply::Redis(r) if !r.is_error() => Ok(Some(r.value()).filter(|v| !v.is_null())),
        other => Err(other.summary()),
    }
}
