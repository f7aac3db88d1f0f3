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

/// The additions to the running sums that the writes of one transaction
/// have made, applied together just before it commits ([`Pending::apply`]).
///
/// Every submission of a unit adds to the same few rows. Applied inside each
/// submission, they would be locked from the first write of a batch to its
/// commit, in the order the submissions came, so two batches (two writer
/// threads, or two instances on one PostgreSQL) could wait on each other.
/// Applied at the end, each row is locked once, in key order, for as long as
/// the commit takes, and a batch of a hundred answers about one unit reads
/// and writes its row once.
#[derive(Debug, Default)]
pub struct Pending {
    updates: Vec<(i64, Update)>,
    /// The latest time among the writes, the rows' `updated_at`.
    now: Option<NaiveDateTime>,
}

impl Pending {
    /// Adds one response's contributions (`campaign_id`'s tallies).
    pub fn add(&mut self, campaign_id: i64, updates: &[Update], now: NaiveDateTime) {
        self.updates
            .extend(updates.iter().map(|u| (campaign_id, u.clone())));
        self.now = Some(self.now.map_or(now, |t| t.max(now)));
    }

    /// Moves another set in (a write whose savepoint held).
    pub fn append(&mut self, mut other: Pending) {
        self.updates.append(&mut other.updates);
        if let Some(t) = other.now {
            self.now = Some(self.now.map_or(t, |s| s.max(t)));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.updates.is_empty()
    }

    /// Adds everything to the stored tallies inside the caller's
    /// transaction: rows in key order, each locked (PostgreSQL) and read
    /// once, every contribution to it added, written once.
    pub fn apply(mut self, conn: &mut DbConn) -> Result<(), StorageError> {
        let Some(now) = self.now else {
            return Ok(());
        };
        // Borrowed keys: this runs at the end of every batch.
        fn key((c, u): &(i64, Update)) -> (i64, i64, &str, &str) {
            (*c, u.rated_unit_id, u.group, u.stratum.as_str())
        }
        self.updates.sort_by(|a, b| key(a).cmp(&key(b)));
        for run in self.updates.chunk_by(|a, b| key(a) == key(b)) {
            let (campaign_id, first) = &run[0];
            let filter = || {
                st::campaign_id
                    .eq(*campaign_id)
                    .and(st::rated_unit_id.eq(first.rated_unit_id))
                    .and(st::respondent_group.eq(first.group))
                    .and(st::stratum.eq(first.stratum.as_str()))
            };
            // PostgreSQL locks the row so two transactions add to it in
            // turn; SQLite already holds its one write lock. A row that
            // does not exist yet has nothing to lock: two batches creating
            // it at once would each start from empty and the second upsert
            // would overwrite the first's additions (seen in CI: a tally one
            // submission short of the recomputation). So the row is made
            // first (empty, revision 0; a concurrent creator makes this
            // wait for its commit and then do nothing), then locked and read.
            let stored: Option<String> = match conn {
                super::DbConn::Pg(c) => {
                    let empty = serde_json::to_string(&Tally::new(first.criteria.clone()))
                        .map_err(corrupt)?;
                    diesel::insert_into(st::table)
                        .values((
                            st::campaign_id.eq(*campaign_id),
                            st::rated_unit_id.eq(first.rated_unit_id),
                            st::respondent_group.eq(first.group),
                            st::stratum.eq(&first.stratum),
                            st::tally.eq(&empty),
                            st::updated_at.eq(now),
                            st::revision.eq(0i64),
                        ))
                        .on_conflict((
                            st::campaign_id,
                            st::rated_unit_id,
                            st::respondent_group,
                            st::stratum,
                        ))
                        .do_nothing()
                        .execute(c)?;
                    st::table
                        .filter(filter())
                        .select(st::tally)
                        .for_update()
                        .first(c)
                        .optional()?
                }
                super::DbConn::Sqlite(c) => st::table
                    .filter(filter())
                    .select(st::tally)
                    .first(c)
                    .optional()?,
            };
            let mut tally = match stored {
                Some(json) => serde_json::from_str::<Tally>(&json).map_err(corrupt)?,
                None => Tally::new(first.criteria.clone()),
            };
            for (_, u) in run {
                tally.add(&u.scores).map_err(corrupt)?;
            }
            let json = serde_json::to_string(&tally).map_err(corrupt)?;
            let values = (
                st::campaign_id.eq(*campaign_id),
                st::rated_unit_id.eq(first.rated_unit_id),
                st::respondent_group.eq(first.group),
                st::stratum.eq(&first.stratum),
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
