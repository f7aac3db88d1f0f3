use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{sessions, users};
use super::users::UserRow;
use super::{DbConn, StorageError};

pub fn create(
    conn: &mut DbConn,
    id_hash: &str,
    user_id: i64,
    csrf: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<(), StorageError> {
    conn.transaction(|conn| {
        diesel::insert_into(sessions::table)
            .values((
                sessions::id_hash.eq(id_hash),
                sessions::user_id.eq(user_id),
                sessions::csrf_token.eq(csrf),
                sessions::created_at.eq(now),
                sessions::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        // Logging in is a good moment to forget expired sessions.
        diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)?;
        Ok(())
    })
}

/// The live session with this hash and its enabled user.
pub fn find(
    conn: &mut DbConn,
    id_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<(String, UserRow)>, StorageError> {
    Ok(sessions::table
        .inner_join(users::table)
        .filter(sessions::id_hash.eq(id_hash))
        .filter(sessions::expires_at.gt(now))
        .filter(users::disabled.eq(false))
        .select((sessions::csrf_token, UserRow::as_select()))
        .first(conn)
        .optional()?)
}

pub fn delete(conn: &mut DbConn, id_hash: &str) -> Result<(), StorageError> {
    diesel::delete(sessions::table.filter(sessions::id_hash.eq(id_hash))).execute(conn)?;
    Ok(())
}

/// The live sessions of every account: (user id, started, expires), newest
/// first. The session ids themselves are only stored as hashes.
pub fn live(
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> Result<Vec<(i64, NaiveDateTime, NaiveDateTime)>, StorageError> {
    Ok(sessions::table
        .filter(sessions::expires_at.gt(now))
        .order(sessions::created_at.desc())
        .select((
            sessions::user_id,
            sessions::created_at,
            sessions::expires_at,
        ))
        .load(conn)?)
}
