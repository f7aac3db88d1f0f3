//! The append-only log of the council's decisions (the database refuses
//! UPDATE and DELETE). The latest row for a unit and case is in force.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{council_decisions as cd, users};
use super::{DbConn, StorageError};

pub struct NewDecision<'a> {
    pub campaign_id: i64,
    pub unit_id: i64,
    pub case_code: &'a str,
    pub decision: &'a str,
    pub reason: &'a str,
    pub decided_by: i64,
    pub decided_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
pub struct DecisionRow {
    pub id: i64,
    pub unit_id: i64,
    pub case_code: String,
    pub decision: String,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: NaiveDateTime,
}

pub fn append(conn: &mut DbConn, d: &NewDecision<'_>) -> Result<(), StorageError> {
    diesel::insert_into(cd::table)
        .values((
            cd::campaign_id.eq(d.campaign_id),
            cd::unit_id.eq(d.unit_id),
            cd::case_code.eq(d.case_code),
            cd::decision.eq(d.decision),
            cd::reason.eq(d.reason),
            cd::decided_by.eq(d.decided_by),
            cd::decided_at.eq(d.decided_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every decision of a campaign, oldest first, with who recorded it.
pub fn of_campaign(conn: &mut DbConn, campaign_id: i64) -> Result<Vec<DecisionRow>, StorageError> {
    Ok(cd::table
        .inner_join(users::table.on(users::id.eq(cd::decided_by)))
        .filter(cd::campaign_id.eq(campaign_id))
        .order(cd::id)
        .select((
            cd::id,
            cd::unit_id,
            cd::case_code,
            cd::decision,
            cd::reason,
            users::username,
            cd::decided_at,
        ))
        .load(conn)?)
}
