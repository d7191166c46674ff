//! The lesson page: one lane per client (one per client group), the variant's challenges, a panel per service, the assertions and the trace, with
//! the controls that drive the engine's scheduler. The page owns the [`RunHandle`] and gives
//! each component the view it draws.

use crate::components::{
    assertions::Assertions,
    controls::{keyboard, mark_timing, Controls, Player},
    explorer::ExplorerPanel,
    goals::Goals,
    group::GroupLane,
    lane::Lane,
    prose::Prose,
    services::ServicePanels,
    timeline::TimelineView,
    trace::{operation_log, trace_lines, OperationLog, TraceView},
};
use crate::embed;
use crate::i18n::{tr, trf, use_lang, Lang};
use crate::lessons::{self, LessonText};
use crate::route::{self, navigate, LessonAt, Nav, Route};
use crate::run_handle::RunHandle;
use leptos::prelude::*;
use racelab_engine::fault::FaultPlan;
use racelab_engine::run::Run;
use racelab_engine::{link, Lesson};
use std::sync::Arc;

#[component]
pub fn LessonPage(at: LessonAt) -> impl IntoView {
    let lang = use_lang();
    let slug = at.slug.clone();
    let (Some(shipped), Some(source)) = (lessons::find(&slug), LessonText::builtin(&slug)) else {
        return no_such_lesson(&slug, lang).into_any();
    };
    // The lesson now if the page has its bytes (the editor's build, or a lesson opened before);
    // otherwise the reader's page fetches them and shows the lesson when they arrive.
    let loaded = RwSignal::new(lessons::load_at_hand(&slug, lang));
    if loaded.get_untracked().is_none() {
        leptos::task::spawn_local(async move {
            let got = lessons::fetch(shipped, &shipped.path())
                .await
                .and_then(|bytes| Lesson::from_bytes(&bytes).map(|l| lessons::localized(l, lang)));
            loaded.try_set(Some(got));
        });
    }
    let on_variant = {
        let slug = slug.clone();
        Callback::new(move |v: String| navigate(&Route::lesson(&slug, Some(&v))))
    };
    (move || match loaded.get() {
        None => view! {
            <main id="lesson" data-lesson=slug.clone()>
                <p role="status" class="loading">{tr(lang, "Loading the lesson…")}</p>
            </main>
        }
        .into_any(),
        Some(Ok(lesson)) => view! {
            <main class="lesson-page">
                <LessonView source=source.clone() lesson=lesson at=at.clone() routed=true on_variant=on_variant/>
            </main>
        }
        .into_any(),
        Some(Err(error)) => view! {
            <main id="lesson" data-lesson=slug.clone()>
                <div id="error" role="alert">
                    <p>{tr(lang, "This lesson could not be opened:")}</p>
                    <ul><li>{error}</li></ul>
                </div>
                <p><a href="#/">{tr(lang, "All lessons")}</a></p>
            </main>
        }
        .into_any(),
    })
    .into_any()
}

/// A slug no shipped lesson has: the message names the lessons there are.
fn no_such_lesson(slug: &str, lang: Lang) -> impl IntoView {
    let names: Vec<&str> = lessons::BUILTIN.iter().map(|b| b.slug).collect();
    view! {
        <main id="lesson" data-lesson=slug.to_string()>
            <p id="error" role="alert">
                {trf(lang, "There is no lesson {}. Lessons: {}.", &[&format!("\"{slug}\""), &names.join(", ")])}
            </p>
            <p><a href="#/">{tr(lang, "All lessons")}</a></p>
        </main>
    }
}

