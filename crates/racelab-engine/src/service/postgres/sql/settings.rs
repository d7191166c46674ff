//! Run-time settings: `SET name = value` and `SHOW name` for the settings the simulator models
//! (the transaction's isolation level and access mode, and the default level). A SET inside a
//! transaction block is undone when the block rolls back, as PostgreSQL does.

use super::api::{tag_only, QueryResult, SessionId};
use super::error::SqlError;
use super::prepare::{Isolation, Setting, SettingValue, TxModes};
use super::state::{Db, Tx};
use crate::value::Value;

impl Db {
    pub(super) fn set(
        &mut self,
        s: SessionId,
        name: Setting,
        value: SettingValue,
    ) -> Result<QueryResult, SqlError> {
        let session = &self.sessions[s];
        let modes = match (name, value) {
            (Setting::TransactionIsolation, SettingValue::Isolation(level)) => TxModes {
                isolation: Some(level),
                read_only: None,
            },
            (Setting::TransactionIsolation, _) => TxModes {
                isolation: Some(session.default_isolation),
                read_only: None,
            },
            (Setting::TransactionReadOnly, SettingValue::Bool(b)) => TxModes {
                isolation: None,
                read_only: Some(b),
            },
            (Setting::TransactionReadOnly, _) => TxModes {
                isolation: None,
                read_only: Some(false),
            },
            (Setting::DefaultTransactionIsolation, v) => {
                let level = match v {
                    SettingValue::Isolation(level) => level,
                    _ => Isolation::ReadCommitted,
                };
                self.set_default_isolation(s, level);
                return Ok(tag_only("SET"));
            }
        };
        if self.sessions[s].tx != Tx::None {
            self.set_modes(s, modes)?;
        }
        Ok(tag_only("SET"))
    }

    /// `default_transaction_isolation`: the level of the transactions to come (and of the next
    /// statement outside a block). Inside a block, the old value comes back if it rolls back.
    pub(super) fn set_default_isolation(&mut self, s: SessionId, level: Isolation) {
        let x = &mut self.sessions[s];
        if x.tx != Tx::None && x.saved_default.is_none() {
            x.saved_default = Some(x.default_isolation);
        }
        x.default_isolation = level;
        if x.tx == Tx::None {
            x.isolation = level;
        }
    }

    pub(super) fn show(&self, s: SessionId, name: Setting) -> QueryResult {
        let x = &self.sessions[s];
        let value = match name {
            Setting::TransactionIsolation => x.isolation.name(),
            Setting::DefaultTransactionIsolation => x.default_isolation.name(),
            Setting::TransactionReadOnly => {
                if x.read_only {
                    "on"
                } else {
                    "off"
                }
            }
        };
        QueryResult {
            tag: "SHOW".to_string(),
            columns: vec![name.name().to_string()],
            rows: vec![vec![Value::Text(value.to_string())]],
            notices: Vec::new(),
        }
    }
}
