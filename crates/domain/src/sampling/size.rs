//! Sample sizes of one unit × respondent group, and the margin of error a
//! size achieves.
//!
//! Formulas (N = people in the frame, e = margin, z = two-sided normal
//! quantile of the confidence level, p = assumed proportion, default 0.5):
//!
//! - Cochran with finite-population correction: n0 = z²·p(1−p)/e²,
//!   n = n0 / (1 + (n0 − 1)/N);
//! - Yamane: n = N / (1 + N·e²) (which is Cochran at z²·p(1−p) = 1, i.e.
//!   about 95 % and p = 0.5, without the −1);
//! - a fixed quota per unit type.
//!
//! Each computed size is rounded up (ceil) once, after the formula, ignoring
//! floating-point noise below 1e-9. The result is the number of
//! *respondents* wanted; [`inflate`] turns it into the number of people to
//! invite.

use std::collections::BTreeMap;

use statrs::distribution::{ContinuousCDF, Normal};

use super::{ceil_size, SamplingError};

/// A confidence level strictly between 0 and 1, e.g. 0.95.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(try_from = "f64")]
pub struct Confidence(f64);

impl Confidence {
    pub fn new(level: f64) -> Result<Self, SamplingError> {
        if level > 0.0 && level < 1.0 {
            Ok(Self(level))
        } else {
            Err(SamplingError::Confidence(level))
        }
    }

    pub fn level(self) -> f64 {
        self.0
    }

    /// The two-sided normal quantile: z with P(|Z| ≤ z) = level
    /// (1.959964 for 0.95).
    pub fn z(self) -> f64 {
        Normal::standard().inverse_cdf(1.0 - (1.0 - self.0) / 2.0)
    }
}

impl Default for Confidence {
    fn default() -> Self {
        Self(0.95)
    }
}

impl TryFrom<f64> for Confidence {
    type Error = SamplingError;
    fn try_from(v: f64) -> Result<Self, SamplingError> {
        Self::new(v)
    }
}

/// A margin of error (half-width of the interval) as a fraction: 0.05 = 5 %.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(try_from = "f64")]
pub struct Margin(f64);

