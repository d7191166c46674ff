//! Every sentence students read about a run: client status, trace lines, fault labels, lock
//! notes, the scheduler's hint. The page and the command line both call these, so a wording is
//! written once and never re-derived in a view.

use crate::fault::Fault;
use crate::model::world::{Action, Model, Status, World};
use crate::service::api::{ConnId, ServiceId, Wait};
use crate::service::postgres::view::PgRow;
use crate::service::redis::store::Stats;
use crate::service::Kind;
use crate::trace::{CallOutcome, Event, EventKind};
use crate::value::Value;

/// The name of a connection's client ("connection N" for none).
pub fn conn_name(m: &Model, conn: Option<ConnId>) -> String {
    match conn.filter(|&c| c < m.lesson().clients.len()) {
        Some(c) => m.client_name(c).to_string(),
        None => "another session".to_string(),
    }
}

/// Why a blocked client waits: "waits for row (id)=(1) of accounts, locked by T1".
pub fn wait_text(m: &Model, wait: &Wait) -> String {
    match wait {
        Wait::RowLock { table, key, holder } => format!(
            "waits for row {key} of {table}, locked by {}",
            conn_name(m, *holder)
        ),
        Wait::ZkLock {
            path,
            holder,
            ahead,
        } => format!(
            "waits for lock {path}, held by {} (next after {})",
            conn_name(m, *holder),
            conn_name(m, Some(*ahead))
        ),
        Wait::Message { channels } => format!("waits for a message on {channels}"),
        #[cfg(test)]
        Wait::Timer { until } => format!("waits for the timer at {until} ms"),
    }
}

/// The same, as a call's outcome in the trace: "waits: row … of … is locked by T1".
fn waits_outcome(m: &Model, wait: &Wait) -> String {
    match wait {
        Wait::RowLock { table, key, holder } => format!(
            "waits: row {key} of {table} is locked by {}",
            conn_name(m, *holder)
        ),
        Wait::ZkLock { path, holder, .. } => {
            format!("waits: lock {path} is held by {}", conn_name(m, *holder))
        }
        Wait::Message { channels } => format!("waits for a message on {channels}"),
        #[cfg(test)]
        Wait::Timer { until } => format!("waits until {until} ms"),
    }
}

/// A sentence about the client's state; a long-lived process's says which request it serves.
pub fn status_text(m: &Model, w: &World, client: usize) -> String {
    let st = &w.clients[client];
    let state = state_text(m, w, client);
    match st.arrivals.len() {
        0 | 1 => state,
        n => format!("request {} of {n}: {state}", st.request + 1),
    }
}

fn state_text(m: &Model, w: &World, client: usize) -> String {
    let st = &w.clients[client];
    let at = st.finished_at.unwrap_or(st.clock);
    match &st.status {
        Status::Ready => match st.sleeping_until {
            Some(u) if u > w.now => format!("sleeping until {u} ms"),
            _ if m.waits_for(w, client).is_some() => {
                let other = m.waits_for(w, client).unwrap_or_default();
                format!("waits for {} to end", m.client_name(other))
            }
            _ if st.clock > w.now && st.pc == 0 => {
                format!("waits for its request, arriving at {} ms", st.clock)
            }
            _ => {
                let line = m.script(client).ops[st.pc].line;
                format!("ready to run line {line}")
            }
        },
        Status::Blocked { wait, since, .. } => {
            format!("blocked since {since} ms: {}", wait_text(m, wait))
        }
        Status::Done { value: Some(v) } => format!("done at {at} ms, returned {v}"),
        Status::Done { value: None } => format!("done at {at} ms"),
        Status::Failed { message } => format!("failed at {at} ms: {message}"),
        Status::Crashed => format!("crashed at {} ms (exit)", st.clock),
    }
}

/// A fault's short label, as a badge shows it: `exit`, `exit after`, `sleep 60000 ms`,
/// `Redis down`.
pub fn fault_label(m: &Model, f: Fault) -> String {
    let title = |s: ServiceId| service_title(m, s);
    match f {
        Fault::Down(s) => format!("{} down", title(s)),
        Fault::Up(s) => format!("{} up", title(s)),
        Fault::Slow(s, ms) => format!("{} +{ms} ms", title(s)),
        Fault::Exit => "exit".into(),
        Fault::ExitAfter => "exit after".into(),
        Fault::Error => "error".into(),
        Fault::Timeout => "timeout".into(),
        Fault::Sleep(ms) => format!("sleep {ms} ms"),
    }
}

