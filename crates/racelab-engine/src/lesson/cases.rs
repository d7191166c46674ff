//! What a variant declares beyond its scripts: the verdicts it expects (`expect`), its case
//! table (`[variant.explore]`) and the faults that are part of its story (`faults = [...]`).

use super::group::clients_named;
use super::raw::{RawExplore, RawVariant};
use super::source::{LessonError, Location, Source};
use super::{ExpectedTally, ExploreSpec, Lesson, DEFAULT_EXPLORE_FAULTS, DEFAULT_GROUP_LIMIT};
use crate::property::{self, Property};
use toml::Spanned;

/// Each variant's scenario faults, read once the clients and services are known.
pub(super) fn scenarios(
    lesson: &mut Lesson,
    raw: &[RawVariant],
    src: &Source,
    errors: &mut Vec<LessonError>,
) {
    for (v, rv) in raw.iter().enumerate() {
        let mut plan = crate::fault::FaultPlan::new();
        for spec in &rv.faults {
            match crate::fault::parse_spec(lesson, spec.get_ref()) {
                Ok((at, fault)) => {
                    plan.insert(at, fault);
                }
                Err(e) => errors.push(src.err(spec.span(), e)),
            }
        }
        if let Some(variant) = lesson.variants.get_mut(v) {
            variant.scenario = plan;
        }
    }
}

pub(super) fn explore_spec(
    e: &RawExplore,
    cx: &property::Context,
    name: &Spanned<String>,
    errors: &mut Vec<LessonError>,
) -> ExploreSpec {
    let src = cx.src;
    let fault_clients = e
        .clients
        .as_ref()
        .map(|names| clients_named(names, cx.client_names, cx.groups, src, errors));
    let tally = e.tally.as_ref().and_then(|t| {
        let parsed = parse_tally(t.get_ref());
        if parsed.is_none() {
            errors.push(src.err(
                t.span(),
                format!(
                    "write a tally as \"3 ok / 4 bad\" or \"3 ok / 4 bad, 1 mixed\", not \"{}\"",
                    t.get_ref()
                ),
            ));
        }
        let (ok, bad, mixed) = parsed?;
        Some(ExpectedTally {
            ok,
            bad,
            mixed,
            at: src.at(t.span().start),
        })
    });
    let (faults, faults_at) = match &e.faults {
        Some(f) => (f.get_ref().clone(), src.at(f.span().start)),
        None => (
            DEFAULT_EXPLORE_FAULTS.to_string(),
            src.at(name.span().start),
        ),
    };
    let group_limit = match &e.group_limit {
        None => DEFAULT_GROUP_LIMIT,
        Some(k) => match usize::try_from(*k.get_ref()) {
            Ok(k) if k >= 1 => k,
            _ => {
                errors.push(src.err(k.span(), "group_limit is at least 1"));
                DEFAULT_GROUP_LIMIT
            }
        },
    };
    ExploreSpec {
        faults,
        faults_at,
        max_faults: e.max_faults.unwrap_or(1),
        tally,
        document: e.document.as_ref().map(|d| d.trim().to_string()),
        group_limit,
        fault_clients,
    }
}

/// "3 ok / 4 bad" or "3 ok / 4 bad, 1 mixed".
fn parse_tally(t: &str) -> Option<(usize, usize, Option<usize>)> {
    let (main, mixed) = match t.split_once(',') {
        Some((m, x)) => (
            m,
            Some(x.trim().strip_suffix("mixed")?.trim().parse().ok()?),
        ),
        None => (t, None),
    };
    let (ok, bad) = main.split_once('/')?;
    let ok = ok.trim().strip_suffix("ok")?.trim().parse().ok()?;
    let bad = bad.trim().strip_suffix("bad")?.trim().parse().ok()?;
    Some((ok, bad, mixed))
}

pub(super) fn expectations(
    v: &RawVariant,
    src: &Source,
    assertions: &[Property],
    errors: &mut Vec<LessonError>,
) -> Vec<(usize, bool, Location)> {
    let mut expect = Vec::new();
    for (k, verdict) in &v.expect {
        let Some(idx) = assertions.iter().position(|a| &a.id == k.get_ref()) else {
            errors.push(src.err(
                k.span(),
                format!("no assertion with id \"{}\"", k.get_ref()),
            ));
            continue;
        };
        let passes = match verdict.get_ref().as_str() {
            "pass" => true,
            "fail" => false,
            other => {
                errors.push(src.err(
                    verdict.span(),
                    format!("expect \"pass\" or \"fail\", not \"{other}\""),
                ));
                continue;
            }
        };
        expect.push((idx, passes, src.at(k.span().start)));
    }
    expect
}
