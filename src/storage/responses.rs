use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::respondents::{RespondentRow, RespondentSource, RespondentStatus};
use super::schema::{answers, draft_answers as da, respondents, responses};
use super::tallies::Pending;
use super::{DbConn, StorageError};
use crate::domain::answers::Answers;
use crate::per_backend;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    Stored {
        response_id: i64,
    },
    /// The token was already used; `same_key` when by this very submission
    /// (a retry), which deserves the success page again.
    AlreadySubmitted {
        same_key: bool,
    },
}

pub struct Submission<'a> {
    pub respondent: &'a RespondentRow,
    pub version_id: i64,
    pub anonymous: bool,
    pub idempotency_key: &'a str,
    pub answers: &'a Answers,
    /// The response's contribution to the survey's running sums, added in
    /// the same transaction (through the caller's [`Pending`]) so they never
    /// disagree with the answers.
    pub tallies: &'a [super::tallies::Update],
    /// The scored answers in one compact text (`survey::packed`), what a
    /// recomputation reads; `None` when they cannot be packed.
    pub packed: Option<&'a str>,
}

/// Stores the response, its answers and the token's use in one transaction, so
/// there is never a half-stored response nor two for one token.
pub fn submit(
    conn: &mut DbConn,
    s: &Submission<'_>,
    now: NaiveDateTime,
    pending: &mut Pending,
) -> Result<SubmitOutcome, StorageError> {
    let r = s.respondent;
    // In an anonymous campaign the token keeps only that it was used, and
    // both rows carry the day alone: equal timestamps would join them again.
    let now = if s.anonymous {
        crate::domain::campaign::anonymous_time(now)
    } else {
        now
    };
    conn.transaction(|conn| {
        // The guard and the lock in one: only the first submission flips the
        // status; PostgreSQL makes a concurrent one wait on the row and then
        // find nothing to flip, SQLite serialises the writers.
        let claimed = diesel::update(
            respondents::table.filter(
                respondents::id
                    .eq(r.id)
                    .and(respondents::status.ne(RespondentStatus::Submitted.code())),
            ),
        )
        .set((
            respondents::status.eq(RespondentStatus::Submitted.code()),
            respondents::submit_key.eq(s.idempotency_key),
            respondents::submitted_at.eq(now),
            respondents::updated_at.eq(now),
        ))
        .execute(conn)?;
        if claimed == 1 && s.anonymous {
            // The times of opening and of an open link's start follow the
            // order of submission, and response ids follow it too: to the
            // day, like the rest.
            diesel::update(respondents::table.find(r.id))
                .set((
                    respondents::opened_at.eq(Some(now)),
                    respondents::created_at
                        .eq(crate::domain::campaign::anonymous_time(r.created_at)),
                ))
                .execute(conn)?;
        }
        if claimed == 0 {
            let key: Option<String> = respondents::table
                .find(r.id)
                .select(respondents::submit_key)
                .first(conn)?;
            return Ok(SubmitOutcome::AlreadySubmitted {
                same_key: key.as_deref() == Some(s.idempotency_key),
            });
        }
        let values = (
            responses::campaign_id.eq(r.campaign_id),
            responses::questionnaire_version_id.eq(s.version_id),
            responses::unit_id.eq(r.unit_id),
            responses::respondent_id.eq((!s.anonymous).then_some(r.id)),
            responses::source.eq(r.source.code()),
            responses::submitted_at.eq(now),
            responses::stratum.eq(r.stratum.as_deref()),
            responses::packed.eq(s.packed),
        );
        let response_id: i64 = per_backend!(conn => diesel::insert_into(responses::table)
            .values(values)
            .returning(responses::id)
            .get_result(conn))?;
        let rows: Vec<_> = s
            .answers
            .iter()
            .map(|((unit, code), value)| {
                (
                    answers::response_id.eq(response_id),
                    answers::rated_unit_id.eq(*unit),
                    answers::question_code.eq(code.as_str()),
                    answers::value.eq(value.as_str()),
                )
            })
            .collect();
        if !rows.is_empty() {
            per_backend!(conn => diesel::insert_into(answers::table).values(&rows).execute(conn))?;
        }
        diesel::delete(da::table.filter(da::respondent_id.eq(r.id))).execute(conn)?;
        pending.add(r.campaign_id, s.tallies, now);
        Ok(SubmitOutcome::Stored { response_id })
    })
}

/// What a recomputation reads of one response: where it counts and its
/// packed answers (`None`: read its answer rows).
#[derive(Debug, Clone, Queryable)]
pub struct PackedRow {
    pub id: i64,
    pub unit_id: Option<i64>,
    pub stratum: Option<String>,
    #[diesel(deserialize_as = String)]
    pub source: RespondentSource,
    pub packed: Option<String>,
}

