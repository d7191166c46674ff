//! The explorer panel: every interleaving and fault placement of the variant, run in a Web
//! Worker ([`crate::worker`]) with progress and cancel, shown as the case table; a row's
//! "replay" loads that execution into the lanes. Tables are cached in localStorage per lesson
//! version (the job's key changes with the lesson's text).

use crate::lessons::LessonText;
use crate::run_handle::RunHandle;
use crate::store;
use crate::worker::{self, Message, Running};
use leptos::prelude::*;
use racelab_engine::explore::wire::{Job, TableView};
use racelab_engine::explore::Progress;
use racelab_engine::lesson::DEFAULT_EXPLORE_FAULTS;

/// The fault kinds offered with a checkbox.
const KINDS: &[(&str, &str)] = &[
    ("exit", "exit (crash before a line)"),
    ("exit-after", "exit after a line"),
    ("error", "error (a call fails)"),
    ("timeout", "timeout (reply lost)"),
    ("sleep=60000", "sleep 60 s (a pause)"),
];

#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Idle,
    Running(Progress),
    Done { table: TableView, note: String },
    Failed(String),
}

fn cached(job: &Job) -> Option<TableView> {
    TableView::decode(&store::get(&job.cache_key())?).ok()
}

fn remember(job: &Job, table: &TableView) {
    if table.stopped.is_none() {
        // A full storage only means no cache.
        store::set(&job.cache_key(), &table.encode());
    }
}

fn ms_since(t0: f64) -> String {
    format!("{:.0} ms", js_sys::Date::now() - t0)
}

/// A checkbox per offered kind, on when the lesson's case table declares it (else when the
/// default kinds have it, as `racelab explore` does), and the declared kinds without a
/// checkbox (`down=redis`, …): always placed.
fn initial_kinds(declared: Option<&str>) -> (Vec<RwSignal<bool>>, Vec<String>) {
    let declared: Vec<&str> = declared
        .unwrap_or(DEFAULT_EXPLORE_FAULTS)
        .split(',')
        .map(str::trim)
        .collect();
    let on = KINDS
        .iter()
        .map(|k| RwSignal::new(declared.contains(&k.0)))
        .collect();
    let extra = declared
        .into_iter()
        .filter(|k| !k.is_empty() && !KINDS.iter().any(|c| c.0 == *k))
        .map(str::to_string)
        .collect();
    (on, extra)
}

/// Runs a job: from the cache, else in a worker (progress, then the table), else in the page.
fn start_job(
    job: Job,
    phase: RwSignal<Phase>,
    running: StoredValue<Option<Running>, LocalStorage>,
) {
    running.set_value(None);
    if let Some(table) = cached(&job) {
        let note = "from this browser's cache of this lesson version".into();
        phase.set(Phase::Done { table, note });
        return;
    }
    phase.set(Phase::Running(Progress::default()));
    let t0 = js_sys::Date::now();
    let job2 = job.clone();
    let started = worker::start(&job, move |m| match m {
        Message::Progress(p) => phase.set(Phase::Running(p)),
        Message::Table(table) => {
            remember(&job2, &table);
            let note = format!("explored in a Web Worker in {}", ms_since(t0));
            phase.set(Phase::Done { table, note });
            running.set_value(None);
        }
        Message::Error(e) => phase.set(Phase::Failed(e)),
        Message::Ready => {}
    });
    match started {
        Ok(r) => running.set_value(Some(r)),
        Err(why) => {
            // No worker here: explore in the page (it pauses until done).
            let result = job.run(|_| js_sys::Date::now() - t0 > 60_000.0);
            phase.set(match result {
                Ok(table) => {
                    remember(&job, &table);
                    let note = format!("explored in the page ({why}) in {}", ms_since(t0));
                    Phase::Done { table, note }
                }
                Err(e) => Phase::Failed(e),
            });
        }
    }
}

#[component]
pub fn ExplorerPanel(variant: usize) -> impl IntoView {
    let handle = RunHandle::use_context();
    // The lesson's own case table ([variant.explore]) chooses the faults first.
    let spec = handle.with_untracked(|r| r.lesson().variants.get(variant)?.explore.clone());
    let (on, extra) = initial_kinds(spec.as_ref().map(|s| s.faults.as_str()));
    let max_faults = RwSignal::new(spec.as_ref().map_or(1, |s| s.max_faults.clamp(1, 2)));
    let phase = RwSignal::new(Phase::Idle);
    let running = StoredValue::new_local(None::<Running>);
    let source = expect_context::<LessonText>();
    let kinds = on.clone();
    let job = move || {
        let faults = KINDS
            .iter()
            .zip(&kinds)
            .filter(|(_, s)| s.get_untracked())
            .map(|(k, _)| k.0.to_string())
            .chain(extra.iter().cloned())
            .collect::<Vec<_>>()
            .join(",");
        source.job(variant, faults, max_faults.get_untracked())
    };
    let run = move |_| start_job(job(), phase, running);
    let cancel = move |_| {
        running.set_value(None);
        phase.set(Phase::Failed("Cancelled.".into()));
    };
    let is_running = move || matches!(phase.get(), Phase::Running(_));
    let boxes = KINDS
        .iter()
        .zip(on)
        .map(|((kind, label), sig)| {
            view! {
                <label class="kind">
                    <input type="checkbox" data-kind=*kind prop:checked=move || sig.get()
                        on:change=move |ev| sig.set(event_target_checked(&ev))/>
                    {*label}
                </label>
            }
        })
        .collect_view();
    view! {
        <section class="explorer" aria-label="Explorer">
            <h2>"Every case"</h2>
            <p class="explorer-help">"Runs every order of the clients' steps with every placement of the chosen faults, and lists what each placement leads to."</p>
            <div class="explore-controls">
                {boxes}
                <label class="kind">"at most "
                    <select id="explore-max-faults" on:change=move |ev| {
                        max_faults.set(event_target_value(&ev).parse().unwrap_or(1))
                    }>
                        <option value="1" selected=move || max_faults.get_untracked() == 1>"1 fault"</option>
                        <option value="2" selected=move || max_faults.get_untracked() == 2>"2 faults"</option>
                    </select>
                </label>
                <button id="explore-run" disabled=is_running on:click=run>"Explore every case"</button>
                <button id="explore-cancel" disabled=move || !is_running() on:click=cancel>"Cancel"</button>
            </div>
            <CaseTable phase=phase handle=handle/>
        </section>
    }
}

