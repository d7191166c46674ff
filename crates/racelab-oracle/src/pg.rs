//! The PostgreSQL side: a fresh database per scenario (or, for the random schedules, one
//! database reused), one connection per scenario session.
//!
//! Lock waits are detected, not guessed: after sending a statement the runner polls the
//! connection in short slices and asks an admin connection whether the backend has a lock
//! request that is not granted (`pg_locks`). A statement with such a request is `blocked`; one
//! that neither finishes nor waits within [`STATEMENT_BOUND`] is reported as blocked too (the
//! report then shows it is not a lock wait). After every step the previously blocked sessions
//! are polled until each one has either finished (a wake-up) or is again waiting on a lock, and
//! every crashed client's backend has exited or waits on a lock. Lock releases happen before
//! the releasing statement's ReadyForQuery, so this settles deterministically. `!wait MS`
//! sleeps MS ms of real time and then settles the same way (deadlock checks and timeouts fire
//! on the server's own clock).

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::outcome::{Notice, Observed, Outcome};
use crate::scenario::{Action, Step};
use crate::wire::{Conn, ErrorFields, Reply};

/// Admin statements (CREATE DATABASE, catalog probes) and connecting.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a statement may run without finishing or waiting on a lock before it is reported
/// as blocked anyway.
pub const STATEMENT_BOUND: Duration = Duration::from_secs(2);
/// How long the runner waits for woken statements and exiting backends to settle.
const SETTLE_BOUND: Duration = Duration::from_secs(5);
/// One poll slice.
const SLICE: Duration = Duration::from_millis(1);

/// Where the server is.
#[derive(Clone, Debug)]
pub struct Server {
    pub addr: SocketAddr,
    pub user: String,
}

impl Server {
    pub fn connect(&self, database: &str) -> io::Result<Conn> {
        Conn::connect(self.addr, &self.user, database, ADMIN_TIMEOUT)
    }
}

fn notice(e: &ErrorFields) -> Notice {
    Notice {
        severity: e.severity.clone(),
        code: e.code.clone(),
        message: e.message.clone(),
    }
}

/// Whether the wait-for graph (backend → the backends it waits for) has a cycle.
pub fn has_cycle(edges: &BTreeMap<i32, Vec<i32>>) -> bool {
    // Depth-first search; `on_path` holds the current path, `done` the nodes fully explored.
    fn visit(
        n: i32,
        edges: &BTreeMap<i32, Vec<i32>>,
        on_path: &mut Vec<i32>,
        done: &mut Vec<i32>,
    ) -> bool {
        if on_path.contains(&n) {
            return true;
        }
        if done.contains(&n) {
            return false;
        }
        on_path.push(n);
        let cycle = edges
            .get(&n)
            .is_some_and(|next| next.iter().any(|&m| visit(m, edges, on_path, done)));
        on_path.pop();
        done.push(n);
        cycle
    }
    let mut done = Vec::new();
    edges
        .keys()
        .any(|&n| visit(n, edges, &mut Vec::new(), &mut done))
}

/// A reply reduced to an [`Outcome`].
pub fn outcome(reply: &Reply) -> Outcome {
    let notices = reply.notices.iter().map(notice).collect();
    // After a FATAL error there is no session, so no transaction status to compare.
    let status = (!reply.is_fatal()).then_some(reply.status as char);
    match &reply.error {
        Some(e) => Outcome::Error {
            code: e.code.clone(),
            message: e.message.clone(),
            notices,
            status,
        },
        None => Outcome::Ok {
            tag: reply.tag.clone().unwrap_or_default(),
            columns: reply.columns.clone(),
            rows: reply.rows.clone(),
            notices,
            status,
        },
    }
}

struct Session {
    conn: Conn,
    blocked: bool,
}

/// One scenario's database on the server.
pub struct PgScenario<'a> {
    server: &'a Server,
    /// Connected to the `postgres` database; creates and drops scenario databases, probes
    /// `pg_locks` and `pg_stat_activity`.
    admin: &'a mut Conn,
    database: String,
    sessions: BTreeMap<String, Session>,
    /// Backends of crashed clients that may still run (a backend waiting on a lock does not
    /// notice its client is gone until it gets the lock).
    ghosts: Vec<i32>,
    /// Created by [`PgScenario::new`], dropped by [`PgScenario::finish`].
    owned: bool,
    /// `!wait` sleeps only while the blocked sessions wait in a cycle ([`PgScenario::reuse`]).
    cycles_only: bool,
}

