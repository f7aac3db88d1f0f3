//! Cluster stages for area surveys (the PAPI design: districts → communes →
//! villages → people): systematic selection with probability proportional
//! to size (PPS), then people by simple random sampling in each selected
//! cluster.
//!
//! Systematic PPS of n clusters with integer sizes M_i > 0, exactly:
//!
//! 1. Order the clusters: by key (UTF-8 bytes), or as given when the order
//!    carries meaning (e.g. geographic, for implicit stratification).
//! 2. Certainty clusters: with m = n − (certainties so far) and T the total
//!    size of the others, every cluster with M_i·m ≥ T (M_i ≥ the interval
//!    I = T/m) is taken with certainty (π = 1); repeat until none is left or
//!    m = 0. If n ≥ the number of clusters, all are certain.
//! 3. The rest, in order, with cumulative sizes C_i: draw one integer
//!    R = uniform_below(T) (see [`super::draw`]); cluster i is selected when
//!    some k in 0..m has m·C_{i−1} ≤ R + k·T < m·C_i. This is the textbook
//!    rule "random start s in [0, I), select where the cumulative size
//!    crosses s + k·I" with s = R/m, scaled by m so that it runs in exact
//!    integers: every machine selects the same clusters, and
//!    π_i = m·M_i/T exactly.
//!
//! In a multi-stage design each selection uses the stream
//! `stratum_rng(seed, ["pps", parent path…])` (just `["pps"]` for the first
//! stage), and people in a selected leaf cluster are drawn as a stratum with
//! id `["people", path…]`; the overall inclusion probability is the product
//! of the stages' probabilities and the within-cluster n/N.

use rand::RngCore;

use super::draw::{draw_stratum, stratum_rng, uniform_below, DrawSeed, Drawn};
use super::frame::PersonKey;
use super::{SamplingError, StratumId};

/// The order clusters are listed in before the systematic pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PpsOrder {
    /// By key, comparing UTF-8 bytes.
    #[default]
    ByKey,
    /// The order of the input, which the caller keeps stable.
    AsGiven,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub key: String,
    /// The size measure (e.g. households); must be positive.
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PpsSelection {
    /// Index into the input slice.
    pub index: usize,
    pub key: String,
    /// π_i: 1 for certainty clusters, else m·M_i/T.
    pub probability: f64,
    pub certainty: bool,
}

/// Selects `n` clusters by systematic PPS (module doc). The result is in
/// the listing order of step 1. Uses at most one `uniform_below` of `rng`.
pub fn systematic_pps(
    rng: &mut impl RngCore,
    clusters: &[Cluster],
    n: usize,
    order: PpsOrder,
) -> Result<Vec<PpsSelection>, SamplingError> {
    let mut listing: Vec<usize> = (0..clusters.len()).collect();
    if order == PpsOrder::ByKey {
        listing.sort_by(|&a, &b| clusters[a].key.cmp(&clusters[b].key));
    }
    let mut keys: Vec<&str> = clusters.iter().map(|c| c.key.as_str()).collect();
    keys.sort_unstable();
    if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
        return Err(SamplingError::DuplicateCluster(w[0].to_string()));
    }
    if let Some(c) = clusters.iter().find(|c| c.size == 0) {
        return Err(SamplingError::ZeroSize(c.key.clone()));
    }
    clusters
        .iter()
        .try_fold(0u64, |acc, c| acc.checked_add(c.size))
        .ok_or(SamplingError::SizeOverflow)?;

    let mut certain = vec![n >= clusters.len(); clusters.len()];
    loop {
        let taken = certain.iter().filter(|&&c| c).count();
        let m = n.saturating_sub(taken) as u128;
        let rest: Vec<usize> = (0..clusters.len()).filter(|&i| !certain[i]).collect();
        if m == 0 || rest.is_empty() {
            break;
        }
        let total: u128 = rest.iter().map(|&i| clusters[i].size as u128).sum();
        let mut found = false;
        for &i in &rest {
            if clusters[i].size as u128 * m >= total {
                certain[i] = true;
                found = true;
            }
        }
        if !found {
            break;
        }
    }

    let mut selected = certain.clone();
    let mut probability: Vec<f64> = certain.iter().map(|&c| if c { 1.0 } else { 0.0 }).collect();
    let m = n.saturating_sub(certain.iter().filter(|&&c| c).count()) as u128;
    let rest: Vec<usize> = listing.iter().copied().filter(|&i| !certain[i]).collect();
    if m > 0 && !rest.is_empty() {
        let total: u128 = rest.iter().map(|&i| clusters[i].size as u128).sum();
        // total ≤ u64::MAX was checked above.
        let start = uniform_below(rng, total as u64) as u128;
        let mut k = 0u128;
        let mut cumulative = 0u128;
        for &i in &rest {
            cumulative += clusters[i].size as u128;
            let upper = m * cumulative;
            while k < m && start + k * total < upper {
                selected[i] = true;
                k += 1;
            }
            probability[i] = (m * clusters[i].size as u128) as f64 / total as f64;
        }
    }
    Ok(listing
        .into_iter()
        .filter(|&i| selected[i])
        .map(|i| PpsSelection {
            index: i,
            key: clusters[i].key.clone(),
            probability: probability[i],
            certainty: certain[i],
        })
        .collect())
}

