use crate::components::prose::Prose;
use crate::i18n::{tr, use_lang};
use crate::lessons::BUILTIN;
use leptos::prelude::*;

#[component]
pub fn LessonList() -> impl IntoView {
    let lang = use_lang();
    let items = BUILTIN
        .iter()
        .map(|b| {
            let slug = b.slug;
            let (title, intro) = b.title_intro(lang);
            let intro = intro.to_string();
            view! {
                <li>
                    <a class="lesson-link" data-lesson=slug href=format!("#/lesson/{slug}")>{title}</a>
                    <Prose text=intro class="lesson-intro"/>
                </li>
            }
        })
        .collect_view();
    view! {
        <main id="lessons">
            <h1>{tr(lang, "Lessons")}</h1>
            <ul class="lesson-list">{items}</ul>
        </main>
    }
}
