//! Final dispositions of drawn people and the AAPOR outcome rates (issue
//! 18), after AAPOR, *Standard Definitions: Final Dispositions of Case
//! Codes and Outcome Rates for Surveys* (10th ed., 2023), the table for
//! Internet surveys of specifically named persons:
//!
//! - 1.1 complete: the form was submitted;
//! - 2.11 refusal: the person used the opt-out link;
//! - 2.12 break-off: the form was opened and left unsubmitted. AAPOR counts
//!   a break-off as a partial (1.2) only when enough questions were
//!   answered; chiso does not judge "enough", so break-offs are refusals;
//! - 3.11 no invitation sent: no mode of the contact protocol could reach
//!   the person;
//! - 3.3 invitation returned undelivered: the mail server refused it or
//!   sending gave up, and no letter followed;
//! - 3.19 nothing ever returned: invited (e-mail accepted or letter
//!   printed), never opened.
//!
//! Non-contact (2.2) and not eligible (4) need information the survey does
//! not collect (an interviewer's report, a screening question), so they
//! stay 0 until phone interviews record them.

use serde::Serialize;

/// What is known of one drawn person at the end.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaseFacts {
    pub submitted: bool,
    pub opened: bool,
    pub opted_out: bool,
    /// An e-mail accepted by the server or a letter printed.
    pub invited: bool,
    /// An invitation was tried and failed (bounced, given up).
    pub undeliverable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Complete,
    Refusal,
    BreakOff,
    NoInvitation,
    Undelivered,
    NothingReturned,
}

impl Disposition {
    pub fn of(f: &CaseFacts) -> Self {
        if f.submitted {
            Self::Complete
        } else if f.opted_out {
            Self::Refusal
        } else if f.opened {
            Self::BreakOff
        } else if f.invited {
            Self::NothingReturned
        } else if f.undeliverable {
            Self::Undelivered
        } else {
            Self::NoInvitation
        }
    }

    /// AAPOR's code and words.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Complete => "1.1 Hoàn thành",
            Self::Refusal => "2.11 Từ chối",
            Self::BreakOff => "2.12 Bỏ dở (tính là từ chối)",
            Self::NoInvitation => "3.11 Không gửi được thư mời",
            Self::Undelivered => "3.3 Thư mời bị trả lại",
            Self::NothingReturned => "3.19 Không phản hồi",
        }
    }
}

/// Case counts in AAPOR's groups.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Outcomes {
    /// I: complete interviews.
    pub complete: u64,
    /// P: partial interviews (none: see the module note).
    pub partial: u64,
    /// R: refusals and break-offs.
    pub refusal: u64,
    /// NC: non-contacts.
    pub non_contact: u64,
    /// O: other eligible non-interviews.
    pub other: u64,
    /// UH + UO: unknown eligibility.
    pub unknown: u64,
    /// NE: not eligible (left out of every rate).
    pub not_eligible: u64,
}

impl Outcomes {
    pub fn add(&mut self, d: Disposition) {
        match d {
            Disposition::Complete => self.complete += 1,
            Disposition::Refusal | Disposition::BreakOff => self.refusal += 1,
            Disposition::NoInvitation | Disposition::Undelivered | Disposition::NothingReturned => {
                self.unknown += 1
            }
        }
    }

    fn interviews(&self) -> f64 {
        (self.complete + self.partial) as f64
    }

    fn eligible_non(&self) -> f64 {
        (self.refusal + self.non_contact + self.other) as f64
    }

    fn ratio(num: f64, den: f64) -> Option<f64> {
        (den > 0.0).then(|| num / den)
    }

    /// RR1 = I / ((I + P) + (R + NC + O) + (UH + UO)).
    pub fn rr1(&self) -> Option<f64> {
        Self::ratio(
            self.complete as f64,
            self.interviews() + self.eligible_non() + self.unknown as f64,
        )
    }

    /// RR3 = I / ((I + P) + (R + NC + O) + e(UH + UO)), `e` the estimated
    /// share of unknown-eligibility cases that are eligible.
    pub fn rr3(&self, e: f64) -> Option<f64> {
        Self::ratio(
            self.complete as f64,
            self.interviews() + self.eligible_non() + e * self.unknown as f64,
        )
    }

    /// COOP1 = I / ((I + P) + R + O).
    pub fn coop1(&self) -> Option<f64> {
        Self::ratio(
            self.complete as f64,
            self.interviews() + (self.refusal + self.other) as f64,
        )
    }

    /// REF1 = R / ((I + P) + (R + NC + O) + (UH + UO)).
    pub fn ref1(&self) -> Option<f64> {
        Self::ratio(
            self.refusal as f64,
            self.interviews() + self.eligible_non() + self.unknown as f64,
        )
    }

    /// CON1 = ((I + P) + R + O) / ((I + P) + R + O + NC + (UH + UO)).
    pub fn con1(&self) -> Option<f64> {
        let contacted = self.interviews() + (self.refusal + self.other) as f64;
        Self::ratio(
            contacted,
            contacted + self.non_contact as f64 + self.unknown as f64,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(
        submitted: bool,
        opened: bool,
        opted_out: bool,
        invited: bool,
        undeliverable: bool,
    ) -> CaseFacts {
        CaseFacts {
            submitted,
            opened,
            opted_out,
            invited,
            undeliverable,
        }
    }

    #[test]
    fn each_case_gets_the_first_disposition_its_facts_allow() {
        assert_eq!(
            Disposition::of(&case(true, true, true, true, false)),
            Disposition::Complete
        );
        assert_eq!(
            Disposition::of(&case(false, true, true, true, false)),
            Disposition::Refusal
        );
        assert_eq!(
            Disposition::of(&case(false, true, false, true, false)),
            Disposition::BreakOff
        );
        assert_eq!(
            Disposition::of(&case(false, false, false, true, true)),
            Disposition::NothingReturned,
            "a bounced e-mail followed by a letter"
        );
        assert_eq!(
            Disposition::of(&case(false, false, false, false, true)),
            Disposition::Undelivered
        );
        assert_eq!(
            Disposition::of(&case(false, false, false, false, false)),
            Disposition::NoInvitation
        );
    }

    /// A hand count: 40 complete, 5 refusals, 5 break-offs, 30 nothing
    /// returned, 12 undelivered, 8 never invited (100 cases).
    /// RR1 = 40/100; RR3 with e = 0.5: 40/(40 + 10 + 25) = 40/75;
    /// COOP1 = 40/50; REF1 = 10/100; CON1 = 50/100.
    #[test]
    fn rates_equal_a_hand_count() {
        let mut o = Outcomes::default();
        let mut add = |d: Disposition, n: usize| (0..n).for_each(|_| o.add(d));
        add(Disposition::Complete, 40);
        add(Disposition::Refusal, 5);
        add(Disposition::BreakOff, 5);
        add(Disposition::NothingReturned, 30);
        add(Disposition::Undelivered, 12);
        add(Disposition::NoInvitation, 8);
        assert_eq!((o.complete, o.refusal, o.unknown), (40, 10, 50));
        let close =
            |a: Option<f64>, b: f64| assert!((a.unwrap() - b).abs() < 1e-12, "{a:?} vs {b}");
        close(o.rr1(), 0.40);
        close(o.rr3(0.5), 40.0 / 75.0);
        close(o.rr3(1.0), 0.40);
        close(o.coop1(), 0.80);
        close(o.ref1(), 0.10);
        close(o.con1(), 0.50);
        assert_eq!(Outcomes::default().rr1(), None, "no case, no rate");
    }
}
