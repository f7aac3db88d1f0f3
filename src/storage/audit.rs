//! The append-only audit log of dossiers. This module only inserts and
//! reads; the database refuses UPDATE and DELETE on the table (triggers).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{audit_log, users};
use super::{DbConn, StorageError};

pub struct AuditEntry<'a> {
    pub dossier_id: i64,
    pub criterion: Option<&'a str>,
    pub actor_id: i64,
    pub at: NaiveDateTime,
    pub action: &'a str,
    pub old_value: Option<&'a str>,
    pub new_value: Option<&'a str>,
    pub reason: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub criterion: Option<String>,
    pub actor: String,
    pub at: NaiveDateTime,
    pub action: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
}

pub fn append(conn: &mut DbConn, e: &AuditEntry<'_>) -> Result<(), StorageError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::dossier_id.eq(e.dossier_id),
            audit_log::criterion.eq(e.criterion),
            audit_log::actor_id.eq(e.actor_id),
            audit_log::at.eq(e.at),
            audit_log::action.eq(e.action),
            audit_log::old_value.eq(e.old_value),
            audit_log::new_value.eq(e.new_value),
            audit_log::reason.eq(e.reason),
        ))
        .execute(conn)?;
    Ok(())
}

/// A dossier's history, oldest first, with who acted.
pub fn of_dossier(conn: &mut DbConn, dossier_id: i64) -> Result<Vec<AuditRow>, StorageError> {
    Ok(audit_log::table
        .inner_join(users::table.on(users::id.eq(audit_log::actor_id)))
        .filter(audit_log::dossier_id.eq(dossier_id))
        .order(audit_log::id)
        .select((
            audit_log::id,
            audit_log::criterion,
            users::username,
            audit_log::at,
            audit_log::action,
            audit_log::old_value,
            audit_log::new_value,
            audit_log::reason,
        ))
        .load(conn)?)
}
