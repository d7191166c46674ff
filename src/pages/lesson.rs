//! The lesson page: one lane per client (one per client group), the variant's challenges, a panel per service, the assertions and the trace, with
//! the controls that drive the engine's scheduler. The page owns the [`RunHandle`] and gives
//! each component the view it draws.

use crate::components::{
    assertions::Assertions,
    explorer::ExplorerPanel,
    goals::Goals,
    group::GroupLane,
    lane::Lane,
    services::ServicePanels,
    trace::{operation_log, trace_lines, OperationLog, TraceView},
};
use crate::lessons;
use crate::route::{navigate, Route};
use crate::run_handle::RunHandle;
use leptos::prelude::*;
use racelab_engine::fault::FaultPlan;
use racelab_engine::run::Run;
use racelab_engine::Lesson;
use std::sync::Arc;

#[component]
pub fn LessonPage(slug: String, variant: Option<String>) -> impl IntoView {
    match lessons::load(&slug) {
        None => {
            let names: Vec<&str> = lessons::BUILTIN.iter().map(|(s, _, _)| *s).collect();
            view! {
                <main id="lesson" data-lesson=slug.clone()>
                    <p id="error" role="alert">
                        {format!("There is no lesson \"{slug}\". Lessons: {}.", names.join(", "))}
                    </p>
                    <p><a href="#/">"All lessons"</a></p>
                </main>
            }
            .into_any()
        }
        Some(Err(errors)) => {
            let items = errors
                .iter()
                .map(|e| view! { <li>{e.to_string()}</li> })
                .collect_view();
            view! {
                <main id="lesson" data-lesson=slug.clone()>
                    <div id="error" role="alert">
                        <p>"This lesson file has errors:"</p>
                        <ul>{items}</ul>
                    </div>
                </main>
            }
            .into_any()
        }
        Some(Ok(lesson)) => {
            view! { <LessonView slug=slug lesson=lesson variant=variant/> }.into_any()
        }
    }
}

/// A lesson that parsed: the run of the chosen variant.
#[component]
fn LessonView(slug: String, lesson: Arc<Lesson>, variant: Option<String>) -> impl IntoView {
    let mut unknown_variant = None;
    let v = match &variant {
        None => 0,
        Some(name) => lesson.variant_index(name).unwrap_or_else(|| {
            unknown_variant = Some(format!(
                "This lesson has no variant \"{name}\"; showing \"{}\".",
                lesson.variants[0].name
            ));
            0
        }),
    };
    let handle = RunHandle::provide(
        Run::new(lesson.clone(), v, FaultPlan::new()),
        unknown_variant,
    );
    keyboard(handle);
    // The lanes follow the run's lesson: a replayed case-table row may run the lesson with its
    // client groups cut (fewer members), which renumbers the clients.
    let lesson_id = Memo::new(move |_| handle.with(|r| Arc::as_ptr(r.lesson()) as usize));
    let lanes = move || {
        lesson_id.track();
        let l = handle.with_untracked(|r| r.lesson().clone());
        l.clients
            .iter()
            .enumerate()
            .filter_map(|(c, def)| match def.group {
                Some(g) if l.groups[g].members.start != c => None,
                Some(g) => {
                    let gv = Memo::new(move |_| handle.with(|r| r.group_view(g)));
                    Some(view! { <GroupLane view=gv/> }.into_any())
                }
                None => {
                    // One snapshot of this client per step, shared by everything the lane shows.
                    let view = Memo::new(move |_| handle.with(|r| r.client_view(c)));
                    Some(view! { <Lane client=c name=def.name.clone() view=view/> }.into_any())
                }
            })
            .collect_view()
    };
    let source = lesson
        .source
        .clone()
        .map(|s| view! { <p class="source">"Source document: " <code>{s}</code></p> });
    let panels = Memo::new(move |_| handle.with(|r| r.service_panels()));
    let verdicts = Memo::new(move |_| handle.with(|r| r.verdicts()));
    let trace = Memo::new(move |_| handle.with(trace_lines));
    let oplog = Memo::new(move |_| handle.with(operation_log));

    let main_slug = slug.clone();
    let explorer_slug = slug.clone();
    let goals_slug = slug.clone();
    view! {
        <main id="lesson" data-lesson=main_slug data-variant=lesson.variants[v].slug.clone()>
            <h1>{lesson.title.clone()}</h1>
            <p class="intro">{lesson.intro.clone()}</p>
            {source}
            <Variants slug=slug lesson=lesson.clone() current=v/>
            <p class="explain">{lesson.variants[v].explain.clone()}</p>
            <Goals slug=goals_slug variant=v/>
            <Controls clients=lesson.clients.len()/>
            <p id="error" role="alert">{move || handle.error()}</p>
            <div class="lanes">{lanes}</div>
            <OperationLog lines=oplog/>
            <div class="state">
                <ServicePanels panels=panels/>
                <section class="checks" aria-label="Assertions"><h2>"Assertions"</h2><Assertions verdicts=verdicts/></section>
            </div>
            <section class="trace" aria-label="Trace"><h2>"Trace"</h2><TraceView lines=trace/></section>
            <ExplorerPanel slug=explorer_slug variant=v/>
        </main>
    }
}

