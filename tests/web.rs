//! Browser tests (wasm-bindgen-test in headless Chromium): mount the lesson page, click, read the DOM.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use racelab_web::pages::lesson::LessonPage;
use racelab_web::route::LessonAt;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

fn mount(slug: &str, variant: Option<&str>) -> (web_sys::Element, impl Drop) {
    let slug = slug.to_string();
    let variant = variant.map(str::to_string);
    mount_at(LessonAt {
        slug,
        variant,
        ..LessonAt::default()
    })
}

fn mount_at(at: LessonAt) -> (web_sys::Element, impl Drop) {
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    let handle = leptos::mount::mount_to(host.clone().unchecked_into(), move || {
        view! { <LessonPage at=at.clone()/> }
    });
    (host, handle)
}

fn q(host: &web_sys::Element, sel: &str) -> web_sys::Element {
    host.query_selector(sel)
        .unwrap()
        .unwrap_or_else(|| panic!("no element matches {sel}"))
}

fn click(host: &web_sys::Element, sel: &str) {
    q(host, sel).unchecked_into::<HtmlElement>().click();
}

fn attr(host: &web_sys::Element, sel: &str, name: &str) -> String {
    q(host, sel).get_attribute(name).unwrap_or_default()
}

fn text(host: &web_sys::Element, sel: &str) -> String {
    q(host, sel).text_content().unwrap_or_default()
}

fn lane_status(host: &web_sys::Element, client: &str) -> String {
    attr(
        host,
        &format!("section.lane[data-client='{client}']"),
        "data-status",
    )
}

fn line_state(host: &web_sys::Element, client: &str, line: usize) -> String {
    attr(
        host,
        &format!("section.lane[data-client='{client}'] li.line[data-line='{line}']"),
        "data-state",
    )
}

fn verdict(host: &web_sys::Element, assertion: &str) -> String {
    attr(
        host,
        &format!("li.assertion[data-assertion='{assertion}']"),
        "data-verdict",
    )
}

fn balance(host: &web_sys::Element) -> String {
    text(host, "td[data-column='balance']")
}

#[wasm_bindgen_test]
async fn lesson_page_mounts_with_two_lanes_and_pending_assertions() {
    let (host, _keep) = mount("lost-update", None);
    leptos::task::tick().await;
    assert_eq!(host.query_selector_all("section.lane").unwrap().length(), 2);
    assert_eq!(attr(&host, "#lesson", "data-variant"), "naive");
    assert_eq!(lane_status(&host, "T1"), "runnable");
    assert_eq!(line_state(&host, "T1", 1), "next");
    assert_eq!(balance(&host), "500");
    assert_eq!(verdict(&host, "balance-is-100"), "pending");
}

#[wasm_bindgen_test]
async fn a_step_moves_one_client_and_the_clock() {
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    click(&host, "section.lane[data-client='T2'] button.step");
    leptos::task::tick().await;
    assert_eq!(line_state(&host, "T2", 1), "done");
    assert_eq!(line_state(&host, "T2", 2), "next");
    assert_eq!(line_state(&host, "T1", 1), "next");
    assert_eq!(
        text(&host, "section.lane[data-client='T2'] .lane-clock"),
        "5 ms"
    );
    assert_eq!(text(&host, "#clock"), "5 ms");
    assert_eq!(
        host.query_selector_all("#trace li.event").unwrap().length(),
        1
    );
    assert_eq!(text(&host, ".next-hint"), "next event: T1 at 5 ms");
    assert_eq!(
        host.query_selector_all("#trace li.latest")
            .unwrap()
            .length(),
        1
    );
}

#[wasm_bindgen_test]
async fn for_update_blocks_then_passes() {
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    for _ in 0..4 {
        click(&host, "#next-event");
        leptos::task::tick().await;
    }
    assert_eq!(lane_status(&host, "T2"), "blocked");
    let lock = text(&host, ".row-lock");
    assert!(
        lock.contains("locked by T1 (FOR UPDATE)") && lock.contains("waiting: T2"),
        "{lock}"
    );
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(balance(&host), "100");
    assert_eq!(verdict(&host, "balance-is-100"), "pass");
    assert_eq!(
        text(&host, "section.lane[data-client='T2'] .lane-clock"),
        "40 ms"
    );
    assert_eq!(text(&host, ".next-hint"), "the run is over");
}

