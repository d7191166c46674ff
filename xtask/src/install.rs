//! Idempotent installation of everything the dev commands need (versions from `versions.rs`).
//!
//! Each tool is checked by running it and comparing its reported version with the pin; only what
//! is missing or at the wrong version is installed. When everything is present this prints one line.

use crate::bail;
use crate::util::{self, cmd, output, run, which, Result};
use crate::versions;
use std::path::Path;
use std::process::Command;

/// What a command needs installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Building and serving the app: wasm target, Trunk, wasm-bindgen, wasm-opt.
    Build,
    /// Everything in `Build`, plus rustfmt/clippy, wasm-bindgen-test-runner, Chromium,
    /// ChromeDriver and the PostgreSQL 15 and Redis 7 servers.
    Test,
    /// Only the PostgreSQL 15 and Redis 7 servers (`cargo xtask oracle`).
    Oracle,
}

/// The first token of `text` that starts with a digit (e.g. `trunk 0.21.14` → `0.21.14`,
/// `wasm-opt version 132 (version_132)` → `132`, `Chromium 156.0.8078.79 built on …` → `156.0.8078.79`).
pub fn parse_version(text: &str) -> Option<String> {
    text.split_whitespace()
        .find(|t| t.starts_with(|c: char| c.is_ascii_digit()))
        .map(|t| {
            t.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_string()
        })
}

/// The major component of a dotted version (`156.0.8078.79` → `156`).
pub fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

/// Runs `program --version` and parses the version it reports.
fn tool_version(program: &Path) -> Option<String> {
    output(
        Command::new(program)
            .arg("--version")
            .env("PATH", util::tool_path()),
    )
    .and_then(|t| parse_version(&t))
}

fn tool_on_path_version(name: &str) -> Option<String> {
    which(name).and_then(|p| tool_version(&p))
}

/// One tool's state, for the summary line and the `--check` listing.
struct Status {
    name: &'static str,
    found: Option<String>,
    ok: bool,
}

impl Status {
    fn describe(&self) -> String {
        match (&self.found, self.ok) {
            (Some(v), true) => format!("{} {v}", self.name),
            (Some(v), false) => format!("{} {v} (wrong version)", self.name),
            (None, _) => format!("{} (missing)", self.name),
        }
    }
}

fn wasm_target_installed() -> bool {
    let Some(sysroot) = output(Command::new("rustc").args(["--print", "sysroot"])) else {
        return false;
    };
    Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(versions::WASM_TARGET)
        .is_dir()
}

fn components_installed() -> bool {
    output(Command::new("cargo").args(["fmt", "--version"])).is_some()
        && output(Command::new("cargo").args(["clippy", "--version"])).is_some()
}

fn check_trunk() -> Status {
    let found = tool_on_path_version("trunk");
    let ok = found.as_deref() == Some(versions::TRUNK);
    Status {
        name: "trunk",
        found,
        ok,
    }
}

fn check_wasm_bindgen(scope: Scope) -> Status {
    let found = tool_on_path_version("wasm-bindgen");
    let mut ok = found.as_deref() == Some(versions::WASM_BINDGEN);
    if scope == Scope::Test {
        let runner = tool_on_path_version("wasm-bindgen-test-runner");
        ok &= runner.as_deref() == Some(versions::WASM_BINDGEN);
    }
    Status {
        name: "wasm-bindgen",
        found,
        ok,
    }
}

fn check_wasm_opt() -> Status {
    let found = tool_version(&util::binaryen_bin_dir().join("wasm-opt"));
    let ok = found.as_deref() == Some(versions::BINARYEN);
    Status {
        name: "wasm-opt",
        found,
        ok,
    }
}

fn check_browser() -> Status {
    let chromium = tool_version(Path::new(versions::CHROMIUM_BIN));
    let driver = tool_version(Path::new(versions::CHROMEDRIVER_BIN));
    let ok = match (&chromium, &driver) {
        (Some(c), Some(d)) => major(c) == major(d),
        _ => false,
    };
    let found = match (&chromium, &driver) {
        (Some(c), Some(d)) if major(c) == major(d) => Some(c.clone()),
        (Some(c), Some(d)) => Some(format!("{c} with chromedriver {d}")),
        (Some(c), None) => Some(format!("{c} without chromedriver")),
        _ => None,
    };
    Status {
        name: "chromium",
        found,
        ok,
    }
}

fn check_postgres() -> Status {
    let bin = Path::new(versions::POSTGRES_BIN_DIR).join("postgres");
    let found = tool_version(&bin);
    let ok = found
        .as_deref()
        .is_some_and(|v| major(v) == versions::POSTGRES_MAJOR);
    Status {
        name: "postgresql",
        found,
        ok,
    }
}

