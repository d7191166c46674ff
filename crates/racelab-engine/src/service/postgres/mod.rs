//! PostgreSQL as a [`Service`]: the simulated server ([`sql`]: statement preparation, catalog,
//! row storage, locks, transactions, execution, types) behind the shared interface, its
//! script-line syntax (SQL with `:name` parameters) and its state view.

pub mod params;
pub mod reply;
pub mod sql;
pub mod view;

use crate::service::api::{
    wrong_service, Call, CheckError, ConnId, Done, Exec, Fired, LineError, Mode, Reply, Request,
    Resource, Service, ServiceId, ServiceView, SetupError, Touch, Wait, Wake,
};
use crate::value::Value;
use sql::{Db, SessionId};
use view::{advisory_view, session_view, table_view, PgView};

pub use params::extract_params;

/// Words that start a line sent to PostgreSQL. Statements the simulator does not model are
/// still claimed here, so that they get PostgreSQL's own refusal (0A000) rather than "not a step".
const SQL_WORDS: &[&str] = &[
    "select",
    "insert",
    "update",
    "delete",
    "begin",
    "start",
    "commit",
    "end",
    "rollback",
    "with",
    "create",
    "drop",
    "alter",
    "truncate",
    "lock",
    "savepoint",
    "release",
    "set",
    "show",
    "values",
    "table",
];

fn first_word(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Whether a line without a service prefix is SQL.
pub fn claims(line: &str) -> bool {
    let w = first_word(line).to_ascii_lowercase();
    SQL_WORDS.contains(&w.as_str())
}

/// Compiles an SQL line: `:name` becomes a parameter, the statement is prepared (anything the
/// simulator does not model is refused here, when the lesson is checked).
pub fn parse(text: &str) -> Result<Call, LineError> {
    let (sql_text, params) = extract_params(text);
    let stmt = sql::prepare(&sql_text).map_err(|e| LineError {
        // Columns after a substituted parameter may shift by a character or two; close enough
        // to point at the statement part.
        col: e
            .position
            .map(|(_, c)| c.saturating_sub(1))
            .unwrap_or(0)
            .min(text.len()),
        message: e.to_string(),
    })?;
    let returns_rows =
        stmt.kind() == "SELECT" || stmt.text().to_ascii_lowercase().contains("returning");
    let no_values = (!returns_rows).then(|| {
        format!(
            "a {} returns no row to assign (add RETURNING?)",
            stmt.kind()
        )
    });
    Ok(Call {
        request: Request::Sql(stmt),
        params,
        no_values,
    })
}

/// The simulated PostgreSQL with one session per client connection.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Postgres {
    db: Db,
    /// The session of each connection (client), in client order.
    sessions: Vec<SessionId>,
}

impl Postgres {
    /// Runs a lesson's setup SQL (outside any client) and opens one session per client.
    pub fn from_setup(setup: &str, clients: usize) -> Result<Postgres, SetupError> {
        let mut db = Db::new();
        let setup_session = db.open_session();
        let stmts = sql::prepare_script(setup).map_err(|e| {
            let (line, col) = e.position.unwrap_or((1, 1));
            SetupError {
                line,
                col,
                message: e.to_string(),
            }
        })?;
        for (line, stmt) in stmts {
            let outcome = match db.execute(setup_session, &stmt, &[]) {
                sql::Exec::Done(done) => done.result.map(|_| ()),
                sql::Exec::Blocked(_) => Err(sql::SqlError::not_supported(
                    "a setup statement that waits for a lock",
                )),
            };
            if let Err(e) = outcome {
                return Err(SetupError {
                    line,
                    col: 1,
                    message: e.to_string(),
                });
            }
        }
        db.close_session(setup_session);
        let sessions = (0..clients).map(|_| db.open_session()).collect();
        Ok(Postgres { db, sessions })
    }

    /// The simulated server itself (tables, sessions), for tests and views.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Makes `level` the default isolation level of a connection's session.
    pub fn set_isolation(&mut self, conn: ConnId, level: sql::Isolation) {
        if let Some(s) = self.session(conn) {
            self.db.set_default_isolation(s, level);
        }
    }

    /// The session a connection uses.
    pub fn session(&self, conn: ConnId) -> Option<SessionId> {
        self.sessions.get(conn).copied()
    }

    /// The connection (client) a session belongs to.
    pub fn conn_of(&self, session: SessionId) -> Option<ConnId> {
        self.sessions.iter().position(|s| *s == session)
    }

    fn touches(&self, id: ServiceId, touches: Vec<sql::Touch>) -> Vec<Touch> {
        touches
            .into_iter()
            .map(|t| {
                let (resource, mode) = match t {
                    sql::Touch::ReadRow { table, key } => {
                        (Resource::Item { space: table, key }, Mode::Read)
                    }
                    sql::Touch::WriteRow { table, key } => {
                        (Resource::Item { space: table, key }, Mode::Write)
                    }
                    sql::Touch::ReadTable { table } => (Resource::Space(table), Mode::Read),
                    sql::Touch::Transaction { session } => (
                        Resource::Conn(self.conn_of(session).unwrap_or(usize::MAX)),
                        Mode::Write,
                    ),
                };
                Touch {
                    service: id,
                    resource,
                    mode,
                }
            })
            .collect()
    }

