//! Late dossiers (Ninh Hòa art. 7.5).
//!
//! - A deadline on a weekend or public holiday moves to the next working day.
//! - The whole deadline day counts as on time: the software locks "after 23:59"
//!   of that day, so only the calendar date of a submission matters.
//! - Units that submitted are locked once the deadline day is over; units that
//!   had not get `grace_days` more days (calendar or working days, `count`),
//!   each costing `points_per_day`; after that the dossier scores 0 as
//!   `too_late` reads "điểm hồ sơ đề nghị thẩm định" (the whole dossier, or
//!   its dossier criterion) and is locked for good. Whether the last grace
//!   day moves off a weekend or holiday is `grace_end_moves`.
//! - A submission made during the grace days locks the dossier at once: the
//!   penalty is fixed by the moment of submission.
//!
//! All times are Vietnam local time (see the module docs of `index`).

use chrono::{NaiveDate, NaiveDateTime};

use crate::points::Points;
use crate::profile::{Calendar, DayCount, LateRule, Profile};

/// How late a submitted dossier was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Lateness {
    OnTime,
    /// Within the grace days: `penalty` is deducted from the unit's points.
    Late {
        days: u32,
        penalty: Points,
    },
    /// After the grace days: the dossier criterion scores 0.
    TooLate {
        days: u32,
    },
}

impl Lateness {
    pub fn penalty(&self) -> Points {
        match self {
            Lateness::Late { penalty, .. } => *penalty,
            _ => Points::ZERO,
        }
    }
}

/// Late days of something done on `date`, against an effective deadline.
/// Counting working days, a weekend or holiday counts as the next working day.
pub fn days_late(
    rule: &LateRule,
    calendar: &Calendar,
    effective: NaiveDate,
    date: NaiveDate,
) -> u32 {
    if date <= effective {
        return 0;
    }
    match rule.count {
        DayCount::Calendar => (date - effective).num_days().max(0) as u32,
        DayCount::Working => {
            calendar.working_days_between(effective, calendar.effective_deadline(date))
        }
    }
}

/// The lateness of a dossier submitted at `submitted_at` against a deadline as
/// the regulation writes it.
pub fn lateness(
    rule: &LateRule,
    calendar: &Calendar,
    deadline: NaiveDate,
    submitted_at: NaiveDateTime,
) -> Lateness {
    let effective = calendar.effective_deadline(deadline);
    let date = submitted_at.date();
    let days = days_late(rule, calendar, effective, date);
    if days == 0 {
        Lateness::OnTime
    } else if date <= rule.grace_end(calendar, effective) {
        // A grace end moved off a holiday adds days, not penalties.
        let days = days.min(rule.grace_days);
        Lateness::Late {
            days,
            penalty: rule.points_per_day.times(days),
        }
    } else {
        Lateness::TooLate { days }
    }
}

/// Why a dossier can no longer change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    /// Submitted, and the deadline day is over (or it was submitted late).
    Submitted,
    /// Not submitted, and the deadline (with any grace days) is over.
    DeadlinePassed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DossierState {
    /// The unit may edit and submit. After the deadline (grace days) a
    /// submission now would cost `penalty`.
    Open {
        late_days: u32,
        penalty: Points,
    },
    Locked {
        reason: LockReason,
    },
}

impl DossierState {
    pub fn is_locked(&self) -> bool {
        matches!(self, DossierState::Locked { .. })
    }
}

