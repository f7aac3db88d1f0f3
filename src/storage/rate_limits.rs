use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::rate_limits as rl;
use super::{DbConn, StorageError};
use crate::domain::throttle::Window;
use crate::per_backend;

/// Counts one hit in the bucket's current window and returns the hits of
/// the sliding window, this one included.
pub fn hit(conn: &mut DbConn, bucket: &str, window: &Window) -> Result<f64, StorageError> {
    let values = (
        rl::bucket.eq(bucket),
        rl::window_start.eq(window.start),
        rl::hits.eq(1),
    );
    let current: i32 = per_backend!(conn => diesel::insert_into(rl::table)
        .values(values)
        .on_conflict((rl::bucket, rl::window_start))
        .do_update()
        .set(rl::hits.eq(rl::hits + 1))
        .returning(rl::hits)
        .get_result(conn))?;
    Ok(window.hits(current, hits_at(conn, bucket, window.previous)?))
}

/// Takes back one hit (an attempt that turned out to be legitimate).
pub fn give_back(
    conn: &mut DbConn,
    bucket: &str,
    window_start: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(
        rl::table.filter(
            rl::bucket
                .eq(bucket)
                .and(rl::window_start.eq(window_start))
                .and(rl::hits.gt(0)),
        ),
    )
    .set(rl::hits.eq(rl::hits - 1))
    .execute(conn)?;
    Ok(())
}

/// The hits of the bucket's sliding window.
pub fn count(conn: &mut DbConn, bucket: &str, window: &Window) -> Result<f64, StorageError> {
    Ok(window.hits(
        hits_at(conn, bucket, window.start)?,
        hits_at(conn, bucket, window.previous)?,
    ))
}

fn hits_at(
    conn: &mut DbConn,
    bucket: &str,
    window_start: NaiveDateTime,
) -> Result<i32, StorageError> {
    Ok(rl::table
        .filter(rl::bucket.eq(bucket).and(rl::window_start.eq(window_start)))
        .select(rl::hits)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Forgets windows that ended before `before`.
pub fn purge(conn: &mut DbConn, before: NaiveDateTime) -> Result<usize, StorageError> {
    Ok(diesel::delete(rl::table.filter(rl::window_start.lt(before))).execute(conn)?)
}
