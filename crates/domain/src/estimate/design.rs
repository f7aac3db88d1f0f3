//! A one-stage sampling design built from columns, with R's `svydesign`
//! rules for identifiers, finite-population corrections and weights.

use std::collections::HashMap;

use super::error::EstimateError;

/// The label of the one stratum of an unstratified design.
const WHOLE_SAMPLE: &str = "(toàn mẫu)";

/// The columns that describe how the sample was drawn, one value per row.
/// Any column may be absent:
/// - `strata`: stratum labels; without them the sample is one stratum.
/// - `clusters`: primary sampling unit (PSU) labels; without them each row is
///   its own PSU. PSUs are always nested in strata (R's `nest=TRUE`): the same
///   label in two strata names two PSUs.
/// - `fpc`: per row, the stratum's population of PSUs (N_h), or, when no value
///   exceeds 1, the sampling fraction n_h/N_h — the same reading as R's
///   `svydesign(fpc=)`. Without it sampling is taken as with replacement.
/// - `weights`: sampling weights; without them N_h/n_h from `fpc`, and without
///   both, 1 (R's rules).
#[derive(Debug, Clone, Copy)]
pub struct DesignSpec<'a, S> {
    pub rows: usize,
    pub strata: Option<&'a [S]>,
    pub clusters: Option<&'a [S]>,
    pub fpc: Option<&'a [f64]>,
    pub weights: Option<&'a [f64]>,
}

impl<S> DesignSpec<'_, S> {
    /// A design of `rows` independent, equally weighted draws; add columns by
    /// setting the fields.
    pub fn new(rows: usize) -> Self {
        Self {
            rows,
            strata: None,
            clusters: None,
            fpc: None,
            weights: None,
        }
    }
}

/// One stratum of the design.
#[derive(Debug, Clone, PartialEq)]
pub struct Stratum {
    pub label: String,
    /// PSUs sampled in the stratum (n_h), counted over the whole sample so that
    /// domain estimates keep the design's n_h.
    pub sampled_psus: usize,
    /// PSUs in the stratum's population (N_h); `None` without fpc, infinite for
    /// a sampling fraction of 0.
    pub population_psus: Option<f64>,
}

impl Stratum {
    /// 1 − f_h, the finite-population correction of the variance
    /// (R's `onestrat`: `(fpc - nPSU)/fpc`, 1 for an infinite population).
    pub(super) fn fpc_factor(&self) -> f64 {
        match self.population_psus {
            Some(n) if n.is_finite() => (n - self.sampled_psus as f64) / n,
            _ => 1.0,
        }
    }
}

/// A validated design. Rows keep their order; estimators take one value per row.
#[derive(Debug, Clone)]
pub struct Design {
    weights: Vec<f64>,
    row_stratum: Vec<usize>,
    row_psu: Vec<usize>,
    psu_stratum: Vec<usize>,
    strata: Vec<Stratum>,
    has_strata: bool,
}

impl Design {
    pub fn new<S: AsRef<str>>(spec: DesignSpec<'_, S>) -> Result<Self, EstimateError> {
        let rows = spec.rows;
        if rows == 0 {
            return Err(EstimateError::NoRows);
        }
        check_len("strata", rows, spec.strata.map(<[S]>::len))?;
        check_len("clusters", rows, spec.clusters.map(<[S]>::len))?;
        check_len("fpc", rows, spec.fpc.map(<[f64]>::len))?;
        check_len("weights", rows, spec.weights.map(<[f64]>::len))?;

        let mut strata: Vec<Stratum> = Vec::new();
        let mut stratum_index: HashMap<&str, usize> = HashMap::new();
        let mut row_stratum = Vec::with_capacity(rows);
        for i in 0..rows {
            // Without strata the whole sample is one stratum; its label only
            // shows in error messages.
            let label = spec.strata.map_or(WHOLE_SAMPLE, |s| s[i].as_ref());
            let next = strata.len();
            let h = *stratum_index.entry(label).or_insert(next);
            if h == next {
                strata.push(Stratum {
                    label: label.to_string(),
                    sampled_psus: 0,
                    population_psus: None,
                });
            }
            row_stratum.push(h);
        }

        let mut psu_stratum = Vec::new();
        let mut row_psu = Vec::with_capacity(rows);
        match spec.clusters {
            None => {
                for &h in &row_stratum {
                    row_psu.push(psu_stratum.len());
                    psu_stratum.push(h);
                }
            }
            Some(ids) => {
                let mut psu_index: HashMap<(usize, &str), usize> = HashMap::new();
                for (i, &h) in row_stratum.iter().enumerate() {
                    let next = psu_stratum.len();
                    let p = *psu_index.entry((h, ids[i].as_ref())).or_insert(next);
                    if p == next {
                        psu_stratum.push(h);
                    }
                    row_psu.push(p);
                }
            }
        }
        for &h in &psu_stratum {
            strata[h].sampled_psus += 1;
        }

        if let Some(fpc) = spec.fpc {
            apply_fpc(&mut strata, &row_stratum, fpc)?;
        }

        let weights = match spec.weights {
            Some(w) => {
                for (i, &v) in w.iter().enumerate() {
                    if !v.is_finite() || v < 0.0 {
                        return Err(EstimateError::InvalidWeight {
                            row: i + 1,
                            value: v,
                        });
                    }
                }
                w.to_vec()
            }
            None if spec.fpc.is_some() => {
                // R: with fpc but no weights, weight = N_h / n_h.
                let per_stratum = strata
                    .iter()
                    .map(|s| match s.population_psus {
                        Some(n) if n.is_finite() => Ok(n / s.sampled_psus as f64),
                        _ => Err(EstimateError::NoWeightFromFpc {
                            stratum: s.label.clone(),
                        }),
                    })
                    .collect::<Result<Vec<f64>, _>>()?;
                row_stratum.iter().map(|&h| per_stratum[h]).collect()
            }
            None => vec![1.0; rows],
        };

        Ok(Self {
            weights,
            row_stratum,
            row_psu,
            psu_stratum,
            strata,
            has_strata: spec.strata.is_some(),
        })
    }

