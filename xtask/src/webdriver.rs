//! A minimal W3C WebDriver client for ChromeDriver, over [`crate::http`].

use crate::bail;
use crate::http::{self, free_port};
use crate::util::{Error, Result};
use crate::versions;
use serde_json::{json, Value};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The W3C key under which an element reference is returned.
pub const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `/usr/bin/chromedriver`, killed (with its process group) on drop.
pub struct ChromeDriver {
    child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}
const SIGKILL: i32 = 9;

impl ChromeDriver {
    /// Starts ChromeDriver on a free port (log in `log`) and waits until `/status` says ready.
    pub fn start(log: &Path) -> Result<ChromeDriver> {
        use std::os::unix::process::CommandExt;
        let port = free_port()?;
        let log_file = std::fs::File::create(log)?;
        let child = Command::new(versions::CHROMEDRIVER_BIN)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            // Own process group, so that cleanup can also reach any Chromium it leaves behind.
            .process_group(0)
            .spawn()
            .map_err(|e| Error(format!("cannot start {}: {e}", versions::CHROMEDRIVER_BIN)))?;
        let mut driver = ChromeDriver {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            log: log.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = driver.child.try_wait() {
                bail!(
                    "chromedriver exited at start-up ({status}); see {}",
                    log.display()
                );
            }
            if let Ok(r) =
                http::request(driver.addr, "GET", "/status", None, Duration::from_secs(2))
            {
                let v: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
                if v["value"]["ready"] == json!(true) {
                    return Ok(driver);
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "chromedriver did not become ready within 15 s; see {}",
                    log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        let _ = self.child.kill();
        let _ = self.child.wait();
        // SAFETY: kill(2) with a negative pid signals the process group we created for
        // chromedriver (process_group(0) makes its pgid equal its pid); no memory is touched.
        unsafe {
            kill(-pid, SIGKILL);
        }
    }
}

/// Chrome capabilities for a headless session with browser console logging.
pub fn chrome_capabilities(user_data_dir: &Path) -> Value {
    json!({
        "capabilities": {
            "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": versions::CHROMIUM_BIN,
                    "args": [
                        "--headless=new",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--no-first-run",
                        "--window-size=1400,1000",
                        format!("--user-data-dir={}", user_data_dir.display()),
                    ]
                },
                "goog:loggingPrefs": { "browser": "ALL" }
            }
        }
    })
}

/// One browser console entry.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    pub level: String,
    pub message: String,
}

/// An error returned by the remote end (`{"value": {"error": …, "message": …}}`).
#[derive(Debug)]
pub struct WdError {
    pub status: u16,
    pub error: String,
    pub message: String,
}

/// Extracts `value` from a WebDriver response body, or the W3C error it carries.
pub fn parse_reply(status: u16, body: &[u8]) -> std::result::Result<Value, WdError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| WdError {
        status,
        error: "invalid json".into(),
        message: format!("{e}: {}", String::from_utf8_lossy(body)),
    })?;
    let value = v.get("value").cloned().unwrap_or(Value::Null);
    // Only the HTTP status marks an error: a script result may well contain an "error" key.
    if status >= 400 {
        return Err(WdError {
            status,
            error: value["error"]
                .as_str()
                .unwrap_or("unknown error")
                .to_string(),
            message: value["message"]
                .as_str()
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        });
    }
    Ok(value)
}

impl From<WdError> for Error {
    fn from(e: WdError) -> Self {
        Error(format!(
            "WebDriver {}: {} ({})",
            e.status, e.error, e.message
        ))
    }
}

/// An opaque element reference.
#[derive(Clone, Debug)]
pub struct Element(pub String);

/// A WebDriver session; deleted (closing the browser) on drop.
pub struct Session {
    addr: SocketAddr,
    pub id: String,
    deleted: bool,
}

