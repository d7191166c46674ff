//! Racelab in a course page: `#/lesson/SLUG?embed=1` in an iframe shows the lesson with the chrome
//! an iframe needs only, and talks to the page around it with `postMessage` (docs/embed.md):
//!
//! - out: `racelab:ready`, `racelab:height` (auto-height), `racelab:step`,
//!   `racelab:assertion` (a verdict changed), `racelab:challenge-won`;
//! - in: `racelab:command` (`step` with a `client`, `next`, `run-to-end`, `back`, `forward`,
//!   `reset`), accepted from the parent frame only.
//!
//! Every message is a plain object with `type` and `lesson`. Outside an iframe nothing is sent.
//! The messages carry only the lesson's state, so they go to any origin (`"*"`).

use crate::run_handle::RunHandle;
use js_sys::{Object, Reflect};
use leptos::prelude::*;
use racelab_engine::link;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A field of a message.
pub enum F<'a> {
    S(&'a str),
    N(f64),
}

/// The parent frame, when the page runs in an iframe.
fn parent() -> Option<web_sys::Window> {
    let w = window();
    let p = w.parent().ok()??;
    (!Object::is(&p, &w)).then_some(p)
}

pub fn in_frame() -> bool {
    parent().is_some()
}

/// Posts `{type: "racelab:KIND", lesson, ...fields}` to the parent frame, if any.
pub fn post(kind: &str, lesson: &str, fields: &[(&str, F)]) {
    let Some(p) = parent() else { return };
    let msg = Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&msg, &k.into(), &v);
    };
    set("type", format!("racelab:{kind}").into());
    set("lesson", lesson.into());
    for (k, v) in fields {
        match v {
            F::S(s) => set(k, (*s).into()),
            F::N(n) => set(k, (*n).into()),
        }
    }
    let _ = p.post_message(&msg, "*");
}

/// Wires a lesson page to its parent frame: ready, height, steps, verdict changes, commands.
pub fn connect(handle: RunHandle, lesson: String) {
    if !in_frame() {
        return;
    }
    let variant = move || handle.with_untracked(|r| r.lesson().variants[r.variant()].slug.clone());
    post("ready", &lesson, &[("variant", F::S(&variant()))]);
    watch_height(lesson.clone());
    let l = lesson.clone();
    Effect::new(move |_| {
        let (place, now, steps) =
            handle.with(|r| (link::place(r), r.now(), r.trace().actions.len()));
        post(
            "step",
            &l,
            &[
                ("variant", F::S(&variant())),
                ("run", F::S(&place.run)),
                ("faults", F::S(&place.faults)),
                ("now", F::N(now as f64)),
                ("steps", F::N(steps as f64)),
            ],
        );
    });
    let l = lesson.clone();
    Effect::new(move |before: Option<Vec<(String, &'static str)>>| {
        let now: Vec<(String, &'static str)> = handle.with(|r| {
            r.verdicts()
                .into_iter()
                .map(|v| (v.id, v.verdict.as_str()))
                .collect()
        });
        for (id, verdict) in &now {
            let old = before
                .as_ref()
                .and_then(|b| b.iter().find(|(i, _)| i == id));
            if old.is_none_or(|(_, o)| o != verdict) {
                post(
                    "assertion",
                    &l,
                    &[("id", F::S(id)), ("verdict", F::S(verdict))],
                );
            }
        }
        now
    });
    commands(handle);
}

/// Posts the document's height whenever it changes, so the parent can size the iframe.
fn watch_height(lesson: String) {
    let send = move || {
        let h = document()
            .document_element()
            .map_or(0, |e| e.scroll_height());
        post("height", &lesson, &[("height", F::N(f64::from(h)))]);
    };
    let cb = Closure::<dyn FnMut()>::new(send);
    if let Ok(obs) = web_sys::ResizeObserver::new(cb.as_ref().unchecked_ref()) {
        if let Some(root) = document().document_element() {
            obs.observe(&root);
        }
        // The observer lives as long as the page.
        std::mem::forget(obs);
    }
    cb.forget();
}

/// Commands from the parent frame drive the run as the buttons do.
fn commands(handle: RunHandle) {
    let listener = window_event_listener(leptos::ev::message, move |ev| {
        let from_parent = match (ev.source(), parent()) {
            (Some(s), Some(p)) => Object::is(&s, &p),
            _ => false,
        };
        if !from_parent {
            return;
        }
        let data = ev.data();
        let field = |k: &str| {
            Reflect::get(&data, &k.into())
                .ok()
                .and_then(|v| v.as_string())
        };
        if field("type").as_deref() != Some("racelab:command") {
            return;
        }
        match field("command").as_deref() {
            Some("step") => {
                let name = field("client").unwrap_or_default();
                match handle.with_untracked(|r| r.lesson().client_index(&name)) {
                    Some(c) => handle.step(c),
                    None => handle.fail(format!(
                        "The course page asked to step \"{name}\": there is no such client."
                    )),
                }
            }
            Some("next") => handle.next_event(),
            Some("run-to-end") => handle.run_to_end(),
            Some("back") => handle.back(),
            Some("forward") => handle.forward(),
            Some("reset") => handle.reset(),
            other => handle.fail(format!(
                "The course page sent an unknown command {:?}.",
                other.unwrap_or("")
            )),
        }
    });
    on_cleanup(move || listener.remove());
}
