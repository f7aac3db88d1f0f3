//! The readings a profile relies on: every setting where a seed regulation
//! can be read two ways, or says nothing and the province chose. `chiso
//! check` lists them and the index pages show them, so no figure rests on a
//! choice nobody can see.

use super::{
    BelowMinimum, DayCount, HeadRatingScheme, OpenLinks, Profile, TooLateScores, WithoutAssigned,
};

/// Where a setting's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The clause as written.
    Literal,
    /// The other reading of a clause that can be read two ways.
    OtherReading,
    /// No seed states it: the province's choice.
    ProvinceChoice,
}

impl Basis {
    pub fn label(self) -> &'static str {
        match self {
            Basis::Literal => "theo câu chữ của văn bản",
            Basis::OtherReading => "cách đọc khác của văn bản",
            Basis::ProvinceChoice => "văn bản không quy định; lựa chọn của địa phương",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reading {
    /// The profile key, e.g. `appraisal.late.too_late`.
    pub setting: &'static str,
    /// The value as the profile writes it.
    pub value: String,
    /// What the value means, in Vietnamese.
    pub meaning: String,
    pub basis: Basis,
}

fn reading(setting: &'static str, value: &str, meaning: &str, basis: Basis) -> Reading {
    Reading {
        setting,
        value: value.to_string(),
        meaning: meaning.to_string(),
        basis,
    }
}

impl Profile {
    /// Each criteria set's survey points by respondent group (its criteria's
    /// maxima times their group weights), e.g. "Người dân 10, Doanh nghiệp 4".
    pub fn survey_split(&self) -> Vec<(String, String)> {
        // The provincial index a head answers for (Thái Bình's `tinh`) is
        // the Ministry's, not scored here: no split of ours to show.
        let items = match &self.head_rating {
            super::HeadRatingScheme::ThaiBinh2021(r) => Some(r.items_set.as_str()),
            _ => None,
        };
        self.criteria_sets
            .iter()
            .filter(|set| Some(set.code.as_str()) != items)
            .filter_map(|set| {
                let mut by_group: Vec<(crate::questionnaire::RespondentGroup, f64)> = Vec::new();
                for leaf in set.leaves() {
                    if let Some(super::Source::Survey { weights }) = &leaf.source {
                        for (g, w) in weights {
                            let points = leaf.max.to_f64() * w;
                            match by_group.iter_mut().find(|(x, _)| x == g) {
                                Some((_, p)) => *p += points,
                                None => by_group.push((*g, points)),
                            }
                        }
                    }
                }
                (!by_group.is_empty()).then(|| {
                    let parts: Vec<String> = by_group
                        .iter()
                        .map(|(g, p)| {
                            let p = crate::points::Points::from_f64(*p).unwrap_or_default();
                            format!("{} {} điểm", g.label(), p.to_string().replace('.', ","))
                        })
                        .collect();
                    (set.code.clone(), parts.join("; "))
                })
            })
            .collect()
    }

    /// The readings and choices this profile's figures depend on.
    pub fn readings(&self) -> Vec<Reading> {
        let mut out = Vec::new();
        // No seed says how units with the same index are ordered.
        let (value, meaning) = match self.ranking.tie_break {
            super::TieBreak::Shared => (
                "shared",
                "Các đơn vị có Chỉ số bằng nhau được xếp cùng hạng (ví dụ: 1, 2, 2, 4)",
            ),
            super::TieBreak::Survey => (
                "survey",
                "Các đơn vị có Chỉ số bằng nhau: đơn vị có điểm điều tra xã hội học cao hơn xếp trên; vẫn bằng nhau thì cùng hạng",
            ),
            super::TieBreak::Appraised => (
                "appraised",
                "Các đơn vị có Chỉ số bằng nhau: đơn vị có điểm thẩm định cao hơn xếp trên; vẫn bằng nhau thì cùng hạng",
            ),
        };
        out.push(reading(
            "ranking.tie_break",
            value,
            meaning,
            Basis::ProvinceChoice,
        ));
        // Rounding: a seed's rule where it states one (Ninh Hòa art. 4.2),
        // the province's choice where the points are marked as an example.
        out.push(Reading {
            setting: "points.decimals",
            value: self.points.decimals.to_string(),
            meaning: format!(
                "Chỉ số được làm tròn một lần, đến {} chữ số thập phân (chữ số bỏ đi từ 5 trở lên thì làm tròn lên)",
                self.points.decimals
            ),
            basis: if self.example_parts.contains(&super::Part::Points)
                || self.example_parts.contains(&super::Part::Rounding)
            {
                Basis::ProvinceChoice
            } else {
                Basis::Literal
            },
        });
        if let Some(late) = &self.appraisal.late {
            let (value, basis) = match late.too_late {
                TooLateScores::WholeDossier => ("whole_dossier", Basis::Literal),
                TooLateScores::DossierCriterion => ("dossier_criterion", Basis::OtherReading),
            };
            out.push(reading(
                "appraisal.late.too_late",
                value,
                &format!(
                    "Đơn vị không nộp hồ sơ khi hết thời gian nộp muộn: {}",
                    late.too_late.label()
                ),
                basis,
            ));
            let (value, meaning, basis) = match late.count {
                DayCount::Calendar => (
                    "calendar",
                    "Ngày nộp muộn tính theo ngày lịch",
                    Basis::Literal,
                ),
                DayCount::Working => (
                    "working",
                    "Ngày nộp muộn tính theo ngày làm việc",
                    Basis::OtherReading,
                ),
            };
            out.push(reading("appraisal.late.count", value, meaning, basis));
            out.push(if late.grace_end_moves {
                reading(
                    "appraisal.late.grace_end_moves",
                    "true",
                    "Ngày cuối của thời gian nộp muộn rơi vào ngày nghỉ thì được chuyển sang ngày làm việc tiếp theo",
                    Basis::OtherReading,
                )
            } else {
                reading(
                    "appraisal.late.grace_end_moves",
                    "false",
                    "Chỉ hạn chính thức được chuyển khỏi ngày nghỉ; ngày cuối của thời gian nộp muộn giữ nguyên",
                    Basis::Literal,
                )
            });
        }
        out.push(reading(
            "council.no_dossier",
            match self.council.no_dossier {
                super::NoDossier::ScoreZero => "score_zero",
                super::NoDossier::Exclude => "exclude",
                super::NoDossier::Council => "council",
            },
            &format!(
                "Đơn vị không nộp hồ sơ{}: {}",
                if self.appraisal.late.is_some() {
                    " (khi chưa hết thời gian nộp muộn)"
                } else {
                    ""
                },
                self.council.no_dossier.label()
            ),
            Basis::ProvinceChoice,
        ));
        if let Some(survey) = &self.survey {
            out.push(reading(
                "survey.open_links",
                match survey.open_links {
                    OpenLinks::Include => "include",
                    OpenLinks::Exclude => "exclude",
                },
                match survey.open_links {
                    OpenLinks::Include => "Phiếu trả lời qua liên kết mở được tính vào ước lượng",
                    OpenLinks::Exclude => {
                        "Phiếu trả lời qua liên kết mở không được tính vào ước lượng"
                    }
                },
                Basis::ProvinceChoice,
            ));
            let minimum: Vec<String> = survey
                .min_valid
                .iter()
                .map(|(g, n)| format!("{} {n} phiếu", g.label()))
                .collect();
            out.push(reading(
                "survey.below_minimum",
                match survey.below_minimum {
                    BelowMinimum::Withhold => "withhold",
                    BelowMinimum::Flag => "flag",
                },
                &format!(
                    "Số phiếu hợp lệ tối thiểu mỗi đơn vị: {}. Dưới mức đó: {}",
                    if minimum.is_empty() {
                        "1 phiếu mỗi nhóm".to_string()
                    } else {
                        minimum.join("; ")
                    },
                    match survey.below_minimum {
                        BelowMinimum::Withhold =>
                            "chưa tính điểm tiêu chí, chờ Hội đồng quyết định",
                        BelowMinimum::Flag => "vẫn tính điểm, có ghi chú",
                    }
                ),
                Basis::ProvinceChoice,
            ));
        }
        if let Some(survey) = &self.survey {
            out.push(Reading {
                setting: "survey.anonymity_k",
                value: survey.anonymity_k.to_string(),
                meaning: format!(
                    "Đợt khảo sát ẩn danh: số liệu chỉ hiện sau khi đợt kết thúc, và không hiện số liệu nào tính từ ít hơn {} câu trả lời (hoặc số phiếu tối thiểu của nhóm, nếu lớn hơn)",
                    survey.anonymity_k
                ),
                basis: Basis::ProvinceChoice,
            });
            for (name, scores) in &survey.scales {
                let shown: Vec<String> = scores
                    .iter()
                    .map(|x| x.to_string().replace('.', ","))
                    .collect();
                out.push(Reading {
                    setting: "survey.scales",
                    value: name.clone(),
                    meaning: format!(
                        "Quy đổi các mức trả lời thành điểm, từ mức thấp nhất: {}",
                        shown.join("; ")
                    ),
                    basis: Basis::ProvinceChoice,
                });
            }
        }
        for (set, split) in self.survey_split() {
            let set_name = self
                .criteria_set(&set)
                .map(|s| s.name.clone())
                .unwrap_or_else(|| set.clone());
            out.push(Reading {
                setting: "criteria_sets",
                value: set.clone(),
                meaning: format!(
                    "Điểm điều tra xã hội học chia theo nhóm đối tượng ({set_name}): {split}"
                ),
                basis: Basis::ProvinceChoice,
            });
        }
        if let HeadRatingScheme::ThaiBinh2021(tb) = &self.head_rating {
            out.push(reading(
                "head_rating.without_assigned",
                match tb.without_assigned {
                    WithoutAssigned::IndexOnly => "index_only",
                    WithoutAssigned::Undecided => "undecided",
                },
                match tb.without_assigned {
                    WithoutAssigned::IndexOnly => {
                        "Người đứng đầu không được giao lĩnh vực, tiêu chí nào: xếp loại theo Chỉ số"
                    }
                    WithoutAssigned::Undecided => {
                        "Người đứng đầu không được giao lĩnh vực, tiêu chí nào: Hội đồng quyết định"
                    }
                },
                Basis::ProvinceChoice,
            ));
        }
        out
    }
}