impl Session {
    /// `POST /session` with the given capabilities body.
    pub fn new(addr: SocketAddr, capabilities: &Value) -> Result<Session> {
        let body = serde_json::to_vec(capabilities)?;
        let r = http::request(addr, "POST", "/session", Some(&body), COMMAND_TIMEOUT)?;
        let value = parse_reply(r.status, &r.body)?;
        let Some(id) = value["sessionId"].as_str() else {
            bail!("no sessionId in new-session reply: {value}");
        };
        Ok(Session {
            addr,
            id: id.to_string(),
            deleted: false,
        })
    }

    fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> std::result::Result<Value, WdError> {
        let path = format!("/session/{}{path}", self.id);
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
        let r = http::request(self.addr, method, &path, bytes.as_deref(), COMMAND_TIMEOUT)
            .map_err(|e| WdError {
                status: 0,
                error: "transport".into(),
                message: e.0,
            })?;
        parse_reply(r.status, &r.body)
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        self.raw(method, path, body).map_err(|e| {
            Error(format!(
                "WebDriver {method} {path}: {} ({})",
                e.error, e.message
            ))
        })
    }

    pub fn navigate(&self, url: &str) -> Result<()> {
        self.call("POST", "/url", Some(&json!({ "url": url })))
            .map(drop)
    }

    /// All elements matching a CSS selector (empty when none).
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let v = self.call(
            "POST",
            "/elements",
            Some(&json!({ "using": "css selector", "value": css })),
        )?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT_KEY].as_str().map(|s| Element(s.to_string())))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The first element matching a CSS selector, if any.
    pub fn find(&self, css: &str) -> Result<Option<Element>> {
        Ok(self.find_all(css)?.into_iter().next())
    }

    /// Clicks an element. Returns the raw WebDriver error so callers can retry stale elements.
    pub fn click(&self, el: &Element) -> std::result::Result<(), WdError> {
        self.raw(
            "POST",
            &format!("/element/{}/click", el.0),
            Some(&json!({})),
        )
        .map(drop)
    }

    pub fn text(&self, el: &Element) -> Result<String> {
        let v = self.call("GET", &format!("/element/{}/text", el.0), None)?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    pub fn is_enabled(&self, el: &Element) -> Result<bool> {
        Ok(self
            .call("GET", &format!("/element/{}/enabled", el.0), None)?
            .as_bool()
            .unwrap_or(false))
    }

    /// Runs synchronous JavaScript (`arguments[i]` are `args`) and returns its result.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.call(
            "POST",
            "/execute/sync",
            Some(&json!({ "script": script, "args": args })),
        )
    }

    /// Runs asynchronous JavaScript: the script calls `arguments[arguments.length - 1]` with its
    /// result. Bounded by the session's script timeout (30 s unless set).
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.call(
            "POST",
            "/execute/async",
            Some(&json!({ "script": script, "args": args })),
        )
    }

    /// Sets the script timeout (for long [`Session::execute_async`] runs).
    pub fn set_script_timeout(&self, ms: u64) -> Result<()> {
        self.call("POST", "/timeouts", Some(&json!({ "script": ms })))?;
        Ok(())
    }

    /// Resizes the browser window (CSS pixels of the outer window).
    pub fn set_window_size(&self, width: u32, height: u32) -> Result<()> {
        self.call(
            "POST",
            "/window/rect",
            Some(&json!({ "width": width, "height": height })),
        )?;
        Ok(())
    }

    /// A PNG screenshot of the viewport.
    pub fn screenshot_png(&self) -> Result<Vec<u8>> {
        let v = self.call("GET", "/screenshot", None)?;
        let Some(b64) = v.as_str() else {
            bail!("screenshot reply is not a string");
        };
        base64_decode(b64).ok_or_else(|| Error("screenshot is not valid base64".into()))
    }

    /// Drains the browser console log (entries are returned once).
    pub fn browser_logs(&self) -> Result<Vec<LogEntry>> {
        let body = json!({ "type": "browser" });
        let v = match self.raw("POST", "/se/log", Some(&body)) {
            Ok(v) => v,
            // Older ChromeDrivers only know the legacy endpoint.
            Err(e) if e.error == "unknown command" || e.status == 404 => {
                self.call("POST", "/log", Some(&body))?
            }
            Err(e) => return Err(e.into()),
        };
        Ok(parse_log_entries(&v))
    }

    /// Deletes the session (closes the browser). Also done on drop.
    pub fn delete(&mut self) -> Result<()> {
        if self.deleted {
            return Ok(());
        }
        self.deleted = true;
        let path = format!("/session/{}", self.id);
        let r = http::request(self.addr, "DELETE", &path, None, Duration::from_secs(20))?;
        parse_reply(r.status, &r.body)?;
        Ok(())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.delete();
    }
}

