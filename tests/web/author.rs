//! Browser tests of what authors and course pages use (links, share links, the editor, embed
//! mode), and of page-wide parts (play, shortcuts, languages, prose, timeline, highlights).

use super::*;

async fn sleep_ms(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

fn clear_storage() {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        s.clear().unwrap();
    }
}

#[wasm_bindgen_test]
async fn a_link_restores_its_moment_and_a_link_that_does_not_fit_says_why() {
    let (host, _keep) = mount_at(LessonAt {
        slug: "lost-update".into(),
        run: Some("naive:0.1.0".into()),
        faults: Some("exit@T2:4".into()),
        ..LessonAt::default()
    });
    leptos::task::tick().await;
    assert_eq!(attr(&host, "#lesson", "data-variant"), "naive");
    assert_eq!(line_state(&host, "T1", 2), "done");
    assert_eq!(line_state(&host, "T1", 3), "next");
    assert_eq!(line_state(&host, "T2", 2), "next");
    assert!(q(
        &host,
        "section.lane[data-client='T2'] li.line[data-line='4'] .fault"
    )
    .is_object());
    assert_eq!(text(&host, "#error"), "");
    drop(_keep);

    let (host, _keep) = mount_at(LessonAt {
        slug: "lost-update".into(),
        run: Some("naive:7".into()),
        ..LessonAt::default()
    });
    leptos::task::tick().await;
    let e = text(&host, "#error");
    assert!(
        e.contains("cannot be restored") && e.contains("no such client"),
        "{e}"
    );
    assert_eq!(line_state(&host, "T1", 1), "next");
}

#[wasm_bindgen_test]
async fn share_links_round_trip_and_refuse_damaged_newer_and_long_ones() {
    use racelab_web::share::*;
    let text = include_str!("../../lessons/two-records.toml");
    let p = pack(text).await.unwrap();
    assert!(p.starts_with("1."), "{p:.20}");
    assert!(
        p.len() < MAX_LINK && p.len() < text.len() / 2,
        "{}",
        p.len()
    );
    assert_eq!(unpack(&p).await.unwrap(), text);
    for n in 0..7u8 {
        let bytes: Vec<u8> = (0..n)
            .map(|i| i.wrapping_mul(97).wrapping_add(200))
            .collect();
        assert_eq!(unbase64url(&base64url(&bytes)).unwrap(), bytes);
    }
    assert_eq!(unpack("2.abc").await, Err(LinkError::Newer(2)));
    let long = format!("1.{}", "A".repeat(MAX_LINK));
    assert_eq!(unpack(&long).await, Err(LinkError::TooLong(long.len())));
    for bad in [&p[..p.len() / 2], "1.a*b", "x", "0.abc", "1.A"] {
        let e = unpack(bad).await.unwrap_err();
        assert!(matches!(e, LinkError::Damaged(_)), "{bad:.20}: {e}");
        assert!(e.to_string().contains("damaged"), "{e}");
    }
}

