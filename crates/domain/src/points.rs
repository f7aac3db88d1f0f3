//! Scores as exact fixed-point numbers.
//!
//! Appraisal scores are decimals with a few places, and published figures are
//! rounded to 2 places half away from zero and then compared with band
//! boundaries such as 90.00. In binary floating point 89.995 is
//! 89.99499999…, which rounds to 89.99 and drops a unit from band A; sums of
//! such values drift the same way. So a score is an integer number of ticks,
//! a tick being 10⁻⁶ × 2⁻⁶⁴ of a point: every decimal with up to 6 places is
//! a whole number of ticks (so decimals parse exactly and sum exactly), and so
//! is every `f64` of at least 2⁻¹¹ (its last bit is a multiple of 2⁻⁶⁴). A
//! survey estimate therefore enters the sum exactly, not rounded to 6 places
//! on the way (Sơn La II.3.c: the index is the sum of the two, so 62.66 +
//! 27.3349999 publishes 89.99, not 90.00), and rounding happens once, on
//! integers, where a seed rounds.
//!
//! Two doors for floats: [`Points::from_f64`] reads a decimal a person wrote
//! in a TOML file (0.7 means 0.7, to the nearest micro-point);
//! [`Points::from_estimate`] takes a computed value as the exact binary number
//! it is.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// Micro-points per point.
const SCALE: i128 = 1_000_000;
/// Ticks per micro-point: 2⁶⁴, so an `f64` survey estimate is a whole number of ticks.
const BINARY: i128 = 1 << 64;
/// Ticks per point.
const TICKS: i128 = SCALE * BINARY;
/// Decimal places a written number keeps.
pub const MAX_DECIMALS: u32 = 6;
/// No score, maximum or threshold comes near a million points; larger inputs
/// are refused so that products of ticks stay within `i128`.
const LIMIT_POINTS: i128 = 1_000_000;
const LIMIT: i128 = LIMIT_POINTS * TICKS;

#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Points(i128);

