use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{draft_answers as da, respondents};
use super::{DbConn, StorageError};
use crate::domain::answers::Answers;
use crate::per_backend;

pub use crate::domain::states::{RespondentSource, RespondentStatus};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = respondents)]
pub struct RespondentRow {
    pub id: i64,
    pub campaign_id: i64,
    pub questionnaire_code: String,
    pub unit_id: Option<i64>,
    pub token_hash: String,
    #[diesel(deserialize_as = String)]
    pub source: RespondentSource,
    #[diesel(deserialize_as = String)]
    pub status: RespondentStatus,
    pub submit_key: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub stratum: Option<String>,
    pub opened_at: Option<NaiveDateTime>,
    pub opted_out_at: Option<NaiveDateTime>,
}

pub struct NewRespondent<'a> {
    pub campaign_id: i64,
    pub questionnaire_code: &'a str,
    pub unit_id: Option<i64>,
    pub source: RespondentSource,
    /// Keyed fingerprints of an open-link start's address and device.
    pub origin: Option<OpenOrigin<'a>>,
}

#[derive(Debug, Clone, Copy)]
pub struct OpenOrigin<'a> {
    pub client: &'a str,
    pub device: Option<&'a str>,
}

/// Stores one respondent per token hash, all or nothing.
pub fn insert_many(
    conn: &mut DbConn,
    r: &NewRespondent<'_>,
    token_hashes: &[String],
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    conn.transaction(|conn| {
        for hash in token_hashes {
            diesel::insert_into(respondents::table)
                .values((
                    respondents::campaign_id.eq(r.campaign_id),
                    respondents::questionnaire_code.eq(r.questionnaire_code),
                    respondents::unit_id.eq(r.unit_id),
                    respondents::token_hash.eq(hash),
                    respondents::source.eq(r.source.code()),
                    respondents::status.eq(RespondentStatus::New.code()),
                    respondents::created_at.eq(now),
                    respondents::updated_at.eq(now),
                    respondents::open_client.eq(r.origin.map(|o| o.client)),
                    respondents::open_device.eq(r.origin.and_then(|o| o.device)),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

pub fn by_token_hash(conn: &mut DbConn, hash: &str) -> Result<Option<RespondentRow>, StorageError> {
    Ok(respondents::table
        .filter(respondents::token_hash.eq(hash))
        .select(RespondentRow::as_select())
        .first(conn)
        .optional()?)
}

/// An open-link start's address and device fingerprints.
pub type OriginKeys = (Option<String>, Option<String>);

/// The origins (address and device fingerprints) of the forms submitted
/// through open links about one unit.
pub fn open_origins(
    conn: &mut DbConn,
    campaign_id: i64,
    unit_id: i64,
) -> Result<Vec<OriginKeys>, StorageError> {
    Ok(respondents::table
        .filter(
            respondents::campaign_id
                .eq(campaign_id)
                .and(respondents::unit_id.eq(unit_id))
                .and(respondents::source.eq(RespondentSource::Open.code()))
                .and(respondents::status.eq(RespondentStatus::Submitted.code())),
        )
        .select((respondents::open_client, respondents::open_device))
        .load(conn)?)
}

/// Per questionnaire and status, how many respondents a campaign has.
pub fn status_counts(
    conn: &mut DbConn,
    campaign_id: i64,
) -> Result<Vec<(String, String, i64)>, StorageError> {
    use diesel::dsl::count_star;
    Ok(respondents::table
        .filter(respondents::campaign_id.eq(campaign_id))
        .group_by((respondents::questionnaire_code, respondents::status))
        .select((
            respondents::questionnaire_code,
            respondents::status,
            count_star(),
        ))
        .load(conn)?)
}

/// Replaces the saved answers of one page. Returns false, saving nothing, when
/// the respondent has already submitted.
pub fn save_draft(
    conn: &mut DbConn,
    respondent_id: i64,
    page_keys: &[(i64, String)],
    values: &Answers,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    conn.transaction(|conn| {
        let n = diesel::update(
            respondents::table.filter(
                respondents::id
                    .eq(respondent_id)
                    .and(respondents::status.ne(RespondentStatus::Submitted.code())),
            ),
        )
        .set((
            respondents::status.eq(RespondentStatus::InProgress.code()),
            respondents::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n == 0 {
            return Ok(false);
        }
        // One statement per rated unit (a page has one), not one per question.
        let mut by_unit: std::collections::BTreeMap<i64, Vec<&str>> = Default::default();
        for (unit, code) in page_keys {
            by_unit.entry(*unit).or_default().push(code);
        }
        for (unit, codes) in by_unit {
            diesel::delete(
                da::table.filter(
                    da::respondent_id
                        .eq(respondent_id)
                        .and(da::rated_unit_id.eq(unit))
                        .and(da::question_code.eq_any(codes)),
                ),
            )
            .execute(conn)?;
        }
        let rows: Vec<_> = values
            .iter()
            .map(|((unit, code), value)| {
                (
                    da::respondent_id.eq(respondent_id),
                    da::rated_unit_id.eq(*unit),
                    da::question_code.eq(code.as_str()),
                    da::value.eq(value.as_str()),
                    da::updated_at.eq(now),
                )
            })
            .collect();
        if !rows.is_empty() {
            per_backend!(conn => diesel::insert_into(da::table).values(&rows).execute(conn))?;
        }
        Ok(true)
    })
}

pub fn drafts(conn: &mut DbConn, respondent_id: i64) -> Result<Answers, StorageError> {
    let rows: Vec<(i64, String, String)> = da::table
        .filter(da::respondent_id.eq(respondent_id))
        .select((da::rated_unit_id, da::question_code, da::value))
        .load(conn)?;
    Ok(rows.into_iter().map(|(u, c, v)| ((u, c), v)).collect())
}

/// Notes the first time a respondent opened the form (for response rates).
/// Locks the respondents' rows in id order (PostgreSQL; SQLite's one
/// writer needs none). A group-commit batch takes every row its writes will
/// touch first, so two batches (two writer threads, two instances) touching
/// the same respondents — a double click landing on both — wait for each
/// other in one order instead of deadlocking.
pub fn lock_in_order(conn: &mut DbConn, ids: &mut Vec<i64>) -> Result<(), StorageError> {
    ids.sort_unstable();
    ids.dedup();
    if let DbConn::Pg(c) = conn {
        respondents::table
            .filter(respondents::id.eq_any(&*ids))
            .order(respondents::id)
            .select(respondents::id)
            .for_update()
            .load::<i64>(c)?;
    }
    Ok(())
}

pub fn mark_opened(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<(), StorageError> {
    diesel::update(
        respondents::table
            .find(id)
            .filter(respondents::opened_at.is_null()),
    )
    .set(respondents::opened_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Records a refusal; false when the respondent has already answered (an
/// answer outranks a later click on "do not contact me") or refused.
pub fn opt_out(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<bool, StorageError> {
    let n = diesel::update(
        respondents::table
            .find(id)
            .filter(respondents::status.ne(RespondentStatus::Submitted.code()))
            .filter(respondents::opted_out_at.is_null()),
    )
    .set(respondents::opted_out_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn by_id(conn: &mut DbConn, id: i64) -> Result<Option<RespondentRow>, StorageError> {
    Ok(respondents::table
        .find(id)
        .select(RespondentRow::as_select())
        .first(conn)
        .optional()?)
}
