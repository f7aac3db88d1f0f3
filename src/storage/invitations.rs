//! The mail queue of a campaign: one row per message to a drawn person
//! (invitation seq 0, reminders 1, 2, ...), whose state says what happened.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{frame_persons as fp, invitations as inv, respondents, sample_members as sm};
use super::{DbConn, StorageError};
use crate::per_backend;

pub use crate::domain::states::InvitationState;

/// Queues a message unless this person already has message `seq`; true
/// when queued now.
pub fn enqueue(
    conn: &mut DbConn,
    respondent_id: i64,
    seq: i32,
    state: InvitationState,
    reason: Option<&str>,
    message_id: &str,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    let values = (
        inv::respondent_id.eq(respondent_id),
        inv::seq.eq(seq),
        inv::state.eq(state.code()),
        inv::reason.eq(reason),
        inv::attempts.eq(0),
        inv::message_id.eq(message_id),
        inv::queued_at.eq(now),
        inv::updated_at.eq(now),
    );
    let n = per_backend!(conn => diesel::insert_into(inv::table)
        .values(values)
        .on_conflict((inv::respondent_id, inv::seq))
        .do_nothing()
        .execute(conn))?;
    Ok(n == 1)
}

/// A message to send, with what the mail needs.
#[derive(Debug, Clone, Queryable)]
pub struct Job {
    pub id: i64,
    pub respondent_id: i64,
    pub seq: i32,
    #[diesel(deserialize_as = String)]
    pub state: InvitationState,
    pub attempts: i32,
    pub message_id: String,
    pub frame_person_id: i64,
    pub email: Option<String>,
    pub unit_id: Option<i64>,
    pub submitted: Option<NaiveDateTime>,
    pub opted_out_at: Option<NaiveDateTime>,
}

/// Takes the next message of a campaign to send (queued, or left in
/// `sending` by a crash), marking it `sending`; None when none is left.
pub fn claim_next(
    conn: &mut DbConn,
    campaign_id: i64,
    after_id: i64,
    now: NaiveDateTime,
) -> Result<Option<Job>, StorageError> {
    conn.transaction(|conn| {
        let job: Option<Job> = inv::table
            .inner_join(respondents::table)
            .inner_join(sm::table.on(sm::respondent_id.eq(respondents::id.nullable())))
            .inner_join(fp::table.on(fp::id.eq(sm::frame_person_id)))
            .filter(respondents::campaign_id.eq(campaign_id))
            .filter(inv::state.eq_any([
                InvitationState::Queued.code(),
                InvitationState::Sending.code(),
            ]))
            .filter(inv::id.gt(after_id))
            .order(inv::id)
            .select((
                inv::id,
                inv::respondent_id,
                inv::seq,
                inv::state,
                inv::attempts,
                inv::message_id,
                fp::id,
                fp::email,
                respondents::unit_id,
                respondents::submitted_at,
                respondents::opted_out_at,
            ))
            .first(conn)
            .optional()?;
        let Some(job) = job else { return Ok(None) };
        let taken = diesel::update(
            inv::table
                .find(job.id)
                .filter(inv::state.eq(job.state.code())),
        )
        .set((
            inv::state.eq(InvitationState::Sending.code()),
            inv::attempts.eq(inv::attempts + 1),
            inv::updated_at.eq(now),
        ))
        .execute(conn)?;
        Ok((taken == 1).then_some(job))
    })
}

pub fn finish(
    conn: &mut DbConn,
    id: i64,
    state: InvitationState,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), StorageError> {
    let sent_at = (state == InvitationState::Sent).then_some(now);
    diesel::update(inv::table.find(id))
        .set((
            inv::state.eq(state.code()),
            inv::reason.eq(reason),
            inv::updated_at.eq(now),
            inv::sent_at.eq(sent_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stops every unsent message to a person who opted out.
pub fn cancel_for(
    conn: &mut DbConn,
    respondent_id: i64,
    now: NaiveDateTime,
) -> Result<usize, StorageError> {
    Ok(diesel::update(
        inv::table
            .filter(inv::respondent_id.eq(respondent_id))
            .filter(inv::state.eq(InvitationState::Queued.code())),
    )
    .set((
        inv::state.eq(InvitationState::OptedOut.code()),
        inv::updated_at.eq(now),
    ))
    .execute(conn)?)
}

#[derive(Debug, Clone, Queryable)]
pub struct InvitationRow {
    pub respondent_id: i64,
    pub seq: i32,
    #[diesel(deserialize_as = String)]
    pub state: InvitationState,
    pub reason: Option<String>,
    pub attempts: i32,
    pub message_id: String,
    pub sent_at: Option<NaiveDateTime>,
}

/// Every message of a campaign.
pub fn of_campaign(
    conn: &mut DbConn,
    campaign_id: i64,
) -> Result<Vec<InvitationRow>, StorageError> {
    Ok(inv::table
        .inner_join(respondents::table)
        .filter(respondents::campaign_id.eq(campaign_id))
        .order(inv::id)
        .select((
            inv::respondent_id,
            inv::seq,
            inv::state,
            inv::reason,
            inv::attempts,
            inv::message_id,
            inv::sent_at,
        ))
        .load(conn)?)
}

/// Takes or renews the campaign's sending lease for `holder` until `until`;
/// false when another holder's lease has not run out. The conditional
/// update is the guard: PostgreSQL serialises on the row, SQLite on its
/// one writer, and a second first-time insert finds the row and does nothing.
pub fn take_lease(
    conn: &mut DbConn,
    campaign_id: i64,
    holder: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<bool, StorageError> {
    use super::schema::send_leases as sl;
    conn.transaction(|conn| {
        let renewed = diesel::update(
            sl::table.filter(
                sl::campaign_id
                    .eq(campaign_id)
                    .and(sl::holder.eq(holder).or(sl::expires_at.lt(now))),
            ),
        )
        .set((sl::holder.eq(holder), sl::expires_at.eq(until)))
        .execute(conn)?;
        if renewed == 1 {
            return Ok(true);
        }
        let values = (
            sl::campaign_id.eq(campaign_id),
            sl::holder.eq(holder),
            sl::expires_at.eq(until),
        );
        let inserted: usize = per_backend!(conn => diesel::insert_into(sl::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(conn))?;
        Ok(inserted == 1)
    })
}

/// When the current holder's lease runs out, if anyone holds one.
pub fn lease_expiry(
    conn: &mut DbConn,
    campaign_id: i64,
) -> Result<Option<NaiveDateTime>, StorageError> {
    use super::schema::send_leases as sl;
    Ok(sl::table
        .find(campaign_id)
        .select(sl::expires_at)
        .first(conn)
        .optional()?)
}

/// Gives the lease up at the end of a run, so the next sender need not wait.
pub fn drop_lease(conn: &mut DbConn, campaign_id: i64, holder: &str) -> Result<(), StorageError> {
    use super::schema::send_leases as sl;
    diesel::delete(sl::table.filter(sl::campaign_id.eq(campaign_id).and(sl::holder.eq(holder))))
        .execute(conn)?;
    Ok(())
}
