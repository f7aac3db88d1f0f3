//! Draws and the people they took: the sample with its respondent tokens,
//! and the reserves, released in order.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::respondents::{RespondentSource, RespondentStatus};
use super::schema::{
    draw_strata as ds, draws, frame_persons as fp, respondents, sample_members as sm,
};
use super::{DbConn, StorageError};
use crate::per_backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = draws)]
pub struct DrawRow {
    pub id: i64,
    pub campaign_id: i64,
    pub frame_id: i64,
    pub seed: String,
    pub frame_sha256: String,
    pub rules: String,
    pub plan: String,
    pub drawn_at: NaiveDateTime,
}

pub struct NewDraw<'a> {
    pub campaign_id: i64,
    pub frame_id: i64,
    pub seed: &'a str,
    pub frame_sha256: &'a str,
    pub rules: &'a str,
    pub plan: &'a str,
}

/// A drawn person; sample members (no reserve rank) come with the token
/// hash and questionnaire of the respondent made for them.
pub struct NewMember {
    pub frame_person_id: i64,
    pub stratum: String,
    pub reserve_rank: Option<i64>,
    pub draw_order: i64,
    pub design_weight: f64,
    pub respondent: Option<NewSampleRespondent>,
}

pub struct NewSampleRespondent {
    pub questionnaire_code: String,
    pub unit_id: i64,
    pub token_hash: String,
}

const ROWS_PER_STATEMENT: usize = 3000;

pub enum Stored {
    Drawn(i64),
    AlreadyDrawn,
}

/// Stores a draw whole, or nothing when the campaign already has one.
pub fn insert(
    conn: &mut DbConn,
    d: &NewDraw<'_>,
    members: &[NewMember],
    now: NaiveDateTime,
) -> Result<Stored, StorageError> {
    conn.transaction(|conn| {
        let exists: i64 = draws::table
            .filter(draws::campaign_id.eq(d.campaign_id))
            .count()
            .get_result(conn)?;
        if exists > 0 {
            return Ok(Stored::AlreadyDrawn);
        }
        let values = (
            draws::campaign_id.eq(d.campaign_id),
            draws::frame_id.eq(d.frame_id),
            draws::seed.eq(d.seed),
            draws::frame_sha256.eq(d.frame_sha256),
            draws::rules.eq(d.rules),
            draws::plan.eq(d.plan),
            draws::drawn_at.eq(now),
        );
        let draw_id: i64 = per_backend!(conn => diesel::insert_into(draws::table)
            .values(values)
            .returning(draws::id)
            .get_result(conn))?;
        let sampled: Vec<(&NewMember, &NewSampleRespondent)> = members
            .iter()
            .filter_map(|m| m.respondent.as_ref().map(|r| (m, r)))
            .collect();
        // PostgreSQL takes the rows as one binary COPY (a tenth of the
        // time of INSERTs with bound parameters); SQLite as multi-row INSERTs.
        let rows: Vec<_> = sampled
            .iter()
            .map(|(m, r)| new_respondent(d.campaign_id, r, &m.stratum, now))
            .collect();
        match conn {
            DbConn::Pg(conn) => {
                diesel::copy_from(respondents::table)
                    .from_insertable(rows)
                    .execute(conn)?;
            }
            DbConn::Sqlite(conn) => {
                for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                    diesel::insert_into(respondents::table)
                        .values(chunk)
                        .execute(conn)?;
                }
            }
        }
        let ids = respondent_ids(conn, d.campaign_id)?;
        let rows: Vec<_> = members
            .iter()
            .map(|m| {
                (
                    sm::draw_id.eq(draw_id),
                    sm::frame_person_id.eq(m.frame_person_id),
                    sm::stratum.eq(&m.stratum),
                    sm::reserve_rank.eq(m.reserve_rank),
                    sm::draw_order.eq(m.draw_order),
                    sm::design_weight.eq(m.design_weight),
                    sm::respondent_id.eq(m
                        .respondent
                        .as_ref()
                        .and_then(|r| ids.get(&r.token_hash).copied())),
                )
            })
            .collect();
        match conn {
            DbConn::Pg(conn) => {
                diesel::copy_from(sm::table)
                    .from_insertable(rows)
                    .execute(conn)?;
            }
            DbConn::Sqlite(conn) => {
                for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                    diesel::insert_into(sm::table).values(chunk).execute(conn)?;
                }
            }
        }
        let mut strata: std::collections::BTreeMap<&str, (f64, i64)> = Default::default();
        for m in members {
            let s = strata.entry(m.stratum.as_str()).or_default();
            if m.reserve_rank.is_none() {
                s.0 += m.design_weight;
            }
            if m.respondent.is_some() {
                s.1 += 1;
            }
        }
        let rows: Vec<_> = strata
            .into_iter()
            .map(|(stratum, (represented, invited))| {
                (
                    ds::draw_id.eq(draw_id),
                    ds::stratum.eq(stratum),
                    ds::represented.eq(represented),
                    ds::invited.eq(invited),
                )
            })
            .collect();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            per_backend!(conn => diesel::insert_into(ds::table).values(chunk).execute(conn))?;
        }
        Ok(Stored::Drawn(draw_id))
    })
}

