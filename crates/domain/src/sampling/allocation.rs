//! Splitting a unit × group's sample size over its strata.
//!
//! Every rule gives stratum h a weight w_h: its population N_h
//! (proportional), 1 for every non-empty stratum (equal), or N_h·S_h
//! (Neyman, S_h the stratum's standard deviation). The continuous
//! allocation is x_h = clamp(λ·w_h, m_h, N_h) with λ chosen so that the x_h
//! add up to n, where m_h = min(min_per_stratum, N_h). It is found by the
//! Bitran–Hax iteration: give the free strata R·w_h/W (R what is left of
//! n, W their total weight); if some exceed N_h or fall below m_h, add up
//! the excess over the caps and the shortfall under the minimums, fix the
//! larger side's strata at their bound (if equal, both), and repeat.
//!
//! The integers are then the floors of the free strata's shares, plus one
//! for the strata with the largest remainders until the total is exactly
//! n (ties go to the stratum that comes first). Strata fixed at a bound get
//! the bound. For proportional and equal allocation the shares and
//! remainders are computed exactly (integer arithmetic in f64, exact below
//! 2^53, i.e. for frames of fewer than ~90 million people per unit × group).
//!
//! Edge cases: n larger than ΣN_h takes everyone. If the minimums alone
//! exceed n, every stratum gets its minimum (capped at N_h) and the total
//! is Σm_h > n; [`Allocation::minimums_exceed_total`] says so, for the plan
//! to show. Under Neyman, if every stratum still free has S_h = 0, the rest
//! is split proportionally to N_h rather than left undrawn.

use std::cmp::Ordering;

use super::SamplingError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationRule {
    #[default]
    Proportional,
    Equal,
    Neyman,
}

/// What allocation needs to know of a stratum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StratumSize {
    pub population: u64,
    /// The standard deviation of the study variable in the stratum (e.g.
    /// from last year's results); required by Neyman only.
    pub std_dev: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// n_h per stratum, in the order given.
    pub sizes: Vec<u64>,
    /// The minimums per stratum alone were more than the total asked for;
    /// the sizes add up to more than it.
    pub minimums_exceed_total: bool,
}

impl Allocation {
    pub fn total(&self) -> u64 {
        self.sizes.iter().sum()
    }
}

/// Allocates `total` over `strata` (see the module doc for the algorithm).
/// `names` are only used in error messages (same order as `strata`).
pub fn allocate(
    rule: AllocationRule,
    strata: &[StratumSize],
    total: u64,
    min_per_stratum: u64,
    names: &dyn Fn(usize) -> String,
) -> Result<Allocation, SamplingError> {
    let upper: Vec<u64> = strata.iter().map(|s| s.population).collect();
    let lower: Vec<u64> = upper.iter().map(|&n| n.min(min_per_stratum)).collect();
    let weights: Vec<f64> = match rule {
        AllocationRule::Proportional => upper.iter().map(|&n| n as f64).collect(),
        AllocationRule::Equal => upper
            .iter()
            .map(|&n| if n > 0 { 1.0 } else { 0.0 })
            .collect(),
        AllocationRule::Neyman => {
            let mut w = Vec::with_capacity(strata.len());
            for (h, s) in strata.iter().enumerate() {
                let sd = s
                    .std_dev
                    .ok_or_else(|| SamplingError::MissingStdDev(names(h)))?;
                if !sd.is_finite() || sd < 0.0 {
                    return Err(SamplingError::StdDev {
                        stratum: names(h),
                        value: sd,
                    });
                }
                w.push(s.population as f64 * sd);
            }
            w
        }
    };
    let exact = rule != AllocationRule::Neyman;
    let n = total.min(upper.iter().sum());
    let floor_sum: u64 = lower.iter().sum();
    if floor_sum >= n {
        return Ok(Allocation {
            sizes: lower,
            minimums_exceed_total: floor_sum > n,
        });
    }
    Ok(Allocation {
        sizes: bounded_largest_remainder(&weights, exact, &lower, &upper, n),
        minimums_exceed_total: false,
    })
}

/// A stratum's place in the Bitran–Hax iteration.
#[derive(Clone, Copy, PartialEq)]
enum Fixed {
    Free,
    AtLower,
    AtUpper,
}