/// The variant buttons; choosing one navigates to its URL.
#[component]
fn Variants(slug: String, lesson: Arc<Lesson>, current: usize) -> impl IntoView {
    let buttons = lesson
        .variants
        .iter()
        .enumerate()
        .map(|(i, var)| {
            let target = Route::Lesson {
                slug: slug.clone(),
                variant: Some(var.slug.clone()),
            };
            view! {
                <button
                    class="variant"
                    data-variant=var.slug.clone()
                    aria-pressed=if i == current { "true" } else { "false" }
                    on:click=move |_| navigate(&target)
                >
                    {var.name.clone()}
                </button>
            }
        })
        .collect_view();
    view! { <nav class="variants" aria-label="Variants">{buttons}</nav> }
}

/// The scheduler's buttons, the virtual clock and the hint of what happens next.
#[component]
fn Controls(clients: usize) -> impl IntoView {
    let handle = RunHandle::use_context();
    let finished = move || handle.with(|r| r.finished());
    view! {
        <div class="controls" role="toolbar" aria-label="Scheduler">
            <button id="next-event" title="Run the step that happens first in virtual time (n)"
                disabled=finished on:click=move |_| handle.next_event()>
                "Next event"
            </button>
            <button id="run-to-end" title="Run next events until no client can run (e)"
                disabled=finished on:click=move |_| handle.run_to_end()>
                "Run to end"
            </button>
            <button id="back" title="Undo the last step (b)"
                disabled=move || handle.with(|r| r.trace().actions.is_empty())
                on:click=move |_| handle.back()>
                "Back"
            </button>
            <button id="forward" title="Redo what Back undid (f)"
                disabled=move || handle.with(|r| !r.can_forward())
                on:click=move |_| handle.forward()>
                "Forward"
            </button>
            <button id="reset" title="Back to the start; placed faults stay (r)"
                on:click=move |_| handle.reset()>
                "Reset"
            </button>
            <span class="clock-label">"virtual time "<output id="clock">{move || format!("{} ms", handle.with(|r| r.now()))}</output></span>
            <span class="next-hint">{move || handle.with(|r| r.hint())}</span>
            <span class="keys">{format!("keys: 1–{} step a client · n next event · e run to end · b back · f forward · r reset", clients.min(9))}</span>
        </div>
    }
}

/// Keyboard shortcuts: 1–9 step a client, n next event, e run to end, b back, f forward, r reset.
fn keyboard(handle: RunHandle) {
    let listener = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let in_field = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(t).ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if in_field {
            return;
        }
        match ev.key().as_str() {
            "n" => handle.next_event(),
            "e" => handle.run_to_end(),
            "b" => handle.back(),
            "f" => handle.forward(),
            "r" => handle.reset(),
            k => {
                let clients = handle.with_untracked(|r| r.world().clients.len());
                if let Some(d) = k
                    .parse::<usize>()
                    .ok()
                    .filter(|d| (1..=clients.min(9)).contains(d))
                {
                    handle.step(d - 1);
                }
            }
        }
    });
    on_cleanup(move || listener.remove());
}
