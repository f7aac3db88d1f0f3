//! Confidence intervals as R's `confint` and `svyciprop` compute them.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use super::error::EstimateError;
use super::estimators::{Estimate, Statistic};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// estimate ± z·SE (R's `confint(svymean(...))`, `df = Inf`).
    Normal,
    /// estimate ± t(degf)·SE (R's `confint(..., df = degf(design))`).
    StudentT,
    /// R's `svyciprop(method = "logit")`: a Wald interval for logit(p) with
    /// SE(p)/(p(1 − p)) and the t quantile on `degf(design)` degrees of
    /// freedom, mapped back with expit. Only for proportions.
    Logit,
}

/// Two-sided interval at `level` (e.g. 0.95).
pub fn confidence_interval(
    estimate: &Estimate,
    method: Interval,
    level: f64,
) -> Result<(f64, f64), EstimateError> {
    // `!(0 < level < 1)` also refuses NaN.
    if !(level > 0.0 && level < 1.0) {
        return Err(EstimateError::InvalidLevel { level });
    }
    let upper_tail = 1.0 - (1.0 - level) / 2.0;
    let (value, se) = (estimate.value, estimate.se());
    match method {
        Interval::Normal => {
            let q = Normal::standard().inverse_cdf(upper_tail);
            Ok((value - q * se, value + q * se))
        }
        Interval::StudentT => {
            let q = t_quantile(upper_tail, estimate.degf)?;
            Ok((value - q * se, value + q * se))
        }
        Interval::Logit => {
            if estimate.statistic != Statistic::Proportion {
                return Err(EstimateError::LogitNeedsProportion);
            }
            let p = value;
            if !(p > 0.0 && p < 1.0) {
                return Err(EstimateError::LogitAtBoundary { p });
            }
            // svyglm(y ~ 1, family = quasibinomial): its intercept is logit(p̂)
            // and its sandwich SE is the delta-method SE(p̂)/(p̂(1 − p̂));
            // confint.svyglm(ddf = degf) turns the level into a t quantile.
            let q = t_quantile(upper_tail, estimate.degf)?;
            let eta = (p / (1.0 - p)).ln();
            let se_eta = se / (p * (1.0 - p));
            Ok((expit(eta - q * se_eta), expit(eta + q * se_eta)))
        }
    }
}

fn t_quantile(p: f64, degf: usize) -> Result<f64, EstimateError> {
    if degf == 0 {
        return Err(EstimateError::NoDegreesOfFreedom);
    }
    let t = StudentsT::new(0.0, 1.0, degf as f64).map_err(|_| EstimateError::NoDegreesOfFreedom)?;
    Ok(t.inverse_cdf(p))
}

fn expit(eta: f64) -> f64 {
    1.0 / (1.0 + (-eta).exp())
}

#[cfg(test)]
mod tests {
    use super::super::design::{Design, DesignSpec};
    use super::super::estimators::{mean, proportion};
    use super::*;

    #[test]
    fn quantiles_match_r() {
        // qnorm(0.975), qt(0.975, 14), qt(0.975, 2), qt(0.95, 30) as R prints
        // them with digits = 15.
        assert!((Normal::standard().inverse_cdf(0.975) - 1.95996398454005).abs() < 1e-12);
        assert!((t_quantile(0.975, 14).unwrap() - 2.14478668791780).abs() < 1e-10);
        assert!((t_quantile(0.975, 2).unwrap() - 4.30265272974946).abs() < 1e-10);
        assert!((t_quantile(0.95, 30).unwrap() - 1.69726088659364).abs() < 1e-10);
    }

    fn sample() -> (Design, Vec<Option<bool>>) {
        let d = Design::new(DesignSpec::<&str>::new(8)).unwrap();
        let x = [true, false, false, true, false, false, false, true];
        (d, x.iter().map(|&b| Some(b)).collect())
    }

    #[test]
    fn normal_and_t_intervals_are_symmetric_and_t_is_wider() {
        let (d, x) = sample();
        let p = proportion(&d, &x, None).unwrap();
        let (lo, hi) = confidence_interval(&p, Interval::Normal, 0.95).unwrap();
        assert!(((lo + hi) / 2.0 - p.value).abs() < 1e-12);
        assert!(((hi - lo) / 2.0 - 1.95996398454005 * p.se()).abs() < 1e-12);
        let (tlo, thi) = confidence_interval(&p, Interval::StudentT, 0.95).unwrap();
        assert!(tlo < lo && thi > hi);
    }

    #[test]
    fn the_logit_interval_is_asymmetric_and_inside_zero_one() {
        let (d, x) = sample();
        let p = proportion(&d, &x, None).unwrap();
        let (lo, hi) = confidence_interval(&p, Interval::Logit, 0.95).unwrap();
        assert!(lo > 0.0 && hi < 1.0 && lo < p.value && p.value < hi);
        assert!(p.value - lo < hi - p.value, "p < 0.5: shorter left tail");
        let eta_mid = ((lo / (1.0 - lo)).ln() + (hi / (1.0 - hi)).ln()) / 2.0;
        assert!((eta_mid - (p.value / (1.0 - p.value)).ln()).abs() < 1e-12);
    }

    #[test]
    fn refusals() {
        let (d, x) = sample();
        let p = proportion(&d, &x, None).unwrap();
        assert_eq!(
            confidence_interval(&p, Interval::Normal, 1.0).unwrap_err(),
            EstimateError::InvalidLevel { level: 1.0 }
        );
        let m = mean(&d, &[Some(1.0); 8], None).unwrap();
        assert_eq!(
            confidence_interval(&m, Interval::Logit, 0.95).unwrap_err(),
            EstimateError::LogitNeedsProportion
        );
        let all = proportion(&d, &[Some(true); 8], None).unwrap();
        assert!(matches!(
            confidence_interval(&all, Interval::Logit, 0.95).unwrap_err(),
            EstimateError::LogitAtBoundary { .. }
        ));
        let clusters = ["a", "a", "a", "a", "a", "a", "a", "b"];
        let two = Design::new(DesignSpec {
            clusters: Some(&clusters[..]),
            ..DesignSpec::new(8)
        })
        .unwrap();
        let one_psu = proportion(
            &two,
            &x,
            Some(&[true, true, true, true, false, false, false, false]),
        )
        .unwrap();
        assert_eq!(one_psu.degf, 0);
        assert_eq!(
            confidence_interval(&one_psu, Interval::StudentT, 0.95).unwrap_err(),
            EstimateError::NoDegreesOfFreedom
        );
    }
}
