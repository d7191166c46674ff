//! The variant's challenges (`[[goal]]`): "Break it" is won by the run in the lanes (the engine
//! judges it: [`Run::wins_break_goal`]); "Fix it" by a case table of the variant with no bad
//! case, explored on demand. Hints come one at a time; a won goal is remembered in
//! localStorage.
//!
//! [`Run::wins_break_goal`]: racelab_engine::run::Run::wins_break_goal

use crate::embed::{self, F};
use crate::i18n::{tr, trf, use_lang};
use crate::lessons::LessonText;
use crate::run_handle::RunHandle;
use crate::store;
use crate::worker::{self, Message, Running};
use leptos::prelude::*;
use racelab_engine::explore::wire::TableView;
use racelab_engine::lesson::Goal;

fn key(slug: &str, g: usize) -> String {
    format!("racelab-goal:{slug}:{g}")
}

fn won_before(slug: &str, g: usize) -> bool {
    store::get(&key(slug, g)).is_some()
}

fn remember(slug: &str, g: usize) {
    store::set(&key(slug, g), "won");
}

#[component]
pub fn Goals(variant: usize) -> impl IntoView {
    let handle = RunHandle::use_context();
    let lang = use_lang();
    let slug = expect_context::<LessonText>().slug;
    let goals: Vec<(usize, Goal)> = handle.with_untracked(|r| {
        r.lesson()
            .goals
            .iter()
            .enumerate()
            .filter(|(_, g)| g.variant == variant)
            .map(|(i, g)| (i, g.clone()))
            .collect()
    });
    if goals.is_empty() {
        return None;
    }
    let items = goals
        .into_iter()
        .map(|(i, g)| view! { <GoalItem slug=slug.clone() index=i goal=g/> })
        .collect_view();
    Some(view! {
        <section class="goals" aria-label=tr(lang, "Challenges")>
            <h2>{tr(lang, "Challenges")}</h2>
            <ul class="goal-list">{items}</ul>
        </section>
    })
}

#[derive(Clone, Debug, PartialEq)]
enum Check {
    Idle,
    Running,
    Done(TableView),
    Failed(String),
}

#[component]
fn GoalItem(slug: String, index: usize, goal: Goal) -> impl IntoView {
    let handle = RunHandle::use_context();
    let lang = use_lang();
    let check = RwSignal::new(Check::Idle);
    let is_break = goal.is_break();
    let before = won_before(&slug, index);
    let slug2 = slug.clone();
    let (kind, label) = if is_break {
        ("break", tr(lang, "Break it"))
    } else {
        ("fix", tr(lang, "Fix it"))
    };
    let says = goal.says.clone();
    let won = Memo::new(move |was: Option<&bool>| {
        let now = if is_break {
            handle.with(|r| r.wins_break_goal(index))
        } else {
            matches!(check.get(), Check::Done(t) if t.tally.bad == 0 && t.stopped.is_none())
        };
        if now && was != Some(&true) {
            remember(&slug2, index);
            embed::post(
                "challenge-won",
                &slug2,
                &[
                    ("goal", F::N(index as f64)),
                    ("kind", F::S(kind)),
                    ("says", F::S(&says)),
                ],
            );
        }
        now
    });
    let faults = if goal.faults.is_empty() {
        tr(lang, "no faults: the schedule alone").to_string()
    } else {
        trf(lang, "at most one fault: {}", &[&goal.faults])
    };
    let fix_check = (!is_break).then(|| view! { <FixCheck goal=goal.clone() check=check/> });
    view! {
        <li class="goal" data-kind=kind data-won=move || won.get().to_string()>
            <p>
                <strong class="goal-kind">{label}": "</strong>{goal.says.clone()}
                " "<span class="goal-faults">"("{faults}")"</span>
                <span class="goal-state" role="status">
                    {move || if won.get() { tr(lang, " ✔ won") } else if before { tr(lang, " (won before)") } else { "" }}
                </span>
            </p>
            {fix_check}
            <Hints hints=goal.hints.clone()/>
        </li>
    }
}

/// A fix goal's check: the variant's case table with the goal's faults, explored on demand.
#[component]
fn FixCheck(goal: Goal, check: RwSignal<Check>) -> impl IntoView {
    let lang = use_lang();
    let running = StoredValue::new_local(None::<Running>);
    let job = expect_context::<LessonText>().job(
        goal.variant,
        goal.faults.clone(),
        usize::from(!goal.faults.is_empty()),
    );
    let run_check = move |_| {
        check.set(Check::Running);
        let started = worker::start(&job, move |m| match m {
            Message::Table(t) => check.set(Check::Done(t)),
            Message::Error(e) => check.set(Check::Failed(e)),
            _ => {}
        });
        match started {
            Ok(r) => running.set_value(Some(r)),
            Err(why) => check.set(match crate::lessons::run_job_here(&job, |_| false, &why) {
                Ok(t) => Check::Done(t),
                Err(e) => Check::Failed(e),
            }),
        }
    };
    let check_text = move || match check.get() {
        Check::Idle => String::new(),
        Check::Running => tr(lang, "Exploring every schedule…").into(),
        Check::Failed(e) => e,
        Check::Done(t) if t.tally.bad == 0 => trf(
            lang,
            "No failing case in {} executions: fixed.",
            &[&racelab_engine::explore::count_text(t.stats.executions)],
        ),
        // The explorer's heading, quoted, names where the counterexamples are.
        Check::Done(t) => trf(
            lang,
            "{} of {} cases still fail: see {} for the counterexamples.",
            &[
                &t.tally.bad,
                &t.rows.len(),
                &format!("\"{}\"", tr(lang, "Every case")),
            ],
        ),
    };
    view! {
        <p><button class="goal-check" on:click=run_check
            disabled=move || check.get() == Check::Running>{tr(lang, "Check this variant")}</button>
        " "<span class="goal-check-result">{check_text}</span></p>
    }
}

/// A goal's hints, one more at each click.
#[component]
fn Hints(hints: Vec<String>) -> impl IntoView {
    let lang = use_lang();
    let shown = RwSignal::new(0usize);
    let total = hints.len();
    let shown_hints = move || {
        hints
            .iter()
            .take(shown.get())
            .map(|h| view! { <li class="hint">{h.clone()}</li> })
            .collect_view()
    };
    view! {
        <ol class="hints">{shown_hints}</ol>
        {(total > 0).then(|| view! {
            <button class="hint-next" disabled=move || { shown.get() >= total }
                on:click=move |_| shown.update(|n| *n += 1)>
                {move || trf(lang, "Hint ({} of {})", &[&(shown.get() + 1).min(total), &total])}
            </button>
        })}
    }
}
