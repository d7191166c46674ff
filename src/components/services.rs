//! One panel per service the lesson uses, each drawn from the engine's view of its state.

use crate::i18n::{tr, trf, use_lang, Lang};
use leptos::prelude::*;
use racelab_engine::service::aerospike::view::AsView;
use racelab_engine::service::cassandra::view::CqlView;
use racelab_engine::service::postgres::view::{PgTable, PgView};
use racelab_engine::service::redis::view::RedisView;
use racelab_engine::service::zookeeper::view::ZkView;
use racelab_engine::service::ServiceView;
use racelab_engine::view::{changed_items, ServicePanel};
use racelab_engine::words::{cell, lock_note, older_note, pending_note, redis_stats, redis_ttl};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Which items the last step changed (keys as `data-key`, see `view::changed_items`).
type Changed = Arc<BTreeSet<String>>;

/// `data-changed` of an item: "true" when the last step changed it.
fn changed(c: &Changed, key: &str) -> &'static str {
    if c.contains(key) {
        "true"
    } else {
        "false"
    }
}

/// Every service's panel; `before` (the panels before the last step) marks what it changed.
/// Keyed by the panel and its marks: a step re-renders only the panels it changed (or whose
/// marks it cleared).
#[component]
pub fn ServicePanels(
    #[prop(into)] panels: Signal<Vec<ServicePanel>>,
    #[prop(into)] before: Signal<Option<Vec<ServicePanel>>>,
) -> impl IntoView {
    let each = move || {
        let before = before.get();
        panels
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let c = before
                    .as_ref()
                    .and_then(|b| b.get(i))
                    .map(|b| changed_items(&b.view, &p.view))
                    .unwrap_or_default();
                (i, p, c)
            })
            .collect::<Vec<_>>()
    };
    view! {
        <For each=each key=|item| item.clone() children=move |(_, p, c)| panel(p, Arc::new(c))/>
    }
}

fn panel(p: ServicePanel, c: Changed) -> impl IntoView {
    let body = match p.view {
        ServiceView::Postgres(pg) => view! { <PostgresView pg=pg changed=c/> }.into_any(),
        ServiceView::Redis(r) => view! { <RedisPanel redis=r changed=c/> }.into_any(),
        ServiceView::Aerospike(a) => view! { <AerospikePanel records=a changed=c/> }.into_any(),
        ServiceView::Zk(z) => view! { <ZkPanel zk=z changed=c/> }.into_any(),
        ServiceView::Cql(c2) => view! { <CqlPanel cql=c2 changed=c/> }.into_any(),
    };
    let title = p.title.clone();
    let health = p.health.clone();
    view! {
        <section class="service db" data-service=p.name aria-label=p.title data-health=p.health>
            <h2>{title}<span class="health">{health}</span></h2>
            {body}
        </section>
    }
}

/// PostgreSQL: committed rows, uncommitted writes, row locks with their modes and waiters,
/// older versions kept for snapshots; then each client's session (state, isolation level,
/// snapshot) and who waits for whom.
#[component]
fn PostgresView(pg: PgView, changed: Changed) -> impl IntoView {
    let lang = use_lang();
    let sessions = pg
        .sessions
        .into_iter()
        .map(|s| {
            let who = s.who.clone();
            let victim = s.deadlock_victim.then(|| {
                view! { <span class="deadlock-victim">{tr(lang, " · deadlock victim (40P01): its transaction was rolled back")}</span> }
            });
            let ch = self::changed(&changed, &format!("session/{who}"));
            view! {
                <li class="pg-session" data-who=who data-state=s.state data-changed=ch>
                    <b>{s.who}</b>" "{s.state}" · "{s.isolation}{tr(lang, " · snapshot ")}{s.snapshot}{victim}
                </li>
            }
        })
        .collect_view();
    let advisory = pg
        .advisory
        .into_iter()
        .map(|a| {
            let held = if a.holders.is_empty() {
                tr(lang, "nobody").to_string()
            } else {
                a.holders.join(", ")
            };
            let waiting = (!a.waiters.is_empty())
                .then(|| trf(lang, "; waiting: {}", &[&a.waiters.join(", ")]));
            let ch = self::changed(&changed, &format!("advisory/{}", a.key));
            view! {
                <li class="advisory-lock" data-key=a.key.clone() data-changed=ch>
                    {trf(lang, "advisory lock {}: held by {}", &[&a.key, &held])}{waiting}
                </li>
            }
        })
        .collect_view();
    let waits = (!pg.waits.is_empty()).then(|| {
        let edges = pg
            .waits
            .iter()
            .map(|(w, h)| format!("{w} → {h}"))
            .collect::<Vec<_>>()
            .join(", ");
        view! { <p class="pg-waits">{tr(lang, "waits for: ")}{edges}</p> }
    });
    let deadlock = (!pg.deadlock.is_empty()).then(|| {
        let who = pg.deadlock.join(", ");
        view! {
            <p class="pg-deadlock">
                {trf(lang, "deadlock: {} wait for each other. The server breaks it at the first of their deadlock checks (deadlock_timeout after each wait began): that session is the victim.", &[&who])}
            </p>
        }
    });
    let tables = pg
        .tables
        .into_iter()
        .map(|t| pg_table(t, lang, &changed))
        .collect_view();
    view! {
        {tables}
        <ul class="pg-sessions">{sessions}</ul>
        {waits}
        {deadlock}
        <ul class="advisory-locks">{advisory}</ul>
    }
}

