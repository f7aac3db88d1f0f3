//! Working days: a deadline that falls on a weekend or a public holiday moves
//! to the next working day (Ninh Hòa art. 7.5).

use chrono::{Datelike, Days, NaiveDate, Weekday};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub date: NaiveDate,
    /// e.g. "Tết Nguyên đán".
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Days off every week (Saturday and Sunday for state agencies).
    pub weekend: Vec<Weekday>,
    /// Days off for civil servants: the holidays themselves, Tết days and the
    /// compensatory or swapped days the government announces for the year.
    pub holidays: Vec<Holiday>,
    /// Weekend days worked to swap for a day off (e.g. Saturday 26/4/2025).
    pub extra_working_days: Vec<NaiveDate>,
}

impl Default for Calendar {
    fn default() -> Self {
        Self {
            weekend: vec![Weekday::Sat, Weekday::Sun],
            holidays: Vec::new(),
            extra_working_days: Vec::new(),
        }
    }
}

/// No search runs further than this; a calendar that never has a working day
/// is refused by the parser, so this only guards against a hand-built one.
const SEARCH_LIMIT: u32 = 400;

impl Calendar {
    pub fn holiday(&self, date: NaiveDate) -> Option<&Holiday> {
        self.holidays.iter().find(|h| h.date == date)
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.extra_working_days.contains(&date) {
            return true;
        }
        !self.weekend.contains(&date.weekday()) && self.holiday(date).is_none()
    }

    /// `date` itself when it is a working day, else the next working day.
    pub fn effective_deadline(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date;
        for _ in 0..SEARCH_LIMIT {
            if self.is_working_day(d) {
                return d;
            }
            match d.checked_add_days(Days::new(1)) {
                Some(next) => d = next,
                None => return d,
            }
        }
        date
    }

    /// The `n`-th working day after `date` (n ≥ 1).
    pub fn working_days_after(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut d = date;
        let mut left = n;
        for _ in 0..SEARCH_LIMIT.saturating_add(n.saturating_mul(3)) {
            if left == 0 {
                break;
            }
            match d.checked_add_days(Days::new(1)) {
                Some(next) => d = next,
                None => break,
            }
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days in `(from, to]`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            match d.checked_add_days(Days::new(1)) {
                Some(next) => d = next,
                None => break,
            }
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cal() -> Calendar {
        Calendar {
            holidays: vec![
                Holiday {
                    date: d("2025-04-30"),
                    name: "Ngày Chiến thắng".into(),
                },
                Holiday {
                    date: d("2025-05-01"),
                    name: "Quốc tế Lao động".into(),
                },
                Holiday {
                    date: d("2025-05-02"),
                    name: "Nghỉ hoán đổi".into(),
                },
            ],
            extra_working_days: vec![d("2025-04-26")],
            ..Calendar::default()
        }
    }

    #[test]
    fn weekends_and_holidays_move_a_deadline_to_the_next_working_day() {
        let c = cal();
        // Monday stays.
        assert_eq!(c.effective_deadline(d("2025-12-08")), d("2025-12-08"));
        // Saturday 6/12/2025 → Monday 8/12.
        assert_eq!(c.effective_deadline(d("2025-12-06")), d("2025-12-08"));
        // Wednesday 30/4 (holiday), then 1/5, 2/5, the weekend → Monday 5/5.
        assert_eq!(c.effective_deadline(d("2025-04-30")), d("2025-05-05"));
        // A swapped Saturday is a working day.
        assert!(c.is_working_day(d("2025-04-26")));
        assert_eq!(c.effective_deadline(d("2025-04-26")), d("2025-04-26"));
    }

    #[test]
    fn counting_working_days() {
        let c = cal();
        // Friday 25/4 → the next working day is the swapped Saturday 26/4.
        assert_eq!(c.working_days_after(d("2025-04-25"), 1), d("2025-04-26"));
        assert_eq!(c.working_days_after(d("2025-04-25"), 2), d("2025-04-28"));
        // Tue 29/4 → Mon 5/5 is the first working day after the holidays.
        assert_eq!(c.working_days_after(d("2025-04-29"), 1), d("2025-05-05"));
        assert_eq!(c.working_days_between(d("2025-04-29"), d("2025-05-05")), 1);
        assert_eq!(c.working_days_between(d("2025-05-05"), d("2025-05-05")), 0);
    }
}
