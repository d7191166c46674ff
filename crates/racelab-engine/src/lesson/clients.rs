//! `[[client]]` entries: single clients and client groups (`count = 100`: that many clients
//! running one script, named NAME1, NAME2, …, interchangeable).

use super::group::clients_named;
pub use super::group::{Group, MAX_GROUP};
use super::raw::RawLesson;
use super::source::{LessonError, Source};
use super::{isolation, names, ClientDef};
use crate::value::Value;
use std::ops::Range;
use std::sync::Arc;

/// The clients, groups expanded into their members (at most `limit` each when given).
pub(super) fn clients(
    raw: &RawLesson,
    src: &Source,
    limit: Option<usize>,
    errors: &mut Vec<LessonError>,
) -> (Vec<ClientDef>, Vec<Group>) {
    let mut clients: Vec<ClientDef> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    for c in &raw.clients {
        let name = c.name.get_ref().trim().to_string();
        if name.is_empty() || name.contains(char::is_whitespace) {
            errors.push(src.err(c.name.span(), "a client name is one word, like \"T1\""));
        }
        if !raw
            .scripts
            .keys()
            .any(|k| k.get_ref() == c.script.get_ref())
        {
            errors.push(src.err(
                c.script.span(),
                format!(
                    "no script named \"{}\" (the [scripts] table has: {})",
                    c.script.get_ref(),
                    names(raw.scripts.keys().map(|k| k.get_ref().as_str()))
                ),
            ));
        }
        let def = ClientDef {
            name: name.clone(),
            script: c.script.get_ref().clone(),
            vars: c
                .vars
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                .collect(),
            start: c.start.as_ref().map_or(0, |s| *s.get_ref()),
            isolation: isolation(c.isolation.as_ref(), src, errors),
            group: None,
            arrivals: Arc::from([]),
            after: Vec::new(),
        };
        let def = arrivals(c, def, src, errors);
        let Some(count) = &c.count else {
            add(&mut clients, def, c.name.span(), src, errors);
            continue;
        };
        let n = *count.get_ref();
        let Some(n) = usize::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_GROUP).contains(n))
        else {
            errors.push(src.err(
                count.span(),
                format!("a client group has 1 to {MAX_GROUP} clients, not {n}"),
            ));
            continue;
        };
        if groups.iter().any(|g| g.name == name) {
            errors.push(src.err(c.name.span(), format!("two groups are named \"{name}\"")));
        }
        let first = clients.len();
        for i in 1..=limit.map_or(n, |k| n.min(k)) {
            let member = ClientDef {
                name: format!("{name}{i}"),
                group: Some(groups.len()),
                ..def.clone()
            };
            add(&mut clients, member, c.name.span(), src, errors);
        }
        groups.push(Group {
            name,
            count: n,
            members: first..clients.len(),
        });
    }
    if raw.clients.is_empty() {
        errors.push(src.err(0..0, "a lesson needs at least one [[client]]"));
    }
    resolve_after(raw, (&mut clients, &groups), (src, limit), errors);
    (clients, groups)
}

/// Each client's `after`, once every client is known (a group name means all its members).
fn resolve_after(
    raw: &RawLesson,
    (clients, groups): (&mut [ClientDef], &[Group]),
    (src, limit): (&Source, Option<usize>),
    errors: &mut Vec<LessonError>,
) {
    let client_names: Vec<String> = clients.iter().map(|d| d.name.clone()).collect();
    let mut i = 0;
    for c in &raw.clients {
        let n = match &c.count {
            Some(k) => usize::try_from(*k.get_ref()).map_or(0, |k| limit.map_or(k, |l| k.min(l))),
            None => 1,
        };
        let after = clients_named(&c.after, &client_names, groups, src, errors);
        for d in clients.iter_mut().skip(i).take(n) {
            d.after.clone_from(&after);
            if d.after.iter().any(|&a| a >= i && a < i + n) {
                errors.push(src.err(c.name.span(), "a client cannot wait for itself to end"));
                d.after.clear();
            }
        }
        i += n;
    }
}

/// `arrivals = [0, 100, 250]`: a long-lived process; it starts with its first request.
fn arrivals(
    c: &super::raw::RawClient,
    def: ClientDef,
    src: &Source,
    errors: &mut Vec<LessonError>,
) -> ClientDef {
    if let Some(n) = &c.requests {
        let count = *n.get_ref();
        if c.arrivals.is_some() || !(1..=MAX_ARRIVALS as i64).contains(&count) {
            errors.push(src.err(
                n.span(),
                format!("requests = N (1 to {MAX_ARRIVALS}) serves N requests back to back; give either requests or arrivals"),
            ));
            return def;
        }
        let times = vec![def.start; count as usize];
        return ClientDef {
            arrivals: Arc::from(times),
            ..def
        };
    }
    let Some(list) = &c.arrivals else {
        return def;
    };
    let times = list.get_ref();
    let ok = !times.is_empty()
        && times.len() <= MAX_ARRIVALS
        && times.iter().all(|t| *t >= 0)
        && times.windows(2).all(|p| p[0] <= p[1]);
    if !ok {
        errors.push(src.err(
            list.span(),
            format!("arrivals are 1 to {MAX_ARRIVALS} request times in ms, in order: arrivals = [0, 100, 250]"),
        ));
        return def;
    }
    if let Some(s) = &c.start {
        errors.push(src.err(
            s.span(),
            "a client with arrivals starts with its first request: drop `start`",
        ));
    }
    let times: Vec<u64> = times.iter().map(|t| *t as u64).collect();
    ClientDef {
        start: times[0],
        arrivals: Arc::from(times),
        ..def
    }
}

/// The most requests a long-lived process may be given.
pub const MAX_ARRIVALS: usize = 1000;

fn add(
    clients: &mut Vec<ClientDef>,
    def: ClientDef,
    at: Range<usize>,
    src: &Source,
    errors: &mut Vec<LessonError>,
) {
    if clients.iter().any(|d| d.name == def.name) {
        errors.push(src.err(at, format!("two clients are named \"{}\"", def.name)));
    }
    clients.push(def);
}
