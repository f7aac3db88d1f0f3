//! From a unit's components to its published figures.
//!
//! index = appraised + survey + min(bonus, cap) − deductions, never below 0;
//! PARI = index / P × 100 %, P being the standard maximum less the criteria
//! that did not apply (Ninh Hòa art. 8.1), computed from the index as
//! published. The index is rounded once, at the end, half away from zero, to
//! the profile's decimals (see [`Points`]): the components are exact, so
//! 62.995 + 27 publishes as 90.00 and lands in band A.

use crate::points::Points;
use crate::profile::{Band, BandBasis, Profile};

use super::band::band_for;

/// A unit's points by component, unrounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Components {
    pub appraised: Points,
    pub survey: Points,
    /// Bonus earned, before the cap.
    pub bonus: Points,
    /// Deduction items plus any late-dossier penalty, as a positive number.
    pub deductions: Points,
    /// P: the standard maximum less the maxima of criteria that did not apply.
    pub applicable_max: Points,
}

/// Something in a unit's figures a reader should know about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Note {
    /// More bonus earned than the cap allows; the cap counted.
    BonusCapped { earned: Points, cap: Points },
    /// Deductions exceeded the points earned; the index is 0.
    ClampedAtZero { before: Points },
    /// Some criteria did not apply (P below the standard maximum) while bands
    /// read the index in points, which the regulation does not rescale.
    ReducedMaximumWithIndexBands { applicable_max: Points },
}

impl Note {
    pub fn message(&self) -> String {
        match self {
            Note::BonusCapped { earned, cap } => {
                format!("điểm thưởng {earned} vượt mức tối đa, chỉ tính {cap}")
            }
            Note::ClampedAtZero { before } => {
                format!("điểm trừ lớn hơn điểm đạt được ({before}), chỉ số tính là 0")
            }
            Note::ReducedMaximumWithIndexBands { applicable_max } => format!(
                "có tiêu chí không áp dụng (điểm tối đa còn {applicable_max}) nhưng xếp loại theo tổng điểm, không quy đổi"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Figures {
    pub components: Components,
    pub bonus_counted: Points,
    /// p before rounding.
    pub raw: Points,
    /// p rounded as published.
    pub index: Points,
    /// p / P × 100, rounded as published.
    pub pari: Points,
    /// The band of `index` or `pari`, as the profile says.
    pub band: Band,
    pub notes: Vec<Note>,
}

impl Figures {
    /// The figure bands and rankings read.
    pub fn headline(&self, basis: BandBasis) -> Points {
        match basis {
            BandBasis::Index => self.index,
            BandBasis::Pari => self.pari,
        }
    }
}

/// Why components cannot be a unit's figures; `component` is the column name
/// (`appraised`, `survey`, `bonus`, `deductions`, `max`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComponentError {
    #[error("{component}: không được âm ({value})")]
    Negative {
        component: &'static str,
        value: Points,
    },
    #[error("{component}: {value} vượt mức tối đa {max}")]
    AboveMax {
        component: &'static str,
        value: Points,
        max: Points,
    },
    #[error("max: điểm tối đa áp dụng ({value}) phải lớn hơn 0 và không quá {total}")]
    BadMaximum { value: Points, total: Points },
    #[error("appraised + survey + bonus = {sum} vượt điểm tối đa áp dụng {max}")]
    AboveApplicable { sum: Points, max: Points },
}

impl ComponentError {
    pub fn component(&self) -> &'static str {
        match self {
            ComponentError::Negative { component, .. }
            | ComponentError::AboveMax { component, .. } => component,
            ComponentError::BadMaximum { .. } => "max",
            ComponentError::AboveApplicable { .. } => "appraised",
        }
    }
}

/// Checks the components against the profile's scale, then computes the figures.
pub fn figures(profile: &Profile, c: &Components) -> Result<Figures, Vec<ComponentError>> {
    let rules = &profile.points;
    let mut errs = Vec::new();
    for (component, value) in [
        ("appraised", c.appraised),
        ("survey", c.survey),
        ("bonus", c.bonus),
        ("deductions", c.deductions),
    ] {
        if value.is_negative() {
            errs.push(ComponentError::Negative { component, value });
        }
    }
    for (component, value, max) in [
        (
            "appraised",
            c.appraised,
            rules.appraised.unwrap_or(rules.total),
        ),
        ("survey", c.survey, rules.survey.unwrap_or(rules.total)),
    ] {
        if value > max {
            errs.push(ComponentError::AboveMax {
                component,
                value,
                max,
            });
        }
    }
    if c.applicable_max <= Points::ZERO || c.applicable_max > rules.total {
        errs.push(ComponentError::BadMaximum {
            value: c.applicable_max,
            total: rules.total,
        });
    }
    let bonus_counted = c.bonus.min(rules.bonus_cap).max(Points::ZERO);
    let earned = c.appraised + c.survey + bonus_counted;
    if errs.is_empty() && earned > c.applicable_max {
        errs.push(ComponentError::AboveApplicable {
            sum: earned,
            max: c.applicable_max,
        });
    }
    if !errs.is_empty() {
        return Err(errs);
    }

    let mut notes = Vec::new();
    if c.bonus > rules.bonus_cap {
        notes.push(Note::BonusCapped {
            earned: c.bonus,
            cap: rules.bonus_cap,
        });
    }
    let mut raw = earned - c.deductions;
    if raw.is_negative() {
        notes.push(Note::ClampedAtZero { before: raw });
        raw = Points::ZERO;
    }
    if c.applicable_max < rules.total && profile.bands.on == BandBasis::Index {
        notes.push(Note::ReducedMaximumWithIndexBands {
            applicable_max: c.applicable_max,
        });
    }
    let index = raw.round(rules.decimals);
    // PARI = p / P × 100 with p "điểm đạt được sau thẩm định" as published,
    // rounded to 2 decimals (Ninh Hòa art. 4.2, 8.1): two units publishing
    // the same p over the same P get the same PARI, band and rank.
    let pari = Points::percent_of(index, c.applicable_max, rules.decimals)
        .expect("applicable_max checked positive");
    let headline = match profile.bands.on {
        BandBasis::Index => index,
        BandBasis::Pari => pari,
    };
    Ok(Figures {
        components: *c,
        bonus_counted,
        raw,
        index,
        pari,
        band: band_for(&profile.bands, headline).clone(),
        notes,
    })
}
