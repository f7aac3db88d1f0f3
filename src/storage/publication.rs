//! The index table's own data: survey points taken instead of the live
//! estimates (imported or frozen at publication), published scores by year,
//! and the publication itself.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{
    national_publications as np, publications as pb, published_scores as ps, survey_points as sp,
};
use super::{DbConn, StorageError};
use crate::per_backend;

pub const SOURCE_IMPORT: &str = "import";
pub const SOURCE_PUBLISHED: &str = "published";
pub const KIND_OWN: &str = "own";
pub const KIND_ASSIGNED: &str = "assigned";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sp)]
pub struct SurveyPointRow {
    pub campaign_id: i64,
    pub unit_id: i64,
    pub criterion: String,
    pub points_micro: Option<i64>,
    pub short: String,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub source: String,
    /// The points exactly (`Points::exact`), when computed from estimates.
    pub points_exact: Option<String>,
}

pub fn survey_points(
    conn: &mut DbConn,
    campaign_id: i64,
) -> Result<Vec<SurveyPointRow>, StorageError> {
    Ok(sp::table
        .filter(sp::campaign_id.eq(campaign_id))
        .order((sp::unit_id, sp::criterion))
        .select(SurveyPointRow::as_select())
        .load(conn)?)
}

/// Replaces the campaign's survey points with `rows`, in one transaction.
pub fn replace_survey_points(
    conn: &mut DbConn,
    campaign_id: i64,
    rows: &[SurveyPointRow],
) -> Result<(), StorageError> {
    conn.transaction(|conn| {
        diesel::delete(sp::table.filter(sp::campaign_id.eq(campaign_id))).execute(conn)?;
        for chunk in rows.chunks(500) {
            per_backend!(conn => diesel::insert_into(sp::table).values(chunk).execute(conn))?;
        }
        Ok(())
    })
}

/// A year's published scores of `kind`: unit code → item → micro-points.
pub fn published(
    conn: &mut DbConn,
    year: i64,
    kind: &str,
) -> Result<BTreeMap<String, BTreeMap<String, i64>>, StorageError> {
    let rows: Vec<(String, String, i64)> = ps::table
        .filter(ps::year.eq(year).and(ps::kind.eq(kind)))
        .select((ps::unit_code, ps::item, ps::points_micro))
        .load(conn)?;
    let mut out: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for (unit, item, p) in rows {
        out.entry(unit).or_default().insert(item, p);
    }
    Ok(out)
}

/// Replaces a year's published scores of `kind` for the units in `scores`
/// (other units of that year are kept), in one transaction.
pub fn replace_published(
    conn: &mut DbConn,
    year: i64,
    kind: &str,
    scores: &BTreeMap<String, BTreeMap<String, i64>>,
) -> Result<usize, StorageError> {
    conn.transaction(|conn| {
        let units: Vec<&str> = scores.keys().map(String::as_str).collect();
        for chunk in units.chunks(500) {
            diesel::delete(
                ps::table.filter(
                    ps::year
                        .eq(year)
                        .and(ps::kind.eq(kind))
                        .and(ps::unit_code.eq_any(chunk)),
                ),
            )
            .execute(conn)?;
        }
        let rows: Vec<_> = scores
            .iter()
            .flat_map(|(unit, items)| {
                items.iter().map(move |(item, p)| {
                    (
                        ps::year.eq(year),
                        ps::unit_code.eq(unit.as_str()),
                        ps::kind.eq(kind),
                        ps::item.eq(item.as_str()),
                        ps::points_micro.eq(*p),
                    )
                })
            })
            .collect();
        for chunk in rows.chunks(500) {
            per_backend!(conn => diesel::insert_into(ps::table).values(chunk).execute(conn))?;
        }
        Ok(rows.len())
    })
}

pub fn publication(
    conn: &mut DbConn,
    campaign_id: i64,
) -> Result<Option<(NaiveDateTime, i64)>, StorageError> {
    Ok(pb::table
        .find(campaign_id)
        .select((pb::published_at, pb::published_by))
        .first(conn)
        .optional()?)
}

/// Every published campaign: (campaign id, published at), newest first.
pub fn published_campaigns(conn: &mut DbConn) -> Result<Vec<(i64, NaiveDateTime)>, StorageError> {
    Ok(pb::table
        .order(pb::published_at.desc())
        .select((pb::campaign_id, pb::published_at))
        .load(conn)?)
}

/// Records the publication; false when the campaign was published already.
/// The primary key is the guard: of two administrators publishing at once,
/// the second finds the row and inserts nothing.
pub fn insert_publication(
    conn: &mut DbConn,
    campaign_id: i64,
    by: i64,
    at: NaiveDateTime,
) -> Result<bool, StorageError> {
    let values = (
        pb::campaign_id.eq(campaign_id),
        pb::published_at.eq(at),
        pb::published_by.eq(by),
    );
    let inserted: usize = per_backend!(conn => diesel::insert_into(pb::table)
        .values(values)
        .on_conflict_do_nothing()
        .execute(conn))?;
    Ok(inserted == 1)
}

/// Publishes in one transaction: the publication row (the guard: false if
/// the campaign was published already), the frozen survey points and the
/// year's scores of the units.
pub fn publish(
    conn: &mut DbConn,
    campaign_id: i64,
    by: i64,
    at: NaiveDateTime,
    frozen: &[SurveyPointRow],
    year: i64,
    record: &BTreeMap<String, BTreeMap<String, i64>>,
) -> Result<bool, StorageError> {
    conn.transaction(|conn| {
        if !insert_publication(conn, campaign_id, by, at)? {
            return Ok(false);
        }
        replace_survey_points(conn, campaign_id, frozen)?;
        replace_published(conn, year, KIND_OWN, record)?;
        Ok(true)
    })
}

/// The day the Ministry published `year`'s provincial index, if entered.
pub fn national_publication(
    conn: &mut DbConn,
    year: i64,
) -> Result<Option<NaiveDate>, StorageError> {
    Ok(np::table
        .filter(np::year.eq(year))
        .select(np::published_on)
        .first(conn)
        .optional()?)
}

/// Records (or corrects) the day the Ministry published `year`'s index.
pub fn set_national_publication(
    conn: &mut DbConn,
    year: i64,
    published_on: NaiveDate,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    conn.transaction(|conn| {
        diesel::delete(np::table.filter(np::year.eq(year))).execute(conn)?;
        per_backend!(conn => diesel::insert_into(np::table)
            .values((
                np::year.eq(year),
                np::published_on.eq(published_on),
                np::recorded_at.eq(now),
            ))
            .execute(conn))?;
        Ok(())
    })
}