fn set_text(host: &web_sys::Element, value: &str) {
    let area: web_sys::HtmlTextAreaElement = q(host, "#lesson-text").unchecked_into();
    area.set_value(value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
    area.dispatch_event(&ev).unwrap();
}

fn text_value(host: &web_sys::Element) -> String {
    q(host, "#lesson-text")
        .unchecked_into::<web_sys::HtmlTextAreaElement>()
        .value()
}

fn mount_editor(at: racelab_web::route::EditAt) -> (web_sys::Element, impl Drop) {
    use racelab_web::pages::edit::EditPage;
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    let handle = leptos::mount::mount_to(host.clone().unchecked_into(), move || {
        view! { <EditPage at=at.clone()/> }
    });
    (host, handle)
}

#[wasm_bindgen_test]
async fn the_editor_locates_problems_live_and_runs_the_lesson_once_fixed() {
    clear_storage();
    let (host, _keep) = mount_editor(Default::default());
    leptos::task::tick().await;
    let good = include_str!("../../lessons/lost-update.toml");
    assert_eq!(text_value(&host), good);
    assert_eq!(attr(&host, ".problems-summary", "data-ok"), "true");
    assert!(q(&host, "#lesson").is_object());

    // T2 names a script that does not exist: one problem, on T2's line.
    let bad = good.replacen(
        "name = \"T2\"\nscript = \"debit\"",
        "name = \"T2\"\nscript = \"debitt\"",
        1,
    );
    let line = bad.lines().position(|l| l.contains("\"debitt\"")).unwrap() + 1;
    set_text(&host, &bad);
    sleep_ms(400).await;
    assert_eq!(
        host.query_selector_all("ul.problems li").unwrap().length(),
        1
    );
    assert_eq!(
        attr(&host, "ul.problems li button.at", "data-line"),
        line.to_string()
    );
    assert!(text(&host, "ul.problems li").contains("debitt"));
    assert!(host.query_selector("#lesson").unwrap().is_none());
    // Clicking the problem selects its line in the text.
    click(&host, "ul.problems li button.at");
    let area: web_sys::HtmlTextAreaElement = q(&host, "#lesson-text").unchecked_into();
    let start = area.selection_start().unwrap().unwrap() as usize;
    // The textarea counts UTF-16 units (the file's first line has a `…`).
    let before: usize = bad
        .lines()
        .take(line - 1)
        .map(|l| l.encode_utf16().count() + 1)
        .sum();
    assert_eq!(start, before);
    // The draft is kept as typed; the fix runs the lesson again.
    assert_eq!(
        racelab_web::store::get("racelab-draft").as_deref(),
        Some(bad.as_str())
    );
    set_text(&host, good);
    sleep_ms(400).await;
    assert_eq!(attr(&host, ".problems-summary", "data-ok"), "true");
    assert!(q(&host, "#lesson").is_object());
}

#[wasm_bindgen_test]
async fn a_damaged_or_newer_link_keeps_the_draft_and_says_why() {
    use racelab_web::route::EditAt;
    for (payload, says) in [("1.AAAA", "damaged"), ("7.abc", "newer Racelab")] {
        clear_storage();
        racelab_web::store::set("racelab-draft", "title = \"mine\"\n");
        let (host, _keep) = mount_editor(EditAt {
            from: None,
            shared: Some(payload.into()),
        });
        sleep_ms(100).await;
        let notice = text(&host, "#editor-notice");
        assert!(notice.contains(says), "{payload}: {notice}");
        assert_eq!(text_value(&host), "title = \"mine\"\n");
    }
}

#[wasm_bindgen_test]
async fn a_shared_lesson_replaces_the_draft_and_the_old_draft_comes_back() {
    use racelab_web::route::EditAt;
    clear_storage();
    racelab_web::store::set("racelab-draft", "title = \"mine\"\n");
    let lesson = include_str!("../../lessons/deadlock.toml");
    let payload = racelab_web::share::pack(lesson).await.unwrap();
    let (host, _keep) = mount_editor(EditAt {
        from: None,
        shared: Some(payload),
    });
    sleep_ms(100).await;
    assert_eq!(text_value(&host), lesson);
    assert_eq!(text(&host, "#editor-notice"), "");
    click(&host, "#editor-restore");
    leptos::task::tick().await;
    assert_eq!(text_value(&host), "title = \"mine\"\n");
    // Share: the link appears, and it unpacks to the text.
    click(&host, "#editor-share");
    sleep_ms(100).await;
    let link = q(&host, "#share-link")
        .unchecked_into::<web_sys::HtmlInputElement>()
        .value();
    let payload = link.split("lesson=").nth(1).unwrap();
    assert_eq!(
        racelab_web::share::unpack(payload).await.unwrap(),
        "title = \"mine\"\n"
    );
}

#[wasm_bindgen_test]
async fn the_embed_snippet_names_the_variant_in_embed_mode() {
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    let snippet = q(&host, "#embed-snippet")
        .unchecked_into::<web_sys::HtmlTextAreaElement>()
        .value();
    assert!(
        snippet.contains("#/lesson/lost-update?variant=for-update&embed=1"),
        "{snippet}"
    );
    assert!(snippet.contains("racelab:height"), "{snippet}");
}

#[wasm_bindgen_test]
async fn play_runs_next_events_until_the_end_and_stops() {
    let (host, _keep) = mount("lost-update", Some("naive"));
    leptos::task::tick().await;
    let speed: web_sys::HtmlSelectElement = q(&host, "#speed").unchecked_into();
    speed.set_value("8");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    speed
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
    click(&host, "#play");
    leptos::task::tick().await;
    assert_eq!(attr(&host, "#play", "aria-pressed"), "true");
    assert_eq!(text(&host, "#play"), "Pause");
    // Ten events at 8 per second.
    sleep_ms(2000).await;
    assert_eq!(lane_status(&host, "T1"), "done");
    assert_eq!(lane_status(&host, "T2"), "done");
    assert_eq!(attr(&host, "#play", "aria-pressed"), "false");
    assert_eq!(text(&host, "#play"), "Play");
}

fn key(k: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(k);
    init.set_bubbles(true);
    let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    document().body().unwrap().dispatch_event(&ev).unwrap();
}

#[wasm_bindgen_test]
async fn question_mark_opens_the_shortcuts_and_escape_closes_them() {
    let (host, _keep) = mount("lost-update", None);
    leptos::task::tick().await;
    assert!(host.query_selector("#help").unwrap().is_none());
    key("?");
    leptos::task::tick().await;
    let help = text(&host, "#help");
    assert!(
        help.contains("play / pause") && help.contains("1–2"),
        "{help}"
    );
    sleep_ms(50).await;
    let focused = document()
        .active_element()
        .map(|e| e.id())
        .unwrap_or_default();
    assert_eq!(focused, "help-close", "the focus moves into the dialog");
    // Keys do nothing else while the help is open.
    key("n");
    leptos::task::tick().await;
    assert_eq!(text(&host, "#clock"), "0 ms");
    key("Escape");
    leptos::task::tick().await;
    assert!(host.query_selector("#help").unwrap().is_none());
    key("n");
    leptos::task::tick().await;
    assert_eq!(text(&host, "#clock"), "5 ms");
}

#[wasm_bindgen_test]
async fn a_lesson_shows_its_prose_in_the_pages_language() {
    use racelab_web::i18n::{self, Lang};
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    let _keep = leptos::mount::mount_to(host.clone().unchecked_into(), || {
        i18n::provide(Lang::Pt);
        view! { <LessonPage at=LessonAt { slug: "lost-update".into(), ..LessonAt::default() }/> }
    });
    leptos::task::tick().await;
    let title = text(&host, "#lesson h1");
    assert!(!title.contains("Lost update"), "{title}");
    // Slugs stay: the variant buttons, the URL and replay ids are the same in every language.
    assert_eq!(attr(&host, "#lesson", "data-variant"), "naive");
    assert!(q(&host, "button.variant[data-variant='for-update']").is_object());
}

#[wasm_bindgen_test]
fn prose_is_markdown_and_never_html() {
    use racelab_web::components::prose::Prose;
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    let _keep = leptos::mount::mount_to(host.clone().unchecked_into(), || {
        view! { <Prose text="Run `SELECT 1` **now** <img src=x onerror=alert(1)> [x](javascript:alert(1))".to_string() class="p"/> }
    });
    assert_eq!(text(&host, ".p code"), "SELECT 1");
    assert_eq!(text(&host, ".p strong"), "now");
    assert!(host.query_selector("img").unwrap().is_none());
    assert!(host.query_selector("a").unwrap().is_none());
    assert!(text(&host, ".p").contains("<img src=x onerror=alert(1)>"));
}

/// Every string the page translates has an entry in the Russian and Portuguese tables, with
/// the same placeholders, and the tables have no stray or twice-given entries.
#[wasm_bindgen_test]
fn every_page_string_is_translated() {
    use racelab_web::i18n::{pt, ru};
    const SOURCES: &[(&str, &str)] = &[
        ("lib.rs", include_str!("../../src/lib.rs")),
        ("i18n/mod.rs", include_str!("../../src/i18n/mod.rs")),
        ("pages/lesson.rs", include_str!("../../src/pages/lesson.rs")),
        ("pages/edit.rs", include_str!("../../src/pages/edit.rs")),
        ("pages/list.rs", include_str!("../../src/pages/list.rs")),
        (
            "components/assertions.rs",
            include_str!("../../src/components/assertions.rs"),
        ),
        (
            "components/controls.rs",
            include_str!("../../src/components/controls.rs"),
        ),
        (
            "components/explorer.rs",
            include_str!("../../src/components/explorer.rs"),
        ),
        (
            "components/goals.rs",
            include_str!("../../src/components/goals.rs"),
        ),
        (
            "components/group.rs",
            include_str!("../../src/components/group.rs"),
        ),
        (
            "components/lane.rs",
            include_str!("../../src/components/lane.rs"),
        ),
        (
            "components/services.rs",
            include_str!("../../src/components/services.rs"),
        ),
        (
            "components/trace.rs",
            include_str!("../../src/components/trace.rs"),
        ),
        (
            "components/timeline.rs",
            include_str!("../../src/components/timeline.rs"),
        ),
    ];
    let mut used = Vec::new();
    for (file, src) in SOURCES {
        for (i, _) in src.match_indices("tr(").chain(src.match_indices("trf(")) {
            let call = &src[i..];
            // tr(LANG, "…") and trf(LANG, "…", …): the first string literal of the call.
            let Some(open) = call.find('"') else { continue };
            if call[..open].contains(')') || call[..open].contains(';') {
                continue;
            }
            let body = &call[open + 1..];
            let end = body.find('"').unwrap_or(0);
            used.push((*file, body[..end].to_string()));
        }
    }
    assert!(used.len() >= 3, "the scan found no tr(…) strings");
    for (name, table) in [("ru", ru::STRINGS), ("pt", pt::STRINGS)] {
        for (file, s) in &used {
            let Some((_, t)) = table.iter().find(|(k, _)| k == s) else {
                panic!("{file}: \"{s}\" has no {name} translation");
            };
            assert_eq!(
                s.matches("{}").count(),
                t.matches("{}").count(),
                "{name}: placeholders of \"{s}\""
            );
        }
        for (i, (k, _)) in table.iter().enumerate() {
            assert!(
                !table[..i].iter().any(|(k2, _)| k2 == k),
                "{name}: \"{k}\" is given twice"
            );
            assert!(
                used.iter().any(|(_, s)| s == k),
                "{name}: \"{k}\" is not used by the page"
            );
        }
    }
}

fn svg_click(host: &web_sys::Element, sel: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict("click", &init).unwrap();
    q(host, sel).dispatch_event(&ev).unwrap();
}

#[wasm_bindgen_test]
async fn the_timeline_draws_the_run_and_a_click_goes_back_to_that_moment() {
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    let n = |sel: &str| host.query_selector_all(sel).unwrap().length();
    assert_eq!(n("#timeline-svg line.tl-arrow.call"), 8);
    assert_eq!(n("#timeline-svg line.tl-arrow.reply"), 8);
    assert_eq!(n("#timeline-svg g.tl-lane"), 3);
    assert_eq!(n("#timeline-svg rect.tl-bar.wait"), 1);
    // The wait bar: back to the moment T2 began to wait for T1's row lock.
    svg_click(&host, "#timeline-svg rect.tl-bar.wait");
    leptos::task::tick().await;
    assert_eq!(lane_status(&host, "T2"), "blocked");
    assert_eq!(attr(&host, "#forward", "disabled"), "");
    assert!(q(&host, "#forward").get_attribute("disabled").is_none());
}

#[wasm_bindgen_test]
async fn the_last_step_marks_what_it_changed() {
    let (host, _keep) = mount("lost-update", Some("naive"));
    leptos::task::tick().await;
    let step = |c: &str| {
        click(
            &host,
            &format!("section.lane[data-client='{c}'] button.step"),
        )
    };
    step("T1"); // BEGIN
    leptos::task::tick().await;
    step("T1"); // SELECT: bal is set
    leptos::task::tick().await;
    assert_eq!(
        attr(&host, "section.lane[data-client='T1'] .var", "data-changed"),
        "true"
    );
    assert_eq!(
        attr(&host, "section.lane[data-client='T1']", "data-latest"),
        "true"
    );
    assert_eq!(
        attr(&host, "section.lane[data-client='T2']", "data-latest"),
        "false"
    );
    step("T1"); // new = bal - 200
    leptos::task::tick().await;
    step("T1"); // UPDATE: the row gets T1's pending write and lock
    leptos::task::tick().await;
    assert_eq!(attr(&host, "tr.db-row", "data-changed"), "true");
    step("T2"); // BEGIN: the row is as it was
    leptos::task::tick().await;
    assert_eq!(attr(&host, "tr.db-row", "data-changed"), "false");
    assert_eq!(
        attr(&host, "section.lane[data-client='T2']", "data-latest"),
        "true"
    );
}

#[wasm_bindgen_test]
async fn a_dropped_file_or_a_url_replaces_the_draft_and_keeps_it() {
    use racelab_web::route::EditAt;
    clear_storage();
    racelab_web::store::set("racelab-draft", "title = \"mine\"\n");
    let (host, _keep) = mount_editor(EditAt::default());
    leptos::task::tick().await;
    // A file dropped on the text.
    let lesson = include_str!("../../lessons/deadlock.toml");
    let dt = web_sys::DataTransfer::new().unwrap();
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(lesson));
    let file = web_sys::File::new_with_str_sequence(&parts, "deadlock.toml").unwrap();
    dt.items().add_with_file(&file).unwrap();
    let init = web_sys::DragEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_data_transfer(Some(&dt));
    let ev = web_sys::DragEvent::new_with_event_init_dict("drop", &init).unwrap();
    q(&host, "#lesson-text").dispatch_event(&ev).unwrap();
    sleep_ms(200).await;
    assert_eq!(text_value(&host), lesson);
    assert!(q(&host, "#editor-restore").is_object());
    // A URL (a data: URL here; a server must allow cross-origin reads).
    let other = include_str!("../../lessons/lost-update.toml");
    let url = format!(
        "data:text/plain;charset=utf-8,{}",
        String::from(js_sys::encode_uri_component(other))
    );
    let input: web_sys::HtmlInputElement = q(&host, "#editor-url").unchecked_into();
    input.set_value(&url);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    input
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("input", &init).unwrap())
        .unwrap();
    click(&host, "#editor-fetch");
    sleep_ms(300).await;
    assert_eq!(text_value(&host), other);
    // A URL that does not answer: a message, and the text stays.
    input.set_value("http://127.0.0.1:9/none.toml");
    input
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("input", &init).unwrap())
        .unwrap();
    click(&host, "#editor-fetch");
    sleep_ms(500).await;
    assert!(text(&host, "#editor-notice").contains("Could not load"));
    assert_eq!(text_value(&host), other);
}

