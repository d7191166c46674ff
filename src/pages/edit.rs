//! The lesson editor: the lesson's text in a plain textarea, its problems listed live with
//! their line and column exactly as `racelab check` words them (each once), and the lesson
//! running below as soon as it parses. The text comes from the last draft, a shipped lesson, a
//! share link, a file (chosen or dropped) or a URL. Nothing typed is lost: the draft is saved
//! on every change, and a text that replaces it (a link, a file) keeps the old draft one click
//! away.

use crate::i18n::{tr, trf, use_lang, Lang};
use crate::lessons::{self, LessonText};
use crate::pages::lesson::LessonView;
use crate::route::{self, EditAt, LessonAt, Nav, Route};
use crate::{share, store};
use leptos::prelude::*;
use leptos::task::spawn_local;
use racelab_engine::{lesson, Lesson, LessonError};
use std::sync::Arc;
use std::time::Duration;
use wasm_bindgen::JsCast;

const DRAFT: &str = "racelab-draft";
const BEFORE: &str = "racelab-draft-before";
const FILE: &str = "draft.toml";

/// What the editor holds and says, shared by its parts.
#[derive(Clone, Copy)]
struct Editor {
    text: RwSignal<String>,
    /// The latest parse: the lesson, or its problems.
    parsed: RwSignal<Option<Result<Arc<Lesson>, Vec<LessonError>>>>,
    /// A message about where the text came from (a damaged link, a file that could not be read).
    notice: RwSignal<Option<String>>,
    /// The draft that a link or a file replaced, if it differed.
    before: RwSignal<Option<String>>,
    share: RwSignal<Option<String>>,
    variant: RwSignal<Option<String>>,
    pending: StoredValue<Option<TimeoutHandle>>,
    nav: Option<Nav>,
    lang: Lang,
}

impl Editor {
    fn new() -> Editor {
        Editor {
            text: RwSignal::new(String::new()),
            parsed: RwSignal::new(None),
            notice: RwSignal::new(None),
            before: RwSignal::new(store::get(BEFORE)),
            share: RwSignal::new(None),
            variant: RwSignal::new(None),
            pending: StoredValue::new(None),
            nav: use_context::<Nav>(),
            lang: use_lang(),
        }
    }

    /// The author changed the text: keep it, and check it once typing pauses.
    fn edit(self, text: String) {
        store::set(DRAFT, &text);
        // The URL no longer holds this text: a reload opens the draft.
        route::replace(self.nav, &Route::Edit(EditAt::default()));
        self.text.set(text);
        self.share.set(None);
        if let Some(h) = self.pending.get_value() {
            h.clear();
        }
        let h = set_timeout_with_handle(move || self.check(), Duration::from_millis(250));
        self.pending.set_value(h.ok());
    }

    /// Text from elsewhere (a link, a file, a shipped lesson) replaces the draft; a draft that
    /// differs is kept for "restore".
    fn adopt(self, text: String) {
        let old = store::get(DRAFT).unwrap_or_default();
        if !old.trim().is_empty() && old != text {
            store::set(BEFORE, &old);
            self.before.set(Some(old));
        }
        store::set(DRAFT, &text);
        self.text.set(text);
        self.check();
    }

    fn check(self) {
        let text = self.text.get_untracked();
        self.parsed.set(Some(
            lesson::parse("draft", FILE, &text).map(|l| lessons::localized(l, self.lang)),
        ));
    }
}

#[component]
pub fn EditPage(at: EditAt) -> impl IntoView {
    let ed = Editor::new();
    let lang = ed.lang;
    let draft = store::get(DRAFT).filter(|d| !d.trim().is_empty());
    let start = draft.unwrap_or_else(|| lessons::BUILTIN[0].text.to_string());
    ed.text.set(start);
    ed.check();
    if let Some(payload) = at.shared.clone() {
        spawn_local(async move {
            match share::unpack(&payload).await {
                Ok(text) => ed.adopt(text),
                Err(e) => ed
                    .notice
                    .set(Some(trf(lang, "{} The editor shows your draft.", &[&e]))),
            }
        });
    } else if let Some(slug) = &at.from {
        match lessons::text(slug) {
            Some((_, text)) => {
                ed.adopt(text.to_string());
                route::replace(ed.nav, &Route::Edit(EditAt::default()));
            }
            None => ed.notice.set(Some(trf(
                lang,
                "There is no lesson {} to start from; the editor shows your draft.",
                &[&format!("\"{slug}\"")],
            ))),
        }
    }
    view! {
        <main id="editor">
            <h1>{tr(lang, "Write a lesson")}</h1>
            <p class="editor-help">
                {tr(lang, "A lesson is a TOML file (see docs/lesson-format.md). Its problems appear below as you type, as ")}
                <code>"racelab check"</code>{tr(lang, " reports them; the lesson runs under the text once it has none. Your draft is kept in this browser.")}
            </p>
            <Sources ed=ed/>
            <p id="editor-notice" role="alert">{move || ed.notice.get()}</p>
            <Restore ed=ed/>
            <textarea id="lesson-text" spellcheck="false" aria-label=tr(lang, "Lesson text")
                aria-describedby="lesson-problems" rows="24"
                prop:value=move || ed.text.get()
                on:input=move |ev| ed.edit(event_target_value(&ev))
                on:dragover=|ev| ev.prevent_default()
                on:drop=move |ev| dropped(ed, ev)></textarea>
            <Problems ed=ed/>
            <Share ed=ed/>
            <Preview ed=ed/>
        </main>
    }
}