/// One PostgreSQL table: its committed rows, with the row's uncommitted writes, locks and
/// older versions beside it.
fn pg_table(t: PgTable, lang: Lang, changed: &Changed) -> impl IntoView {
    let head = t
        .columns
        .iter()
        .map(|c| view! { <th>{c.clone()}</th> })
        .collect_view();
    let width = t.columns.len();
    let rows = t
        .rows
        .into_iter()
        .map(|row| {
            let cells = match &row.committed {
                Some(vals) => t
                    .columns
                    .iter()
                    .zip(vals)
                    .map(|(c, v)| view! { <td data-column=c.clone()>{cell(v)}</td> })
                    .collect_view()
                    .into_any(),
                None => view! { <td class="uncommitted" colspan=width>{tr(lang, "(not committed yet)")}</td> }.into_any(),
            };
            let pending = pending_note(&row).map(|p| view! { <div class="pending-write">{p}</div> });
            let lock = lock_note(&row).map(|l| view! { <div class="row-lock">{l}</div> });
            let older = older_note(&row).map(|o| view! { <div class="row-older">{o}</div> });
            let ch = self::changed(changed, &format!("{}/{}", t.name, row.key));
            view! {
                <tr class="db-row" data-key=row.key data-changed=ch>
                    {cells}
                    <td class="row-notes">{pending}{lock}{older}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="db-table" data-table=t.name.clone()>
            <caption>{t.name.clone()}</caption>
            <thead><tr>{head}<th class="row-notes">{tr(lang, "locks, uncommitted")}</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// Redis: every key with its value and the time it has left, the open transactions, counters.
#[component]
fn RedisPanel(redis: RedisView, changed: Changed) -> impl IntoView {
    let lang = use_lang();
    let rows = redis
        .keys
        .into_iter()
        .map(|k| {
            let ttl = k
                .ttl_ms
                .map(|ms| redis_ttl(ms).trim().to_string())
                .unwrap_or_default();
            let key = k.key.clone();
            view! {
                <tr class="redis-key" data-changed=self::changed(&changed, &key) data-key=key data-kind=k.kind>
                    <td class="key">{k.key}</td>
                    <td class="value">{k.value}</td>
                    <td class="ttl">{ttl}</td>
                </tr>
            }
        })
        .collect_view();
    let tx = redis
        .transactions
        .into_iter()
        .map(|t| view! { <li>{t}</li> })
        .collect_view();
    view! {
        <table class="redis-keys db-table">
            <thead><tr><th>{tr(lang, "key")}</th><th>{tr(lang, "value")}</th><th>{tr(lang, "expiry")}</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <ul class="redis-tx">{tx}</ul>
        <p class="redis-stats">{redis_stats(&redis.stats)}</p>
    }
}

/// Aerospike-style records: value, generation and the time each has left.
#[component]
fn AerospikePanel(records: AsView, changed: Changed) -> impl IntoView {
    let lang = use_lang();
    let rows = records
        .records
        .into_iter()
        .map(|r| {
            let ttl = r
                .ttl_ms
                .map(|ms| redis_ttl(ms).trim().to_string())
                .unwrap_or_default();
            let key = r.key.clone();
            view! {
                <tr class="as-record" data-changed=self::changed(&changed, &key) data-key=key>
                    <td class="key">{r.key}</td>
                    <td class="value">{r.value}</td>
                    <td class="generation">{r.generation}</td>
                    <td class="ttl">{ttl}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="as-records db-table">
            <thead><tr><th>{tr(lang, "key")}</th><th>{tr(lang, "value")}</th><th>{tr(lang, "generation")}</th><th>{tr(lang, "expiry")}</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// The lock service: each lock's holder with its fencing token and the queue behind it; the
/// sessions that are expiring or expired.
#[component]
fn ZkPanel(zk: ZkView, changed: Changed) -> impl IntoView {
    let lang = use_lang();
    let locks = zk
        .locks
        .into_iter()
        .map(|l| {
            let path = l.path.clone();
            view! {
                <tr class="zk-lock" data-changed=self::changed(&changed, &path) data-path=path>
                    <td class="key">{l.path}</td>
                    <td class="holder">{l.holder.unwrap_or_default()}</td>
                    <td class="token">{l.token}</td>
                    <td class="waiters">{l.waiters.join(", ")}</td>
                </tr>
            }
        })
        .collect_view();
    let sessions = zk
        .sessions
        .into_iter()
        .map(|s| view! { <li>{s}</li> })
        .collect_view();
    view! {
        <table class="zk-locks db-table">
            <thead><tr><th>{tr(lang, "lock")}</th><th>{tr(lang, "holder")}</th><th>{tr(lang, "token")}</th><th>{tr(lang, "waiting")}</th></tr></thead>
            <tbody>{locks}</tbody>
        </table>
        <ul class="zk-sessions">{sessions}</ul>
        <p class="zk-next">{trf(lang, "next fencing token: {}", &[&zk.next_token])}</p>
    }
}

/// The Cassandra-like store: each table with its rows, by partition key.
#[component]
fn CqlPanel(cql: CqlView, changed: Changed) -> impl IntoView {
    cql.tables
        .into_iter()
        .map(|t| {
            let head = t
                .columns
                .iter()
                .map(|c| view! { <th>{c.clone()}</th> })
                .collect_view();
            let rows = t
                .rows
                .into_iter()
                .map(|row| {
                    let key = row.first().cloned().unwrap_or_default();
                    let cells = t
                        .columns
                        .iter()
                        .zip(row)
                        .map(|(c, v)| view! { <td data-column=c.clone()>{v}</td> })
                        .collect_view();
                    let ch = self::changed(&changed, &format!("{}/{key}", t.name));
                    view! { <tr class="cql-row" data-key=key data-changed=ch>{cells}</tr> }
                })
                .collect_view();
            view! {
                <table class="cql-table db-table" data-table=t.name.clone()>
                    <caption>{t.name.clone()}</caption>
                    <thead><tr>{head}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
        })
        .collect_view()
}