    pub fn len(&self) -> usize {
        self.weights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    pub fn strata(&self) -> &[Stratum] {
        &self.strata
    }

    pub fn psu_count(&self) -> usize {
        self.psu_stratum.len()
    }

    pub(super) fn row_stratum(&self) -> &[usize] {
        &self.row_stratum
    }

    pub(super) fn row_psu(&self) -> &[usize] {
        &self.row_psu
    }

    pub(super) fn psu_stratum(&self) -> &[usize] {
        &self.psu_stratum
    }

    pub(super) fn has_strata(&self) -> bool {
        self.has_strata
    }

    /// Design degrees of freedom of the rows in `domain` (all rows if `None`):
    /// PSUs minus strata among the rows with a non-zero weight, as R's
    /// `degf.survey.design2` computes it on `subset(design, domain)` — a PSU
    /// or stratum with no row in the domain does not count.
    pub fn degf(&self, domain: Option<&[bool]>) -> usize {
        let mut psu_seen = vec![false; self.psu_stratum.len()];
        let mut stratum_seen = vec![false; self.strata.len()];
        let (mut psus, mut strata) = (0usize, 0usize);
        for i in 0..self.len() {
            if self.weights[i] == 0.0 || domain.is_some_and(|d| !d[i]) {
                continue;
            }
            let p = self.row_psu[i];
            if !psu_seen[p] {
                psu_seen[p] = true;
                psus += 1;
            }
            let h = self.row_stratum[i];
            if !stratum_seen[h] {
                stratum_seen[h] = true;
                strata += 1;
            }
        }
        psus.saturating_sub(strata)
    }
}

fn check_len(
    column: &'static str,
    expected: usize,
    actual: Option<usize>,
) -> Result<(), EstimateError> {
    match actual {
        Some(actual) if actual != expected => Err(EstimateError::LengthMismatch {
            column,
            expected,
            actual,
        }),
        _ => Ok(()),
    }
}

/// R's `as.fpc`: all values are population sizes as soon as one exceeds 1,
/// otherwise all are sampling fractions and N_h = n_h / f_h.
fn apply_fpc(
    strata: &mut [Stratum],
    row_stratum: &[usize],
    fpc: &[f64],
) -> Result<(), EstimateError> {
    for (i, &v) in fpc.iter().enumerate() {
        if !v.is_finite() || v < 0.0 {
            return Err(EstimateError::InvalidFpc {
                row: i + 1,
                value: v,
            });
        }
    }
    let population_sizes = fpc.iter().any(|&v| v > 1.0);
    if population_sizes && fpc.iter().any(|&v| v < 1.0) {
        return Err(EstimateError::MixedFpc);
    }
    let mut seen: Vec<Option<f64>> = vec![None; strata.len()];
    for (&h, &v) in row_stratum.iter().zip(fpc) {
        match seen[h] {
            None => seen[h] = Some(v),
            Some(first) if first != v => {
                return Err(EstimateError::FpcNotConstant {
                    stratum: strata[h].label.clone(),
                })
            }
            Some(_) => {}
        }
    }
    for (s, v) in strata.iter_mut().zip(seen) {
        let v = v.unwrap_or(f64::INFINITY);
        let population = if population_sizes {
            v
        } else {
            // A fraction of 0 is an infinite population, as in R (n/0 = Inf).
            s.sampled_psus as f64 / v
        };
        if population < s.sampled_psus as f64 {
            return Err(EstimateError::FpcOverSampled {
                stratum: s.label.clone(),
                population,
                sampled: s.sampled_psus,
            });
        }
        s.population_psus = Some(population);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec<'a>(strata: &'a [&'a str], clusters: Option<&'a [&'a str]>) -> DesignSpec<'a, &'a str> {
        DesignSpec {
            strata: Some(strata),
            clusters,
            ..DesignSpec::new(strata.len())
        }
    }

    #[test]
    fn clusters_are_nested_in_strata() {
        let strata = ["a", "a", "b", "b"];
        let clusters = ["1", "2", "1", "1"];
        let d = Design::new(spec(&strata, Some(&clusters))).unwrap();
        assert_eq!(d.psu_count(), 3, "PSU 1 of a and PSU 1 of b are different");
        assert_eq!(d.strata()[0].sampled_psus, 2);
        assert_eq!(d.strata()[1].sampled_psus, 1);
        assert_eq!(d.degf(None), 1);
    }

    #[test]
    fn without_clusters_each_row_is_a_psu_and_without_weights_weight_is_one() {
        let d = Design::new(DesignSpec::<&str>::new(5)).unwrap();
        assert_eq!(d.psu_count(), 5);
        assert_eq!(d.weights(), &[1.0; 5]);
        assert_eq!(d.degf(None), 4);
    }

    #[test]
    fn fpc_counts_give_weights_n_over_n_and_fractions_mean_the_same() {
        let strata = ["a", "a", "b", "b", "b"];
        let counts = [10.0, 10.0, 30.0, 30.0, 30.0];
        let by_count = Design::new(DesignSpec {
            fpc: Some(&counts),
            ..spec(&strata, None)
        })
        .unwrap();
        assert_eq!(by_count.weights(), &[5.0, 5.0, 10.0, 10.0, 10.0]);
        let fractions = [0.2, 0.2, 0.1, 0.1, 0.1];
        let by_fraction = Design::new(DesignSpec {
            fpc: Some(&fractions),
            ..spec(&strata, None)
        })
        .unwrap();
        assert_eq!(by_fraction.strata(), by_count.strata());
        assert!((by_count.strata()[0].fpc_factor() - 0.8).abs() < 1e-15);
    }

    #[test]
    fn a_value_of_one_is_a_count_when_others_are_counts() {
        // R's lonely.psu test: fpc 1 for a one-PSU stratum, 1000 elsewhere.
        let strata = ["a", "b", "b"];
        let d = Design::new(DesignSpec {
            fpc: Some(&[1.0, 1000.0, 1000.0]),
            weights: Some(&[1.0, 1.0, 1.0]),
            ..spec(&strata, None)
        })
        .unwrap();
        assert_eq!(d.strata()[0].population_psus, Some(1.0));
        assert_eq!(d.strata()[0].fpc_factor(), 0.0);
    }

    #[test]
    fn bad_fpc_and_weights_are_refused() {
        let strata = ["a", "a", "b"];
        let mixed = Design::new(DesignSpec {
            fpc: Some(&[0.5, 0.5, 20.0]),
            ..spec(&strata, None)
        });
        assert_eq!(mixed.unwrap_err(), EstimateError::MixedFpc);
        let varying = Design::new(DesignSpec {
            fpc: Some(&[10.0, 20.0, 20.0]),
            ..spec(&strata, None)
        });
        assert!(matches!(
            varying.unwrap_err(),
            EstimateError::FpcNotConstant { stratum } if stratum == "a"
        ));
        let over = Design::new(DesignSpec {
            fpc: Some(&[1.5, 1.5, 20.0]),
            ..spec(&strata, None)
        });
        assert!(matches!(
            over.unwrap_err(),
            EstimateError::FpcOverSampled { sampled: 2, .. }
        ));
        let negative = Design::new(DesignSpec {
            weights: Some(&[1.0, -2.0, 1.0]),
            ..spec(&strata, None)
        });
        assert_eq!(
            negative.unwrap_err(),
            EstimateError::InvalidWeight {
                row: 2,
                value: -2.0
            }
        );
        let short = Design::new(DesignSpec {
            weights: Some(&[1.0]),
            ..spec(&strata, None)
        });
        assert!(matches!(
            short.unwrap_err(),
            EstimateError::LengthMismatch {
                column: "weights",
                ..
            }
        ));
        let zero_fraction = Design::new(DesignSpec {
            fpc: Some(&[0.0, 0.0, 0.5]),
            ..spec(&strata, None)
        });
        assert!(matches!(
            zero_fraction.unwrap_err(),
            EstimateError::NoWeightFromFpc { stratum } if stratum == "a"
        ));
    }

    #[test]
    fn degf_of_a_domain_counts_only_psus_and_strata_it_touches() {
        let strata = ["a", "a", "a", "b", "b"];
        let clusters = ["1", "2", "3", "1", "2"];
        let d = Design::new(spec(&strata, Some(&clusters))).unwrap();
        assert_eq!(d.degf(None), 3);
        let domain = [true, true, false, true, false];
        assert_eq!(d.degf(Some(&domain)), 1, "2 + 1 PSUs minus 2 strata");
        assert_eq!(d.degf(Some(&[false; 5])), 0);
    }
}
