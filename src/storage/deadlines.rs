//! The append-only log of a campaign's deadline changes (the database
//! refuses UPDATE and DELETE). The deadline itself is the profile's yearly
//! rule for the campaign's year; only what an administrator changed is here.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{deadline_changes as dc, units, users};
use super::{DbConn, StorageError};

pub struct NewChange<'a> {
    pub campaign_id: i64,
    pub code: &'a str,
    /// None: every unit.
    pub unit_id: Option<i64>,
    pub due: NaiveDate,
    pub reason: &'a str,
    pub changed_by: i64,
    pub changed_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
pub struct ChangeRow {
    pub id: i64,
    pub code: String,
    pub unit_id: Option<i64>,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    pub due: NaiveDate,
    pub reason: String,
    pub changed_by: String,
    pub changed_at: NaiveDateTime,
}

pub fn append(conn: &mut DbConn, c: &NewChange<'_>) -> Result<(), StorageError> {
    diesel::insert_into(dc::table)
        .values((
            dc::campaign_id.eq(c.campaign_id),
            dc::code.eq(c.code),
            dc::unit_id.eq(c.unit_id),
            dc::due.eq(c.due),
            dc::reason.eq(c.reason),
            dc::changed_by.eq(c.changed_by),
            dc::changed_at.eq(c.changed_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every change of a campaign's deadlines, oldest first, with who made it
/// and the unit it extends (if one).
pub fn of_campaign(conn: &mut DbConn, campaign_id: i64) -> Result<Vec<ChangeRow>, StorageError> {
    Ok(dc::table
        .inner_join(users::table.on(users::id.eq(dc::changed_by)))
        .left_join(units::table.on(dc::unit_id.eq(units::id.nullable())))
        .filter(dc::campaign_id.eq(campaign_id))
        .order(dc::id)
        .select((
            dc::id,
            dc::code,
            dc::unit_id,
            units::code.nullable(),
            units::name.nullable(),
            dc::due,
            dc::reason,
            users::username,
            dc::changed_at,
        ))
        .load(conn)?)
}