/// The version in `redis-server --version` (`Redis server v=7.0.15 sha=00000000:0 …` → `7.0.15`).
pub fn parse_redis_version(text: &str) -> Option<String> {
    text.split_whitespace()
        .find_map(|t| t.strip_prefix("v="))
        .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_string)
}

fn check_redis() -> Status {
    let found = output(Command::new(versions::REDIS_SERVER_BIN).arg("--version"))
        .and_then(|t| parse_redis_version(&t));
    let ok = found
        .as_deref()
        .is_some_and(|v| major(v) == versions::REDIS_MAJOR);
    Status {
        name: "redis-server",
        found,
        ok,
    }
}

/// Makes sure the Redis 7 server is installed (apt-get as root; otherwise stops with the command
/// to run). Returns its description for the `tools:` line.
pub fn ensure_redis() -> Result<String> {
    let s = check_redis();
    if s.ok {
        return Ok(s.describe());
    }
    let packages = versions::REDIS_APT_PACKAGES.join(" ");
    if !util::is_root() {
        bail!(
            "{} — install the Redis {} server with:\n    sudo apt-get install -y {packages}",
            s.describe(),
            versions::REDIS_MAJOR
        );
    }
    println!("install: {} → apt-get install {packages}", s.describe());
    run(cmd("apt-get").arg("update").arg("-qq"))?;
    run(cmd("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq"])
        .args(versions::REDIS_APT_PACKAGES))?;
    let s = check_redis();
    if !s.ok {
        bail!(
            "apt-get did not produce Redis {} at {}: {}",
            versions::REDIS_MAJOR,
            versions::REDIS_SERVER_BIN,
            s.describe()
        );
    }
    Ok(s.describe())
}

/// Makes sure the PostgreSQL 15 server is installed (apt-get as root; otherwise stops with the
/// command to run). Returns its description for the `tools:` line.
pub fn ensure_postgres() -> Result<String> {
    let s = check_postgres();
    if s.ok {
        return Ok(s.describe());
    }
    let packages = versions::POSTGRES_APT_PACKAGES.join(" ");
    if !util::is_root() {
        bail!(
            "{} — install the PostgreSQL {} server with:\n    sudo apt-get install -y {packages}",
            s.describe(),
            versions::POSTGRES_MAJOR
        );
    }
    println!("install: {} → apt-get install {packages}", s.describe());
    run(cmd("apt-get").arg("update").arg("-qq"))?;
    run(cmd("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq"])
        .args(versions::POSTGRES_APT_PACKAGES))?;
    let s = check_postgres();
    if !s.ok {
        bail!(
            "apt-get did not produce PostgreSQL {} in {}: {}",
            versions::POSTGRES_MAJOR,
            versions::POSTGRES_BIN_DIR,
            s.describe()
        );
    }
    Ok(s.describe())
}

/// Reports what is missing without installing anything. Returns `true` when all is present.
pub fn check(scope: Scope) -> bool {
    let all = if scope == Scope::Oracle {
        vec![check_postgres(), check_redis()]
    } else {
        check_tools(scope)
    };
    for s in &all {
        println!(
            "{} {}",
            if s.ok { "ok     " } else { "MISSING" },
            s.describe()
        );
    }
    all.iter().all(|s| s.ok)
}

fn check_tools(scope: Scope) -> Vec<Status> {
    let mut all = vec![
        Status {
            name: "wasm32 target",
            found: wasm_target_installed().then(|| versions::WASM_TARGET.to_string()),
            ok: wasm_target_installed(),
        },
        check_trunk(),
        check_wasm_bindgen(scope),
        check_wasm_opt(),
    ];
    if scope == Scope::Test {
        all.push(check_browser());
        all.push(check_postgres());
        all.push(check_redis());
    }
    all
}

