//! Year-on-year changes of fields, criteria and sub-criteria, compared on the
//! published (rounded) figures, as Thái Bình art. 14 compares "số liệu công bố".

use std::collections::BTreeMap;

use crate::points::Points;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Up,
    Same,
    Down,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub code: String,
    pub current: Points,
    pub previous: Points,
    pub delta: Points,
    pub trend: Trend,
}

fn trend(current: Points, previous: Points) -> Trend {
    match current.cmp(&previous) {
        std::cmp::Ordering::Greater => Trend::Up,
        std::cmp::Ordering::Equal => Trend::Same,
        std::cmp::Ordering::Less => Trend::Down,
    }
}

/// Changes of every code scored in both years, in code order.
pub fn changes(
    current: &BTreeMap<String, Points>,
    previous: &BTreeMap<String, Points>,
    decimals: u32,
) -> Vec<Change> {
    current
        .iter()
        .filter_map(|(code, now)| {
            let before = previous.get(code)?.round(decimals);
            let now = now.round(decimals);
            Some(Change {
                code: code.clone(),
                current: now,
                previous: before,
                delta: now - before,
                trend: trend(now, before),
            })
        })
        .collect()
}

/// Consecutive years, ending with the first entry of `history` (this year,
/// then last year, …), in which `code` moved the way `want` says.
fn streak(history: &[&BTreeMap<String, Points>], code: &str, decimals: u32, want: Trend) -> u32 {
    let values: Vec<Option<Points>> = history
        .iter()
        .map(|y| y.get(code).map(|p| p.round(decimals)))
        .collect();
    let mut n = 0;
    for w in values.windows(2) {
        match (w[0], w[1]) {
            (Some(now), Some(before)) if trend(now, before) == want => n += 1,
            _ => break,
        }
    }
    n
}

/// Years in a row the score fell, this year included.
pub fn falling_streak(history: &[&BTreeMap<String, Points>], code: &str, decimals: u32) -> u32 {
    streak(history, code, decimals, Trend::Down)
}

/// Years in a row the score rose, this year included.
pub fn rising_streak(history: &[&BTreeMap<String, Points>], code: &str, decimals: u32) -> u32 {
    streak(history, code, decimals, Trend::Up)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year(pairs: &[(&str, &str)]) -> BTreeMap<String, Points> {
        pairs
            .iter()
            .map(|(c, p)| (c.to_string(), Points::parse(p).unwrap()))
            .collect()
    }

    #[test]
    fn changes_compare_published_figures() {
        let now = year(&[("1", "8.5"), ("2", "6.004"), ("3", "5"), ("9", "1")]);
        let before = year(&[("1", "9"), ("2", "6.001"), ("3", "4.25")]);
        let c = changes(&now, &before, 2);
        let t: Vec<(&str, Trend)> = c.iter().map(|c| (c.code.as_str(), c.trend)).collect();
        // 6.004 and 6.001 both publish as 6.00.
        assert_eq!(
            t,
            [("1", Trend::Down), ("2", Trend::Same), ("3", Trend::Up)]
        );
        assert_eq!(c[0].delta, Points::parse("-0.5").unwrap());
    }

    #[test]
    fn streaks_count_back_from_this_year() {
        let y0 = year(&[("1", "7"), ("2", "9")]);
        let y1 = year(&[("1", "8"), ("2", "8")]);
        let y2 = year(&[("1", "9"), ("2", "7")]);
        let y3 = year(&[("1", "8"), ("2", "7")]);
        let h = [&y0, &y1, &y2, &y3];
        assert_eq!(falling_streak(&h, "1", 2), 2);
        assert_eq!(rising_streak(&h, "2", 2), 2);
        assert_eq!(falling_streak(&h, "2", 2), 0);
        assert_eq!(falling_streak(&h[..1], "1", 2), 0);
        assert_eq!(falling_streak(&h, "7", 2), 0);
    }
}
