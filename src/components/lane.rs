//! One client's timeline: its script lines, status, clock, variables and fault controls.

use crate::pages::lesson::act;
use leptos::prelude::*;
use racelab_engine::run::{LineView, Run};
use racelab_engine::trace::Fault;

#[component]
pub fn Lane(run: RwSignal<Run>, error: RwSignal<Option<String>>, client: usize) -> impl IntoView {
    let sleep_ms = RwSignal::new(60_000u64);
    // One snapshot of this client per step, shared by everything the lane shows.
    let snapshot = Memo::new(move |_| run.with(|r| r.client_view(client)));
    let view_of = move || snapshot.get();
    let name = run.with_untracked(|r| r.client_name(client).to_string());
    let step_label = format!("Step {name}");
    let lines = move || {
        let Some(cv) = view_of() else {
            return Vec::new();
        };
        cv.lines
            .into_iter()
            .map(|l| line_view(run, error, client, &cv.name, l, sleep_ms))
            .collect::<Vec<_>>()
    };
    let vars = move || {
        view_of()
            .map(|cv| {
                cv.vars
                    .into_iter()
                    .map(|(k, v)| view! { <span class="var"><code>{k}</code>" = "<code>{v.to_string()}</code></span> })
                    .collect_view()
            })
    };
    view! {
        <section class="lane" data-client=name.clone()
            data-status=move || view_of().map(|c| c.status.as_str()).unwrap_or("done")>
            <header class="lane-head">
                <h2>{name.clone()}</h2>
                <span class="lane-clock" title="this client's virtual time">
                    {move || view_of().map(|c| format!("{} ms", c.clock)).unwrap_or_default()}
                </span>
                <button class="step" aria-label=step_label.clone()
                    disabled=move || !run.with(|r| r.is_runnable(client))
                    on:click=move |_| act(run, error, |r| r.step(client).map_err(|e| e.to_string()))>
                    {step_label.clone()}
                </button>
            </header>
            <p class="lane-status" aria-live="polite">{move || view_of().map(|c| c.status_text).unwrap_or_default()}</p>
            <ol class="script">{lines}</ol>
            <div class="lane-foot">
                <label>"sleep fault, ms "
                    <input class="sleep-ms" type="number" min="0" step="1000"
                        prop:value=move || sleep_ms.get().to_string()
                        on:input=move |ev| {
                            if let Ok(v) = event_target_value(&ev).trim().parse::<u64>() {
                                sleep_ms.set(v);
                            }
                        }/>
                </label>
                <div class="vars">{vars}</div>
            </div>
        </section>
    }
}

fn line_view(
    run: RwSignal<Run>,
    error: RwSignal<Option<String>>,
    client: usize,
    name: &str,
    l: LineView,
    sleep_ms: RwSignal<u64>,
) -> impl IntoView {
    let no = l.no;
    let badge = l.fault.map(|(f, fired)| {
        let text = match f {
            Fault::Exit => "exit".to_string(),
            Fault::Sleep(ms) => format!("sleep {ms} ms"),
        };
        let class = if fired { "fault fired" } else { "fault" };
        view! { <span class=class title="fault before this line">{text}</span> }
    });
    let controls = l.can_inject.then(|| {
        if l.fault.is_some() {
            view! {
                <button class="remove-fault" aria-label=format!("Remove the fault before line {no} of {name}")
                    on:click=move |_| act(run, error, |r| r.set_fault(client, no, None))>
                    "remove"
                </button>
            }
            .into_any()
        } else {
            view! {
                <button class="inject-exit" aria-label=format!("Put an exit (crash) before line {no} of {name}")
                    on:click=move |_| act(run, error, |r| r.set_fault(client, no, Some(Fault::Exit)))>
                    "exit"
                </button>
                <button class="inject-sleep" aria-label=format!("Put a sleep before line {no} of {name}")
                    on:click=move |_| {
                        let ms = sleep_ms.get_untracked();
                        act(run, error, |r| r.set_fault(client, no, Some(Fault::Sleep(ms))))
                    }>
                    "sleep"
                </button>
            }
            .into_any()
        }
    });
    view! {
        <li class="line" data-line=no data-state=l.state.as_str()>
            <span class="ln">{no}</span>
            <code class="src">{l.text}</code>
            {badge}
            <span class="inject">{controls}</span>
        </li>
    }
}
