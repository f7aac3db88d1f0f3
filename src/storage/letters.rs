//! Letters to drawn people (`contact_attempts` with mode `letter`): who is
//! due one, print batches, and what a batch prints. A person gets one
//! letter (the table's unique key), whatever batches are made.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::draws::LETTER;
use super::respondents::RespondentStatus;
use super::schema::{
    contact_attempts as ca, frame_persons as fp, invitations as inv, respondents,
    sample_members as sm, units,
};
use super::{DbConn, StorageError};
use crate::per_backend;

/// A drawn person with a postal address and no letter yet.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub respondent_id: i64,
    pub frame_person_id: i64,
    /// The state of the person's first e-mail, if one was queued.
    pub email_state: Option<String>,
    pub has_email: bool,
    pub submitted: bool,
    pub opted_out: bool,
}

pub fn candidates(conn: &mut DbConn, draw_id: i64) -> Result<Vec<Candidate>, StorageError> {
    type Raw = (
        Option<i64>,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Raw> = sm::table
        .inner_join(fp::table)
        .inner_join(respondents::table.on(respondents::id.nullable().eq(sm::respondent_id)))
        .left_join(
            inv::table.on(inv::respondent_id
                .nullable()
                .eq(sm::respondent_id)
                .and(inv::seq.eq(0))),
        )
        .left_join(
            ca::table.on(ca::respondent_id
                .nullable()
                .eq(sm::respondent_id)
                .and(ca::mode.eq(LETTER))),
        )
        .filter(sm::draw_id.eq(draw_id))
        .filter(fp::address.is_not_null())
        .filter(ca::id.nullable().is_null())
        .order(sm::id)
        .select((
            sm::respondent_id,
            sm::frame_person_id,
            inv::state.nullable(),
            fp::email,
            respondents::status.nullable(),
            respondents::opted_out_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(r, p, state, email, status, opted)| {
            Some(Candidate {
                respondent_id: r?,
                frame_person_id: p,
                email_state: state,
                has_email: email.is_some(),
                submitted: status.as_deref() == Some(RespondentStatus::Submitted.code()),
                opted_out: opted.is_some(),
            })
        })
        .collect())
}

/// Records a print batch: the campaign's next batch number, one `printed`
/// row per person, and each person's short-code hash. All or nothing; a
/// person already in a batch (printed meanwhile by someone else) fails the
/// whole batch on the unique key rather than getting two letters.
pub fn print_batch(
    conn: &mut DbConn,
    campaign_id: i64,
    people: &[(i64, String)],
    now: NaiveDateTime,
) -> Result<i64, StorageError> {
    conn.transaction(|conn| {
        let last: Option<i64> = ca::table
            .filter(ca::campaign_id.eq(campaign_id))
            .filter(ca::mode.eq(LETTER))
            .select(diesel::dsl::max(ca::batch))
            .first(conn)?;
        let batch = last.unwrap_or(0) + 1;
        for (respondent_id, short_hash) in people {
            let values = (
                ca::campaign_id.eq(campaign_id),
                ca::respondent_id.eq(respondent_id),
                ca::mode.eq(LETTER),
                ca::batch.eq(Some(batch)),
                ca::outcome.eq("printed"),
                ca::at.eq(now),
            );
            per_backend!(conn => diesel::insert_into(ca::table).values(values).execute(conn))?;
            diesel::update(respondents::table.find(respondent_id))
                .set(respondents::short_code_hash.eq(Some(short_hash)))
                .execute(conn)?;
        }
        Ok(batch)
    })
}

/// A campaign's print batches: (number, letters, printed at).
pub fn batches(
    conn: &mut DbConn,
    campaign_id: i64,
) -> Result<Vec<(i64, i64, NaiveDateTime)>, StorageError> {
    let rows: Vec<(Option<i64>, i64, Option<NaiveDateTime>)> = ca::table
        .filter(ca::campaign_id.eq(campaign_id))
        .filter(ca::mode.eq(LETTER))
        .group_by(ca::batch)
        .select((
            ca::batch,
            diesel::dsl::count(ca::id),
            diesel::dsl::min(ca::at),
        ))
        .order(ca::batch)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(b, n, at)| Some((b?, n, at?)))
        .collect())
}

/// One letter of a batch, as stored.
#[derive(Debug, Clone, Queryable)]
pub struct LetterRow {
    pub respondent_id: i64,
    pub frame_person_id: i64,
    pub person_key: String,
    pub addressee: Option<String>,
    pub address: Option<String>,
    pub questionnaire_code: String,
    pub unit_name: Option<String>,
    pub unit_id: Option<i64>,
}

pub fn batch(
    conn: &mut DbConn,
    campaign_id: i64,
    batch: i64,
) -> Result<Vec<LetterRow>, StorageError> {
    Ok(ca::table
        .inner_join(respondents::table)
        .inner_join(sm::table.on(sm::respondent_id.eq(ca::respondent_id.nullable())))
        .inner_join(fp::table.on(fp::id.eq(sm::frame_person_id)))
        .left_join(units::table.on(units::id.nullable().eq(respondents::unit_id)))
        .filter(ca::campaign_id.eq(campaign_id))
        .filter(ca::mode.eq(LETTER))
        .filter(ca::batch.eq(Some(batch)))
        .order(ca::id)
        .select((
            ca::respondent_id,
            fp::id,
            fp::person_key,
            fp::addressee,
            fp::address,
            respondents::questionnaire_code,
            units::name.nullable(),
            respondents::unit_id,
        ))
        .load(conn)?)
}

/// The campaign and frame person of the respondent whose short code hashes
/// to `hash`, to rebuild the link.
pub fn by_short_code_hash(
    conn: &mut DbConn,
    hash: &str,
) -> Result<Option<(i64, i64)>, StorageError> {
    Ok(respondents::table
        .inner_join(sm::table.on(sm::respondent_id.eq(respondents::id.nullable())))
        .filter(respondents::short_code_hash.eq(hash))
        .select((respondents::campaign_id, sm::frame_person_id))
        .first(conn)
        .optional()?)
}