#[wasm_bindgen_test]
async fn sessions_show_their_isolation_level_snapshot_and_lock_modes() {
    let (host, _keep) = mount("isolation-levels", Some("serializable"));
    leptos::task::tick().await;
    let sessions = text(&host, ".pg-sessions");
    assert!(
        sessions.contains("ALICE") && sessions.contains("serializable"),
        "{sessions}"
    );
    // BEGIN for everyone, then the first query takes each transaction's snapshot.
    for _ in 0..6 {
        click(&host, "#next-event");
        leptos::task::tick().await;
    }
    let sessions = text(&host, ".pg-sessions");
    assert!(sessions.contains("in transaction"), "{sessions}");
    assert!(sessions.contains("snapshot at commit #"), "{sessions}");
}

#[wasm_bindgen_test]
async fn a_deadlock_and_its_victim_are_shown() {
    let (host, _keep) = mount("deadlock", Some("opposite-order"));
    leptos::task::tick().await;
    // Both BEGINs, both first UPDATEs, then each second UPDATE waits for the other's row.
    for _ in 0..6 {
        click(&host, "#next-event");
        leptos::task::tick().await;
    }
    let deadlock = text(&host, ".pg-deadlock");
    assert!(
        deadlock.contains("T1") && deadlock.contains("T2"),
        "{deadlock}"
    );
    // A second later T1's deadlock check runs first: T1 is the victim, T2 goes on.
    click(&host, "#next-event");
    leptos::task::tick().await;
    let sessions = text(&host, ".pg-sessions");
    assert!(sessions.contains("deadlock victim"), "{sessions}");
    assert!(host.query_selector(".pg-deadlock").unwrap().is_none());
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(verdict(&host, "both-applied"), "pass");
    assert_eq!(verdict(&host, "within-timeout"), "fail");
}

#[wasm_bindgen_test]
async fn an_injected_exit_crashes_the_client() {
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    click(
        &host,
        "section.lane[data-client='T1'] li.line[data-line='5'] button.inject-exit",
    );
    leptos::task::tick().await;
    assert!(text(
        &host,
        "section.lane[data-client='T1'] li.line[data-line='5']"
    )
    .contains("exit"));
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(lane_status(&host, "T1"), "crashed");
    assert_eq!(lane_status(&host, "T2"), "done");
    assert_eq!(balance(&host), "300");
}

#[wasm_bindgen_test]
async fn an_exit_after_commit_crashes_the_client_but_keeps_its_commit() {
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    let line5 = "section.lane[data-client='T1'] li.line[data-line='5']";
    click(&host, &format!("{line5} button.inject-exit-after"));
    leptos::task::tick().await;
    assert_eq!(text(&host, &format!("{line5} .fault")), "exit after");
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(lane_status(&host, "T1"), "crashed");
    assert_eq!(lane_status(&host, "T2"), "done");
    assert_eq!(
        balance(&host),
        "100",
        "T1's COMMIT took effect before it died"
    );
    assert!(text(&host, "ol#trace").contains("EXIT injected after the line"));
}

#[wasm_bindgen_test]
async fn cache_aside_slow_reader_leaves_the_old_price_in_redis() {
    let (host, _keep) = mount("stale-cache", Some("cache-aside"));
    leptos::task::tick().await;
    let step = |c: &str| format!("section.lane[data-client='{c}'] button.step");
    // READER: GET (miss), the branch, SELECT 80000; WRITER: UPDATE 60000, DEL; READER: sleep, SETEX.
    for c in [
        "READER", "READER", "READER", "WRITER", "WRITER", "READER", "READER",
    ] {
        click(&host, &step(c));
        leptos::task::tick().await;
    }
    let phone = "section[data-service='redis'] tr.redis-key[data-key='product:phone-z1']";
    assert_eq!(text(&host, &format!("{phone} td.value")), "80000");
    assert!(text(&host, &format!("{phone} td.ttl")).contains("60 s"));
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(verdict(&host, "slow-reader"), "fail");
    let db_phone =
        "section[data-service='postgres'] tr.db-row[data-key='(phone-z1)'] td[data-column='price']";
    assert_eq!(text(&host, db_phone), "60000");
    assert!(text(&host, "section[data-service='redis'] .redis-stats").contains("misses"));
}

