//! The explorer panel: every interleaving and fault placement of the variant, run in a Web
//! Worker ([`crate::worker`]) with progress and cancel, shown as the case table; a row's
//! "replay" loads that execution into the lanes. Tables are cached in localStorage per lesson
//! version (the job's key changes with the lesson's text).

use crate::i18n::{tr, trf, use_lang, Lang};
use crate::lessons::LessonText;
use crate::run_handle::RunHandle;
use crate::store;
use crate::worker::{self, Message, Running};
use leptos::prelude::*;
use racelab_engine::explore::wire::{Job, RowView, TableView};
use racelab_engine::explore::Progress;
use racelab_engine::lesson::DEFAULT_EXPLORE_FAULTS;

/// The fault kinds offered with a checkbox, with their label in a language.
type Label = fn(Lang) -> &'static str;
const KINDS: &[(&str, Label)] = &[
    ("exit", |l| tr(l, "exit (crash before a line)")),
    ("exit-after", |l| tr(l, "exit after a line")),
    ("error", |l| tr(l, "error (a call fails)")),
    ("timeout", |l| tr(l, "timeout (reply lost)")),
    ("sleep=60000", |l| tr(l, "sleep 60 s (a pause)")),
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

fn ms_since(lang: Lang, t0: f64) -> String {
    let ms = format!("{:.0}", js_sys::Date::now() - t0);
    trf(lang, "{} ms", &[&ms])
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
    lang: Lang,
    job: Job,
    phase: RwSignal<Phase>,
    running: StoredValue<Option<Running>, LocalStorage>,
) {
    running.set_value(None);
    if let Some(table) = cached(&job) {
        let note = tr(lang, "from this browser's cache of this lesson version").into();
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
            let note = trf(
                lang,
                "explored in a Web Worker in {}",
                &[&ms_since(lang, t0)],
            );
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
            let stop = |_: &_| js_sys::Date::now() - t0 > 60_000.0;
            let result = crate::lessons::run_job_here(&job, stop, &why);
            phase.set(match result {
                Ok(table) => {
                    remember(&job, &table);
                    let since = ms_since(lang, t0);
                    let note = trf(lang, "explored in the page ({}) in {}", &[&why, &since]);
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
    let lang = use_lang();
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
    let run = move |_| start_job(lang, job(), phase, running);
    let cancel = move |_| {
        running.set_value(None);
        phase.set(Phase::Failed(tr(lang, "Cancelled.").into()));
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
                    {label(lang)}
                </label>
            }
        })
        .collect_view();
    view! {
        <section class="explorer" aria-label=tr(lang, "Explorer")>
            <h2>{tr(lang, "Every case")}</h2>
            <p class="explorer-help">{tr(lang, "Runs every order of the clients' steps with every placement of the chosen faults, and lists what each placement leads to.")}</p>
            <div class="explore-controls">
                {boxes}
                <label class="kind">{tr(lang, "at most ")}
                    <select id="explore-max-faults" on:change=move |ev| {
                        max_faults.set(event_target_value(&ev).parse().unwrap_or(1))
                    }>
                        <option value="1" selected=move || max_faults.get_untracked() == 1>{tr(lang, "1 fault")}</option>
                        <option value="2" selected=move || max_faults.get_untracked() == 2>{tr(lang, "2 faults")}</option>
                    </select>
                </label>
                <button id="explore-run" disabled=is_running on:click=run>{tr(lang, "Explore every case")}</button>
                <button id="explore-cancel" disabled=move || !is_running() on:click=cancel>{tr(lang, "Cancel")}</button>
            </div>
            <CaseTable phase=phase handle=handle lang=lang/>
        </section>
    }
}

/// "120 executions reached, 3 400 states, about 40% done (about 8 500 states in all)".
fn progress_text(lang: Lang, p: &Progress) -> String {
    let estimate = if p.done >= 0.02 {
        let all = format!("{:.0}", p.states as f64 / p.done);
        trf(lang, " (about {} states in all)", &[&all])
    } else {
        String::new()
    };
    let done = format!("{:.0}", p.done * 100.0);
    trf(
        lang,
        " {} executions reached, {} states, about {}% done{}",
        &[&p.walked, &p.states, &done, &estimate],
    )
}

#[component]
fn CaseTable(phase: RwSignal<Phase>, handle: RunHandle, lang: Lang) -> impl IntoView {
    move || match phase.get() {
        Phase::Idle => view! { <p id="explore-status" role="status"></p> }.into_any(),
        Phase::Running(p) => view! {
            <p id="explore-status" role="status" data-state="running">
                <progress max="100" value=format!("{:.0}", p.done * 100.0)></progress>
                {progress_text(lang, &p)}
            </p>
        }
        .into_any(),
        Phase::Failed(e) => view! {
            <p id="explore-status" role="status" data-state="failed">{e}</p>
        }
        .into_any(),
        Phase::Done { table, note } => table_view(table, note, handle, lang).into_any(),
    }
}

/// What the table says besides its rows: a client group cut for exploring, the document's tally.
fn table_notes(notes: &[String]) -> impl IntoView {
    notes
        .iter()
        .map(|n| view! { <li>{n.clone()}</li> })
        .collect_view()
}

fn table_view(t: TableView, note: String, handle: RunHandle, lang: Lang) -> impl IntoView {
    let s = t.stats;
    let mixed = if t.tally.mixed > 0 {
        trf(
            lang,
            " ({} ok under some orders, bad under others)",
            &[&t.tally.mixed],
        )
    } else {
        String::new()
    };
    let stopped = t
        .stopped
        .as_deref()
        .map(|w| format!(" {w}."))
        .unwrap_or_default();
    let status = trf(
        lang,
        "{} ok / {} bad{} — {} executions ({} states), faults: {}; {}.{}",
        &[
            &t.tally.ok,
            &t.tally.bad,
            &mixed,
            &racelab_engine::explore::count_text(s.executions),
            &s.states,
            &t.faults,
            &note,
            &stopped,
        ],
    );
    let rows = t
        .rows
        .iter()
        .map(|r| case_row(&t, r, handle, lang))
        .collect_view();
    let notes = table_notes(&t.notes);
    view! {
        <p id="explore-status" role="status" data-state="done">{status}</p>
        <ul class="table-notes">{notes}</ul>
        <table id="case-table">
            <thead><tr>
                <th scope="col">{tr(lang, "case")}</th><th scope="col">{tr(lang, "verdict")}</th>
                <th scope="col">"ok"</th><th scope="col">"bad"</th>
                <th scope="col">{tr(lang, "outcomes")}</th><th scope="col"></th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// A row of the case table: its placement, verdict, counts, outcomes and a replay button.
fn case_row(t: &TableView, r: &RowView, handle: RunHandle, lang: Lang) -> impl IntoView {
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
            tr(lang, "replay bad case")
        } else {
            tr(lang, "replay")
        };
        let title = trf(lang, "Load this execution into the lanes ({})", &[&id]);
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
}