/// Parses a `se/log` reply: `[{"level": "SEVERE", "message": "…", "timestamp": …}, …]`.
pub fn parse_log_entries(v: &Value) -> Vec<LogEntry> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|e| LogEntry {
                    level: e["level"].as_str().unwrap_or("?").to_string(),
                    message: e["message"].as_str().unwrap_or_default().to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Standard base64 (with or without padding); `None` on invalid input.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let clean: Vec<u8> = s
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        match chunk.len() {
            4 => out.extend_from_slice(&bytes[1..4]),
            3 => out.extend_from_slice(&bytes[1..3]),
            2 => out.push(bytes[1]),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_new_session_reply() {
        let body = br#"{"value":{"capabilities":{"browserName":"chrome","browserVersion":"156.0.8078.79"},"sessionId":"5a1c0ffee"}}"#;
        let v = parse_reply(200, body).unwrap();
        assert_eq!(v["sessionId"], "5a1c0ffee");
        assert_eq!(v["capabilities"]["browserVersion"], "156.0.8078.79");
    }

    #[test]
    fn parses_error_reply() {
        let body = br#"{"value":{"error":"no such element","message":"no such element: Unable to locate element\n  (Session info: chrome=156)","stacktrace":"..."}}"#;
        let e = parse_reply(404, body).unwrap_err();
        assert_eq!(e.error, "no such element");
        assert_eq!(e.message, "no such element: Unable to locate element");
        assert!(parse_reply(500, b"not json").is_err());
        // A successful script result that happens to have an "error" key is not an error.
        let v = parse_reply(200, br#"{"value":{"error":"","lanes":{}}}"#).unwrap();
        assert_eq!(v["error"], "");
    }

    #[test]
    fn parses_elements_and_logs() {
        let v = parse_reply(
            200,
            br#"{"value":[{"element-6066-11e4-a52e-4f735466cecf":"f.1.e.2"}]}"#,
        )
        .unwrap();
        assert_eq!(v[0][ELEMENT_KEY], "f.1.e.2");

        let v = parse_reply(200, br#"{"value":[{"level":"SEVERE","message":"http://x/app.js 3:5 Uncaught Error","source":"javascript","timestamp":1},{"level":"INFO","message":"hello","timestamp":2}]}"#).unwrap();
        let logs = parse_log_entries(&v);
        assert_eq!(logs.len(), 2);
        assert_eq!(logs[0].level, "SEVERE");
        assert_eq!(logs[1].message, "hello");
    }

    #[test]
    fn capabilities_shape() {
        let caps = chrome_capabilities(Path::new("/tmp/profile"));
        let m = &caps["capabilities"]["alwaysMatch"];
        assert_eq!(m["goog:chromeOptions"]["binary"], versions::CHROMIUM_BIN);
        assert_eq!(m["goog:loggingPrefs"]["browser"], "ALL");
        let args = m["goog:chromeOptions"]["args"].as_array().unwrap();
        assert!(args.contains(&json!("--headless=new")));
        assert!(args.contains(&json!("--user-data-dir=/tmp/profile")));
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(base64_decode("aGk").unwrap(), b"hi");
        assert_eq!(base64_decode("iVBORw0KGgo=").unwrap(), b"\x89PNG\r\n\x1a\n");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert!(base64_decode("a$b=").is_none());
    }
}
