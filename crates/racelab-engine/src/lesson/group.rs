//! A client group's data (a leaf: the assertion compiler reads it, below the lesson module).

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