    fn wakes(&self, id: ServiceId, wakes: Vec<sql::Wake>) -> Vec<Wake> {
        wakes
            .into_iter()
            .filter_map(|w| {
                Some(Wake {
                    conn: self.conn_of(w.session)?,
                    reply: Reply::Sql(w.result),
                    touches: self.touches(id, w.touches),
                })
            })
            .collect()
    }

    fn done(&self, id: ServiceId, done: sql::Done) -> Done {
        Done {
            reply: Reply::Sql(done.result),
            touches: self.touches(id, done.touches),
            woken: self.wakes(id, done.woken),
        }
    }
}

impl Service for Postgres {
    fn call(
        &mut self,
        id: ServiceId,
        conn: ConnId,
        request: &Request,
        params: &[Value],
        now: u64,
    ) -> Exec {
        let stmt = match request {
            Request::Sql(stmt) => stmt,
            #[allow(unreachable_patterns)]
            _ => {
                return Exec::Done(Done {
                    reply: wrong_service("PostgreSQL"),
                    touches: Vec::new(),
                    woken: Vec::new(),
                })
            }
        };
        let session = self.session(conn).unwrap_or(usize::MAX);
        // The world fires every deadline before a step at `now`: nothing is due here.
        let early = self.db.advance(now);
        debug_assert!(early.is_empty(), "a deadline was not fired before a call");
        match self.db.execute(session, stmt, params) {
            sql::Exec::Blocked(on) => {
                let item = Resource::Item {
                    space: on.table.clone(),
                    key: on.key.clone(),
                };
                Exec::Blocked {
                    wait: Wait::RowLock {
                        table: on.table,
                        key: on.key,
                        holder: self.conn_of(on.holder),
                    },
                    touches: vec![Touch {
                        service: id,
                        resource: item,
                        mode: Mode::Write,
                    }],
                }
            }
            sql::Exec::Done(done) => Exec::Done(self.done(id, done)),
        }
    }

    fn disconnect(&mut self, id: ServiceId, conn: ConnId, now: u64) -> Done {
        let early = self.db.advance(now);
        debug_assert!(
            early.is_empty(),
            "a deadline was not fired before a disconnect"
        );
        let session = self.session(conn).unwrap_or(usize::MAX);
        let done = self.db.close_session(session);
        self.done(id, done)
    }

    fn next_deadline(&self) -> Option<u64> {
        self.db.next_deadline()
    }

    fn keeps_times(&self) -> bool {
        self.db.keeps_times()
    }

    fn forget_times(&mut self) {
        self.db.forget_times();
    }

    fn fire(&mut self, id: ServiceId, now: u64, name: &dyn Fn(ConnId) -> String) -> Fired {
        let wakes = self.db.advance(now);
        let what = wakes
            .iter()
            .filter_map(|w| {
                let who = name(self.conn_of(w.session)?);
                Some(match &w.result {
                    Err(e) => format!("{who}'s session: {}", e.message),
                    Ok(r) => format!("{who}'s session: {}", r.tag),
                })
            })
            .collect::<Vec<_>>()
            .join("; ");
        let touches = wakes
            .iter()
            .flat_map(|w| self.touches(id, w.touches.clone()))
            .collect();
        Fired {
            what,
            touches,
            woken: self.wakes(id, wakes),
        }
    }

    fn check(&self, request: &Request) -> Result<(), CheckError> {
        match request {
            Request::Sql(stmt) => self.db.check(stmt).map_err(|e| CheckError {
                position: e.position,
                message: e.to_string(),
            }),
            #[allow(unreachable_patterns)]
            _ => Err(CheckError {
                position: None,
                message: wrong_service("PostgreSQL").summary(),
            }),
        }
    }

    fn query(&self, request: &Request) -> Reply {
        match request {
            Request::Sql(stmt) => Reply::Sql(self.db.query_committed(stmt, &[])),
            #[allow(unreachable_patterns)]
            _ => wrong_service("PostgreSQL"),
        }
    }

    fn locks_held(&self) -> usize {
        self.db.locks_held()
    }

    fn view(&self, name: &dyn Fn(ConnId) -> String, _now: u64) -> ServiceView {
        let who = |s: SessionId| match self.conn_of(s) {
            Some(c) => name(c),
            // Session 0 runs the lesson's setup, before any client.
            None if s == 0 => "setup".to_string(),
            None => format!("session {s}"),
        };
        ServiceView::Postgres(PgView {
            tables: self
                .db
                .tables()
                .into_iter()
                .map(|t| table_view(t, &who))
                .collect(),
            sessions: self
                .db
                .sessions_view()
                .into_iter()
                .map(|s| session_view(s, &who))
                .collect(),
            waits: self
                .db
                .wait_for_graph()
                .into_iter()
                .map(|(w, h)| (who(w), who(h)))
                .collect(),
            deadlock: self.db.deadlock_cycle().into_iter().map(&who).collect(),
            advisory: self
                .db
                .advisory_locks()
                .into_iter()
                .map(|a| advisory_view(a, &who))
                .collect(),
        })
    }
}
