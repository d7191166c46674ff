//! A minimal Redis client speaking RESP2 (std only).
//!
//! Commands go out as an array of bulk strings (`*N\r\n` then `$LEN\r\nWORD\r\n` per word), the
//! form every Redis accepts. Replies are decoded into the engine's
//! [`racelab_engine::service::redis::resp::Resp`], so that the oracle compares the real server and
//! the simulator value for value:
//!
//! | wire                 | `Resp`            |
//! | -------------------- | ----------------- |
//! | `+OK`                | `Simple("OK")`    |
//! | `-ERR …`             | `Error("ERR …")`  (the whole line after `-`) |
//! | `:42`                | `Int(42)`         |
//! | `$3\r\nabc`          | `Bulk("abc")`     |
//! | `$-1`                | `Nil`             |
//! | `*2 …`               | `Array([…])`      |
//! | `*-1`                | `NilArray`        |
//!
//! A connection in subscribed mode receives pushes (`message` arrays) that are not replies to
//! anything; [`RedisConn::read_push`] reads the next one with a short deadline.

use racelab_engine::service::redis::resp::Resp;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long a command's reply may take before the connection is reported broken.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// `*N\r\n$LEN\r\nWORD\r\n…`: a command as an array of bulk strings.
pub fn encode_command(words: &[String]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", words.len()).into_bytes();
    for w in words {
        out.extend_from_slice(format!("${}\r\n", w.len()).as_bytes());
        out.extend_from_slice(w.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// One line up to `\r\n` (without it).
fn read_line(r: &mut impl BufRead) -> io::Result<String> {
    let mut buf = Vec::new();
    let n = r.read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        ));
    }
    if !buf.ends_with(b"\r\n") {
        return Err(bad(format!(
            "a RESP line must end with CRLF: {:?}",
            String::from_utf8_lossy(&buf)
        )));
    }
    buf.truncate(buf.len() - 2);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn length(line: &str, what: &str) -> io::Result<i64> {
    line.parse::<i64>()
        .map_err(|_| bad(format!("bad {what} length {line:?}")))
}

/// Reads one complete reply (arrays recursively).
pub fn read_reply(r: &mut impl BufRead) -> io::Result<Resp> {
    let line = read_line(r)?;
    let Some(kind) = line.chars().next() else {
        return Err(bad("an empty RESP line".into()));
    };
    let rest = &line[1..];
    match kind {
        '+' => Ok(Resp::Simple(rest.to_string())),
        '-' => Ok(Resp::Error(rest.to_string())),
        ':' => rest
            .parse::<i64>()
            .map(Resp::Int)
            .map_err(|_| bad(format!("bad integer reply {rest:?}"))),
        '$' => {
            let n = length(rest, "bulk")?;
            if n == -1 {
                return Ok(Resp::Nil);
            }
            if n < 0 {
                return Err(bad(format!("bad bulk length {n}")));
            }
            let mut buf = vec![0; n as usize + 2];
            r.read_exact(&mut buf)?;
            if !buf.ends_with(b"\r\n") {
                return Err(bad("a bulk string must end with CRLF".into()));
            }
            buf.truncate(n as usize);
            Ok(Resp::Bulk(String::from_utf8_lossy(&buf).into_owned()))
        }
        '*' => {
            let n = length(rest, "array")?;
            if n == -1 {
                return Ok(Resp::NilArray);
            }
            if n < 0 {
                return Err(bad(format!("bad array length {n}")));
            }
            (0..n)
                .map(|_| read_reply(r))
                .collect::<io::Result<Vec<_>>>()
                .map(Resp::Array)
        }
        _ => Err(bad(format!("unknown RESP type in {line:?} (RESP3?)"))),
    }
}

/// One connection to the server.
pub struct RedisConn {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl RedisConn {
    pub fn connect(addr: SocketAddr) -> io::Result<RedisConn> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(REPLY_TIMEOUT))?;
        let reader = BufReader::new(stream.try_clone()?);
        Ok(RedisConn { stream, reader })
    }

    pub fn send(&mut self, words: &[String]) -> io::Result<()> {
        self.stream.write_all(&encode_command(words))
    }

    /// Sends a command and reads its reply.
    pub fn call(&mut self, words: &[String]) -> io::Result<Resp> {
        self.send(words)?;
        self.stream.set_read_timeout(Some(REPLY_TIMEOUT))?;
        read_reply(&mut self.reader)
    }

    /// [`RedisConn::call`] with the words given as `&str`.
    pub fn cmd(&mut self, words: &[&str]) -> io::Result<Resp> {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        self.call(&words)
    }

    /// The next message pushed to this connection, waiting at most `wait`; `None` if nothing
    /// came (a partial reply that started arriving is still read to its end).
    pub fn read_push(&mut self, wait: Duration) -> io::Result<Option<Resp>> {
        if self.reader.buffer().is_empty() {
            self.stream.set_read_timeout(Some(wait))?;
            let filled = self.reader.fill_buf().map(|b| !b.is_empty());
            self.stream.set_read_timeout(Some(REPLY_TIMEOUT))?;
            match filled {
                Ok(true) => {}
                Ok(false) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    ))
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None)
                }
                Err(e) => return Err(e),
            }
        }
        read_reply(&mut self.reader).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Resp {
        let mut r = bytes;
        let v = read_reply(&mut r).unwrap();
        assert!(r.is_empty(), "left over: {:?}", String::from_utf8_lossy(r));
        v
    }

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn encodes_commands_as_arrays_of_bulk_strings() {
        assert_eq!(
            encode_command(&words(&["SET", "k", "a b"])),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na b\r\n".to_vec()
        );
        assert_eq!(
            encode_command(&words(&["GET", ""])),
            b"*2\r\n$3\r\nGET\r\n$0\r\n\r\n".to_vec()
        );
    }

    #[test]
    fn decodes_simple_errors_integers_and_nils() {
        assert_eq!(decode(b"+OK\r\n"), Resp::ok());
        assert_eq!(
            decode(b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            Resp::wrong_type()
        );
        assert_eq!(
            decode(b"-ERR syntax error\r\n"),
            Resp::Error("ERR syntax error".into())
        );
        assert_eq!(decode(b":-2\r\n"), Resp::Int(-2));
        assert_eq!(decode(b":9223372036854775807\r\n"), Resp::Int(i64::MAX));
        assert_eq!(decode(b"$-1\r\n"), Resp::Nil);
        assert_eq!(decode(b"*-1\r\n"), Resp::NilArray);
        assert_eq!(decode(b"*0\r\n"), Resp::Array(vec![]));
    }

    #[test]
    fn decodes_bulk_strings_with_crlf_inside() {
        assert_eq!(decode(b"$3\r\n500\r\n"), Resp::Bulk("500".into()));
        assert_eq!(decode(b"$0\r\n\r\n"), Resp::Bulk(String::new()));
        assert_eq!(decode(b"$4\r\na\r\nb\r\n"), Resp::Bulk("a\r\nb".into()));
    }

    #[test]
    fn decodes_nested_arrays() {
        // EXEC's reply: OK, a nil, a run-time error, and a pub/sub confirmation inside.
        let bytes =
            b"*4\r\n+OK\r\n$-1\r\n-WRONGTYPE x\r\n*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n";
        assert_eq!(
            decode(bytes),
            Resp::Array(vec![
                Resp::ok(),
                Resp::Nil,
                Resp::Error("WRONGTYPE x".into()),
                Resp::Array(vec![
                    Resp::Bulk("subscribe".into()),
                    Resp::Bulk("ch".into()),
                    Resp::Int(1),
                ]),
            ])
        );
    }

    #[test]
    fn two_replies_in_one_buffer_are_read_one_at_a_time() {
        let mut r: &[u8] = b":1\r\n$1\r\nx\r\n";
        assert_eq!(read_reply(&mut r).unwrap(), Resp::Int(1));
        assert_eq!(read_reply(&mut r).unwrap(), Resp::Bulk("x".into()));
        assert!(read_reply(&mut r).is_err(), "end of stream");
    }

    #[test]
    fn rejects_malformed_replies() {
        for bytes in [
            &b"+OK\n"[..],
            b"$3\r\nab\r\n",
            b":12x\r\n",
            b"%1\r\n",
            b"$-2\r\n",
            b"\r\n",
            b"*2\r\n:1\r\n",
        ] {
            let mut r = bytes;
            assert!(
                read_reply(&mut r).is_err(),
                "{:?} must not decode",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}