/// A cluster with its sub-clusters (a district with its communes, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNode {
    pub key: String,
    pub size: u64,
    pub children: Vec<ClusterNode>,
}

/// A cluster selected at the last stage, with the keys of its ancestors.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectedCluster {
    /// Keys from the first stage down to this cluster.
    pub path: Vec<String>,
    /// π of each stage, conditional on the parent being selected.
    pub stage_probabilities: Vec<f64>,
    /// The product of the stage probabilities.
    pub probability: f64,
}

/// Applies systematic PPS at each level: `take[0]` clusters among `roots`,
/// then `take[1]` among the children of each selected one, and so on.
/// A selected cluster with no children where another stage follows is an
/// error (the design would silently lose its people).
pub fn select_stages(
    seed: &DrawSeed,
    roots: &[ClusterNode],
    take: &[usize],
    order: PpsOrder,
) -> Result<Vec<SelectedCluster>, SamplingError> {
    if take.is_empty() {
        return Err(SamplingError::NoStages);
    }
    let mut frontier: Vec<(SelectedCluster, &[ClusterNode])> = vec![(
        SelectedCluster {
            path: Vec::new(),
            stage_probabilities: Vec::new(),
            probability: 1.0,
        },
        roots,
    )];
    for (level, &n) in take.iter().enumerate() {
        let mut next = Vec::new();
        for (parent, children) in frontier {
            if children.is_empty() {
                return Err(SamplingError::NoChildren(parent.path.join(" / ")));
            }
            let mut parts = vec!["pps".to_string()];
            parts.extend(parent.path.iter().cloned());
            let id = StratumId::from_parts(&parts)?;
            let clusters: Vec<Cluster> = children
                .iter()
                .map(|c| {
                    StratumId::from_parts(&[&c.key])?;
                    Ok(Cluster {
                        key: c.key.clone(),
                        size: c.size,
                    })
                })
                .collect::<Result<_, SamplingError>>()?;
            let mut rng = stratum_rng(seed, &id);
            for s in systematic_pps(&mut rng, &clusters, n, order)? {
                let mut path = parent.path.clone();
                path.push(s.key);
                let mut stage_probabilities = parent.stage_probabilities.clone();
                stage_probabilities.push(s.probability);
                let child = &children[s.index];
                let grandchildren: &[ClusterNode] = if level + 1 < take.len() {
                    &child.children
                } else {
                    &[]
                };
                next.push((
                    SelectedCluster {
                        path,
                        stage_probabilities,
                        probability: parent.probability * s.probability,
                    },
                    grandchildren,
                ));
            }
        }
        frontier = next;
    }
    Ok(frontier.into_iter().map(|(s, _)| s).collect())
}