type RespondentValues<'a> = (
    diesel::dsl::Eq<respondents::campaign_id, i64>,
    diesel::dsl::Eq<respondents::questionnaire_code, &'a str>,
    diesel::dsl::Eq<respondents::unit_id, Option<i64>>,
    diesel::dsl::Eq<respondents::token_hash, &'a str>,
    diesel::dsl::Eq<respondents::source, &'static str>,
    diesel::dsl::Eq<respondents::status, &'static str>,
    diesel::dsl::Eq<respondents::created_at, NaiveDateTime>,
    diesel::dsl::Eq<respondents::updated_at, NaiveDateTime>,
    diesel::dsl::Eq<respondents::stratum, Option<&'a str>>,
);

fn new_respondent<'a>(
    campaign_id: i64,
    r: &'a NewSampleRespondent,
    stratum: &'a str,
    now: NaiveDateTime,
) -> RespondentValues<'a> {
    (
        respondents::campaign_id.eq(campaign_id),
        respondents::questionnaire_code.eq(r.questionnaire_code.as_str()),
        respondents::unit_id.eq(Some(r.unit_id)),
        respondents::token_hash.eq(r.token_hash.as_str()),
        respondents::source.eq(RespondentSource::Sample.code()),
        respondents::status.eq(RespondentStatus::New.code()),
        respondents::created_at.eq(now),
        respondents::updated_at.eq(now),
        respondents::stratum.eq(Some(stratum)),
    )
}

