//! The trace: one line per event, what the last action did highlighted.

use crate::i18n::{tr, trf, use_lang};
use leptos::prelude::*;

/// One trace line as the view draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceLine {
    pub time: u64,
    /// The client's name ("" for a service acting by itself).
    pub who: String,
    pub line: usize,
    pub what: String,
    /// Caused by the latest action (a COMMIT may also wake another client).
    pub latest: bool,
}

/// The trace lines of a run, from the engine's events and wording.
pub fn trace_lines(r: &racelab_engine::Run) -> Vec<TraceLine> {
    let latest = r.trace().latest_step_start().unwrap_or(usize::MAX);
    r.trace()
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| trace_line(r, e, r.describe(e), i >= latest))
        .collect()
}

fn trace_line(
    r: &racelab_engine::Run,
    e: &racelab_engine::trace::Event,
    what: String,
    latest: bool,
) -> TraceLine {
    TraceLine {
        time: e.time,
        who: e
            .client
            .map(|c| r.client_name(c).to_string())
            .unwrap_or_default(),
        line: e.line,
        what,
        latest,
    }
}

/// The trace, keyed by line: a step adds its lines and re-marks the latest ones; the lines
/// before them keep their DOM nodes.
#[component]
pub fn TraceView(#[prop(into)] lines: Signal<Vec<TraceLine>>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <ol id="trace">
            <For
                each=move || lines.get().into_iter().enumerate()
                key=|(i, l)| (*i, l.latest, l.time, l.who.clone(), l.what.clone())
                children=move |(_, l)| {
                    let class = if l.latest { "event latest" } else { "event" };
                    let client = l.who.clone();
                    view! {
                        <li class=class data-client=client>
                            <span class="t">{trf(lang, "{} ms", &[&l.time])}</span>
                            <b class="who">{l.who}</b>
                            <span class="ln">{trf(lang, "line {}", &[&l.line])}</span>
                            <span class="what">{l.what}</span>
                        </li>
                    }
                }
            />
        </ol>
    }
}

/// The operation log (`log …` lines of the scripts), in time order: the document's timeline
/// (GET_START, CACHE_MISS, DB_READ, CACHE_SET, …) beside the lanes. Nothing when no script logs.
pub fn operation_log(r: &racelab_engine::Run) -> Vec<TraceLine> {
    use racelab_engine::trace::EventKind;
    // Only the log's own events are put into words (the trace view words all of them).
    let latest = r.trace().latest_step_start().unwrap_or(usize::MAX);
    r.trace()
        .events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match &e.kind {
            EventKind::Log { text } => Some(trace_line(r, e, text.clone(), i >= latest)),
            _ => None,
        })
        .collect()
}

#[component]
pub fn OperationLog(#[prop(into)] lines: Signal<Vec<TraceLine>>) -> impl IntoView {
    let lang = use_lang();
    move || {
        let lines = lines.get();
        (!lines.is_empty()).then(|| {
            let items = lines
                .into_iter()
                .enumerate()
                .map(|(i, l)| {
                    let class = if l.latest { "op latest" } else { "op" };
                    let client = l.who.clone();
                    view! {
                        <li class=class data-client=client>
                            <span class="t">{trf(lang, "{} ms", &[&l.time])}</span>
                            <b class="who">{l.who}</b>
                            <span class="n">{format!("{}.", i + 1)}</span>
                            <code class="what">{l.what}</code>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <section class="oplog" aria-label=tr(lang, "Operation log")>
                    <h2>{tr(lang, "Operation log")}</h2>
                    <ol id="oplog">{items}</ol>
                </section>
            }
        })
    }
}
