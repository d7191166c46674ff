//! The run on a virtual-time axis (the engine's `timeline`), drawn as SVG: a lane per client
//! and per service, calls and replies as arrows, waits and sleeps as bars, faults and ends as
//! marks. A click on any of them goes back to the moment after it (Forward redoes the rest).

use crate::i18n::{tr, trf, use_lang};
use crate::run_handle::RunHandle;
use leptos::prelude::*;
use racelab_engine::timeline::{timeline, BarKind, MarkKind, Timeline};

const LEFT: f64 = 110.0;
const WIDTH: f64 = 1000.0;
const LANE: f64 = 34.0;
const TOP: f64 = 22.0;

fn x(t: &Timeline, time: u64) -> f64 {
    LEFT + (time as f64 / t.end as f64) * (WIDTH - LEFT - 14.0)
}

fn y(lane: usize) -> f64 {
    TOP + LANE * lane as f64 + LANE / 2.0
}

#[component]
pub fn TimelineView() -> impl IntoView {
    let handle = RunHandle::use_context();
    let lang = use_lang();
    let tl = Memo::new(move |_| handle.with(timeline));
    let latest = Memo::new(move |_| handle.with(|r| r.trace().actions.len()));
    let go = move |n: usize| handle.go_to(n);
    let body = move || {
        let t = tl.get();
        let now = latest.get();
        let cls = move |base: &str, after: usize| {
            if after == now {
                format!("{base} latest")
            } else {
                base.to_string()
            }
        };
        let height = TOP + LANE * t.lanes.len() as f64 + 8.0;
        let lanes = t
            .lanes
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let kind = if i < t.clients {
                    "tl-lane client"
                } else {
                    "tl-lane service"
                };
                view! {
                    <g class=kind>
                        <line x1=LEFT y1=y(i) x2=WIDTH - 10.0 y2=y(i)/>
                        <text x=4 y=y(i) + 4.0>{name.clone()}</text>
                    </g>
                }
            })
            .collect_view();
        let ticks = (0..=4).map(|k| {
            let time = t.end * k / 4;
            view! { <text class="tl-tick" x=x(&t, time) y=12 text-anchor="middle">{format!("{time} ms")}</text> }
        }).collect_view();
        let bars = t.bars.iter().map(|b| {
            let after = b.after;
            let kind = match b.kind { BarKind::Wait => "tl-bar wait", BarKind::Sleep => "tl-bar sleep" };
            let kind = if b.open { format!("{kind} open") } else { kind.to_string() };
            view! {
                <rect class=cls(&kind, after) x=x(&t, b.from) y=y(b.lane) - 7.0
                    width=(x(&t, b.to) - x(&t, b.from)).max(3.0) height=14 on:click=move |_| go(after)>
                    <title>{format!("{} ({}–{} ms)", b.label, b.from, b.to)}</title>
                </rect>
            }
        }).collect_view();
        let arrows = t.arrows.iter().map(|a| {
            let after = a.after;
            let reply = a.from >= t.clients;
            let dx = if reply { 3.0 } else { -3.0 };
            let base = match (reply, a.error) {
                (false, _) => "tl-arrow call",
                (true, false) => "tl-arrow reply",
                (true, true) => "tl-arrow reply error",
            };
            let (y1, y2) = (y(a.from), y(a.to));
            let shrink = if y2 > y1 { -6.0 } else { 6.0 };
            view! {
                <line class=cls(base, after) x1=x(&t, a.time) + dx y1=y1 x2=x(&t, a.time) + dx y2=y2 + shrink
                    marker-end="url(#tl-head)" on:click=move |_| go(after)>
                    <title>{format!("{} ms: {}", a.time, a.label)}</title>
                </line>
            }
        }).collect_view();
        let marks = t.marks.iter().map(|m| {
            let after = m.after;
            let (kind, glyph) = match m.kind {
                MarkKind::Fault => ("tl-mark fault", "✕"),
                MarkKind::Done => ("tl-mark done", "✓"),
                MarkKind::Failed => ("tl-mark failed", "!"),
                MarkKind::Timer => ("tl-mark timer", "⏱"),
            };
            view! {
                <text class=cls(kind, after) x=x(&t, m.time) y=y(m.lane) - 9.0 text-anchor="middle" on:click=move |_| go(after)>
                    {glyph}<title>{format!("{} ms: {}", m.time, m.label)}</title>
                </text>
            }
        }).collect_view();
        let now_x = x(&t, handle.with_untracked(|r| r.now()));
        let summary = trf(
            lang,
            "Timeline: {} lanes, {} calls, {} waits or sleeps, {} marks, up to {} ms. Click an item to go back to the moment after it.",
            &[&t.lanes.len(), &t.arrows.iter().filter(|a| a.from < t.clients).count(), &t.bars.len(), &t.marks.len(), &t.end],
        );
        view! {
            <svg id="timeline-svg" viewBox=format!("0 0 {WIDTH} {height}") role="img" aria-label=summary
                preserveAspectRatio="xMinYMin meet">
                <defs>
                    <marker id="tl-head" viewBox="0 0 10 10" refX="8" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
                        <path d="M 0 0 L 10 5 L 0 10 z"/>
                    </marker>
                </defs>
                {ticks}{lanes}{bars}{arrows}{marks}
                <line class="tl-now" x1=now_x y1=TOP - 4.0 x2=now_x y2=height - 4.0/>
            </svg>
        }
    };
    view! {
        <details class="timeline" open>
            <summary><h2>{tr(lang, "Timeline")}</h2></summary>
            {body}
        </details>
    }
}
