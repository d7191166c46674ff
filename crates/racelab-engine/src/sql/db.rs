//! The simulated server: catalog, row versions, transactions, row locks and their wait queues.
//!
//! Storage model. Every row is a [`Slot`] keyed by its primary-key values (tables without a
//! primary key are allowed; their rows are keyed by an internal counter and displayed like a
//! ctid, `(0,1)`, `(0,2)`, ...). A slot holds the latest committed version, at most one
//! uncommitted version (the writer holds the row's lock, so there can be only one), and the
//! row lock with its FIFO queue of waiting sessions. Rows inserted by an open transaction
//! carry that transaction's lock too: it is what a conflicting INSERT waits on (PostgreSQL waits
//! on the inserting transaction; same effect).
//!
//! Simplifications (all deterministic, all documented in the module doc of `sql`):
//! - CREATE TABLE runs only outside a transaction block (inside one: not supported).
//! - UPDATE/DELETE/SELECT … FOR UPDATE go row by row (`Progress`): a waiting statement keeps
//!   the locks and changes it made; a woken one continues with the rows of its own snapshot
//!   (re-checked on their newest committed version when changed since). A woken INSERT re-runs
//!   from scratch. A failed statement undoes its rows, and its transaction is aborted at once
//!   (writes discarded, locks released), as PostgreSQL does; a block then waits for ROLLBACK.
//! - Scans return rows in primary-key order (PostgreSQL's heap order differs after updates; use
//!   ORDER BY when order matters). Text compares bytewise (the "C" collation).
//! - UPDATE of a primary-key column is not supported.
//! - The order in which waiters released by one COMMIT are retried: by table (creation order),
//!   then row key, then queue position.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::error::SqlError;
use super::prepare::{
    BinOp, CreateTable, Delete, Expr, Insert, OrderItem, Prepared, Select, SelectItem, SqlType,
    Stmt, TableRef, UnOp, Update,
};
use super::{BlockedOn, Done, Exec, QueryResult, SessionId, Touch, Wake};
use crate::value::Value;

/// What a session is doing, for the UI and the scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// Connected, no transaction block open.
    Idle,
    /// Inside BEGIN … COMMIT.
    InTransaction,
    /// Inside a transaction block that hit an error: only ROLLBACK/COMMIT are accepted.
    Aborted,
    /// A statement waits for a row lock.
    Waiting,
    /// The connection is gone (or was never opened).
    Closed,
}

/// One table as the UI shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableView {
    pub name: String,
    pub columns: Vec<String>,
    /// The primary-key columns (empty for a table without primary key).
    pub key_columns: Vec<String>,
    pub rows: Vec<RowView>,
}

/// One row (all its versions) as the UI shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowView {
    /// The primary key's values, e.g. "(1, FOOD)"; "(0,n)" for a table without primary key.
    pub key: String,
    /// None: inserted but not committed yet.
    pub committed: Option<Vec<Value>>,
    /// An uncommitted write: new values, or None = deleted.
    pub pending: Option<(SessionId, Option<Vec<Value>>)>,
    pub lock: Option<LockView>,
}

/// A row lock: who holds it and who queues for it, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockView {
    pub holder: SessionId,
    pub waiters: Vec<SessionId>,
}

