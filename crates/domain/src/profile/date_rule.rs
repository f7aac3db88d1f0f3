//! A profile's dates are yearly rules: the regulations say "chậm nhất ngày 20
//! tháng 12 hàng năm", so a profile names a day and month (and whether it
//! falls in the year after the assessed one), and a campaign turns the rule
//! into a concrete date for its own year. A fixed date is still read, for a
//! profile written for one year only; a campaign of another year is refused
//! ([`super::Profile::check_year`]). A date may also be an offset from an
//! earlier deadline of the same profile ("trong thời hạn 10 ngày kể từ …"):
//! `after = "code"`, `days = 10`.

use chrono::{Duration, NaiveDate};

use super::Deadline;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateRule {
    /// `yearly = "20/12"`, with `in_year = "next"` for a date in the year
    /// after the assessed one (e.g. publication by 28/02).
    Yearly {
        day: u32,
        month: u32,
        next_year: bool,
    },
    /// `date = 2021-12-08`: one year only.
    Fixed(NaiveDate),
    /// `after = "code"`, `days = n`: n calendar days after (before, when
    /// negative) the deadline at `base`, an earlier one of the profile.
    After { base: usize, days: i32 },
}

impl DateRule {
    /// Reads `dd/mm`; 29/02 is refused (it does not exist every year).
    pub fn yearly(text: &str, next_year: bool) -> Option<Self> {
        let (d, m) = text.trim().split_once('/')?;
        let (day, month) = (d.trim().parse().ok()?, m.trim().parse().ok()?);
        // 2023 is not a leap year: a day valid in it is valid every year.
        NaiveDate::from_ymd_opt(2023, month, day)?;
        Some(Self::Yearly {
            day,
            month,
            next_year,
        })
    }

    /// The rule's date for the campaign assessing `year`. A fixed date is
    /// itself whatever the year: [`super::Profile::check_year`] refuses a
    /// campaign of another year than the profile's before it gets here.
    /// `all` is the profile's deadlines, which an offset is counted from.
    pub fn on(&self, year: i32, all: &[Deadline]) -> NaiveDate {
        match *self {
            Self::Yearly {
                day,
                month,
                next_year,
            } => {
                let y = if next_year { year + 1 } else { year };
                // Checked when read: the day exists in every year.
                NaiveDate::from_ymd_opt(y, month, day).unwrap_or(NaiveDate::MIN)
            }
            Self::Fixed(d) => d,
            // The parser takes the base from the deadlines before this one,
            // so the chain ends.
            Self::After { base, days } => match all.get(base) {
                Some(b) => b.rule.on(year, &all[..base]) + Duration::days(i64::from(days)),
                None => NaiveDate::MIN,
            },
        }
    }

    /// A fixed date, or an offset from one.
    pub fn is_fixed(&self, all: &[Deadline]) -> bool {
        match *self {
            Self::Fixed(_) => true,
            Self::After { base, .. } => {
                all.get(base).is_some_and(|b| b.rule.is_fixed(&all[..base]))
            }
            Self::Yearly { .. } => false,
        }
    }

    /// The rule as a person reads it, e.g. "ngày 20/12 hằng năm".
    pub fn describe(&self, all: &[Deadline]) -> String {
        match *self {
            Self::Yearly {
                day,
                month,
                next_year: false,
            } => format!("ngày {day:02}/{month:02} hằng năm"),
            Self::Yearly {
                day,
                month,
                next_year: true,
            } => format!("ngày {day:02}/{month:02} năm sau năm đánh giá"),
            Self::Fixed(d) => format!("ngày {} (cố định)", d.format("%d/%m/%Y")),
            Self::After { base, days } => {
                let name = all.get(base).map_or("?", |b| b.name.as_str());
                if days >= 0 {
                    format!("{days} ngày sau hạn \"{name}\"")
                } else {
                    format!("{} ngày trước hạn \"{name}\"", -days)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_yearly_rule_gives_the_date_in_each_campaigns_year() {
        // Ninh Hòa art. 6.1: "chậm nhất ngày 20 tháng 12 hàng năm".
        let r = DateRule::yearly("20/12", false).unwrap();
        assert_eq!(r.on(2021, &[]), date("2021-12-20"));
        assert_eq!(r.on(2026, &[]), date("2026-12-20"));
        let next = DateRule::yearly("28/02", true).unwrap();
        assert_eq!(next.on(2026, &[]), date("2027-02-28"));
        assert_eq!(r.describe(&[]), "ngày 20/12 hằng năm");
    }

    #[test]
    fn impossible_days_are_refused_when_read() {
        for bad in ["29/02", "31/04", "0/1", "12", "a/b", "15/13"] {
            assert_eq!(DateRule::yearly(bad, false), None, "{bad}");
        }
    }

    #[test]
    fn a_fixed_date_is_itself() {
        let r = DateRule::Fixed(date("2021-12-08"));
        assert!(r.is_fixed(&[]));
        assert_eq!(r.on(2021, &[]), date("2021-12-08"));
        assert_eq!(r.describe(&[]), "ngày 08/12/2021 (cố định)");
    }

    #[test]
    fn an_offset_counts_from_an_earlier_deadline_in_the_campaigns_year() {
        let all = vec![
            Deadline {
                code: "self_assessment".into(),
                name: "Gửi hồ sơ tự đánh giá".into(),
                rule: DateRule::yearly("08/12", false).unwrap(),
            },
            Deadline {
                code: "appraisal".into(),
                name: "Thẩm định".into(),
                rule: DateRule::After { base: 0, days: 10 },
            },
        ];
        // Across the year's end: 08/12 + 10 days is 18/12; + 30 is 07/01.
        assert_eq!(all[1].rule.on(2026, &all), date("2026-12-18"));
        let later = DateRule::After { base: 1, days: 20 };
        assert_eq!(later.on(2026, &all), date("2027-01-07"));
        let before = DateRule::After { base: 0, days: -3 };
        assert_eq!(before.on(2026, &all), date("2026-12-05"));
        assert_eq!(
            all[1].rule.describe(&all),
            "10 ngày sau hạn \"Gửi hồ sơ tự đánh giá\""
        );
        assert_eq!(
            before.describe(&all),
            "3 ngày trước hạn \"Gửi hồ sơ tự đánh giá\""
        );
        assert!(!later.is_fixed(&all));
    }
}
