//! Replay ids: a short text naming a variant and the exact actions of an execution, faults
//! included, e.g. `for-update:0.1.0x.1.1` (T1 steps, T2 steps, T1 exits, …). Decoding checks
//! everything and says what is wrong; it never panics.
//!
//! One action per `.`-separated token: `3` client 3 steps (clients from 0), `t1` service 1's
//! timer, and a fault on a client: `0x` exit, `0a` exit-after, `0e` error, `0o` timeout,
//! `0s60000` sleep, `0d1` service 1 down, `0u1` up, `0w1-50` slow by 50 ms.
//!
//! An execution of a lesson whose client groups the explorer cut to `k` members
//! ([`Lesson::bounded`]) says so after the slug: `stampede~3:0.1.2`.

use crate::fault::{Fault, FaultPlan};
use crate::lesson::Lesson;
use crate::model::{Action, Model, MAX_STEPS};
use crate::run::Run;
use std::sync::Arc;

/// The id of `actions` in the variant with slug `slug`.
pub fn encode(slug: &str, actions: &[Action]) -> String {
    let tokens: Vec<String> = actions.iter().map(token).collect();
    format!("{slug}:{}", tokens.join("."))
}

/// The id of `actions` in `m`'s variant (with the group limit its lesson was cut to).
pub fn id_of(m: &Model, actions: &[Action]) -> String {
    let lesson = m.lesson();
    let slug = &lesson.variants[m.variant()].slug;
    match lesson.limit {
        Some(k) => encode(&format!("{slug}~{k}"), actions),
        None => encode(slug, actions),
    }
}

/// One action as a replay id writes it (`0`, `t1`, `0x`, `0s60000`).
pub fn token(a: &Action) -> String {
    match *a {
        Action::Step(c) => c.to_string(),
        Action::Timer(s) => format!("t{s}"),
        Action::Fault { client, fault } => {
            let f = match fault {
                Fault::Exit => "x".to_string(),
                Fault::ExitAfter => "a".into(),
                Fault::Error => "e".into(),
                Fault::Timeout => "o".into(),
                Fault::Sleep(ms) => format!("s{ms}"),
                Fault::Down(s) => format!("d{s}"),
                Fault::Up(s) => format!("u{s}"),
                Fault::Slow(s, ms) => format!("w{s}-{ms}"),
            };
            format!("{client}{f}")
        }
    }
}

/// The variant slug and the actions of an id (not checked against a lesson).
pub fn decode(id: &str) -> Result<(String, Vec<Action>), String> {
    let usage = "a replay id reads VARIANT:ACTIONS, e.g. for-update:0.1.0x.1";
    let (slug, rest) = id
        .trim()
        .split_once(':')
        .ok_or_else(|| format!("`{id}` is not a replay id: {usage}"))?;
    if slug.is_empty() {
        return Err(format!("`{id}` names no variant: {usage}"));
    }
    if rest.is_empty() {
        return Ok((slug.to_string(), Vec::new()));
    }
    let tokens: Vec<&str> = rest.split('.').collect();
    if tokens.len() > MAX_STEPS {
        return Err(format!("`{id}` has more than {MAX_STEPS} actions"));
    }
    let actions = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| parse_token(t).map_err(|why| format!("action {} `{t}`: {why}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((slug.to_string(), actions))
}

fn number<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{s}` is not a number"));
    }
    s.parse().map_err(|_| format!("`{s}` is too large"))
}

/// A length in virtual milliseconds: at most about 30 years, so clocks never overflow.
fn millis(s: &str) -> Result<u64, String> {
    const MAX_MS: u64 = 1_000_000_000_000;
    let ms: u64 = number(s)?;
    if ms > MAX_MS {
        return Err(format!("{ms} ms is longer than {MAX_MS} ms"));
    }
    Ok(ms)
}

fn parse_token(t: &str) -> Result<Action, String> {
    if let Some(s) = t.strip_prefix('t') {
        return Ok(Action::Timer(number(s)?));
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (client, kind) = t.split_at(split);
    if client.is_empty() {
        return Err("an action starts with a client number, like `0`, `1x` or `0s60000`".into());
    }
    let client: usize = number(client)?;
    let fault = match kind {
        "" => return Ok(Action::Step(client)),
        "x" => Fault::Exit,
        "a" => Fault::ExitAfter,
        "e" => Fault::Error,
        "o" => Fault::Timeout,
        _ => {
            let (code, arg) = kind.split_at(1);
            match code {
                "s" => Fault::Sleep(millis(arg)?),
                "d" => Fault::Down(number(arg)?),
                "u" => Fault::Up(number(arg)?),
                "w" => {
                    let (s, ms) = arg
                        .split_once('-')
                        .ok_or("write slow as CLIENTwSERVICE-MS")?;
                    Fault::Slow(number(s)?, millis(ms)?)
                }
                _ => return Err(format!("unknown fault code `{kind}`")),
            }
        }
    };
    Ok(Action::Fault { client, fault })
}

/// The lesson (cut to the id's group limit), the variant index and the actions of an id,
/// checked against `lesson`.
pub fn resolve(
    lesson: &Arc<Lesson>,
    id: &str,
) -> Result<(Arc<Lesson>, usize, Vec<Action>), String> {
    let (slug, actions) = decode(id)?;
    let (slug, limit) = match slug.split_once('~') {
        Some((s, k)) => {
            let k: usize = number(k).map_err(|e| format!("group limit: {e}"))?;
            if k == 0 {
                return Err("a group limit is at least 1".into());
            }
            (s.to_string(), Some(k))
        }
        None => (slug, None),
    };
    let lesson = lesson.bounded(limit)?;
    let v = lesson.variant_index(&slug).ok_or_else(|| {
        let names: Vec<&str> = lesson.variants.iter().map(|v| v.slug.as_str()).collect();
        format!("no variant `{slug}` (variants: {})", names.join(", "))
    })?;
    for a in &actions {
        let service = match *a {
            Action::Timer(s) => Some(s),
            Action::Fault { fault, .. } => fault.health().map(|(s, _)| s),
            Action::Step(_) => None,
        };
        if a.client().is_some_and(|c| c >= lesson.clients.len()) {
            return Err(format!(
                "`{}`: no such client (the lesson's clients are numbered 0 to {})",
                token(a),
                lesson.clients.len().saturating_sub(1)
            ));
        }
        if service.is_some_and(|s| s >= lesson.services.len()) {
            return Err(format!("`{}`: no such service", token(a)));
        }
    }
    Ok((lesson, v, actions))
}

/// Replays the execution an id names. Errors say which action could not be taken.
pub fn replay(lesson: &Arc<Lesson>, id: &str) -> Result<Run, String> {
    let (lesson, v, actions) = resolve(lesson, id)?;
    replay_actions(lesson, v, FaultPlan::new(), &actions)
}

/// A run of variant `v` with `plan`, after `actions`; errors name the action that cannot be
/// taken, as the id writes it.
pub fn replay_actions(
    lesson: Arc<Lesson>,
    v: usize,
    plan: FaultPlan,
    actions: &[Action],
) -> Result<Run, String> {
    let mut r = Run::new(lesson, v, plan);
    for (i, a) in actions.iter().enumerate() {
        r.act(*a)
            .map_err(|e| format!("action {} `{}` of the replay id: {e}", i + 1, token(a)))?;
    }
    Ok(r)
}