fn respondent_ids(
    conn: &mut DbConn,
    campaign_id: i64,
) -> Result<HashMap<String, i64>, StorageError> {
    let rows: Vec<(String, i64)> = respondents::table
        .filter(respondents::campaign_id.eq(campaign_id))
        .select((respondents::token_hash, respondents::id))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The id of the campaign's draw, if drawn: without the stored plan, which
/// for a province is megabytes that a page asking "is there a draw?" or
/// "which strata?" does not need.
pub fn id_of_campaign(conn: &mut DbConn, campaign_id: i64) -> Result<Option<i64>, StorageError> {
    Ok(draws::table
        .filter(draws::campaign_id.eq(campaign_id))
        .select(draws::id)
        .first(conn)
        .optional()?)
}

pub fn of_campaign(conn: &mut DbConn, campaign_id: i64) -> Result<Option<DrawRow>, StorageError> {
    Ok(draws::table
        .filter(draws::campaign_id.eq(campaign_id))
        .select(DrawRow::as_select())
        .first(conn)
        .optional()?)
}

#[derive(Debug, Clone, Queryable)]
pub struct MemberRow {
    pub id: i64,
    pub frame_person_id: i64,
    pub person_key: String,
    pub stratum: String,
    pub reserve_rank: Option<i64>,
    pub draw_order: i64,
    pub design_weight: f64,
    pub released_at: Option<NaiveDateTime>,
    pub respondent_id: Option<i64>,
}

/// Every member of a draw with the person's key, in stratum and draw order.
pub fn members(conn: &mut DbConn, draw_id: i64) -> Result<Vec<MemberRow>, StorageError> {
    Ok(sm::table
        .inner_join(fp::table)
        .filter(sm::draw_id.eq(draw_id))
        .order((sm::stratum, sm::draw_order))
        .select((
            sm::id,
            sm::frame_person_id,
            fp::person_key,
            sm::stratum,
            sm::reserve_rank,
            sm::draw_order,
            sm::design_weight,
            sm::released_at,
            sm::respondent_id,
        ))
        .load(conn)?)
}

pub struct Release {
    pub member_id: i64,
    pub frame_person_id: i64,
    pub respondent_id: i64,
}

/// Releases the next reserve of the stratum of `member_id` in its place,
/// giving it a respondent; None when the stratum has no reserve left or the
/// member was already replaced. `token_hash_for` makes the token hash of a
/// frame person.
pub fn release_reserve(
    conn: &mut DbConn,
    member_id: i64,
    now: NaiveDateTime,
    token_hash_for: &dyn Fn(i64) -> String,
) -> Result<Option<Release>, StorageError> {
    conn.transaction(|conn| {
        let (draw_id, stratum): (i64, String) = sm::table
            .find(member_id)
            .select((sm::draw_id, sm::stratum))
            .first(conn)?;
        let already: i64 = sm::table
            .filter(sm::replaces.eq(member_id))
            .count()
            .get_result(conn)?;
        if already > 0 {
            return Ok(None);
        }
        let next: Option<(i64, i64)> = sm::table
            .filter(sm::draw_id.eq(draw_id))
            .filter(sm::stratum.eq(&stratum))
            .filter(sm::reserve_rank.is_not_null())
            .filter(sm::released_at.is_null())
            .order(sm::reserve_rank)
            .select((sm::id, sm::frame_person_id))
            .first(conn)
            .optional()?;
        let Some((reserve_id, person_id)) = next else {
            return Ok(None);
        };
        // The guard: only one releaser takes this reserve.
        let taken = diesel::update(sm::table.find(reserve_id).filter(sm::released_at.is_null()))
            .set((sm::released_at.eq(now), sm::replaces.eq(member_id)))
            .execute(conn)?;
        if taken == 0 {
            return Ok(None);
        }
        let (campaign_id, questionnaire_code, unit_id): (i64, String, Option<i64>) =
            respondents::table
                .inner_join(sm::table.on(sm::respondent_id.eq(respondents::id.nullable())))
                .filter(sm::id.eq(member_id))
                .select((
                    respondents::campaign_id,
                    respondents::questionnaire_code,
                    respondents::unit_id,
                ))
                .first(conn)?;
        let hash = token_hash_for(person_id);
        let r = NewSampleRespondent {
            questionnaire_code,
            unit_id: unit_id.unwrap_or_default(),
            token_hash: hash,
        };
        let values = new_respondent(campaign_id, &r, &stratum, now);
        let respondent_id: i64 = per_backend!(conn => diesel::insert_into(respondents::table)
            .values(values)
            .returning(respondents::id)
            .get_result(conn))?;
        diesel::update(sm::table.find(reserve_id))
            .set(sm::respondent_id.eq(respondent_id))
            .execute(conn)?;
        diesel::update(ds::table.find((draw_id, &stratum)))
            .set(ds::invited.eq(ds::invited + 1))
            .execute(conn)?;
        Ok(Some(Release {
            member_id: reserve_id,
            frame_person_id: person_id,
            respondent_id,
        }))
    })
}

/// The stored code of a letter in `contact_attempts.mode`.
pub const LETTER: &str = "letter";

/// A drawn person with a respondent and no first message yet.
#[derive(Debug, Clone)]
pub struct Uninvited {
    pub member_id: i64,
    pub respondent_id: i64,
    pub email: Option<String>,
    pub has_address: bool,
}

/// Sample members (and released reserves) with a respondent but no message
/// `seq` 0 yet.
pub fn uninvited(conn: &mut DbConn, draw_id: i64) -> Result<Vec<Uninvited>, StorageError> {
    use super::schema::invitations as inv;
    type Raw = (i64, Option<i64>, Option<String>, Option<String>);
    let rows: Vec<Raw> = sm::table
        .inner_join(fp::table)
        .left_join(
            inv::table.on(inv::respondent_id
                .nullable()
                .eq(sm::respondent_id)
                .and(inv::seq.eq(0))),
        )
        .filter(sm::draw_id.eq(draw_id))
        .filter(sm::respondent_id.is_not_null())
        .filter(inv::id.nullable().is_null())
        .order(sm::id)
        .select((sm::id, sm::respondent_id, fp::email, fp::address))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(member_id, r, email, address)| {
            Some(Uninvited {
                member_id,
                respondent_id: r?,
                email,
                has_address: address.is_some(),
            })
        })
        .collect())
}

