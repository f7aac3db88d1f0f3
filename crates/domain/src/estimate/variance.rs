//! Taylor-linearised variance of a total of influence values, as R's
//! `svyrecvar` computes it for one stage (`onestage`/`onestrat`).

use super::design::Design;
use super::error::EstimateError;

/// V = Σ_h (1 − f_h) · n_h/(n_h − 1) · Σ_i (z_hi − z̄_h)², where z_hi is the
/// sum of `z` over PSU i of stratum h and n_h counts every PSU of the stratum
/// in the design, also those without a row in the domain (their z is 0): the
/// domain keeps the design's n_h and N_h.
///
/// `active` marks the rows the estimate uses. A stratum with a single PSU is an
/// error (R's default `survey.lonely.psu = "fail"`) unless the stratum was
/// sampled completely (f_h = 1, R returns 0 before looking at n_h) or has no
/// active row (R never sees it: `subset` and `na.rm` drop its rows).
pub(super) fn linearized_variance(
    design: &Design,
    z: &[f64],
    active: &[bool],
) -> Result<f64, EstimateError> {
    let mut psu_total = vec![0.0; design.psu_count()];
    let mut stratum_active = vec![false; design.strata().len()];
    for (i, (&p, &h)) in design
        .row_psu()
        .iter()
        .zip(design.row_stratum())
        .enumerate()
    {
        psu_total[p] += z[i];
        stratum_active[h] |= active[i];
    }
    let strata = design.strata();
    let mut sum = vec![0.0; strata.len()];
    for (p, &h) in design.psu_stratum().iter().enumerate() {
        sum[h] += psu_total[p];
    }
    let mut squares = vec![0.0; strata.len()];
    for (p, &h) in design.psu_stratum().iter().enumerate() {
        let d = psu_total[p] - sum[h] / strata[h].sampled_psus as f64;
        squares[h] += d * d;
    }
    let mut v = 0.0;
    for (h, s) in strata.iter().enumerate() {
        let f = s.fpc_factor();
        // R: `if (all(f < 0.0000001)) return(0)` — a self-representing stratum.
        if f < 1e-7 {
            continue;
        }
        let n = s.sampled_psus as f64;
        if s.sampled_psus == 1 {
            if stratum_active[h] {
                return Err(if design.has_strata() {
                    EstimateError::LonelyPsu {
                        stratum: s.label.clone(),
                    }
                } else {
                    EstimateError::SinglePsu
                });
            }
            continue;
        }
        v += f * n / (n - 1.0) * squares[h];
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::super::design::DesignSpec;
    use super::*;

    #[test]
    fn unstratified_srs_variance_of_a_total_is_n_times_the_sample_variance() {
        // z = y with weight 1: V = n/(n-1) Σ (y - ȳ)² = n · s².
        let d = Design::new(DesignSpec::<&str>::new(4)).unwrap();
        let z = [1.0, 2.0, 3.0, 6.0];
        let v = linearized_variance(&d, &z, &[true; 4]).unwrap();
        let s2 = (4.0 + 1.0 + 0.0 + 9.0) / 3.0;
        assert!((v - 4.0 * s2).abs() < 1e-12, "{v}");
    }

    #[test]
    fn clusters_are_summed_before_the_squares() {
        let clusters = ["a", "a", "b", "c"];
        let d = Design::new(DesignSpec {
            clusters: Some(&clusters[..]),
            ..DesignSpec::new(4)
        })
        .unwrap();
        let z = [1.0, 2.0, 3.0, 6.0];
        // PSU totals 3, 3, 6: mean 4, squares 1 + 1 + 4 = 6, times 3/2.
        let v = linearized_variance(&d, &z, &[true; 4]).unwrap();
        assert!((v - 9.0).abs() < 1e-12, "{v}");
    }

    #[test]
    fn the_fpc_scales_each_stratum() {
        let strata = ["a", "a", "b", "b"];
        let d = Design::new(DesignSpec {
            strata: Some(&strata[..]),
            fpc: Some(&[4.0, 4.0, 20.0, 20.0]),
            weights: Some(&[1.0; 4]),
            ..DesignSpec::new(4)
        })
        .unwrap();
        let z = [1.0, 3.0, 0.0, 4.0];
        // a: (1-2/4)·2·(1+1) = 2; b: (1-2/20)·2·(4+4) = 14.4.
        let v = linearized_variance(&d, &z, &[true; 4]).unwrap();
        assert!((v - 16.4).abs() < 1e-12, "{v}");
    }

    #[test]
    fn a_lonely_psu_fails_unless_sampled_completely_or_outside_the_estimate() {
        let strata = ["a", "b", "b"];
        let spec = DesignSpec {
            strata: Some(&strata[..]),
            ..DesignSpec::new(3)
        };
        let d = Design::new(spec).unwrap();
        let z = [1.0, 2.0, 3.0];
        assert_eq!(
            linearized_variance(&d, &z, &[true; 3]).unwrap_err(),
            EstimateError::LonelyPsu {
                stratum: "a".into()
            }
        );
        let v = linearized_variance(&d, &[0.0, 2.0, 3.0], &[false, true, true]).unwrap();
        assert!((v - 1.0).abs() < 1e-12, "{v}");

        let certain = Design::new(DesignSpec {
            fpc: Some(&[1.0, 100.0, 100.0]),
            weights: Some(&[1.0; 3]),
            ..spec
        })
        .unwrap();
        assert!(linearized_variance(&certain, &z, &[true; 3]).is_ok());

        let one = Design::new(DesignSpec::<&str>::new(1)).unwrap();
        assert_eq!(
            linearized_variance(&one, &[1.0], &[true]).unwrap_err(),
            EstimateError::SinglePsu
        );
    }
}
