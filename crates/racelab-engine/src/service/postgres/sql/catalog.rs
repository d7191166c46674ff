//! The catalog: tables and their columns, CREATE TABLE (validation and creation), and how row
//! keys are rendered (in the UI, in touches, in lock-wait messages).

use std::collections::{BTreeMap, BTreeSet};

use super::api::{tag_only, QueryResult, Touch};
use super::error::{err, SqlError};
use super::prepare::CreateTable;
use super::state::{Column, Db, Table};
use super::types::pg_text;
use crate::value::Value;

impl Db {
    pub(super) fn table_index(&self, name: &str) -> Result<usize, SqlError> {
        self.tables
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| err("42P01", format!("relation \"{name}\" does not exist")))
    }

    /// Validates a CREATE TABLE; `Ok(None)` = IF NOT EXISTS and the table exists.
    pub(super) fn plan_create(&self, ct: &CreateTable) -> Result<Option<Table>, SqlError> {
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

    pub(super) fn create_table(
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
}

impl Table {
    pub(super) fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub(super) fn check_not_null(&self, row: &[Value]) -> Result<(), SqlError> {
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
    pub(super) fn key_string(&self, key: &[Value]) -> String {
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
    pub(super) fn blocked_key_string(&self, key: &[Value]) -> String {
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