#[wasm_bindgen_test]
async fn an_unknown_lesson_shows_a_message() {
    let (host, _keep) = mount("no-such-lesson", None);
    leptos::task::tick().await;
    let msg = text(&host, "#error");
    assert!(msg.contains("no-such-lesson"), "{msg}");
}

#[wasm_bindgen_test]
async fn an_unknown_variant_falls_back_to_the_first_and_says_so() {
    let (host, _keep) = mount("lost-update", Some("nope"));
    leptos::task::tick().await;
    assert_eq!(attr(&host, "#lesson", "data-variant"), "naive");
    let msg = text(&host, "#error");
    assert!(msg.contains("no variant \"nope\""), "{msg}");
    // The page still works.
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(balance(&host), "300");
}

#[wasm_bindgen_test]
async fn the_trace_highlights_what_the_last_step_did() {
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    // BEGIN, BEGIN, SELECT … FOR UPDATE (T1 locks), the same for T2 (waits), compute, UPDATE,
    // and T1's COMMIT, which also wakes T2: the last step made two events.
    for _ in 0..7 {
        click(&host, "#next-event");
        leptos::task::tick().await;
    }
    let latest = host.query_selector_all("#trace li.latest").unwrap();
    assert_eq!(latest.length(), 2);
    let woken = latest.item(1).unwrap().text_content().unwrap();
    assert!(
        woken.contains("T2") && woken.contains("(lock granted)") && woken.contains("300"),
        "{woken}"
    );
    assert_eq!(lane_status(&host, "T2"), "runnable");
}

// The router is plain Rust, tested here with the rest of the web crate (the web crate is built
// for wasm32 only in the test pipeline).
#[wasm_bindgen_test]
fn parses_routes() {
    use racelab_web::route::{EditAt, Route};
    assert_eq!(Route::parse(""), Route::List);
    assert_eq!(Route::parse("#/"), Route::List);
    assert_eq!(
        Route::parse("#/lesson/lost-update"),
        Route::lesson("lost-update", None)
    );
    assert_eq!(
        Route::parse("#/lesson/lost-update?variant=for-update"),
        Route::lesson("lost-update", Some("for-update"))
    );
    assert_eq!(Route::parse("#/nope"), Route::NotFound("/nope".into()));
    assert_eq!(
        Route::parse("#/lesson/a/b"),
        Route::NotFound("/lesson/a/b".into())
    );
    // A moment: the replay id and the fault plan stay readable in the URL, and round-trip.
    let at = LessonAt {
        slug: "a".into(),
        variant: Some("b".into()),
        run: Some("b~3:0.1.0x.0s60000".into()),
        faults: Some("exit@T1:5,sleep=60000@T 2:3".into()),
        embed: true,
    };
    let href = Route::Lesson(at.clone()).href();
    assert_eq!(
        href,
        "#/lesson/a?run=b~3:0.1.0x.0s60000&faults=exit@T1:5,sleep=60000@T%202:3&embed=1"
    );
    // The run names the variant: `variant` is not written beside it.
    let mut back = at.clone();
    back.variant = None;
    assert_eq!(Route::parse(&href), Route::Lesson(back));
    let r = Route::lesson("a", Some("b"));
    assert_eq!(Route::parse(&r.href()), r);
    // Editor routes, and a query that does not decode is kept as written.
    assert_eq!(
        Route::parse("#/edit?lesson=1.abc"),
        Route::Edit(EditAt {
            from: None,
            shared: Some("1.abc".into())
        })
    );
    assert_eq!(
        Route::parse("#/edit/lost-update"),
        Route::Edit(EditAt {
            from: Some("lost-update".into()),
            shared: None
        })
    );
    assert_eq!(
        Route::parse("#/lesson/a?run=%zz"),
        Route::Lesson(LessonAt {
            slug: "a".into(),
            run: Some("%zz".into()),
            ..LessonAt::default()
        })
    );
}

