//! Bands (nhóm, xếp hạng): the first level whose lower bound the rounded figure
//! reaches. Bounds are inclusive, as the regulations write them ("từ 90 điểm
//! trở lên"): 90.00 is A, 89.99 is B.

use crate::points::Points;
use crate::profile::{Band, Bands};

/// The band of a figure already rounded as published.
pub fn band_for(bands: &Bands, value: Points) -> &Band {
    bands
        .levels
        .iter()
        .find(|b| value >= b.min)
        // The parser requires the last level to start at 0; a negative figure
        // (impossible after clamping) still gets the lowest band.
        .unwrap_or_else(|| {
            bands
                .levels
                .last()
                .expect("a profile has at least one band")
        })
}
