//! The ONE place where Racelab's tool versions are pinned.
//!
//! Everything that installs or checks a tool reads these constants; `Trunk.toml` and the root
//! `Cargo.toml` repeat some of them (they cannot read Rust), and the unit tests at the bottom of
//! this file fail when those copies drift.

/// `wasm-bindgen-cli` (provides `wasm-bindgen` and `wasm-bindgen-test-runner`).
/// Must equal the `wasm-bindgen = "=…"` pin in the root `Cargo.toml` (and so `Cargo.lock`).
/// Installed with `cargo install wasm-bindgen-cli --version …` WITHOUT `--locked`
/// (a locked dependency is missing from the registry mirror).
pub const WASM_BINDGEN: &str = "0.2.130";

/// Trunk. Installed with `cargo install trunk --version … --locked` (0.22 needs a newer rustc;
/// without `--locked` 0.21.14 fails to compile).
pub const TRUNK: &str = "0.21.14";

/// Binaryen's `wasm-opt`, from the npm package `binaryen` (runs on Node), installed under
/// `.tools/binaryen`. Do NOT use Debian's `binaryen` (wasm-opt 108): it breaks wasm-bindgen's
/// externref table at start-up. `Trunk.toml` names it `wasm_opt = "version_132"`.
pub const BINARYEN: &str = "132";

/// Debian packages for the headless browser tests (`/usr/bin/chromium`, `/usr/bin/chromedriver`).
pub const APT_PACKAGES: &[&str] = &["chromium", "chromium-driver"];

/// The Rust target the web app compiles to.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The PostgreSQL major version the simulator is held against (`cargo xtask oracle`, stage
/// pg-oracle). Debian 12's `postgresql` package is PostgreSQL 15; its server binaries live in
/// [`POSTGRES_BIN_DIR`]. The server refuses to run as root: xtask runs it as the `postgres` user
/// the package creates.
pub const POSTGRES_MAJOR: &str = "15";
pub const POSTGRES_BIN_DIR: &str = "/usr/lib/postgresql/15/bin";
pub const POSTGRES_APT_PACKAGES: &[&str] = &["postgresql"];

/// The Redis major version the simulated Redis is held against (the Redis side of
/// `cargo xtask oracle` / stage pg-oracle). Debian 12's `redis-server` package is Redis 7.0
/// (7.0.15 when this was written); xtask runs [`REDIS_SERVER_BIN`] itself as a throw-away child
/// process on a free loopback port (the package may also start a system service on 6379: it is
/// neither used nor touched).
pub const REDIS_MAJOR: &str = "7";
pub const REDIS_SERVER_BIN: &str = "/usr/bin/redis-server";
pub const REDIS_APT_PACKAGES: &[&str] = &["redis-server"];

/// Where the browser binaries live once the Debian packages are installed.
pub const CHROMIUM_BIN: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER_BIN: &str = "/usr/bin/chromedriver";

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn root() -> &'static Path {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
    }

    /// The `version = "…"` of `[[package]] name = "<name>"` entries in a Cargo.lock.
    fn lock_versions(lock: &str, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        for block in lock.split("[[package]]") {
            let mut lines = block.lines().map(str::trim);
            let is_it = lines
                .clone()
                .any(|l| l == format!("name = \"{name}\"").as_str());
            if is_it {
                if let Some(v) = lines.find_map(|l| l.strip_prefix("version = ")) {
                    out.push(v.trim_matches('"').to_string());
                }
            }
        }
        out
    }

    #[test]
    fn wasm_bindgen_pin_matches_root_cargo_toml() {
        let toml = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
        let line = toml
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("wasm-bindgen ") || l.starts_with("wasm-bindgen="))
            .expect("root Cargo.toml has a `wasm-bindgen = \"=…\"` dependency");
        let expected = format!("\"={WASM_BINDGEN}\"");
        assert!(
            line.contains(&expected),
            "root Cargo.toml must pin wasm-bindgen to {expected} (xtask/src/versions.rs), found: {line}"
        );
    }

    #[test]
    fn wasm_bindgen_pin_matches_cargo_lock() {
        let Ok(lock) = std::fs::read_to_string(root().join("Cargo.lock")) else {
            // No lock file yet (fresh checkout before the first build): the Cargo.toml test covers it.
            return;
        };
        let found = lock_versions(&lock, "wasm-bindgen");
        if found.is_empty() {
            return; // The web crate is not in this lock file (yet).
        }
        assert_eq!(
            found,
            vec![WASM_BINDGEN.to_string()],
            "Cargo.lock's wasm-bindgen must equal the wasm-bindgen-cli pinned in xtask/src/versions.rs"
        );
    }

    #[test]
    fn trunk_toml_matches_pins() {
        let trunk = std::fs::read_to_string(root().join("Trunk.toml")).unwrap();
        assert!(
            trunk.contains(&format!("wasm_bindgen = \"{WASM_BINDGEN}\"")),
            "Trunk.toml [tools] wasm_bindgen must be {WASM_BINDGEN}"
        );
        assert!(
            trunk.contains(&format!("wasm_opt = \"version_{BINARYEN}\"")),
            "Trunk.toml [tools] wasm_opt must be version_{BINARYEN}"
        );
        assert!(
            trunk.contains("offline = true"),
            "Trunk.toml must set offline = true"
        );
    }

    #[test]
    fn lock_parser_finds_versions() {
        let lock = "version = 4\n\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n[[package]]\nname = \"wasm-bindgen-test\"\nversion = \"0.3.80\"\n";
        assert_eq!(lock_versions(lock, "wasm-bindgen"), vec!["0.2.130"]);
        assert_eq!(lock_versions(lock, "wasm-bindgen-test"), vec!["0.3.80"]);
        assert!(lock_versions(lock, "leptos").is_empty());
    }
}
