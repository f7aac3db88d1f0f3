use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{
    campaign_questionnaires as cq, campaigns, plan_rules, questionnaire_versions as qv,
};
use super::{DbConn, StorageError};
use crate::per_backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = campaigns)]
pub struct CampaignRow {
    pub id: i64,
    pub year: i32,
    pub name: String,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub anonymous: bool,
    pub created_at: NaiveDateTime,
    pub profile_code: Option<String>,
    /// The profile's text as it was when the campaign opened.
    pub profile_source: Option<String>,
    /// Hex SHA-256 of `profile_source`.
    pub profile_sha256: Option<String>,
    /// When an administrator archived it: out of the lists, data kept.
    pub archived_at: Option<NaiveDateTime>,
}

pub struct NewCampaign<'a> {
    pub year: i32,
    pub name: &'a str,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub anonymous: bool,
    pub profile_code: Option<&'a str>,
    pub profile_source: Option<&'a str>,
    pub profile_sha256: Option<&'a str>,
}

/// A campaign's questionnaire: the code respondents see in links and the
/// frozen version they answer.
#[derive(Debug, Clone, Queryable)]
pub struct CampaignQuestionnaire {
    pub code: String,
    pub version_id: i64,
    pub content_hash: String,
    pub title: String,
    /// Whether anyone may start this questionnaire through its open link.
    pub open_link: bool,
}

pub fn insert(
    conn: &mut DbConn,
    c: &NewCampaign<'_>,
    versions: &[(String, i64, bool)],
    rules: &[(&str, String)],
    now: NaiveDateTime,
) -> Result<i64, StorageError> {
    conn.transaction(|conn| {
        let values = (
            campaigns::year.eq(c.year),
            campaigns::name.eq(c.name),
            campaigns::opens_at.eq(c.opens_at),
            campaigns::closes_at.eq(c.closes_at),
            campaigns::anonymous.eq(c.anonymous),
            campaigns::created_at.eq(now),
            campaigns::profile_code.eq(c.profile_code),
            campaigns::profile_source.eq(c.profile_source),
            campaigns::profile_sha256.eq(c.profile_sha256),
        );
        let id: i64 = per_backend!(conn => diesel::insert_into(campaigns::table).values(values).returning(campaigns::id).get_result(conn))?;
        for (code, version, open_link) in versions {
            diesel::insert_into(cq::table)
                .values((
                    cq::campaign_id.eq(id),
                    cq::code.eq(code),
                    cq::questionnaire_version_id.eq(version),
                    cq::open_link.eq(open_link),
                ))
                .execute(conn)?;
        }
        for (group, rule) in rules {
            diesel::insert_into(plan_rules::table)
                .values((
                    plan_rules::campaign_id.eq(id),
                    plan_rules::respondent_group.eq(group),
                    plan_rules::rule.eq(rule),
                    plan_rules::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(id)
    })
}

/// Opens or closes a questionnaire's open link; false when the campaign has
/// no such questionnaire.
pub fn set_open_link(
    conn: &mut DbConn,
    campaign_id: i64,
    code: &str,
    open: bool,
) -> Result<bool, StorageError> {
    let n =
        diesel::update(cq::table.filter(cq::campaign_id.eq(campaign_id).and(cq::code.eq(code))))
            .set(cq::open_link.eq(open))
            .execute(conn)?;
    Ok(n == 1)
}

/// The campaign's sampling rules per respondent group, as TOML.
pub fn plan_rules(
    conn: &mut DbConn,
    campaign_id: i64,
) -> Result<Vec<(String, String)>, StorageError> {
    Ok(plan_rules::table
        .filter(plan_rules::campaign_id.eq(campaign_id))
        .order(plan_rules::respondent_group)
        .select((plan_rules::respondent_group, plan_rules::rule))
        .load(conn)?)
}

/// Sets (or with `None` removes) one group's rule.
pub fn set_plan_rule(
    conn: &mut DbConn,
    campaign_id: i64,
    group: &str,
    rule: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    conn.transaction(|conn| {
        diesel::delete(
            plan_rules::table
                .filter(plan_rules::campaign_id.eq(campaign_id))
                .filter(plan_rules::respondent_group.eq(group)),
        )
        .execute(conn)?;
        if let Some(rule) = rule {
            diesel::insert_into(plan_rules::table)
                .values((
                    plan_rules::campaign_id.eq(campaign_id),
                    plan_rules::respondent_group.eq(group),
                    plan_rules::rule.eq(rule),
                    plan_rules::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<Option<CampaignRow>, StorageError> {
    Ok(campaigns::table
        .find(id)
        .select(CampaignRow::as_select())
        .first(conn)
        .optional()?)
}

/// Closes the survey at `closes_at` (earlier to close it now, later to
/// extend it).
pub fn set_closes_at(
    conn: &mut DbConn,
    id: i64,
    closes_at: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(campaigns::table.find(id))
        .set(campaigns::closes_at.eq(closes_at))
        .execute(conn)?;
    Ok(())
}

pub fn set_archived(
    conn: &mut DbConn,
    id: i64,
    at: Option<NaiveDateTime>,
) -> Result<(), StorageError> {
    diesel::update(campaigns::table.find(id))
        .set(campaigns::archived_at.eq(at))
        .execute(conn)?;
    Ok(())
}

pub fn list(conn: &mut DbConn) -> Result<Vec<CampaignRow>, StorageError> {
    Ok(campaigns::table
        .order(campaigns::id.desc())
        .select(CampaignRow::as_select())
        .load(conn)?)
}

pub fn questionnaires(
    conn: &mut DbConn,
    campaign_id: i64,
) -> Result<Vec<CampaignQuestionnaire>, StorageError> {
    Ok(cq::table
        .inner_join(qv::table)
        .filter(cq::campaign_id.eq(campaign_id))
        .order(cq::code)
        .select((
            cq::code,
            cq::questionnaire_version_id,
            qv::content_hash,
            qv::title,
            cq::open_link,
        ))
        .load(conn)?)
}

pub fn questionnaire(
    conn: &mut DbConn,
    campaign_id: i64,
    code: &str,
) -> Result<Option<CampaignQuestionnaire>, StorageError> {
    Ok(cq::table
        .inner_join(qv::table)
        .filter(cq::campaign_id.eq(campaign_id).and(cq::code.eq(code)))
        .select((
            cq::code,
            cq::questionnaire_version_id,
            qv::content_hash,
            qv::title,
            cq::open_link,
        ))
        .first(conn)
        .optional()?)
}