/// What a dropped connection means at each service the lesson uses.
fn on_disconnect(m: &Model) -> String {
    let parts: Vec<&str> = m
        .lesson()
        .services
        .iter()
        .map(|d| match d.kind {
            Kind::Postgres => "PostgreSQL rolls back its open transaction and releases its locks",
            Kind::Redis => "Redis drops its MULTI queue, its watches and its subscriptions",
            Kind::Aerospike => "Aerospike keeps every record (a record belongs to no connection)",
            Kind::Zookeeper => "ZooKeeper hears no more heartbeats: the session expires after its timeout, and its lock nodes with it",
            Kind::Cassandra => "Cassandra keeps every row written (no transaction spans two statements)",
            #[cfg(test)]
            Kind::Timer => "the timer forgets its wait",
        })
        .collect();
    parts.join("; ")
}

fn fault_text(m: &Model, fault: Fault, time: u64) -> String {
    match fault {
        Fault::Exit => format!(
            "EXIT injected: the process dies; its connections drop: {}",
            on_disconnect(m)
        ),
        Fault::ExitAfter => format!(
            "EXIT injected after the line: its call took effect, but the process dies before it sees the reply; its connections drop: {}",
            on_disconnect(m)
        ),
        Fault::Sleep(ms) => {
            format!("SLEEP injected: the process pauses {ms} ms (until {} ms)", time + ms)
        }
        Fault::Error => {
            "ERROR injected: the call never reaches its service; the client gets a connection error"
                .to_string()
        }
        Fault::Timeout => {
            "TIMEOUT injected: the call reaches its service and takes effect, but its reply is lost"
                .to_string()
        }
        Fault::Down(s) => format!(
            "{} DOWN: from now on every call to it fails with a connection error",
            service_title(m, s)
        ),
        Fault::Up(s) => format!("{} UP: it answers again", service_title(m, s)),
        Fault::Slow(s, ms) => format!(
            "{} SLOW: from now on every call to it takes {ms} ms longer",
            service_title(m, s)
        ),
    }
}

fn woken_prefix(m: &Model, service: ServiceId) -> &'static str {
    match m.lesson().services.get(service).map(|d| d.kind) {
        Some(Kind::Postgres) => "(lock granted)",
        Some(Kind::Redis) | Some(Kind::Aerospike) | Some(Kind::Cassandra) => "(reply)",
        Some(Kind::Zookeeper) => "(lock granted)",
        #[cfg(test)]
        Some(Kind::Timer) => "(woken)",
        None => "(woken)",
    }
}

/// One line about an event, for the trace view and the command line.
pub fn describe(m: &Model, e: &Event) -> String {
    let Some(client) = e.client else {
        let who = match &e.kind {
            EventKind::Timer { service, .. } => service_title(m, *service),
            _ => "a service".to_string(),
        };
        return match &e.kind {
            EventKind::Timer { what, .. } => format!("{who}: {what}"),
            _ => who,
        };
    };
    let text = e.sent.as_deref().unwrap_or_else(|| {
        m.script(client)
            .lines
            .get(e.line.wrapping_sub(1))
            .map(|l| l.trim())
            .unwrap_or("")
    });
    match &e.kind {
        EventKind::Call {
            outcome: CallOutcome::Reply(r),
            ..
        } => format!("{text} → {}", r.summary()),
        EventKind::Call {
            outcome: CallOutcome::Waits(wait),
            ..
        } => format!("{text} → {}", waits_outcome(m, wait)),
        EventKind::Woken { service, reply } => {
            format!("{} {text} → {}", woken_prefix(m, *service), reply.summary())
        }
        EventKind::Caught { reply, at, .. } => {
            format!("{text} → {} (caught: on at line {at})", reply.summary())
        }
        EventKind::Retry {
            attempt,
            max,
            again: true,
        } => format!("{text} → retry {attempt} of {max}"),
        EventKind::Retry { max, .. } => format!("{text} → {max} retries used up, going on"),
        EventKind::Assign { var, value } => format!("{text} → {var} = {value}"),
        EventKind::Branch { taken } => format!("{text} → {taken}"),
        EventKind::Sleep { until } => format!("{text} → sleeps until {until} ms"),
        EventKind::Return { value: Some(v) } => format!("{text} → returns {v}"),
        EventKind::Return { value: None } => format!("{text} → returns"),
        EventKind::Fail { message } => format!("{text} → request fails: {message}"),
        EventKind::ScriptError { message } => format!("{text} → script error: {message}"),
        EventKind::Fault { fault } => fault_text(m, *fault, e.time),
        EventKind::Log { text } => format!("log: {text}"),
        EventKind::NextRequest { n, of, arrived } => {
            format!("request {n} of {of} (arrived at {arrived} ms) starts")
        }
        EventKind::Timer { what, .. } => what.clone(),
    }
}

