use leptos::prelude::*;
use racelab_engine::run::Run;

#[component]
pub fn TraceView(run: RwSignal<Run>) -> impl IntoView {
    view! {
        <ol id="trace">
            {move || {
                run.with(|r| {
                    let latest = r.trace().latest_step_start().unwrap_or(usize::MAX);
                    r.trace()
                        .events
                        .iter()
                        .enumerate()
                        .map(|(i, e)| {
                            // What the last step did (a COMMIT may also wake another client).
                            let class = if i >= latest { "event latest" } else { "event" };
                            let who = r.client_name(e.client).to_string();
                            let data_client = who.clone();
                            view! {
                                <li class=class data-client=data_client>
                                    <span class="t">{format!("{} ms", e.time)}</span>
                                    <b class="who">{who}</b>
                                    <span class="ln">{format!("line {}", e.line)}</span>
                                    <span class="what">{r.describe(e)}</span>
                                </li>
                            }
                        })
                        .collect_view()
                })
            }}
        </ol>
    }
}
