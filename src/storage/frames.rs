//! Sampling frames: loaded invisibly in batches, then made active in one
//! step, so a failed or interrupted import leaves nothing that counts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{draws, frame_persons as fp, frames};
use super::{DbConn, StorageError};
use crate::per_backend;

use crate::domain::states::FrameStatus;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = frames)]
pub struct FrameRow {
    pub id: i64,
    pub campaign_id: i64,
    pub sha256: String,
    pub file_name: String,
    pub row_count: i64,
    pub status: String,
    pub imported_at: NaiveDateTime,
}

pub struct NewPerson {
    pub person_key: String,
    pub unit_id: i64,
    pub group: &'static str,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub addressee: Option<String>,
    pub size: Option<i64>,
    /// JSON object of the stratifying columns.
    pub strata: String,
}

pub fn active(conn: &mut DbConn, campaign_id: i64) -> Result<Option<FrameRow>, StorageError> {
    Ok(frames::table
        .filter(frames::campaign_id.eq(campaign_id))
        .filter(frames::status.eq(FrameStatus::Active.code()))
        .select(FrameRow::as_select())
        .first(conn)
        .optional()?)
}

/// Starts a frame that nothing sees until [`activate`]; removes frames an
/// interrupted import left behind.
pub fn begin(
    conn: &mut DbConn,
    campaign_id: i64,
    sha256: &str,
    file_name: &str,
    now: NaiveDateTime,
) -> Result<i64, StorageError> {
    conn.transaction(|conn| {
        let stale: Vec<i64> = frames::table
            .filter(frames::campaign_id.eq(campaign_id))
            .filter(frames::status.eq(FrameStatus::Loading.code()))
            .select(frames::id)
            .load(conn)?;
        remove(conn, &stale)?;
        let values = (
            frames::campaign_id.eq(campaign_id),
            frames::sha256.eq(sha256),
            frames::file_name.eq(file_name),
            frames::row_count.eq(0i64),
            frames::status.eq(FrameStatus::Loading.code()),
            frames::imported_at.eq(now),
        );
        Ok(per_backend!(conn => diesel::insert_into(frames::table)
            .values(values)
            .returning(frames::id)
            .get_result(conn))?)
    })
}

/// Adds rows to a loading frame, in one transaction. SQLite runs one
/// prepared single-row INSERT per person: no statement to parse per batch
/// and no statement journal (a multi-row INSERT needs one in case it fails
/// half-way); PostgreSQL takes the batch as one binary `COPY FROM STDIN`,
/// several times faster than INSERTs with bound parameters.
pub fn add(conn: &mut DbConn, frame_id: i64, rows: &[NewPerson]) -> Result<(), StorageError> {
    macro_rules! values {
        ($r:expr) => {
            (
                fp::frame_id.eq(frame_id),
                fp::person_key.eq($r.person_key.as_str()),
                fp::unit_id.eq($r.unit_id),
                fp::respondent_group.eq($r.group),
                fp::email.eq($r.email.as_deref()),
                fp::phone.eq($r.phone.as_deref()),
                fp::address.eq($r.address.as_deref()),
                fp::addressee.eq($r.addressee.as_deref()),
                fp::size.eq($r.size),
                fp::strata.eq($r.strata.as_str()),
            )
        };
    }
    conn.transaction(|conn| {
        match conn {
            DbConn::Sqlite(conn) => {
                for r in rows {
                    diesel::insert_into(fp::table)
                        .values(values!(r))
                        .execute(conn)?;
                }
            }
            DbConn::Pg(conn) => {
                let rows: Vec<_> = rows.iter().map(|r| values!(r)).collect();
                diesel::copy_from(fp::table)
                    .from_insertable(rows)
                    .execute(conn)?;
            }
        }
        Ok(())
    })
}

pub enum Activated {
    Done,
    /// The campaign's sample is drawn: its frame can no longer change.
    AlreadyDrawn,
}

/// Makes a loaded frame the campaign's frame and drops the one it replaces,
/// in one transaction; refuses once the sample is drawn.
pub fn activate(
    conn: &mut DbConn,
    campaign_id: i64,
    frame_id: i64,
    row_count: i64,
) -> Result<Activated, StorageError> {
    conn.transaction(|conn| {
        // Taking the campaign's frame rows first serialises two imports.
        diesel::update(frames::table.find(frame_id))
            .set(frames::row_count.eq(row_count))
            .execute(conn)?;
        let drawn: i64 = draws::table
            .filter(draws::campaign_id.eq(campaign_id))
            .count()
            .get_result(conn)?;
        if drawn > 0 {
            remove(conn, &[frame_id])?;
            return Ok(Activated::AlreadyDrawn);
        }
        let old: Vec<i64> = frames::table
            .filter(frames::campaign_id.eq(campaign_id))
            .filter(frames::id.ne(frame_id))
            .select(frames::id)
            .load(conn)?;
        remove(conn, &old)?;
        diesel::update(frames::table.find(frame_id))
            .set(frames::status.eq(FrameStatus::Active.code()))
            .execute(conn)?;
        Ok(Activated::Done)
    })
}

/// Removes frames and their rows.
pub fn remove(conn: &mut DbConn, ids: &[i64]) -> Result<(), StorageError> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::delete(fp::table.filter(fp::frame_id.eq_any(ids))).execute(conn)?;
    diesel::delete(frames::table.filter(frames::id.eq_any(ids))).execute(conn)?;
    Ok(())
}

/// What the plan and the draw read of a frame row (no contact details).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = fp)]
pub struct DrawPerson {
    pub id: i64,
    pub person_key: String,
    pub unit_id: i64,
    pub respondent_group: String,
    pub size: Option<i64>,
    pub strata: String,
}

/// Every person of a frame, in storage order: the draw sorts each stratum
/// by key itself. A frame's rows were inserted together, so they are read
/// as one range of ids; `+frame_id` keeps SQLite from walking the
/// (unit, group) index instead and fetching a million rows one by one.
pub fn persons(conn: &mut DbConn, frame_id: i64) -> Result<Vec<DrawPerson>, StorageError> {
    use diesel::dsl::{max, min, sql};
    use diesel::sql_types::{BigInt, Bool};
    let (first, last): (Option<i64>, Option<i64>) = fp::table
        .filter(fp::frame_id.eq(frame_id))
        .select((min(fp::id), max(fp::id)))
        .first(conn)?;
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(vec![]);
    };
    Ok(fp::table
        .filter(fp::id.between(first, last))
        .filter(sql::<Bool>("+frame_id = ").bind::<BigInt, _>(frame_id))
        .select(DrawPerson::as_select())
        .load(conn)?)
}
