//! A tiny HTTP/1.1 client (for WebDriver) and a tiny static file server (for `dist/`), both over
//! `std::net`. One request per connection (`Connection: close`) keeps both sides simple.

use crate::bail;
use crate::util::{Error, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[cfg(test)]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request to `addr` and reads the whole response.
/// `body` is sent with `Content-Type: application/json` when present.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
    timeout: Duration,
) -> Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| Error(format!("connect to {addr}: {e}")))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: */*\r\n");
    if let Some(b) = body {
        head.push_str(&format!(
            "Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n",
            b.len()
        ));
    } else if method != "GET" && method != "HEAD" {
        head.push_str("Content-Length: 0\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if let Some(b) = body {
        stream.write_all(b)?;
    }
    stream.flush()?;
    // Read until the response is complete: servers (ChromeDriver) may keep the connection open
    // despite `Connection: close`, so EOF only ends bodies without a length.
    let head_only = method == "HEAD";
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = stream
            .read(&mut buf)
            .map_err(|e| Error(format!("{method} {path}: reading response: {e}")))?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if is_complete(&raw, head_only) {
            break;
        }
    }
    parse_response(&raw, head_only)
}

/// `true` once `raw` holds a whole response (head, and a body delimited by Content-Length or
/// chunked encoding). Bodies without either end at EOF, so they are never complete here.
pub fn is_complete(raw: &[u8], head_only: bool) -> bool {
    let Some(split) = find(raw, b"\r\n\r\n") else {
        return false;
    };
    let Ok(resp) = parse_response(&raw[..split + 4], true) else {
        return false;
    };
    if head_only || resp.status == 204 || resp.status == 304 || (100..200).contains(&resp.status) {
        return true;
    }
    let rest = &raw[split + 4..];
    if resp
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        return decode_chunked(rest).is_ok();
    }
    match resp.header("content-length").map(|l| l.parse::<usize>()) {
        Some(Ok(len)) => rest.len() >= len,
        Some(Err(_)) => true, // Malformed: let parse_response report it.
        None => false,
    }
}

/// Parses a complete HTTP/1.1 response (status line, headers, body by Content-Length, chunked
/// transfer encoding, or up to the end of the connection).
pub fn parse_response(raw: &[u8], head_only: bool) -> Result<Response> {
    let Some(split) = find(raw, b"\r\n\r\n") else {
        bail!(
            "malformed HTTP response (no header end): {:?}",
            String::from_utf8_lossy(raw)
        );
    };
    let head =
        std::str::from_utf8(&raw[..split]).map_err(|_| Error("non-UTF-8 HTTP head".into()))?;
    let rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| Error(format!("malformed HTTP status line: {status_line:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut resp = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if head_only {
        return Ok(resp);
    }
    let chunked = resp
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    resp.body = if chunked {
        decode_chunked(rest)?
    } else if let Some(len) = resp.header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| Error(format!("bad Content-Length {len:?}")))?;
        if rest.len() < len {
            bail!("truncated HTTP body: {} of {len} bytes", rest.len());
        }
        rest[..len].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(resp)
}

fn decode_chunked(mut data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = find(data, b"\r\n") else {
            bail!("malformed chunked body");
        };
        let size_str = std::str::from_utf8(&data[..eol]).unwrap_or("");
        let size_str = size_str.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_str, 16)
            .map_err(|_| Error(format!("bad chunk size {size_str:?}")))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size {
            bail!("truncated chunk");
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or_default();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A free TCP port on 127.0.0.1 (bound then released; fine for starting a child process on it).
pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(l.local_addr()?.port())
}

// ---------------------------------------------------------------------------------------------
// Static file server
// ---------------------------------------------------------------------------------------------

/// The Content-Type for a file name.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" | "md" | "toml" | "sql" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Serves the files under a directory on 127.0.0.1 from a background thread until dropped.
/// `/` (and any directory) serves its `index.html`; anything else missing is a 404.
pub struct StaticServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// `"GET /path -> 404"` lines for every request that was not a 200, for diagnostics.
    pub misses: Arc<Mutex<Vec<String>>>,
}

impl StaticServer {
    /// Starts serving `dir` on a free port.
    pub fn start(dir: &Path) -> Result<StaticServer> {
        let dir = dir
            .canonicalize()
            .map_err(|e| Error(format!("cannot serve {}: {e}", dir.display())))?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let misses = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let stop = stop.clone();
            let misses = misses.clone();
            std::thread::Builder::new()
                .name("static-server".into())
                .spawn(move || {
                    for conn in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(conn) = conn else { continue };
                        let dir = dir.clone();
                        let misses = misses.clone();
                        // One thread per connection: browsers open idle speculative connections.
                        let _ = std::thread::Builder::new()
                            .name("static-conn".into())
                            .spawn(move || {
                                let _ = handle(conn, &dir, &misses);
                            });
                    }
                })?
        };
        Ok(StaticServer {
            addr,
            stop,
            thread: Some(thread),
            misses,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr())
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept() so the thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Maps a request target to a file under `dir`, refusing anything that escapes it.
pub fn resolve(dir: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let decoded = percent_decode(path)?;
    let mut out = dir.to_path_buf();
    for comp in Path::new(decoded.trim_start_matches('/')).components() {
        match comp {
            Component::Normal(c) => out.push(c),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    out.is_file().then_some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn handle(conn: TcpStream, dir: &Path, misses: &Mutex<Vec<String>>) -> Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    conn.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line)? == 0 {
        return Ok(()); // A speculative connection closed without a request.
    }
    // Drain the headers (bounded); the body of a GET/HEAD is ignored.
    let mut header_bytes = 0;
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        header_bytes += n;
        if n == 0 || line == "\r\n" || line == "\n" || header_bytes > 64 * 1024 {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let mut conn = conn;
    let (status, ctype, body): (&str, &str, Vec<u8>) = if method != "GET" && method != "HEAD" {
        (
            "405 Method Not Allowed",
            "text/plain",
            b"method not allowed\n".to_vec(),
        )
    } else {
        match resolve(dir, target).and_then(|p| std::fs::read(&p).ok().map(|b| (p, b))) {
            Some((p, b)) => ("200 OK", content_type(&p), b),
            None => ("404 Not Found", "text/plain", b"not found\n".to_vec()),
        }
    };
    if !status.starts_with("200") {
        if let Ok(mut m) = misses.lock() {
            m.push(format!("{method} {target} -> {status}"));
        }
    }
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes())?;
    if method != "HEAD" {
        conn.write_all(&body)?;
    }
    conn.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "xtask-http-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("sub")).unwrap();
        d
    }

    #[test]
    fn serves_files_with_content_types_and_404s() {
        let dir = temp_dir("serve");
        std::fs::write(dir.join("index.html"), "<!DOCTYPE html><p>hi</p>").unwrap();
        std::fs::write(dir.join("app-123_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
        std::fs::write(dir.join("app.js"), "export {};").unwrap();
        std::fs::write(dir.join("sub/style.css"), "body{}").unwrap();
        let server = StaticServer::start(&dir).unwrap();
        let t = Duration::from_secs(5);
        let get = |p: &str| request(server.addr(), "GET", p, None, t).unwrap();

        let r = get("/");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(r.text(), "<!DOCTYPE html><p>hi</p>");

        // Query strings and fragments are ignored.
        assert_eq!(get("/index.html?x=1").status, 200);

        let r = get("/app-123_bg.wasm");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("Content-Type"), Some("application/wasm"));
        assert_eq!(r.body, b"\0asm\x01\0\0\0");

        assert_eq!(
            get("/app.js").header("content-type"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(get("/sub/style.css").text(), "body{}");
        assert_eq!(get("/sub/style%2Ecss").status, 200);

        assert_eq!(get("/missing.js").status, 404);
        assert_eq!(get("/../etc/passwd").status, 404);
        assert_eq!(get("/sub/../../etc/passwd").status, 404);
        let misses = server.misses.lock().unwrap().clone();
        assert_eq!(misses.len(), 3, "{misses:?}");

        let head = request(server.addr(), "HEAD", "/app.js", None, t).unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(head.header("content-length"), Some("10"));

        // An idle connection that never sends a request must not block other requests.
        let _idle = TcpStream::connect(server.addr()).unwrap();
        assert_eq!(get("/app.js").status, 200);

        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn parses_content_length_chunked_and_eof_bodies() {
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"value\":1}",
            false,
        )
        .unwrap();
        assert_eq!((r.status, r.text().as_str()), (200, "{\"value\":1}"));

        let r = parse_response(
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"va\r\n7;ext=1\r\nlue\":2}\r\n0\r\n\r\n",
            false,
        )
        .unwrap();
        assert_eq!((r.status, r.text().as_str()), (404, "{\"value\":2}"));

        let r = parse_response(b"HTTP/1.0 500 Internal Server Error\r\n\r\nboom", false).unwrap();
        assert_eq!((r.status, r.text().as_str()), (500, "boom"));

        assert!(parse_response(b"garbage", false).is_err());

        assert!(!is_complete(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
            false
        ));
        assert!(is_complete(
            b"HTTP/1.1 200 OK\r\nContent-Length:5\r\n\r\nabcde",
            false
        ));
        assert!(!is_complete(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
            false
        ));
        assert!(is_complete(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            false
        ));
        assert!(!is_complete(b"HTTP/1.1 200 OK\r\n\r\nuntil eof", false));
        assert!(is_complete(b"HTTP/1.1 204 No Content\r\n\r\n", false));
        assert!(is_complete(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
            true
        ));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", false).is_err());
    }

    #[test]
    fn client_does_not_wait_for_eof_on_keep_alive_servers() {
        // Like ChromeDriver: answers with a Content-Length and keeps the connection open.
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf).unwrap();
            conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length:14\r\nContent-Type:application/json\r\n\r\n{\"value\":true}")
                .unwrap();
            std::thread::sleep(Duration::from_millis(1500));
        });
        let t = std::time::Instant::now();
        let r = request(addr, "POST", "/x", Some(b"{}"), Duration::from_secs(10)).unwrap();
        assert_eq!(r.text(), "{\"value\":true}");
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        server.join().unwrap();
    }

    #[test]
    fn resolve_refuses_escapes() {
        let dir = temp_dir("resolve");
        std::fs::write(dir.join("index.html"), "x").unwrap();
        assert_eq!(resolve(&dir, "/"), Some(dir.join("index.html")));
        assert_eq!(resolve(&dir, "/#/lesson/x"), Some(dir.join("index.html")));
        assert_eq!(resolve(&dir, "/../x"), None);
        assert_eq!(resolve(&dir, "/%2e%2e/x"), None);
        assert_eq!(resolve(&dir, "/nope"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