/// Where a text can come from: a shipped lesson, a file, a URL.
#[component]
fn Sources(ed: Editor) -> impl IntoView {
    let lang = ed.lang;
    let url = RwSignal::new(String::new());
    let options = lessons::BUILTIN
        .iter()
        .map(|b| view! { <option value=b.slug>{b.slug}</option> })
        .collect_view();
    let pick = move |ev: leptos::ev::Event| {
        let slug = event_target_value(&ev);
        if let Some((_, text)) = lessons::text(&slug) {
            ed.adopt(text.to_string());
        }
    };
    let file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(f) = input.files().and_then(|l| l.get(0)) {
            read_file(ed, f);
        }
    };
    let fetch = move |_| fetch_lesson(ed, url.get_untracked());
    view! {
        <div class="editor-sources">
            <label>{tr(lang, "Start from a shipped lesson ")}
                <select id="editor-start" on:change=pick>
                    <option value="" selected>"—"</option>
                    {options}
                </select>
            </label>
            <label>{tr(lang, " or a file ")}<input id="editor-file" type="file" accept=".toml,text/plain" on:change=file/></label>
            <label>{tr(lang, " or a URL ")}<input id="editor-url" type="url" placeholder="https://…/lesson.toml"
                on:input=move |ev| url.set(event_target_value(&ev))/></label>
            <button id="editor-fetch" on:click=fetch>{tr(lang, "Load")}</button>
            <span class="editor-drop">{tr(lang, " (or drop a file on the text)")}</span>
        </div>
    }
}

fn read_file(ed: Editor, f: web_sys::File) {
    let name = f.name();
    spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(f.text()).await {
            Ok(t) => match t.as_string() {
                Some(text) => {
                    ed.notice.set(None);
                    ed.adopt(text)
                }
                None => ed
                    .notice
                    .set(Some(trf(ed.lang, "{} is not a text file.", &[&name]))),
            },
            Err(_) => ed.notice.set(Some(trf(
                ed.lang,
                "{} could not be read; the draft is unchanged.",
                &[&name],
            ))),
        }
    });
}

fn dropped(ed: Editor, ev: leptos::ev::DragEvent) {
    ev.prevent_default();
    let file = ev
        .data_transfer()
        .and_then(|d| d.files())
        .and_then(|l| l.get(0));
    if let Some(f) = file {
        read_file(ed, f);
    }
}

fn fetch_lesson(ed: Editor, url: String) {
    let url = url.trim().to_string();
    if url.is_empty() {
        return;
    }
    let lang = ed.lang;
    spawn_local(async move {
        let text = async {
            let resp = wasm_bindgen_futures::JsFuture::from(window().fetch_with_str(&url))
                .await
                .map_err(|_| {
                    tr(
                        lang,
                        "the server did not answer, or does not allow other sites to read it (CORS)",
                    )
                    .to_string()
                })?;
            let resp: web_sys::Response = resp.unchecked_into();
            if !resp.ok() {
                return Err(trf(lang, "the server answered {}", &[&resp.status()]));
            }
            let t = resp.text().map_err(|_| tr(lang, "no text").to_string())?;
            let t = wasm_bindgen_futures::JsFuture::from(t)
                .await
                .map_err(|_| tr(lang, "the answer could not be read").to_string())?;
            t.as_string()
                .ok_or_else(|| tr(lang, "the answer is not text").to_string())
        };
        match text.await {
            Ok(t) => {
                ed.notice.set(None);
                ed.adopt(t)
            }
            Err(why) => ed.notice.set(Some(trf(
                lang,
                "Could not load {}: {}. The draft is unchanged.",
                &[&url, &why],
            ))),
        }
    });
}

