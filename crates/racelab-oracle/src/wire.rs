//! A minimal client for PostgreSQL's frontend/backend protocol, version 3.0 (std only).
//!
//! What it speaks: the StartupMessage with trust authentication (AuthenticationOk; any other
//! authentication request is an error), the simple Query protocol with results in text format,
//! and Terminate. Backend messages it understands: Authentication (`R`), ParameterStatus (`S`),
//! BackendKeyData (`K`, for the backend's process id), RowDescription (`T`), DataRow (`D`),
//! CommandComplete (`C`), EmptyQueryResponse (`I`), ErrorResponse (`E`), NoticeResponse (`N`) and
//! ReadyForQuery (`Z`); anything else (NotificationResponse, …) is skipped.
//!
//! Every message after the startup packet is `Byte1(type) Int32(length, counting itself) body`,
//! integers big-endian, strings NUL-terminated. Reads use a deadline, so a statement that waits
//! for a lock shows up as "no ReadyForQuery yet" ([`Conn::poll`] returns `None`) and its late
//! result can be collected by polling again.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Waits shorter than this end in non-blocking reads ([`Conn::read_within`]).
const PRECISE: Duration = Duration::from_millis(10);
/// The pause between two of those reads.
const TICK: Duration = Duration::from_micros(100);

/// Protocol 3.0 in the StartupMessage: major 3 in the high 16 bits, minor 0 in the low ones.
pub const PROTOCOL_VERSION: i32 = 3 << 16;

// ---------------------------------------------------------------------------------------------
// Frontend messages
// ---------------------------------------------------------------------------------------------

fn put_cstr(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
    out.push(0);
}

/// A typed message: the type byte, the length (which counts itself), the body.
fn message(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + body.len());
    out.push(ty);
    out.extend_from_slice(&(body.len() as i32 + 4).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// StartupMessage: `Int32 length, Int32 196608, (name\0 value\0)*, \0` (no type byte).
pub fn startup_message(user: &str, database: &str) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    for (k, v) in [
        ("user", user),
        ("database", database),
        ("client_encoding", "UTF8"),
    ] {
        put_cstr(&mut body, k);
        put_cstr(&mut body, v);
    }
    body.push(0);
    let mut out = (body.len() as i32 + 4).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

/// Query: `'Q' Int32 length, query\0`.
pub fn query_message(sql: &str) -> Vec<u8> {
    let mut body = Vec::new();
    put_cstr(&mut body, sql);
    message(b'Q', &body)
}

/// Terminate: `'X' Int32 4`.
pub fn terminate_message() -> Vec<u8> {
    message(b'X', &[])
}

// ---------------------------------------------------------------------------------------------
// Backend messages
// ---------------------------------------------------------------------------------------------

/// The fields of an ErrorResponse or NoticeResponse that the oracle compares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorFields {
    /// `V` (never localized, PostgreSQL ≥ 9.6), else `S`: ERROR, WARNING, NOTICE, …
    pub severity: String,
    /// `C`: the SQLSTATE.
    pub code: String,
    /// `M`: the primary message.
    pub message: String,
    /// `D`: the detail line, if any (the simulator does not model it; shown, not compared).
    pub detail: Option<String>,
}

/// One backend message, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// `R`: the authentication request code (0 = AuthenticationOk).
    Authentication(i32),
    /// `S`
    ParameterStatus { name: String, value: String },
    /// `K`: the backend's process id and the cancel key.
    BackendKeyData { pid: i32, secret: i32 },
    /// `T`: the column names.
    RowDescription(Vec<String>),
    /// `D`: the values in text format, `None` for NULL.
    DataRow(Vec<Option<String>>),
    /// `C`: the command tag, e.g. `UPDATE 1`.
    CommandComplete(String),
    /// `I`
    EmptyQueryResponse,
    /// `E`
    Error(ErrorFields),
    /// `N`
    Notice(ErrorFields),
    /// `Z`: the transaction status, `I` (idle), `T` (in a block) or `E` (failed block).
    ReadyForQuery(u8),
    /// A message the oracle does not use (its type byte).
    Other(u8),
}

fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// A cursor over a message body.
struct Body<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Body<'a> {
    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| bad("message body too short"))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn i16(&mut self) -> io::Result<i16> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self) -> io::Result<i32> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn cstr(&mut self) -> io::Result<String> {
        let rest = &self.bytes[self.at..];
        let n = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| bad("string without its NUL terminator"))?;
        let s = String::from_utf8_lossy(&rest[..n]).into_owned();
        self.at += n + 1;
        Ok(s)
    }
}

