//! A survey campaign's period and whether it is open at a given moment.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use crate::vietnam_time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignPeriod {
    /// First instant the campaign accepts answers, UTC.
    pub opens_at: NaiveDateTime,
    /// First instant it no longer does, UTC.
    pub closes_at: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    NotYetOpen,
    Open,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("ngày đóng ({closes}) phải sau hoặc trùng ngày mở ({opens})")]
    ClosesBeforeOpens { opens: NaiveDate, closes: NaiveDate },
    #[error("năm {0} không hợp lệ")]
    BadYear(i32),
}

impl CampaignPeriod {
    /// A campaign runs from 00:00 of the opening day to the end of the closing
    /// day, Vietnam time.
    pub fn from_local_dates(opens: NaiveDate, closes: NaiveDate) -> Result<Self, PeriodError> {
        if closes < opens {
            return Err(PeriodError::ClosesBeforeOpens { opens, closes });
        }
        let start = vietnam_time::utc(opens.and_time(NaiveTime::MIN));
        let end = vietnam_time::utc((closes + Duration::days(1)).and_time(NaiveTime::MIN));
        Ok(Self {
            opens_at: start,
            closes_at: end,
        })
    }

    pub fn opens_on(&self) -> NaiveDate {
        vietnam_time::date(self.opens_at)
    }

    pub fn closes_on(&self) -> NaiveDate {
        vietnam_time::date(self.closes_at - Duration::seconds(1))
    }

    pub fn status(&self, now: NaiveDateTime) -> CampaignStatus {
        if now < self.opens_at {
            CampaignStatus::NotYetOpen
        } else if now < self.closes_at {
            CampaignStatus::Open
        } else {
            CampaignStatus::Closed
        }
    }
}

pub fn check_year(year: i32) -> Result<i32, PeriodError> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(PeriodError::BadYear(year))
    }
}

/// What an anonymous campaign keeps of a time: the day. Exact times of
/// opening, starting and submitting would join a response to its token again.
pub fn anonymous_time(t: NaiveDateTime) -> NaiveDateTime {
    t.date().and_time(NaiveTime::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn t(s: &str) -> NaiveDateTime {
        s.parse().unwrap()
    }

    #[test]
    fn a_campaign_is_open_for_whole_local_days() {
        let p = CampaignPeriod::from_local_dates(d("2026-11-01"), d("2026-11-30")).unwrap();
        // 00:00 on 1 November in Hanoi is 17:00 on 31 October UTC.
        assert_eq!(
            p.status(t("2026-10-31T16:59:59")),
            CampaignStatus::NotYetOpen
        );
        assert_eq!(p.status(t("2026-10-31T17:00:00")), CampaignStatus::Open);
        assert_eq!(p.status(t("2026-11-30T16:59:59")), CampaignStatus::Open);
        assert_eq!(p.status(t("2026-11-30T17:00:00")), CampaignStatus::Closed);
        assert_eq!(p.opens_on(), d("2026-11-01"));
        assert_eq!(p.closes_on(), d("2026-11-30"));
    }

    #[test]
    fn closing_before_opening_is_refused() {
        assert!(CampaignPeriod::from_local_dates(d("2026-11-02"), d("2026-11-01")).is_err());
        assert!(CampaignPeriod::from_local_dates(d("2026-11-02"), d("2026-11-02")).is_ok());
    }
}
