//! Judging properties on a world: each check kind's verdict and what was observed.

use super::{Check, Property, Verdict, When};
use crate::model::world::{Model, Status, World};
use crate::service::api::{Reply, Request, ServiceId};
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
            let shown = summarize(&r);
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