#[wasm_bindgen_test]
async fn the_explorer_lists_every_case_and_a_row_replays_into_the_lanes() {
    // No cached table from an earlier run of this test.
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        s.clear().unwrap();
    }
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    click(&host, "#explore-run");
    leptos::task::tick().await;
    // The test page has no module link to start a worker from: the page explores itself.
    let status = text(&host, "#explore-status");
    assert_eq!(
        attr(&host, "#explore-status", "data-state"),
        "done",
        "{status}"
    );
    assert!(status.contains("explored in the page"), "{status}");
    // The lesson's own case table ([variant.explore]): four fault kinds, 1 ok / 38 bad.
    assert!(status.contains("1 ok / 38 bad"), "{status}");
    let row = "tr.case[data-case='exit before T1:5']";
    assert_eq!(attr(&host, row, "data-verdict"), "bad");
    assert_eq!(
        attr(&host, "tr.case[data-case='no fault']", "data-verdict"),
        "ok"
    );
    click(&host, &format!("{row} button.replay"));
    leptos::task::tick().await;
    assert_eq!(lane_status(&host, "T1"), "crashed");
    assert_eq!(lane_status(&host, "T2"), "done");
    assert_eq!(balance(&host), "300");
    // A second run of the same job comes from the cache.
    click(&host, "#explore-run");
    leptos::task::tick().await;
    let status = text(&host, "#explore-status");
    assert!(status.contains("cache"), "{status}");
}

#[wasm_bindgen_test]
async fn a_break_goal_is_won_by_the_schedule_and_hints_come_one_at_a_time() {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        s.clear().unwrap();
    }
    let (host, _keep) = mount("lost-update", Some("naive"));
    leptos::task::tick().await;
    let goal = "li.goal[data-kind='break']";
    assert_eq!(attr(&host, goal, "data-won"), "false");
    assert_eq!(host.query_selector_all("li.hint").unwrap().length(), 0);
    click(&host, &format!("{goal} button.hint-next"));
    leptos::task::tick().await;
    assert_eq!(
        host.query_selector_all("li.hint").unwrap().length(),
        1,
        "{}",
        q(&host, goal).outer_html()
    );
    // A serial order keeps both debits: not won.
    for _ in 0..5 {
        click(&host, "section.lane[data-client='T1'] button.step");
        leptos::task::tick().await;
    }
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(attr(&host, goal, "data-won"), "false");
    click(&host, "#reset");
    for client in ["T1", "T1", "T2", "T2"] {
        click(
            &host,
            &format!("section.lane[data-client='{client}'] button.step"),
        );
        leptos::task::tick().await;
    }
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(balance(&host), "300");
    assert_eq!(attr(&host, goal, "data-won"), "true");
    assert!(text(&host, goal).contains("won"));
}

#[wasm_bindgen_test]
async fn a_fix_goal_is_won_by_a_case_table_without_a_bad_case() {
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    let goal = "li.goal[data-kind='fix']";
    assert_eq!(attr(&host, goal, "data-won"), "false");
    click(&host, &format!("{goal} button.goal-check"));
    leptos::task::tick().await;
    assert_eq!(attr(&host, goal, "data-won"), "true");
    assert!(
        text(&host, goal).contains("No failing case"),
        "{}",
        text(&host, goal)
    );
}

#[wasm_bindgen_test]
async fn the_operation_log_prints_the_documents_timeline() {
    let (host, _keep) = mount("stale-cache", Some("observable"));
    leptos::task::tick().await;
    // Nothing logged yet: no panel.
    assert!(host.query_selector("#oplog").unwrap().is_none());
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    let log = text(&host, "#oplog");
    let update = log
        .find("DB_UPDATE product_id=laptop-x1 new_price=5000")
        .expect(&log);
    let stale = log
        .find("CACHE_HIT product_id=laptop-x1 price=10000")
        .expect(&log);
    assert!(
        update < stale,
        "the stale hit comes after the update: {log}"
    );
    assert_eq!(
        attr(&host, "#oplog li.op:first-child", "data-client"),
        "ADMIN"
    );
}

