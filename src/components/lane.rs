//! One client's timeline: its script lines, status, clock, variables and fault controls. It
//! draws the engine's [`ClientView`] and sends commands through the page's [`RunHandle`].

use crate::i18n::{tr, trf, use_lang, Lang};
use crate::run_handle::RunHandle;
use leptos::prelude::*;
use racelab_engine::fault::Fault;
use racelab_engine::view::{ClientView, LineView};

#[component]
pub fn Lane(
    client: usize,
    name: String,
    #[prop(into)] view: Signal<Option<ClientView>>,
) -> impl IntoView {
    let handle = RunHandle::use_context();
    let lang = use_lang();
    let sleep_ms = RwSignal::new(60_000u64);
    // The service fault the lane's "service" buttons place (see `service_fault`).
    let service_fault = RwSignal::new(0usize);
    let step_label = trf(lang, "Step {}", &[&name]);
    let name_for_exit = name.clone();
    let lines = move || {
        let Some(cv) = view.get() else {
            return Vec::new();
        };
        cv.lines
            .into_iter()
            .map(|l| line_view(handle, lang, client, &cv.name, l, (sleep_ms, service_fault)))
            .collect::<Vec<_>>()
    };
    // The variables the last step set are marked (data-changed), as the service panels' rows.
    let vars_before = Memo::new(move |_| handle.with(|r| r.vars_before(client)));
    let vars = move || {
        let before = vars_before.get().unwrap_or_default();
        view.get().map(|cv| {
            cv.vars
                .into_iter()
                .map(|(k, v)| {
                    let ch = (!before.contains(&(k.clone(), v.clone()))).to_string();
                    view! { <span class="var" data-changed=ch><code>{k}</code>" = "<code>{v.to_string()}</code></span> }
                })
                .collect_view()
        })
    };
    let latest =
        move || handle.with(|r| r.trace().actions.last().and_then(|a| a.client()) == Some(client));
    view! {
        <section class="lane" data-client=name.clone() data-latest=move || latest().to_string()
            data-status=move || view.get().map(|c| c.status.as_str()).unwrap_or("done")>
            <header class="lane-head">
                <h2>{name.clone()}</h2>
                <span class="lane-clock" title=tr(lang, "this client's virtual time")>
                    {move || view.get().map(|c| trf(lang, "{} ms", &[&c.clock])).unwrap_or_default()}
                </span>
                <button class="step" aria-label=step_label.clone()
                    disabled=move || !view.get().is_some_and(|c| c.runnable)
                    on:click=move |_| handle.step(client)>
                    {step_label.clone()}
                </button>
            </header>
            <p class="lane-status" aria-live="polite">
                {move || view.get().map(|c| c.status_text).unwrap_or_default()}
                {move || view.get().is_some_and(|c| c.can_exit_now).then(|| view! {
                    <button class="exit-now" aria-label=trf(lang, "Kill {} while it waits", &[&name_for_exit])
                        on:click=move |_| handle.act(|r| r.exit_now(client).map_err(|e| e.to_string()))>
                        {tr(lang, "exit now")}
                    </button>
                })}
            </p>
            <ol class="script">{lines}</ol>
            <LaneFoot sleep_ms=sleep_ms service_fault=service_fault vars=vars/>
        </section>
    }
}

/// The lane's fault settings (sleep length, which service fault) and the client's variables.
#[component]
fn LaneFoot(
    sleep_ms: RwSignal<u64>,
    service_fault: RwSignal<usize>,
    vars: impl IntoView + 'static,
) -> impl IntoView {
    let handle = RunHandle::use_context();
    let lang = use_lang();
    let services: Vec<String> =
        handle.with_untracked(|r| r.lesson().services.iter().map(|d| d.name.clone()).collect());
    view! {
        <div class="lane-foot">
            <label>{tr(lang, "sleep fault, ms ")}
                <input class="sleep-ms" type="number" min="0" step="1000"
                    prop:value=move || sleep_ms.get().to_string()
                    on:input=move |ev| {
                        if let Ok(v) = event_target_value(&ev).trim().parse::<u64>() {
                            sleep_ms.set(v);
                        }
                    }/>
            </label>
            <label>{tr(lang, "service fault ")}
                <select class="service-fault" on:change=move |ev| {
                    if let Ok(i) = event_target_value(&ev).parse::<usize>() {
                        service_fault.set(i);
                    }
                }>
                    {services.iter().enumerate().flat_map(|(s, name)| {
                        ["down", "up", "slow"].into_iter().enumerate().map(move |(k, what)| {
                            let i = s * 3 + k;
                            view! { <option value=i.to_string()>{format!("{name} {what}")}</option> }
                        })
                    }).collect_view()}
                </select>
            </label>
            <div class="vars">{vars}</div>
        </div>
    }
}

/// The service fault number `i` of the lane's select: service `i / 3`, down, up or slow.
fn service_fault(i: usize, slow_ms: u64) -> Fault {
    match i % 3 {
        0 => Fault::Down(i / 3),
        1 => Fault::Up(i / 3),
        _ => Fault::Slow(i / 3, slow_ms),
    }
}

fn line_view(
    handle: RunHandle,
    lang: Lang,
    client: usize,
    name: &str,
    l: LineView,
    (sleep_ms, chosen): (RwSignal<u64>, RwSignal<usize>),
) -> impl IntoView {
    let no = l.no;
    let label = l.fault_label.clone();
    let badge = l.fault.map(|(_, fired)| {
        let class = if fired { "fault fired" } else { "fault" };
        view! { <span class=class title=tr(lang, "fault at this line")>{label}</span> }
    });
    let place = move |f: Option<Fault>| handle.act(|r| r.set_fault(client, no, f));
    let controls = l.can_inject.then(|| {
        if l.fault.is_some() {
            view! {
                <button class="remove-fault" aria-label=trf(lang, "Remove the fault at line {} of {}", &[&no, &name])
                    on:click=move |_| place(None)>
                    {tr(lang, "remove")}
                </button>
            }
            .into_any()
        } else {
            view! {
                <button class="inject-exit" aria-label=trf(lang, "Put an exit (crash) before line {} of {}", &[&no, &name])
                    on:click=move |_| place(Some(Fault::Exit))>
                    "exit"
                </button>
                <button class="inject-exit-after" aria-label=trf(lang, "Put an exit (crash) after line {} of {} took effect", &[&no, &name])
                    on:click=move |_| place(Some(Fault::ExitAfter))>
                    "exit after"
                </button>
                <button class="inject-sleep" aria-label=trf(lang, "Put a sleep before line {} of {}", &[&no, &name])
                    on:click=move |_| place(Some(Fault::Sleep(sleep_ms.get_untracked())))>
                    "sleep"
                </button>
                <button class="inject-service" aria-label=trf(lang, "Put the chosen service fault before line {} of {}", &[&no, &name])
                    on:click=move |_| place(Some(service_fault(chosen.get_untracked(), sleep_ms.get_untracked())))>
                    {tr(lang, "service")}
                </button>
                {l.calls.then(|| view! {
                    <button class="inject-error" aria-label=trf(lang, "Make the call on line {} of {} fail with a connection error", &[&no, &name])
                        on:click=move |_| place(Some(Fault::Error))>
                        "error"
                    </button>
                    <button class="inject-timeout" aria-label=trf(lang, "Let the call on line {} of {} take effect but lose its reply", &[&no, &name])
                        on:click=move |_| place(Some(Fault::Timeout))>
                        "timeout"
                    </button>
                })}
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
