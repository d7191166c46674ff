//! A Cassandra-like store (seed 004): tables keyed by a partition key, single-partition
//! lightweight transactions (`INSERT … IF NOT EXISTS`, `UPDATE … IF col = value`, `… IF EXISTS`)
//! answering `[applied]` and the current values, reads by key — and no transaction across
//! partitions of any kind (BATCH is refused).
//!
//! Lines start with `cql`: `applied, status = cql UPDATE ops SET status = 'PROCESSING' WHERE id =
//! :op IF status = 'PENDING'`. INSERT and UPDATE without a condition are upserts, as in
//! Cassandra. `:name` is a script variable. Errors carry the code `INVALID_REQUEST`.

pub mod cql;
pub mod view;

use crate::service::api::{
    wrong_service, Call, CheckError, ConnId, CqlReply, Done, Exec, LineError, Mode, Reply, Request,
    Resource, Service, ServiceId, ServiceView, SetupError, Touch,
};
use crate::value::Value;
use cql::{ColType, Cond, Cql, Term};
use std::collections::BTreeMap;
use view::{CqlTableView, CqlView};

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Table {
    pub columns: Vec<(String, ColType)>,
    pub key: String,
    /// Partition key value → the row's columns.
    pub rows: BTreeMap<Value, BTreeMap<String, Value>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Cassandra {
    pub tables: BTreeMap<String, Table>,
}

pub fn parse(text: &str) -> Result<Call, LineError> {
    let (stmt, params) = cql::parse(text).map_err(|message| LineError { col: 0, message })?;
    if matches!(stmt, Cql::CreateTable { .. }) {
        return Err(LineError {
            col: 0,
            message: "CREATE TABLE goes in `cassandra_setup`".into(),
        });
    }
    Ok(Call {
        request: Request::Cql(stmt),
        params,
        no_values: None,
    })
}

fn invalid(message: String) -> CqlReply {
    CqlReply::Error {
        code: "INVALID_REQUEST".into(),
        message,
    }
}

impl Cassandra {
    /// Runs `cassandra_setup`: CQL statements, one per line.
    pub fn from_setup(text: &str) -> Result<Cassandra, SetupError> {
        let mut c = Cassandra::default();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim().trim_end_matches(';');
            if t.is_empty() || t.starts_with("--") {
                continue;
            }
            let fail = |message: String| SetupError {
                line: i + 1,
                col: 1,
                message,
            };
            let (stmt, params) = cql::parse(t).map_err(fail)?;
            if !params.is_empty() {
                return Err(fail("a setup line cannot use script variables".into()));
            }
            if let CqlReply::Error { message, .. } = c.exec(&stmt, &[]) {
                return Err(fail(message));
            }
        }
        Ok(c)
    }

    fn table(&self, name: &str) -> Result<&Table, CqlReply> {
        self.tables
            .get(name)
            .ok_or_else(|| invalid(format!("unconfigured table {name}")))
    }

    /// A term's value, type-checked against its column.
    fn value(&self, table: &str, col: &str, t: &Term, params: &[Value]) -> Result<Value, CqlReply> {
        let v = match t {
            Term::Lit(v) => v.clone(),
            Term::Param(i) => params.get(*i).cloned().unwrap_or(Value::Null),
        };
        let tb = self.table(table)?;
        let Some((_, ty)) = tb.columns.iter().find(|(c, _)| c == col) else {
            return Err(invalid(format!(
                "Undefined column name {col} in table {table}"
            )));
        };
        let fits = matches!(
            (ty, &v),
            (_, Value::Null)
                | (ColType::Int, Value::Int(_))
                | (ColType::Text, Value::Text(_))
                | (ColType::Boolean, Value::Bool(_))
        );
        if !fits {
            return Err(invalid(format!(
                "Invalid {} constant ({v}) for \"{col}\" of type {ty:?}",
                v.type_name()
            )));
        }
        Ok(v)
    }

    fn key_of(
        &self,
        table: &str,
        key: &(String, Term),
        params: &[Value],
    ) -> Result<Value, CqlReply> {
        let tb = self.table(table)?;
        if key.0 != tb.key {
            return Err(invalid(format!(
                "WHERE must name the partition key {} of {table} (one partition per statement)",
                tb.key
            )));
        }
        self.value(table, &key.0, &key.1, params)
    }

    pub fn exec(&mut self, stmt: &Cql, params: &[Value]) -> CqlReply {
        match self.try_exec(stmt, params) {
            Ok(r) | Err(r) => r,
        }
    }

    fn try_exec(&mut self, stmt: &Cql, params: &[Value]) -> Result<CqlReply, CqlReply> {
        match stmt {
            Cql::CreateTable { name, columns, key } => {
                self.tables.insert(
                    name.clone(),
                    Table {
                        columns: columns.clone(),
                        key: key.clone(),
                        rows: BTreeMap::new(),
                    },
                );
                Ok(CqlReply::Done)
            }
            Cql::Insert {
                table,
                columns,
                values,
                cond,
            } => {
                let tb = self.table(table)?;
                let key_col = tb.key.clone();
                let mut row = BTreeMap::new();
                for (c, t) in columns.iter().zip(values) {
                    row.insert(c.clone(), self.value(table, c, t, params)?);
                }
                let key = row.get(&key_col).cloned().ok_or_else(|| {
                    invalid(format!("Some partition key parts are missing: {key_col}"))
                })?;
                self.write(table, key, row, cond)
            }
            Cql::Update {
                table,
                sets,
                key,
                cond,
            } => {
                let k = self.key_of(table, key, params)?;
                let mut row = BTreeMap::new();
                for (c, t) in sets {
                    row.insert(c.clone(), self.value(table, c, t, params)?);
                }
                let cond = self.resolve(table, cond, params)?;
                self.write(table, k, row, &cond)
            }
            Cql::Delete { table, key, cond } => {
                let k = self.key_of(table, key, params)?;
                let rows = &mut self
                    .tables
                    .get_mut(table)
                    .ok_or_else(|| invalid(format!("unconfigured table {table}")))?
                    .rows;
                let existed = rows.remove(&k).is_some();
                Ok(match cond {
                    Cond::Exists => CqlReply::Applied {
                        applied: existed,
                        row: Vec::new(),
                    },
                    _ => CqlReply::Done,
                })
            }
            Cql::Select {
                table,
                columns,
                key,
            } => self.select(table, columns.as_deref(), key, params),
        }
    }

    fn select(
        &self,
        table: &str,
        columns: Option<&[String]>,
        key: &(String, Term),
        params: &[Value],
    ) -> Result<CqlReply, CqlReply> {
        let k = self.key_of(table, key, params)?;
        let tb = self.table(table)?;
        let names: Vec<String> = match columns {
            Some(c) => c.to_vec(),
            None => tb.columns.iter().map(|(c, _)| c.clone()).collect(),
        };
        for n in &names {
            if !tb.columns.iter().any(|(c, _)| c == n) {
                return Err(invalid(format!(
                    "Undefined column name {n} in table {table}"
                )));
            }
        }
        Ok(CqlReply::Row(tb.rows.get(&k).map(|r| {
            names
                .iter()
                .map(|n| (n.clone(), r.get(n).cloned().unwrap_or(Value::Null)))
                .collect()
        })))
    }

    /// An `IF col = value` condition with its values filled in.
    fn resolve(&self, table: &str, cond: &Cond, params: &[Value]) -> Result<Cond, CqlReply> {
        match cond {
            Cond::Equals(eqs) => Ok(Cond::Equals(
                eqs.iter()
                    .map(|(c, t)| Ok((c.clone(), Term::Lit(self.value(table, c, t, params)?))))
                    .collect::<Result<_, CqlReply>>()?,
            )),
            other => Ok(other.clone()),
        }
    }

    /// Writes `cols` into the row `key` under the lightweight-transaction condition.
    fn write(
        &mut self,
        table: &str,
        key: Value,
        cols: BTreeMap<String, Value>,
        cond: &Cond,
    ) -> Result<CqlReply, CqlReply> {
        let tb = self
            .tables
            .get_mut(table)
            .ok_or_else(|| invalid(format!("unconfigured table {table}")))?;
        let current = tb.rows.get(&key);
        let applied = match (cond, current) {
            (Cond::None, _) => None,
            (Cond::NotExists, None) | (Cond::Exists, Some(_)) => Some(true),
            (Cond::NotExists | Cond::Exists, _) => Some(false),
            (Cond::Equals(_), None) => Some(false),
            (Cond::Equals(eqs), Some(row)) => Some(eqs.iter().all(
                |(c, t)| matches!(t, Term::Lit(v) if row.get(c).unwrap_or(&Value::Null) == v),
            )),
        };
        if applied == Some(false) {
            // Cassandra answers with the values it compared: the whole row for IF NOT EXISTS,
            // the condition's columns otherwise.
            let row = match (cond, current) {
                (_, None) => Vec::new(),
                (Cond::Equals(eqs), Some(r)) => eqs
                    .iter()
                    .map(|(c, _)| (c.clone(), r.get(c).cloned().unwrap_or(Value::Null)))
                    .collect(),
                (_, Some(r)) => r.iter().map(|(c, v)| (c.clone(), v.clone())).collect(),
            };
            return Ok(CqlReply::Applied {
                applied: false,
                row,
            });
        }
        let key_col = tb.key.clone();
        // INSERT and UPDATE both upsert: the row is created if it is not there.
        let row = tb.rows.entry(key.clone()).or_default();
        row.insert(key_col, key);
        row.extend(cols);
        Ok(match applied {
            Some(true) => CqlReply::Applied {
                applied: true,
                row: Vec::new(),
            },
            _ => CqlReply::Done,
        })
    }
}

