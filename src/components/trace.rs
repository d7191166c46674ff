//! The trace: one line per event, what the last action did highlighted.

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
        .map(|(i, e)| TraceLine {
            time: e.time,
            who: e
                .client
                .map(|c| r.client_name(c).to_string())
                .unwrap_or_default(),
            line: e.line,
            what: r.describe(e),
            latest: i >= latest,
        })
        .collect()
}

#[component]
pub fn TraceView(#[prop(into)] lines: Signal<Vec<TraceLine>>) -> impl IntoView {
    view! {
        <ol id="trace">
            {move || {
                lines
                    .get()
                    .into_iter()
                    .map(|l| {
                        let class = if l.latest { "event latest" } else { "event" };
                        let client = l.who.clone();
                        view! {
                            <li class=class data-client=client>
                                <span class="t">{format!("{} ms", l.time)}</span>
                                <b class="who">{l.who}</b>
                                <span class="ln">{format!("line {}", l.line)}</span>
                                <span class="what">{l.what}</span>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ol>
    }
}
