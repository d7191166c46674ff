//! `[[client]]` entries: single clients and client groups (`count = 100`: that many clients
//! running one script, named NAME1, NAME2, …, interchangeable).

use super::raw::RawLesson;
use super::source::{LessonError, Source};
use super::{isolation, names, ClientDef};
use crate::value::Value;
use std::ops::Range;

/// The largest client group a lesson may declare.
pub const MAX_GROUP: usize = 1000;

/// A client group: `count` clients running the same script with the same inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The name written in the lesson; members are NAME1, NAME2, …
    pub name: String,
    /// How many clients the lesson declares.
    pub count: usize,
    /// The members in this lesson (client indices): all `count` of them, or fewer when the
    /// lesson was parsed for exploring with a group limit ([`super::Lesson::bounded`]).
    pub members: Range<usize>,
}

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
            start: c.start,
            isolation: isolation(c.isolation.as_ref(), src, errors),
            group: None,
        };
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
    (clients, groups)
}

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