/// The run a lesson opens with: the variant the route names (the first if none), at the moment
/// its replay id and fault plan name. A route that does not fit the lesson opens the variant's
/// start and says why.
fn initial_run(lesson: &Arc<Lesson>, at: &LessonAt, lang: Lang) -> (Run, Option<String>) {
    let mut note = None;
    let v = match &at.variant {
        None => 0,
        Some(name) => lesson.variant_index(name).unwrap_or_else(|| {
            note = Some(trf(
                lang,
                "This lesson has no variant {}; showing {}.",
                &[
                    &format!("\"{name}\""),
                    &format!("\"{}\"", lesson.variants[0].name),
                ],
            ));
            0
        }),
    };
    if at.run.is_some() || at.faults.is_some() {
        let id = at
            .run
            .clone()
            .unwrap_or_else(|| format!("{}:", lesson.variants[v].slug));
        match link::restore(lesson, &id, at.faults.as_deref().unwrap_or("")) {
            Ok(run) => return (run, None),
            Err(e) => {
                note = Some(trf(
                    lang,
                    "This link's moment cannot be restored: {}. Showing the start of {}.",
                    &[&e, &format!("\"{}\"", lesson.variants[v].name)],
                ))
            }
        }
    }
    (Run::new(lesson.clone(), v, FaultPlan::new()), note)
}

/// Keeps the run's place in the URL (without new history entries): a reload, the browser's
/// Back to this page and a copied link all return to this moment.
fn keep_place_in_url(handle: RunHandle, at: LessonAt) {
    let nav = use_context::<Nav>();
    Effect::new(move |_| {
        let route = handle.with(|r| {
            let place = link::place(r);
            let fresh = r.trace().actions.is_empty() && r.lesson().limit.is_none();
            Route::Lesson(LessonAt {
                slug: at.slug.clone(),
                variant: Some(r.lesson().variants[r.variant()].slug.clone()),
                run: (!fresh).then_some(place.run),
                faults: Some(place.faults).filter(|f| !f.is_empty()),
                embed: at.embed,
                lang: at.lang.clone(),
            })
        });
        route::replace(nav, &route);
    });
}

/// A lesson that parsed: the run of the chosen variant. `routed`: the page's URL follows the
/// run (the lesson page); the editor's preview is not routed.
#[component]
pub fn LessonView(
    source: LessonText,
    lesson: Arc<Lesson>,
    at: LessonAt,
    routed: bool,
    on_variant: Callback<String>,
) -> impl IntoView {
    provide_context(source.clone());
    let lang = use_lang();
    let (run, note) = initial_run(&lesson, &at, lang);
    let v = run.variant();
    let handle = RunHandle::provide(run, note);
    let player = Player::new(handle);
    keyboard(handle, player);
    if routed {
        keep_place_in_url(handle, at.clone());
        embed::connect(handle, source.slug.clone());
    }
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
    let source_doc = lesson
        .source
        .clone()
        .map(|s| view! { <p class="source">{tr(lang, "Source document: ")} <code>{s}</code></p> });
    let panels = Memo::new(move |_| handle.with(|r| r.service_panels()));
    let before = Memo::new(move |_| handle.with(|r| r.service_panels_before()));
    let verdicts = Memo::new(move |_| handle.with(|r| r.verdicts()));
    let trace = Memo::new(move |_| handle.with(trace_lines));
    let oplog = Memo::new(move |_| handle.with(operation_log));
    let embed = at.embed;
    // The lesson's text, for the e2e figures' Element Timing.
    let title_ref = mark_timing::<leptos::html::H1>("lesson-text");
    view! {
        <div id="lesson" class="lesson" class:embed=embed data-lesson=source.slug.clone() data-variant=lesson.variants[v].slug.clone()>
            <h1 node_ref=title_ref>{lesson.title.clone()}</h1>
            <Prose text=lesson.intro.clone() class="intro"/>
            {source_doc}
            <Variants lesson=lesson.clone() current=v on_variant=on_variant/>
            <Prose text=lesson.variants[v].explain.clone() class="explain"/>
            <Goals variant=v/>
            <Controls player=player/>
            <p id="error" role="alert">{move || handle.error()}</p>
            <div class="lanes">{lanes}</div>
            <TimelineView/>
            <OperationLog lines=oplog/>
            <div class="state">
                <ServicePanels panels=panels before=before/>
                <section class="checks" aria-label=tr(lang, "Assertions")><h2>{tr(lang, "Assertions")}</h2><Assertions verdicts=verdicts/></section>
            </div>
            {(!embed).then(|| view! { <section class="trace" aria-label=tr(lang, "Trace")><h2>{tr(lang, "Trace")}</h2><TraceView lines=trace/></section> })}
            <ExplorerPanel variant=v/>
            {embed.then(|| view! { <EmbedFooter/> })}
            {(!embed).then(|| view! { <EmbedSnippet/> })}
        </div>
    }
}

