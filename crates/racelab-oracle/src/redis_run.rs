//! Runs a Redis sequence on a real server and on the simulated store, step by step, and
//! compares every reply.

use crate::redis_seq::{Action, Sequence, Step};
use crate::resp::RedisConn;
use racelab_engine::service::redis::resp::Resp;
use racelab_engine::service::redis::store::Store;
use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The simulator's virtual clock at the start of a sequence (ms). Not 0, so that `{s-N}` and
/// `{ms-N}` (times in the past) stay positive on both sides.
pub const VIRTUAL_ORIGIN: u64 = 1_000_000_000;

/// How long `!read` waits on the server for a pushed message.
pub const READ_WAIT: Duration = Duration::from_millis(300);

/// How long the end-of-sequence check waits for a push nobody read.
const LEFTOVER_WAIT: Duration = Duration::from_millis(30);

/// One step where the two sides disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disagreement {
    /// `line N `STEP`` (or what was left over at the end).
    pub step: String,
    pub real: String,
    pub sim: String,
}

/// A reply as the report shows it: precise enough to tell `+OK` from `"OK"` and `$-1` from
/// `*-1`.
pub fn show(r: &Resp) -> String {
    match r {
        Resp::Simple(s) => format!("+{s}"),
        Resp::Error(e) => format!("-{e}"),
        Resp::Int(i) => format!(":{i}"),
        Resp::Bulk(s) => format!("{s:?}"),
        Resp::Nil => "(nil)".into(),
        Resp::NilArray => "(nil array)".into(),
        Resp::Array(items) => {
            let inner: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", inner.join(", "))
        }
    }
}

fn show_push(r: &Option<Resp>) -> String {
    r.as_ref().map_or_else(|| "(no message)".into(), show)
}

