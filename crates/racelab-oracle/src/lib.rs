//! The differential test of Racelab's simulated PostgreSQL: every scenario in `scenarios/` runs
//! on a real PostgreSQL 15 server (over loopback, through the std-only protocol client in
//! [`wire`]) and on the simulator (`racelab_engine::sql`), and the two are compared step by step:
//! outcome kind (ok / error / blocked), command tag, columns, rows in text format, SQLSTATE and
//! message of errors and notices, the transaction status, and which blocked sessions each step
//! let finish, with what result.
//!
//! The Redis side: every sequence in `redis/` runs on a real Redis 7 (through the std-only RESP2
//! client in [`resp`]) and on the simulated store (`racelab_engine::service::redis::store`), and
//! every reply is compared exactly ([`redis_seq`] describes the file format, [`redis_run`] the
//! comparison).
//!
//! Beside the files, random small schedules ([`schedule`]) run on both sides the same way; a
//! disagreement is shrunk ([`shrink`]) and kept as a new scenario file ([`random`]).
//!
//! Run it with `cargo xtask oracle` (starts a throw-away server), or against a running server:
//! `cargo run -p racelab-oracle -- --port PORT crates/racelab-oracle/scenarios`, and
//! `cargo run -p racelab-oracle -- --redis-port PORT crates/racelab-oracle/redis`.

pub mod outcome;
pub mod pg;
pub mod random;
pub mod redis_run;
pub mod redis_seq;
pub mod resp;
pub mod runner;
pub mod scenario;
pub mod schedule;
pub mod shrink;
pub mod sim;
pub mod wire;