/// Whether a unit's dossier can still be edited at `now`. Without a late rule
/// the dossier locks when the deadline day is over.
pub fn dossier_state(
    rule: Option<&LateRule>,
    calendar: &Calendar,
    deadline: NaiveDate,
    submitted_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> DossierState {
    let effective = calendar.effective_deadline(deadline);
    let today = now.date();
    if today <= effective {
        return DossierState::Open {
            late_days: 0,
            penalty: Points::ZERO,
        };
    }
    if submitted_at.is_some_and(|s| s <= now) {
        return DossierState::Locked {
            reason: LockReason::Submitted,
        };
    }
    let Some(rule) = rule else {
        return DossierState::Locked {
            reason: LockReason::DeadlinePassed,
        };
    };
    match lateness(rule, calendar, deadline, now) {
        Lateness::Late { days, penalty } => DossierState::Open {
            late_days: days,
            penalty,
        },
        _ => DossierState::Locked {
            reason: LockReason::DeadlinePassed,
        },
    }
}

impl Profile {
    /// The code of the dossier deadline: the late rule's, else the deadline
    /// coded `self_assessment`.
    pub fn dossier_deadline_code(&self) -> Option<&str> {
        match &self.appraisal.late {
            Some(rule) => Some(rule.deadline.as_str()),
            None => self.deadline("self_assessment").map(|d| d.code.as_str()),
        }
    }

    /// The dossier deadline as the profile writes it, for the campaign
    /// assessing `year` (a campaign may move it: the service asks that).
    pub fn dossier_deadline(&self, year: i32) -> Option<NaiveDate> {
        let code = self.dossier_deadline_code()?;
        self.deadline(code)
            .map(|d| d.rule.on(year, &self.deadlines))
    }

    /// The lateness of a dossier submitted at `submitted_at` (Vietnam time)
    /// against `deadline`; on time when the profile has no late rule.
    pub fn lateness(&self, deadline: NaiveDate, submitted_at: NaiveDateTime) -> Lateness {
        match &self.appraisal.late {
            Some(rule) => lateness(rule, &self.calendar, deadline, submitted_at),
            None => Lateness::OnTime,
        }
    }

    /// Whether a unit's dossier due on `deadline` can be edited at `now`
    /// (Vietnam time).
    pub fn dossier_state(
        &self,
        deadline: NaiveDate,
        submitted_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> DossierState {
        dossier_state(
            self.appraisal.late.as_ref(),
            &self.calendar,
            deadline,
            submitted_at,
            now,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Holiday;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }
    fn rule(count: DayCount) -> LateRule {
        LateRule {
            points_per_day: Points::from_int(1),
            grace_days: 2,
            count,
            deadline: "self_assessment".into(),
            too_late: crate::profile::TooLateScores::WholeDossier,
            grace_end_moves: false,
        }
    }
    fn cal() -> Calendar {
        Calendar {
            holidays: vec![
                Holiday {
                    date: d("2021-09-02"),
                    name: "Quốc khánh".into(),
                },
                Holiday {
                    date: d("2021-09-03"),
                    name: "Quốc khánh (ngày liền kề)".into(),
                },
            ],
            ..Calendar::default()
        }
    }

    #[test]
    fn one_two_and_three_late_days() {
        let (r, c) = (rule(DayCount::Calendar), cal());
        // Ninh Hòa: 8/12/2021 is a Wednesday.
        let dl = d("2021-12-08");
        assert_eq!(
            lateness(&r, &c, dl, t("2021-12-08 23:59")),
            Lateness::OnTime
        );
        assert_eq!(
            lateness(&r, &c, dl, t("2021-12-01 09:00")),
            Lateness::OnTime
        );
        assert_eq!(
            lateness(&r, &c, dl, t("2021-12-09 00:01")),
            Lateness::Late {
                days: 1,
                penalty: Points::from_int(1)
            }
        );
        assert_eq!(
            lateness(&r, &c, dl, t("2021-12-10 23:59")),
            Lateness::Late {
                days: 2,
                penalty: Points::from_int(2)
            }
        );
        assert_eq!(
            lateness(&r, &c, dl, t("2021-12-11 00:00")),
            Lateness::TooLate { days: 3 }
        );
    }

    #[test]
    fn a_deadline_on_a_saturday_or_a_holiday_moves_to_the_next_working_day() {
        let (r, c) = (rule(DayCount::Calendar), cal());
        // Saturday 11/12/2021 → Monday 13/12.
        let sat = d("2021-12-11");
        assert_eq!(
            lateness(&r, &c, sat, t("2021-12-13 17:00")),
            Lateness::OnTime
        );
        assert_eq!(
            lateness(&r, &c, sat, t("2021-12-14 08:00")),
            Lateness::Late {
                days: 1,
                penalty: Points::from_int(1)
            }
        );
        // Thursday 2/9/2021 (Quốc khánh), 3/9 holiday, weekend → Monday 6/9.
        let holiday = d("2021-09-02");
        assert_eq!(
            lateness(&r, &c, holiday, t("2021-09-06 16:00")),
            Lateness::OnTime
        );
        assert_eq!(
            lateness(&r, &c, holiday, t("2021-09-09 08:00")),
            Lateness::TooLate { days: 3 }
        );
    }

    #[test]
    fn working_day_counting_skips_the_weekend() {
        let (r, c) = (rule(DayCount::Working), cal());
        // Friday 10/12/2021: Saturday counts as Monday, the first late day.
        let fri = d("2021-12-10");
        assert_eq!(
            lateness(&r, &c, fri, t("2021-12-11 10:00")),
            Lateness::Late {
                days: 1,
                penalty: Points::from_int(1)
            }
        );
        assert_eq!(
            lateness(&r, &c, fri, t("2021-12-14 10:00")),
            Lateness::Late {
                days: 2,
                penalty: Points::from_int(2)
            }
        );
        assert_eq!(
            lateness(&r, &c, fri, t("2021-12-15 10:00")),
            Lateness::TooLate { days: 3 }
        );
    }

    #[test]
    fn when_the_dossier_locks() {
        let (r, c) = (rule(DayCount::Calendar), cal());
        let dl = d("2021-12-08");
        let state = |submitted: Option<&str>, now: &str| {
            dossier_state(Some(&r), &c, dl, submitted.map(t), t(now))
        };
        let open = DossierState::Open {
            late_days: 0,
            penalty: Points::ZERO,
        };
        // Before and on the deadline day everyone may edit, submitted or not.
        assert_eq!(state(Some("2021-12-07 10:00"), "2021-12-08 23:59"), open);
        assert_eq!(state(None, "2021-12-08 12:00"), open);
        // After it, a submitted dossier is locked…
        assert!(state(Some("2021-12-07 10:00"), "2021-12-09 00:00").is_locked());
        // …and one not submitted stays open for two days, at a price.
        assert_eq!(
            state(None, "2021-12-09 08:00"),
            DossierState::Open {
                late_days: 1,
                penalty: Points::from_int(1)
            }
        );
        assert_eq!(
            state(None, "2021-12-10 23:00"),
            DossierState::Open {
                late_days: 2,
                penalty: Points::from_int(2)
            }
        );
        assert_eq!(
            state(None, "2021-12-11 00:00"),
            DossierState::Locked {
                reason: LockReason::DeadlinePassed
            }
        );
        // A late submission locks at once.
        assert_eq!(
            state(Some("2021-12-09 08:00"), "2021-12-09 08:01"),
            DossierState::Locked {
                reason: LockReason::Submitted
            }
        );
        // Without a late rule the deadline day is the end.
        assert!(dossier_state(None, &c, dl, None, t("2021-12-09 00:00")).is_locked());
        assert!(!dossier_state(None, &c, dl, None, t("2021-12-08 23:00")).is_locked());
    }
}
