//! A lesson's prose as DOM nodes (the engine's `prose` module parses it): never HTML from the
//! lesson, so a lesson cannot run code in the page.

use leptos::prelude::*;
use racelab_engine::prose::{self, Block, Inline};

fn inline_views(inl: Vec<Inline>) -> AnyView {
    inl.into_iter()
        .map(|i| match i {
            Inline::Text(t) => t.into_any(),
            Inline::Code(c) => view! { <code>{c}</code> }.into_any(),
            Inline::Em(x) => view! { <em>{inline_views(x)}</em> }.into_any(),
            Inline::Strong(x) => view! { <strong>{inline_views(x)}</strong> }.into_any(),
            Inline::Link { text, href } => {
                let external = href.starts_with("http");
                view! {
                    <a href=href target=external.then_some("_blank") rel=external.then_some("noopener")>
                        {inline_views(text)}
                    </a>
                }
                .into_any()
            }
        })
        .collect_view()
        .into_any()
}

/// The blocks of `text`, inside a `div` with `class`.
#[component]
pub fn Prose(text: String, #[prop(into)] class: String) -> impl IntoView {
    let blocks = prose::parse(&text)
        .into_iter()
        .map(|b| match b {
            Block::Para(x) => view! { <p>{inline_views(x)}</p> }.into_any(),
            Block::Quote(x) => view! { <blockquote>{inline_views(x)}</blockquote> }.into_any(),
            Block::Code(c) => view! { <pre><code>{c}</code></pre> }.into_any(),
            Block::List { ordered: false, items } => view! {
                <ul>{items.into_iter().map(|i| view! { <li>{inline_views(i)}</li> }).collect_view()}</ul>
            }
            .into_any(),
            Block::List { ordered: true, items } => view! {
                <ol>{items.into_iter().map(|i| view! { <li>{inline_views(i)}</li> }).collect_view()}</ol>
            }
            .into_any(),
        })
        .collect_view();
    view! { <div class=class>{blocks}</div> }
}