fn error_fields(body: &mut Body<'_>) -> io::Result<ErrorFields> {
    let mut f = ErrorFields::default();
    let mut localized_severity = String::new();
    loop {
        let ty = body.u8()?;
        if ty == 0 {
            break;
        }
        let v = body.cstr()?;
        match ty {
            b'V' => f.severity = v,
            b'S' => localized_severity = v,
            b'C' => f.code = v,
            b'M' => f.message = v,
            b'D' => f.detail = Some(v),
            _ => {}
        }
    }
    if f.severity.is_empty() {
        f.severity = localized_severity;
    }
    Ok(f)
}

/// Decodes the body of a backend message of type `ty`.
pub fn decode(ty: u8, bytes: &[u8]) -> io::Result<Backend> {
    let mut b = Body { bytes, at: 0 };
    Ok(match ty {
        b'R' => Backend::Authentication(b.i32()?),
        b'S' => Backend::ParameterStatus {
            name: b.cstr()?,
            value: b.cstr()?,
        },
        b'K' => Backend::BackendKeyData {
            pid: b.i32()?,
            secret: b.i32()?,
        },
        b'T' => {
            let n = b.i16()?;
            let mut names = Vec::new();
            for _ in 0..n {
                names.push(b.cstr()?);
                // table oid (4), column number (2), type oid (4), type size (2), type modifier
                // (4), format code (2)
                b.take(18)?;
            }
            Backend::RowDescription(names)
        }
        b'D' => {
            let n = b.i16()?;
            let mut values = Vec::new();
            for _ in 0..n {
                let len = b.i32()?;
                if len < 0 {
                    values.push(None);
                } else {
                    let v = b.take(len as usize)?;
                    values.push(Some(String::from_utf8_lossy(v).into_owned()));
                }
            }
            Backend::DataRow(values)
        }
        b'C' => Backend::CommandComplete(b.cstr()?),
        b'I' => Backend::EmptyQueryResponse,
        b'E' => Backend::Error(error_fields(&mut b)?),
        b'N' => Backend::Notice(error_fields(&mut b)?),
        b'Z' => Backend::ReadyForQuery(b.u8()?),
        other => Backend::Other(other),
    })
}

/// Splits a byte stream into backend messages. Bytes are pushed as they arrive; a message is
/// returned once all of it is there.
#[derive(Default)]
pub struct Framer {
    buf: Vec<u8>,
}

impl Framer {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete message (type byte and body), if one has fully arrived.
    pub fn next_message(&mut self) -> io::Result<Option<(u8, Vec<u8>)>> {
        if self.buf.len() < 5 {
            return Ok(None);
        }
        let len = i32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]);
        if len < 4 {
            return Err(bad(format!("message length {len} < 4")));
        }
        let total = 1 + len as usize;
        if self.buf.len() < total {
            return Ok(None);
        }
        let ty = self.buf[0];
        let body = self.buf[5..total].to_vec();
        self.buf.drain(..total);
        Ok(Some((ty, body)))
    }
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

/// Everything the server answered to one simple Query, up to and including ReadyForQuery.
/// (The oracle sends one statement per Query; with several, rows and tag are the last ones.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    /// The CommandComplete tag (`None` after an error or an empty query).
    pub tag: Option<String>,
    pub error: Option<ErrorFields>,
    /// Notices and warnings, in the order they arrived.
    pub notices: Vec<ErrorFields>,
    pub empty: bool,
    /// ReadyForQuery's transaction status: `I`, `T` or `E`.
    pub status: u8,
}

impl Reply {
    /// The server ended the session with a FATAL error (no ReadyForQuery follows).
    pub fn is_fatal(&self) -> bool {
        self.error.as_ref().is_some_and(|e| e.severity == "FATAL")
    }

    /// Folds one message in; returns `true` at ReadyForQuery (the reply is complete).
    pub fn absorb(&mut self, msg: Backend) -> io::Result<bool> {
        match msg {
            Backend::RowDescription(cols) => {
                self.columns = cols;
                self.rows.clear();
            }
            Backend::DataRow(values) => self.rows.push(values),
            Backend::CommandComplete(tag) => self.tag = Some(tag),
            Backend::EmptyQueryResponse => self.empty = true,
            Backend::Error(e) => self.error = Some(e),
            Backend::Notice(n) => self.notices.push(n),
            Backend::ReadyForQuery(status) => {
                self.status = status;
                return Ok(true);
            }
            Backend::Authentication(code) => {
                return Err(bad(format!("unexpected authentication request {code}")))
            }
            Backend::ParameterStatus { .. }
            | Backend::BackendKeyData { .. }
            | Backend::Other(_) => {}
        }
        Ok(false)
    }
}

