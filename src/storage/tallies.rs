//! The survey's running sums: one row per campaign, rated unit, respondent
//! group and stratum, updated with each response in its own transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::survey_tallies as st;
use super::{DbConn, StorageError};
use crate::domain::survey::{RespondentScores, Tally};
use crate::per_backend;

/// The stratum of answers outside the draw (open and hand-issued links).
pub const OUTSIDE_DRAW: &str = "";

/// One response's contribution to one tally.
#[derive(Debug, Clone)]
pub struct Update {
    pub rated_unit_id: i64,
    pub group: &'static str,
    pub stratum: String,
    pub criteria: Vec<String>,
    pub scores: RespondentScores,
}

fn corrupt(e: impl std::fmt::Display) -> StorageError {
    StorageError::Query(diesel::result::Error::DeserializationError(
        format!("bảng tổng hợp điểm khảo sát hỏng: {e}").into(),
    ))
}

/// Adds responses to their tallies inside the caller's transaction. Rows are
/// taken in key order, so two submissions touching the same rows cannot
/// deadlock on PostgreSQL; each row is locked before it is read.
pub fn apply(
    conn: &mut DbConn,
    campaign_id: i64,
    updates: &mut [Update],
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    updates.sort_by(|a, b| {
        (a.rated_unit_id, a.group, &a.stratum).cmp(&(b.rated_unit_id, b.group, &b.stratum))
    });
    for u in updates.iter() {
        let key = || {
            st::campaign_id
                .eq(campaign_id)
                .and(st::rated_unit_id.eq(u.rated_unit_id))
                .and(st::respondent_group.eq(u.group))
                .and(st::stratum.eq(u.stratum.as_str()))
        };
        // PostgreSQL locks the row so two submissions add to it in turn;
        // SQLite already holds its one write lock for this transaction.
        let stored: Option<String> = match conn {
            super::DbConn::Pg(c) => st::table
                .filter(key())
                .select(st::tally)
                .for_update()
                .first(c)
                .optional()?,
            super::DbConn::Sqlite(c) => st::table
                .filter(key())
                .select(st::tally)
                .first(c)
                .optional()?,
        };
        let mut tally = match stored {
            Some(json) => serde_json::from_str::<Tally>(&json).map_err(corrupt)?,
            None => Tally::new(u.criteria.clone()),
        };
        tally.add(&u.scores).map_err(corrupt)?;
        let json = serde_json::to_string(&tally).map_err(corrupt)?;
        let values = (
            st::campaign_id.eq(campaign_id),
            st::rated_unit_id.eq(u.rated_unit_id),
            st::respondent_group.eq(u.group),
            st::stratum.eq(&u.stratum),
            st::tally.eq(&json),
            st::updated_at.eq(now),
            st::revision.eq(1i64),
        );
        per_backend!(conn => diesel::insert_into(st::table)
            .values(values)
            .on_conflict((st::campaign_id, st::rated_unit_id, st::respondent_group, st::stratum))
            .do_update()
            .set((
                st::tally.eq(&json),
                st::updated_at.eq(now),
                st::revision.eq(st::revision + 1i64),
            ))
            .execute(conn))?;
    }
    Ok(())
}

/// What changes whenever a campaign's tallies change: their number and the
/// sum of their revisions. Each change raises one revision and a
/// replacement starts every row above the old sum, so the sum only grows
/// (responses are never deleted, so a replacement never leaves no rows
/// where there were some) and a fingerprint never comes back.
pub fn fingerprint(conn: &mut DbConn, campaign_id: i64) -> Result<(i64, i64), StorageError> {
    use diesel::dsl::{count_star, sql};
    Ok(st::table
        .filter(st::campaign_id.eq(campaign_id))
        .select((
            count_star(),
            sql::<diesel::sql_types::BigInt>("CAST(COALESCE(SUM(revision), 0) AS BIGINT)"),
        ))
        .first(conn)?)
}

/// Every tally row of a campaign: (rated unit, group, stratum, tally JSON).
pub fn of_campaign(
    conn: &mut DbConn,
    campaign_id: i64,
) -> Result<Vec<(i64, String, String, Tally)>, StorageError> {
    let rows: Vec<(i64, String, String, String)> = st::table
        .filter(st::campaign_id.eq(campaign_id))
        .order((st::rated_unit_id, st::respondent_group, st::stratum))
        .select((
            st::rated_unit_id,
            st::respondent_group,
            st::stratum,
            st::tally,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(u, g, s, json)| Ok((u, g, s, serde_json::from_str(&json).map_err(corrupt)?)))
        .collect()
}

/// Replaces every tally of a campaign with the given ones, in one
/// transaction (a full recomputation).
pub fn replace(
    conn: &mut DbConn,
    campaign_id: i64,
    rows: &[(i64, &str, String, Tally)],
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    conn.transaction(|conn| {
        // The first new row carries the old sum of revisions plus one and
        // the others start at 0, so the sum (the fingerprint) grows by one
        // through a replacement too. (Giving every row old sum + 1 multiplied
        // the sum by the number of rows at each recomputation and overflowed
        // a 64-bit integer after a handful of them.)
        let (_, old_sum) = fingerprint(conn, campaign_id)?;
        diesel::delete(st::table.filter(st::campaign_id.eq(campaign_id))).execute(conn)?;
        for (i, (unit, group, stratum, tally)) in rows.iter().enumerate() {
            let revision = if i == 0 { old_sum + 1 } else { 0 };
            let json = serde_json::to_string(tally).map_err(corrupt)?;
            diesel::insert_into(st::table)
                .values((
                    st::campaign_id.eq(campaign_id),
                    st::rated_unit_id.eq(unit),
                    st::respondent_group.eq(group),
                    st::stratum.eq(stratum),
                    st::tally.eq(&json),
                    st::updated_at.eq(now),
                    st::revision.eq(revision),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}