impl<'a> PgScenario<'a> {
    /// Creates the database `database` (dropping a leftover one first).
    pub fn new(server: &'a Server, admin: &'a mut Conn, database: &str) -> io::Result<Self> {
        admin.exec(
            &format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
            ADMIN_TIMEOUT,
        )?;
        admin.exec(&format!("CREATE DATABASE {database}"), ADMIN_TIMEOUT)?;
        Ok(PgScenario {
            server,
            admin,
            database: database.to_string(),
            sessions: BTreeMap::new(),
            ghosts: Vec::new(),
            owned: true,
            cycles_only: false,
        })
    }

    /// Runs in the existing database `database` (the caller resets its tables); `finish`
    /// leaves the database in place. For schedules that set no timeouts (the random ones):
    /// `!wait` then sleeps only while blocked sessions wait for each other in a cycle, since
    /// otherwise nothing on the server changes with time (the deadlock detector finds nothing).
    pub fn reuse(server: &'a Server, admin: &'a mut Conn, database: &str) -> Self {
        PgScenario {
            server,
            admin,
            database: database.to_string(),
            sessions: BTreeMap::new(),
            ghosts: Vec::new(),
            owned: false,
            cycles_only: true,
        }
    }

    pub fn blocked(&self, name: &str) -> bool {
        self.sessions.get(name).is_some_and(|s| s.blocked)
    }

    /// Whether the backends of the blocked sessions (and of crashed clients still waiting) wait
    /// for each other in a cycle, after `pg_blocking_pids` (which counts a waiter queued ahead
    /// for a conflicting lock as blocking too, as the deadlock detector does).
    pub fn wait_cycle(&mut self) -> io::Result<bool> {
        let mut pids: Vec<i32> = self
            .sessions
            .values()
            .filter(|s| s.blocked)
            .map(|s| s.conn.pid)
            .collect();
        pids.extend(&self.ghosts);
        if pids.len() < 2 {
            return Ok(false);
        }
        let list: Vec<String> = pids.iter().map(i32::to_string).collect();
        let reply = self.admin.exec(
            &format!(
                "SELECT pid, pg_blocking_pids(pid) FROM unnest(ARRAY[{}]::int[]) AS pid",
                list.join(",")
            ),
            ADMIN_TIMEOUT,
        )?;
        let mut edges = BTreeMap::new();
        for row in &reply.rows {
            let (Some(pid), Some(blockers)) = (&row[0], &row[1]) else {
                continue;
            };
            let pid: i32 = pid.parse().map_err(io::Error::other)?;
            let blockers: Vec<i32> = blockers
                .trim_matches(|c| c == '{' || c == '}')
                .split(',')
                .filter_map(|p| p.trim().parse().ok())
                .collect();
            edges.insert(pid, blockers);
        }
        Ok(has_cycle(&edges))
    }

    fn probe(&mut self, sql: &str) -> io::Result<bool> {
        Ok(!self.admin.exec(sql, ADMIN_TIMEOUT)?.rows.is_empty())
    }

    fn waits_on_lock(&mut self, pid: i32) -> io::Result<bool> {
        self.probe(&format!(
            "SELECT 1 FROM pg_locks WHERE pid = {pid} AND NOT granted LIMIT 1"
        ))
    }

    fn alive(&mut self, pid: i32) -> io::Result<bool> {
        self.probe(&format!("SELECT 1 FROM pg_stat_activity WHERE pid = {pid}"))
    }

    /// Runs one step and collects the wake-ups it causes.
    pub fn step(&mut self, step: &Step) -> io::Result<Observed> {
        let name = step.session.as_str();
        let outcome = match &step.action {
            Action::Sql(sql) => {
                if !self.sessions.contains_key(name) {
                    let conn = self.server.connect(&self.database)?;
                    self.sessions.insert(
                        name.to_string(),
                        Session {
                            conn,
                            blocked: false,
                        },
                    );
                }
                let s = self.sessions.get_mut(name).expect("inserted above");
                s.conn.send_query(sql)?;
                self.await_outcome(name)?
            }
            Action::Close => {
                if let Some(s) = self.sessions.remove(name) {
                    let pid = s.conn.pid;
                    s.conn.terminate();
                    self.ghosts.push(pid);
                }
                Outcome::Closed
            }
            Action::Wait(ms) => {
                if !self.cycles_only || self.wait_cycle()? {
                    std::thread::sleep(Duration::from_millis(*ms));
                }
                Outcome::Waited
            }
        };
        let woken = self.settle(name)?;
        Ok(Observed { outcome, woken })
    }

