//! A client group's lane (`count = 100` in the lesson): folded, it says how many members are
//! where and steps the first member that can run; opened, it shows every member's own lane.
//! The counts and who moves come from the engine ([`GroupView`]).

use crate::components::lane::Lane;
use crate::i18n::{tr, trf, use_lang};
use crate::run_handle::RunHandle;
use leptos::prelude::*;
use racelab_engine::view::GroupView;

#[component]
pub fn GroupLane(#[prop(into)] view: Signal<Option<GroupView>>) -> impl IntoView {
    let handle = RunHandle::use_context();
    let lang = use_lang();
    let open = RwSignal::new(false);
    let name = move || view.get().map(|g| g.name).unwrap_or_default();
    let title = move || {
        view.get()
            .map(|g| {
                let here = g.members.len();
                if here < g.count {
                    trf(
                        lang,
                        "{} ({} of {} clients in this replay)",
                        &[&g.name, &here, &g.count],
                    )
                } else {
                    trf(lang, "{} ({} clients)", &[&g.name, &g.count])
                }
            })
            .unwrap_or_default()
    };
    // The member lanes depend on which clients are members, not on the counts: a step does
    // not rebuild them.
    let range = Memo::new(move |_| view.with(|g| g.as_ref().map(|g| g.members.clone())));
    let members = move || {
        let members = range.get()?;
        open.get().then(|| {
            members
                .map(|c| {
                    let cv = Memo::new(move |_| handle.with(|r| r.client_view(c)));
                    let member = handle.with_untracked(|r| r.model().client_name(c).to_string());
                    view! { <Lane client=c name=member view=cv/> }
                })
                .collect_view()
        })
    };
    view! {
        <section class="lane group" data-group=name
            data-summary=move || view.get().map(|g| g.summary).unwrap_or_default()>
            <header class="lane-head">
                <h2>{title}</h2>
                <button class="step" aria-label=move || trf(lang, "Step {}", &[&name()])
                    title=tr(lang, "Step the first member that can run")
                    disabled=move || view.get().and_then(|g| g.next).is_none()
                    on:click=move |_| {
                        if let Some(c) = view.get_untracked().and_then(|g| g.next) {
                            handle.step(c);
                        }
                    }>
                    {move || trf(lang, "Step {}", &[&name()])}
                </button>
                <button class="expand" aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)>
                    {move || if open.get() { tr(lang, "Hide members") } else { tr(lang, "Show members") }}
                </button>
            </header>
            <p class="lane-status group-summary" aria-live="polite">
                {move || view.get().map(|g| g.summary).unwrap_or_default()}
            </p>
            <div class="members">{members}</div>
        </section>
    }
}
