//! A client group's data, and what a list of client names written in a lesson means (a leaf:
//! the assertion compiler reads it, below the lesson module).

use super::source::{LessonError, Source};
use std::ops::Range;
use toml::Spanned;

/// The largest client group a lesson may declare.
pub const MAX_GROUP: usize = 1000;

/// A client group: `count` clients running the same script with the same inputs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Group {
    /// The name written in the lesson; members are NAME1, NAME2, …
    pub name: String,
    /// How many clients the lesson declares.
    pub count: usize,
    /// The members in this lesson (client indices): all `count` of them, or fewer when the
    /// lesson was parsed for exploring with a group limit ([`super::Lesson::bounded`]).
    pub members: Range<usize>,
}

/// The clients a list of names means (`after`, `clients = [...]` of a timing assertion or a
/// case table): a client's name is that client, a group's name all its members. A name that
/// is neither is an error at the name.
pub(crate) fn clients_named(
    names: &[Spanned<String>],
    client_names: &[String],
    groups: &[Group],
    src: &Source,
    errors: &mut Vec<LessonError>,
) -> Vec<usize> {
    let mut out = Vec::new();
    for n in names {
        if let Some(g) = groups.iter().find(|g| &g.name == n.get_ref()) {
            out.extend(g.members.clone());
        } else if let Some(i) = client_names.iter().position(|c| c == n.get_ref()) {
            out.push(i);
        } else {
            errors.push(src.err(n.span(), format!("no client named \"{}\"", n.get_ref())));
        }
    }
    out
}
