//! Each assertion with its verdict and what was observed.

use leptos::prelude::*;
use racelab_engine::view::VerdictView;

#[component]
pub fn Assertions(#[prop(into)] verdicts: Signal<Vec<VerdictView>>) -> impl IntoView {
    view! {
        <ul class="assertions">
            {move || {
                verdicts
                    .get()
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
            }}
        </ul>
    }
}