/// The simulated server. Clone + Hash + Eq so that an explorer can branch on world states.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Db {
    tables: Vec<Table>,
    sessions: Vec<Session>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Table {
    name: String,
    columns: Vec<Column>,
    /// Indexes of the primary-key columns; empty = no primary key (rows keyed by `next_rowid`).
    pk: Vec<usize>,
    pk_name: String,
    rows: BTreeMap<Vec<Value>, Slot>,
    next_rowid: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Column {
    name: String,
    ty: SqlType,
    not_null: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
struct Slot {
    committed: Option<Vec<Value>>,
    pending: Option<Pending>,
    lock: Option<Lock>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Pending {
    session: SessionId,
    values: Option<Vec<Value>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Lock {
    holder: SessionId,
    waiters: Vec<SessionId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
enum Tx {
    #[default]
    None,
    Active,
    Aborted,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
struct Session {
    tx: Tx,
    closed: bool,
    waiting: Option<Waiting>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Waiting {
    stmt: Prepared,
    params: Vec<Value>,
    table: usize,
    key: Vec<Value>,
    /// Where an UPDATE/DELETE/SELECT … FOR UPDATE stopped (None: INSERT, re-run from scratch).
    progress: Option<Progress>,
}

/// A row-by-row statement's progress, kept across a lock wait.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
struct Progress {
    /// Rows not processed yet, in scan order, each with the version the statement's snapshot
    /// saw (the snapshot is taken once, when the statement starts).
    todo: VecDeque<KeyedRow>,
    /// Output rows produced so far (RETURNING, or the SELECT list for FOR UPDATE).
    out: Vec<Vec<Value>>,
    /// Rows processed (changed or locked) so far: the command tag's count.
    done: usize,
    /// Each row this statement changed with the session's previous uncommitted version, in
    /// order: undone (in reverse) if the statement fails.
    undo: Vec<(Vec<Value>, Option<Pending>)>,
    /// What the statement touched before the wait.
    touches: BTreeSet<Touch>,
}

/// What a row-by-row scan does to each row it reaches.
enum RowAction<'a> {
    Lock,
    Update(&'a [(usize, B)]),
    Delete,
}

/// A row's key and its values.
type KeyedRow = (Vec<Value>, Vec<Value>);

/// The outcome of running one statement once.
enum Step {
    Done {
        result: Result<QueryResult, SqlError>,
        touches: Vec<Touch>,
        released: Vec<SessionId>,
    },
    Blocked(BlockedOn),
}

/// What a statement body produced when it did not fail.
enum Outcome {
    Rows(QueryResult),
    /// Must wait for the lock on `(table, key)` held by `holder`.
    Wait {
        table: usize,
        key: Vec<Value>,
        holder: SessionId,
        progress: Option<Progress>,
    },
}

const DEADLOCK: &str =
    "deadlock detection (PostgreSQL would abort one transaction with 40P01 after deadlock_timeout)";

fn err(code: &str, message: impl Into<String>) -> SqlError {
    SqlError::error(code, message)
}

fn tag_only(tag: impl Into<String>) -> QueryResult {
    QueryResult {
        tag: tag.into(),
        columns: Vec::new(),
        rows: Vec::new(),
        notices: Vec::new(),
    }
}

impl Db {
    pub fn new() -> Db {
        Db::default()
    }

    /// Opens a connection; ids are 0, 1, 2, ... in order.
    pub fn open_session(&mut self) -> SessionId {
        self.sessions.push(Session::default());
        self.sessions.len() - 1
    }

    /// Runs one statement for `session`. See the module doc of `sql` for the model.
    pub fn execute(&mut self, session: SessionId, stmt: &Prepared, params: &[Value]) -> Exec {
        let refuse = |e: SqlError| {
            Exec::Done(Done {
                result: Err(e),
                touches: Vec::new(),
                woken: Vec::new(),
            })
        };
        match self.sessions.get(session) {
            None => return refuse(err("08003", "connection does not exist")),
            Some(s) if s.closed => return refuse(err("08003", "connection already closed")),
            Some(s) if s.waiting.is_some() => {
                return refuse(SqlError::not_supported(
                    "sending a statement while the previous one still waits for a lock",
                ))
            }
            Some(_) => {}
        }
        match self.run(session, stmt, params, None) {
            Step::Blocked(b) => Exec::Blocked(b),
            Step::Done {
                result,
                touches,
                released,
            } => {
                let woken = self.wake(released);
                Exec::Done(Done {
                    result,
                    touches,
                    woken,
                })
            }
        }
    }

    /// The client process died: its connection drops; its open transaction rolls back and its
    /// locks are released.
    ///
    /// Except while the session waits for a lock: PostgreSQL's backend does not notice the dead
    /// client then. The statement stays queued and the transaction keeps its locks; when the wait
    /// ends the statement runs (and commits, in autocommit), and only then does the backend find
    /// the connection gone and roll back what is still open. [`Db::wake`] does that last part.
    /// (Checked against PostgreSQL 15: crates/racelab-oracle/scenarios/crash-while-waiting.txt.)
    pub fn close_session(&mut self, session: SessionId) -> Done {
        if let Some(s) = self.sessions.get_mut(session) {
            if !s.closed && s.waiting.is_some() {
                s.closed = true;
                return Done {
                    result: Ok(tag_only("")),
                    touches: Vec::new(),
                    woken: Vec::new(),
                };
            }
        }
        let (tx, waiting) = match self.sessions.get_mut(session) {
            Some(s) if !s.closed => {
                s.closed = true;
                (std::mem::take(&mut s.tx), s.waiting.take())
            }
            _ => {
                return Done {
                    result: Ok(tag_only("")),
                    touches: Vec::new(),
                    woken: Vec::new(),
                }
            }
        };
        if let Some(w) = waiting {
            if let Some(lock) = self
                .tables
                .get_mut(w.table)
                .and_then(|t| t.rows.get_mut(&w.key))
                .and_then(|slot| slot.lock.as_mut())
            {
                lock.waiters.retain(|&x| x != session);
            }
        }
        let mut touches = BTreeSet::new();
        let mut released = Vec::new();
        let tag = if tx == Tx::None {
            ""
        } else {
            released = self.end_tx(session, false, &mut touches);
            touches.insert(Touch::Transaction { session });
            "ROLLBACK"
        };
        let woken = self.wake(released);
        Done {
            result: Ok(tag_only(tag)),
            touches: touches.into_iter().collect(),
            woken,
        }
    }

    /// Read-only query on the latest committed state (no session, no locks, no effects).
    pub fn query_committed(
        &self,
        stmt: &Prepared,
        params: &[Value],
    ) -> Result<QueryResult, SqlError> {
        match stmt.stmt() {
            Stmt::Select(sel) if !sel.for_update => {
                check_params(stmt, params)?;
                let mut touches = BTreeSet::new();
                let out = self.select_rows(sel, Some(params), None, &mut touches)?;
                Ok(QueryResult {
                    tag: format!("SELECT {}", out.rows.len()),
                    columns: out.columns,
                    rows: out.rows,
                    notices: Vec::new(),
                })
            }
            _ => Err(SqlError::not_supported(format!(
                "{} in an assertion (only plain SELECT)",
                stmt.kind()
            ))),
        }
    }

    /// Plan-time validation against the current catalog (tables, columns, types).
    pub fn check(&self, stmt: &Prepared) -> Result<(), SqlError> {
        match stmt.stmt() {
            Stmt::Select(sel) => {
                let mut touches = BTreeSet::new();
                self.plan_select(sel, None, &mut touches).map(|_| ())
            }
            Stmt::Insert(ins) => self.plan_insert(ins, None).map(|_| ()),
            Stmt::Update(upd) => self.plan_update(upd, None).map(|_| ()),
            Stmt::Delete(del) => self.plan_delete(del, None).map(|_| ()),
            Stmt::CreateTable(ct) => self.plan_create(ct).map(|_| ()),
            Stmt::Begin { .. } | Stmt::Commit | Stmt::Rollback => Ok(()),
        }
    }

    pub fn session_state(&self, session: SessionId) -> SessionState {
        match self.sessions.get(session) {
            None => SessionState::Closed,
            Some(s) if s.closed => SessionState::Closed,
            Some(s) if s.waiting.is_some() => SessionState::Waiting,
            Some(s) => match s.tx {
                Tx::None => SessionState::Idle,
                Tx::Active => SessionState::InTransaction,
                Tx::Aborted => SessionState::Aborted,
            },
        }
    }

    /// All tables in creation order, with every row's versions and lock, for the UI.
    pub fn tables(&self) -> Vec<TableView> {
        self.tables
            .iter()
            .map(|t| TableView {
                name: t.name.clone(),
                columns: t.columns.iter().map(|c| c.name.clone()).collect(),
                key_columns: t.pk.iter().map(|&i| t.columns[i].name.clone()).collect(),
                rows: t
                    .rows
                    .iter()
                    .map(|(key, slot)| RowView {
                        key: t.key_string(key),
                        committed: slot.committed.clone(),
                        pending: slot.pending.as_ref().map(|p| (p.session, p.values.clone())),
                        lock: slot.lock.as_ref().map(|l| LockView {
                            holder: l.holder,
                            waiters: l.waiters.clone(),
                        }),
                    })
                    .collect(),
            })
            .collect()
    }

    /// Number of row locks currently held.
    pub fn locks_held(&self) -> usize {
        self.tables
            .iter()
            .flat_map(|t| t.rows.values())
            .filter(|s| s.lock.is_some())
            .count()
    }

    // -----------------------------------------------------------------------------------------
    // Statement dispatch, transactions, waking
    // -----------------------------------------------------------------------------------------

    fn run(
        &mut self,
        s: SessionId,
        prepared: &Prepared,
        params: &[Value],
        resume: Option<Progress>,
    ) -> Step {
        let mut touches = resume
            .as_ref()
            .map(|p| p.touches.clone())
            .unwrap_or_default();
        let tx = self.sessions[s].tx;
        let done = |result, touches: BTreeSet<Touch>, released| Step::Done {
            result,
            touches: touches.into_iter().collect(),
            released,
        };
        match prepared.stmt() {
            Stmt::Commit | Stmt::Rollback => {
                touches.insert(Touch::Transaction { session: s });
                let commit = matches!(prepared.stmt(), Stmt::Commit);
                let name = if commit { "COMMIT" } else { "ROLLBACK" };
                let (result, released) = match tx {
                    Tx::None => {
                        let mut r = tag_only(name);
                        r.notices.push(SqlError::warning(
                            "25P01",
                            "there is no transaction in progress",
                        ));
                        (r, Vec::new())
                    }
                    Tx::Active => (tag_only(name), self.end_tx(s, commit, &mut touches)),
                    Tx::Aborted => (tag_only("ROLLBACK"), self.end_tx(s, false, &mut touches)),
                };
                self.sessions[s].tx = Tx::None;
                return done(Ok(result), touches, released);
            }
            _ => {}
        }
        if tx == Tx::Aborted {
            return done(
                Err(err(
                    "25P02",
                    "current transaction is aborted, commands ignored until end of transaction block",
                )),
                touches,
                Vec::new(),
            );
        }
        let outcome = match check_params(prepared, params) {
            Err(e) => Err(e),
            Ok(()) => match prepared.stmt() {
                Stmt::Begin { start } => {
                    touches.insert(Touch::Transaction { session: s });
                    let mut r = tag_only(if *start { "START TRANSACTION" } else { "BEGIN" });
                    if tx == Tx::Active {
                        r.notices.push(SqlError::warning(
                            "25001",
                            "there is already a transaction in progress",
                        ));
                    }
                    self.sessions[s].tx = Tx::Active;
                    Ok(Outcome::Rows(r))
                }
                Stmt::CreateTable(ct) => {
                    if tx == Tx::Active {
                        Err(SqlError::not_supported(
                            "CREATE TABLE inside a transaction block",
                        ))
                    } else {
                        self.create_table(ct, &mut touches).map(Outcome::Rows)
                    }
                }
                Stmt::Select(sel) => self.exec_select(s, sel, params, &mut touches, resume),
                Stmt::Insert(ins) => self.exec_insert(s, ins, params, &mut touches),
                Stmt::Update(upd) => self.exec_update(s, upd, params, &mut touches, resume),
                Stmt::Delete(del) => self.exec_delete(s, del, params, &mut touches, resume),
                Stmt::Commit | Stmt::Rollback => Ok(Outcome::Rows(tag_only(""))),
            },
        };
        // A wait that would close a cycle in the wait-for graph is refused (the statement fails
        // as a whole: the rows it changed before are undone).
        let outcome = match outcome {
            Ok(Outcome::Wait {
                table,
                holder,
                progress,
                ..
            }) if self.waits_for(holder, s) => {
                if let Some(p) = progress {
                    self.undo(table, &p.undo);
                }
                Err(SqlError::not_supported(DEADLOCK))
            }
            other => other,
        };
        match outcome {
            Ok(Outcome::Wait {
                table,
                key,
                holder,
                mut progress,
            }) => {
                if let Some(p) = progress.as_mut() {
                    p.touches = touches;
                }
                let t = &mut self.tables[table];
                let shown = t.blocked_key_string(&key);
                let name = t.name.clone();
                if let Some(lock) = t.rows.get_mut(&key).and_then(|slot| slot.lock.as_mut()) {
                    lock.waiters.push(s);
                }
                self.sessions[s].waiting = Some(Waiting {
                    stmt: prepared.clone(),
                    params: params.to_vec(),
                    table,
                    key,
                    progress,
                });
                Step::Blocked(BlockedOn {
                    table: name,
                    key: shown,
                    holder,
                })
            }
            Ok(Outcome::Rows(result)) => {
                // Autocommit: the statement's implicit transaction commits at its end.
                let released = if self.sessions[s].tx == Tx::None {
                    let mut ignored = BTreeSet::new();
                    self.end_tx(s, true, &mut ignored)
                } else {
                    Vec::new()
                };
                done(Ok(result), touches, released)
            }
            Err(e) => {
                // The statement fails as a whole, and so does its transaction: PostgreSQL
                // aborts it at the error (its writes are discarded and its row locks released,
                // so waiters proceed now), while a block stays open in the aborted state until
                // ROLLBACK or COMMIT (oracle scenario error-releases-locks.txt).
                let mut ignored = BTreeSet::new();
                let released = self.end_tx(s, false, &mut ignored);
                if self.sessions[s].tx != Tx::None {
                    self.sessions[s].tx = Tx::Aborted;
                }
                done(Err(e), touches, released)
            }
        }
    }

    /// Whether `from` (transitively) waits for a lock held by `target`.
    fn waits_for(&self, from: SessionId, target: SessionId) -> bool {
        let mut cur = from;
        for _ in 0..=self.sessions.len() {
            if cur == target {
                return true;
            }
            let next = self
                .sessions
                .get(cur)
                .and_then(|s| s.waiting.as_ref())
                .and_then(|w| self.tables.get(w.table)?.rows.get(&w.key)?.lock.as_ref())
                .map(|l| l.holder);
            match next {
                Some(h) => cur = h,
                None => return false,
            }
        }
        false
    }

    /// Ends `s`'s transaction: publishes (commit) or discards its writes and releases its
    /// locks. Returns the sessions that waited on those locks, in retry order.
    fn end_tx(
        &mut self,
        s: SessionId,
        commit: bool,
        touches: &mut BTreeSet<Touch>,
    ) -> Vec<SessionId> {
        let mut released = Vec::new();
        for t in &mut self.tables {
            let keys: Vec<Vec<Value>> = t
                .rows
                .iter()
                .filter(|(_, slot)| {
                    slot.lock.as_ref().is_some_and(|l| l.holder == s)
                        || slot.pending.as_ref().is_some_and(|p| p.session == s)
                })
                .map(|(k, _)| k.clone())
                .collect();
            for key in keys {
                touches.insert(Touch::WriteRow {
                    table: t.name.clone(),
                    key: t.key_string(&key),
                });
                let Some(slot) = t.rows.get_mut(&key) else {
                    continue;
                };
                if slot.pending.as_ref().is_some_and(|p| p.session == s) {
                    if let Some(p) = slot.pending.take() {
                        if commit {
                            slot.committed = p.values;
                        }
                    }
                }
                if slot.lock.as_ref().is_some_and(|l| l.holder == s) {
                    if let Some(lock) = slot.lock.take() {
                        released.extend(lock.waiters);
                    }
                }
                if slot.committed.is_none() && slot.pending.is_none() && slot.lock.is_none() {
                    t.rows.remove(&key);
                }
            }
        }
        released
    }

    /// Retries waiting statements in order; statements they release are retried after them.
    fn wake(&mut self, released: Vec<SessionId>) -> Vec<Wake> {
        let mut queue: VecDeque<SessionId> = released.into();
        let mut woken = Vec::new();
        while let Some(w) = queue.pop_front() {
            let Some(waiting) = self.sessions.get_mut(w).and_then(|s| s.waiting.take()) else {
                continue;
            };
            match self.run(w, &waiting.stmt, &waiting.params, waiting.progress) {
                Step::Blocked(_) => {}
                Step::Done {
                    result,
                    touches,
                    released,
                } => {
                    queue.extend(released);
                    if self.sessions[w].closed {
                        // Its client died while it waited (see `close_session`): the backend now
                        // finds the connection gone and rolls back what is still open. Nobody
                        // receives the result.
                        let tx = std::mem::take(&mut self.sessions[w].tx);
                        if tx != Tx::None {
                            let mut ignored = BTreeSet::new();
                            queue.extend(self.end_tx(w, false, &mut ignored));
                        }
                        continue;
                    }
                    woken.push(Wake {
                        session: w,
                        result,
                        touches,
                    });
                }
            }
        }
        woken
    }

    // -----------------------------------------------------------------------------------------
    // DDL
    // -----------------------------------------------------------------------------------------

    fn table_index(&self, name: &str) -> Result<usize, SqlError> {
        self.tables
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| err("42P01", format!("relation \"{name}\" does not exist")))
    }

    /// Validates a CREATE TABLE; `Ok(None)` = IF NOT EXISTS and the table exists.
    fn plan_create(&self, ct: &CreateTable) -> Result<Option<Table>, SqlError> {
        if self.tables.iter().any(|t| t.name == ct.name) {
            if ct.if_not_exists {
                return Ok(None);
            }
            return Err(err(
                "42P07",
                format!("relation \"{}\" already exists", ct.name),
            ));
        }
        let mut columns: Vec<Column> = Vec::new();
        for c in &ct.columns {
            if columns.iter().any(|x| x.name == c.name) {
                return Err(err(
                    "42701",
                    format!("column \"{}\" specified more than once", c.name),
                ));
            }
            columns.push(Column {
                name: c.name.clone(),
                ty: c.ty,
                not_null: c.not_null,
            });
        }
        let mut pk = Vec::new();
        let mut pk_name = format!("{}_pkey", ct.name);
        if let Some((cols, name)) = &ct.primary_key {
            for c in cols {
                let Some(i) = columns.iter().position(|x| &x.name == c) else {
                    return Err(err(
                        "42703",
                        format!("column \"{c}\" named in key does not exist"),
                    ));
                };
                if pk.contains(&i) {
                    return Err(err(
                        "42701",
                        format!("column \"{c}\" appears twice in primary key constraint"),
                    ));
                }
                pk.push(i);
                columns[i].not_null = true;
            }
            if let Some(n) = name {
                pk_name = n.clone();
            }
        }
        Ok(Some(Table {
            name: ct.name.clone(),
            columns,
            pk,
            pk_name,
            rows: BTreeMap::new(),
            next_rowid: 1,
        }))
    }

    fn create_table(
        &mut self,
        ct: &CreateTable,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<QueryResult, SqlError> {
        touches.insert(Touch::ReadTable {
            table: ct.name.clone(),
        });
        let mut result = tag_only("CREATE TABLE");
        match self.plan_create(ct)? {
            Some(t) => self.tables.push(t),
            None => {
                let mut notice = SqlError::warning(
                    "42P07",
                    format!("relation \"{}\" already exists, skipping", ct.name),
                );
                notice.severity = "NOTICE";
                result.notices.push(notice);
            }
        }
        Ok(result)
    }

    // -----------------------------------------------------------------------------------------
    // Planning (name resolution and typing; no effects)
    // -----------------------------------------------------------------------------------------

    fn scope<'a>(
        &'a self,
        table: Option<(usize, &'a TableRef)>,
        params: Option<&'a [Value]>,
    ) -> Scope<'a> {
        Scope {
            table: table.map(|(i, r)| (&self.tables[i], r)),
            params,
        }
    }

    fn plan_select(
        &self,
        sel: &Select,
        params: Option<&[Value]>,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<SelectPlan, SqlError> {
        let table = match &sel.from {
            Some(r) => {
                let i = self.table_index(&r.name)?;
                touches.insert(Touch::ReadTable {
                    table: r.name.clone(),
                });
                Some((i, r))
            }
            None => None,
        };
        let scope = self.scope(table, params);
        let outputs = scope.items(&sel.items)?;
        let filter = sel
            .filter
            .as_ref()
            .map(|f| scope.condition(f, "WHERE"))
            .transpose()?;
        let mut order = Vec::new();
        for o in &sel.order_by {
            order.push(scope.order_item(o, &outputs)?);
        }
        let no_columns = self.scope(None, params);
        let limit = sel
            .limit
            .as_ref()
            .map(|e| no_columns.count_clause(e, "LIMIT"))
            .transpose()?
            .flatten();
        let offset = sel
            .offset
            .as_ref()
            .map(|e| no_columns.count_clause(e, "OFFSET"))
            .transpose()?
            .flatten()
            .unwrap_or(0);
        let count = sel
            .items
            .iter()
            .any(|i| matches!(i, SelectItem::Expr { expr, .. } if expr.contains_count()));
        Ok(SelectPlan {
            table: table.map(|(i, _)| i),
            outputs,
            filter,
            order,
            limit,
            offset,
            count,
        })
    }

    /// Runs a SELECT on the snapshot of `viewer` (None = committed state only). Returns the
    /// output and every matching row in output order (for FOR UPDATE).
    fn select_rows(
        &self,
        sel: &Select,
        params: Option<&[Value]>,
        viewer: Option<SessionId>,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<SelectOut, SqlError> {
        let plan = self.plan_select(sel, params, touches)?;
        let source: Vec<(Option<Vec<Value>>, Vec<Value>)> = match plan.table {
            Some(t) => self.tables[t]
                .visible(viewer)
                .map(|(k, v)| (Some(k.clone()), v.clone()))
                .collect(),
            None => vec![(None, Vec::new())],
        };
        let mut matched = Vec::new();
        for (key, row) in source {
            if let Some(f) = &plan.filter {
                if !truthy(&eval(f, &row)?) {
                    continue;
                }
            }
            matched.push((key, row));
        }
        if let Some(t) = plan.table {
            let t = &self.tables[t];
            for (key, _) in &matched {
                if let Some(k) = key {
                    touches.insert(Touch::ReadRow {
                        table: t.name.clone(),
                        key: t.key_string(k),
                    });
                }
            }
        }
        let columns: Vec<String> = plan.outputs.iter().map(|(n, _)| n.clone()).collect();
        if plan.count {
            let n = i64::try_from(matched.len()).unwrap_or(i64::MAX);
            let row: Vec<Value> = plan.outputs.iter().map(|_| Value::Int(n)).collect();
            let rows: Vec<Vec<Value>> = std::iter::once(row)
                .skip(usize::try_from(plan.offset).unwrap_or(usize::MAX))
                .take(
                    plan.limit
                        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX)),
                )
                .collect();
            return Ok(SelectOut {
                columns,
                rows,
                cands: Vec::new(),
            });
        }
        let mut produced = Vec::new();
        for (key, row) in matched {
            let out = plan
                .outputs
                .iter()
                .map(|(_, b)| eval(b, &row))
                .collect::<Result<Vec<_>, _>>()?;
            let mut sort_keys = Vec::new();
            for (target, _, _) in &plan.order {
                sort_keys.push(match target {
                    OrderTarget::Output(i) => out.get(*i).cloned().unwrap_or(Value::Null),
                    OrderTarget::Input(b) => eval(b, &row)?,
                });
            }
            produced.push((key, out, sort_keys, row));
        }
        if !plan.order.is_empty() {
            produced.sort_by(|a, b| {
                for (i, (_, desc, nulls_first)) in plan.order.iter().enumerate() {
                    let ord = compare_sort(&a.2[i], &b.2[i], *desc, *nulls_first);
                    if ord != std::cmp::Ordering::Equal {
                        return ord;
                    }
                }
                std::cmp::Ordering::Equal
            });
        }
        let offset = usize::try_from(plan.offset).unwrap_or(usize::MAX);
        let end = match plan.limit {
            Some(l) => offset.saturating_add(usize::try_from(l).unwrap_or(usize::MAX)),
            None => usize::MAX,
        };
        let mut cands = Vec::new();
        let mut rows = Vec::new();
        for (i, (key, out, _, row)) in produced.into_iter().enumerate() {
            if let Some(k) = key {
                cands.push((k, row));
            }
            if i >= offset && i < end {
                rows.push(out);
            }
        }
        Ok(SelectOut {
            columns,
            rows,
            cands,
        })
    }

    fn plan_insert(&self, ins: &Insert, params: Option<&[Value]>) -> Result<InsertPlan, SqlError> {
        let ti = self.table_index(&ins.table.name)?;
        let t = &self.tables[ti];
        let targets: Vec<usize> = match &ins.columns {
            None => (0..t.columns.len()).collect(),
            Some(cols) => {
                let mut out: Vec<usize> = Vec::new();
                for c in cols {
                    let Some(i) = t.column(c) else {
                        return Err(err(
                            "42703",
                            format!("column \"{c}\" of relation \"{}\" does not exist", t.name),
                        ));
                    };
                    if out.contains(&i) {
                        return Err(err(
                            "42701",
                            format!("column \"{c}\" specified more than once"),
                        ));
                    }
                    out.push(i);
                }
                out
            }
        };
        let values_scope = self.scope(None, params);
        let mut rows = Vec::new();
        for row in &ins.rows {
            if row.len() > targets.len() {
                return Err(err(
                    "42601",
                    "INSERT has more expressions than target columns",
                ));
            }
            if row.len() < targets.len() && ins.columns.is_some() {
                return Err(err(
                    "42601",
                    "INSERT has more target columns than expressions",
                ));
            }
            let mut bound = Vec::new();
            for (e, &c) in row.iter().zip(&targets) {
                let (b, ty) = values_scope.bind(e)?;
                bound.push((c, assign(b, ty, &t.columns[c])?));
            }
            rows.push(bound);
        }
        let scope = self.scope(Some((ti, &ins.table)), params);
        let returning = ins.returning.as_ref().map(|r| scope.items(r)).transpose()?;
        Ok(InsertPlan {
            table: ti,
            rows,
            returning,
        })
    }

    fn plan_update(&self, upd: &Update, params: Option<&[Value]>) -> Result<UpdatePlan, SqlError> {
        let ti = self.table_index(&upd.table.name)?;
        let t = &self.tables[ti];
        let scope = self.scope(Some((ti, &upd.table)), params);
        let filter = upd
            .filter
            .as_ref()
            .map(|f| scope.condition(f, "WHERE"))
            .transpose()?;
        let returning = upd.returning.as_ref().map(|r| scope.items(r)).transpose()?;
        let mut sets: Vec<(usize, B)> = Vec::new();
        for (col, e) in &upd.sets {
            let Some(c) = t.column(col) else {
                return Err(err(
                    "42703",
                    format!("column \"{col}\" of relation \"{}\" does not exist", t.name),
                ));
            };
            if sets.iter().any(|(x, _)| *x == c) {
                return Err(err(
                    "42601",
                    format!("multiple assignments to same column \"{col}\""),
                ));
            }
            let (b, ty) = scope.bind(e)?;
            let b = assign(b, ty, &t.columns[c])?;
            if t.pk.contains(&c) {
                return Err(SqlError::not_supported(format!(
                    "UPDATE of the primary-key column \"{col}\""
                )));
            }
            sets.push((c, b));
        }
        Ok(UpdatePlan {
            table: ti,
            filter,
            sets,
            returning,
        })
    }

    fn plan_delete(&self, del: &Delete, params: Option<&[Value]>) -> Result<DeletePlan, SqlError> {
        let ti = self.table_index(&del.table.name)?;
        let scope = self.scope(Some((ti, &del.table)), params);
        let filter = del
            .filter
            .as_ref()
            .map(|f| scope.condition(f, "WHERE"))
            .transpose()?;
        let returning = del.returning.as_ref().map(|r| scope.items(r)).transpose()?;
        Ok(DeletePlan {
            table: ti,
            filter,
            returning,
        })
    }

    // -----------------------------------------------------------------------------------------
    // Execution
    // -----------------------------------------------------------------------------------------

    /// Takes (or keeps) `s`'s lock on the row.
    fn lock_row(&mut self, s: SessionId, table: usize, key: &[Value]) {
        let slot = self.tables[table].rows.entry(key.to_vec()).or_default();
        if slot.lock.is_none() {
            slot.lock = Some(Lock {
                holder: s,
                waiters: Vec::new(),
            });
        }
    }

    /// Puts back the session's previous uncommitted versions of the rows a failed statement
    /// changed (the caller then aborts the transaction, which releases the locks).
    fn undo(&mut self, table: usize, undo: &[(Vec<Value>, Option<Pending>)]) {
        let Some(t) = self.tables.get_mut(table) else {
            return;
        };
        for (key, before) in undo.iter().rev() {
            if let Some(slot) = t.rows.get_mut(key) {
                slot.pending = before.clone();
            }
        }
    }

    /// Processes the statement's remaining rows one at a time, in order: waits (returning the
    /// row and its holder) at the first row another transaction has locked, keeping what was
    /// done so far; otherwise re-reads the row (EvalPlanQual: a row changed since the
    /// snapshot by a committed transaction is re-checked on its newest version, skipped if it
    /// is gone or no longer matches), takes its lock and applies `action`. Stops after `limit`
    /// rows. On error, the rows changed so far are undone.
    #[allow(clippy::too_many_arguments)]
    fn scan_rows(
        &mut self,
        s: SessionId,
        table: usize,
        filter: Option<&B>,
        action: &RowAction<'_>,
        output: Option<&[(String, B)]>,
        limit: usize,
        prog: &mut Progress,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<Option<(Vec<Value>, SessionId)>, SqlError> {
        while prog.done < limit {
            let Some((key, snap)) = prog.todo.front().cloned() else {
                break;
            };
            let slot = self.tables[table].rows.get(&key);
            if let Some(holder) = slot
                .and_then(|sl| sl.lock.as_ref())
                .map(|l| l.holder)
                .filter(|&h| h != s)
            {
                return Ok(Some((key, holder)));
            }
            let current = slot.and_then(|sl| sl.visible(Some(s))).cloned();
            prog.todo.pop_front();
            if let Err(e) = self.scan_row(
                s, table, filter, action, output, key, snap, current, prog, touches,
            ) {
                self.undo(table, &prog.undo);
                return Err(e);
            }
        }
        Ok(None)
    }

    #[allow(clippy::too_many_arguments)]
    fn scan_row(
        &mut self,
        s: SessionId,
        table: usize,
        filter: Option<&B>,
        action: &RowAction<'_>,
        output: Option<&[(String, B)]>,
        key: Vec<Value>,
        snap: Vec<Value>,
        current: Option<Vec<Value>>,
        prog: &mut Progress,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<(), SqlError> {
        let Some(row) = current else {
            // Deleted since the snapshot by a committed transaction.
            return Ok(());
        };
        if row != snap {
            if let Some(f) = filter {
                if !truthy(&eval(f, &row)?) {
                    return Ok(());
                }
            }
        }
        match action {
            RowAction::Lock => {
                if let Some(items) = output {
                    prog.out.push(project(items, &row)?);
                }
                self.lock_row(s, table, &key);
                let t = &self.tables[table];
                touches.insert(Touch::WriteRow {
                    table: t.name.clone(),
                    key: t.key_string(&key),
                });
            }
            RowAction::Update(sets) => {
                let t = &self.tables[table];
                let mut new = row.clone();
                for (c, b) in sets.iter() {
                    new[*c] = store(eval(b, &row)?, &t.columns[*c])?;
                }
                t.check_not_null(&new)?;
                if let Some(items) = output {
                    prog.out.push(project(items, &new)?);
                }
                let before = t.rows.get(&key).and_then(|sl| sl.pending.clone());
                prog.undo.push((key.clone(), before));
                self.write(s, table, &key, Some(new), touches);
            }
            RowAction::Delete => {
                if let Some(items) = output {
                    prog.out.push(project(items, &row)?);
                }
                let t = &self.tables[table];
                let before = t.rows.get(&key).and_then(|sl| sl.pending.clone());
                prog.undo.push((key.clone(), before));
                self.write(s, table, &key, None, touches);
            }
        }
        prog.done += 1;
        Ok(())
    }

    fn exec_select(
        &mut self,
        s: SessionId,
        sel: &Select,
        params: &[Value],
        touches: &mut BTreeSet<Touch>,
        resume: Option<Progress>,
    ) -> Result<Outcome, SqlError> {
        let plan = self.plan_select(sel, Some(params), touches)?;
        let (true, Some(ti), false) = (sel.for_update, plan.table, plan.count) else {
            let out = self.select_rows(sel, Some(params), Some(s), touches)?;
            return Ok(Outcome::Rows(QueryResult {
                tag: format!("SELECT {}", out.rows.len()),
                columns: out.columns,
                rows: out.rows,
                notices: Vec::new(),
            }));
        };
        // FOR UPDATE: rows are locked one at a time in output order, below LIMIT (rows skipped
        // after a re-check do not count), as PostgreSQL's LockRows node does.
        let mut prog = match resume {
            Some(p) => p,
            None => {
                let out = self.select_rows(sel, Some(params), Some(s), touches)?;
                Progress {
                    todo: out.cands.into(),
                    ..Progress::default()
                }
            }
        };
        let offset = usize::try_from(plan.offset).unwrap_or(usize::MAX);
        let end = match plan.limit {
            Some(l) => offset.saturating_add(usize::try_from(l).unwrap_or(usize::MAX)),
            None => usize::MAX,
        };
        if let Some((key, holder)) = self.scan_rows(
            s,
            ti,
            plan.filter.as_ref(),
            &RowAction::Lock,
            Some(&plan.outputs),
            end,
            &mut prog,
            touches,
        )? {
            return Ok(Outcome::Wait {
                table: ti,
                key,
                holder,
                progress: Some(prog),
            });
        }
        let rows: Vec<Vec<Value>> = prog.out.into_iter().skip(offset).collect();
        Ok(Outcome::Rows(QueryResult {
            tag: format!("SELECT {}", rows.len()),
            columns: plan.outputs.iter().map(|(n, _)| n.clone()).collect(),
            rows,
            notices: Vec::new(),
        }))
    }

    fn exec_insert(
        &mut self,
        s: SessionId,
        ins: &Insert,
        params: &[Value],
        touches: &mut BTreeSet<Touch>,
    ) -> Result<Outcome, SqlError> {
        let plan = self.plan_insert(ins, Some(params))?;
        let ti = plan.table;
        let t = &self.tables[ti];
        let mut new_rows = Vec::new();
        for bound in &plan.rows {
            let mut row = vec![Value::Null; t.columns.len()];
            for (c, b) in bound {
                row[*c] = store(eval(b, &[])?, &t.columns[*c])?;
            }
            t.check_not_null(&row)?;
            new_rows.push(row);
        }
        // Unique check against the rows this session can see, waiting where another open
        // transaction has an uncommitted write on the same key.
        let mut keys: Vec<Vec<Value>> = Vec::new();
        if !t.pk.is_empty() {
            for row in &new_rows {
                let key: Vec<Value> = t.pk.iter().map(|&i| row[i].clone()).collect();
                let duplicate = err(
                    "23505",
                    format!(
                        "duplicate key value violates unique constraint \"{}\"",
                        t.pk_name
                    ),
                );
                if keys.contains(&key) {
                    return Err(duplicate);
                }
                if let Some(slot) = t.rows.get(&key) {
                    if let Some(p) = slot.pending.as_ref().filter(|p| p.session != s) {
                        return Ok(Outcome::Wait {
                            table: ti,
                            key,
                            holder: p.session,
                            progress: None,
                        });
                    }
                    if slot.visible(Some(s)).is_some() {
                        touches.insert(Touch::ReadRow {
                            table: t.name.clone(),
                            key: t.key_string(&key),
                        });
                        return Err(duplicate);
                    }
                    if let Some(l) = slot.lock.as_ref().filter(|l| l.holder != s) {
                        return Ok(Outcome::Wait {
                            table: ti,
                            key,
                            holder: l.holder,
                            progress: None,
                        });
                    }
                }
                keys.push(key);
            }
        } else {
            for i in 0..new_rows.len() {
                let id = i64::try_from(i).unwrap_or(i64::MAX);
                keys.push(vec![Value::Int(t.next_rowid.saturating_add(id))]);
            }
        }
        let returned = match &plan.returning {
            Some(items) => Some(
                new_rows
                    .iter()
                    .map(|r| project(items, r))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        let t = &mut self.tables[ti];
        if t.pk.is_empty() {
            let n = i64::try_from(new_rows.len()).unwrap_or(i64::MAX);
            t.next_rowid = t.next_rowid.saturating_add(n);
        }
        let n = new_rows.len();
        for (key, row) in keys.iter().zip(new_rows) {
            touches.insert(Touch::WriteRow {
                table: t.name.clone(),
                key: t.key_string(key),
            });
            let slot = t.rows.entry(key.clone()).or_default();
            slot.pending = Some(Pending {
                session: s,
                values: Some(row),
            });
            if slot.lock.is_none() {
                slot.lock = Some(Lock {
                    holder: s,
                    waiters: Vec::new(),
                });
            }
        }
        Ok(Outcome::Rows(with_returning(
            format!("INSERT 0 {n}"),
            plan.returning.as_ref(),
            returned,
        )))
    }

    /// The visible rows of `table` that pass `filter`, in key order.
    fn matching(
        &self,
        s: SessionId,
        table: usize,
        filter: Option<&B>,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<Vec<KeyedRow>, SqlError> {
        let t = &self.tables[table];
        touches.insert(Touch::ReadTable {
            table: t.name.clone(),
        });
        let mut out = Vec::new();
        for (k, row) in t.visible(Some(s)) {
            if let Some(f) = filter {
                if !truthy(&eval(f, row)?) {
                    continue;
                }
            }
            touches.insert(Touch::ReadRow {
                table: t.name.clone(),
                key: t.key_string(k),
            });
            out.push((k.clone(), row.clone()));
        }
        Ok(out)
    }

    fn exec_update(
        &mut self,
        s: SessionId,
        upd: &Update,
        params: &[Value],
        touches: &mut BTreeSet<Touch>,
        resume: Option<Progress>,
    ) -> Result<Outcome, SqlError> {
        let plan = self.plan_update(upd, Some(params))?;
        let action = RowAction::Update(&plan.sets);
        let target = RowTarget {
            table: plan.table,
            filter: plan.filter.as_ref(),
            returning: plan.returning.as_ref(),
        };
        self.exec_row_by_row(s, "UPDATE", target, &action, touches, resume)
    }

    fn exec_delete(
        &mut self,
        s: SessionId,
        del: &Delete,
        params: &[Value],
        touches: &mut BTreeSet<Touch>,
        resume: Option<Progress>,
    ) -> Result<Outcome, SqlError> {
        let plan = self.plan_delete(del, Some(params))?;
        let target = RowTarget {
            table: plan.table,
            filter: plan.filter.as_ref(),
            returning: plan.returning.as_ref(),
        };
        self.exec_row_by_row(s, "DELETE", target, &RowAction::Delete, touches, resume)
    }

    /// UPDATE and DELETE: the snapshot's matching rows (or the saved progress of a woken
    /// statement), then row by row until done or a row another transaction holds.
    fn exec_row_by_row(
        &mut self,
        s: SessionId,
        command: &str,
        RowTarget {
            table: ti,
            filter,
            returning,
        }: RowTarget<'_>,
        action: &RowAction<'_>,
        touches: &mut BTreeSet<Touch>,
        resume: Option<Progress>,
    ) -> Result<Outcome, SqlError> {
        let mut prog = match resume {
            Some(p) => p,
            None => Progress {
                todo: self.matching(s, ti, filter, touches)?.into(),
                ..Progress::default()
            },
        };
        if let Some((key, holder)) = self.scan_rows(
            s,
            ti,
            filter,
            action,
            returning.map(|r| r.as_slice()),
            usize::MAX,
            &mut prog,
            touches,
        )? {
            return Ok(Outcome::Wait {
                table: ti,
                key,
                holder,
                progress: Some(prog),
            });
        }
        Ok(Outcome::Rows(with_returning(
            format!("{command} {}", prog.done),
            returning,
            Some(prog.out),
        )))
    }

    /// Records `s`'s uncommitted new version (None = deleted) of a row, taking its lock.
    fn write(
        &mut self,
        s: SessionId,
        table: usize,
        key: &[Value],
        values: Option<Vec<Value>>,
        touches: &mut BTreeSet<Touch>,
    ) {
        self.lock_row(s, table, key);
        let t = &mut self.tables[table];
        touches.insert(Touch::WriteRow {
            table: t.name.clone(),
            key: t.key_string(key),
        });
        if let Some(slot) = t.rows.get_mut(key) {
            slot.pending = Some(Pending { session: s, values });
        }
    }
}

fn with_returning(
    tag: String,
    items: Option<&Vec<(String, B)>>,
    rows: Option<Vec<Vec<Value>>>,
) -> QueryResult {
    QueryResult {
        tag,
        columns: items
            .map(|i| i.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default(),
        rows: rows.unwrap_or_default(),
        notices: Vec::new(),
    }
}

fn project(items: &[(String, B)], row: &[Value]) -> Result<Vec<Value>, SqlError> {
    items.iter().map(|(_, b)| eval(b, row)).collect()
}

fn check_params(stmt: &Prepared, params: &[Value]) -> Result<(), SqlError> {
    match stmt
        .params_used()
        .iter()
        .find(|&&n| n == 0 || n > params.len())
    {
        Some(n) => Err(err("42P02", format!("there is no parameter ${n}"))),
        None => Ok(()),
    }
}

impl Table {
    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    fn visible(
        &self,
        viewer: Option<SessionId>,
    ) -> impl Iterator<Item = (&Vec<Value>, &Vec<Value>)> + '_ {
        self.rows
            .iter()
            .filter_map(move |(k, slot)| slot.visible(viewer).map(|v| (k, v)))
    }

    fn check_not_null(&self, row: &[Value]) -> Result<(), SqlError> {
        for (c, v) in self.columns.iter().zip(row) {
            if c.not_null && v.is_null() {
                return Err(err(
                    "23502",
                    format!(
                        "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
                        c.name, self.name
                    ),
                ));
            }
        }
        Ok(())
    }

    /// "(1, FOOD)"; "(0,n)" for a table without primary key.
    fn key_string(&self, key: &[Value]) -> String {
        if self.pk.is_empty() {
            return match key.first() {
                Some(Value::Int(n)) => format!("(0,{n})"),
                _ => "(0,0)".to_string(),
            };
        }
        let parts: Vec<String> = key.iter().map(pg_text).collect();
        format!("({})", parts.join(", "))
    }

    /// "(account_id, category_id)=(1, FOOD)" as PostgreSQL shows keys in messages.
    fn blocked_key_string(&self, key: &[Value]) -> String {
        if self.pk.is_empty() {
            return self.key_string(key);
        }
        let names: Vec<&str> = self
            .pk
            .iter()
            .map(|&i| self.columns[i].name.as_str())
            .collect();
        format!("({})={}", names.join(", "), self.key_string(key))
    }
}

impl Slot {
    fn visible(&self, viewer: Option<SessionId>) -> Option<&Vec<Value>> {
        match &self.pending {
            Some(p) if Some(p.session) == viewer => p.values.as_ref(),
            _ => self.committed.as_ref(),
        }
    }
}

/// A value as PostgreSQL's output functions print it (keys, `::text`, `||`).
fn pg_text(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(true) => "t".to_string(),
        Value::Bool(false) => "f".to_string(),
        Value::Int(i) => i.to_string(),
        Value::Text(s) => s.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Typing and evaluation
// ---------------------------------------------------------------------------------------------

/// A static type during planning. `Unknown` is PostgreSQL's type of an untyped literal
/// (`'500'`, NULL) before its context decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Int2,
    Int4,
    Int8,
    Text,
    Varchar,
    Bool,
    Unknown,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Int2 => "smallint",
            Ty::Int4 => "integer",
            Ty::Int8 => "bigint",
            Ty::Text => "text",
            Ty::Varchar => "character varying",
            Ty::Bool => "boolean",
            Ty::Unknown => "unknown",
        }
    }

    fn is_int(self) -> bool {
        matches!(self, Ty::Int2 | Ty::Int4 | Ty::Int8)
    }

    fn is_str(self) -> bool {
        matches!(self, Ty::Text | Ty::Varchar)
    }

    fn of(t: SqlType) -> Ty {
        match t {
            SqlType::Int2 => Ty::Int2,
            SqlType::Int4 => Ty::Int4,
            SqlType::Int8 => Ty::Int8,
            SqlType::Text => Ty::Text,
            SqlType::Varchar(_) => Ty::Varchar,
            SqlType::Bool => Ty::Bool,
        }
    }

    fn int_literal(i: i64) -> Ty {
        if i32::try_from(i).is_ok() {
            Ty::Int4
        } else {
            Ty::Int8
        }
    }

    /// The SQL type a value of this static type is parsed as.
    fn sql(self) -> SqlType {
        match self {
            Ty::Int2 => SqlType::Int2,
            Ty::Int4 => SqlType::Int4,
            Ty::Int8 => SqlType::Int8,
            Ty::Bool => SqlType::Bool,
            Ty::Varchar => SqlType::Varchar(None),
            Ty::Text | Ty::Unknown => SqlType::Text,
        }
    }
}

/// A bound (resolved, typed) expression.
#[derive(Clone, Debug)]
enum B {
    Const(Value),
    Col(usize),
    Neg(Box<B>, Ty),
    Arith(BinOp, Box<B>, Box<B>, Ty),
    Concat(Box<B>, Box<B>),
    Cmp(BinOp, Box<B>, Box<B>),
    And(Box<B>, Box<B>),
    Or(Box<B>, Box<B>),
    Not(Box<B>),
    IsNull(Box<B>, bool),
    /// An explicit (`::t`) or assignment cast; `explicit` truncates varchar(n) silently.
    Cast(Box<B>, SqlType, bool),
}

enum OrderTarget {
    Output(usize),
    Input(B),
}

struct SelectPlan {
    table: Option<usize>,
    outputs: Vec<(String, B)>,
    filter: Option<B>,
    order: Vec<(OrderTarget, bool, bool)>,
    limit: Option<i64>,
    offset: i64,
    count: bool,
}

struct SelectOut {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    /// Every matching row with a key, in output order, with its input values (FOR UPDATE).
    cands: Vec<KeyedRow>,
}

struct InsertPlan {
    table: usize,
    rows: Vec<Vec<(usize, B)>>,
    returning: Option<Vec<(String, B)>>,
}

struct UpdatePlan {
    table: usize,
    filter: Option<B>,
    sets: Vec<(usize, B)>,
    returning: Option<Vec<(String, B)>>,
}

/// What an UPDATE or DELETE works on: its table, WHERE and RETURNING.
struct RowTarget<'a> {
    table: usize,
    filter: Option<&'a B>,
    returning: Option<&'a Vec<(String, B)>>,
}

struct DeletePlan {
    table: usize,
    filter: Option<B>,
    returning: Option<Vec<(String, B)>>,
}

struct Scope<'a> {
    table: Option<(&'a Table, &'a TableRef)>,
    /// None: `check` mode, parameters are untyped NULLs.
    params: Option<&'a [Value]>,
}

fn no_operator(l: Ty, op: &str, r: Ty) -> SqlError {
    err(
        "42883",
        format!("operator does not exist: {} {op} {}", l.name(), r.name()),
    )
}

fn bx(b: B) -> Box<B> {
    Box::new(b)
}

impl Scope<'_> {
    fn column(&self, qualifier: Option<&str>, name: &str) -> Result<(B, Ty), SqlError> {
        let Some((t, r)) = self.table else {
            return Err(match qualifier {
                Some(q) => err(
                    "42P01",
                    format!("missing FROM-clause entry for table \"{q}\""),
                ),
                None => err("42703", format!("column \"{name}\" does not exist")),
            });
        };
        if let Some(q) = qualifier {
            let visible_name = r.alias.as_deref().unwrap_or(&r.name);
            if q != visible_name {
                if r.alias.is_some() && q == r.name {
                    return Err(err(
                        "42P01",
                        format!("invalid reference to FROM-clause entry for table \"{q}\""),
                    ));
                }
                return Err(err(
                    "42P01",
                    format!("missing FROM-clause entry for table \"{q}\""),
                ));
            }
        }
        match t.column(name) {
            Some(i) => Ok((B::Col(i), Ty::of(t.columns[i].ty))),
            None => Err(match qualifier {
                Some(q) => err("42703", format!("column {q}.{name} does not exist")),
                None => err("42703", format!("column \"{name}\" does not exist")),
            }),
        }
    }

    fn items(&self, items: &[SelectItem]) -> Result<Vec<(String, B)>, SqlError> {
        let mut out = Vec::new();
        for item in items {
            match item {
                SelectItem::Wildcard | SelectItem::QualifiedWildcard(_) => {
                    if let SelectItem::QualifiedWildcard(q) = item {
                        // Resolves the qualifier (errors as PostgreSQL's).
                        match self.table {
                            Some((t, _)) if !t.columns.is_empty() => {
                                self.column(Some(q), &t.columns[0].name)?;
                            }
                            _ => {
                                return Err(err(
                                    "42P01",
                                    format!("missing FROM-clause entry for table \"{q}\""),
                                ))
                            }
                        }
                    }
                    match self.table {
                        Some((t, _)) => {
                            for (i, c) in t.columns.iter().enumerate() {
                                out.push((c.name.clone(), B::Col(i)));
                            }
                        }
                        None => {
                            return Err(err(
                                "42601",
                                "SELECT * with no tables specified is not valid",
                            ))
                        }
                    }
                }
                SelectItem::Expr { expr, name } => {
                    let (b, _) = self.bind(expr)?;
                    out.push((name.clone(), b));
                }
            }
        }
        Ok(out)
    }

    /// A boolean condition (WHERE).
    fn condition(&self, e: &Expr, clause: &str) -> Result<B, SqlError> {
        let (b, ty) = self.bind(e)?;
        boolean(b, ty, clause)
    }

    /// LIMIT / OFFSET: a constant bigint; None = no limit (NULL).
    fn count_clause(&self, e: &Expr, clause: &str) -> Result<Option<i64>, SqlError> {
        let (b, ty) = self.bind(e)?;
        let b = match ty {
            Ty::Unknown => coerce(b, ty, Ty::Int8)?,
            t if t.is_int() => b,
            t => {
                return Err(err(
                    "42804",
                    format!(
                        "argument of {clause} must be type bigint, not type {}",
                        t.name()
                    ),
                ))
            }
        };
        match eval(&b, &[])? {
            Value::Int(n) if n < 0 => Err(if clause == "LIMIT" {
                err("2201W", "LIMIT must not be negative")
            } else {
                err("2201X", "OFFSET must not be negative")
            }),
            Value::Int(n) => Ok(Some(n)),
            _ => Ok(None),
        }
    }

    fn order_item(
        &self,
        o: &OrderItem,
        outputs: &[(String, B)],
    ) -> Result<(OrderTarget, bool, bool), SqlError> {
        let nulls_first = o.nulls_first.unwrap_or(o.desc);
        let target = match &o.expr {
            Expr::Int(n) => {
                let i = usize::try_from(*n)
                    .ok()
                    .filter(|&i| i >= 1 && i <= outputs.len());
                match i {
                    Some(i) => OrderTarget::Output(i - 1),
                    None => {
                        return Err(err(
                            "42P10",
                            format!("ORDER BY position {n} is not in select list"),
                        ))
                    }
                }
            }
            Expr::Column { table: None, name } if outputs.iter().any(|(n, _)| n == name) => {
                OrderTarget::Output(outputs.iter().position(|(n, _)| n == name).unwrap_or(0))
            }
            e => {
                let (b, _) = self.bind(e)?;
                OrderTarget::Input(b)
            }
        };
        Ok((target, o.desc, nulls_first))
    }

    fn bind(&self, e: &Expr) -> Result<(B, Ty), SqlError> {
        Ok(match e {
            Expr::Null => (B::Const(Value::Null), Ty::Unknown),
            Expr::Bool(b) => (B::Const(Value::Bool(*b)), Ty::Bool),
            Expr::Int(i) => (B::Const(Value::Int(*i)), Ty::int_literal(*i)),
            Expr::Str(s) => (B::Const(Value::Text(s.clone())), Ty::Unknown),
            Expr::Param(n) => match self.params {
                None => (B::Const(Value::Null), Ty::Unknown),
                Some(params) => match n.checked_sub(1).and_then(|i| params.get(i)) {
                    None => return Err(err("42P02", format!("there is no parameter ${n}"))),
                    Some(Value::Null) => (B::Const(Value::Null), Ty::Unknown),
                    Some(Value::Bool(b)) => (B::Const(Value::Bool(*b)), Ty::Bool),
                    Some(Value::Int(i)) => (B::Const(Value::Int(*i)), Ty::int_literal(*i)),
                    Some(Value::Text(s)) => (B::Const(Value::Text(s.clone())), Ty::Unknown),
                },
            },
            Expr::Column { table, name } => self.column(table.as_deref(), name)?,
            Expr::CountStar => (B::Const(Value::Null), Ty::Int8),
            Expr::Unary { op, expr } => {
                let (b, ty) = self.bind(expr)?;
                match op {
                    UnOp::Not => (B::Not(bx(boolean(b, ty, "NOT")?)), Ty::Bool),
                    UnOp::Neg | UnOp::Plus => {
                        let sym = if *op == UnOp::Neg { "-" } else { "+" };
                        if ty == Ty::Unknown {
                            return Err(err(
                                "42725",
                                format!("operator is not unique: {sym} unknown"),
                            ));
                        }
                        if !ty.is_int() {
                            return Err(err(
                                "42883",
                                format!("operator does not exist: {sym} {}", ty.name()),
                            ));
                        }
                        if *op == UnOp::Neg {
                            (B::Neg(bx(b), ty), ty)
                        } else {
                            (b, ty)
                        }
                    }
                }
            }
            Expr::Binary { op, left, right } => {
                let l = self.bind(left)?;
                let r = self.bind(right)?;
                binary(*op, l, r)?
            }
            Expr::IsNull { expr, negated } => {
                let (b, _) = self.bind(expr)?;
                (B::IsNull(bx(b), *negated), Ty::Bool)
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let x = self.bind(expr)?;
                let items = list
                    .iter()
                    .map(|e| self.bind(e))
                    .collect::<Result<Vec<_>, _>>()?;
                // All types must belong to one category, as PostgreSQL's common-type rule.
                let mut common = x.1;
                for (_, t) in &items {
                    if common == Ty::Unknown {
                        common = *t;
                    } else if *t != Ty::Unknown && category(*t) != category(common) {
                        return Err(err(
                            "42804",
                            format!(
                                "IN types {} and {} cannot be matched",
                                common.name(),
                                t.name()
                            ),
                        ));
                    }
                }
                let cmp = if *negated { BinOp::NotEq } else { BinOp::Eq };
                let mut acc: Option<B> = None;
                for item in items {
                    let (b, _) = binary(cmp, x.clone(), item)?;
                    acc = Some(match acc {
                        None => b,
                        Some(a) if *negated => B::And(bx(a), bx(b)),
                        Some(a) => B::Or(bx(a), bx(b)),
                    });
                }
                (acc.unwrap_or(B::Const(Value::Bool(*negated))), Ty::Bool)
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let x = self.bind(expr)?;
                let lo = self.bind(low)?;
                let hi = self.bind(high)?;
                if *negated {
                    let (a, _) = binary(BinOp::Lt, x.clone(), lo)?;
                    let (b, _) = binary(BinOp::Gt, x, hi)?;
                    (B::Or(bx(a), bx(b)), Ty::Bool)
                } else {
                    let (a, _) = binary(BinOp::GtEq, x.clone(), lo)?;
                    let (b, _) = binary(BinOp::LtEq, x, hi)?;
                    (B::And(bx(a), bx(b)), Ty::Bool)
                }
            }
            Expr::Cast { expr, ty: target } => {
                let (b, ty) = self.bind(expr)?;
                let to = Ty::of(*target);
                match (ty, to) {
                    (Ty::Unknown, _) => match b {
                        B::Const(Value::Text(s)) => {
                            let v = cast_value(Value::Text(s), *target, true)?;
                            (B::Const(v), to)
                        }
                        other => (other, to),
                    },
                    (Ty::Bool, Ty::Int2 | Ty::Int8) | (Ty::Int2 | Ty::Int8, Ty::Bool) => {
                        return Err(err(
                            "42846",
                            format!("cannot cast type {} to {}", ty.name(), to.name()),
                        ))
                    }
                    _ => (B::Cast(bx(b), *target, true), to),
                }
            }
        })
    }
}

#[derive(PartialEq, Eq)]
enum Category {
    Int,
    Str,
    Bool,
    Unknown,
}

fn category(t: Ty) -> Category {
    match t {
        Ty::Int2 | Ty::Int4 | Ty::Int8 => Category::Int,
        Ty::Text | Ty::Varchar => Category::Str,
        Ty::Bool => Category::Bool,
        Ty::Unknown => Category::Unknown,
    }
}

/// Gives an untyped literal the type `to` (parsing it now, as PostgreSQL does at plan time).
fn coerce(b: B, from: Ty, to: Ty) -> Result<B, SqlError> {
    if from != Ty::Unknown || to == Ty::Unknown {
        return Ok(b);
    }
    match b {
        B::Const(Value::Text(s)) => Ok(B::Const(cast_value(Value::Text(s), to.sql(), false)?)),
        other => Ok(other),
    }
}

fn boolean(b: B, ty: Ty, clause: &str) -> Result<B, SqlError> {
    match ty {
        Ty::Bool => Ok(b),
        Ty::Unknown => coerce(b, ty, Ty::Bool),
        other => Err(err(
            "42804",
            format!(
                "argument of {clause} must be type boolean, not type {}",
                other.name()
            ),
        )),
    }
}

fn wider(a: Ty, b: Ty) -> Ty {
    if a == Ty::Int8 || b == Ty::Int8 {
        Ty::Int8
    } else if a == Ty::Int4 || b == Ty::Int4 {
        Ty::Int4
    } else {
        Ty::Int2
    }
}

fn binary(op: BinOp, (l, lt): (B, Ty), (r, rt): (B, Ty)) -> Result<(B, Ty), SqlError> {
    match op {
        BinOp::And | BinOp::Or => {
            let name = if op == BinOp::And { "AND" } else { "OR" };
            let l = boolean(l, lt, name)?;
            let r = boolean(r, rt, name)?;
            Ok((
                if op == BinOp::And {
                    B::And(bx(l), bx(r))
                } else {
                    B::Or(bx(l), bx(r))
                },
                Ty::Bool,
            ))
        }
        BinOp::Eq | BinOp::NotEq | BinOp::Lt | BinOp::LtEq | BinOp::Gt | BinOp::GtEq => {
            let ok = match (lt, rt) {
                (Ty::Unknown, _) | (_, Ty::Unknown) => true,
                (a, b) => category(a) == category(b),
            };
            if !ok {
                return Err(no_operator(lt, op.symbol(), rt));
            }
            let (l, r) = match (lt, rt) {
                (Ty::Unknown, Ty::Unknown) => (l, r),
                (Ty::Unknown, t) => (coerce(l, lt, t)?, r),
                (t, Ty::Unknown) => (l, coerce(r, rt, t)?),
                _ => (l, r),
            };
            Ok((B::Cmp(op, bx(l), bx(r)), Ty::Bool))
        }
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
            let sym = op.symbol();
            match (lt, rt) {
                (Ty::Unknown, Ty::Unknown) => Err(err(
                    "42725",
                    format!("operator is not unique: unknown {sym} unknown"),
                )),
                (Ty::Unknown, t) if t.is_int() => {
                    Ok((B::Arith(op, bx(coerce(l, lt, t)?), bx(r), t), t))
                }
                (t, Ty::Unknown) if t.is_int() => {
                    Ok((B::Arith(op, bx(l), bx(coerce(r, rt, t)?), t), t))
                }
                (a, b) if a.is_int() && b.is_int() => {
                    let t = wider(a, b);
                    Ok((B::Arith(op, bx(l), bx(r), t), t))
                }
                _ => Err(no_operator(lt, sym, rt)),
            }
        }
        BinOp::Concat => {
            let stringy = |t: Ty| t.is_str() || t == Ty::Unknown;
            if !stringy(lt) && !stringy(rt) {
                return Err(no_operator(lt, "||", rt));
            }
            Ok((B::Concat(bx(l), bx(r)), Ty::Text))
        }
    }
}

/// Assignment to a column (INSERT values, UPDATE SET), with PostgreSQL's assignment casts.
fn assign(b: B, ty: Ty, col: &Column) -> Result<B, SqlError> {
    let to = Ty::of(col.ty);
    match (ty, to) {
        (Ty::Unknown, _) => match b {
            B::Const(Value::Text(s)) => Ok(B::Const(cast_value(Value::Text(s), col.ty, false)?)),
            other => Ok(other),
        },
        (a, b_) if a.is_int() && b_.is_int() => Ok(b),
        (a, b_) if a.is_str() && b_.is_str() => Ok(b),
        (Ty::Bool, Ty::Bool) => Ok(b),
        (Ty::Int2 | Ty::Int4 | Ty::Int8 | Ty::Bool, t) if t.is_str() => {
            Ok(B::Cast(bx(b), col.ty, false))
        }
        _ => Err(err(
            "42804",
            format!(
                "column \"{}\" is of type {} but expression is of type {}",
                col.name,
                col.ty.pg_name(),
                ty.name()
            ),
        )),
    }
}

fn int_range(n: i128, t: SqlType) -> Result<i64, SqlError> {
    let (lo, hi, msg) = match t {
        SqlType::Int2 => (
            i128::from(i16::MIN),
            i128::from(i16::MAX),
            "smallint out of range",
        ),
        SqlType::Int4 => (
            i128::from(i32::MIN),
            i128::from(i32::MAX),
            "integer out of range",
        ),
        _ => (
            i128::from(i64::MIN),
            i128::from(i64::MAX),
            "bigint out of range",
        ),
    };
    if n < lo || n > hi {
        return Err(err("22003", msg));
    }
    i64::try_from(n).map_err(|_| err("22003", msg))
}

/// The final check when a value goes into a column: integer range, varchar length.
fn store(v: Value, col: &Column) -> Result<Value, SqlError> {
    match (&v, col.ty) {
        (Value::Int(i), t @ (SqlType::Int2 | SqlType::Int4 | SqlType::Int8)) => {
            Ok(Value::Int(int_range(i128::from(*i), t)?))
        }
        (Value::Text(s), SqlType::Varchar(Some(n))) => {
            if s.chars().count() > n as usize {
                Err(err(
                    "22001",
                    format!("value too long for type character varying({n})"),
                ))
            } else {
                Ok(v)
            }
        }
        _ => Ok(v),
    }
}

fn parse_int(s: &str, t: SqlType) -> Result<i64, SqlError> {
    let name = t.pg_name();
    let trimmed = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let digits = trimmed
        .strip_prefix('-')
        .or_else(|| trimmed.strip_prefix('+'))
        .unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(
            "22P02",
            format!("invalid input syntax for type {name}: \"{s}\""),
        ));
    }
    let out_of_range = || {
        err(
            "22003",
            format!("value \"{s}\" is out of range for type {name}"),
        )
    };
    let n: i128 = trimmed
        .trim_start_matches('+')
        .parse()
        .map_err(|_| out_of_range())?;
    int_range(n, t).map_err(|_| out_of_range())
}

fn parse_bool(s: &str) -> Result<bool, SqlError> {
    let t = s
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| t.len() >= min && word.starts_with(t.as_str());
    if prefix_of("true", 1) || prefix_of("yes", 1) || t == "on" || t == "1" {
        Ok(true)
    } else if prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || t == "0" {
        Ok(false)
    } else {
        Err(err(
            "22P02",
            format!("invalid input syntax for type boolean: \"{s}\""),
        ))
    }
}

/// Casts a value to `to`; `explicit` casts truncate varchar(n) instead of failing.
fn cast_value(v: Value, to: SqlType, explicit: bool) -> Result<Value, SqlError> {
    Ok(match (v, to) {
        (Value::Null, _) => Value::Null,
        (Value::Int(i), t @ (SqlType::Int2 | SqlType::Int4 | SqlType::Int8)) => {
            Value::Int(int_range(i128::from(i), t)?)
        }
        (Value::Text(s), t @ (SqlType::Int2 | SqlType::Int4 | SqlType::Int8)) => {
            Value::Int(parse_int(&s, t)?)
        }
        (Value::Bool(b), SqlType::Int2 | SqlType::Int4 | SqlType::Int8) => Value::Int(i64::from(b)),
        (Value::Bool(b), SqlType::Bool) => Value::Bool(b),
        (Value::Int(i), SqlType::Bool) => Value::Bool(i != 0),
        (Value::Text(s), SqlType::Bool) => Value::Bool(parse_bool(&s)?),
        (v, SqlType::Text) => Value::Text(text_of(&v)),
        (v, SqlType::Varchar(limit)) => {
            let s = text_of(&v);
            match limit {
                Some(n) if explicit && s.chars().count() > n as usize => {
                    Value::Text(s.chars().take(n as usize).collect())
                }
                _ => Value::Text(s),
            }
        }
    })
}

/// Text conversion as the `::text` cast does it (booleans become "true"/"false").
fn text_of(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        other => pg_text(other),
    }
}

fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn compare_sort(a: &Value, b: &Value, desc: bool, nulls_first: bool) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => {
            if nulls_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (false, true) => {
            if nulls_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (false, false) => {
            let o = compare(a, b).unwrap_or(Ordering::Equal);
            if desc {
                o.reverse()
            } else {
                o
            }
        }
    }
}

fn internal(what: &str) -> SqlError {
    err("XX000", format!("simulator internal error: {what}"))
}

fn eval(b: &B, row: &[Value]) -> Result<Value, SqlError> {
    Ok(match b {
        B::Const(v) => v.clone(),
        B::Col(i) => row
            .get(*i)
            .cloned()
            .ok_or_else(|| internal("column index"))?,
        B::Neg(x, ty) => match eval(x, row)? {
            Value::Null => Value::Null,
            Value::Int(i) => Value::Int(int_range(-i128::from(i), ty.sql())?),
            _ => return Err(internal("negation of a non-integer")),
        },
        B::Arith(op, l, r, ty) => {
            let (l, r) = (eval(l, row)?, eval(r, row)?);
            let (x, y) = match (l, r) {
                (Value::Int(x), Value::Int(y)) => (i128::from(x), i128::from(y)),
                (Value::Null, _) | (_, Value::Null) => return Ok(Value::Null),
                _ => return Err(internal("arithmetic on non-integers")),
            };
            let n = match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div | BinOp::Mod if y == 0 => return Err(err("22012", "division by zero")),
                BinOp::Div => x / y,
                BinOp::Mod => x % y,
                _ => return Err(internal("arithmetic operator")),
            };
            Value::Int(int_range(n, ty.sql())?)
        }
        B::Concat(l, r) => match (eval(l, row)?, eval(r, row)?) {
            (Value::Null, _) | (_, Value::Null) => Value::Null,
            (a, b) => Value::Text(format!("{}{}", text_of(&a), text_of(&b))),
        },
        B::Cmp(op, l, r) => {
            let (l, r) = (eval(l, row)?, eval(r, row)?);
            if l.is_null() || r.is_null() {
                return Ok(Value::Null);
            }
            let o = compare(&l, &r).ok_or_else(|| internal("comparison of different types"))?;
            use std::cmp::Ordering::*;
            Value::Bool(match op {
                BinOp::Eq => o == Equal,
                BinOp::NotEq => o != Equal,
                BinOp::Lt => o == Less,
                BinOp::LtEq => o != Greater,
                BinOp::Gt => o == Greater,
                BinOp::GtEq => o != Less,
                _ => return Err(internal("comparison operator")),
            })
        }
        B::And(l, r) => match eval(l, row)? {
            Value::Bool(false) => Value::Bool(false),
            lv => match (lv, eval(r, row)?) {
                (_, Value::Bool(false)) => Value::Bool(false),
                (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
                _ => Value::Null,
            },
        },
        B::Or(l, r) => match eval(l, row)? {
            Value::Bool(true) => Value::Bool(true),
            lv => match (lv, eval(r, row)?) {
                (_, Value::Bool(true)) => Value::Bool(true),
                (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
                _ => Value::Null,
            },
        },
        B::Not(x) => match eval(x, row)? {
            Value::Bool(v) => Value::Bool(!v),
            _ => Value::Null,
        },
        B::IsNull(x, negated) => Value::Bool(eval(x, row)?.is_null() != *negated),
        B::Cast(x, to, explicit) => cast_value(eval(x, row)?, *to, *explicit)?,
    })
}
