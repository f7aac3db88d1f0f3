//! Totals, means, ratios and proportions with their linearised variances and
//! design effects, for the whole sample or a domain.
//!
//! A domain (`Some(mask)`) has R's subset semantics (`subset(design, ...)`,
//! `svyby`): rows outside it add nothing but keep their stratum and PSU, so
//! n_h and N_h stay those of the whole design. A missing value (`None`) takes
//! its row out of the estimate the same way, as R's `na.rm = TRUE` does.

use serde::Serialize;

use super::design::Design;
use super::error::EstimateError;
use super::variance::linearized_variance;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Statistic {
    Total,
    Mean,
    Ratio,
    Proportion,
    /// A linear combination of domain means (R's `svycontrast`).
    Contrast,
}

/// The simple random sample a design effect compares with: R's `deff = TRUE`
/// (without replacement, from a population of Σw units) or `deff = "replace"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replacement {
    Without,
    With,
}

/// A point estimate with its design-based variance.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub statistic: Statistic,
    pub value: f64,
    pub variance: f64,
    /// Rows used: in the domain, every value present, weight above 0.
    pub n: usize,
    /// Design degrees of freedom of the domain (see [`Design::degf`]); rows
    /// with a missing value still count, as in R's `svyciprop` default.
    pub degf: usize,
    srs_without: Option<f64>,
    srs_with: Option<f64>,
}

impl Estimate {
    /// An estimate without a design effect (R prints none for contrasts).
    pub(super) fn without_deff(
        statistic: Statistic,
        value: f64,
        variance: f64,
        n: usize,
        degf: usize,
    ) -> Self {
        Self {
            statistic,
            value,
            variance,
            n,
            degf,
            srs_without: None,
            srs_with: None,
        }
    }

    pub fn se(&self) -> f64 {
        self.variance.sqrt()
    }

    /// Design effect: this variance over the variance of the same statistic
    /// under simple random sampling of the same size, as R's `deff()`. `None`
    /// when that variance is 0 or undefined (fewer than 2 rows, or Σw below
    /// the sample size when sampling without replacement: R prints NA).
    pub fn deff(&self, replacement: Replacement) -> Option<f64> {
        let srs = match replacement {
            Replacement::Without => self.srs_without,
            Replacement::With => self.srs_with,
        }?;
        (srs > 0.0).then(|| self.variance / srs)
    }
}

/// The rows an estimate uses and their weight.
struct Used {
    active: Vec<bool>,
    n: usize,
    sum_w: f64,
}

