//! Ranks within each block, high to low, on the published (rounded) index.
//! Units with the same published figure share a rank and the next rank is
//! skipped (1, 2, 2, 4) unless the profile names a tie-break; a tie the
//! tie-break cannot separate is still shared.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::points::Points;
use crate::profile::TieBreak;

/// One unit to rank. Pass the figures as published (rounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankInput<'a> {
    pub unit: &'a str,
    pub block: &'a str,
    /// The figure the profile ranks on (index or PARI).
    pub score: Points,
    pub survey: Points,
    pub appraised: Points,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Rank {
    pub rank: u32,
    /// Units ranked in the block.
    pub of: u32,
    /// Another unit of the block has the same rank.
    pub shared: bool,
}

fn key(e: &RankInput<'_>, tie_break: TieBreak) -> (Points, Points) {
    let second = match tie_break {
        TieBreak::Shared => Points::ZERO,
        TieBreak::Survey => e.survey,
        TieBreak::Appraised => e.appraised,
    };
    (e.score, second)
}

/// Ranks in the order of `entries`.
pub fn rank_within_blocks(entries: &[RankInput<'_>], tie_break: TieBreak) -> Vec<Rank> {
    let mut blocks: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        blocks.entry(e.block).or_default().push(i);
    }
    let mut out = vec![
        Rank {
            rank: 0,
            of: 0,
            shared: false
        };
        entries.len()
    ];
    for members in blocks.values() {
        let of = members.len() as u32;
        for &i in members {
            let k = key(&entries[i], tie_break);
            let mut better = 0;
            let mut equal = 0;
            for &j in members {
                match key(&entries[j], tie_break).cmp(&k) {
                    Ordering::Greater => better += 1,
                    Ordering::Equal => equal += 1,
                    Ordering::Less => {}
                }
            }
            out[i] = Rank {
                rank: better + 1,
                of,
                shared: equal > 1,
            };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Points {
        Points::parse(s).unwrap()
    }

    fn e<'a>(unit: &'a str, block: &'a str, score: &str, survey: &str) -> RankInput<'a> {
        RankInput {
            unit,
            block,
            score: p(score),
            survey: p(survey),
            appraised: p(score) - p(survey),
        }
    }

    #[test]
    fn ties_share_a_rank_and_skip_the_next() {
        let units = [
            e("A", "so", "91", "25"),
            e("B", "so", "88.5", "20"),
            e("C", "so", "88.5", "27"),
            e("D", "so", "70", "20"),
            e("P1", "phuong", "95", "28"),
            e("P2", "phuong", "60", "20"),
        ];
        let ranks: Vec<(u32, u32, bool)> = rank_within_blocks(&units, TieBreak::Shared)
            .iter()
            .map(|r| (r.rank, r.of, r.shared))
            .collect();
        assert_eq!(
            ranks,
            [
                (1, 4, false),
                (2, 4, true),
                (2, 4, true),
                (4, 4, false),
                (1, 2, false),
                (2, 2, false)
            ]
        );
    }

    #[test]
    fn a_named_tie_break_separates_equal_scores() {
        let units = [
            e("B", "so", "88.5", "20"),
            e("C", "so", "88.5", "27"),
            e("E", "so", "88.5", "27"),
        ];
        let ranks: Vec<u32> = rank_within_blocks(&units, TieBreak::Survey)
            .iter()
            .map(|r| r.rank)
            .collect();
        // C and E have the same survey points too: still shared.
        assert_eq!(ranks, [3, 1, 1]);
    }
}
