//! The design of one rated unit × respondent group, read off its tallies:
//! R's `svydesign(id=~1, strata=~stratum, fpc=~N_h, weights=~N_h/r_h)`, and
//! the formulas that give its domain means and the linearised variance of
//! any linear combination of them from the integer sums alone.
//!
//! With w_h = N_h/r_h, a criterion's share is the ratio R_c = Σw·y_c / Σw·1_c
//! and a combination Σ_c a_c·R_c has influence values
//! z_i = w_h Σ_c (a_c/W_c)(y_ic − R_c·1_ic), W_c = Σw·1_c. Per stratum
//! Σ z_i and Σ z_i² expand into the tally's sums (Σ y_c, Σ 1_c, Σ y_c·y_d,
//! Σ y_c·1_d, Σ 1_c·1_d), and
//! V = Σ_h (1 − r_h/N_h)·r_h/(r_h − 1)·(Σ z_i² − (Σ z_i)²/r_h),
//! which is `svyrecvar`'s one-stage formula, term for term.

use serde::Serialize;

use crate::questionnaire::RespondentGroup;

use super::scorer::MICRO;
use super::tally::Tally;

/// R's test for a self-representing stratum (`onestrat`: f < 1e-7).
const SELF_REPRESENTING: f64 = 1e-7;

/// Why a standard error cannot be given. The estimate itself stands; only its
/// interval is missing, so a live results page keeps working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "issue", rename_all = "snake_case")]
pub enum SeIssue {
    /// A stratum with a single respondent and more people in its frame: no
    /// variance can be estimated inside it. R's `survey.lonely.psu = "fail"`
    /// stops there; here the SE is left out and flagged instead.
    LonelyStratum {
        group: RespondentGroup,
        stratum: String,
    },
    /// A single open-link respondent in an estimate that uses open links.
    LonelyOpen { group: RespondentGroup },
}

impl SeIssue {
    pub fn message(&self) -> String {
        match self {
            SeIssue::LonelyStratum { group, stratum } => format!(
                "nhóm {}: tầng \"{stratum}\" mới có một người trả lời, chưa tính được sai số chuẩn",
                group.label()
            ),
            SeIssue::LonelyOpen { group } => format!(
                "nhóm {}: chỉ có một phiếu từ liên kết mở, chưa tính được sai số chuẩn",
                group.label()
            ),
        }
    }
}

/// Which rows an estimate touches, for the lonely-stratum rule: a domain mean
/// sees only the strata with a respondent in its domain (R's `subset`); a
/// combination of several domains sees the whole design (`svyby` with
/// `covmat = TRUE` linearises over the full design).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Domain(usize),
    Design,
}

#[derive(Debug, Clone)]
pub(super) struct DesignStratum<'a> {
    /// `None` for the open-link stratum.
    pub stratum: Option<&'a str>,
    pub weight: f64,
    /// 1 − f_h; 1 without fpc.
    pub fpc_factor: f64,
    pub tally: &'a Tally,
}

/// A criterion's share in the design.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Ratio {
    pub value: f64,
    pub valid: u64,
}

#[derive(Debug, Clone)]
pub(super) struct GroupDesign<'a> {
    group: RespondentGroup,
    criteria: usize,
    strata: Vec<DesignStratum<'a>>,
    /// Σ w·1_c per criterion.
    weight_in: Vec<f64>,
    ratios: Vec<Option<Ratio>>,
}

fn micro(x: u64) -> f64 {
    x as f64 / f64::from(MICRO)
}

impl<'a> GroupDesign<'a> {
    /// `strata` in a fixed order (the caller sorts them), each with at least
    /// one respondent and the same criteria.
    pub fn new(group: RespondentGroup, criteria: usize, strata: Vec<DesignStratum<'a>>) -> Self {
        let mut weight_in = vec![0.0; criteria];
        let mut weighted_sum = vec![0.0; criteria];
        let mut valid = vec![0u64; criteria];
        for s in &strata {
            for c in 0..criteria {
                weight_in[c] += s.weight * s.tally.valid(c) as f64;
                weighted_sum[c] += s.weight * micro(s.tally.score_given(c, c));
                valid[c] += s.tally.valid(c);
            }
        }
        let ratios = (0..criteria)
            .map(|c| {
                (valid[c] > 0 && weight_in[c] > 0.0).then(|| Ratio {
                    value: weighted_sum[c] / weight_in[c],
                    valid: valid[c],
                })
            })
            .collect();
        Self {
            group,
            criteria,
            strata,
            weight_in,
            ratios,
        }
    }

    pub fn ratio(&self, c: usize) -> Option<Ratio> {
        self.ratios[c]
    }

    /// Variance of Σ_c coefficients[c]·R_c. Criteria with a zero coefficient
    /// or no respondent in their domain take no part.
    pub fn variance(&self, coefficients: &[f64], scope: Scope) -> Result<f64, SeIssue> {
        // β_c = a_c / W_c and R_c for the criteria taking part.
        let terms: Vec<(usize, f64, f64)> = (0..self.criteria)
            .filter_map(|c| {
                let a = coefficients[c];
                let r = self.ratios[c]?;
                (a != 0.0).then(|| (c, a / self.weight_in[c], r.value))
            })
            .collect();
        let mut v = 0.0;
        for s in &self.strata {
            let t = s.tally;
            let n = t.respondents();
            let active = match scope {
                Scope::Domain(c) => t.valid(c) > 0,
                Scope::Design => true,
            };
            // R's order: a self-representing stratum adds 0 before n_h is
            // looked at; then one PSU fails.
            if s.fpc_factor < SELF_REPRESENTING {
                continue;
            }
            if n == 1 {
                if active {
                    return Err(match s.stratum {
                        Some(h) => SeIssue::LonelyStratum {
                            group: self.group,
                            stratum: h.to_string(),
                        },
                        None => SeIssue::LonelyOpen { group: self.group },
                    });
                }
                continue;
            }
            let mut sum_z = 0.0;
            let mut sum_zz = 0.0;
            for &(c, bc, rc) in &terms {
                sum_z += bc * (micro(t.score_given(c, c)) - rc * t.valid(c) as f64);
                for &(d, bd, rd) in &terms {
                    // Σ_i (y_c − R_c 1_c)(y_d − R_d 1_d)
                    let cross = t.product(c, d) as f64 / (f64::from(MICRO) * f64::from(MICRO))
                        - rd * micro(t.score_given(c, d))
                        - rc * micro(t.score_given(d, c))
                        + rc * rd * t.both(c, d) as f64;
                    sum_zz += bc * bd * cross;
                }
            }
            let w = s.weight;
            let (sum_z, sum_zz) = (w * sum_z, w * w * sum_zz);
            let r = n as f64;
            let squares = sum_zz - sum_z * sum_z / r;
            v += s.fpc_factor * r / (r - 1.0) * squares;
        }
        // The expanded sums can leave a rounding residue below 0.
        Ok(v.max(0.0))
    }
}
