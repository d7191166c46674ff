//! Racelab's engine: pure, deterministic, no web dependencies. Builds for native and wasm32.
//!
//! Data flows one way: lesson text → [`lesson::Lesson`] → [`model::Model`] (a [`model::World`]
//! of services, clients and a virtual clock, advanced by the pure `next_state`) → driven by
//! [`run::Run`] (the page, the command line) or by tests and explorers → [`trace::Trace`] →
//! [`view`]s and [`words`]. See ARCHITECTURE.md at the repository root.

pub mod datetime;
pub mod explore;
pub mod fault;
pub mod lesson;
pub mod link;
pub mod model;
pub mod numeric;
pub mod property;
pub mod prose;
pub mod run;
pub mod script;
pub mod service;
pub mod timeline;
pub mod trace;
pub mod value;
pub mod view;
pub mod words;

/// The simulated PostgreSQL, by its short name (the oracle and tests use it).
pub use service::postgres::sql;

pub use lesson::{Lesson, LessonError};
pub use run::Run;
pub use value::Value;