#[wasm_bindgen_test]
async fn a_client_group_is_one_lane_that_opens_to_its_members() {
    let (host, _keep) = mount("stampede", Some("naive"));
    leptos::task::tick().await;
    let group = "section.lane.group[data-group='R']";
    assert_eq!(attr(&host, group, "data-summary"), "100 runnable");
    assert!(text(&host, &format!("{group} h2")).contains("R (100 clients)"));
    // Members are hidden until asked for.
    assert!(host
        .query_selector("section.lane[data-client='R1']")
        .unwrap()
        .is_none());
    click(&host, &format!("{group} button.step"));
    leptos::task::tick().await;
    assert_eq!(attr(&host, group, "data-summary"), "100 runnable");
    click(&host, &format!("{group} button.expand"));
    leptos::task::tick().await;
    assert_eq!(lane_status(&host, "R1"), "runnable");
    assert_eq!(
        line_state(&host, "R1", 1),
        "done",
        "the group's Step moved R1"
    );
    assert_eq!(line_state(&host, "R2", 1), "next");
    assert_eq!(
        host.query_selector_all(&format!("{group} section.lane"))
            .unwrap()
            .length(),
        100
    );
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(attr(&host, group, "data-summary"), "100 done");
    assert!(host
        .query_selector(&format!("{group} button.step"))
        .unwrap()
        .unwrap()
        .has_attribute("disabled"));
}

#[wasm_bindgen_test]
async fn forward_redoes_what_back_undid() {
    let (host, _keep) = mount("lost-update", Some("naive"));
    leptos::task::tick().await;
    assert!(q(&host, "#forward").has_attribute("disabled"));
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(balance(&host), "300");
    click(&host, "#back");
    leptos::task::tick().await;
    assert!(!q(&host, "#forward").has_attribute("disabled"));
    click(&host, "#forward");
    leptos::task::tick().await;
    assert_eq!(balance(&host), "300");
    assert!(q(&host, "#forward").has_attribute("disabled"));
    // Reset keeps the run to redo; a step of one's own starts a new history.
    click(&host, "#reset");
    leptos::task::tick().await;
    assert!(!q(&host, "#forward").has_attribute("disabled"));
    click(&host, "section.lane[data-client='T2'] button.step");
    leptos::task::tick().await;
    assert!(q(&host, "#forward").has_attribute("disabled"));
}

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
    let text = include_str!("../lessons/two-records.toml");
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
    let good = include_str!("../lessons/lost-update.toml");
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
    let lesson = include_str!("../lessons/deadlock.toml");
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
        ("lib.rs", include_str!("../src/lib.rs")),
        ("i18n/mod.rs", include_str!("../src/i18n/mod.rs")),
        ("pages/lesson.rs", include_str!("../src/pages/lesson.rs")),
        ("pages/edit.rs", include_str!("../src/pages/edit.rs")),
        ("pages/list.rs", include_str!("../src/pages/list.rs")),
        (
            "components/assertions.rs",
            include_str!("../src/components/assertions.rs"),
        ),
        (
            "components/controls.rs",
            include_str!("../src/components/controls.rs"),
        ),
        (
            "components/explorer.rs",
            include_str!("../src/components/explorer.rs"),
        ),
        (
            "components/goals.rs",
            include_str!("../src/components/goals.rs"),
        ),
        (
            "components/group.rs",
            include_str!("../src/components/group.rs"),
        ),
        (
            "components/lane.rs",
            include_str!("../src/components/lane.rs"),
        ),
        (
            "components/services.rs",
            include_str!("../src/components/services.rs"),
        ),
        (
            "components/trace.rs",
            include_str!("../src/components/trace.rs"),
        ),
    ];
    let mut used = Vec::new();
    for (file, src) in SOURCES {
        for (i, _) in src.match_indices("tr(") {
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
