use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{api_tokens, sessions, users};
use super::{DbConn, StorageError};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit_id: Option<i64>,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Where the staff notices go; none, none sent.
    pub email: Option<String>,
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub unit_id: Option<i64>,
    pub password_hash: &'a str,
}

pub fn insert(conn: &mut DbConn, u: &NewUser<'_>, now: NaiveDateTime) -> Result<(), StorageError> {
    diesel::insert_into(users::table)
        .values((
            users::username.eq(u.username),
            users::display_name.eq(u.display_name),
            users::role.eq(u.role),
            users::unit_id.eq(u.unit_id),
            users::password_hash.eq(u.password_hash),
            users::disabled.eq(false),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn by_username(conn: &mut DbConn, username: &str) -> Result<Option<UserRow>, StorageError> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut DbConn) -> Result<Vec<UserRow>, StorageError> {
    Ok(users::table
        .order(users::username)
        .select(UserRow::as_select())
        .load(conn)?)
}

/// Sets a new password hash and ends every session and API token of the
/// account (a reset usually follows a suspected leak).
pub fn set_password(
    conn: &mut DbConn,
    id: i64,
    hash: &str,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    conn.transaction(|conn| {
        let n = diesel::update(users::table.find(id))
            .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
            .execute(conn)?;
        end_access(conn, id, now)?;
        Ok(n == 1)
    })
}

/// Disables or re-enables an account; disabling ends its sessions and API
/// tokens, so re-enabling does not bring old credentials back.
pub fn set_disabled(
    conn: &mut DbConn,
    id: i64,
    disabled: bool,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    conn.transaction(|conn| {
        let n = diesel::update(users::table.find(id))
            .set((users::disabled.eq(disabled), users::updated_at.eq(now)))
            .execute(conn)?;
        if disabled {
            end_access(conn, id, now)?;
        }
        Ok(n == 1)
    })
}

/// Sets or clears an account's e-mail address.
pub fn set_email(
    conn: &mut DbConn,
    id: i64,
    email: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(users::table.find(id))
        .set((users::email.eq(email), users::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// The enabled accounts of a role attached to a unit (its officers) that
/// have an e-mail address.
pub fn of_unit(conn: &mut DbConn, unit_id: i64, role: &str) -> Result<Vec<UserRow>, StorageError> {
    Ok(users::table
        .filter(users::unit_id.eq(unit_id))
        .filter(users::role.eq(role))
        .filter(users::disabled.eq(false))
        .filter(users::email.is_not_null())
        .select(UserRow::as_select())
        .load(conn)?)
}

/// Enabled accounts with an e-mail address among `ids`.
pub fn reachable(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<UserRow>, StorageError> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .filter(users::disabled.eq(false))
        .filter(users::email.is_not_null())
        .select(UserRow::as_select())
        .load(conn)?)
}

/// Changes an account's role and unit. Sessions stay: every request reads
/// the account afresh, so the new role applies from the next page on.
pub fn set_role(
    conn: &mut DbConn,
    id: i64,
    role: &str,
    unit_id: Option<i64>,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::update(users::table.find(id))
        .set((
            users::role.eq(role),
            users::unit_id.eq(unit_id),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Ends every session and API token of an account (signed in on a lost
/// phone, a shared computer).
pub fn end_sessions(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<(), StorageError> {
    conn.transaction(|conn| end_access(conn, id, now))
}

fn end_access(conn: &mut DbConn, user_id: i64, now: NaiveDateTime) -> Result<(), StorageError> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)?;
    diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}
