//! The run on a virtual-time axis (the engine's `timeline`), drawn as SVG: a lane per client
//! and per service, calls and replies as arrows, waits and sleeps as bars, faults and ends as
//! marks. A click on any of them goes back to the moment after it (Forward redoes the rest).
//!
//! The axis ends at a round time past the run's end, so it changes only now and then; the
//! items are keyed by what they draw, so a step adds its own items and leaves the others'
//! nodes alone.

use crate::i18n::{tr, trf, use_lang};
use crate::run_handle::RunHandle;
use leptos::prelude::*;
use racelab_engine::timeline::{timeline, BarKind, MarkKind, Timeline};

const LEFT: f64 = 110.0;
const WIDTH: f64 = 1000.0;
const LANE: f64 = 34.0;
const TOP: f64 = 22.0;

/// The axis' end: the smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 × 10^k at or past `end`.
fn axis_end(end: u64) -> u64 {
    let mut scale = 1u64;
    loop {
        for m in [10, 15, 20, 30, 40, 50, 60, 80] {
            let v = m * scale / 10;
            if v >= end.max(1) {
                return v.max(1);
            }
        }
        scale = scale.saturating_mul(10);
        if scale == u64::MAX {
            return end.max(1);
        }
    }
}

/// An x position, in tenths of a unit (kept as an integer so items can be keys).
fn x(axis: u64, time: u64) -> i64 {
    let frac = time.min(axis) as f64 / axis as f64;
    ((LEFT + frac * (WIDTH - LEFT - 14.0)) * 10.0).round() as i64
}

fn y(lane: usize) -> f64 {
    TOP + LANE * lane as f64 + LANE / 2.0
}

/// One drawn item, with everything it shows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Item {
    Bar {
        x0: i64,
        x1: i64,
        lane: usize,
        class: String,
        title: String,
        after: usize,
    },
    Arrow {
        x: i64,
        from: usize,
        to: usize,
        class: String,
        title: String,
        after: usize,
    },
    Mark {
        x: i64,
        lane: usize,
        class: String,
        glyph: &'static str,
        title: String,
        after: usize,
    },
}

fn items(t: &Timeline, axis: u64, now: usize) -> Vec<Item> {
    let cls = |base: &str, after: usize| {
        if after == now {
            format!("{base} latest")
        } else {
            base.to_string()
        }
    };
    let bars = t.bars.iter().map(|b| {
        let kind = match b.kind {
            BarKind::Wait => "tl-bar wait",
            BarKind::Sleep => "tl-bar sleep",
        };
        let kind = if b.open {
            format!("{kind} open")
        } else {
            kind.to_string()
        };
        Item::Bar {
            x0: x(axis, b.from),
            x1: x(axis, b.to),
            lane: b.lane,
            class: cls(&kind, b.after),
            title: format!("{} ({}–{} ms)", b.label, b.from, b.to),
            after: b.after,
        }
    });
    let arrows = t.arrows.iter().map(|a| {
        let base = match (a.from >= t.clients, a.error) {
            (false, _) => "tl-arrow call",
            (true, false) => "tl-arrow reply",
            (true, true) => "tl-arrow reply error",
        };
        Item::Arrow {
            x: x(axis, a.time),
            from: a.from,
            to: a.to,
            class: cls(base, a.after),
            title: format!("{} ms: {}", a.time, a.label),
            after: a.after,
        }
    });
    let marks = t.marks.iter().map(|m| {
        let (kind, glyph) = match m.kind {
            MarkKind::Fault => ("tl-mark fault", "✕"),
            MarkKind::Done => ("tl-mark done", "✓"),
            MarkKind::Failed => ("tl-mark failed", "!"),
            MarkKind::Timer => ("tl-mark timer", "⏱"),
        };
        Item::Mark {
            x: x(axis, m.time),
            lane: m.lane,
            class: cls(kind, m.after),
            glyph,
            title: format!("{} ms: {}", m.time, m.label),
            after: m.after,
        }
    });
    bars.chain(arrows).chain(marks).collect()
}