/// The value to 6 places, and the ticks when there is more: `Points(1.4)`.
impl fmt::Debug for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 % BINARY == 0 {
            write!(f, "Points({self})")
        } else {
            write!(f, "Points(≈{self}, {} ticks)", self.0)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointsError {
    #[error("ô trống")]
    Empty,
    #[error("\"{0}\" không phải là số (ví dụ đúng: 12.5)")]
    NotANumber(String),
    #[error("\"{0}\" quá lớn")]
    TooLarge(String),
    #[error("\"{0}\" không phải là điểm số chính xác")]
    NotExact(String),
}

/// Integer division rounded half away from zero.
fn div_round(num: i128, den: i128) -> i128 {
    debug_assert!(den > 0);
    let q = num / den;
    let r = num % den;
    if r.unsigned_abs() >= den.unsigned_abs() - r.unsigned_abs() {
        q + num.signum()
    } else {
        q
    }
}

fn pow10(n: u32) -> i128 {
    10_i128.pow(n)
}

impl Points {
    pub const ZERO: Points = Points(0);

    pub const fn from_micro(micro: i64) -> Self {
        Points(micro as i128 * BINARY)
    }

    /// To the nearest micro-point: what the database stores for decimals,
    /// which are whole micro-points (see [`Points::exact`] for estimates).
    pub fn micro(self) -> i64 {
        div_round(self.0, BINARY) as i64
    }

    pub const fn from_int(points: i64) -> Self {
        Points(points as i128 * TICKS)
    }

    /// A decimal written as a TOML float, to the nearest micro-point; `None`
    /// for NaN, infinities and absurd sizes.
    pub fn from_f64(x: f64) -> Option<Self> {
        let m = (x * SCALE as f64).round();
        (m.is_finite() && m.abs() < (LIMIT / BINARY) as f64).then(|| Points(m as i128 * BINARY))
    }

    /// A computed value (a survey estimate) as the binary number it is:
    /// exact for |x| ≥ 2⁻¹¹, otherwise to the nearest tick (10⁻²⁵ of a
    /// point). `None` for NaN, infinities and absurd sizes.
    pub fn from_estimate(x: f64) -> Option<Self> {
        if !x.is_finite() || x.abs() >= LIMIT_POINTS as f64 {
            return None;
        }
        let bits = x.to_bits();
        let negative = bits >> 63 == 1;
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let frac = (bits & ((1 << 52) - 1)) as i128;
        // x = mantissa × 2^e
        let (mantissa, e) = if exp == 0 {
            (frac, -1074)
        } else {
            (frac | 1 << 52, exp - 1075)
        };
        // ticks = mantissa × 10⁶ × 2^(e + 64)
        let shift = e + 64;
        let ticks = if shift >= 0 {
            (mantissa * SCALE) << shift
        } else if shift > -120 {
            div_round(mantissa * SCALE, 1 << (-shift))
        } else {
            0
        };
        Some(Points(if negative { -ticks } else { ticks }))
    }

    pub fn to_f64(self) -> f64 {
        self.0 as f64 / TICKS as f64
    }

    /// The exact value as text, for storage: a whole number of ticks.
    pub fn exact(self) -> String {
        self.0.to_string()
    }

    /// Reads what [`Points::exact`] wrote.
    pub fn from_exact(s: &str) -> Result<Self, PointsError> {
        let t: i128 = s
            .trim()
            .parse()
            .map_err(|_| PointsError::NotExact(s.to_string()))?;
        if t.abs() >= LIMIT {
            return Err(PointsError::TooLarge(s.to_string()));
        }
        Ok(Points(t))
    }

    /// Parses a decimal written by a person or a spreadsheet: optional sign,
    /// digits, one `.` or `,` as the decimal separator (Vietnamese spreadsheets
    /// write 12,5). Digits beyond the sixth place are rounded half away from zero.
    pub fn parse(s: &str) -> Result<Self, PointsError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(PointsError::Empty);
        }
        let bad = || PointsError::NotANumber(t.to_string());
        let (negative, body) = match t.as_bytes()[0] {
            b'-' => (true, &t[1..]),
            b'+' => (false, &t[1..]),
            _ => (false, t),
        };
        let (int, frac) = match body.find(['.', ',']) {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => (body, ""),
        };
        let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
            return Err(bad());
        }
        let int = int.trim_start_matches('0');
        if int.len() > 9 {
            return Err(PointsError::TooLarge(t.to_string()));
        }
        let whole: i128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| bad())?
        };
        // Keep one digit more than we store, and note whether anything non-zero
        // follows it, so rounding sees the exact value.
        let kept: String = frac
            .chars()
            .chain(std::iter::repeat('0'))
            .take(MAX_DECIMALS as usize + 1)
            .collect();
        let kept: i128 = kept.parse().map_err(|_| bad())?;
        let mut micro = kept / 10;
        if kept % 10 >= 5 {
            micro += 1;
        }
        let total = (whole * SCALE + micro) * BINARY;
        if total >= LIMIT {
            return Err(PointsError::TooLarge(t.to_string()));
        }
        Ok(Points(if negative { -total } else { total }))
    }

    /// Rounded to `decimals` places, half away from zero.
    pub fn round(self, decimals: u32) -> Self {
        let d = decimals.min(MAX_DECIMALS);
        let unit = pow10(MAX_DECIMALS - d) * BINARY;
        Points(div_round(self.0, unit) * unit)
    }

    /// `self × factor`, to the nearest tick.
    pub fn scale(self, factor: Factor) -> Self {
        Points(div_round(self.0 * factor.0 as i128, SCALE))
    }

    /// `self × to / from`, to the nearest micro-point: a score out of `from`
    /// as the same share of `to`. `None` when `from` is not positive.
    pub fn rescale(self, from: Points, to: Points) -> Option<Self> {
        let from = i128::from(from.micro());
        (from > 0).then(|| {
            let m = div_round(i128::from(self.micro()) * i128::from(to.micro()), from);
            Points(m * BINARY)
        })
    }

    /// `self × n`, exactly (a penalty per day times the days).
    pub fn times(self, n: u32) -> Self {
        Points(self.0 * n as i128)
    }

    /// `part / whole × 100`, rounded once, to `decimals` places (half away
    /// from zero), straight from the exact quotient. `None` when `whole` is not
    /// positive.
    pub fn percent_of(part: Points, whole: Points, decimals: u32) -> Option<Self> {
        if whole.0 <= 0 {
            return None;
        }
        let d = decimals.min(MAX_DECIMALS);
        let units = match part.0.checked_mul(100 * pow10(d)) {
            Some(scaled) => div_round(scaled, whole.0),
            // Only past a thousand points with 6 places: drop the binary
            // ticks, which no published figure can see.
            None => div_round(
                (part.0 / BINARY) * 100 * pow10(d),
                (whole.0 / BINARY).max(1),
            ),
        };
        Some(Points(units * pow10(MAX_DECIMALS - d) * BINARY))
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// With exactly `decimals` places, e.g. `90.00`.
    pub fn fixed(self, decimals: u32) -> String {
        let d = decimals.min(MAX_DECIMALS);
        let r = self.round(d);
        let sign = if r.0 < 0 { "-" } else { "" };
        let abs = r.0.unsigned_abs() / BINARY as u128;
        let whole = abs / SCALE as u128;
        if d == 0 {
            return format!("{sign}{whole}");
        }
        let frac = (abs % SCALE as u128) / pow10(MAX_DECIMALS - d) as u128;
        format!("{sign}{whole}.{frac:0width$}", width = d as usize)
    }
}