/// Judges one command's replies: `None` when they agree.
pub fn judge(real: &Resp, sim: &Resp, drift: Option<i64>) -> Option<String> {
    match drift {
        None if real == sim => None,
        None => Some(String::new()),
        Some(n) => match (real, sim) {
            (Resp::Int(r), Resp::Int(s)) if *r <= *s && *r >= s.saturating_sub(n) => None,
            (Resp::Int(_), Resp::Int(_)) => Some(format!(
                " (!drift {n}: the server's integer must be within [simulator − {n}, simulator])"
            )),
            _ => Some(format!(" (!drift {n} needs two integers)")),
        },
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The real side of one sequence: its connections, opened on first use.
struct Real {
    addr: SocketAddr,
    conns: BTreeMap<String, RedisConn>,
}

impl Real {
    fn conn(&mut self, name: &str) -> io::Result<&mut RedisConn> {
        if !self.conns.contains_key(name) {
            let c = RedisConn::connect(self.addr)?;
            self.conns.insert(name.to_string(), c);
        }
        Ok(self.conns.get_mut(name).expect("just inserted"))
    }
}

/// Empties the server: FLUSHALL, and waits until no connection of an earlier sequence is still
/// subscribed to a channel (closed sockets are noticed by the server asynchronously).
pub fn reset_server(admin: &mut RedisConn) -> Result<(), String> {
    let r = admin
        .cmd(&["FLUSHALL"])
        .map_err(|e| format!("FLUSHALL: {e}"))?;
    if r != Resp::ok() {
        return Err(format!("FLUSHALL answered {}", show(&r)));
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let r = admin
            .cmd(&["PUBSUB", "CHANNELS"])
            .map_err(|e| format!("PUBSUB CHANNELS: {e}"))?;
        if r == Resp::Array(vec![]) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "channels still have subscribers from an earlier sequence: {}",
                show(&r)
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn at(step: &Step) -> String {
    format!("line {} `{step}`", step.line)
}

/// Runs `seq` on the server at `addr` (`admin` is a connection kept across sequences, for
/// FLUSHALL) and on a fresh [`Store`]. `log`: print every step's two replies. `Err`: the
/// sequence could not run (connection trouble); `Ok`: every disagreement (empty: all agree).
pub fn run(
    addr: SocketAddr,
    admin: &mut RedisConn,
    seq: &Sequence,
    log: bool,
) -> Result<Vec<Disagreement>, String> {
    reset_server(admin)?;
    let mut real = Real {
        addr,
        conns: BTreeMap::new(),
    };
    let mut store = Store::new();
    let ids: BTreeMap<String, usize> = seq
        .conns()
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c, i + 1))
        .collect();
    let mut inbox: BTreeMap<usize, VecDeque<Resp>> = BTreeMap::new();
    let mut subscribed: Vec<String> = Vec::new();
    let real_origin = unix_ms();
    let mut now = VIRTUAL_ORIGIN;
    let mut out = Vec::new();
    for step in &seq.steps {
        let conn = ids.get(&step.conn).copied().unwrap_or(0);
        let (real_reply, sim_reply, verdict) = match &step.action {
            Action::Sleep(ms) => {
                std::thread::sleep(Duration::from_millis(*ms));
                now += ms;
                continue;
            }
            Action::Command { words, drift } => {
                let real_words: Vec<String> =
                    words.iter().map(|w| w.resolve(real_origin)).collect();
                let sim_words: Vec<String> =
                    words.iter().map(|w| w.resolve(VIRTUAL_ORIGIN)).collect();
                if real_words[0].eq_ignore_ascii_case("subscribe") {
                    subscribed.push(step.conn.clone());
                }
                let r = real
                    .conn(&step.conn)
                    .and_then(|c| c.call(&real_words))
                    .map_err(|e| format!("{}: the server connection: {e}", at(step)))?;
                let s = store.exec(conn, &sim_words, now);
                let verdict = judge(&r, &s, *drift);
                (show(&r), show(&s), verdict)
            }
            Action::Read => {
                let r = real
                    .conn(&step.conn)
                    .and_then(|c| c.read_push(READ_WAIT))
                    .map_err(|e| format!("{}: the server connection: {e}", at(step)))?;
                let q = inbox.entry(conn).or_default();
                q.extend(store.take_inbox(conn));
                let s = q.pop_front();
                let verdict = (r != s).then(String::new);
                (show_push(&r), show_push(&s), verdict)
            }
        };
        if log {
            println!("    {}", at(step));
            println!("        redis:     {real_reply}");
            println!("        simulator: {sim_reply}");
        }
        if let Some(note) = verdict {
            let hint = if sim_reply.contains("not supported by the simulator") {
                " — the simulator refuses this step: leave it out of the sequences"
            } else {
                ""
            };
            out.push(Disagreement {
                step: format!("{}{note}{hint}", at(step)),
                real: real_reply,
                sim: sim_reply,
            });
        }
    }
    // Pushes nobody read: a sequence reads every message it causes.
    for (name, &id) in &ids {
        let q = inbox.entry(id).or_default();
        q.extend(store.take_inbox(id));
        let sim_left: Vec<String> = q.iter().map(show).collect();
        let mut real_left = Vec::new();
        if subscribed.contains(name) {
            let c = real
                .conn(name)
                .map_err(|e| format!("{name}: the server connection: {e}"))?;
            while let Some(r) = c
                .read_push(LEFTOVER_WAIT)
                .map_err(|e| format!("{name}: the server connection: {e}"))?
            {
                real_left.push(show(&r));
            }
        }
        if !sim_left.is_empty() || !real_left.is_empty() {
            out.push(Disagreement {
                step: format!(
                    "end: messages pushed to {name} that the sequence never read (add `{name}: !read` steps)"
                ),
                real: format!("[{}]", real_left.join(", ")),
                sim: format!("[{}]", sim_left.join(", ")),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_replies_precisely() {
        assert_eq!(show(&Resp::ok()), "+OK");
        assert_eq!(show(&Resp::Bulk("OK".into())), "\"OK\"");
        assert_eq!(show(&Resp::Nil), "(nil)");
        assert_eq!(show(&Resp::NilArray), "(nil array)");
        assert_eq!(
            show(&Resp::Array(vec![Resp::Int(1), Resp::syntax()])),
            "[:1, -ERR syntax error]"
        );
        assert_eq!(show_push(&None), "(no message)");
    }

    #[test]
    fn judging_exact_and_drift() {
        assert_eq!(judge(&Resp::Int(5), &Resp::Int(5), None), None);
        assert!(judge(&Resp::Int(4), &Resp::Int(5), None).is_some());
        assert!(judge(&Resp::Simple("5".into()), &Resp::Bulk("5".into()), None).is_some());
        // The server's clock runs on: it may be lower, by at most N, never higher.
        assert_eq!(judge(&Resp::Int(9_970), &Resp::Int(10_000), Some(30)), None);
        assert_eq!(
            judge(&Resp::Int(10_000), &Resp::Int(10_000), Some(30)),
            None
        );
        assert!(judge(&Resp::Int(9_969), &Resp::Int(10_000), Some(30)).is_some());
        assert!(judge(&Resp::Int(10_001), &Resp::Int(10_000), Some(30)).is_some());
        assert!(judge(&Resp::Int(-2), &Resp::Nil, Some(30))
            .unwrap()
            .contains("two integers"));
    }
}