/// Up to `limit` responses of a questionnaire version after id `after`, in
/// id order, as a recomputation reads them.
pub fn packed_page(
    conn: &mut DbConn,
    campaign_id: i64,
    version_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<PackedRow>, StorageError> {
    Ok(responses::table
        .filter(responses::campaign_id.eq(campaign_id))
        .filter(responses::questionnaire_version_id.eq(version_id))
        .filter(responses::id.gt(after))
        .order(responses::id)
        .limit(limit)
        .select((
            responses::id,
            responses::unit_id,
            responses::stratum,
            responses::source,
            responses::packed,
        ))
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = responses)]
pub struct ResponseRow {
    pub id: i64,
    pub campaign_id: i64,
    pub questionnaire_version_id: i64,
    pub unit_id: Option<i64>,
    pub respondent_id: Option<i64>,
    #[diesel(deserialize_as = String)]
    pub source: RespondentSource,
    pub submitted_at: NaiveDateTime,
    pub stratum: Option<String>,
}

pub fn list(conn: &mut DbConn, campaign_id: i64) -> Result<Vec<ResponseRow>, StorageError> {
    Ok(responses::table
        .filter(responses::campaign_id.eq(campaign_id))
        .order(responses::id)
        .select(ResponseRow::as_select())
        .load(conn)?)
}

pub fn answers_of(conn: &mut DbConn, response_id: i64) -> Result<Answers, StorageError> {
    let rows: Vec<(i64, String, String)> = answers::table
        .filter(answers::response_id.eq(response_id))
        .select((
            answers::rated_unit_id,
            answers::question_code,
            answers::value,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|(u, c, v)| ((u, c), v)).collect())
}

/// Responses per questionnaire version and source for a campaign.
pub fn counts(
    conn: &mut DbConn,
    campaign_id: i64,
) -> Result<Vec<(i64, String, i64)>, StorageError> {
    use diesel::dsl::count_star;
    Ok(responses::table
        .filter(responses::campaign_id.eq(campaign_id))
        .group_by((responses::questionnaire_version_id, responses::source))
        .select((
            responses::questionnaire_version_id,
            responses::source,
            count_star(),
        ))
        .load(conn)?)
}

/// Responses per campaign and source whose respondent belongs to (or dealt with) a unit.
pub fn counts_for_unit(
    conn: &mut DbConn,
    unit_id: i64,
) -> Result<Vec<(i64, String, i64)>, StorageError> {
    use diesel::dsl::count_star;
    Ok(responses::table
        .filter(responses::unit_id.eq(unit_id))
        .group_by((responses::campaign_id, responses::source))
        .select((responses::campaign_id, responses::source, count_star()))
        .load(conn)?)
}

/// Answers to the given questions of one questionnaire version, newest
/// response first, with the rated unit's name.
pub fn answers_to(
    conn: &mut DbConn,
    campaign_id: i64,
    version_id: i64,
    codes: &[String],
    limit: i64,
) -> Result<Vec<(String, String, String)>, StorageError> {
    use super::schema::units;
    Ok(answers::table
        .inner_join(responses::table)
        .inner_join(units::table.on(units::id.eq(answers::rated_unit_id)))
        .filter(responses::campaign_id.eq(campaign_id))
        .filter(responses::questionnaire_version_id.eq(version_id))
        .filter(answers::question_code.eq_any(codes))
        .order((responses::id.desc(), answers::question_code))
        .limit(limit)
        .select((answers::question_code, units::name, answers::value))
        .load(conn)?)
}

/// Responses of one questionnaire version after `after_id`, in id order, at
/// most `limit`: one page of a streamed export.
pub fn page(
    conn: &mut DbConn,
    campaign_id: i64,
    version_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<ResponseRow>, StorageError> {
    Ok(responses::table
        .filter(responses::campaign_id.eq(campaign_id))
        .filter(responses::questionnaire_version_id.eq(version_id))
        .filter(responses::id.gt(after_id))
        .order(responses::id)
        .limit(limit)
        .select(ResponseRow::as_select())
        .load(conn)?)
}

/// Every response id of a questionnaire version in a campaign.
pub fn ids(
    conn: &mut DbConn,
    campaign_id: i64,
    version_id: i64,
) -> Result<Vec<PlacedResponse>, StorageError> {
    Ok(responses::table
        .filter(responses::campaign_id.eq(campaign_id))
        .filter(responses::questionnaire_version_id.eq(version_id))
        .order(responses::id)
        .select((responses::id, responses::unit_id, responses::stratum))
        .load(conn)?)
}

/// A response id with its respondent's unit and stratum.
pub type PlacedResponse = (i64, Option<i64>, Option<String>);

/// The responses with these ids, in id order.
pub fn by_ids(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<ResponseRow>, StorageError> {
    Ok(responses::table
        .filter(responses::id.eq_any(ids))
        .order(responses::id)
        .select(ResponseRow::as_select())
        .load(conn)?)
}

/// The answers of several responses: (response, rated unit, question, value).
pub fn answers_of_many(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<Vec<(i64, i64, String, String)>, StorageError> {
    Ok(answers::table
        .filter(answers::response_id.eq_any(ids))
        .order((answers::response_id, answers::rated_unit_id))
        .select((
            answers::response_id,
            answers::rated_unit_id,
            answers::question_code,
            answers::value,
        ))
        .load(conn)?)
}

/// The answers of the responses with ids in `first..=last`, in id order: a
/// range scan of the primary key, cheaper than a long `IN` list when a
/// recomputation reads every response page by page. Rows of responses
/// outside the caller's page (another campaign's) come along; the caller
/// skips them.
pub fn answers_in_range(
    conn: &mut DbConn,
    first: i64,
    last: i64,
) -> Result<Vec<(i64, i64, String, String)>, StorageError> {
    Ok(answers::table
        .filter(answers::response_id.ge(first))
        .filter(answers::response_id.le(last))
        .order((answers::response_id, answers::rated_unit_id))
        .select((
            answers::response_id,
            answers::rated_unit_id,
            answers::question_code,
            answers::value,
        ))
        .load(conn)?)
}

/// Responses from the sample per stratum, for non-response weights.
pub fn per_stratum(
    conn: &mut DbConn,
    campaign_id: i64,
) -> Result<Vec<(Option<String>, i64)>, StorageError> {
    use diesel::dsl::count_star;
    Ok(responses::table
        .filter(responses::campaign_id.eq(campaign_id))
        .filter(responses::source.eq(RespondentSource::Sample.code()))
        .group_by(responses::stratum)
        .select((responses::stratum, count_star()))
        .load(conn)?)
}
