use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{api_tokens as t, users};
use super::users::UserRow;
use super::{DbConn, StorageError};

pub fn insert(
    conn: &mut DbConn,
    user_id: i64,
    token_hash: &str,
    label: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::insert_into(t::table)
        .values((
            t::user_id.eq(user_id),
            t::token_hash.eq(token_hash),
            t::label.eq(label),
            t::created_at.eq(now),
            t::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The enabled owner of a live token with this hash.
pub fn owner(
    conn: &mut DbConn,
    token_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<UserRow>, StorageError> {
    Ok(t::table
        .inner_join(users::table)
        .filter(t::token_hash.eq(token_hash))
        .filter(t::expires_at.gt(now))
        .filter(t::revoked_at.is_null())
        .filter(users::disabled.eq(false))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Revokes every live token of a user; returns how many.
pub fn revoke_all(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<usize, StorageError> {
    Ok(diesel::update(
        t::table
            .filter(t::user_id.eq(user_id))
            .filter(t::revoked_at.is_null()),
    )
    .set(t::revoked_at.eq(now))
    .execute(conn)?)
}
