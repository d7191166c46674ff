//! Exploration off the main thread. The reader's page starts the explorer's own worker
//! (`src/bin/racelab-explorer.rs`, built by Trunk beside the page: the page's wasm carries no
//! explorer). The editor's page starts a Web Worker that runs its own wasm module — handed over
//! as the compiled `WebAssembly.Module`, so the author downloads and compiles it once: it can
//! compile an edited lesson — and `start()` in the worker calls [`serve`] instead of mounting
//! the app. Messages are strings:
//!
//! - page → worker: an exploration [`Job`] (`Job::encode`);
//! - worker → page: `ready`; `progress\t{walked}\t{states}\t{steps}\t{done 0..1}` about ten
//!   times a second; then `table\n{TableView::encode}` or `error\n{message}`.
//!
//! Where a worker cannot start (a page whose Content-Security-Policy forbids workers, a test
//! harness without Trunk's module link), the editor's page runs the job itself and says so; the
//! reader's page says why it cannot explore.

use racelab_engine::explore::wire::{Job, TableView};
use racelab_engine::explore::Progress;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, Worker};

/// A job stops with partial results after this much wall time, as the CLI's default.
const BUDGET_MS: f64 = 60_000.0;
/// Progress messages at most this often.
const PROGRESS_EVERY_MS: f64 = 100.0;

#[wasm_bindgen(inline_js = r#"
export function spawn_explorer_worker() {
  const url = new URL("racelab-explorer_loader.js", document.baseURI).href;
  return new Worker(url, { type: "module" });
}
export function spawn_explorer(module) {
  const link = document.querySelector('link[rel="modulepreload"]');
  if (!link) { throw new Error("no module link to start a worker from"); }
  const glue = new URL(link.getAttribute("href"), document.baseURI).href;
  const src = "self.onmessage = async (e) => { self.onmessage = null; " +
    "const m = await import(e.data.glue); await m.default({ module_or_path: e.data.module }); };";
  const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module" });
  worker.postMessage({ glue, module });
  return worker;
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    fn spawn_explorer(module: &JsValue) -> Result<Worker, JsValue>;
    #[wasm_bindgen(catch)]
    fn spawn_explorer_worker() -> Result<Worker, JsValue>;
}

/// The editor's page: a worker on this very module.
#[cfg(feature = "editor")]
fn spawn() -> Result<Worker, JsValue> {
    spawn_explorer(&wasm_bindgen::module())
}

/// The reader's page: the explorer's own worker (`racelab-explorer`).
#[cfg(not(feature = "editor"))]
fn spawn() -> Result<Worker, JsValue> {
    spawn_explorer_worker()
}

/// Whether this code runs in a worker (no window).
pub fn in_worker() -> bool {
    web_sys::window().is_none()
}

/// In the worker: answer jobs until the page terminates the worker.
pub fn serve() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let out = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let (out, scope) = (out.clone(), out.clone());
        let post = move |reply: &str| {
            let _ = out.post_message(&JsValue::from_str(reply));
        };
        match e.data().as_string().map(|t| Job::decode(&t)) {
            Some(Ok(job)) => wasm_bindgen_futures::spawn_local(async move {
                let reply = answer(&job, &scope).await;
                post(&reply);
            }),
            Some(Err(e)) => post(&format!("error\n{e}")),
            None => post("error\nthe explorer was sent something that is not a job"),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str("ready"));
}

/// Runs a job (a shipped lesson's bytes fetched first), posting progress on the way; the final
/// message.
async fn answer(job: &Job, out: &DedicatedWorkerGlobalScope) -> String {
    let started = js_sys::Date::now();
    let mut last = started;
    let progress = |p: &Progress| {
        let now = js_sys::Date::now();
        if now - last >= PROGRESS_EVERY_MS {
            last = now;
            let _ = out.post_message(&JsValue::from_str(&progress_line(p)));
        }
        now - started >= BUDGET_MS
    };
    match crate::lessons::run_job_fetching(job, progress).await {
        Ok(table) => format!("table\n{}", table.encode()),
        Err(e) => format!("error\n{e}"),
    }
}

fn progress_line(p: &Progress) -> String {
    format!(
        "progress\t{}\t{}\t{}\t{}",
        p.walked, p.states, p.steps, p.done
    )
}

/// What the worker said.
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    Ready,
    Progress(Progress),
    Table(TableView),
    Error(String),
}

/// Reads a message from the worker.
pub fn read_message(text: &str) -> Message {
    if text == "ready" {
        return Message::Ready;
    }
    if let Some(table) = text.strip_prefix("table\n") {
        return TableView::decode(table).map_or_else(Message::Error, Message::Table);
    }
    if let Some(e) = text.strip_prefix("error\n") {
        return Message::Error(e.to_string());
    }
    let f: Vec<&str> = text.split('\t').collect();
    match f.as_slice() {
        ["progress", walked, states, steps, done] => Message::Progress(Progress {
            walked: walked.parse().unwrap_or(0),
            states: states.parse().unwrap_or(0),
            steps: steps.parse().unwrap_or(0),
            done: done.parse().unwrap_or(0.0),
        }),
        _ => Message::Error(format!(
            "the explorer said something unexpected: {text:.80}"
        )),
    }
}

/// A running worker: terminated when dropped (cancel, or a new job).
pub struct Running {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// Starts a worker for `job`; `on` hears every message after `ready`. Err: no worker could be
/// started (the caller runs the job itself).
pub fn start(job: &Job, mut on: impl FnMut(Message) + 'static) -> Result<Running, String> {
    let worker = spawn().map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}")))?;
    let job = job.encode();
    let w = worker.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let text = e.data().as_string().unwrap_or_default();
        match read_message(&text) {
            Message::Ready => {
                let _ = w.post_message(&JsValue::from_str(&job));
            }
            m => on(m),
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    Ok(Running {
        worker,
        _on_message: on_message,
    })
}
