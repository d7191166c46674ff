//! Run-time settings: `SET name = value` and `SHOW name` for the settings the simulator models
//! (the transaction's isolation level and access mode, the default level, and the timeouts).
//! A SET inside a transaction block is undone when the block rolls back, as PostgreSQL does.

use super::api::{tag_only, QueryResult, SessionId};
use super::error::SqlError;
use super::prepare::{show_millis, Isolation, Setting, SettingValue, TxModes};
use super::state::{Db, Settings, Tx};
use crate::value::Value;

impl Db {
    pub(super) fn set(
        &mut self,
        s: SessionId,
        name: Setting,
        value: SettingValue,
        local: bool,
    ) -> Result<QueryResult, SqlError> {
        if local && self.sessions[s].tx == Tx::None {
            let mut r = tag_only("SET");
            r.notices.push(SqlError::warning(
                "25P01",
                "SET LOCAL can only be used in transaction blocks",
            ));
            return Ok(r);
        }
        let defaults = Settings::default();
        let modes = match (name, value) {
            (Setting::TransactionIsolation, v) => TxModes {
                isolation: Some(match v {
                    SettingValue::Isolation(level) => level,
                    _ => self.sessions[s].settings.default_isolation,
                }),
                read_only: None,
            },
            (Setting::TransactionReadOnly, v) => TxModes {
                isolation: None,
                read_only: Some(v == SettingValue::Bool(true)),
            },
            (Setting::DefaultTransactionIsolation, v) => {
                let level = match v {
                    SettingValue::Isolation(level) => level,
                    _ => Isolation::ReadCommitted,
                };
                self.change_settings(s, local, |x| x.default_isolation = level);
                return Ok(tag_only("SET"));
            }
            (duration, v) => {
                let ms = match v {
                    SettingValue::Millis(ms) => ms,
                    _ => match duration {
                        Setting::DeadlockTimeout => defaults.deadlock_timeout,
                        _ => 0,
                    },
                };
                self.change_settings(s, local, |x| match duration {
                    Setting::DeadlockTimeout => x.deadlock_timeout = ms.max(1),
                    Setting::LockTimeout => x.lock_timeout = ms,
                    Setting::IdleInTransactionSessionTimeout => x.idle_in_transaction_timeout = ms,
                    Setting::IdleSessionTimeout => x.idle_session_timeout = ms,
                    _ => x.statement_timeout = ms,
                });
                return Ok(tag_only("SET"));
            }
        };
        if self.sessions[s].tx != Tx::None {
            self.set_modes(s, modes)?;
        }
        Ok(tag_only("SET"))
    }

    /// Sets a session's `default_transaction_isolation`, as `SET SESSION CHARACTERISTICS AS
    /// TRANSACTION ISOLATION LEVEL …` would (a lesson's client isolation level).
    pub fn set_default_isolation(&mut self, s: SessionId, level: Isolation) {
        if s < self.sessions.len() {
            self.change_settings(s, false, |x| x.default_isolation = level);
        }
    }

    /// The isolation level `s`'s open transaction runs at (outside a block: the next one's).
    pub fn isolation_of(&self, s: SessionId) -> Option<Isolation> {
        self.sessions.get(s).map(|x| x.isolation)
    }

    /// Changes the session's settings; inside a block, the old ones come back if it rolls
    /// back, and a `local` change also when it commits. A new default level is also the next
    /// statement's level outside a block.
    pub(super) fn change_settings(
        &mut self,
        s: SessionId,
        local: bool,
        change: impl Fn(&mut Settings),
    ) {
        let x = &mut self.sessions[s];
        if x.tx != Tx::None && x.saved.is_none() {
            x.saved = Some(x.settings);
        }
        if local {
            // SET LOCAL: what a commit keeps stays as it was.
            x.local.get_or_insert(x.settings);
        } else if let Some(kept) = x.local.as_mut() {
            change(kept);
        }
        change(&mut x.settings);
        if x.tx == Tx::None {
            x.isolation = x.settings.default_isolation;
        }
    }

    pub(super) fn show(&self, s: SessionId, name: Setting) -> QueryResult {
        let x = &self.sessions[s];
        let value = match name {
            Setting::TransactionIsolation => x.isolation.name().to_string(),
            Setting::DefaultTransactionIsolation => x.settings.default_isolation.name().to_string(),
            Setting::TransactionReadOnly => if x.read_only { "on" } else { "off" }.to_string(),
            Setting::DeadlockTimeout => show_millis(x.settings.deadlock_timeout),
            Setting::LockTimeout => show_millis(x.settings.lock_timeout),
            Setting::StatementTimeout => show_millis(x.settings.statement_timeout),
            Setting::IdleInTransactionSessionTimeout => {
                show_millis(x.settings.idle_in_transaction_timeout)
            }
            Setting::IdleSessionTimeout => show_millis(x.settings.idle_session_timeout),
        };
        QueryResult {
            tag: "SHOW".to_string(),
            columns: vec![name.name().to_string()],
            rows: vec![vec![Value::Text(value)]],
            notices: Vec::new(),
        }
    }
}