fn used(
    design: &Design,
    domain: Option<&[bool]>,
    present: impl Fn(usize) -> bool,
) -> Result<Used, EstimateError> {
    if let Some(d) = domain {
        check_len("domain", design.len(), d.len())?;
    }
    let w = design.weights();
    let active: Vec<bool> = (0..design.len())
        .map(|i| domain.is_none_or(|d| d[i]) && present(i))
        .collect();
    let n = (0..design.len())
        .filter(|&i| active[i] && w[i] > 0.0)
        .count();
    if n == 0 {
        return Err(EstimateError::EmptyDomain);
    }
    let sum_w = (0..design.len()).filter(|&i| active[i]).map(|i| w[i]).sum();
    Ok(Used { active, n, sum_w })
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

/// R's `svyvar` of `x` over the used rows: Σw(x − x̄)²/Σw · n/(n − 1).
fn weighted_variance(design: &Design, used: &Used, x: impl Fn(usize) -> f64) -> Option<f64> {
    if used.n < 2 || used.sum_w <= 0.0 {
        return None;
    }
    let w = design.weights();
    let rows = || (0..design.len()).filter(|&i| used.active[i]);
    let mean = rows().map(|i| w[i] * x(i)).sum::<f64>() / used.sum_w;
    let ss = rows().map(|i| w[i] * (x(i) - mean).powi(2)).sum::<f64>();
    let n = used.n as f64;
    Some(ss / used.sum_w * n / (n - 1.0))
}

/// SRS variances of a mean (R's `svymean(deff=)`): s²(N − n)/(N n) and s²/n,
/// with N = Σw.
fn srs_of_mean(s2: Option<f64>, used: &Used) -> (Option<f64>, Option<f64>) {
    let (n, big_n) = (used.n as f64, used.sum_w);
    let without = s2
        .filter(|_| big_n >= n)
        .map(|s2| s2 * (big_n - n) / (big_n * n));
    (without, s2.map(|s2| s2 / n))
}

/// SRS variances of a total (R's `svytotal(deff=)`): the mean's times (Σw)².
fn srs_of_total(s2: Option<f64>, used: &Used) -> (Option<f64>, Option<f64>) {
    let (without, with) = srs_of_mean(s2, used);
    let n2 = used.sum_w * used.sum_w;
    (without.map(|v| v * n2), with.map(|v| v * n2))
}

fn values(design: &Design, y: &[Option<f64>], column: &'static str) -> Result<(), EstimateError> {
    check_len(column, design.len(), y.len())
}

/// Estimated population total Σ w·y over the domain (R's `svytotal`).
pub fn total(
    design: &Design,
    y: &[Option<f64>],
    domain: Option<&[bool]>,
) -> Result<Estimate, EstimateError> {
    values(design, y, "y")?;
    let used = used(design, domain, |i| y[i].is_some())?;
    let w = design.weights();
    let z: Vec<f64> = (0..design.len())
        .map(|i| {
            if used.active[i] {
                w[i] * y[i].unwrap_or(0.0)
            } else {
                0.0
            }
        })
        .collect();
    let value = z.iter().sum();
    let variance = linearized_variance(design, &z, &used.active)?;
    let s2 = weighted_variance(design, &used, |i| y[i].unwrap_or(0.0));
    let (srs_without, srs_with) = srs_of_total(s2, &used);
    Ok(Estimate {
        statistic: Statistic::Total,
        value,
        variance,
        n: used.n,
        degf: design.degf(domain),
        srs_without,
        srs_with,
    })
}

/// Weighted mean Σwy/Σw over the domain (R's `svymean`), linearised with
/// influence values w(y − ȳ)/Σw.
pub fn mean(
    design: &Design,
    y: &[Option<f64>],
    domain: Option<&[bool]>,
) -> Result<Estimate, EstimateError> {
    values(design, y, "y")?;
    let used = used(design, domain, |i| y[i].is_some())?;
    mean_of(
        design,
        &used,
        |i| y[i].unwrap_or(0.0),
        domain,
        Statistic::Mean,
    )
}

/// Share of the domain's population with the indicator true: the mean of a
/// 0/1 variable, as R's `svymean` of a factor level or `svyciprop`.
pub fn proportion(
    design: &Design,
    indicator: &[Option<bool>],
    domain: Option<&[bool]>,
) -> Result<Estimate, EstimateError> {
    check_len("indicator", design.len(), indicator.len())?;
    let used = used(design, domain, |i| indicator[i].is_some())?;
    let x = |i: usize| if indicator[i] == Some(true) { 1.0 } else { 0.0 };
    mean_of(design, &used, x, domain, Statistic::Proportion)
}

fn mean_of(
    design: &Design,
    used: &Used,
    x: impl Fn(usize) -> f64,
    domain: Option<&[bool]>,
    statistic: Statistic,
) -> Result<Estimate, EstimateError> {
    if used.sum_w <= 0.0 {
        return Err(EstimateError::ZeroTotalWeight);
    }
    let w = design.weights();
    let rows = || (0..design.len()).filter(|&i| used.active[i]);
    let value = rows().map(|i| w[i] * x(i)).sum::<f64>() / used.sum_w;
    let z: Vec<f64> = (0..design.len())
        .map(|i| {
            if used.active[i] {
                w[i] * (x(i) - value) / used.sum_w
            } else {
                0.0
            }
        })
        .collect();
    let variance = linearized_variance(design, &z, &used.active)?;
    let (srs_without, srs_with) = srs_of_mean(weighted_variance(design, used, &x), used);
    Ok(Estimate {
        statistic,
        value,
        variance,
        n: used.n,
        degf: design.degf(domain),
        srs_without,
        srs_with,
    })
}

/// Ratio of totals Σwy/Σwx over the domain (R's `svyratio`), linearised with
/// w(y − R·x)/Σwx. A row is used only when both values are present.
pub fn ratio(
    design: &Design,
    numerator: &[Option<f64>],
    denominator: &[Option<f64>],
    domain: Option<&[bool]>,
) -> Result<Estimate, EstimateError> {
    values(design, numerator, "numerator")?;
    values(design, denominator, "denominator")?;
    let used = used(design, domain, |i| {
        numerator[i].is_some() && denominator[i].is_some()
    })?;
    let w = design.weights();
    let y = |i: usize| numerator[i].unwrap_or(0.0);
    let x = |i: usize| denominator[i].unwrap_or(0.0);
    let rows = || (0..design.len()).filter(|&i| used.active[i]);
    let ty: f64 = rows().map(|i| w[i] * y(i)).sum();
    let tx: f64 = rows().map(|i| w[i] * x(i)).sum();
    if tx == 0.0 {
        return Err(EstimateError::ZeroDenominator);
    }
    let value = ty / tx;
    let r = |i: usize| (y(i) - value * x(i)) / tx;
    let z: Vec<f64> = (0..design.len())
        .map(|i| if used.active[i] { w[i] * r(i) } else { 0.0 })
        .collect();
    let variance = linearized_variance(design, &z, &used.active)?;
    // R: deff(svytotal(r, design, deff = TRUE)) with r the linearised residual.
    let (srs_without, srs_with) = srs_of_total(weighted_variance(design, &used, r), &used);
    Ok(Estimate {
        statistic: Statistic::Ratio,
        value,
        variance,
        n: used.n,
        degf: design.degf(domain),
        srs_without,
        srs_with,
    })
}

#[cfg(test)]
mod tests {
    use super::super::design::DesignSpec;
    use super::*;

    fn some(v: &[f64]) -> Vec<Option<f64>> {
        v.iter().copied().map(Some).collect()
    }

    #[test]
    fn srs_mean_matches_the_textbook_formula() {
        let y = [2.0, 4.0, 4.0, 5.0, 10.0];
        let d = Design::new(DesignSpec::<&str>::new(5)).unwrap();
        let m = mean(&d, &some(&y), None).unwrap();
        assert!((m.value - 5.0).abs() < 1e-12);
        // With replacement, unit weights: var = s²/n, s² = 36/4.
        assert!((m.variance - 9.0 / 5.0).abs() < 1e-12, "{}", m.variance);
        assert_eq!((m.n, m.degf), (5, 4));
        assert!((m.deff(Replacement::With).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn total_is_weighted_and_missing_values_leave_the_estimate() {
        let d = Design::new(DesignSpec::<&str> {
            weights: Some(&[10.0, 10.0, 20.0, 20.0]),
            ..DesignSpec::new(4)
        })
        .unwrap();
        let t = total(&d, &[Some(1.0), None, Some(2.0), Some(3.0)], None).unwrap();
        assert!((t.value - 110.0).abs() < 1e-12);
        assert_eq!(t.n, 3);
        assert_eq!(t.degf, 3, "the missing row still counts for degf");
        // z = 10, 0, 40, 60 over 4 PSUs: mean 27.5.
        let ss = 17.5f64.powi(2) + 27.5f64.powi(2) + 12.5f64.powi(2) + 32.5f64.powi(2);
        assert!((t.variance - ss * 4.0 / 3.0).abs() < 1e-9, "{}", t.variance);
    }

    #[test]
    fn a_domain_mean_equals_the_ratio_of_masked_totals() {
        let strata = ["a", "a", "a", "b", "b", "b"];
        let d = Design::new(DesignSpec {
            strata: Some(&strata[..]),
            weights: Some(&[1.0, 2.0, 3.0, 1.0, 2.0, 3.0]),
            fpc: Some(&[30.0, 30.0, 30.0, 50.0, 50.0, 50.0]),
            ..DesignSpec::new(6)
        })
        .unwrap();
        let y = some(&[3.0, 5.0, 7.0, 1.0, 8.0, 2.0]);
        let domain = [true, false, true, true, true, false];
        let m = mean(&d, &y, Some(&domain)).unwrap();
        let masked_y: Vec<Option<f64>> = (0..6)
            .map(|i| Some(if domain[i] { y[i].unwrap() } else { 0.0 }))
            .collect();
        let indicator: Vec<Option<f64>> = (0..6)
            .map(|i| Some(if domain[i] { 1.0 } else { 0.0 }))
            .collect();
        let r = ratio(&d, &masked_y, &indicator, None).unwrap();
        assert!((m.value - r.value).abs() < 1e-12);
        assert!((m.variance - r.variance).abs() < 1e-12);
        assert_eq!(m.n, 4);
    }

    #[test]
    fn proportion_is_the_mean_of_the_indicator() {
        let d = Design::new(DesignSpec::<&str> {
            weights: Some(&[1.0, 3.0, 1.0, 1.0]),
            ..DesignSpec::new(4)
        })
        .unwrap();
        let p = proportion(&d, &[Some(true), Some(false), None, Some(true)], None).unwrap();
        assert!((p.value - 0.4).abs() < 1e-12);
        assert_eq!(p.statistic, Statistic::Proportion);
        let m = mean(&d, &[Some(1.0), Some(0.0), None, Some(1.0)], None).unwrap();
        assert!((p.variance - m.variance).abs() < 1e-15);
    }

    #[test]
    fn empty_domains_and_zero_denominators_are_errors() {
        let d = Design::new(DesignSpec::<&str>::new(3)).unwrap();
        let y = some(&[1.0, 2.0, 3.0]);
        assert_eq!(
            mean(&d, &y, Some(&[false; 3])).unwrap_err(),
            EstimateError::EmptyDomain
        );
        assert_eq!(
            mean(&d, &[None, None, None], None).unwrap_err(),
            EstimateError::EmptyDomain
        );
        assert_eq!(
            ratio(&d, &y, &some(&[1.0, -1.0, 0.0]), None).unwrap_err(),
            EstimateError::ZeroDenominator
        );
        assert!(matches!(
            mean(&d, &y, Some(&[true])).unwrap_err(),
            EstimateError::LengthMismatch {
                column: "domain",
                ..
            }
        ));
    }
}
