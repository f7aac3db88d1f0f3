//! Which appraiser appraises the criteria of which department, per campaign.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{appraiser_assignments as aa, users};
use super::{DbConn, StorageError};

/// Departments assigned to a user in a campaign.
pub fn departments_of(
    conn: &mut DbConn,
    campaign_id: i64,
    user_id: i64,
) -> Result<Vec<String>, StorageError> {
    Ok(aa::table
        .filter(aa::campaign_id.eq(campaign_id))
        .filter(aa::user_id.eq(user_id))
        .order(aa::department)
        .select(aa::department)
        .load(conn)?)
}

/// Every assignment of a campaign: (username, department).
pub fn of_campaign(
    conn: &mut DbConn,
    campaign_id: i64,
) -> Result<Vec<(String, String)>, StorageError> {
    Ok(aa::table
        .inner_join(users::table.on(users::id.eq(aa::user_id)))
        .filter(aa::campaign_id.eq(campaign_id))
        .order((aa::department, users::username))
        .select((users::username, aa::department))
        .load(conn)?)
}

/// The accounts assigned to any of `departments` in a campaign.
pub fn user_ids(
    conn: &mut DbConn,
    campaign_id: i64,
    departments: &[String],
) -> Result<Vec<i64>, StorageError> {
    Ok(aa::table
        .filter(aa::campaign_id.eq(campaign_id))
        .filter(aa::department.eq_any(departments))
        .select(aa::user_id)
        .distinct()
        .load(conn)?)
}

/// Removes an assignment (the appraisals made under it stay, with the
/// audit log); false when there was none.
pub fn unassign(
    conn: &mut DbConn,
    campaign_id: i64,
    user_id: i64,
    department: &str,
) -> Result<bool, StorageError> {
    let n = diesel::delete(
        aa::table
            .filter(aa::campaign_id.eq(campaign_id))
            .filter(aa::user_id.eq(user_id))
            .filter(aa::department.eq(department)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Adds an assignment; false when it existed already.
pub fn assign(
    conn: &mut DbConn,
    campaign_id: i64,
    user_id: i64,
    department: &str,
    by: i64,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    let exists = aa::table
        .filter(aa::campaign_id.eq(campaign_id))
        .filter(aa::user_id.eq(user_id))
        .filter(aa::department.eq(department))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(aa::table)
        .values((
            aa::campaign_id.eq(campaign_id),
            aa::user_id.eq(user_id),
            aa::department.eq(department),
            aa::assigned_by.eq(by),
            aa::assigned_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}
