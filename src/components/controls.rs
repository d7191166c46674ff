//! The scheduler's toolbar (next event, run to end, back, forward, reset, play/pause with a
//! speed), the virtual clock, the hint of what happens next, and the keyboard shortcuts with
//! their help overlay.

use crate::i18n::{tr, trf, use_lang};
use crate::run_handle::RunHandle;
use leptos::prelude::*;
use std::time::Duration;

/// Focuses the element with `id`, if it is on the page.
fn focus(id: &str) {
    if let Some(el) = document()
        .get_element_by_id(id)
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
    {
        let _ = el.focus();
    }
}

/// Play/Pause: next events at a steady pace until the run is over or the student pauses.
#[derive(Clone, Copy)]
pub struct Player {
    handle: RunHandle,
    pub playing: RwSignal<bool>,
    /// Events per second.
    pub speed: RwSignal<u32>,
    timer: StoredValue<Option<IntervalHandle>>,
    pub help: RwSignal<bool>,
}

/// The speeds offered, in events per second.
pub const SPEEDS: [u32; 4] = [1, 2, 4, 8];

impl Player {
    pub fn new(handle: RunHandle) -> Player {
        let p = Player {
            handle,
            playing: RwSignal::new(false),
            speed: RwSignal::new(2),
            timer: StoredValue::new(None),
            help: RwSignal::new(false),
        };
        on_cleanup(move || p.stop());
        p
    }

    fn stop(self) {
        if let Some(t) = self.timer.try_get_value().flatten() {
            t.clear();
        }
        let _ = self.timer.try_set_value(None);
        let _ = self.playing.try_set(false);
    }

    fn start(self) {
        self.stop();
        if self.handle.with_untracked(|r| r.finished()) {
            return;
        }
        let period = Duration::from_millis(1000 / u64::from(self.speed.get_untracked().max(1)));
        let tick = move || {
            if self.handle.with_untracked(|r| r.finished()) {
                self.stop();
            } else {
                self.handle.next_event();
            }
        };
        if let Ok(t) = set_interval_with_handle(tick, period) {
            self.timer.set_value(Some(t));
            self.playing.set(true);
        }
    }

    pub fn toggle(self) {
        if self.playing.get_untracked() {
            self.stop();
        } else {
            self.start();
        }
    }

    /// Opens the shortcuts dialog and moves the focus into it (to its Close button).
    pub fn open_help(self) {
        self.help.set(true);
        request_animation_frame(|| focus("help-close"));
    }

    /// Closes the dialog and gives the focus back to the button that opens it.
    pub fn close_help(self) {
        self.help.set(false);
        request_animation_frame(|| focus("help-button"));
    }

    pub fn set_speed(self, speed: u32) {
        self.speed.set(speed);
        if self.playing.get_untracked() {
            self.start();
        }
    }
}