/// Installs whatever `scope` needs and is missing; prints one line when nothing was needed.
pub fn ensure(scope: Scope) -> Result<()> {
    if scope == Scope::Oracle {
        let postgres = ensure_postgres()?;
        println!("tools: {postgres}, {} (all present)", ensure_redis()?);
        return Ok(());
    }
    let mut present = Vec::new();

    if scope == Scope::Test && !components_installed() {
        println!("install: rustfmt/clippy missing");
        run(cmd("rustup").args(["component", "add", "rustfmt", "clippy"]))?;
    }

    if wasm_target_installed() {
        present.push(versions::WASM_TARGET.to_string());
    } else {
        println!("install: Rust target {} missing", versions::WASM_TARGET);
        run(cmd("rustup").args(["target", "add", versions::WASM_TARGET]))?;
    }

    let s = check_wasm_bindgen(scope);
    if s.ok {
        present.push(s.describe());
    } else {
        println!(
            "install: {} → installing wasm-bindgen-cli {} (about 2 minutes)",
            s.describe(),
            versions::WASM_BINDGEN
        );
        // NOT --locked: a locked dependency version is missing from the registry mirror.
        let mut c = cmd("cargo");
        c.args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            versions::WASM_BINDGEN,
        ]);
        if s.found.is_some() {
            c.arg("--force");
        }
        run(&mut c)?;
        let s = check_wasm_bindgen(scope);
        if !s.ok {
            bail!(
                "wasm-bindgen-cli install did not produce {}: {}",
                versions::WASM_BINDGEN,
                s.describe()
            );
        }
    }

    let s = check_trunk();
    if s.ok {
        present.push(s.describe());
    } else {
        println!(
            "install: {} → installing trunk {} (about 10 minutes on 2 cores)",
            s.describe(),
            versions::TRUNK
        );
        // --locked is required: without it 0.21.14 fails to compile (lightningcss).
        let mut c = cmd("cargo");
        c.args(["install", "trunk", "--version", versions::TRUNK, "--locked"]);
        if s.found.is_some() {
            c.arg("--force");
        }
        run(&mut c)?;
        let s = check_trunk();
        if !s.ok {
            bail!(
                "trunk install did not produce {}: {}",
                versions::TRUNK,
                s.describe()
            );
        }
    }

    let s = check_wasm_opt();
    if s.ok {
        present.push(s.describe());
    } else {
        println!(
            "install: {} → installing npm binaryen@{} into .tools/binaryen",
            s.describe(),
            versions::BINARYEN
        );
        if which("npm").is_none() {
            bail!("npm is required to install binaryen (wasm-opt); install Node.js 20 + npm");
        }
        run(cmd("npm").args([
            "install",
            "--prefix",
            ".tools/binaryen",
            &format!("binaryen@{}", versions::BINARYEN),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ]))?;
        let s = check_wasm_opt();
        if !s.ok {
            bail!(
                "binaryen install did not produce wasm-opt {}: {}",
                versions::BINARYEN,
                s.describe()
            );
        }
    }

    if scope == Scope::Test {
        let s = check_browser();
        if s.ok {
            present.push(s.describe());
        } else {
            let packages = versions::APT_PACKAGES.join(" ");
            if !util::is_root() {
                bail!(
                    "{} — install the browser packages with:\n    sudo apt-get install -y {packages}",
                    s.describe()
                );
            }
            println!("install: {} → apt-get install {packages}", s.describe());
            run(cmd("apt-get").arg("update").arg("-qq"))?;
            run(cmd("apt-get")
                .env("DEBIAN_FRONTEND", "noninteractive")
                .args(["install", "-y", "-qq"])
                .args(versions::APT_PACKAGES))?;
            let s = check_browser();
            if !s.ok {
                bail!(
                    "apt-get did not produce a usable Chromium + ChromeDriver: {}",
                    s.describe()
                );
            }
        }
    }

    if scope == Scope::Test {
        present.push(ensure_postgres()?);
        present.push(ensure_redis()?);
    }

    println!("tools: {} (all present)", present.join(", "));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tool_versions() {
        assert_eq!(parse_version("trunk 0.21.14\n").as_deref(), Some("0.21.14"));
        assert_eq!(
            parse_version("wasm-bindgen 0.2.130").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(
            parse_version("wasm-bindgen 0.2.130 (abcdef123)").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(
            parse_version("wasm-opt version 132 (version_132)\n").as_deref(),
            Some("132")
        );
        assert_eq!(
            parse_version("Chromium 156.0.8078.79 built on Debian GNU/Linux 12 (bookworm)")
                .as_deref(),
            Some("156.0.8078.79")
        );
        assert_eq!(
            parse_version("ChromeDriver 156.0.8078.79 (a21ce95c-refs/branch-heads/8078@{#1704})")
                .as_deref(),
            Some("156.0.8078.79")
        );
        assert_eq!(
            parse_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)").as_deref(),
            Some("15.18")
        );
        assert_eq!(parse_version("no digits here"), None);
    }

    #[test]
    fn parses_redis_server_versions() {
        assert_eq!(
            parse_redis_version(
                "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0\n"
            )
            .as_deref(),
            Some("7.0.15")
        );
        assert_eq!(parse_redis_version("Redis server sha=0 bits=64"), None);
        assert_eq!(parse_redis_version("v=abc"), None);
    }

    #[test]
    fn majors() {
        assert_eq!(major("156.0.8078.79"), "156");
        assert_eq!(major("132"), "132");
    }
}
