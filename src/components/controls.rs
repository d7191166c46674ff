//! The scheduler's toolbar (next event, run to end, back, forward, reset, play/pause with a
//! speed), the virtual clock, the hint of what happens next, and the keyboard shortcuts with
//! their help overlay.

use crate::run_handle::RunHandle;
use leptos::prelude::*;
use std::time::Duration;

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

    pub fn set_speed(self, speed: u32) {
        self.speed.set(speed);
        if self.playing.get_untracked() {
            self.start();
        }
    }
}

#[component]
pub fn Controls(player: Player) -> impl IntoView {
    let handle = RunHandle::use_context();
    let finished = move || handle.with(|r| r.finished());
    let speeds = SPEEDS
        .into_iter()
        .map(|s| view! { <option value=s selected=move || player.speed.get() == s>{format!("{s}×")}</option> })
        .collect_view();
    view! {
        <div class="controls" role="toolbar" aria-label="Scheduler">
            <button id="next-event" title="Run the step that happens first in virtual time (n)"
                disabled=finished on:click=move |_| handle.next_event()>
                "Next event"
            </button>
            <button id="play" title="Play the next events one after another, or pause (space)"
                aria-pressed=move || player.playing.get().to_string()
                disabled=move || finished() && !player.playing.get()
                on:click=move |_| player.toggle()>
                {move || if player.playing.get() { "Pause" } else { "Play" }}
            </button>
            <label class="speed">"speed "
                <select id="speed" on:change=move |ev| {
                    player.set_speed(event_target_value(&ev).parse().unwrap_or(2))
                }>{speeds}</select>
            </label>
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
            <button id="help-button" class="keys" aria-haspopup="dialog"
                on:click=move |_| player.help.set(true)>"Keyboard shortcuts (?)"</button>
        </div>
        <Help player=player/>
    }
}

/// The keyboard shortcuts, as a dialog.
#[component]
fn Help(player: Player) -> impl IntoView {
    let handle = RunHandle::use_context();
    let clients = handle.with_untracked(|r| r.world().clients.len()).min(9);
    let keys: [(String, &str); 9] = [
        (
            format!("1–{clients}"),
            "step that client (its next line, or the fault placed there)",
        ),
        (
            "n".into(),
            "next event: the step that happens first in virtual time",
        ),
        ("space".into(), "play / pause"),
        ("e".into(), "run to the end"),
        ("b".into(), "back: undo the last step"),
        ("f".into(), "forward: redo what Back undid"),
        ("r".into(), "reset to the start (placed faults stay)"),
        ("?".into(), "show this help"),
        ("Esc".into(), "close this help"),
    ];
    let rows = keys
        .into_iter()
        .map(|(k, what)| view! { <tr><th scope="row"><kbd>{k}</kbd></th><td>{what}</td></tr> })
        .collect_view();
    view! {
        <Show when=move || player.help.get()>
            <div class="overlay" on:click=move |_| player.help.set(false)>
                <div id="help" role="dialog" aria-modal="true" aria-labelledby="help-title"
                    on:click=|ev| ev.stop_propagation()>
                    <h2 id="help-title">"Keyboard shortcuts"</h2>
                    <table class="help-keys">{rows.clone()}</table>
                    <button id="help-close" autofocus on:click=move |_| player.help.set(false)>"Close"</button>
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
                player.help.set(false);
            }
            return;
        }
        match ev.key().as_str() {
            "n" => handle.next_event(),
            "e" => handle.run_to_end(),
            "b" => handle.back(),
            "f" => handle.forward(),
            "r" => handle.reset(),
            "?" => player.help.set(true),
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