    /// Waits until the statement in flight on `name` finishes or waits on a lock.
    fn await_outcome(&mut self, name: &str) -> io::Result<Outcome> {
        let start = Instant::now();
        loop {
            let s = self.sessions.get_mut(name).expect("a known session");
            if let Some(reply) = s.conn.poll(SLICE)? {
                if reply.is_fatal() {
                    // The server ended the session; the connection is gone.
                    self.sessions.remove(name);
                }
                return Ok(outcome(&reply));
            }
            let pid = s.conn.pid;
            if self.waits_on_lock(pid)? || start.elapsed() > STATEMENT_BOUND {
                self.sessions.get_mut(name).expect("known").blocked = true;
                return Ok(Outcome::Blocked);
            }
        }
    }

    /// Polls the blocked sessions (other than `current`) until each one finished or waits on a
    /// lock again, and every crashed client's backend has exited or waits on a lock.
    fn settle(&mut self, current: &str) -> io::Result<Vec<(String, Outcome)>> {
        let start = Instant::now();
        let mut woken = Vec::new();
        loop {
            let mut progressed = false;
            let names: Vec<String> = self
                .sessions
                .iter()
                .filter(|(n, s)| s.blocked && n.as_str() != current)
                .map(|(n, _)| n.clone())
                .collect();
            for n in &names {
                let s = self.sessions.get_mut(n).expect("listed");
                if let Some(reply) = s.conn.poll(SLICE)? {
                    s.blocked = false;
                    woken.push((n.clone(), outcome(&reply)));
                    progressed = true;
                }
            }
            if progressed {
                continue;
            }
            let mut settled = true;
            for n in &names {
                let pid = self.sessions[n].conn.pid;
                if self.sessions[n].blocked && !self.waits_on_lock(pid)? {
                    settled = false;
                }
            }
            let ghosts = std::mem::take(&mut self.ghosts);
            for pid in ghosts {
                if self.alive(pid)? {
                    if !self.waits_on_lock(pid)? {
                        settled = false;
                    }
                    self.ghosts.push(pid);
                } else {
                    // It exited after the blocked sessions were looked at: its locks went with
                    // it, so look at them once more.
                    settled = false;
                }
            }
            if settled || start.elapsed() > SETTLE_BOUND {
                break;
            }
            std::thread::sleep(SLICE);
        }
        woken.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(woken)
    }

    /// Closes every connection and drops the database (a reused one stays; the backends of
    /// statements still waiting are terminated, since they would only notice the closed
    /// connection once they get their lock).
    pub fn finish(mut self) -> io::Result<()> {
        let mut stuck: Vec<i32> = std::mem::take(&mut self.ghosts);
        for (_, s) in std::mem::take(&mut self.sessions) {
            if s.blocked {
                stuck.push(s.conn.pid);
            }
            s.conn.terminate();
        }
        if !self.owned {
            if !stuck.is_empty() {
                let list: Vec<String> = stuck.iter().map(i32::to_string).collect();
                self.admin.exec(
                    &format!(
                        "SELECT pg_terminate_backend(pid) FROM unnest(ARRAY[{}]::int[]) AS pid",
                        list.join(",")
                    ),
                    ADMIN_TIMEOUT,
                )?;
            }
            return Ok(());
        }
        self.admin.exec(
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database),
            ADMIN_TIMEOUT,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(i32, &[i32])]) -> BTreeMap<i32, Vec<i32>> {
        edges.iter().map(|(n, to)| (*n, to.to_vec())).collect()
    }

    #[test]
    fn finds_wait_cycles() {
        assert!(!has_cycle(&graph(&[])));
        assert!(!has_cycle(&graph(&[(1, &[2]), (2, &[])])));
        assert!(!has_cycle(&graph(&[(1, &[2, 3]), (2, &[3]), (3, &[4])])));
        assert!(has_cycle(&graph(&[(1, &[2]), (2, &[1])])));
        assert!(has_cycle(&graph(&[(1, &[2]), (2, &[3]), (3, &[1])])));
        assert!(has_cycle(&graph(&[(5, &[1]), (1, &[2]), (2, &[1])])));
        assert!(has_cycle(&graph(&[(1, &[1])])));
    }
}