fn draw(item: Item, go: impl Fn(usize) + Copy + Send + Sync + 'static) -> AnyView {
    let px = |v: i64| v as f64 / 10.0;
    match item {
        Item::Bar { x0, x1, lane, class, title, after } => view! {
            <rect class=class x=px(x0) y=y(lane) - 7.0 width=(px(x1) - px(x0)).max(3.0) height=14
                on:click=move |_| go(after)><title>{title}</title></rect>
        }
        .into_any(),
        Item::Arrow { x, from, to, class, title, after } => {
            let dx = if class.contains("reply") { 3.0 } else { -3.0 };
            let (y1, y2) = (y(from), y(to));
            let shrink = if y2 > y1 { -6.0 } else { 6.0 };
            view! {
                <line class=class x1=px(x) + dx y1=y1 x2=px(x) + dx y2=y2 + shrink
                    marker-end="url(#tl-head)" on:click=move |_| go(after)><title>{title}</title></line>
            }
            .into_any()
        }
        Item::Mark { x, lane, class, glyph, title, after } => view! {
            <text class=class x=px(x) y=y(lane) - 9.0 text-anchor="middle" on:click=move |_| go(after)>
                {glyph}<title>{title}</title>
            </text>
        }
        .into_any(),
    }
}

#[component]
pub fn TimelineView() -> impl IntoView {
    let handle = RunHandle::use_context();
    let lang = use_lang();
    let tl = Memo::new(move |_| handle.with(timeline));
    let axis = Memo::new(move |_| axis_end(tl.with(|t| t.end)));
    let go = move |n: usize| handle.go_to(n);
    let each = move || {
        let now = handle.with(|r| r.trace().actions.len());
        tl.with(|t| items(t, axis.get(), now))
    };
    let height = move || TOP + LANE * tl.with(|t| t.lanes.len()) as f64 + 8.0;
    let frame = move || {
        let a = axis.get();
        let lanes = tl.with(|t| (t.lanes.clone(), t.clients));
        let rows = lanes
            .0
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let kind = if i < lanes.1 {
                    "tl-lane client"
                } else {
                    "tl-lane service"
                };
                view! {
                    <g class=kind>
                        <line x1=LEFT y1=y(i) x2=WIDTH - 10.0 y2=y(i)/>
                        <text x=4 y=y(i) + 4.0>{name}</text>
                    </g>
                }
            })
            .collect_view();
        let ticks = (0..=4).map(|k| {
            let time = a * k / 4;
            view! { <text class="tl-tick" x=x(a, time) as f64 / 10.0 y=12 text-anchor="middle">{format!("{time} ms")}</text> }
        }).collect_view();
        view! { {ticks}{rows} }
    };
    let now_x = move || x(axis.get(), handle.with(|r| r.now())) as f64 / 10.0;
    let summary = move || {
        tl.with(|t| trf(
            lang,
            "Timeline: {} lanes, {} calls, {} waits or sleeps, {} marks, up to {} ms. Click an item to go back to the moment after it.",
            &[&t.lanes.len(), &t.arrows.iter().filter(|a| a.from < t.clients).count(), &t.bars.len(), &t.marks.len(), &t.end],
        ))
    };
    view! {
        <details class="timeline" open>
            <summary><h2>{tr(lang, "Timeline")}</h2></summary>
            <svg id="timeline-svg" viewBox=move || format!("0 0 {WIDTH} {}", height()) role="img"
                aria-label=summary preserveAspectRatio="xMinYMin meet">
                <defs>
                    <marker id="tl-head" viewBox="0 0 10 10" refX="8" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
                        <path d="M 0 0 L 10 5 L 0 10 z"/>
                    </marker>
                </defs>
                {frame}
                <For each=each key=|item| item.clone() children=move |item| draw(item, go)/>
                <line class="tl-now" x1=now_x y1=TOP - 4.0 x2=now_x y2=move || height() - 4.0/>
            </svg>
        </details>
    }
}