/// "120 executions reached, 3 400 states, about 40% done (about 8 500 states in all)".
fn progress_text(p: &Progress) -> String {
    let estimate = if p.done >= 0.02 {
        format!(" (about {:.0} states in all)", p.states as f64 / p.done)
    } else {
        String::new()
    };
    format!(
        " {} executions reached, {} states, about {:.0}% done{estimate}",
        p.walked,
        p.states,
        p.done * 100.0
    )
}

#[component]
fn CaseTable(phase: RwSignal<Phase>, handle: RunHandle) -> impl IntoView {
    move || match phase.get() {
        Phase::Idle => view! { <p id="explore-status" role="status"></p> }.into_any(),
        Phase::Running(p) => view! {
            <p id="explore-status" role="status" data-state="running">
                <progress max="100" value=format!("{:.0}", p.done * 100.0)></progress>
                {progress_text(&p)}
            </p>
        }
        .into_any(),
        Phase::Failed(e) => view! {
            <p id="explore-status" role="status" data-state="failed">{e}</p>
        }
        .into_any(),
        Phase::Done { table, note } => table_view(table, note, handle).into_any(),
    }
}

/// What the table says besides its rows: a client group cut for exploring, the document's tally.
fn table_notes(notes: &[String]) -> impl IntoView {
    notes
        .iter()
        .map(|n| view! { <li>{n.clone()}</li> })
        .collect_view()
}

fn table_view(t: TableView, note: String, handle: RunHandle) -> impl IntoView {
    let s = t.stats;
    let status = format!(
        "{} ok / {} bad{} — {} executions ({} states), faults: {}; {note}.{}",
        t.tally.ok,
        t.tally.bad,
        if t.tally.mixed > 0 {
            format!(
                " ({} ok under some orders, bad under others)",
                t.tally.mixed
            )
        } else {
            String::new()
        },
        racelab_engine::explore::count_text(s.executions),
        s.states,
        t.faults,
        t.stopped
            .as_deref()
            .map(|w| format!(" {w}."))
            .unwrap_or_default()
    );
    let rows = t
        .rows
        .iter()
        .map(|r| {
            let verdict = match (r.ok, r.bad) {
                (_, 0) => "ok",
                (0, _) => "bad",
                _ => "mixed",
            };
            let outcomes = r
                .outcomes
                .iter()
                .filter_map(|o| t.outcomes.get(*o))
                .map(|o| {
                    let v = if o.ok { "ok" } else { "bad" };
                    view! { <li data-verdict=v>{o.signature.clone()}</li> }
                })
                .collect_view();
            let replay = r.counterexample.clone().or_else(|| r.example.clone());
            let button = replay.map(|id| {
                let label = if r.bad > 0 {
                    "replay bad case"
                } else {
                    "replay"
                };
                let title = format!("Load this execution into the lanes ({id})");
                let id2 = id.clone();
                view! {
                    <button class="replay" data-replay=id title=title
                        on:click=move |_| handle.replay(&id2)>{label}</button>
                }
            });
            view! {
                <tr class="case" data-verdict=verdict data-case=r.label.clone()>
                    <td class="case-label">{r.label.clone()}</td>
                    <td class="case-verdict">{verdict.to_uppercase()}</td>
                    <td class="num">{racelab_engine::explore::count_text(r.ok)}</td>
                    <td class="num">{racelab_engine::explore::count_text(r.bad)}</td>
                    <td><ul class="outcomes">{outcomes}</ul></td>
                    <td>{button}</td>
                </tr>
            }
        })
        .collect_view();
    let notes = table_notes(&t.notes);
    view! {
        <p id="explore-status" role="status" data-state="done">{status}</p>
        <ul class="table-notes">{notes}</ul>
        <table id="case-table">
            <thead><tr>
                <th scope="col">"case"</th><th scope="col">"verdict"</th>
                <th scope="col">"ok"</th><th scope="col">"bad"</th>
                <th scope="col">"outcomes"</th><th scope="col"></th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
