//! One panel per service the lesson uses, each drawn from the engine's view of its state.

use leptos::prelude::*;
use racelab_engine::service::aerospike::view::AsView;
use racelab_engine::service::cassandra::view::CqlView;
use racelab_engine::service::postgres::view::PgView;
use racelab_engine::service::redis::view::RedisView;
use racelab_engine::service::zookeeper::view::ZkView;
use racelab_engine::service::ServiceView;
use racelab_engine::view::ServicePanel;
use racelab_engine::words::{cell, lock_note, older_note, pending_note, redis_stats, redis_ttl};

#[component]
pub fn ServicePanels(#[prop(into)] panels: Signal<Vec<ServicePanel>>) -> impl IntoView {
    move || {
        panels
            .get()
            .into_iter()
            .map(|p| {
                let body = match p.view {
                    ServiceView::Postgres(pg) => view! { <PostgresView pg=pg/> }.into_any(),
                    ServiceView::Redis(r) => view! { <RedisPanel redis=r/> }.into_any(),
                    ServiceView::Aerospike(a) => view! { <AerospikePanel records=a/> }.into_any(),
                    ServiceView::Zk(z) => view! { <ZkPanel zk=z/> }.into_any(),
                    ServiceView::Cql(c) => view! { <CqlPanel cql=c/> }.into_any(),
                };
                let title = p.title.clone();
                let health = p.health.clone();
                view! {
                    <section class="service db" data-service=p.name aria-label=p.title data-health=p.health>
                        <h2>{title}<span class="health">{health}</span></h2>
                        {body}
                    </section>
                }
            })
            .collect_view()
    }
}

/// PostgreSQL: committed rows, uncommitted writes, row locks with their modes and waiters,
/// older versions kept for snapshots; then each client's session (state, isolation level,
/// snapshot) and who waits for whom.
#[component]
fn PostgresView(pg: PgView) -> impl IntoView {
    let sessions = pg
        .sessions
        .into_iter()
        .map(|s| {
            let who = s.who.clone();
            let victim = s.deadlock_victim.then(|| {
                view! { <span class="deadlock-victim">" · deadlock victim (40P01): its transaction was rolled back"</span> }
            });
            view! {
                <li class="pg-session" data-who=who data-state=s.state>
                    <b>{s.who}</b>" "{s.state}" · "{s.isolation}" · snapshot "{s.snapshot}{victim}
                </li>
            }
        })
        .collect_view();
    let advisory = pg
        .advisory
        .into_iter()
        .map(|a| {
            let held = if a.holders.is_empty() {
                "nobody".to_string()
            } else {
                a.holders.join(", ")
            };
            let waiting =
                (!a.waiters.is_empty()).then(|| format!("; waiting: {}", a.waiters.join(", ")));
            view! {
                <li class="advisory-lock" data-key=a.key.clone()>
                    {format!("advisory lock {}: held by {held}", a.key)}{waiting}
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
        view! { <p class="pg-waits">"waits for: "{edges}</p> }
    });
    let deadlock = (!pg.deadlock.is_empty()).then(|| {
        let who = pg.deadlock.join(", ");
        view! {
            <p class="pg-deadlock">
                "deadlock: "{who}" wait for each other. The server breaks it at the first of their deadlock checks (deadlock_timeout after each wait began): that session is the victim."
            </p>
        }
    });
    let tables = pg
        .tables
        .into_iter()
        .map(|t| {
            let head = t.columns.iter().map(|c| view! { <th>{c.clone()}</th> }).collect_view();
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
                        None => view! { <td class="uncommitted" colspan=width>"(not committed yet)"</td> }.into_any(),
                    };
                    let pending = pending_note(&row).map(|p| view! { <div class="pending-write">{p}</div> });
                    let lock = lock_note(&row).map(|l| view! { <div class="row-lock">{l}</div> });
                    let older = older_note(&row).map(|o| view! { <div class="row-older">{o}</div> });
                    view! {
                        <tr class="db-row" data-key=row.key>
                            {cells}
                            <td class="row-notes">{pending}{lock}{older}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <table class="db-table" data-table=t.name.clone()>
                    <caption>{t.name.clone()}</caption>
                    <thead><tr>{head}<th class="row-notes">"locks, uncommitted"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
        })
        .collect_view();
    view! {
        {tables}
        <ul class="pg-sessions">{sessions}</ul>
        {waits}
        {deadlock}
        <ul class="advisory-locks">{advisory}</ul>
    }
}

/// Redis: every key with its value and the time it has left, the open transactions, counters.
#[component]
fn RedisPanel(redis: RedisView) -> impl IntoView {
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
                <tr class="redis-key" data-key=key data-kind=k.kind>
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
            <thead><tr><th>"key"</th><th>"value"</th><th>"expiry"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <ul class="redis-tx">{tx}</ul>
        <p class="redis-stats">{redis_stats(&redis.stats)}</p>
    }
}

/// Aerospike-style records: value, generation and the time each has left.
#[component]
fn AerospikePanel(records: AsView) -> impl IntoView {
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
                <tr class="as-record" data-key=key>
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
            <thead><tr><th>"key"</th><th>"value"</th><th>"generation"</th><th>"expiry"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// The lock service: each lock's holder with its fencing token and the queue behind it; the
/// sessions that are expiring or expired.
#[component]
fn ZkPanel(zk: ZkView) -> impl IntoView {
    let locks = zk
        .locks
        .into_iter()
        .map(|l| {
            let path = l.path.clone();
            view! {
                <tr class="zk-lock" data-path=path>
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
            <thead><tr><th>"lock"</th><th>"holder"</th><th>"token"</th><th>"waiting"</th></tr></thead>
            <tbody>{locks}</tbody>
        </table>
        <ul class="zk-sessions">{sessions}</ul>
        <p class="zk-next">{format!("next fencing token: {}", zk.next_token)}</p>
    }
}

/// The Cassandra-like store: each table with its rows, by partition key.
#[component]
fn CqlPanel(cql: CqlView) -> impl IntoView {
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
                    view! { <tr class="cql-row" data-key=key>{cells}</tr> }
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