/// The variant buttons; choosing one calls `on_variant` with its slug.
#[component]
fn Variants(lesson: Arc<Lesson>, current: usize, on_variant: Callback<String>) -> impl IntoView {
    let lang = use_lang();
    let buttons = lesson
        .variants
        .iter()
        .enumerate()
        .map(|(i, var)| {
            let slug = var.slug.clone();
            view! {
                <button
                    class="variant"
                    data-variant=var.slug.clone()
                    aria-pressed=if i == current { "true" } else { "false" }
                    on:click=move |_| on_variant.run(slug.clone())
                >
                    {var.name.clone()}
                </button>
            }
        })
        .collect_view();
    view! { <nav class="variants" aria-label=tr(lang, "Variants")>{buttons}</nav> }
}

/// The page's address without its fragment: where the app is served.
fn app_base() -> String {
    let href = window().location().href().unwrap_or_default();
    href.split('#').next().unwrap_or_default().to_string()
}

/// In an iframe: a way out to the full page.
#[component]
fn EmbedFooter() -> impl IntoView {
    let handle = RunHandle::use_context();
    let lang = use_lang();
    let slug = expect_context::<LessonText>().slug;
    let href = move || {
        let variant = handle.with(|r| r.lesson().variants[r.variant()].slug.clone());
        format!(
            "{}{}",
            app_base(),
            Route::lesson(&slug, Some(&variant)).href()
        )
    };
    view! {
        <p class="embed-footer"><a href=href target="_blank" rel="noopener">{tr(lang, "Open in Racelab ↗")}</a></p>
    }
}

/// The HTML a course author pastes to embed this lesson's variant, with a Copy button.
#[component]
fn EmbedSnippet() -> impl IntoView {
    let handle = RunHandle::use_context();
    let lang = use_lang();
    let slug = expect_context::<LessonText>().slug;
    let copied = RwSignal::new("");
    let snippet = Memo::new(move |_| {
        let (variant, title) = handle.with(|r| {
            let l = r.lesson();
            (l.variants[r.variant()].slug.clone(), l.title.clone())
        });
        let mut at = Route::lesson(&slug, Some(&variant));
        if let Route::Lesson(a) = &mut at {
            a.embed = true;
        }
        let title = title.replace('"', "&quot;").replace('<', "&lt;");
        format!(
            "<iframe src=\"{}{}\" title=\"Racelab: {title}\" style=\"width:100%;border:0\" height=\"900\" loading=\"lazy\"></iframe>\n\
             <script>addEventListener(\"message\",e=>{{if(e.data&&e.data.type===\"racelab:height\")for(const f of document.querySelectorAll(\"iframe\"))if(f.contentWindow===e.source)f.style.height=e.data.height+\"px\"}})</script>",
            app_base(),
            at.href()
        )
    });
    let copy = move |_| {
        let text = snippet.get_untracked();
        let clipboard = window().navigator().clipboard();
        leptos::task::spawn_local(async move {
            let done = wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&text)).await;
            copied.set(if done.is_ok() {
                tr(lang, "Copied.")
            } else {
                tr(
                    lang,
                    "The browser did not allow copying: select the text and copy it.",
                )
            });
        });
    };
    view! {
        <details class="embed-snippet">
            <summary>{tr(lang, "Embed this lesson in a course page")}</summary>
            <p>{tr(lang, "Paste this HTML into your page. The lesson sizes itself and reports steps, assertions and won challenges to your page (docs/embed.md).")}</p>
            <textarea id="embed-snippet" readonly rows="4" aria-label=tr(lang, "Embed snippet") prop:value=snippet></textarea>
            <button id="copy-embed" on:click=copy>{tr(lang, "Copy")}</button>
            <span class="copied" role="status">{move || copied.get()}</span>
        </details>
    }
}