#[wasm_bindgen_test]
fn the_language_switch_shows_the_pages_language_and_tags_are_read_loosely() {
    use racelab_web::i18n::{self, Lang};
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    let _keep = leptos::mount::mount_to(host.clone().unchecked_into(), || {
        i18n::provide(Lang::Ru);
        view! { <i18n::LangSwitch/> }
    });
    let select: web_sys::HtmlSelectElement = q(&host, "#lang").unchecked_into();
    assert_eq!(select.value(), "ru");
    assert_eq!(select.length(), 3);
    assert_eq!(attr(&host, "#lang", "aria-label"), "Язык");
    assert_eq!(Lang::from_code("pt-BR"), Some(Lang::Pt));
    assert_eq!(Lang::from_code("RU"), Some(Lang::Ru));
    assert_eq!(Lang::from_code("de-DE"), None);
    assert_eq!(i18n::trf(Lang::Pt, "line {}", &[&5]), "linha 5");
}

#[wasm_bindgen_test]
async fn the_theme_switch_sets_the_theme_and_keeps_the_choice() {
    clear_storage();
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    let _keep = leptos::mount::mount_to(host.clone().unchecked_into(), || {
        view! { <racelab_web::ThemeSwitch/> }
    });
    let html = document().document_element().unwrap();
    let select: web_sys::HtmlSelectElement = q(&host, "#theme").unchecked_into();
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    for (value, attr) in [
        ("dark", Some("dark")),
        ("light", Some("light")),
        ("system", None),
    ] {
        select.set_value(value);
        select
            .dispatch_event(&web_sys::Event::new_with_event_init_dict("change", &init).unwrap())
            .unwrap();
        assert_eq!(html.get_attribute("data-theme").as_deref(), attr);
        assert_eq!(
            racelab_web::store::get("racelab-theme").as_deref(),
            Some(value)
        );
    }
}