/// Whether a drawn person's frame row has an e-mail and a postal address.
pub fn reach_of(
    conn: &mut DbConn,
    respondent_id: i64,
) -> Result<crate::domain::contact::Reach, StorageError> {
    let (email, address): (Option<String>, Option<String>) = sm::table
        .inner_join(fp::table)
        .filter(sm::respondent_id.eq(respondent_id))
        .select((fp::email, fp::address))
        .first(conn)
        .optional()?
        .unwrap_or_default();
    Ok(crate::domain::contact::Reach {
        email: email.is_some(),
        address: address.is_some(),
    })
}

/// The member a respondent was made for.
pub fn member_of(conn: &mut DbConn, respondent_id: i64) -> Result<Option<i64>, StorageError> {
    Ok(sm::table
        .filter(sm::respondent_id.eq(respondent_id))
        .select(sm::id)
        .first(conn)
        .optional()?)
}

/// One drawn person's state, for response rates.
#[derive(Debug, Clone, Queryable)]
pub struct MemberState {
    pub unit_id: i64,
    pub group: String,
    pub stratum: String,
    pub reserve_rank: Option<i64>,
    pub released: bool,
    pub status: Option<String>,
    pub opened: bool,
    pub opted_out: bool,
    pub invitation: Option<String>,
    /// A letter was printed for the person.
    pub lettered: bool,
}

pub fn member_states(conn: &mut DbConn, draw_id: i64) -> Result<Vec<MemberState>, StorageError> {
    use super::schema::invitations as inv;
    type Raw = (
        i64,
        String,
        String,
        Option<i64>,
        Option<NaiveDateTime>,
        Option<String>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        Option<String>,
        Option<i64>,
    );
    use super::schema::contact_attempts as ca;
    let rows: Vec<Raw> = sm::table
        .inner_join(fp::table)
        .left_join(respondents::table.on(respondents::id.nullable().eq(sm::respondent_id)))
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
        .select((
            fp::unit_id,
            fp::respondent_group,
            sm::stratum,
            sm::reserve_rank,
            sm::released_at,
            respondents::status.nullable(),
            respondents::opened_at
                .nullable()
                .assume_not_null()
                .nullable(),
            respondents::opted_out_at
                .nullable()
                .assume_not_null()
                .nullable(),
            inv::state.nullable(),
            ca::id.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| MemberState {
            unit_id: r.0,
            group: r.1,
            stratum: r.2,
            reserve_rank: r.3,
            released: r.4.is_some(),
            status: r.5,
            opened: r.6.is_some(),
            opted_out: r.7.is_some(),
            invitation: r.8,
            lettered: r.9.is_some(),
        })
        .collect())
}

/// Σ design weights of the original sample per stratum (reserves left out):
/// the number of people each stratum stands for. Kept per stratum with the
/// draw: a results page must not sum a million members.
pub fn represented(conn: &mut DbConn, draw_id: i64) -> Result<Vec<(String, f64)>, StorageError> {
    Ok(ds::table
        .filter(ds::draw_id.eq(draw_id))
        .order(ds::stratum)
        .select((ds::stratum, ds::represented))
        .load(conn)?)
}

/// Per stratum, the members who were given a respondent token (sampled, or
/// reserves once released): the invited of the response rate.
pub fn invited_per_stratum(
    conn: &mut DbConn,
    draw_id: i64,
) -> Result<HashMap<String, u64>, StorageError> {
    let rows: Vec<(String, i64)> = ds::table
        .filter(ds::draw_id.eq(draw_id))
        .select((ds::stratum, ds::invited))
        .load(conn)?;
    Ok(rows.into_iter().map(|(s, n)| (s, n as u64)).collect())
}