impl Margin {
    pub fn new(e: f64) -> Result<Self, SamplingError> {
        if e > 0.0 && e < 1.0 {
            Ok(Self(e))
        } else {
            Err(SamplingError::Margin(e))
        }
    }
    pub fn value(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Margin {
    type Error = SamplingError;
    fn try_from(v: f64) -> Result<Self, SamplingError> {
        Self::new(v)
    }
}

/// The proportion assumed when sizing (0.5 is the most conservative).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(try_from = "f64")]
pub struct Proportion(f64);

impl Proportion {
    pub fn new(p: f64) -> Result<Self, SamplingError> {
        if p > 0.0 && p < 1.0 {
            Ok(Self(p))
        } else {
            Err(SamplingError::Proportion(p))
        }
    }
    pub fn value(self) -> f64 {
        self.0
    }
    fn variance(self) -> f64 {
        self.0 * (1.0 - self.0)
    }
}

impl Default for Proportion {
    fn default() -> Self {
        Self(0.5)
    }
}

impl TryFrom<f64> for Proportion {
    type Error = SamplingError;
    fn try_from(v: f64) -> Result<Self, SamplingError> {
        Self::new(v)
    }
}

/// The expected share of invited people who answer, in (0, 1].
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(try_from = "f64")]
pub struct ResponseRate(f64);

impl ResponseRate {
    pub fn new(rr: f64) -> Result<Self, SamplingError> {
        if rr > 0.0 && rr <= 1.0 {
            Ok(Self(rr))
        } else {
            Err(SamplingError::ResponseRate(rr))
        }
    }
    pub fn value(self) -> f64 {
        self.0
    }
}

impl Default for ResponseRate {
    fn default() -> Self {
        Self(1.0)
    }
}

impl TryFrom<f64> for ResponseRate {
    type Error = SamplingError;
    fn try_from(v: f64) -> Result<Self, SamplingError> {
        Self::new(v)
    }
}

/// How many respondents a unit × group needs, before non-response.
#[derive(Debug, Clone, PartialEq)]
pub enum SizeRule {
    /// A fixed number per unit type (`xa`, `phuong`, `so`, ...); a unit
    /// whose type is not listed is an error, never a silent default.
    Quota(BTreeMap<String, u64>),
    /// Cochran's formula with finite-population correction; z and p come
    /// from the group rule.
    Cochran { margin: Margin },
    /// Yamane's formula.
    Yamane { margin: Margin },
}

impl SizeRule {
    /// The respondents wanted from a frame of `population` people, before
    /// inflation (not yet capped at the population for quotas).
    pub fn respondents(
        &self,
        unit_type: &str,
        population: u64,
        confidence: Confidence,
        proportion: Proportion,
    ) -> Result<u64, SamplingError> {
        match self {
            SizeRule::Quota(q) => q
                .get(unit_type)
                .copied()
                .ok_or_else(|| SamplingError::NoQuota(unit_type.to_string())),
            SizeRule::Cochran { margin } => {
                Ok(cochran(population, confidence, *margin, proportion))
            }
            SizeRule::Yamane { margin } => Ok(yamane(population, *margin)),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            SizeRule::Quota(_) => "quota",
            SizeRule::Cochran { .. } => "cochran",
            SizeRule::Yamane { .. } => "yamane",
        }
    }
}

/// Cochran's n with finite-population correction, rounded up. N = 0 gives 0
/// and N = 1 gives 1 (the correction makes n ≤ N for every N ≥ 1).
pub fn cochran(population: u64, confidence: Confidence, margin: Margin, p: Proportion) -> u64 {
    if population == 0 {
        return 0;
    }
    let z = confidence.z();
    let n0 = z * z * p.variance() / (margin.0 * margin.0);
    let n = n0 / (1.0 + (n0 - 1.0) / population as f64);
    ceil_size(n).min(population)
}

/// Yamane's n = N / (1 + N·e²), rounded up.
pub fn yamane(population: u64, margin: Margin) -> u64 {
    let n = population as f64;
    ceil_size(n / (1.0 + n * margin.0 * margin.0)).min(population)
}

/// The number of people to invite: ceil(respondents / rr), then at least
/// `min_per_unit`, never more than the population.
pub fn inflate(respondents: u64, population: u64, rr: ResponseRate, min_per_unit: u64) -> u64 {
    let invited = ceil_size(respondents as f64 / rr.0);
    invited.max(min_per_unit).min(population)
}

/// The margin of error achieved when `sample` of `population` people are
/// invited and a share `rr` of them answers: with r = sample·rr expected
/// respondents, e = z·sqrt(p(1−p)·(N − r) / (r·(N − 1))), the inverse of
/// Cochran with correction. `Some(0.0)` for a census (r ≥ N); `None` when
/// fewer than one respondent is expected (nothing to estimate from).
pub fn achieved_margin(
    population: u64,
    sample: u64,
    rr: ResponseRate,
    confidence: Confidence,
    p: Proportion,
) -> Option<f64> {
    let n = population as f64;
    let r = sample.min(population) as f64 * rr.0;
    if population > 0 && r >= n {
        return Some(0.0);
    }
    if r < 1.0 {
        return None;
    }
    // Here N ≥ 2: r ≥ 1 and r < N.
    let z = confidence.z();
    Some(z * (p.variance() * (n - r) / (r * (n - 1.0))).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c95() -> Confidence {
        Confidence::new(0.95).unwrap()
    }
    fn e(x: f64) -> Margin {
        Margin::new(x).unwrap()
    }
    fn half() -> Proportion {
        Proportion::default()
    }

    #[test]
    fn z_matches_the_normal_table() {
        assert!((c95().z() - 1.959964).abs() < 1e-6);
        assert!((Confidence::new(0.99).unwrap().z() - 2.575829).abs() < 1e-6);
        assert!((Confidence::new(0.90).unwrap().z() - 1.644854).abs() < 1e-6);
    }

    #[test]
    fn cochran_by_hand() {
        // n0 = 1.959964² · 0.25 / 0.0025 = 384.146; n = 384.146 / (1 + 383.146/1000) = 277.74
        assert_eq!(cochran(1000, c95(), e(0.05), half()), 278);
        // N = 10,000: 384.146 / 1.0383146 = 369.97 → 370
        assert_eq!(cochran(10_000, c95(), e(0.05), half()), 370);
        // p = 0.2: n0 = 3.8415 · 0.16 / 0.0025 = 245.85; /(1 + 244.85/1000) = 197.49 → 198
        let p = Proportion::new(0.2).unwrap();
        assert_eq!(cochran(1000, c95(), e(0.05), p), 198);
        // Very large N tends to n0 = 384.15 → 385.
        assert_eq!(cochran(100_000_000, c95(), e(0.05), half()), 385);
    }

    #[test]
    fn cochran_on_tiny_frames() {
        assert_eq!(cochran(0, c95(), e(0.05), half()), 0);
        assert_eq!(cochran(1, c95(), e(0.05), half()), 1);
        // N = 2: 384.146 / (1 + 383.146/2) = 1.9948 → 2
        assert_eq!(cochran(2, c95(), e(0.05), half()), 2);
        // N = 20: 384.146 / (1 + 383.146/20) = 19.04 → 20
        assert_eq!(cochran(20, c95(), e(0.05), half()), 20);
    }

    #[test]
    fn yamane_by_hand() {
        // 1000 / (1 + 1000 · 0.0025) = 1000 / 3.5 = 285.71 → 286
        assert_eq!(yamane(1000, e(0.05)), 286);
        // 400 / (1 + 400 · 0.01) = 80 exactly: no rounding up
        assert_eq!(yamane(400, e(0.10)), 80);
        assert_eq!(yamane(0, e(0.05)), 0);
        assert_eq!(yamane(1, e(0.05)), 1);
    }

    #[test]
    fn inflation_by_response_rate_with_cap_and_minimum() {
        let rr = ResponseRate::new(0.6).unwrap();
        // 278 / 0.6 = 463.33 → 464
        assert_eq!(inflate(278, 1000, rr, 0), 464);
        // 150 / 0.6 is 250 exactly on paper; float noise must not make it 251.
        assert_eq!(inflate(150, 1000, rr, 0), 250);
        // capped at N
        assert_eq!(inflate(278, 300, rr, 0), 300);
        // the minimum applies, and is itself capped at N
        assert_eq!(inflate(10, 1000, rr, 30), 30);
        assert_eq!(inflate(10, 20, rr, 30), 20);
        assert_eq!(inflate(0, 0, rr, 30), 0);
        assert_eq!(inflate(5, 1000, ResponseRate::new(1.0).unwrap(), 0), 5);
    }

    #[test]
    fn quota_looks_up_the_unit_type() {
        let rule = SizeRule::Quota(BTreeMap::from([("xa".into(), 150), ("so".into(), 30)]));
        assert_eq!(rule.respondents("xa", 10_000, c95(), half()), Ok(150));
        assert_eq!(
            rule.respondents("phuong", 10_000, c95(), half()),
            Err(SamplingError::NoQuota("phuong".into()))
        );
    }

    #[test]
    fn invalid_parameters_are_refused_with_reasons() {
        for bad in [0.0, -0.05, 1.0, 1.5, f64::NAN] {
            assert!(Margin::new(bad).is_err(), "{bad}");
            assert!(Confidence::new(bad).is_err(), "{bad}");
            assert!(Proportion::new(bad).is_err(), "{bad}");
        }
        for bad in [0.0, -0.1, 1.01, f64::NAN, f64::INFINITY] {
            assert!(ResponseRate::new(bad).is_err(), "{bad}");
        }
        assert!(ResponseRate::new(1.0).is_ok());
        let msg = Margin::new(0.0).unwrap_err().to_string();
        assert!(msg.contains("sai số"), "{msg}");
        let msg = ResponseRate::new(1.2).unwrap_err().to_string();
        assert!(msg.contains("tỷ lệ phản hồi"), "{msg}");
    }

    #[test]
    fn achieved_margin_inverts_cochran() {
        let rr1 = ResponseRate::new(1.0).unwrap();
        // 278 respondents of 1000 give just under 5 %.
        let m = achieved_margin(1000, 278, rr1, c95(), half()).unwrap();
        assert!(m < 0.05 && m > 0.0499, "{m}");
        // 277 would give just over 5 %.
        let m = achieved_margin(1000, 277, rr1, c95(), half()).unwrap();
        assert!(m > 0.05, "{m}");
        // Inviting 464 at rr = 0.6 expects 278.4 respondents: about 5 % again.
        let rr = ResponseRate::new(0.6).unwrap();
        let m = achieved_margin(1000, 464, rr, c95(), half()).unwrap();
        assert!((m - 0.05).abs() < 0.0005, "{m}");
        // By hand: N = 100, r = 50: 1.96 · sqrt(0.25 · 50 / (50 · 99)) = 0.09849
        let m = achieved_margin(100, 50, rr1, c95(), half()).unwrap();
        assert!((m - 0.098_49).abs() < 1e-4, "{m}");
    }

    #[test]
    fn achieved_margin_edge_cases() {
        let rr1 = ResponseRate::new(1.0).unwrap();
        let rr = ResponseRate::new(0.6).unwrap();
        assert_eq!(achieved_margin(50, 50, rr1, c95(), half()), Some(0.0));
        assert_eq!(achieved_margin(1, 1, rr1, c95(), half()), Some(0.0));
        assert_eq!(achieved_margin(1, 1, rr, c95(), half()), None);
        assert_eq!(achieved_margin(0, 0, rr, c95(), half()), None);
        assert_eq!(achieved_margin(100, 1, rr, c95(), half()), None);
        // Less than a census still has a margin.
        assert!(achieved_margin(50, 50, rr, c95(), half()).unwrap() > 0.0);
    }
}
