//! Racelab's browser app (Leptos, client-side rendered).
//!
//! The UI renders snapshots of a [`racelab_engine::run::Run`] and sends it commands (step, next
//! event, back, reset, place a fault); it never re-implements an engine rule. Routing is in the
//! URL hash (`#/`, `#/lesson/SLUG?variant=VARIANT`) so any static host can serve the app.

#[cfg(feature = "editor")]
pub mod bench;
pub mod components;
pub mod embed;
pub mod i18n;
pub mod lessons;
pub mod pages;
pub mod route;
pub mod run_handle;
#[cfg(feature = "editor")]
pub mod share;
pub mod store;
pub mod worker;

use leptos::prelude::*;
use route::Route;

/// Mounts the app on the page body and removes the static "Loading…" placeholder — or, in the
/// explorer's Web Worker (the same module, no window), answers exploration jobs.
pub fn start() {
    console_error_panic_hook::set_once();
    #[cfg(feature = "editor")]
    if worker::in_worker() {
        worker::serve();
        return;
    }
    if let Some(boot) = document().get_element_by_id("boot") {
        boot.remove();
    }
    leptos::mount::mount_to_body(App);
}

#[component]
pub fn App() -> impl IntoView {
    let lang = i18n::detect();
    i18n::provide(lang);
    if let Some(html) = document().document_element() {
        let _ = html.set_attribute("lang", lang.code());
    }
    let nav = route::Nav::provide();
    let embedded = move || matches!(nav.route(), Route::Lesson(at) if at.embed);
    view! {
        <Show when=move || !embedded()>
            <header class="top">
                <a class="brand" href="#/">"Racelab"</a>
                <span class="tagline">{i18n::tr(lang, "races between databases, caches and their clients, step by step")}</span>
                <a class="editor-link" href=EDITOR_HREF>{i18n::tr(lang, "Write a lesson")}</a>
                <i18n::LangSwitch/>
                <ThemeSwitch/>
            </header>
        </Show>
        {move || match nav.route() {
            Route::List => view! { <pages::list::LessonList/> }.into_any(),
            Route::Lesson(at) => view! { <pages::lesson::LessonPage at=at/> }.into_any(),
            Route::Edit(at) => editor(at),
            Route::NotFound(path) => view! {
                <main id="lesson">
                    <p id="error" role="alert">{i18n::trf(lang, "There is no page at {}.", &[&format!("\"{path}\"")])}</p>
                    <p><a href="#/">{i18n::tr(lang, "All lessons")}</a></p>
                </main>
            }
            .into_any(),
        }}
    }
}

/// Where "Write a lesson" goes: this page in the editor's build, the editor's page (`edit/`
/// beside this one) in the reader's.
const EDITOR_HREF: &str = if cfg!(feature = "editor") {
    "#/edit"
} else {
    "edit/#/edit"
};

/// The editor's page: here, in the editor's build.
#[cfg(feature = "editor")]
fn editor(at: route::EditAt) -> AnyView {
    view! { <pages::edit::EditPage at=at/> }.into_any()
}

/// The reader's build has no lesson compiler: the editor is its own page, `edit/` beside this
/// one (`cargo xtask dist`), opened on the same route (a draft, a shipped lesson, a share link).
#[cfg(not(feature = "editor"))]
fn editor(_: route::EditAt) -> AnyView {
    let lang = i18n::use_lang();
    let href = format!("edit/{}", window().location().hash().unwrap_or_default());
    let _ = window().location().replace(&href);
    view! {
        <main id="lesson">
            <p role="status">{i18n::tr(lang, "Opening the editor…")} " "<a href=href>{i18n::tr(lang, "Open the editor")}</a></p>
        </main>
    }
    .into_any()
}

const THEME_KEY: &str = "racelab-theme";

/// Applies a theme: "light" or "dark" set `data-theme` on `<html>`; anything else follows the
/// system (`prefers-color-scheme`).
fn apply_theme(theme: &str) {
    if let Some(html) = document().document_element() {
        let _ = match theme {
            "light" | "dark" => html.set_attribute("data-theme", theme),
            _ => html.remove_attribute("data-theme"),
        };
    }
}

/// Light, dark or the system's: the reader's choice, kept in this browser.
#[component]
pub fn ThemeSwitch() -> impl IntoView {
    let lang = i18n::use_lang();
    let current = store::get(THEME_KEY).unwrap_or_default();
    apply_theme(&current);
    let options = [
        ("system", i18n::tr(lang, "system theme")),
        ("light", i18n::tr(lang, "light")),
        ("dark", i18n::tr(lang, "dark")),
    ]
    .into_iter()
    .map(|(v, label)| view! { <option value=v selected=current == v>{label}</option> })
    .collect_view();
    view! {
        <select id="theme" aria-label=i18n::tr(lang, "Theme") on:change=move |ev| {
            let v = event_target_value(&ev);
            store::set(THEME_KEY, &v);
            apply_theme(&v);
        }>{options}</select>
    }
}