fn render_key(v: &Value) -> String {
    v.plain()
}

impl Service for Cassandra {
    fn call(
        &mut self,
        id: ServiceId,
        _: ConnId,
        request: &Request,
        params: &[Value],
        _: u64,
    ) -> Exec {
        let Request::Cql(stmt) = request else {
            return Exec::Done(Done {
                reply: wrong_service("Cassandra"),
                touches: Vec::new(),
                woken: Vec::new(),
            });
        };
        let (table, key, mode) = match stmt {
            Cql::Insert {
                table,
                columns,
                values,
                ..
            } => {
                let k = self
                    .table(table)
                    .ok()
                    .and_then(|tb| columns.iter().position(|c| *c == tb.key))
                    .map(|i| &values[i]);
                (table, k, Mode::Write)
            }
            Cql::Update { table, key, .. } | Cql::Delete { table, key, .. } => {
                (table, Some(&key.1), Mode::Write)
            }
            Cql::Select { table, key, .. } => (table, Some(&key.1), Mode::Read),
            Cql::CreateTable { name, .. } => (name, None, Mode::Write),
        };
        let key = key.map(|t| match t {
            Term::Lit(v) => render_key(v),
            Term::Param(i) => params.get(*i).map(render_key).unwrap_or_default(),
        });
        let touch = Touch {
            service: id,
            resource: match key {
                Some(key) => Resource::Item {
                    space: format!("cassandra {table}"),
                    key,
                },
                None => Resource::Space(format!("cassandra {table}")),
            },
            mode,
        };
        Exec::Done(Done {
            reply: Reply::Cql(self.exec(stmt, params)),
            touches: vec![touch],
            woken: Vec::new(),
        })
    }