/// Shortest exact form: `90`, `2.5`, `0.125`.
impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.fixed(MAX_DECIMALS);
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.')
        } else {
            &s
        };
        f.write_str(s)
    }
}

impl serde::Serialize for Points {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.to_f64())
    }
}

impl Add for Points {
    type Output = Points;
    fn add(self, o: Points) -> Points {
        Points(self.0 + o.0)
    }
}

impl AddAssign for Points {
    fn add_assign(&mut self, o: Points) {
        self.0 += o.0;
    }
}

impl Sub for Points {
    type Output = Points;
    fn sub(self, o: Points) -> Points {
        Points(self.0 - o.0)
    }
}

impl SubAssign for Points {
    fn sub_assign(&mut self, o: Points) {
        self.0 -= o.0;
    }
}

impl Neg for Points {
    type Output = Points;
    fn neg(self) -> Points {
        Points(-self.0)
    }
}

impl Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        iter.fold(Points::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Points> for Points {
    fn sum<I: Iterator<Item = &'a Points>>(iter: I) -> Points {
        iter.copied().sum()
    }
}

/// A multiplier in [0, 1] such as the 70 % cap on late evidence, kept in
/// millionths like [`Points`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Factor(i64);

impl Factor {
    pub const ONE: Factor = Factor(SCALE as i64);

    pub fn from_f64(x: f64) -> Option<Self> {
        Points::from_f64(x).map(|p| Factor(p.micro()))
    }

    pub fn to_f64(self) -> f64 {
        self.0 as f64 / SCALE as f64
    }

    pub fn micro(self) -> i64 {
        self.0
    }

    /// As a whole percentage, as pages say it ("70 %").
    pub fn percent(self) -> i64 {
        (self.0 + SCALE as i64 / 200) / (SCALE as i64 / 100)
    }
}