#[wasm_bindgen_test]
async fn embed_mode_has_little_chrome_and_a_way_out() {
    let (host, _keep) = mount_at(LessonAt {
        slug: "lost-update".into(),
        variant: Some("for-update".into()),
        embed: true,
        ..LessonAt::default()
    });
    leptos::task::tick().await;
    assert!(q(&host, "#lesson").class_list().contains("embed"));
    assert!(host.query_selector("section.trace").unwrap().is_none());
    assert!(host.query_selector("#embed-snippet").unwrap().is_none());
    let out = attr(&host, ".embed-footer a", "href");
    assert!(
        out.ends_with("#/lesson/lost-update?variant=for-update"),
        "{out}"
    );
    assert!(!racelab_web::embed::in_frame());
}

#[wasm_bindgen_test]
fn shipped_lessons_list_their_titles_in_each_language_and_name_their_compiled_file() {
    use racelab_web::i18n::Lang;
    use racelab_web::lessons::{self, LessonText};
    let cases = lessons::find("balance-cases").expect("a shipped lesson");
    let (en, _) = cases.title_intro(Lang::En);
    let (ru, ru_intro) = cases.title_intro(Lang::Ru);
    assert!(en.starts_with("Balance cases"), "{en}");
    assert_ne!(ru, en, "balance-cases is translated into Russian");
    assert!(!ru_intro.is_empty());
    // No Portuguese translation: the lesson's own words.
    assert_eq!(cases.title_intro(Lang::Pt).0, en);
    // The file the reader's page fetches carries the hash of the bytes this build embeds.
    let lost = lessons::find("lost-update").unwrap();
    assert_eq!(lost.hash.len(), 16);
    assert_eq!(
        lost.path(),
        format!("lessons/lost-update-{}.lesson", lost.hash)
    );
    let source = LessonText::builtin("lost-update").unwrap();
    assert!(source.text.contains(lost.hash), "{}", source.text);
    assert!(
        source.text.ends_with(&lost.path()) && source.text.contains("://"),
        "a job names the compiled file by its absolute URL: {}",
        source.text
    );
    assert!(lessons::find("no-such-lesson").is_none());
}

#[wasm_bindgen_test]
fn a_job_on_a_shipped_lesson_runs_from_its_compiled_bytes_and_refuses_another_version() {
    use racelab_web::lessons::{self, LessonText};
    let source = LessonText::builtin("lost-update").unwrap();
    let job = source.job(1, "exit".into(), 1);
    let table = lessons::run_job(&job, |_| false).expect("the for-update case table");
    assert_eq!(table.variant, "for-update");
    assert!(table.tally.ok > 0, "{:?}", table.tally);
    // A job made by an older page (another hash) is refused, not run on the wrong lesson.
    let mut old = job.clone();
    old.text = old
        .text
        .replacen("# compiled lesson ", "# compiled lesson 0", 1);
    let e = lessons::run_job(&old, |_| false).unwrap_err();
    assert!(e.contains("reload the page"), "{e}");
}
