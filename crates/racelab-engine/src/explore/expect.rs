//! The case tables lessons expect (`[variant.explore] tally = "3 ok / 4 bad"`), checked by
//! `racelab check`: a lesson whose table changed fails at the line of its tally.

use super::{explore, Config, Progress};
use crate::fault;
use crate::lesson::source::LessonError;
use crate::lesson::{Goal, GoalKind, Lesson};
use crate::model::Model;
use std::sync::Arc;

/// Explores every variant that declares a tally and reports each difference, located.
/// `budget` gives each exploration its "stop now?" (an exploration stopped early is reported,
/// not judged).
pub fn check_tallies<S: FnMut(&Progress) -> bool>(
    lesson: &Arc<Lesson>,
    mut budget: impl FnMut() -> S,
) -> Vec<LessonError> {
    let mut out = Vec::new();
    for (v, variant) in lesson.variants.iter().enumerate() {
        let Some(spec) = &variant.explore else {
            continue;
        };
        let name = &variant.name;
        let faults = match fault::parse_kinds(lesson, &spec.faults) {
            Ok(f) => f,
            Err(e) => {
                out.push(LessonError {
                    at: spec.faults_at.clone(),
                    message: format!("variant \"{name}\": faults: {e}"),
                });
                continue;
            }
        };
        let Some(want) = &spec.tally else {
            continue;
        };
        let cfg = Config {
            faults,
            max_faults: spec.max_faults,
            ..Config::default()
        };
        let m = match super::model_for(lesson, v) {
            Ok(m) => m,
            Err(e) => {
                out.push(LessonError {
                    at: want.at.clone(),
                    message: format!("variant \"{name}\": {e}"),
                });
                continue;
            }
        };
        let mut stop = budget();
        let r = explore(&m, &cfg, Some(&mut stop));
        let message = if let Some(why) = r.stopped {
            format!("variant \"{name}\": the case table could not be checked ({why})")
        } else {
            let t = r.tally();
            if t.ok == want.ok && t.bad == want.bad && want.mixed.is_none_or(|m| m == t.mixed) {
                continue;
            }
            format!(
                "variant \"{name}\": the case table is now \"{} ok / {} bad, {} mixed\" (faults: {}), not what the lesson expects",
                t.ok, t.bad, t.mixed, spec.faults
            )
        };
        out.push(LessonError {
            at: want.at.clone(),
            message,
        });
    }
    out
}

/// Proves every `[[goal]]` winnable: a "break" goal's assertion fails in some execution the
/// student can make, a "fix" goal's variant fails in none (any schedule, with at most one fault
/// of the goal's kinds). Each problem is reported at the goal.
pub fn check_goals<S: FnMut(&Progress) -> bool>(
    lesson: &Arc<Lesson>,
    mut budget: impl FnMut() -> S,
) -> Vec<LessonError> {
    let mut out = Vec::new();
    for goal in &lesson.goals {
        let name = &lesson.variants[goal.variant].name;
        let problem = match goal_problem(lesson, goal, &mut budget()) {
            Ok(None) => continue,
            Ok(Some(p)) => p,
            Err(e) => format!("variant \"{name}\": {e}"),
        };
        out.push(LessonError {
            at: goal.at.clone(),
            message: problem,
        });
    }
    out
}

/// Why `goal` cannot be won (None: it can).
fn goal_problem(
    lesson: &Arc<Lesson>,
    goal: &Goal,
    stop: &mut impl FnMut(&Progress) -> bool,
) -> Result<Option<String>, String> {
    let m: Model = super::model_for(lesson, goal.variant)?;
    let variant = &lesson.variants[goal.variant];
    let kinds = &goal.faults;
    let cfg = Config {
        faults: fault::parse_kinds(lesson, kinds)?,
        max_faults: usize::from(!kinds.is_empty()),
        ..Config::default()
    };
    let r = explore(&m, &cfg, Some(stop));
    if let Some(why) = r.stopped {
        return Err(format!("the goal could not be checked ({why})"));
    }
    Ok(match &goal.kind {
        GoalKind::Break { assert, .. } => {
            let id = &lesson.assertions[*assert].id;
            let fails = r
                .outcomes
                .iter()
                .any(|o| o.verdicts.iter().any(|(a, v)| a == id && *v == "fail"));
            (!fails).then(|| {
                format!(
                    "this \"break\" goal cannot be won: no schedule of variant \"{}\" makes \"{id}\" fail (faults: {})",
                    variant.name,
                    if kinds.is_empty() { "none" } else { kinds }
                )
            })
        }
        GoalKind::Fix => {
            let t = r.tally();
            (t.bad > 0).then(|| {
                format!(
                    "this \"fix\" goal cannot be won: variant \"{}\" still has {} failing case(s) (faults: {})",
                    variant.name, t.bad, if kinds.is_empty() { "none" } else { kinds }
                )
            })
        }
    })
}