    fn disconnect(&mut self, _: ServiceId, _: ConnId, _: u64) -> Done {
        Done {
            reply: Reply::Cql(CqlReply::Done),
            touches: Vec::new(),
            woken: Vec::new(),
        }
    }

    /// Tables and columns must exist, and literals fit their columns.
    fn check(&self, request: &Request) -> Result<(), CheckError> {
        let Request::Cql(stmt) = request else {
            return Ok(());
        };
        let mut probe = self.clone();
        match probe.try_exec(stmt, &[]) {
            Err(CqlReply::Error { message, .. }) => Err(CheckError {
                position: None,
                message: format!("INVALID_REQUEST: {message}"),
            }),
            _ => Ok(()),
        }
    }

    fn query(&self, request: &Request) -> Reply {
        match request {
            Request::Cql(stmt @ Cql::Select { .. }) => Reply::Cql(self.clone().exec(stmt, &[])),
            _ => Reply::ConnectionError("an assertion only reads (SELECT)".into()),
        }
    }

    fn view(&self, _: &dyn Fn(ConnId) -> String, _: u64) -> ServiceView {
        ServiceView::Cql(CqlView {
            tables: self
                .tables
                .iter()
                .map(|(name, t)| CqlTableView {
                    name: name.clone(),
                    columns: t.columns.iter().map(|(c, _)| c.clone()).collect(),
                    rows: t
                        .rows
                        .values()
                        .map(|r| {
                            t.columns
                                .iter()
                                .map(|(c, _)| r.get(c).map(Value::plain).unwrap_or_default())
                                .collect()
                        })
                        .collect(),
                })
                .collect(),
        })
    }
}