/// The draft a link or a file replaced, one click away.
#[component]
fn Restore(ed: Editor) -> impl IntoView {
    let lang = ed.lang;
    let restore = move |_| {
        if let Some(old) = ed.before.get_untracked() {
            store::remove(BEFORE);
            ed.before.set(None);
            ed.adopt(old);
        }
    };
    view! {
        <Show when=move || ed.before.with(Option::is_some)>
            <p class="editor-before">{tr(lang, "Your previous draft was kept. ")}
                <button id="editor-restore" on:click=restore>{tr(lang, "Restore my previous draft")}</button>
            </p>
        </Show>
    }
}

/// The text's problems, each with its place; clicking one selects that line in the text.
#[component]
fn Problems(ed: Editor) -> impl IntoView {
    let lang = ed.lang;
    let items = move || match ed.parsed.get() {
        Some(Err(errors)) => errors
            .into_iter()
            .map(|e| {
                let (line, col) = (e.at.line, e.at.col);
                view! {
                    <li>
                        <button class="at" data-line=line on:click=move |_| select_line(line)>
                            {trf(lang, "line {}, column {}", &[&line, &col])}
                        </button>
                        ": "{e.message}
                    </li>
                }
            })
            .collect_view()
            .into_any(),
        _ => ().into_any(),
    };
    let summary = move || match ed.parsed.get() {
        Some(Err(e)) if e.len() == 1 => tr(lang, "1 problem").to_string(),
        Some(Err(e)) => trf(lang, "{} problems", &[&e.len()]),
        Some(Ok(_)) => tr(lang, "No problems: the lesson runs below.").into(),
        None => String::new(),
    };
    view! {
        <section id="lesson-problems" aria-live="polite" aria-label=tr(lang, "Problems")>
            <p class="problems-summary" data-ok=move || ed.parsed.with(|p| matches!(p, Some(Ok(_)))).to_string()>{summary}</p>
            <ul class="problems">{items}</ul>
        </section>
    }
}

/// Selects line `line` (from 1) of the lesson text and moves the focus there.
fn select_line(line: usize) {
    let Some(area) = document()
        .get_element_by_id("lesson-text")
        .and_then(|e| e.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
    else {
        return;
    };
    let text = area.value();
    // Offsets in UTF-16 units, as the textarea counts them.
    let mut start = 0;
    for l in text.split('\n').take(line.saturating_sub(1)) {
        start += l.encode_utf16().count() + 1;
    }
    let len = text
        .split('\n')
        .nth(line.saturating_sub(1))
        .map_or(0, |l| l.encode_utf16().count());
    let _ = area.focus();
    let _ = area.set_selection_range(start as u32, (start + len) as u32);
}

/// "Share": the lesson, compressed, in the URL; the link is shown to copy.
#[component]
fn Share(ed: Editor) -> impl IntoView {
    let lang = ed.lang;
    let share = move |_| {
        let text = ed.text.get_untracked();
        spawn_local(async move {
            match share::pack(&text).await {
                Ok(p) if p.len() > share::MAX_LINK => ed.notice.set(Some(trf(
                    lang,
                    "This lesson is too long to share as a link ({} characters; a link holds at most {}). Share the file instead.",
                    &[&p.len(), &share::MAX_LINK],
                ))),
                Ok(p) => {
                    let route = Route::Edit(EditAt {
                        from: None,
                        shared: Some(p),
                    });
                    route::replace(ed.nav, &route);
                    ed.share.set(window().location().href().ok());
                }
                Err(e) => ed
                    .notice
                    .set(Some(trf(lang, "Could not make a link: {}", &[&e]))),
            }
        });
    };
    view! {
        <div class="editor-share">
            <button id="editor-share" on:click=share>{tr(lang, "Share as a link")}</button>
            <Show when=move || ed.share.with(Option::is_some)>
                <input id="share-link" readonly aria-label=tr(lang, "Share link")
                    prop:value=move || ed.share.get().unwrap_or_default()
                    on:focus=|ev| {
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        input.select();
                    }/>
                <span class="share-note">{trf(lang, "Links hold lessons up to about {} KB of text.", &[&(share::MAX_LINK * 3 / 1000)])}</span>
            </Show>
        </div>
    }
}

/// The lesson running under the text, rebuilt at each text that parses.
#[component]
fn Preview(ed: Editor) -> impl IntoView {
    let lang = ed.lang;
    let on_variant = Callback::new(move |v: String| ed.variant.set(Some(v)));
    move || {
        let Some(Ok(lesson)) = ed.parsed.get() else {
            return ().into_any();
        };
        let source = LessonText {
            slug: "draft".into(),
            file: FILE.into(),
            text: ed.text.get_untracked().into(),
        };
        let at = LessonAt {
            variant: ed.variant.get(),
            ..LessonAt::default()
        };
        view! {
            <section class="preview" aria-label=tr(lang, "The lesson")>
                <LessonView source=source lesson=lesson at=at routed=false on_variant=on_variant/>
            </section>
        }
        .into_any()
    }
}