/// A service's panel title ("PostgreSQL").
pub fn service_title(m: &Model, service: ServiceId) -> String {
    m.lesson()
        .services
        .get(service)
        .map(|d| d.title())
        .unwrap_or_else(|| format!("service {}", service + 1))
}

/// A row's uncommitted write: "uncommitted by T1: (1, FOOD, 300)" or "uncommitted by T1: delete".
pub fn pending_note(row: &PgRow) -> Option<String> {
    let (who, values) = row.pending.as_ref()?;
    let what = match values {
        Some(v) => format!("({})", v.iter().map(cell).collect::<Vec<_>>().join(", ")),
        None => "delete".to_string(),
    };
    Some(format!("uncommitted by {who}: {what}"))
}

/// A row's lock: "locked by T1 (FOR UPDATE)", "locked by T1 (FOR SHARE), T2 (FOR SHARE) ·
/// waiting: T3".
pub fn lock_note(row: &PgRow) -> Option<String> {
    let (holder, waiters) = row.lock.as_ref()?;
    let holders = if row.modes.is_empty() {
        holder.clone()
    } else {
        row.modes
            .iter()
            .map(|(who, mode)| format!("{who} ({mode})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(if waiters.is_empty() {
        format!("locked by {holders}")
    } else {
        format!("locked by {holders} · waiting: {}", waiters.join(", "))
    })
}

/// A row's older versions kept for snapshots: "kept for snapshots: (1, 500) by setup".
pub fn older_note(row: &PgRow) -> Option<String> {
    if row.older.is_empty() {
        return None;
    }
    let versions: Vec<String> = row
        .older
        .iter()
        .map(|(values, who)| match values {
            Some(v) => format!(
                "({}) by {who}",
                v.iter().map(cell).collect::<Vec<_>>().join(", ")
            ),
            None => format!("deleted by {who}"),
        })
        .collect();
    Some(format!("kept for snapshots: {}", versions.join("; ")))
}

/// A table cell as students read it: text without quotes, `NULL` for null.
pub fn cell(v: &Value) -> String {
    v.plain()
}

/// "T2 waits forever" / "T1, T2 wait forever".
pub fn wait_forever(names: &[&str]) -> String {
    format!(
        "{} {} forever",
        names.join(", "),
        if names.len() == 1 { "waits" } else { "wait" }
    )
}

/// The scheduler's hint: what "next event" would do, or why nothing can happen.
pub fn next_hint(m: &Model, next: Option<(Action, u64)>, stuck: &[usize]) -> String {
    match next {
        Some((Action::Timer(s), t)) => {
            format!("next event: {}'s timer at {t} ms", service_title(m, s))
        }
        Some((a, t)) => format!(
            "next event: {} at {t} ms",
            a.client().map(|c| m.client_name(c)).unwrap_or("?")
        ),
        None if stuck.is_empty() => "the run is over".to_string(),
        None => {
            let names: Vec<&str> = stuck.iter().map(|&c| m.client_name(c)).collect();
            format!("the run is stuck: {}", wait_forever(&names))
        }
    }
}

/// A key's time left: "  (expires in 59 s)" or "  (expires in 250 ms)".
pub fn redis_ttl(ms: u64) -> String {
    if ms >= 10_000 {
        format!("  (expires in {} s)", ms.div_ceil(1000))
    } else {
        format!("  (expires in {ms} ms)")
    }
}

/// Redis's counters: "hits 1 · misses 2 · sets 3 · deletes 0 · expired 0".
pub fn redis_stats(s: &Stats) -> String {
    format!(
        "hits {} · misses {} · sets {} · deletes {} · expired {}",
        s.hits, s.misses, s.sets, s.deletes, s.expired
    )
}

/// A service's health for its panel: "up", "down", "slow (+50 ms)".
pub fn health(h: crate::fault::Health) -> String {
    match h {
        crate::fault::Health::Up => "up".into(),
        crate::fault::Health::Down => "down".into(),
        crate::fault::Health::Slow(ms) => format!("slow (+{ms} ms)"),
    }
}