// ---------------------------------------------------------------------------------------------
// The connection
// ---------------------------------------------------------------------------------------------

/// One connection (one backend process on the server).
pub struct Conn {
    stream: TcpStream,
    framer: Framer,
    /// The backend's process id (from BackendKeyData), for `pg_locks` / `pg_stat_activity`.
    pub pid: i32,
    /// The reply being collected for the Query in flight (`None`: no Query in flight).
    pending: Option<Reply>,
}

impl Conn {
    /// Connects and authenticates (trust only); waits for the first ReadyForQuery.
    pub fn connect(
        addr: impl ToSocketAddrs,
        user: &str,
        database: &str,
        timeout: Duration,
    ) -> io::Result<Conn> {
        let addr = addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| bad("no address"))?;
        let stream = TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_nodelay(true)?;
        let mut conn = Conn {
            stream,
            framer: Framer::default(),
            pid: 0,
            pending: None,
        };
        conn.stream.write_all(&startup_message(user, database))?;
        let deadline = Instant::now() + timeout;
        loop {
            let Some(msg) = conn.read_message(deadline)? else {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no ReadyForQuery after the startup message",
                ));
            };
            match msg {
                Backend::Authentication(0) => {}
                Backend::Authentication(code) => {
                    return Err(bad(format!(
                        "the server asks for authentication method {code}; only trust is supported"
                    )))
                }
                Backend::BackendKeyData { pid, .. } => conn.pid = pid,
                Backend::Error(e) => {
                    return Err(io::Error::other(format!(
                        "connection refused: {} {}: {}",
                        e.severity, e.code, e.message
                    )))
                }
                Backend::ReadyForQuery(_) => return Ok(conn),
                _ => {}
            }
        }
    }

    /// One read that waits about `left` at most. A socket read timeout counts in scheduler ticks
    /// (4 ms and more), far too coarse for the oracle's few-millisecond polls of a statement
    /// that may be waiting for a lock, so the last [`PRECISE`] before a deadline are spent in
    /// non-blocking reads [`TICK`] apart.
    fn read_within(&mut self, chunk: &mut [u8], left: Duration) -> io::Result<usize> {
        if left > PRECISE {
            self.stream.set_read_timeout(Some(left - PRECISE))?;
            return self.stream.read(chunk);
        }
        self.stream.set_nonblocking(true)?;
        let r = self.stream.read(chunk);
        self.stream.set_nonblocking(false)?;
        if matches!(&r, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            std::thread::sleep(TICK.min(left));
        }
        r
    }

    /// Reads one message, waiting until `deadline` at most (`None`: nothing complete by then).
    fn read_message(&mut self, deadline: Instant) -> io::Result<Option<Backend>> {
        loop {
            if let Some((ty, body)) = self.framer.next_message()? {
                return decode(ty, &body).map(Some);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            let mut chunk = [0u8; 8192];
            match self.read_within(&mut chunk, left) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    ))
                }
                Ok(n) => self.framer.push(&chunk[..n]),
                // Not yet: the loop looks at the deadline again.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends a simple Query without waiting for its answer (collect it with [`Conn::poll`]).
    pub fn send_query(&mut self, sql: &str) -> io::Result<()> {
        if self.pending.is_some() {
            return Err(io::Error::other(
                "a Query is still in flight on this connection",
            ));
        }
        match self.stream.write_all(&query_message(sql)) {
            Ok(()) => {}
            // The server already closed the connection (it terminated an idle session): what
            // it said before closing is still there to read.
            Err(e) if matches!(e.kind(), io::ErrorKind::BrokenPipe) => {}
            Err(e) => return Err(e),
        }
        self.pending = Some(Reply::default());
        Ok(())
    }

    /// `true` while a Query's reply is incomplete.
    pub fn in_flight(&self) -> bool {
        self.pending.is_some()
    }

    /// Waits up to `timeout` for the in-flight Query's ReadyForQuery. `None`: not yet (the
    /// statement still runs or waits for a lock); poll again later.
    pub fn poll(&mut self, timeout: Duration) -> io::Result<Option<Reply>> {
        if self.pending.is_none() {
            return Err(io::Error::other("no Query in flight"));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let msg = match self.read_message(deadline) {
                Ok(Some(msg)) => msg,
                Ok(None) => return Ok(None),
                // A FATAL error, then the end of the connection: that is the reply.
                Err(_) if self.pending.as_ref().is_some_and(Reply::is_fatal) => {
                    return Ok(self.pending.take());
                }
                Err(e) => return Err(e),
            };
            let reply = self.pending.as_mut().expect("checked above");
            if reply.absorb(msg)? {
                return Ok(self.pending.take());
            }
        }
    }

    /// Sends a Query and waits for its whole reply (an error when it takes longer than `timeout`).
    pub fn query(&mut self, sql: &str, timeout: Duration) -> io::Result<Reply> {
        self.send_query(sql)?;
        self.poll(timeout)?.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no answer within {timeout:?} to: {sql}"),
            )
        })
    }

    /// Like [`Conn::query`], but an ErrorResponse is an `Err` too.
    pub fn exec(&mut self, sql: &str, timeout: Duration) -> io::Result<Reply> {
        let reply = self.query(sql, timeout)?;
        match &reply.error {
            Some(e) => Err(io::Error::other(format!(
                "{sql}: {} {}: {}",
                e.severity, e.code, e.message
            ))),
            None => Ok(reply),
        }
    }

    /// Sends Terminate and closes the socket (what a client process does when it exits; a
    /// killed process only closes the socket, which the server treats the same way).
    pub fn terminate(mut self) {
        let _ = self.stream.write_all(&terminate_message());
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a backend message by hand: type byte, Int32 length (counting itself), body.
    fn msg(ty: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![ty];
        out.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    fn decode_one(bytes: &[u8]) -> Backend {
        let mut f = Framer::default();
        f.push(bytes);
        let (ty, body) = f.next_message().unwrap().unwrap();
        assert!(f.next_message().unwrap().is_none(), "exactly one message");
        decode(ty, &body).unwrap()
    }

    #[test]
    fn startup_message_bytes() {
        let m = startup_message("postgres", "db1");
        let body: &[u8] =
            b"\x00\x03\x00\x00user\0postgres\0database\0db1\0client_encoding\0UTF8\0\0";
        let mut expected = ((body.len() + 4) as u32).to_be_bytes().to_vec();
        expected.extend_from_slice(body);
        assert_eq!(m, expected);
        assert_eq!(&m[4..8], &[0, 3, 0, 0], "protocol 3.0 = 196608");
    }

    #[test]
    fn query_and_terminate_bytes() {
        assert_eq!(
            query_message("SELECT 1"),
            b"Q\x00\x00\x00\x0dSELECT 1\x00".to_vec()
        );
        assert_eq!(terminate_message(), b"X\x00\x00\x00\x04".to_vec());
    }

    #[test]
    fn decodes_authentication_and_startup_chatter() {
        assert_eq!(
            decode_one(b"R\x00\x00\x00\x08\x00\x00\x00\x00"),
            Backend::Authentication(0)
        );
        assert_eq!(
            decode_one(b"R\x00\x00\x00\x08\x00\x00\x00\x05"),
            Backend::Authentication(5),
            "5 = AuthenticationMD5Password"
        );
        assert_eq!(
            decode_one(&msg(b'S', b"TimeZone\0UTC\0")),
            Backend::ParameterStatus {
                name: "TimeZone".into(),
                value: "UTC".into()
            }
        );
        assert_eq!(
            decode_one(b"K\x00\x00\x00\x0c\x00\x00\x30\x39\x12\x34\x56\x78"),
            Backend::BackendKeyData {
                pid: 12345,
                secret: 0x1234_5678
            }
        );
        assert_eq!(
            decode_one(b"Z\x00\x00\x00\x05T"),
            Backend::ReadyForQuery(b'T')
        );
    }

    #[test]
    fn decodes_row_description_and_data_rows() {
        // Two fields: "id" int4 (oid 23, size 4) and "name" text (oid 25, size -1), text format.
        let mut body = vec![0, 2];
        body.extend_from_slice(b"id\0");
        body.extend_from_slice(&[0, 0, 0x40, 0x01, 0, 1, 0, 0, 0, 23, 0, 4]);
        body.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0]);
        body.extend_from_slice(b"name\0");
        body.extend_from_slice(&[0, 0, 0x40, 0x01, 0, 2, 0, 0, 0, 25, 0xff, 0xff]);
        body.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0]);
        assert_eq!(
            decode_one(&msg(b'T', &body)),
            Backend::RowDescription(vec!["id".into(), "name".into()])
        );
        // A row: 42 and NULL (length -1, no bytes).
        let body = [0, 2, 0, 0, 0, 2, b'4', b'2', 0xff, 0xff, 0xff, 0xff];
        assert_eq!(
            decode_one(&msg(b'D', &body)),
            Backend::DataRow(vec![Some("42".into()), None])
        );
        // An empty string is length 0, not NULL.
        assert_eq!(
            decode_one(&msg(b'D', &[0, 1, 0, 0, 0, 0])),
            Backend::DataRow(vec![Some(String::new())])
        );
    }

    #[test]
    fn decodes_errors_and_notices() {
        let body = b"SERROR\0VERROR\0C23505\0Mduplicate key value violates unique constraint \"t_pkey\"\0DKey (id)=(1) already exists.\0Fnbtinsert.c\0L664\0\0";
        assert_eq!(
            decode_one(&msg(b'E', body)),
            Backend::Error(ErrorFields {
                severity: "ERROR".into(),
                code: "23505".into(),
                message: "duplicate key value violates unique constraint \"t_pkey\"".into(),
                detail: Some("Key (id)=(1) already exists.".into()),
            })
        );
        // A localized server (no V field): fall back to S.
        let body = b"SWARNUNG\0C25P01\0Mthere is no transaction in progress\0\0";
        assert_eq!(
            decode_one(&msg(b'N', body)),
            Backend::Notice(ErrorFields {
                severity: "WARNUNG".into(),
                code: "25P01".into(),
                message: "there is no transaction in progress".into(),
                detail: None,
            })
        );
    }

    #[test]
    fn decodes_command_complete_and_empty_query() {
        assert_eq!(
            decode_one(&msg(b'C', b"INSERT 0 1\0")),
            Backend::CommandComplete("INSERT 0 1".into())
        );
        assert_eq!(
            decode_one(b"I\x00\x00\x00\x04"),
            Backend::EmptyQueryResponse
        );
        assert_eq!(
            decode_one(&msg(b'A', b"\0\0\0\x01x\0y\0")),
            Backend::Other(b'A')
        );
    }

    #[test]
    fn framer_waits_for_whole_messages_and_splits_runs() {
        let mut bytes = msg(b'C', b"SELECT 1\0");
        bytes.extend_from_slice(b"Z\x00\x00\x00\x05I");
        let mut f = Framer::default();
        f.push(&bytes[..3]);
        assert!(f.next_message().unwrap().is_none());
        f.push(&bytes[3..10]);
        assert!(f.next_message().unwrap().is_none());
        f.push(&bytes[10..]);
        assert_eq!(
            f.next_message().unwrap(),
            Some((b'C', b"SELECT 1\0".to_vec()))
        );
        assert_eq!(f.next_message().unwrap(), Some((b'Z', b"I".to_vec())));
        assert_eq!(f.next_message().unwrap(), None);
        let mut f = Framer::default();
        f.push(b"Z\x00\x00\x00\x02");
        assert!(f.next_message().is_err(), "a length below 4 is corrupt");
    }

    #[test]
    fn truncated_bodies_are_errors_not_panics() {
        assert!(decode(b'D', &[0, 1, 0, 0, 0, 9, b'x']).is_err());
        assert!(decode(b'T', &[0, 1, b'i', b'd']).is_err());
        assert!(decode(b'K', &[0, 0]).is_err());
        assert!(decode(b'E', b"Mno terminator").is_err());
    }

    #[test]
    fn a_reply_folds_a_select_with_a_notice() {
        let mut r = Reply::default();
        let msgs = [
            Backend::Notice(ErrorFields {
                severity: "WARNING".into(),
                code: "01000".into(),
                message: "w".into(),
                detail: None,
            }),
            Backend::RowDescription(vec!["a".into()]),
            Backend::DataRow(vec![Some("1".into())]),
            Backend::CommandComplete("SELECT 1".into()),
        ];
        for m in msgs {
            assert!(!r.absorb(m).unwrap());
        }
        assert!(r.absorb(Backend::ReadyForQuery(b'I')).unwrap());
        assert_eq!(r.tag.as_deref(), Some("SELECT 1"));
        assert_eq!(r.rows, vec![vec![Some("1".to_string())]]);
        assert_eq!(r.notices.len(), 1);
        assert_eq!(r.status, b'I');
    }
}
