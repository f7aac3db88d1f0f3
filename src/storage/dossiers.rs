//! Self-assessment dossiers: the dossier per campaign and unit, the unit's
//! self-scores and the appraisers' decisions per leaf criterion.
//!
//! The dossier's stage is a text column; it is read and written only through
//! [`DossierStage::code`] and [`DossierStage::parse`], so a row with a stage
//! this version does not know fails to load instead of passing for another.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{appraisals, dossiers, self_scores};
use super::{DbConn, StorageError};
use crate::domain::index::DossierStage;
use crate::per_backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dossiers)]
pub struct DossierRow {
    pub id: i64,
    pub campaign_id: i64,
    pub unit_id: i64,
    #[diesel(deserialize_as = String)]
    pub state: DossierStage,
    pub submitted_at: Option<NaiveDateTime>,
    pub approved_by: Option<i64>,
    pub approved_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Evidence as stored: a file kept by its SHA-256, or a document reference.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct EvidenceCols {
    pub sha256: Option<String>,
    pub name: Option<String>,
    pub size: Option<i64>,
    pub kind: Option<String>,
    pub reference: Option<String>,
}

impl EvidenceCols {
    pub fn is_some(&self) -> bool {
        self.sha256.is_some() || self.reference.as_deref().is_some_and(|r| !r.is_empty())
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct SelfScoreRow {
    pub criterion: String,
    pub points_micro: i64,
    pub explanation: String,
    pub evidence_sha256: Option<String>,
    pub evidence_name: Option<String>,
    pub evidence_size: Option<i64>,
    pub evidence_type: Option<String>,
    pub evidence_ref: Option<String>,
    pub updated_by: i64,
    pub updated_at: NaiveDateTime,
}

impl SelfScoreRow {
    pub fn evidence(&self) -> EvidenceCols {
        EvidenceCols {
            sha256: self.evidence_sha256.clone(),
            name: self.evidence_name.clone(),
            size: self.evidence_size,
            kind: self.evidence_type.clone(),
            reference: self.evidence_ref.clone(),
        }
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct AppraisalRow {
    pub criterion: String,
    pub points_micro: Option<i64>,
    pub evidence: String,
    pub not_applicable: bool,
    pub reason: String,
    pub appraiser_id: i64,
    pub updated_at: NaiveDateTime,
}

/// Runs `f` in one transaction: everything it writes is kept, or nothing.
pub fn transaction<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<StorageError>,
{
    enum Failure<E> {
        Db(diesel::result::Error),
        App(E),
    }
    impl<E> From<diesel::result::Error> for Failure<E> {
        fn from(e: diesel::result::Error) -> Self {
            Failure::Db(e)
        }
    }
    conn.transaction::<T, Failure<E>, _>(|c| f(c).map_err(Failure::App))
        .map_err(|e| match e {
            Failure::Db(d) => E::from(StorageError::Query(d)),
            Failure::App(e) => e,
        })
}

pub fn find(
    conn: &mut DbConn,
    campaign_id: i64,
    unit_id: i64,
) -> Result<Option<DossierRow>, StorageError> {
    Ok(dossiers::table
        .filter(dossiers::campaign_id.eq(campaign_id))
        .filter(dossiers::unit_id.eq(unit_id))
        .select(DossierRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn of_campaign(conn: &mut DbConn, campaign_id: i64) -> Result<Vec<DossierRow>, StorageError> {
    Ok(dossiers::table
        .filter(dossiers::campaign_id.eq(campaign_id))
        .order(dossiers::id)
        .select(DossierRow::as_select())
        .load(conn)?)
}

/// The dossier of a unit, created as a draft when it has none yet.
pub fn get_or_create(
    conn: &mut DbConn,
    campaign_id: i64,
    unit_id: i64,
    now: NaiveDateTime,
) -> Result<DossierRow, StorageError> {
    if let Some(d) = find(conn, campaign_id, unit_id)? {
        return Ok(d);
    }
    let values = (
        dossiers::campaign_id.eq(campaign_id),
        dossiers::unit_id.eq(unit_id),
        dossiers::state.eq(DossierStage::Draft.code()),
        dossiers::created_at.eq(now),
        dossiers::updated_at.eq(now),
    );
    // Two first writes at once: the second finds the first's row.
    per_backend!(conn => diesel::insert_into(dossiers::table)
        .values(values)
        .on_conflict((dossiers::campaign_id, dossiers::unit_id))
        .do_nothing()
        .execute(conn))?;
    find(conn, campaign_id, unit_id)?.ok_or(StorageError::Query(diesel::result::Error::NotFound))
}

/// Writes the dossier's row without changing it, to take its lock first in
/// a transaction.
pub fn touch(conn: &mut DbConn, campaign_id: i64, unit_id: i64) -> Result<(), StorageError> {
    diesel::update(
        dossiers::table
            .filter(dossiers::campaign_id.eq(campaign_id))
            .filter(dossiers::unit_id.eq(unit_id)),
    )
    .set(dossiers::updated_at.eq(dossiers::updated_at))
    .execute(conn)?;
    Ok(())
}

pub fn set_state(
    conn: &mut DbConn,
    id: i64,
    state: DossierStage,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(dossiers::table.find(id))
        .set((
            dossiers::state.eq(state.code()),
            dossiers::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn mark_submitted(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<(), StorageError> {
    diesel::update(dossiers::table.find(id))
        .set((
            dossiers::state.eq(DossierStage::Submitted.code()),
            dossiers::submitted_at.eq(Some(now)),
            dossiers::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn mark_approved(
    conn: &mut DbConn,
    id: i64,
    by: i64,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(dossiers::table.find(id))
        .set((
            dossiers::state.eq(DossierStage::Approved.code()),
            dossiers::approved_by.eq(Some(by)),
            dossiers::approved_at.eq(Some(now)),
            dossiers::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn self_scores(conn: &mut DbConn, dossier_id: i64) -> Result<Vec<SelfScoreRow>, StorageError> {
    Ok(self_scores_of(conn, &[dossier_id])?
        .into_iter()
        .map(|(_, row)| row)
        .collect())
}

/// The self-scores of many dossiers in one query, each with its dossier
/// (the index table reads every unit's at once).
pub fn self_scores_of(
    conn: &mut DbConn,
    dossier_ids: &[i64],
) -> Result<Vec<(i64, SelfScoreRow)>, StorageError> {
    Ok(self_scores::table
        .filter(self_scores::dossier_id.eq_any(dossier_ids))
        .order((self_scores::dossier_id, self_scores::criterion))
        .select((
            self_scores::dossier_id,
            (
                self_scores::criterion,
                self_scores::points_micro,
                self_scores::explanation,
                self_scores::evidence_sha256,
                self_scores::evidence_name,
                self_scores::evidence_size,
                self_scores::evidence_type,
                self_scores::evidence_ref,
                self_scores::updated_by,
                self_scores::updated_at,
            ),
        ))
        .load(conn)?)
}

pub struct SelfScoreWrite<'a> {
    pub dossier_id: i64,
    pub criterion: &'a str,
    pub points_micro: i64,
    pub explanation: &'a str,
    pub evidence: &'a EvidenceCols,
    pub by: i64,
    pub now: NaiveDateTime,
}

/// Replaces the self-score of one criterion (update first, then insert).
pub fn put_self_score(conn: &mut DbConn, w: &SelfScoreWrite<'_>) -> Result<(), StorageError> {
    let key = self_scores::table
        .filter(self_scores::dossier_id.eq(w.dossier_id))
        .filter(self_scores::criterion.eq(w.criterion));
    let n = diesel::update(key)
        .set((
            self_scores::points_micro.eq(w.points_micro),
            self_scores::explanation.eq(w.explanation),
            self_scores::evidence_sha256.eq(w.evidence.sha256.as_deref()),
            self_scores::evidence_name.eq(w.evidence.name.as_deref()),
            self_scores::evidence_size.eq(w.evidence.size),
            self_scores::evidence_type.eq(w.evidence.kind.as_deref()),
            self_scores::evidence_ref.eq(w.evidence.reference.as_deref()),
            self_scores::updated_by.eq(w.by),
            self_scores::updated_at.eq(w.now),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(self_scores::table)
            .values((
                self_scores::dossier_id.eq(w.dossier_id),
                self_scores::criterion.eq(w.criterion),
                self_scores::points_micro.eq(w.points_micro),
                self_scores::explanation.eq(w.explanation),
                self_scores::evidence_sha256.eq(w.evidence.sha256.as_deref()),
                self_scores::evidence_name.eq(w.evidence.name.as_deref()),
                self_scores::evidence_size.eq(w.evidence.size),
                self_scores::evidence_type.eq(w.evidence.kind.as_deref()),
                self_scores::evidence_ref.eq(w.evidence.reference.as_deref()),
                self_scores::updated_by.eq(w.by),
                self_scores::updated_at.eq(w.now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn appraisals(conn: &mut DbConn, dossier_id: i64) -> Result<Vec<AppraisalRow>, StorageError> {
    Ok(appraisals_of(conn, &[dossier_id])?
        .into_iter()
        .map(|(_, row)| row)
        .collect())
}

/// The appraisals of many dossiers in one query, each with its dossier.
pub fn appraisals_of(
    conn: &mut DbConn,
    dossier_ids: &[i64],
) -> Result<Vec<(i64, AppraisalRow)>, StorageError> {
    Ok(appraisals::table
        .filter(appraisals::dossier_id.eq_any(dossier_ids))
        .order((appraisals::dossier_id, appraisals::criterion))
        .select((
            appraisals::dossier_id,
            (
                appraisals::criterion,
                appraisals::points_micro,
                appraisals::evidence,
                appraisals::not_applicable,
                appraisals::reason,
                appraisals::appraiser_id,
                appraisals::updated_at,
            ),
        ))
        .load(conn)?)
}

pub struct AppraisalWrite<'a> {
    pub dossier_id: i64,
    pub criterion: &'a str,
    pub points_micro: Option<i64>,
    pub evidence: &'a str,
    pub not_applicable: bool,
    pub reason: &'a str,
    pub by: i64,
    pub now: NaiveDateTime,
}

pub fn put_appraisal(conn: &mut DbConn, w: &AppraisalWrite<'_>) -> Result<(), StorageError> {
    let key = appraisals::table
        .filter(appraisals::dossier_id.eq(w.dossier_id))
        .filter(appraisals::criterion.eq(w.criterion));
    let n = diesel::update(key)
        .set((
            appraisals::points_micro.eq(w.points_micro),
            appraisals::evidence.eq(w.evidence),
            appraisals::not_applicable.eq(w.not_applicable),
            appraisals::reason.eq(w.reason),
            appraisals::appraiser_id.eq(w.by),
            appraisals::updated_at.eq(w.now),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(appraisals::table)
            .values((
                appraisals::dossier_id.eq(w.dossier_id),
                appraisals::criterion.eq(w.criterion),
                appraisals::points_micro.eq(w.points_micro),
                appraisals::evidence.eq(w.evidence),
                appraisals::not_applicable.eq(w.not_applicable),
                appraisals::reason.eq(w.reason),
                appraisals::appraiser_id.eq(w.by),
                appraisals::updated_at.eq(w.now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Sets only the evidence status of an existing appraisal.
pub fn set_appraisal_evidence(
    conn: &mut DbConn,
    dossier_id: i64,
    criterion: &str,
    evidence: &str,
    now: NaiveDateTime,
) -> Result<usize, StorageError> {
    Ok(diesel::update(
        appraisals::table
            .filter(appraisals::dossier_id.eq(dossier_id))
            .filter(appraisals::criterion.eq(criterion)),
    )
    .set((
        appraisals::evidence.eq(evidence),
        appraisals::updated_at.eq(now),
    ))
    .execute(conn)?)
}

/// Every evidence file (by SHA-256) a self-assessment or an explanation
/// answer references.
pub fn referenced_evidence(
    conn: &mut DbConn,
) -> Result<std::collections::HashSet<String>, StorageError> {
    use super::schema::explanations;
    let mut out: std::collections::HashSet<String> = self_scores::table
        .filter(self_scores::evidence_sha256.is_not_null())
        .select(self_scores::evidence_sha256.assume_not_null())
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .collect();
    out.extend(
        explanations::table
            .filter(explanations::evidence_sha256.is_not_null())
            .select(explanations::evidence_sha256.assume_not_null())
            .distinct()
            .load::<String>(conn)?,
    );
    Ok(out)
}

/// Whether any self-assessment or explanation answer references this file.
pub fn evidence_referenced(conn: &mut DbConn, sha256: &str) -> Result<bool, StorageError> {
    use super::schema::explanations;
    use diesel::dsl::exists;
    let own: bool = diesel::select(exists(
        self_scores::table.filter(self_scores::evidence_sha256.eq(sha256)),
    ))
    .get_result(conn)?;
    if own {
        return Ok(true);
    }
    Ok(diesel::select(exists(
        explanations::table.filter(explanations::evidence_sha256.eq(sha256)),
    ))
    .get_result(conn)?)
}
