use leptos::prelude::*;
use racelab_engine::run::Run;

#[component]
pub fn Assertions(run: RwSignal<Run>) -> impl IntoView {
    view! {
        <ul class="assertions">
            {move || {
                run.with(|r| {
                    r.verdicts()
                        .into_iter()
                        .map(|v| {
                            let verdict = v.verdict.as_str();
                            view! {
                                <li class="assertion" data-assertion=v.id data-verdict=verdict>
                                    <span class="verdict">{verdict.to_uppercase()}</span>
                                    <span class="says">{v.says}</span>
                                    <span class="detail">{v.detail}</span>
                                </li>
                            }
                        })
                        .collect_view()
                })
            }}
        </ul>
    }
}
