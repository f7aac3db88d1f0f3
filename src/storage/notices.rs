//! The queue of notices to staff: queued once per `dedup_key`, claimed by
//! the sender when due, then sent, retried later or failed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{notices as n, users};
use super::{DbConn, StorageError};
use crate::per_backend;

pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

pub struct NewNotice<'a> {
    pub user_id: i64,
    pub kind: &'a str,
    pub dedup_key: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
}

/// Queues a notice; false when one with the same key was queued before.
pub fn enqueue(
    conn: &mut DbConn,
    x: &NewNotice<'_>,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    let values = (
        n::user_id.eq(x.user_id),
        n::kind.eq(x.kind),
        n::dedup_key.eq(x.dedup_key),
        n::subject.eq(x.subject),
        n::body_text.eq(x.body_text),
        n::body_html.eq(x.body_html),
        n::state.eq(QUEUED),
        n::attempts.eq(0),
        n::next_attempt_at.eq(now),
        n::created_at.eq(now),
    );
    let inserted: usize = per_backend!(conn => diesel::insert_into(n::table)
        .values(values)
        .on_conflict_do_nothing()
        .execute(conn))?;
    Ok(inserted == 1)
}

#[derive(Debug, Clone, Queryable)]
pub struct DueNotice {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i32,
    pub email: Option<String>,
    pub display_name: String,
}

/// Queued notices whose time has come, oldest first, with the address.
pub fn due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<DueNotice>, StorageError> {
    Ok(n::table
        .inner_join(users::table.on(users::id.eq(n::user_id)))
        .filter(n::state.eq(QUEUED))
        .filter(n::next_attempt_at.le(now))
        .order(n::id)
        .limit(limit)
        .select((
            n::id,
            n::kind,
            n::subject,
            n::body_text,
            n::body_html,
            n::attempts,
            users::email,
            users::display_name,
        ))
        .load(conn)?)
}

pub fn mark_sent(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<(), StorageError> {
    diesel::update(n::table.find(id).filter(n::state.eq(QUEUED)))
        .set((n::state.eq(SENT), n::sent_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// Another try later, or given up (`next` None).
pub fn mark_failed_try(
    conn: &mut DbConn,
    id: i64,
    attempts: i32,
    next: Option<NaiveDateTime>,
    error: &str,
) -> Result<(), StorageError> {
    let q = diesel::update(n::table.find(id).filter(n::state.eq(QUEUED)));
    match next {
        Some(at) => q
            .set((
                n::attempts.eq(attempts),
                n::next_attempt_at.eq(at),
                n::last_error.eq(error),
            ))
            .execute(conn)?,
        None => q
            .set((
                n::attempts.eq(attempts),
                n::state.eq(FAILED),
                n::last_error.eq(error),
            ))
            .execute(conn)?,
    };
    Ok(())
}

/// (kind, state, count) over every notice.
pub fn counts(conn: &mut DbConn) -> Result<Vec<(String, String, i64)>, StorageError> {
    Ok(n::table
        .group_by((n::kind, n::state))
        .select((n::kind, n::state, diesel::dsl::count_star()))
        .load(conn)?)
}
