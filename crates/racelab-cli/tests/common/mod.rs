//! Running the `racelab` binary from the CLI's tests. (Each test file uses a part of it.)
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The path of a shipped lesson file.
pub fn lesson_path(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../lessons")
        .join(name)
        .display()
        .to_string()
}

/// The lost-update lesson's path.
pub fn lesson() -> String {
    lesson_path("lost-update.toml")
}

pub fn racelab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_racelab"))
        .args(args)
        .output()
        .expect("run racelab")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
