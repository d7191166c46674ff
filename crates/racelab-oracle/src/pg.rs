//! The PostgreSQL side: a fresh database per scenario, one connection per scenario session.
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
const SLICE: Duration = Duration::from_millis(3);

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

/// A reply reduced to an [`Outcome`].
pub fn outcome(reply: &Reply) -> Outcome {
    let notices = reply.notices.iter().map(notice).collect();
    let status = Some(reply.status as char);
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
        })
    }

    pub fn blocked(&self, name: &str) -> bool {
        self.sessions.get(name).is_some_and(|s| s.blocked)
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
                std::thread::sleep(Duration::from_millis(*ms));
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

    /// Closes every connection and drops the database.
    pub fn finish(self) -> io::Result<()> {
        for (_, s) in self.sessions {
            s.conn.terminate();
        }
        self.admin.exec(
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database),
            ADMIN_TIMEOUT,
        )?;
        Ok(())
    }
}
