//! Vietnam's clock. All of Vietnam keeps UTC+7 with no daylight saving, so
//! this is a fact, not a province setting. Instants are stored in UTC; dates
//! in the rules (deadlines, campaign days) are Vietnam dates.

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, TimeZone};

/// UTC+7.
pub fn offset() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("7 hours is a valid offset")
}

/// A UTC instant as Vietnam local time.
pub fn local(utc: NaiveDateTime) -> NaiveDateTime {
    offset().from_utc_datetime(&utc).naive_local()
}

/// A Vietnam local time as a UTC instant.
pub fn utc(local: NaiveDateTime) -> NaiveDateTime {
    local - offset()
}

/// A stored UTC instant as every page, export and message writes it:
/// Vietnam local time, `dd/mm/yyyy HH:MM`.
pub fn shown(utc: NaiveDateTime) -> String {
    local(utc).format("%d/%m/%Y %H:%M").to_string()
}

/// The Vietnam date of a UTC instant.
pub fn date(utc: NaiveDateTime) -> NaiveDate {
    local(utc).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_hours_ahead_across_midnight_and_back() {
        let t: NaiveDateTime = "2025-12-31T18:30:00".parse().unwrap();
        assert_eq!(local(t), "2026-01-01T01:30:00".parse().unwrap());
        assert_eq!(date(t), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(utc(local(t)), t);
        assert_eq!(shown(t), "01/01/2026 01:30");
    }
}
