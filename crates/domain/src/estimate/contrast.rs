//! A linear combination of domain means, with the covariances between them:
//! what R's `svycontrast` computes on `svyby(..., covmat = TRUE)`.
//!
//! Each mean's influence values w(y − ȳ)/Σw live on its own domain's rows
//! (zero elsewhere); `svyby` puts them side by side in one matrix over the
//! whole design and runs `svyrecvar` on it, so a'Va is the linearised variance
//! of the row sums Σ_k a_k z_k. The survey component uses this to check its
//! running sums: criteria answered by the same respondents are correlated, and
//! adding their variances as if they were independent would be wrong.

use super::design::Design;
use super::error::EstimateError;
use super::estimators::{Estimate, Statistic};
use super::variance::linearized_variance;

/// One term a·ȳ of the combination: the weighted mean of `y` over `domain`
/// (all rows if `None`; a `None` value leaves its row out, as `na.rm = TRUE`).
#[derive(Debug, Clone, Copy)]
pub struct MeanTerm<'a> {
    pub coefficient: f64,
    pub y: &'a [Option<f64>],
    pub domain: Option<&'a [bool]>,
}

/// Σ_k a_k·ȳ_k with its linearised variance.
///
/// The variance runs over the whole design, as `svyby`'s `svyrecvar` does:
/// a stratum with a single PSU is an error even when none of its rows is in
/// any term's domain (unlike [`mean`](super::mean) of one domain, which only
/// sees the domain's strata). `n` counts the rows some term uses; `degf` is
/// the design's.
pub fn mean_contrast(design: &Design, terms: &[MeanTerm<'_>]) -> Result<Estimate, EstimateError> {
    if terms.is_empty() {
        return Err(EstimateError::NoTerms);
    }
    let rows = design.len();
    let w = design.weights();
    let mut z = vec![0.0; rows];
    let mut used = vec![false; rows];
    let mut value = 0.0;
    for t in terms {
        check_len("y", rows, t.y.len())?;
        if let Some(d) = t.domain {
            check_len("domain", rows, d.len())?;
        }
        let active: Vec<bool> = (0..rows)
            .map(|i| t.domain.is_none_or(|d| d[i]) && t.y[i].is_some())
            .collect();
        if !(0..rows).any(|i| active[i] && w[i] > 0.0) {
            return Err(EstimateError::EmptyDomain);
        }
        let rows_in = || (0..rows).filter(|&i| active[i]);
        let sum_w: f64 = rows_in().map(|i| w[i]).sum();
        if sum_w <= 0.0 {
            return Err(EstimateError::ZeroTotalWeight);
        }
        let y = |i: usize| t.y[i].unwrap_or(0.0);
        let mean = rows_in().map(|i| w[i] * y(i)).sum::<f64>() / sum_w;
        value += t.coefficient * mean;
        for i in rows_in() {
            z[i] += t.coefficient * w[i] * (y(i) - mean) / sum_w;
            used[i] |= w[i] > 0.0;
        }
    }
    let variance = linearized_variance(design, &z, &vec![true; rows])?;
    let n = used.iter().filter(|&&u| u).count();
    Ok(Estimate::without_deff(
        Statistic::Contrast,
        value,
        variance,
        n,
        design.degf(None),
    ))
}

fn check_len(column: &'static str, expected: usize, actual: usize) -> Result<(), EstimateError> {
    if actual == expected {
        Ok(())
    } else {
        Err(EstimateError::LengthMismatch {
            column,
            expected,
            actual,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::design::DesignSpec;
    use super::super::estimators::mean;
    use super::*;

    fn some(v: &[f64]) -> Vec<Option<f64>> {
        v.iter().copied().map(Some).collect()
    }

    fn stratified() -> Design {
        let strata = ["a", "a", "a", "b", "b", "b", "b"];
        Design::new(DesignSpec {
            strata: Some(&strata[..]),
            fpc: Some(&[30.0, 30.0, 30.0, 40.0, 40.0, 40.0, 40.0]),
            weights: Some(&[10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0]),
            ..DesignSpec::new(7)
        })
        .unwrap()
    }

    #[test]
    fn one_term_is_the_domain_mean_scaled() {
        let d = stratified();
        let y = some(&[0.2, 0.9, 0.4, 1.0, 0.0, 0.5, 0.7]);
        let dom = [true, false, true, true, true, false, true];
        let m = mean(&d, &y, Some(&dom)).unwrap();
        let c = mean_contrast(
            &d,
            &[MeanTerm {
                coefficient: 3.0,
                y: &y,
                domain: Some(&dom),
            }],
        )
        .unwrap();
        assert!((c.value - 3.0 * m.value).abs() < 1e-12);
        assert!((c.variance - 9.0 * m.variance).abs() < 1e-12);
        assert_eq!(c.statistic, Statistic::Contrast);
        assert_eq!(c.n, 5);
        assert!(c.deff(crate::estimate::Replacement::With).is_none());
    }

    #[test]
    fn correlated_terms_are_not_added_as_if_independent() {
        // Two criteria answered by the same rows, strongly correlated: the
        // variance of their sum is far above the sum of their variances.
        let d = stratified();
        let y1 = some(&[0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0]);
        let y2 = some(&[0.1, 0.9, 0.0, 1.0, 0.2, 0.8, 1.0]);
        let term = |y| MeanTerm {
            coefficient: 1.0,
            y,
            domain: None,
        };
        let v1 = mean(&d, &y1, None).unwrap().variance;
        let v2 = mean(&d, &y2, None).unwrap().variance;
        let both = mean_contrast(&d, &[term(&y1), term(&y2)]).unwrap();
        // The sum y1 + y2 as one variable gives the same answer.
        let sum: Vec<Option<f64>> = (0..7)
            .map(|i| Some(y1[i].unwrap() + y2[i].unwrap()))
            .collect();
        let direct = mean(&d, &sum, None).unwrap();
        assert!((both.value - direct.value).abs() < 1e-12);
        assert!((both.variance - direct.variance).abs() < 1e-12);
        assert!(
            both.variance > 1.5 * (v1 + v2),
            "{} vs {}",
            both.variance,
            v1 + v2
        );
    }

    #[test]
    fn a_lonely_stratum_outside_every_domain_still_fails_as_in_svyby() {
        let strata = ["a", "b", "b", "b"];
        let d = Design::new(DesignSpec {
            strata: Some(&strata[..]),
            ..DesignSpec::new(4)
        })
        .unwrap();
        let y = some(&[1.0, 0.0, 1.0, 1.0]);
        let dom = [false, true, true, true];
        assert!(mean(&d, &y, Some(&dom)).is_ok(), "one domain: R's subset");
        let err = mean_contrast(
            &d,
            &[MeanTerm {
                coefficient: 1.0,
                y: &y,
                domain: Some(&dom),
            }],
        )
        .unwrap_err();
        assert_eq!(
            err,
            EstimateError::LonelyPsu {
                stratum: "a".into()
            }
        );
    }

    #[test]
    fn refusals() {
        let d = stratified();
        assert_eq!(mean_contrast(&d, &[]).unwrap_err(), EstimateError::NoTerms);
        let y = some(&[1.0; 7]);
        let empty = MeanTerm {
            coefficient: 1.0,
            y: &y,
            domain: Some(&[false; 7]),
        };
        assert_eq!(
            mean_contrast(&d, &[empty]).unwrap_err(),
            EstimateError::EmptyDomain
        );
        let short = MeanTerm {
            coefficient: 1.0,
            y: &y[..3],
            domain: None,
        };
        assert!(matches!(
            mean_contrast(&d, &[short]).unwrap_err(),
            EstimateError::LengthMismatch { column: "y", .. }
        ));
    }
}
