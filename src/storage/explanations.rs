//! Requests to explain or add evidence, per criterion, and the unit's answers.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::dossiers::EvidenceCols;
use super::schema::explanations as ex;
use super::{DbConn, StorageError};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ex)]
pub struct ExplanationRow {
    pub id: i64,
    pub dossier_id: i64,
    pub criterion: String,
    pub request: String,
    pub requested_by: i64,
    pub requested_at: NaiveDateTime,
    pub answer: Option<String>,
    pub evidence_sha256: Option<String>,
    pub evidence_name: Option<String>,
    pub evidence_size: Option<i64>,
    pub evidence_type: Option<String>,
    pub evidence_ref: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<NaiveDateTime>,
}

impl ExplanationRow {
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

pub fn of_dossier(conn: &mut DbConn, dossier_id: i64) -> Result<Vec<ExplanationRow>, StorageError> {
    of_dossiers(conn, &[dossier_id])
}

/// The requests of many dossiers in one query, in the order they were made.
pub fn of_dossiers(
    conn: &mut DbConn,
    dossier_ids: &[i64],
) -> Result<Vec<ExplanationRow>, StorageError> {
    Ok(ex::table
        .filter(ex::dossier_id.eq_any(dossier_ids))
        .order(ex::id)
        .select(ExplanationRow::as_select())
        .load(conn)?)
}

pub fn insert_request(
    conn: &mut DbConn,
    dossier_id: i64,
    criterion: &str,
    request: &str,
    by: i64,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::insert_into(ex::table)
        .values((
            ex::dossier_id.eq(dossier_id),
            ex::criterion.eq(criterion),
            ex::request.eq(request),
            ex::requested_by.eq(by),
            ex::requested_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records the answer to a request not answered yet; false when it was.
pub fn answer(
    conn: &mut DbConn,
    id: i64,
    answer: &str,
    evidence: &EvidenceCols,
    by: i64,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::update(ex::table.find(id).filter(ex::answered_at.is_null()))
        .set((
            ex::answer.eq(Some(answer)),
            ex::evidence_sha256.eq(evidence.sha256.as_deref()),
            ex::evidence_name.eq(evidence.name.as_deref()),
            ex::evidence_size.eq(evidence.size),
            ex::evidence_type.eq(evidence.kind.as_deref()),
            ex::evidence_ref.eq(evidence.reference.as_deref()),
            ex::answered_by.eq(Some(by)),
            ex::answered_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(n == 1)
}