impl fmt::Display for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Points::from_micro(self.0).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Points {
        Points::parse(s).unwrap()
    }

    #[test]
    fn decimals_parse_exactly() {
        assert_eq!(p("89.995").micro(), 89_995_000);
        assert_eq!(p("12,5"), p("12.5"));
        assert_eq!(p("-0.75").micro(), -750_000);
        assert_eq!(p(".5"), p("0.5"));
        assert_eq!(p("7."), Points::from_int(7));
        assert_eq!(p(" 007 "), Points::from_int(7));
        // The seventh place rounds, half away from zero.
        assert_eq!(p("0.0000005").micro(), 1);
        assert_eq!(p("0.00000049").micro(), 0);
        assert_eq!(p("-0.0000005").micro(), -1);
    }

    #[test]
    fn non_numbers_are_refused() {
        for s in [
            "", "abc", "1.2.3", "1,2,3", "1e5", "--1", ".", "12 5", "0x10",
        ] {
            assert!(Points::parse(s).is_err(), "{s:?}");
        }
        assert!(matches!(
            Points::parse("99999999999"),
            Err(PointsError::TooLarge(_))
        ));
    }

    #[test]
    fn rounding_is_half_away_from_zero_on_exact_values() {
        // The case binary floating point gets wrong: the f64 nearest 59.995
        // lies below it, so formatting rounds it down…
        assert_eq!(format!("{:.2}", 59.995_f64), "59.99");
        assert_ne!(0.1_f64 + 0.2, 0.3);
        // …while the written number rounds up.
        assert_eq!(p("59.995").round(2), p("60.00"));
        assert_eq!(p("89.995").round(2), p("90.00"));
        assert_eq!(p("89.994999").round(2), p("89.99"));
        assert_eq!(p("-2.345").round(2), p("-2.35"));
        assert_eq!(p("2.344").round(2), p("2.34"));
        assert_eq!(p("84.995").round(2).fixed(2), "85.00");
        assert_eq!(p("0.5").round(0), Points::from_int(1));
        // A sum of two decimals that f64 would drift on stays exact.
        assert_eq!((p("62.995") + p("27")).round(2), Points::from_int(90));
        assert_eq!((p("0.1") + p("0.2")), p("0.3"));
    }

    #[test]
    fn fixed_and_display() {
        assert_eq!(Points::from_int(90).fixed(2), "90.00");
        assert_eq!(p("89.99").fixed(2), "89.99");
        assert_eq!(p("-1.5").fixed(1), "-1.5");
        assert_eq!(p("3.1").fixed(0), "3");
        assert_eq!(p("2.50").to_string(), "2.5");
        assert_eq!(Points::from_int(100).to_string(), "100");
        assert_eq!(p("0.125").to_string(), "0.125");
    }

    #[test]
    fn scaling_and_percent() {
        let seventy = Factor::from_f64(0.7).unwrap();
        assert_eq!(seventy.percent(), 70);
        assert_eq!(Factor::ONE.percent(), 100);
        assert_eq!(p("2.5").scale(seventy), p("1.75"));
        assert_eq!(p("1.25").scale(seventy), p("0.875"));
        assert_eq!(p("3").scale(Factor::ONE), p("3"));
        // 85 of 100 applicable points, and the same score when 5 points left P.
        assert_eq!(
            Points::percent_of(p("85"), p("100"), 2),
            Some(Points::from_int(85))
        );
        assert_eq!(Points::percent_of(p("80.75"), p("95"), 2), Some(p("85")));
        // 2/3 → 66.666…% → 66.67, rounded once from the exact quotient.
        assert_eq!(Points::percent_of(p("2"), p("3"), 2), Some(p("66.67")));
        assert_eq!(Points::percent_of(p("1"), Points::ZERO, 2), None);
    }

    #[test]
    fn an_estimate_enters_the_sum_exactly_and_is_rounded_once() {
        // Rounded once, on the total: 62.66 + 27.3349999 = 89.9949999 → 89.99,
        // where rounding the survey points to 6 places first gives 90.00.
        let survey = Points::from_estimate(27.3349999).unwrap();
        assert_eq!((p("62.66") + survey).round(2), p("89.99"));
        assert_eq!(
            (p("62.66") + Points::from_f64(27.3349999).unwrap()).round(2),
            p("90")
        );
        // The estimate is the binary number itself: 0.1 is a little above 0.1.
        assert!(Points::from_estimate(0.1).unwrap() > p("0.1"));
        assert_eq!(Points::from_estimate(0.1).unwrap().round(6), p("0.1"));
        assert_eq!(Points::from_estimate(-2.5).unwrap(), p("-2.5"));
        assert_eq!(Points::from_estimate(0.0).unwrap(), Points::ZERO);
        assert!(Points::from_estimate(1e-300).unwrap() >= Points::ZERO);
        assert!(Points::from_estimate(f64::NAN).is_none());
        assert!(Points::from_estimate(1e7).is_none());
        // Sums of estimates are exact: the f64 sum drifts, the ticks do not.
        let (a, b) = (0.1_f64, 0.2_f64);
        let exact = Points::from_estimate(a).unwrap() + Points::from_estimate(b).unwrap();
        assert_ne!(exact, Points::from_estimate(a + b).unwrap());
        // Stored and read back without loss.
        assert_eq!(Points::from_exact(&survey.exact()).unwrap(), survey);
        assert!(Points::from_exact("12.5").is_err());
    }

    #[test]
    fn floats_are_taken_to_the_nearest_micro_point() {
        assert_eq!(Points::from_f64(0.1).unwrap(), p("0.1"));
        assert_eq!(Points::from_f64(89.995).unwrap(), p("89.995"));
        assert!(Points::from_f64(f64::NAN).is_none());
        assert!(Points::from_f64(1e300).is_none());
    }
}
