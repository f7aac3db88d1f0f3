//! Throttle windows. Hits are counted in fixed windows kept in the database,
//! so that several instances agree; a fixed window alone would let a client
//! spend its whole allowance at the end of one window and again at the start
//! of the next. Weighting the previous window by the share of it that still
//! lies within the last `minutes` closes that gap (the sliding-window
//! estimate), at the cost of one more counter read.

use chrono::{DateTime, Duration, NaiveDateTime};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Where the current fixed window starts: the key of its counter.
    pub start: NaiveDateTime,
    /// Where the previous fixed window started.
    pub previous: NaiveDateTime,
    previous_weight: f64,
}

impl Window {
    pub fn at(now: NaiveDateTime, minutes: i64) -> Self {
        let secs = minutes.max(1) * 60;
        let t = now.and_utc().timestamp();
        let into = t.rem_euclid(secs);
        let start = DateTime::from_timestamp(t - into, 0)
            .map(|d| d.naive_utc())
            .unwrap_or(now);
        Self {
            start,
            previous: start - Duration::seconds(secs),
            previous_weight: 1.0 - into as f64 / secs as f64,
        }
    }

    /// The hits of the last `minutes`, estimated from the two counters.
    pub fn hits(&self, current: i32, previous: i32) -> f64 {
        f64::from(current) + f64::from(previous) * self.previous_weight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Window {
        Window::at(s.parse().unwrap(), 15)
    }

    #[test]
    fn windows_are_aligned_to_their_length() {
        let w = at("2026-11-22T10:37:12");
        assert_eq!(w.start.to_string(), "2026-11-22 10:30:00");
        assert_eq!(w.previous.to_string(), "2026-11-22 10:15:00");
    }

    #[test]
    fn the_previous_window_counts_by_the_share_still_inside() {
        assert_eq!(at("2026-11-22T10:30:00").hits(2, 6), 8.0);
        assert_eq!(at("2026-11-22T10:37:30").hits(2, 6), 5.0);
        let last_second = at("2026-11-22T10:44:59").hits(2, 900);
        assert!((last_second - 3.0).abs() < 1e-9, "{last_second}");
    }

    #[test]
    fn a_burst_across_the_boundary_counts_whole() {
        // Five failures at 10:29:59 in the window of 10:15, then one at 10:30:01:
        // a fixed window would see one, the last fifteen minutes hold six.
        let w = at("2026-11-22T10:30:01");
        assert!(w.hits(1, 5) > 5.0, "{}", w.hits(1, 5));
    }
}
