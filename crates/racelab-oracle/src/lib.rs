//! The differential test of Racelab's simulated PostgreSQL: every scenario in `scenarios/` runs
//! on a real PostgreSQL 15 server (over loopback, through the std-only protocol client in
//! [`wire`]) and on the simulator (`racelab_engine::sql`), and the two are compared step by step:
//! outcome kind (ok / error / blocked), command tag, columns, rows in text format, SQLSTATE and
//! message of errors and notices, the transaction status, and which blocked sessions each step
//! let finish, with what result.
//!
//! Run it with `cargo xtask oracle` (starts a throw-away server), or against a running server:
//! `cargo run -p racelab-oracle -- --port PORT crates/racelab-oracle/scenarios`.

pub mod outcome;
pub mod pg;
pub mod runner;
pub mod scenario;
pub mod sim;
pub mod wire;