/// Marks an element for the browser's Element Timing (`elementtiming`), which the e2e figures
/// read: when the element was first painted. Set before the first paint (effects run first).
pub fn mark_timing<E>(name: &'static str) -> NodeRef<E>
where
    E: leptos::html::ElementType,
    E::Output: wasm_bindgen::JsCast + Clone + Send + Sync + 'static,
{
    let r = NodeRef::<E>::new();
    Effect::new(move |_| {
        if let Some(el) = r.get() {
            let el: &web_sys::Element = wasm_bindgen::JsCast::unchecked_ref(&el);
            let _ = el.set_attribute("elementtiming", name);
        }
    });
    r
}

#[component]
pub fn Controls(player: Player) -> impl IntoView {
    let handle = RunHandle::use_context();
    let lang = use_lang();
    let finished = move || handle.with(|r| r.finished());
    let speeds = SPEEDS
        .into_iter()
        .map(|s| view! { <option value=s selected=move || player.speed.get() == s>{format!("{s}×")}</option> })
        .collect_view();
    view! {
        <div class="controls" role="toolbar" aria-label=tr(lang, "Scheduler")>
            <button id="next-event" node_ref=mark_timing("first-step") title=tr(lang, "Run the step that happens first in virtual time (n)")
                disabled=finished on:click=move |_| handle.next_event()>
                {tr(lang, "Next event")}
            </button>
            <button id="play" title=tr(lang, "Play the next events one after another, or pause (space)")
                aria-pressed=move || player.playing.get().to_string()
                disabled=move || finished() && !player.playing.get()
                on:click=move |_| player.toggle()>
                {move || if player.playing.get() { tr(lang, "Pause") } else { tr(lang, "Play") }}
            </button>
            <label class="speed">{tr(lang, "speed ")}
                <select id="speed" on:change=move |ev| {
                    player.set_speed(event_target_value(&ev).parse().unwrap_or(2))
                }>{speeds}</select>
            </label>
            <button id="run-to-end" title=tr(lang, "Run next events until no client can run (e)")
                disabled=finished on:click=move |_| handle.run_to_end()>
                {tr(lang, "Run to end")}
            </button>
            <button id="back" title=tr(lang, "Undo the last step (b)")
                disabled=move || handle.with(|r| r.trace().actions.is_empty())
                on:click=move |_| handle.back()>
                {tr(lang, "Back")}
            </button>
            <button id="forward" title=tr(lang, "Redo what Back undid (f)")
                disabled=move || handle.with(|r| !r.can_forward())
                on:click=move |_| handle.forward()>
                {tr(lang, "Forward")}
            </button>
            <button id="reset" title=tr(lang, "Back to the start; placed faults stay (r)")
                on:click=move |_| handle.reset()>
                {tr(lang, "Reset")}
            </button>
            <span class="clock-label">{tr(lang, "virtual time ")}<output id="clock">{move || trf(lang, "{} ms", &[&handle.with(|r| r.now())])}</output></span>
            <span class="next-hint">{move || handle.with(|r| r.hint())}</span>
            <button id="help-button" class="keys" aria-haspopup="dialog"
                on:click=move |_| player.open_help()>{tr(lang, "Keyboard shortcuts (?)")}</button>
        </div>
        <Help player=player/>
    }
}

/// The keyboard shortcuts, as a dialog.
#[component]
fn Help(player: Player) -> impl IntoView {
    let handle = RunHandle::use_context();
    let lang = use_lang();
    let clients = handle.with_untracked(|r| r.world().clients.len()).min(9);
    let keys: [(String, &str); 9] = [
        (
            format!("1–{clients}"),
            tr(
                lang,
                "step that client (its next line, or the fault placed there)",
            ),
        ),
        (
            "n".into(),
            tr(
                lang,
                "next event: the step that happens first in virtual time",
            ),
        ),
        (tr(lang, "space").into(), tr(lang, "play / pause")),
        ("e".into(), tr(lang, "run to the end")),
        ("b".into(), tr(lang, "back: undo the last step")),
        ("f".into(), tr(lang, "forward: redo what Back undid")),
        (
            "r".into(),
            tr(lang, "reset to the start (placed faults stay)"),
        ),
        ("?".into(), tr(lang, "show this help")),
        ("Esc".into(), tr(lang, "close this help")),
    ];
    let rows = move || {
        keys.iter()
            .map(|(k, what)| view! { <tr><th scope="row"><kbd>{k.clone()}</kbd></th><td>{*what}</td></tr> })
            .collect_view()
    };
    view! {
        <Show when=move || player.help.get()>
            <div class="overlay" on:click=move |_| player.close_help()>
                <div id="help" role="dialog" aria-modal="true" aria-labelledby="help-title"
                    on:click=|ev| ev.stop_propagation()>
                    <h2 id="help-title">{tr(lang, "Keyboard shortcuts")}</h2>
                    <table class="help-keys">{rows()}</table>
                    <button id="help-close" on:click=move |_| player.close_help()>{tr(lang, "Close")}</button>
                </div>
            </div>
        </Show>
    }
}

/// Keyboard shortcuts (listed in [`Help`]). Keys typed in a field are the field's.
pub fn keyboard(handle: RunHandle, player: Player) {
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
        if player.help.get_untracked() {
            if matches!(ev.key().as_str(), "Escape" | "?") {
                player.close_help();
            }
            return;
        }
        match ev.key().as_str() {
            "n" => handle.next_event(),
            "e" => handle.run_to_end(),
            "b" => handle.back(),
            "f" => handle.forward(),
            "r" => handle.reset(),
            "?" => player.open_help(),
            " " => {
                ev.prevent_default();
                player.toggle();
            }
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