fn bounded_largest_remainder(
    weights: &[f64],
    exact: bool,
    lower: &[u64],
    upper: &[u64],
    n: u64,
) -> Vec<u64> {
    let k = weights.len();
    let mut state = vec![Fixed::Free; k];
    let mut weights = weights.to_vec();
    let mut exact = exact;
    let bound = |state: &[Fixed], h: usize| match state[h] {
        Fixed::AtLower => lower[h],
        Fixed::AtUpper => upper[h],
        Fixed::Free => 0,
    };
    loop {
        let free: Vec<usize> = (0..k).filter(|&h| state[h] == Fixed::Free).collect();
        if free.is_empty() {
            break;
        }
        let fixed_sum: u64 = (0..k).map(|h| bound(&state, h)).sum();
        let r = n.saturating_sub(fixed_sum) as f64;
        let mut w: f64 = free.iter().map(|&h| weights[h]).sum();
        if w <= 0.0 {
            // Only Neyman strata with S_h = 0 (or empty strata) are left:
            // split what remains by population instead.
            for &h in &free {
                weights[h] = upper[h] as f64;
            }
            exact = true;
            w = free.iter().map(|&h| weights[h]).sum();
            if w <= 0.0 {
                for &h in &free {
                    state[h] = Fixed::AtUpper;
                }
                break;
            }
        }
        // Compare R·w_h with bound·W rather than dividing: exact for
        // integer weights.
        let mut over = 0.0;
        let mut under = 0.0;
        for &h in &free {
            let share = r * weights[h];
            let hi = upper[h] as f64 * w;
            let lo = lower[h] as f64 * w;
            if share > hi {
                over += share - hi;
            } else if share < lo {
                under += lo - share;
            }
        }
        if over == 0.0 && under == 0.0 {
            break;
        }
        for &h in &free {
            let share = r * weights[h];
            if over >= under && share > upper[h] as f64 * w {
                state[h] = Fixed::AtUpper;
            }
            if under >= over && share < lower[h] as f64 * w {
                state[h] = Fixed::AtLower;
            }
        }
    }

    let mut sizes: Vec<u64> = (0..k).map(|h| bound(&state, h)).collect();
    let free: Vec<usize> = (0..k).filter(|&h| state[h] == Fixed::Free).collect();
    let fixed_sum: u64 = sizes.iter().sum();
    let r = n.saturating_sub(fixed_sum);
    let w: f64 = free.iter().map(|&h| weights[h]).sum();
    // (stratum, remainder) with remainders on the common scale W.
    let mut remainders: Vec<(usize, f64)> = Vec::with_capacity(free.len());
    for &h in &free {
        let (q, rem) = if exact {
            let num = r as f64 * weights[h];
            let mut q = (num / w).floor();
            let mut rem = num - q * w;
            // Division rounding can leave q off by one; the remainder
            // (exact in integers) says which way.
            if rem < 0.0 {
                q -= 1.0;
                rem += w;
            } else if rem >= w {
                q += 1.0;
                rem -= w;
            }
            (q, rem)
        } else {
            let x = r as f64 * weights[h] / w;
            let q = x.floor();
            (q, (x - q) * w)
        };
        sizes[h] = (q.max(0.0) as u64).clamp(lower[h], upper[h]);
        remainders.push((h, rem));
    }
    remainders.sort_by(|a, b| {
        b.1.partial_cmp(&a.1)
            .unwrap_or(Ordering::Equal)
            .then(a.0.cmp(&b.0))
    });
    // Hand out the rest one by one by remainder. For exact weights one pass
    // suffices; the loop covers rounding drift of real weights.
    let mut left = r.saturating_sub(free.iter().map(|&h| sizes[h]).sum());
    while left > 0 {
        let before = left;
        for &(h, _) in &remainders {
            if left == 0 {
                break;
            }
            if sizes[h] < upper[h] {
                sizes[h] += 1;
                left -= 1;
            }
        }
        if left == before {
            break;
        }
    }
    // Rounding drift the other way (real weights only): take back from the
    // smallest remainders.
    let mut excess = free
        .iter()
        .map(|&h| sizes[h])
        .sum::<u64>()
        .saturating_sub(r);
    for &(h, _) in remainders.iter().rev() {
        while excess > 0 && sizes[h] > lower[h] {
            sizes[h] -= 1;
            excess -= 1;
        }
    }
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn pops(n: &[u64]) -> Vec<StratumSize> {
        n.iter()
            .map(|&p| StratumSize {
                population: p,
                std_dev: None,
            })
            .collect()
    }

    fn name(h: usize) -> String {
        format!("#{h}")
    }

    fn alloc(rule: AllocationRule, n: &[u64], total: u64, min: u64) -> Allocation {
        allocate(rule, &pops(n), total, min, &name).unwrap()
    }

    #[test]
    fn proportional_by_hand_with_largest_remainder() {
        // 100 over 500/300/200 is exact.
        assert_eq!(
            alloc(AllocationRule::Proportional, &[500, 300, 200], 100, 0).sizes,
            [50, 30, 20]
        );
        // 10 over 1/1/1 thirds: 3.33 each, the extra one goes to the first.
        assert_eq!(
            alloc(AllocationRule::Proportional, &[100, 100, 100], 10, 0).sizes,
            [4, 3, 3]
        );
        // 7 over 600/300/100: 4.2, 2.1, 0.7 → 4, 2, 0 + one to the largest remainder (0.7).
        assert_eq!(
            alloc(AllocationRule::Proportional, &[600, 300, 100], 7, 0).sizes,
            [4, 2, 1]
        );
        // Ties between different weights are exact: 1/3 and 4/3 both leave 1/3.
        // 5 over 1/4/10 (W = 15): 0.33, 1.33, 3.33 → 0, 1, 3 + 1 to the first.
        assert_eq!(
            alloc(AllocationRule::Proportional, &[1, 4, 10], 5, 0).sizes,
            [1, 1, 3]
        );
    }

    #[test]
    fn equal_allocation_skips_empty_strata() {
        assert_eq!(
            alloc(AllocationRule::Equal, &[1000, 50, 0, 300], 31, 0).sizes,
            [11, 10, 0, 10]
        );
    }

    #[test]
    fn caps_redistribute_the_excess() {
        // Equal 90 over 1000/5/1000: the middle stratum holds only 5,
        // the other two share 85 → 43, 42.
        assert_eq!(
            alloc(AllocationRule::Equal, &[1000, 5, 1000], 90, 0).sizes,
            [43, 5, 42]
        );
    }

    #[test]
    fn minimums_are_respected_and_capped() {
        // Proportional 100 over 990/10: 99, 1, but minimum 5 → 95, 5.
        assert_eq!(
            alloc(AllocationRule::Proportional, &[990, 10], 100, 5).sizes,
            [95, 5]
        );
        // A stratum smaller than the minimum gives all it has.
        assert_eq!(
            alloc(AllocationRule::Proportional, &[997, 3], 100, 5).sizes,
            [97, 3]
        );
    }

    #[test]
    fn minimums_alone_exceeding_n_win_and_are_flagged() {
        let a = alloc(AllocationRule::Proportional, &[100, 100, 100, 1], 5, 2);
        assert_eq!(a.sizes, [2, 2, 2, 1]);
        assert!(a.minimums_exceed_total);
        assert_eq!(a.total(), 7);
        let a = alloc(AllocationRule::Proportional, &[100, 100], 4, 2);
        assert!(!a.minimums_exceed_total);
        assert_eq!(a.sizes, [2, 2]);
    }

    #[test]
    fn more_than_the_population_takes_everyone() {
        let a = alloc(AllocationRule::Proportional, &[3, 0, 4], 50, 2);
        assert_eq!(a.sizes, [3, 0, 4]);
    }

    #[test]
    fn degenerate_strata() {
        assert_eq!(
            alloc(AllocationRule::Proportional, &[], 10, 2).sizes,
            Vec::<u64>::new()
        );
        assert_eq!(
            alloc(AllocationRule::Proportional, &[0, 0], 10, 2).sizes,
            [0, 0]
        );
        assert_eq!(alloc(AllocationRule::Equal, &[0, 7], 3, 2).sizes, [0, 3]);
    }

    #[test]
    fn neyman_by_hand() {
        // N·S = 100·10, 100·30 → 1:3 of 40 → 10, 30.
        let strata = [
            StratumSize {
                population: 100,
                std_dev: Some(10.0),
            },
            StratumSize {
                population: 100,
                std_dev: Some(30.0),
            },
        ];
        let a = allocate(AllocationRule::Neyman, &strata, 40, 0, &name).unwrap();
        assert_eq!(a.sizes, [10, 30]);
        // Capped: 150 wanted, the second stratum holds 100.
        let a = allocate(AllocationRule::Neyman, &strata, 150, 0, &name).unwrap();
        assert_eq!(a.sizes, [50, 100]);
        // S = 0 everywhere: split by population rather than drawing nobody.
        let flat = [
            StratumSize {
                population: 300,
                std_dev: Some(0.0),
            },
            StratumSize {
                population: 100,
                std_dev: Some(0.0),
            },
        ];
        let a = allocate(AllocationRule::Neyman, &flat, 40, 0, &name).unwrap();
        assert_eq!(a.sizes, [30, 10]);
    }

    #[test]
    fn neyman_needs_valid_standard_deviations() {
        let mut strata = pops(&[10, 10]);
        assert_eq!(
            allocate(AllocationRule::Neyman, &strata, 5, 0, &name),
            Err(SamplingError::MissingStdDev("#0".into()))
        );
        strata[0].std_dev = Some(1.0);
        strata[1].std_dev = Some(-1.0);
        assert!(matches!(
            allocate(AllocationRule::Neyman, &strata, 5, 0, &name),
            Err(SamplingError::StdDev { .. })
        ));
        strata[1].std_dev = Some(f64::NAN);
        assert!(allocate(AllocationRule::Neyman, &strata, 5, 0, &name).is_err());
    }

    /// The continuous optimum the integers round: clamp(λ·w, m, N) summing to
    /// n, found here by bisection (independently of Bitran–Hax).
    /// None when no λ reaches n (Neyman with S_h = 0 where the rest is
    /// split by population instead).
    fn continuous(weights: &[f64], lower: &[u64], upper: &[u64], n: u64) -> Option<Vec<f64>> {
        let at = |l: f64| -> Vec<f64> {
            weights
                .iter()
                .zip(lower.iter().zip(upper))
                .map(|(w, (&lo, &hi))| (l * w).clamp(lo as f64, hi as f64))
                .collect()
        };
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        while at(hi).iter().sum::<f64>() < n as f64 {
            hi *= 2.0;
            if hi > 1e18 {
                return None;
            }
        }
        for _ in 0..200 {
            let mid = (lo + hi) / 2.0;
            if at(mid).iter().sum::<f64>() < n as f64 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(at(hi))
    }

    #[test]
    fn invariants_hold_over_many_random_inputs() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(20250701);
        for case in 0..3000 {
            let k = rng.random_range(1..8usize);
            let strata: Vec<StratumSize> = (0..k)
                .map(|_| StratumSize {
                    population: match rng.random_range(0..10) {
                        0 => 0,
                        1 => rng.random_range(1..4),
                        _ => rng.random_range(1..2000),
                    },
                    std_dev: Some(rng.random_range(0.0..5.0)),
                })
                .collect();
            let big_n: u64 = strata.iter().map(|s| s.population).sum();
            let n = rng.random_range(0..=big_n + 20);
            let min = rng.random_range(0..6);
            let rule = [
                AllocationRule::Proportional,
                AllocationRule::Equal,
                AllocationRule::Neyman,
            ][case % 3];
            let a = allocate(rule, &strata, n, min, &name).unwrap();
            let ctx = format!("case {case}: {rule:?} n={n} min={min} strata={strata:?} → {a:?}");
            assert_eq!(a.sizes.len(), k, "{ctx}");
            let lower: Vec<u64> = strata.iter().map(|s| s.population.min(min)).collect();
            let upper: Vec<u64> = strata.iter().map(|s| s.population).collect();
            for h in 0..k {
                assert!(a.sizes[h] <= upper[h], "cap broken: {ctx}");
                assert!(a.sizes[h] >= lower[h], "minimum broken: {ctx}");
            }
            let floor_sum: u64 = lower.iter().sum();
            let want = n.min(big_n);
            if floor_sum <= want {
                assert_eq!(a.total(), want, "sum: {ctx}");
                assert!(!a.minimums_exceed_total, "{ctx}");
                // Each integer is within one of the continuous optimum.
                let w: Vec<f64> = match rule {
                    AllocationRule::Proportional => upper.iter().map(|&p| p as f64).collect(),
                    AllocationRule::Equal => upper.iter().map(|&p| (p > 0) as u8 as f64).collect(),
                    AllocationRule::Neyman => strata
                        .iter()
                        .map(|s| s.population as f64 * s.std_dev.unwrap())
                        .collect(),
                };
                if let Some(x) = continuous(&w, &lower, &upper, want) {
                    for (h, (&got, opt)) in a.sizes.iter().zip(&x).enumerate() {
                        assert!(
                            (got as f64 - opt).abs() < 1.0 + 1e-6,
                            "stratum {h} far from optimum {opt}: {ctx}"
                        );
                    }
                }
            } else {
                assert_eq!(a.sizes, lower, "{ctx}");
                assert!(a.minimums_exceed_total, "{ctx}");
            }
        }
    }
}
