//! Racelab's engine: pure, deterministic, no web dependencies. Builds for native and wasm32.
//!
//! Data flows one way: lesson text → [`lesson::Lesson`] → [`run::Run`] (a [`run::World`] of a
//! simulated database, clients and a virtual clock, advanced by the scheduler in `run`) →
//! [`trace::Trace`] → views. See ARCHITECTURE.md at the repository root.

pub mod lesson;
pub mod run;
pub mod script;
pub mod sql;
pub mod trace;
pub mod value;

pub use lesson::{Lesson, LessonError};
pub use run::Run;
pub use value::Value;
