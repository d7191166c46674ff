//! The case tables lessons expect (`[variant.explore] tally = "3 ok / 4 bad"`), checked by
//! `racelab check`: a lesson whose table changed fails at the line of its tally.

use super::{explore, Config, Progress};
use crate::fault;
use crate::lesson::source::LessonError;
use crate::lesson::Lesson;
use crate::model::Model;
use std::sync::Arc;

/// Explores every variant that declares a tally and reports each difference, located. `stop`
/// bounds the time (an exploration stopped early is reported, not judged).
pub fn check_tallies(
    lesson: &Arc<Lesson>,
    mut stop: impl FnMut(&Progress) -> bool,
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
        let r = explore(&Model::new(lesson.clone(), v), &cfg, Some(&mut stop));
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
