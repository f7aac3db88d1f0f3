use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::questionnaire_versions as qv;
use super::{DbConn, StorageError};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = qv)]
pub struct VersionRow {
    pub id: i64,
    pub code: String,
    pub content_hash: String,
    pub title: String,
    pub source: String,
    pub created_at: NaiveDateTime,
}

/// The stored version with this content, stored now if it is new. The same
/// file opened in two campaigns is one version.
pub fn freeze(
    conn: &mut DbConn,
    code: &str,
    hash: &str,
    title: &str,
    source: &str,
    now: NaiveDateTime,
) -> Result<i64, StorageError> {
    let find = |conn: &mut DbConn| {
        qv::table
            .filter(qv::code.eq(code).and(qv::content_hash.eq(hash)))
            .select(qv::id)
            .first::<i64>(conn)
            .optional()
    };
    if let Some(id) = find(conn)? {
        return Ok(id);
    }
    let inserted = diesel::insert_into(qv::table)
        .values((
            qv::code.eq(code),
            qv::content_hash.eq(hash),
            qv::title.eq(title),
            qv::source.eq(source),
            qv::created_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => {}
        // Another instance froze the same file a moment ago.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {}
        Err(e) => return Err(e.into()),
    }
    find(conn)?.ok_or(StorageError::Query(diesel::result::Error::NotFound))
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<Option<VersionRow>, StorageError> {
    Ok(qv::table
        .find(id)
        .select(VersionRow::as_select())
        .first(conn)
        .optional()?)
}