/// Draws `per_cluster` people (and `reserves` more) in each selected
/// cluster by the stratum draw, with stratum id `["people", path…]`. A
/// cluster with fewer people gives all it has (a census of the cluster),
/// reserves only from what is left. `people_of` lists a cluster's people
/// (any order); the lead can load only the selected clusters'.
pub fn draw_in_clusters(
    seed: &DrawSeed,
    selected: &[SelectedCluster],
    per_cluster: u64,
    reserves: u64,
    mut people_of: impl FnMut(&SelectedCluster) -> Vec<PersonKey>,
) -> Result<Vec<Drawn>, SamplingError> {
    let mut out = Vec::new();
    for cluster in selected {
        let mut parts = vec![super::AREA_PEOPLE.to_string()];
        parts.extend(cluster.path.iter().cloned());
        let id = StratumId::from_parts(&parts)?;
        let persons = people_of(cluster);
        let big_n = persons.len() as u64;
        let k = per_cluster.min(big_n);
        let r = reserves.min(big_n - k);
        for mut d in draw_stratum(seed, &id, persons, k, r)? {
            d.inclusion_probability *= cluster.probability;
            d.design_weight = 1.0 / d.inclusion_probability;
            out.push(d);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use std::collections::BTreeMap;

    fn clusters(sizes: &[u64]) -> Vec<Cluster> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| Cluster {
                key: format!("C{i:02}"),
                size: s,
            })
            .collect()
    }

    fn rng(i: u64) -> ChaCha20Rng {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&i.to_le_bytes());
        ChaCha20Rng::from_seed(key)
    }

    #[test]
    fn selects_exactly_n_with_textbook_probabilities() {
        let c = clusters(&[10, 20, 30, 40, 50, 60, 70, 80]); // Σ = 360
        for i in 0..200 {
            let s = systematic_pps(&mut rng(i), &c, 3, PpsOrder::ByKey).unwrap();
            assert_eq!(s.len(), 3);
            assert!(s.iter().all(|x| !x.certainty));
            for x in &s {
                let want = 3.0 * c[x.index].size as f64 / 360.0;
                assert!((x.probability - want).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn a_hand_worked_selection() {
        // Sizes 3, 4, 3 (T = 10), n = 2, so I = 5 (no certainty) and the
        // scaled cumulative sizes m·C are 6, 14, 20. Points R and R + 10:
        // R = 7 → 7 falls in [6, 14) (the second) and 17 in [14, 20) (the third).
        struct Fixed(u64);
        impl RngCore for Fixed {
            fn next_u32(&mut self) -> u32 {
                self.0 as u32
            }
            fn next_u64(&mut self) -> u64 {
                self.0
            }
            fn fill_bytes(&mut self, _: &mut [u8]) {}
        }
        let c = clusters(&[3, 4, 3]);
        // uniform_below(10) rejects x < 2^64 mod 10 = 6 and returns x mod 10;
        // x = u64::MAX − 8 (…607) gives R = 7.
        let x = u64::MAX - 8;
        assert_eq!(x % 10, 7);
        let s = systematic_pps(&mut Fixed(x), &c, 2, PpsOrder::ByKey).unwrap();
        let keys: Vec<&str> = s.iter().map(|x| x.key.as_str()).collect();
        assert_eq!(keys, ["C01", "C02"]);
        // R = 3: 3 in [0, 6) → first; 13 in [6, 14) → second.
        let x = u64::MAX - 12;
        assert_eq!(x % 10, 3);
        let s = systematic_pps(&mut Fixed(x), &c, 2, PpsOrder::ByKey).unwrap();
        let keys: Vec<&str> = s.iter().map(|x| x.key.as_str()).collect();
        assert_eq!(keys, ["C00", "C01"]);
    }

    #[test]
    fn certainty_clusters_are_taken_and_the_rest_re_run() {
        // Σ = 1000, n = 4, I = 250: 500 is certain; then m = 3 over 500
        // (I = 166.7): 200 is certain too; then m = 2 over 300, I = 150:
        // none of 100, 100, 100 is.
        let c = clusters(&[100, 500, 100, 200, 100]);
        for i in 0..100 {
            let s = systematic_pps(&mut rng(i), &c, 4, PpsOrder::ByKey).unwrap();
            assert_eq!(s.len(), 4);
            let cert: Vec<&str> = s
                .iter()
                .filter(|x| x.certainty)
                .map(|x| x.key.as_str())
                .collect();
            assert_eq!(cert, ["C01", "C03"]);
            for x in s.iter().filter(|x| !x.certainty) {
                assert!((x.probability - 2.0 * 100.0 / 300.0).abs() < 1e-12);
            }
        }
        // n ≥ the number of clusters: all certain, no randomness needed.
        let s = systematic_pps(&mut rng(0), &c, 9, PpsOrder::ByKey).unwrap();
        assert_eq!(s.len(), 5);
        assert!(s.iter().all(|x| x.certainty && x.probability == 1.0));
        assert!(systematic_pps(&mut rng(0), &c, 0, PpsOrder::ByKey)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn bad_clusters_are_errors() {
        let mut c = clusters(&[5, 0, 3]);
        assert_eq!(
            systematic_pps(&mut rng(0), &c, 1, PpsOrder::ByKey),
            Err(SamplingError::ZeroSize("C01".into()))
        );
        c[1].size = 2;
        c[2].key = "C00".into();
        assert!(matches!(
            systematic_pps(&mut rng(0), &c, 1, PpsOrder::ByKey),
            Err(SamplingError::DuplicateCluster(_))
        ));
        let huge = clusters(&[u64::MAX, 1]);
        assert_eq!(
            systematic_pps(&mut rng(0), &huge, 1, PpsOrder::ByKey),
            Err(SamplingError::SizeOverflow)
        );
    }

    #[test]
    fn listing_order_is_by_key_unless_given() {
        let mut c = clusters(&[10, 20, 30, 40]);
        c.reverse();
        let by_key = systematic_pps(&mut rng(5), &c, 2, PpsOrder::ByKey).unwrap();
        let mut sorted = c.clone();
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
        let again = systematic_pps(&mut rng(5), &sorted, 2, PpsOrder::ByKey).unwrap();
        let keys = |s: &[PpsSelection]| s.iter().map(|x| x.key.clone()).collect::<Vec<_>>();
        assert_eq!(
            keys(&by_key),
            keys(&again),
            "input order does not matter by key"
        );
        let as_given = systematic_pps(&mut rng(5), &sorted, 2, PpsOrder::AsGiven).unwrap();
        assert_eq!(keys(&as_given), keys(&again));
    }

    #[test]
    fn inclusion_frequencies_match_pi_over_many_seeds() {
        // 2,000 runs; each cluster's count is Binomial(2000, π_i). Allowing
        // 4.5 sd per cluster, a correct selection fails with probability
        // below 1e-4 over all clusters.
        let c = clusters(&[5, 12, 30, 7, 60, 18, 25, 3, 40, 200]); // Σ = 400, n = 4 → 200 certain
        let runs = 2000;
        let mut counts = BTreeMap::new();
        let mut pi = BTreeMap::new();
        for i in 0..runs {
            for s in systematic_pps(&mut rng(1000 + i), &c, 4, PpsOrder::ByKey).unwrap() {
                *counts.entry(s.key.clone()).or_insert(0u32) += 1;
                pi.insert(s.key, s.probability);
            }
        }
        assert_eq!(counts["C09"], runs as u32, "the certainty cluster always");
        // The rest: m = 3 over Σ = 200.
        for (i, cl) in c.iter().enumerate().take(9) {
            let p = 3.0 * cl.size as f64 / 200.0;
            assert!((pi.get(&cl.key).copied().unwrap_or(p) - p).abs() < 1e-12);
            let got = counts.get(&cl.key).copied().unwrap_or(0) as f64;
            let sd = (runs as f64 * p * (1.0 - p)).sqrt();
            assert!(
                (got - runs as f64 * p).abs() < 4.5 * sd,
                "cluster {i}: {got} vs {}",
                runs as f64 * p
            );
        }
    }

    fn village(key: &str, size: u64) -> ClusterNode {
        ClusterNode {
            key: key.into(),
            size,
            children: vec![],
        }
    }

    fn design() -> Vec<ClusterNode> {
        (0..6)
            .map(|d| ClusterNode {
                key: format!("D{d}"),
                size: 100 + 50 * d as u64,
                children: (0..4)
                    .map(|c| ClusterNode {
                        key: format!("D{d}C{c}"),
                        size: 10 + 5 * c as u64,
                        children: (0..3)
                            .map(|v| village(&format!("D{d}C{c}V{v}"), 5 + v as u64))
                            .collect(),
                    })
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn multistage_selection_and_people() {
        let seed = DrawSeed::parse("papi-2025").unwrap();
        let tree = design();
        let sel = select_stages(&seed, &tree, &[2, 2, 1], PpsOrder::ByKey).unwrap();
        assert_eq!(sel.len(), 4, "2 districts × 2 communes × 1 village");
        for s in &sel {
            assert_eq!(s.path.len(), 3);
            assert!(s.path[1].starts_with(&s.path[0]) && s.path[2].starts_with(&s.path[1]));
            let product: f64 = s.stage_probabilities.iter().product();
            assert!((s.probability - product).abs() < 1e-12);
        }
        // Districts: Σ = 6·100 + 50·15 = 1350, n = 2; I = 675 > 350, no certainty.
        let d0 = tree.iter().find(|d| d.key == sel[0].path[0]).unwrap();
        assert!((sel[0].stage_probabilities[0] - 2.0 * d0.size as f64 / 1350.0).abs() < 1e-12);
        assert_eq!(
            sel,
            select_stages(&seed, &tree, &[2, 2, 1], PpsOrder::ByKey).unwrap()
        );

        let people = draw_in_clusters(&seed, &sel, 4, 1, |c| {
            (0..30)
                .map(|i| PersonKey::parse(&format!("{}-{i:02}", c.path.last().unwrap())).unwrap())
                .collect()
        })
        .unwrap();
        assert_eq!(people.len(), 4 * 5);
        for d in &people {
            let c = sel
                .iter()
                .find(|c| {
                    d.person
                        .as_str()
                        .starts_with(c.path.last().unwrap().as_str())
                })
                .unwrap();
            let want = c.probability * 4.0 / 30.0;
            assert!((d.inclusion_probability - want).abs() < 1e-15);
            assert!((d.design_weight - 1.0 / want).abs() < 1e-9);
            assert_eq!(d.stratum.parts().next(), Some("people"));
        }
        // A small cluster is a census of itself.
        let few = draw_in_clusters(&seed, &sel[..1], 4, 2, |_| {
            vec![
                PersonKey::parse("a").unwrap(),
                PersonKey::parse("b").unwrap(),
            ]
        })
        .unwrap();
        assert_eq!(few.len(), 2);
        assert!((few[0].inclusion_probability - sel[0].probability).abs() < 1e-15);
    }

    #[test]
    fn multistage_errors() {
        let seed = DrawSeed::parse("x").unwrap();
        assert_eq!(
            select_stages(&seed, &design(), &[], PpsOrder::ByKey),
            Err(SamplingError::NoStages)
        );
        // Four stages but villages have no children.
        assert!(matches!(
            select_stages(&seed, &design(), &[1, 1, 1, 1], PpsOrder::ByKey),
            Err(SamplingError::NoChildren(_))
        ));
        let mut bad = design();
        bad[0].size = 0;
        assert!(matches!(
            select_stages(&seed, &bad, &[2], PpsOrder::ByKey),
            Err(SamplingError::ZeroSize(_))
        ));
    }

    #[test]
    fn multistage_frequencies_over_seeds() {
        // The overall probability of a village is the product of its stages';
        // check the first stage's frequencies over 2,000 seeds (4.5 sd).
        let tree = design();
        let runs = 2000;
        let mut counts = BTreeMap::new();
        for i in 0..runs {
            let seed = DrawSeed::parse(&format!("s{i}")).unwrap();
            for s in select_stages(&seed, &tree, &[2, 1], PpsOrder::ByKey).unwrap() {
                *counts.entry(s.path[0].clone()).or_insert(0u32) += 1;
            }
        }
        for d in &tree {
            let p = 2.0 * d.size as f64 / 1350.0;
            let got = counts.get(&d.key).copied().unwrap_or(0) as f64;
            let sd = (runs as f64 * p * (1.0 - p)).sqrt();
            assert!((got - runs as f64 * p).abs() < 4.5 * sd, "{}: {got}", d.key);
        }
    }
}
