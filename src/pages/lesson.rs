//! The lesson page: one lane per client, the database, the assertions and the trace, with the
//! controls that drive the engine's scheduler.

use crate::components::{assertions::Assertions, db::DbView, lane::Lane, trace::TraceView};
use crate::lessons;
use crate::route::{navigate, Route};
use leptos::prelude::*;
use racelab_engine::run::{FaultPlan, Run};

/// Applies a command to the run and shows its error (if any) in the page.
pub fn act(
    run: RwSignal<Run>,
    error: RwSignal<Option<String>>,
    f: impl FnOnce(&mut Run) -> Result<(), String>,
) {
    let mut outcome = Ok(());
    run.update(|r| outcome = f(r));
    error.set(outcome.err());
}

#[component]
pub fn LessonPage(slug: String, variant: Option<String>) -> impl IntoView {
    let lesson = match lessons::load(&slug) {
        None => {
            let names: Vec<&str> = lessons::BUILTIN.iter().map(|(s, _, _)| *s).collect();
            return view! {
                <main id="lesson" data-lesson=slug.clone()>
                    <p id="error" role="alert">
                        {format!("There is no lesson \"{slug}\". Lessons: {}.", names.join(", "))}
                    </p>
                    <p><a href="#/">"All lessons"</a></p>
                </main>
            }
            .into_any();
        }
        Some(Err(errors)) => {
            let items = errors
                .iter()
                .map(|e| view! { <li>{e.to_string()}</li> })
                .collect_view();
            return view! {
                <main id="lesson" data-lesson=slug.clone()>
                    <div id="error" role="alert">
                        <p>"This lesson file has errors:"</p>
                        <ul>{items}</ul>
                    </div>
                </main>
            }
            .into_any();
        }
        Some(Ok(l)) => l,
    };
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
    let run = RwSignal::new(Run::new(lesson.clone(), v, FaultPlan::new()));
    let error = RwSignal::new(unknown_variant);

    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
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
        let key = ev.key();
        match key.as_str() {
            "n" => act(run, error, |r| {
                r.next_event().map(|_| ()).map_err(|e| e.to_string())
            }),
            "e" => act(run, error, |r| r.run_to_end().map_err(|e| e.to_string())),
            "b" => act(run, error, |r| {
                r.back();
                Ok(())
            }),
            "r" => act(run, error, |r| {
                r.reset();
                Ok(())
            }),
            k => {
                if let Some(d) = k.parse::<usize>().ok().filter(|d| (1..=9).contains(d)) {
                    if run.with_untracked(|r| d <= r.world().clients.len()) {
                        act(run, error, |r| r.step(d - 1).map_err(|e| e.to_string()));
                    }
                }
            }
        }
    });
    on_cleanup(move || handle.remove());

    let variant_slug = lesson.variants[v].slug.clone();
    let variants = lesson
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
                    aria-pressed=if i == v { "true" } else { "false" }
                    on:click=move |_| navigate(&target)
                >
                    {var.name.clone()}
                </button>
            }
        })
        .collect_view();
    let explain = lesson.variants[v].explain.clone();
    let source = lesson
        .source
        .clone()
        .map(|s| view! { <p class="source">"Source document: " <code>{s}</code></p> });
    let lanes = (0..lesson.clients.len())
        .map(|c| view! { <Lane run=run error=error client=c/> })
        .collect_view();
    let client_count = lesson.clients.len();

    view! {
        <main id="lesson" data-lesson=slug.clone() data-variant=variant_slug>
            <h1>{lesson.title.clone()}</h1>
            <p class="intro">{lesson.intro.clone()}</p>
            {source}
            <nav class="variants" aria-label="Variants">{variants}</nav>
            <p class="explain">{explain}</p>
            <div class="controls" role="toolbar" aria-label="Scheduler">
                <button id="next-event" title="Run the step that happens first in virtual time (n)"
                    disabled=move || run.with(|r| r.finished())
                    on:click=move |_| act(run, error, |r| r.next_event().map(|_| ()).map_err(|e| e.to_string()))>
                    "Next event"
                </button>
                <button id="run-to-end" title="Run next events until no client can run (e)"
                    disabled=move || run.with(|r| r.finished())
                    on:click=move |_| act(run, error, |r| r.run_to_end().map_err(|e| e.to_string()))>
                    "Run to end"
                </button>
                <button id="back" title="Undo the last step (b)"
                    disabled=move || run.with(|r| r.trace().choices.is_empty())
                    on:click=move |_| act(run, error, |r| { r.back(); Ok(()) })>
                    "Back"
                </button>
                <button id="reset" title="Back to the start; placed faults stay (r)"
                    on:click=move |_| act(run, error, |r| { r.reset(); Ok(()) })>
                    "Reset"
                </button>
                <span class="clock-label">"virtual time "<output id="clock">{move || format!("{} ms", run.with(|r| r.now()))}</output></span>
                <span class="next-hint">{move || run.with(|r| match r.next_event_preview() {
                    Some((c, t)) => format!("next event: {} at {t} ms", r.client_name(c)),
                    None => {
                        let stuck: Vec<&str> = r
                            .waiting_forever()
                            .into_iter()
                            .map(|c| r.client_name(c))
                            .collect();
                        if stuck.is_empty() {
                            "the run is over".to_string()
                        } else {
                            format!(
                                "the run is stuck: {} {} forever",
                                stuck.join(", "),
                                if stuck.len() == 1 { "waits" } else { "wait" }
                            )
                        }
                    }
                })}</span>
                <span class="keys">{format!("keys: 1–{client_count} step a client · n next event · e run to end · b back · r reset")}</span>
            </div>
            <p id="error" role="alert">{move || error.get()}</p>
            <div class="lanes">{lanes}</div>
            <div class="state">
                <section class="db" aria-label="Database"><h2>"PostgreSQL"</h2><DbView run=run/></section>
                <section class="checks" aria-label="Assertions"><h2>"Assertions"</h2><Assertions run=run/></section>
            </div>
            <section class="trace" aria-label="Trace"><h2>"Trace"</h2><TraceView run=run/></section>
        </main>
    }
    .into_any()
}
