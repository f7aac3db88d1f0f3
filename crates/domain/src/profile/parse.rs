//! TOML → [`Profile`], reporting every problem with its line, the same way as
//! the questionnaire parser: a shape error (a string where a number belongs)
//! stops serde and comes alone; unknown keys are collected by `serde_ignored`;
//! every semantic problem (maxima that do not add up, duplicate codes, bands
//! out of order, an unknown block in the rank cut-offs, …) is found in one pass.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use chrono::{NaiveDate, Weekday};
use serde::Deserialize;

use crate::sampling::{GroupRule, SamplingRules};
use toml::value::Datetime;
use toml::Spanned;

use super::tree::{self, Draft, Kind, Source, Totals};
use super::{
    AppraisalRules, Band, BandBasis, Bands, BelowMinimum, Block, Calendar, CouncilRules,
    CriteriaSet, DateRule, DayCount, Deadline, Department, ExplainRules, HaiPhongRules,
    HeadRatingScheme, Holiday, LateRule, NoDossier, OpenLinks, Part, PointsRules, Profile, Ranking,
    Sanction, ScoreThresholds, SurveyRules, ThaiBinhRules, TieBreak, TooLateScores,
    WithoutAssigned,
};
use crate::code::Slug;
use crate::points::{Factor, Points, MAX_DECIMALS};
use crate::questionnaire::RespondentGroup;
use crate::toml_lines::{finish, read_raw, Diagnostic, LineIndex};

type S<T> = Spanned<T>;

#[derive(Deserialize)]
struct RawProfile {
    code: Option<S<String>>,
    name: Option<S<String>>,
    year: Option<S<i64>>,
    regulation: Option<S<String>>,
    seed: Option<String>,
    #[serde(default)]
    example_parts: Vec<S<String>>,
    points: Option<S<RawPoints>>,
    #[serde(default)]
    departments: BTreeMap<String, S<String>>,
    /// Unit types' names (`[unit_types]`, code = "Tên").
    #[serde(default)]
    unit_types: BTreeMap<String, S<String>>,
    #[serde(default)]
    criteria_sets: Vec<S<RawSet>>,
    ranking: Option<S<RawRanking>>,
    bands: Option<S<RawBands>>,
    survey: Option<S<RawSurvey>>,
    appraisal: Option<S<RawAppraisal>>,
    #[serde(default)]
    deadlines: Vec<S<RawDeadline>>,
    calendar: Option<S<RawCalendar>>,
    head_rating: Option<S<RawHead>>,
    explain: Option<S<RawExplain>>,
    council: Option<S<RawCouncil>>,
    /// Checked by the sampling rule's own deserializer, which refuses
    /// unknown keys, so any value is taken here.
    #[serde(default)]
    sampling: BTreeMap<String, S<toml::Value>>,
}

#[derive(Deserialize)]
struct RawPoints {
    total: Option<S<f64>>,
    appraised: Option<S<f64>>,
    survey: Option<S<f64>>,
    bonus_cap: Option<S<f64>>,
    decimals: Option<S<i64>>,
}

#[derive(Deserialize)]
struct RawSet {
    code: Option<S<String>>,
    name: Option<S<String>>,
    unit_types: Option<S<Vec<String>>>,
    appendix: Option<String>,
    #[serde(default)]
    criteria: Vec<S<RawCriterion>>,
}

#[derive(Deserialize)]
struct RawCriterion {
    code: Option<S<String>>,
    name: Option<S<String>>,
    label: Option<String>,
    max: Option<S<f64>>,
    kind: Option<S<String>>,
    department: Option<S<String>>,
    survey: Option<S<BTreeMap<String, f64>>>,
    evidence: Option<S<bool>>,
    dossier: Option<S<bool>>,
    /// An encouragement item at any level (Thái Bình art. 17.1.d).
    encouragement: Option<bool>,
}

#[derive(Deserialize)]
struct RawRanking {
    tie_break: Option<S<String>>,
    #[serde(default)]
    blocks: Vec<S<RawBlock>>,
}

#[derive(Deserialize)]
struct RawBlock {
    code: Option<S<String>>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawBands {
    on: Option<S<String>>,
    #[serde(default)]
    levels: Vec<S<RawBand>>,
}

#[derive(Deserialize)]
struct RawBand {
    label: Option<S<String>>,
    name: Option<String>,
    min: Option<S<f64>>,
}

#[derive(Deserialize)]
struct RawSurvey {
    open_links: Option<S<String>>,
    below_minimum: Option<S<String>>,
    #[serde(default)]
    min_valid: BTreeMap<String, S<i64>>,
    /// Scale name → the points of each answer level, in [0, 1].
    #[serde(default)]
    scales: BTreeMap<String, S<Vec<f64>>>,
    anonymity_k: Option<S<i64>>,
}

#[derive(Deserialize)]
struct RawAppraisal {
    supplement_factor: Option<S<f64>>,
    late: Option<S<RawLate>>,
}

#[derive(Deserialize)]
struct RawLate {
    points_per_day: Option<S<f64>>,
    grace_days: Option<S<i64>>,
    count: Option<S<String>>,
    deadline: Option<S<String>>,
    too_late: Option<S<String>>,
    grace_end_moves: Option<bool>,
}

#[derive(Deserialize)]
struct RawDeadline {
    code: Option<S<String>>,
    name: Option<String>,
    /// `"20/12"`: the day and month every year.
    yearly: Option<S<String>>,
    /// `"next"` when the yearly date falls in the year after the assessed one.
    in_year: Option<S<String>>,
    /// A fixed date: a profile for one year only.
    date: Option<S<Datetime>>,
    /// An earlier deadline's code, with `days` after it.
    after: Option<S<String>>,
    days: Option<S<i64>>,
}

#[derive(Deserialize)]
struct RawCalendar {
    weekend: Option<S<Vec<String>>>,
    #[serde(default)]
    holidays: Vec<S<RawHoliday>>,
    #[serde(default)]
    extra_working_days: Vec<S<Datetime>>,
}

#[derive(Deserialize)]
struct RawHoliday {
    date: Option<S<Datetime>>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawHead {
    scheme: Option<S<String>>,
    blocks: Option<S<Vec<String>>>,
    excellent_min: Option<S<f64>>,
    good_min: Option<S<f64>>,
    completed_min: Option<S<f64>>,
    excellent_rank: Option<S<BTreeMap<String, S<i64>>>>,
    good_rank: Option<S<BTreeMap<String, S<i64>>>>,
    rising_years: Option<S<i64>>,
    falling_years: Option<S<i64>>,
    without_assigned_fields: Option<S<String>>,
    items_set: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCouncil {
    no_dossier: Option<S<String>>,
}

#[derive(Deserialize)]
struct RawExplain {
    report_days: Option<S<i64>>,
    #[serde(default)]
    sanctions: Vec<S<RawSanction>>,
}

#[derive(Deserialize)]
struct RawSanction {
    after_years: Option<S<i64>>,
    action: Option<String>,
    article: Option<String>,
    subjective_only: Option<bool>,
    except_bonus: Option<bool>,
}

/// Parses and validates a profile. On failure every problem found is
/// returned, sorted by line.
pub fn parse_profile(source: &str) -> Result<Profile, Vec<Diagnostic>> {
    let raw = read_raw::<RawProfile>(source)?;
    let mut c = Checker {
        lines: &raw.lines,
        source,
        diags: Vec::new(),
    };
    for path in &raw.unknown {
        c.unknown_key(&raw.value, path);
    }
    let profile = c.profile(raw.value);
    finish(profile, c.diags)
}

struct Checker<'a> {
    lines: &'a LineIndex<'a>,
    source: &'a str,
    diags: Vec<Diagnostic>,
}

/// The span of the top level: everything before the first table header.
fn top_span(source: &str) -> Range<usize> {
    let end = source
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .find(|&i| source[i..].trim_start().starts_with('['))
        .unwrap_or(source.len());
    0..end
}

fn group_by_name(name: &str) -> Option<RespondentGroup> {
    RespondentGroup::ALL
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, g)| *g)
}

fn group_names() -> String {
    RespondentGroup::ALL
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_criterion_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.split('.')
            .all(|seg| !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn is_profile_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    })
}

impl Checker<'_> {
    fn err_at(&mut self, offset: usize, message: impl Into<String>) {
        let line = self.lines.line(offset);
        self.err_line(line, message);
    }

    fn err_line(&mut self, line: usize, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            line,
            message: message.into(),
        });
    }

    fn unknown_key(&mut self, raw: &RawProfile, path: &[String]) {
        let Some((key, parent)) = path.split_last() else {
            return;
        };
        let idx = |i: usize| parent.get(i).and_then(|s| s.parse::<usize>().ok());
        let section = |name: &str| -> Option<Range<usize>> {
            match name {
                "points" => raw.points.as_ref().map(|s| s.span()),
                "ranking" => raw.ranking.as_ref().map(|s| s.span()),
                "bands" => raw.bands.as_ref().map(|s| s.span()),
                "survey" => raw.survey.as_ref().map(|s| s.span()),
                "appraisal" => raw.appraisal.as_ref().map(|s| s.span()),
                "calendar" => raw.calendar.as_ref().map(|s| s.span()),
                "head_rating" => raw.head_rating.as_ref().map(|s| s.span()),
                "explain" => raw.explain.as_ref().map(|s| s.span()),
                "sampling" => raw.sampling.values().next().map(|s| s.span()),
                _ => None,
            }
        };
        let span = match (
            parent.first().map(String::as_str),
            parent.get(2).map(String::as_str),
        ) {
            (None, _) => top_span(self.source),
            (Some("criteria_sets"), sub) => {
                let set = idx(1).and_then(|i| raw.criteria_sets.get(i));
                match (set, sub) {
                    (Some(s), Some("criteria")) => idx(3)
                        .and_then(|j| s.get_ref().criteria.get(j))
                        .map(|c| c.span())
                        .unwrap_or(s.span()),
                    (Some(s), _) => s.span(),
                    _ => 0..0,
                }
            }
            (Some("deadlines"), _) => idx(1)
                .and_then(|i| raw.deadlines.get(i))
                .map(|d| d.span())
                .unwrap_or(0..0),
            (Some("ranking"), _) if parent.get(1).map(String::as_str) == Some("blocks") => raw
                .ranking
                .as_ref()
                .and_then(|r| idx(2).and_then(|i| r.get_ref().blocks.get(i)))
                .map(|b| b.span())
                .unwrap_or(0..0),
            (Some("bands"), _) if parent.get(1).map(String::as_str) == Some("levels") => raw
                .bands
                .as_ref()
                .and_then(|r| idx(2).and_then(|i| r.get_ref().levels.get(i)))
                .map(|b| b.span())
                .unwrap_or(0..0),
            (Some("calendar"), _) if parent.get(1).map(String::as_str) == Some("holidays") => raw
                .calendar
                .as_ref()
                .and_then(|r| idx(2).and_then(|i| r.get_ref().holidays.get(i)))
                .map(|b| b.span())
                .unwrap_or(0..0),
            (Some("explain"), _) if parent.get(1).map(String::as_str) == Some("sanctions") => raw
                .explain
                .as_ref()
                .and_then(|r| idx(2).and_then(|i| r.get_ref().sanctions.get(i)))
                .map(|b| b.span())
                .unwrap_or(0..0),
            (Some("appraisal"), _) if parent.get(1).map(String::as_str) == Some("late") => raw
                .appraisal
                .as_ref()
                .and_then(|a| a.get_ref().late.as_ref())
                .map(|l| l.span())
                .unwrap_or(0..0),
            (Some(name), _) => section(name).unwrap_or(0..0),
        };
        let line = self.lines.key_line(span, key);
        let place = if parent.is_empty() {
            String::new()
        } else {
            format!(" (trong {})", parent.join("."))
        };
        self.err_line(line, format!("khóa không được hỗ trợ \"{key}\"{place}"));
    }

    fn text(&mut self, v: Option<S<String>>, at: usize, what: &str) -> Option<S<String>> {
        match v {
            Some(s) if !s.get_ref().trim().is_empty() => Some(s),
            Some(s) => {
                self.err_at(s.span().start, format!("{what} trống"));
                None
            }
            None => {
                self.err_at(at, format!("thiếu {what}"));
                None
            }
        }
    }

    fn slug(&mut self, v: Option<S<String>>, at: usize, what: &str) -> Option<S<String>> {
        let v = self.text(v, at, what)?;
        match Slug::parse(v.get_ref()) {
            Ok(_) => Some(v),
            Err(e) => {
                self.err_at(
                    v.span().start,
                    format!("{what}: {e} (chữ thường không dấu, số, '_')"),
                );
                None
            }
        }
    }

    /// A number of points: finite, at most 6 decimals, within [lo, hi].
    fn points(&mut self, v: &S<f64>, what: &str, lo: f64, hi: Option<f64>) -> Option<Points> {
        let x = *v.get_ref();
        let at = v.span().start;
        let Some(p) = Points::from_f64(x) else {
            self.err_at(at, format!("{what} không hợp lệ"));
            return None;
        };
        if (p.to_f64() - x).abs() > 1e-9 * x.abs().max(1.0) {
            self.err_at(at, format!("{what} có quá {MAX_DECIMALS} chữ số thập phân"));
            return None;
        }
        if x < lo || hi.is_some_and(|h| x > h) {
            let range = match hi {
                Some(h) => format!("từ {lo} đến {h}"),
                None => format!("từ {lo} trở lên"),
            };
            self.err_at(at, format!("{what} = {x} phải {range}"));
            return None;
        }
        Some(p)
    }

    fn positive_points(&mut self, v: &S<f64>, what: &str) -> Option<Points> {
        let p = self.points(v, what, 0.0, None)?;
        if p == Points::ZERO {
            self.err_at(v.span().start, format!("{what} phải lớn hơn 0"));
            return None;
        }
        Some(p)
    }

    fn count(&mut self, v: &S<i64>, what: &str, lo: i64, hi: i64) -> Option<u32> {
        let n = *v.get_ref();
        if n < lo || n > hi {
            self.err_at(
                v.span().start,
                format!("{what} = {n} phải từ {lo} đến {hi}"),
            );
            None
        } else {
            Some(n as u32)
        }
    }

    fn date(&mut self, v: &S<Datetime>, what: &str) -> Option<NaiveDate> {
        let dt = v.get_ref();
        let date = match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => {
                NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32)
            }
            _ => None,
        };
        if date.is_none() {
            self.err_at(
                v.span().start,
                format!("{what} phải là một ngày, ví dụ 2021-12-08 (không có giờ)"),
            );
        }
        date
    }

    fn choice<T: Copy>(
        &mut self,
        v: Option<S<String>>,
        at: usize,
        what: &str,
        options: &[(&str, T)],
        default: Option<T>,
    ) -> Option<T> {
        let Some(v) = v else {
            if default.is_none() {
                self.err_at(at, format!("thiếu {what}"));
            }
            return default;
        };
        match options.iter().find(|(n, _)| *n == v.get_ref().as_str()) {
            Some((_, t)) => Some(*t),
            None => {
                let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                self.err_at(
                    v.span().start,
                    format!(
                        "{what} \"{}\" không hợp lệ; dùng một trong: {}",
                        v.get_ref(),
                        names.join(", ")
                    ),
                );
                None
            }
        }
    }

    fn profile(&mut self, raw: RawProfile) -> Option<Profile> {
        let code = self.text(raw.code, 0, "khóa code (mã hồ sơ)");
        if let Some(c) = &code {
            if !is_profile_code(c.get_ref()) {
                self.err_at(
                    c.span().start,
                    format!(
                        "code \"{}\" chỉ được dùng chữ thường không dấu, số, '-' hoặc '_' (ví dụ: son-la-2021)",
                        c.get_ref()
                    ),
                );
            }
        }
        let name = self.text(raw.name, 0, "khóa name (tên hồ sơ)");
        let year = match raw.year {
            Some(y) => self.count(&y, "year", 2000, 2100).map(|y| y as i32),
            None => {
                self.err_at(0, "thiếu khóa year (năm đánh giá)");
                None
            }
        };
        let regulation = self.text(raw.regulation, 0, "khóa regulation (văn bản quy định)");

        let mut example_parts = Vec::new();
        for p in &raw.example_parts {
            match Part::ALL.iter().find(|(n, _)| *n == p.get_ref().as_str()) {
                Some((_, part)) if example_parts.contains(part) => self.err_at(
                    p.span().start,
                    format!("example_parts lặp lại \"{}\"", p.get_ref()),
                ),
                Some((_, part)) => example_parts.push(*part),
                None => {
                    let names: Vec<&str> = Part::ALL.iter().map(|(n, _)| *n).collect();
                    self.err_at(
                        p.span().start,
                        format!(
                            "example_parts: \"{}\" không phải phần nào của hồ sơ; dùng: {}",
                            p.get_ref(),
                            names.join(", ")
                        ),
                    );
                }
            }
        }

        let departments = self.departments(&raw.departments);
        let deadlines = self.deadlines(raw.deadlines);
        let appraisal = self.appraisal(raw.appraisal, &deadlines);
        let points = self.points_rules(raw.points);
        let survey = raw.survey.and_then(|s| self.survey(s));
        let ranking = self.ranking(raw.ranking);
        let bands = self.bands(raw.bands, points.as_ref());
        let calendar = self.calendar(raw.calendar);
        let items_set_at = raw
            .head_rating
            .as_ref()
            .and_then(|h| h.get_ref().items_set.as_ref())
            .map(|s| s.span().start);
        let head_rating = self.head_rating(raw.head_rating, ranking.as_ref(), points.as_ref());
        let explain = raw.explain.map(|e| self.explain(e)).unwrap_or_default();
        let sampling_at: BTreeMap<String, usize> = raw
            .sampling
            .iter()
            .map(|(k, v)| (k.clone(), v.span().start))
            .collect();
        let sampling = self.sampling(raw.sampling);
        let council = match raw.council {
            Some(c) => {
                let at = c.span().start;
                let c = c.into_inner();
                CouncilRules {
                    no_dossier: self
                        .choice(
                            c.no_dossier,
                            at,
                            "council.no_dossier",
                            &NoDossier::ALL,
                            Some(NoDossier::Council),
                        )
                        .unwrap_or_default(),
                }
            }
            None => CouncilRules::default(),
        };

        let mut criteria_sets = Vec::new();
        if raw.criteria_sets.is_empty() {
            self.err_at(0, "thiếu [[criteria_sets]] (bộ tiêu chí)");
        }
        let needs_dossier = appraisal.as_ref().is_some_and(|a| a.late.is_some());
        let mut set_codes: HashSet<String> = HashSet::new();
        let mut unit_types: HashSet<String> = HashSet::new();
        let mut any_survey_line = None;
        for s in raw.criteria_sets {
            let set = self.criteria_set(s, points.as_ref(), &departments, needs_dossier);
            if let Some(set) = set {
                if !set_codes.insert(set.code.clone()) {
                    self.err_line(set.line, format!("trùng mã bộ tiêu chí \"{}\"", set.code));
                }
                for t in &set.unit_types {
                    if !unit_types.insert(t.clone()) {
                        self.err_line(
                            set.line,
                            format!("loại đơn vị \"{t}\" đã thuộc một bộ tiêu chí khác"),
                        );
                    }
                }
                if any_survey_line.is_none() {
                    any_survey_line = set.leaves().find(|c| c.is_survey()).map(|c| c.line);
                }
                criteria_sets.push(set);
            }
        }
        // A quota for every unit type whose survey criteria ask the group,
        // or a draw that includes such a unit fails (Thái Bình's huyện block).
        for (group, rule) in &sampling {
            let crate::sampling::SizeRule::Quota(quota) = &rule.size else {
                continue;
            };
            for set in criteria_sets.iter().filter(|s| s.asks(*group)) {
                for t in set.unit_types.iter().filter(|t| !quota.contains_key(*t)) {
                    self.err_at(
                        sampling_at.get(group.code()).copied().unwrap_or(0),
                        format!(
                            "sampling.{}: quota thiếu loại đơn vị \"{t}\" (bộ tiêu chí \"{}\" hỏi nhóm này)",
                            group.code(),
                            set.code
                        ),
                    );
                }
            }
        }
        if let (Some(HeadRatingScheme::ThaiBinh2021(r)), Some(at)) = (&head_rating, items_set_at) {
            if !set_codes.contains(&r.items_set) {
                self.err_at(
                    at,
                    format!(
                        "head_rating.items_set: không có bộ tiêu chí \"{}\"",
                        r.items_set
                    ),
                );
            }
        }
        let unit_type_names = self.unit_type_names(raw.unit_types, &unit_types);
        if let (Some(line), None) = (any_survey_line, &survey) {
            self.err_line(
                line,
                "có tiêu chí lấy điểm từ điều tra xã hội học nhưng thiếu mục [survey]",
            );
        }

        Some(Profile {
            code: code?.into_inner(),
            name: name?.into_inner(),
            year: year?,
            regulation: regulation?.into_inner(),
            seed: raw.seed,
            example_parts,
            points: points?,
            departments: departments?,
            unit_type_names,
            criteria_sets,
            ranking: ranking?,
            bands: bands?,
            survey,
            appraisal: appraisal?,
            deadlines: deadlines?,
            calendar: calendar?,
            head_rating: head_rating?,
            explain,
            council,
            sampling,
        })
    }

    fn sampling(&mut self, raw: BTreeMap<String, S<toml::Value>>) -> SamplingRules {
        let mut rules = SamplingRules::new();
        for (name, value) in raw {
            let at = value.span().start;
            let Some(group) = group_by_name(&name) else {
                self.err_at(
                    at,
                    format!(
                        "sampling.{name}: không có nhóm đối tượng này; dùng một trong: {}",
                        group_names()
                    ),
                );
                continue;
            };
            match GroupRule::deserialize(value.into_inner()) {
                Ok(rule) => {
                    rules.insert(group, rule);
                }
                Err(e) => self.err_at(at, format!("sampling.{name}: {}", e.message())),
            }
        }
        rules
    }

    /// `[unit_types]`: a name for unit types the criteria sets use; a code
    /// no set uses is a typo, reported with its line.
    fn unit_type_names(
        &mut self,
        raw: BTreeMap<String, S<String>>,
        used: &HashSet<String>,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (code, name) in raw {
            let at = name.span().start;
            if !used.contains(&code) {
                let mut known: Vec<&str> = used.iter().map(String::as_str).collect();
                known.sort_unstable();
                self.err_at(
                    at,
                    format!(
                        "unit_types: loại đơn vị \"{code}\" không thuộc bộ tiêu chí nào (các loại: {})",
                        known.join(", ")
                    ),
                );
            } else if name.get_ref().trim().is_empty() {
                self.err_at(at, format!("unit_types: tên của \"{code}\" trống"));
            } else {
                out.insert(code, name.into_inner().trim().to_string());
            }
        }
        out
    }

    fn departments(&mut self, raw: &BTreeMap<String, S<String>>) -> Option<Vec<Department>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (code, name) in raw {
            let at = name.span().start;
            if let Err(e) = Slug::parse(code) {
                self.err_at(at, format!("mã phòng, sở \"{code}\": {e}"));
                ok = false;
            }
            if name.get_ref().trim().is_empty() {
                self.err_at(at, format!("tên của \"{code}\" trống"));
                ok = false;
            }
            out.push(Department {
                code: code.clone(),
                name: name.get_ref().clone(),
            });
        }
        ok.then_some(out)
    }

    fn points_rules(&mut self, raw: Option<S<RawPoints>>) -> Option<PointsRules> {
        let Some(raw) = raw else {
            self.err_at(0, "thiếu mục [points] (thang điểm)");
            return None;
        };
        let at = raw.span().start;
        let r = raw.into_inner();
        let total = match &r.total {
            Some(t) => self.positive_points(t, "points.total"),
            None => {
                self.err_at(at, "thiếu points.total (tổng điểm tối đa)");
                None
            }
        };
        let appraised = r
            .appraised
            .as_ref()
            .map(|v| self.points(v, "points.appraised", 0.0, None));
        let survey = r
            .survey
            .as_ref()
            .map(|v| self.points(v, "points.survey", 0.0, None));
        let bonus_cap = r
            .bonus_cap
            .as_ref()
            .map(|v| self.points(v, "points.bonus_cap", 0.0, None))
            .unwrap_or(Some(Points::ZERO));
        let decimals = match &r.decimals {
            Some(d) => self.count(d, "points.decimals", 0, 4),
            None => Some(2),
        };
        if let (Some(t), Some(Some(a)), Some(Some(s)), Some(b)) =
            (total, appraised, survey, bonus_cap)
        {
            if a + s + b != t {
                self.err_at(
                    at,
                    format!("points: appraised ({a}) + survey ({s}) + bonus_cap ({b}) phải bằng total ({t})"),
                );
            }
        }
        let (Some(total), Some(bonus_cap), Some(decimals)) = (total, bonus_cap, decimals) else {
            return None;
        };
        if matches!(appraised, Some(None)) || matches!(survey, Some(None)) {
            return None;
        }
        Some(PointsRules {
            total,
            appraised: appraised.flatten(),
            survey: survey.flatten(),
            bonus_cap,
            decimals,
        })
    }

    fn criteria_set(
        &mut self,
        raw: S<RawSet>,
        points: Option<&PointsRules>,
        departments: &Option<Vec<Department>>,
        needs_dossier: bool,
    ) -> Option<CriteriaSet> {
        let span = raw.span();
        let at = span.start;
        let set_line = self.lines.line(at);
        let r = raw.into_inner();
        let code = self.slug(r.code, at, "mã bộ tiêu chí (code)");
        let name = self.text(r.name, at, "tên bộ tiêu chí (name)");
        let mut unit_types = Vec::new();
        match r.unit_types {
            Some(list) if !list.get_ref().is_empty() => {
                for t in list.get_ref() {
                    match Slug::parse(t) {
                        Ok(_) if unit_types.contains(t) => {
                            self.err_at(list.span().start, format!("unit_types lặp lại \"{t}\""))
                        }
                        Ok(_) => unit_types.push(t.clone()),
                        Err(e) => self.err_at(list.span().start, format!("unit_types: {e}")),
                    }
                }
            }
            Some(list) => self.err_at(list.span().start, "unit_types trống"),
            None => self.err_at(
                at,
                "thiếu unit_types (các loại đơn vị dùng bộ tiêu chí này)",
            ),
        }
        if r.criteria.is_empty() {
            self.err_at(at, "bộ tiêu chí không có tiêu chí nào (criteria)");
        }
        let known_departments: Vec<&str> = departments
            .iter()
            .flatten()
            .map(|d| d.code.as_str())
            .collect();
        let mut drafts = Vec::new();
        let mut ok = true;
        for c in r.criteria {
            let before = self.diags.len();
            if let Some(d) = self.draft(c, &known_departments) {
                drafts.push(d);
            }
            ok &= self.diags.len() == before;
        }
        // Fields of the regular kind answer to someone (Thái Bình art. 15,
        // Ninh Hòa art. 5); bonus and deduction items are appraised jointly.
        for d in &drafts {
            if !d.code.contains('.') && d.kind.is_none() && d.department.is_none() {
                self.err_line(
                    d.line,
                    format!(
                        "lĩnh vực \"{}\" thiếu department (cơ quan chịu trách nhiệm)",
                        d.code
                    ),
                );
            }
        }
        let points = points?;
        let totals = Totals {
            total: points.total,
            appraised: points.appraised,
            survey: points.survey,
            bonus_cap: points.bonus_cap,
            needs_dossier,
        };
        let (nodes, errs) = tree::build(drafts, &totals, set_line);
        let tree_ok = errs.is_empty();
        for (line, msg) in errs {
            self.err_line(line, msg);
        }
        if !ok || !tree_ok {
            return None;
        }
        Some(CriteriaSet {
            code: code?.into_inner(),
            name: name?.into_inner(),
            unit_types,
            appendix: r.appendix,
            nodes,
            line: set_line,
        })
    }

    fn draft(&mut self, raw: S<RawCriterion>, departments: &[&str]) -> Option<Draft> {
        let at = raw.span().start;
        let line = self.lines.line(at);
        let r = raw.into_inner();
        let code = self.text(r.code, at, "mã tiêu chí (code)");
        let code = code.and_then(|c| {
            if is_criterion_code(c.get_ref()) {
                Some(c.into_inner())
            } else {
                self.err_at(
                    c.span().start,
                    format!(
                        "mã tiêu chí \"{}\" không hợp lệ (ví dụ đúng: 1, 1.2, 8.2.3)",
                        c.get_ref()
                    ),
                );
                None
            }
        });
        let name = self.text(r.name, at, "tên tiêu chí (name)");
        let max = match &r.max {
            Some(m) => self.positive_points(m, "max (điểm tối đa)"),
            None => {
                self.err_at(at, "thiếu max (điểm tối đa)");
                None
            }
        };
        let kind = r.kind.and_then(|k| {
            let kl = self.lines.line(k.span().start);
            match k.get_ref().as_str() {
                "bonus" => Some((Kind::Bonus, kl)),
                "deduction" => Some((Kind::Deduction, kl)),
                "regular" => Some((Kind::Regular, kl)),
                other => {
                    self.err_line(
                        kl,
                        format!(
                            "kind \"{other}\" không hợp lệ; dùng regular, bonus hoặc deduction"
                        ),
                    );
                    None
                }
            }
        });
        // Kept even when unknown (the error is recorded): the field does not
        // then also read as having no department.
        let department = r.department.map(|d| {
            if !departments.contains(&d.get_ref().as_str()) {
                self.err_at(
                    d.span().start,
                    format!(
                        "department \"{}\" chưa khai báo trong [departments]",
                        d.get_ref()
                    ),
                );
            }
            d.into_inner()
        });
        let source = r.survey.and_then(|s| {
            let sl = self.lines.line(s.span().start);
            let mut weights = Vec::new();
            let mut ok = true;
            if s.get_ref().is_empty() {
                self.err_line(
                    sl,
                    "survey trống: cần trọng số theo nhóm, ví dụ { citizen = 1 }",
                );
                return None;
            }
            for (g, w) in s.get_ref() {
                match group_by_name(g) {
                    None => {
                        self.err_line(
                            sl,
                            format!(
                                "nhóm đối tượng \"{g}\" không hợp lệ; dùng: {}",
                                group_names()
                            ),
                        );
                        ok = false;
                    }
                    Some(_) if !(w.is_finite() && *w > 0.0 && *w <= 1.0) => {
                        self.err_line(
                            sl,
                            format!("trọng số của nhóm {g} phải lớn hơn 0 và không quá 1"),
                        );
                        ok = false;
                    }
                    Some(group) => weights.push((group, *w)),
                }
            }
            let sum: f64 = weights.iter().map(|(_, w)| w).sum();
            if ok && (sum - 1.0).abs() > 1e-9 {
                self.err_line(
                    sl,
                    format!("trọng số các nhóm phải cộng lại bằng 1 (đang là {sum})"),
                );
                ok = false;
            }
            ok.then_some((Source::Survey { weights }, sl))
        });
        let flag = |v: Option<S<bool>>, lines: &LineIndex| {
            v.filter(|b| *b.get_ref())
                .map(|b| lines.line(b.span().start))
        };
        let evidence = flag(r.evidence, self.lines);
        let dossier = flag(r.dossier, self.lines);
        // A criterion with a code and a maximum still takes part in the sums,
        // so one missing name does not make its parent look short.
        Some(Draft {
            code: code?,
            name: name.map(|n| n.into_inner()).unwrap_or_default(),
            label: r.label,
            max: max?,
            kind,
            department,
            source,
            evidence,
            dossier,
            encouragement: r.encouragement.unwrap_or(false),
            line,
        })
    }

    fn ranking(&mut self, raw: Option<S<RawRanking>>) -> Option<Ranking> {
        let Some(raw) = raw else {
            self.err_at(0, "thiếu mục [ranking] (khối xếp hạng)");
            return None;
        };
        let at = raw.span().start;
        let r = raw.into_inner();
        let tie_break = self.choice(
            r.tie_break,
            at,
            "ranking.tie_break",
            &[
                ("shared", TieBreak::Shared),
                ("survey", TieBreak::Survey),
                ("appraised", TieBreak::Appraised),
            ],
            Some(TieBreak::Shared),
        );
        if r.blocks.is_empty() {
            self.err_at(at, "ranking.blocks trống: cần ít nhất một khối xếp hạng");
        }
        let mut blocks: Vec<Block> = Vec::new();
        let mut ok = true;
        for b in r.blocks {
            let bat = b.span().start;
            let b = b.into_inner();
            let code = self.slug(b.code, bat, "mã khối (code)");
            let name = b.name.filter(|n| !n.trim().is_empty());
            if name.is_none() {
                self.err_at(bat, "khối thiếu tên (name)");
            }
            match (code, name) {
                (Some(c), Some(n)) => {
                    if blocks.iter().any(|x| x.code == *c.get_ref()) {
                        self.err_at(c.span().start, format!("trùng mã khối \"{}\"", c.get_ref()));
                        ok = false;
                    }
                    blocks.push(Block {
                        code: c.into_inner(),
                        name: n,
                    });
                }
                _ => ok = false,
            }
        }
        (ok && !blocks.is_empty()).then_some(())?;
        Some(Ranking {
            blocks,
            tie_break: tie_break?,
        })
    }

    fn bands(&mut self, raw: Option<S<RawBands>>, points: Option<&PointsRules>) -> Option<Bands> {
        let Some(raw) = raw else {
            self.err_at(0, "thiếu mục [bands] (xếp loại)");
            return None;
        };
        let at = raw.span().start;
        let r = raw.into_inner();
        let on = self.choice(
            r.on,
            at,
            "bands.on",
            &[("index", BandBasis::Index), ("pari", BandBasis::Pari)],
            None,
        );
        let top = match on {
            Some(BandBasis::Pari) => Some(100.0),
            _ => points.map(|p| p.total.to_f64()),
        };
        if r.levels.is_empty() {
            self.err_at(at, "bands.levels trống");
            return None;
        }
        let mut levels: Vec<Band> = Vec::new();
        let mut ok = true;
        let mut last_at = at;
        for l in r.levels {
            let lat = l.span().start;
            last_at = lat;
            let l = l.into_inner();
            let label = self.text(l.label, lat, "nhãn xếp loại (label)");
            let name = l.name.filter(|n| !n.trim().is_empty());
            if name.is_none() {
                self.err_at(lat, "xếp loại thiếu tên (name)");
            }
            let min = match &l.min {
                Some(m) => self.points(m, "min (ngưỡng dưới)", 0.0, top),
                None => {
                    self.err_at(lat, "xếp loại thiếu min (ngưỡng dưới, tính cả ngưỡng)");
                    None
                }
            };
            if let (Some(prev), Some(m)) = (levels.last(), min) {
                if m >= prev.min {
                    self.err_at(
                        lat,
                        format!(
                            "ngưỡng xếp loại phải giảm dần: {m} không nhỏ hơn {} của \"{}\"",
                            prev.min, prev.label
                        ),
                    );
                    ok = false;
                }
            }
            if let Some(lb) = &label {
                if levels.iter().any(|b| b.label == *lb.get_ref()) {
                    self.err_at(
                        lb.span().start,
                        format!("trùng nhãn xếp loại \"{}\"", lb.get_ref()),
                    );
                    ok = false;
                }
            }
            match (label, name, min) {
                (Some(label), Some(name), Some(min)) => levels.push(Band {
                    label: label.into_inner(),
                    name,
                    min,
                }),
                _ => ok = false,
            }
        }
        if let Some(last) = levels.last() {
            if last.min != Points::ZERO {
                self.err_at(
                    last_at,
                    format!(
                        "xếp loại thấp nhất \"{}\" phải có min = 0 để mọi điểm đều có loại",
                        last.label
                    ),
                );
                ok = false;
            }
        }
        (ok && !levels.is_empty()).then_some(())?;
        Some(Bands { on: on?, levels })
    }

    fn survey(&mut self, raw: S<RawSurvey>) -> Option<SurveyRules> {
        let at = raw.span().start;
        let r = raw.into_inner();
        let open_links = self.choice(
            r.open_links,
            at,
            "survey.open_links",
            &[
                ("include", OpenLinks::Include),
                ("exclude", OpenLinks::Exclude),
            ],
            None,
        );
        let below_minimum = self.choice(
            r.below_minimum,
            at,
            "survey.below_minimum",
            &[
                ("withhold", BelowMinimum::Withhold),
                ("flag", BelowMinimum::Flag),
            ],
            None,
        );
        let mut min_valid = Vec::new();
        let mut ok = true;
        for (g, n) in &r.min_valid {
            match group_by_name(g) {
                Some(group) => match self.count(n, &format!("survey.min_valid.{g}"), 1, 100_000) {
                    Some(n) => min_valid.push((group, n)),
                    None => ok = false,
                },
                None => {
                    self.err_at(
                        n.span().start,
                        format!(
                            "nhóm đối tượng \"{g}\" không hợp lệ; dùng: {}",
                            group_names()
                        ),
                    );
                    ok = false;
                }
            }
        }
        let mut scales = BTreeMap::new();
        for (name, scores) in r.scales {
            let at = scores.span().start;
            let scores = scores.into_inner();
            if scores.is_empty() || scores.iter().any(|x| !(0.0..=1.0).contains(x)) {
                self.err_at(
                    at,
                    format!(
                        "survey.scales.{name}: cần điểm của từng mức trả lời, mỗi điểm từ 0 đến 1"
                    ),
                );
                ok = false;
                continue;
            }
            scales.insert(name, scores);
        }
        let anonymity_k = match &r.anonymity_k {
            Some(k) => self.count(k, "survey.anonymity_k", 5, 10_000),
            None => Some(crate::survey::anonymity::MIN_K),
        };
        ok.then_some(())?;
        Some(SurveyRules {
            open_links: open_links?,
            below_minimum: below_minimum?,
            min_valid,
            scales,
            anonymity_k: anonymity_k?,
        })
    }

    fn appraisal(
        &mut self,
        raw: Option<S<RawAppraisal>>,
        deadlines: &Option<Vec<Deadline>>,
    ) -> Option<AppraisalRules> {
        let Some(raw) = raw else {
            self.err_at(0, "thiếu mục [appraisal] (quy tắc thẩm định)");
            return None;
        };
        let at = raw.span().start;
        let r = raw.into_inner();
        let supplement_factor = match &r.supplement_factor {
            Some(f) => {
                let x = *f.get_ref();
                if !(x > 0.0 && x <= 1.0) {
                    self.err_at(
                        f.span().start,
                        format!("appraisal.supplement_factor = {x} phải lớn hơn 0 và không quá 1"),
                    );
                    None
                } else {
                    Factor::from_f64(x)
                }
            }
            None => {
                self.err_at(
                    at,
                    "thiếu appraisal.supplement_factor (tỷ lệ điểm khi bổ sung tài liệu kiểm chứng lúc giải trình; 1 nếu không giảm)",
                );
                None
            }
        };
        let late = match r.late {
            None => Some(None),
            Some(l) => self.late(l, deadlines).map(Some),
        };
        Some(AppraisalRules {
            supplement_factor: supplement_factor?,
            late: late?,
        })
    }

    fn late(&mut self, raw: S<RawLate>, deadlines: &Option<Vec<Deadline>>) -> Option<LateRule> {
        let at = raw.span().start;
        let r = raw.into_inner();
        let points_per_day = match &r.points_per_day {
            Some(p) => self.positive_points(p, "appraisal.late.points_per_day"),
            None => {
                self.err_at(
                    at,
                    "thiếu appraisal.late.points_per_day (điểm trừ mỗi ngày nộp muộn)",
                );
                None
            }
        };
        let grace_days = match &r.grace_days {
            Some(g) => self.count(g, "appraisal.late.grace_days", 0, 60),
            None => {
                self.err_at(
                    at,
                    "thiếu appraisal.late.grace_days (số ngày được nộp muộn)",
                );
                None
            }
        };
        let count = self.choice(
            r.count,
            at,
            "appraisal.late.count",
            &[
                ("calendar", DayCount::Calendar),
                ("working", DayCount::Working),
            ],
            Some(DayCount::Calendar),
        );
        let deadline = match r.deadline {
            Some(d) => {
                let known = deadlines
                    .as_ref()
                    .is_none_or(|ds| ds.iter().any(|x| x.code == *d.get_ref()));
                if known {
                    Some(d.into_inner())
                } else {
                    self.err_at(
                        d.span().start,
                        format!(
                            "appraisal.late.deadline \"{}\" không có trong deadlines",
                            d.get_ref()
                        ),
                    );
                    None
                }
            }
            None => {
                self.err_at(
                    at,
                    "thiếu appraisal.late.deadline (mã hạn nộp hồ sơ trong deadlines)",
                );
                None
            }
        };
        let too_late = self.choice(
            r.too_late,
            at,
            "appraisal.late.too_late",
            &[
                ("whole_dossier", TooLateScores::WholeDossier),
                ("dossier_criterion", TooLateScores::DossierCriterion),
            ],
            Some(TooLateScores::WholeDossier),
        );
        Some(LateRule {
            points_per_day: points_per_day?,
            grace_days: grace_days?,
            count: count?,
            deadline: deadline?,
            too_late: too_late?,
            grace_end_moves: r.grace_end_moves.unwrap_or(false),
        })
    }

    fn deadlines(&mut self, raw: Vec<S<RawDeadline>>) -> Option<Vec<Deadline>> {
        let mut out: Vec<Deadline> = Vec::new();
        let mut ok = true;
        for d in raw {
            let at = d.span().start;
            let d = d.into_inner();
            let code = self.slug(d.code, at, "mã hạn (code)");
            let name = d.name.filter(|n| !n.trim().is_empty());
            if name.is_none() {
                self.err_at(at, "hạn thiếu tên (name)");
            }
            let next_year = match &d.in_year {
                None => Some(false),
                Some(v) => match v.get_ref().as_str() {
                    "same" => Some(false),
                    "next" => Some(true),
                    other => {
                        self.err_at(
                            v.span().start,
                            format!("in_year \"{other}\" không hợp lệ: \"same\" (cùng năm đánh giá) hoặc \"next\" (năm sau)"),
                        );
                        None
                    }
                },
            };
            if let (Some(a), true) = (&d.after, d.yearly.is_some() || d.date.is_some()) {
                self.err_at(
                    a.span().start,
                    "hạn ghi after cùng yearly hoặc date: chọn một cách ghi ngày",
                );
            }
            if let (Some(n), None) = (&d.days, &d.after) {
                self.err_at(
                    n.span().start,
                    "days chỉ dùng với after (số ngày sau một hạn khác)",
                );
            }
            let date = match (&d.yearly, &d.date) {
                (None, None) if d.after.is_some() => {
                    let after = d.after.as_ref().expect("checked");
                    if let Some(n) = &d.in_year {
                        self.err_at(n.span().start, "in_year chỉ dùng với yearly");
                    }
                    let base = out.iter().position(|x| x.code == *after.get_ref());
                    if base.is_none() {
                        self.err_at(
                            after.span().start,
                            format!(
                                "after = \"{}\": không có hạn mã này ở trước trong hồ sơ (hạn được tính từ một hạn ghi phía trên)",
                                after.get_ref()
                            ),
                        );
                    }
                    let days = match &d.days {
                        Some(n) => match i32::try_from(*n.get_ref()) {
                            Ok(v) if (-366..=366).contains(&v) => Some(v),
                            _ => {
                                self.err_at(n.span().start, "days phải trong khoảng -366 đến 366");
                                None
                            }
                        },
                        None => {
                            self.err_at(at, "hạn ghi after cần days (số ngày sau hạn đó)");
                            None
                        }
                    };
                    base.zip(days)
                        .map(|(base, days)| DateRule::After { base, days })
                }
                (Some(y), None) => {
                    let rule = next_year.and_then(|n| DateRule::yearly(y.get_ref(), n));
                    if rule.is_none() && next_year.is_some() {
                        self.err_at(
                            y.span().start,
                            format!(
                                "yearly \"{}\" không phải một ngày trong năm dạng dd/mm, ví dụ \"20/12\" (29/02 không có mọi năm)",
                                y.get_ref()
                            ),
                        );
                    }
                    rule
                }
                (None, Some(v)) => {
                    if let Some(n) = &d.in_year {
                        self.err_at(n.span().start, "in_year chỉ dùng với yearly");
                    }
                    self.date(v, "date").map(DateRule::Fixed)
                }
                (Some(y), Some(_)) => {
                    self.err_at(
                        y.span().start,
                        "hạn ghi cả yearly và date: chọn một (yearly = \"dd/mm\" cho hạn hằng năm)",
                    );
                    None
                }
                (None, None) => {
                    self.err_at(
                        at,
                        "hạn thiếu ngày: yearly = \"dd/mm\" (hằng năm), hoặc after = \"mã hạn\" với days = số ngày",
                    );
                    None
                }
            };
            match (code, name, date) {
                (Some(c), Some(name), Some(date)) => {
                    if out.iter().any(|x| x.code == *c.get_ref()) {
                        self.err_at(c.span().start, format!("trùng mã hạn \"{}\"", c.get_ref()));
                        ok = false;
                    }
                    out.push(Deadline {
                        code: c.into_inner(),
                        name,
                        rule: date,
                    });
                }
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn calendar(&mut self, raw: Option<S<RawCalendar>>) -> Option<Calendar> {
        let Some(raw) = raw else {
            self.err_at(0, "thiếu mục [calendar] (ngày nghỉ lễ, tết)");
            return None;
        };
        let r = raw.into_inner();
        let mut ok = true;
        let mut cal = Calendar::default();
        if let Some(w) = r.weekend {
            let mut days = Vec::new();
            for name in w.get_ref() {
                match weekday(name) {
                    Some(d) if !days.contains(&d) => days.push(d),
                    Some(_) => {
                        self.err_at(w.span().start, format!("weekend lặp lại \"{name}\""));
                        ok = false;
                    }
                    None => {
                        self.err_at(
                            w.span().start,
                            format!("weekend: \"{name}\" không hợp lệ; dùng mon, tue, wed, thu, fri, sat, sun"),
                        );
                        ok = false;
                    }
                }
            }
            if days.len() >= 7 {
                self.err_at(w.span().start, "weekend không thể gồm cả 7 ngày");
                ok = false;
            }
            cal.weekend = days;
        }
        for h in r.holidays {
            let hat = h.span().start;
            let h = h.into_inner();
            let date = match &h.date {
                Some(d) => self.date(d, "holidays.date"),
                None => {
                    self.err_at(hat, "ngày nghỉ thiếu date");
                    None
                }
            };
            let name = h.name.filter(|n| !n.trim().is_empty());
            if name.is_none() {
                self.err_at(hat, "ngày nghỉ thiếu tên (name)");
            }
            match (date, name) {
                (Some(date), Some(name)) => {
                    if cal.holiday(date).is_some() {
                        self.err_at(hat, format!("ngày nghỉ {date} khai báo hai lần"));
                        ok = false;
                    }
                    cal.holidays.push(Holiday { date, name });
                }
                _ => ok = false,
            }
        }
        for d in &r.extra_working_days {
            match self.date(d, "extra_working_days") {
                Some(date) => {
                    if cal.holiday(date).is_some() {
                        self.err_at(
                            d.span().start,
                            format!("{date} vừa là ngày nghỉ vừa là ngày làm bù"),
                        );
                        ok = false;
                    } else if !cal.weekend.contains(&chrono::Datelike::weekday(&date)) {
                        self.err_at(
                            d.span().start,
                            format!("{date} đã là ngày làm việc; extra_working_days chỉ dành cho ngày cuối tuần đi làm bù"),
                        );
                        ok = false;
                    }
                    cal.extra_working_days.push(date);
                }
                None => ok = false,
            }
        }
        ok.then_some(cal)
    }

    fn thresholds(
        &mut self,
        at: usize,
        r: &RawHead,
        total: Option<Points>,
    ) -> Option<ScoreThresholds> {
        let hi = total.map(|t| t.to_f64());
        let get = |v: &Option<S<f64>>, key: &str, this: &mut Self| match v {
            Some(v) => this.points(v, &format!("head_rating.{key}"), 0.0, hi),
            None => {
                this.err_at(at, format!("thiếu head_rating.{key}"));
                None
            }
        };
        let e = get(&r.excellent_min, "excellent_min", self);
        let g = get(&r.good_min, "good_min", self);
        let c = get(&r.completed_min, "completed_min", self);
        let (e, g, c) = (e?, g?, c?);
        if !(e > g && g > c) {
            self.err_at(
                at,
                format!("ngưỡng điểm phải giảm dần: excellent_min ({e}) > good_min ({g}) > completed_min ({c})"),
            );
            return None;
        }
        Some(ScoreThresholds {
            excellent: e,
            good: g,
            completed: c,
        })
    }

    fn rank_cutoffs(
        &mut self,
        v: Option<S<BTreeMap<String, S<i64>>>>,
        at: usize,
        key: &str,
        blocks: &[String],
        known: &[&str],
    ) -> Option<BTreeMap<String, u32>> {
        let Some(v) = v else {
            self.err_at(
                at,
                format!("thiếu head_rating.{key} (thứ hạng tối đa theo từng khối)"),
            );
            return None;
        };
        let vat = v.span().start;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (block, n) in v.get_ref() {
            if !known.contains(&block.as_str()) {
                self.err_at(
                    n.span().start,
                    format!("head_rating.{key}: khối \"{block}\" không có trong ranking.blocks"),
                );
                ok = false;
                continue;
            }
            match self.count(n, &format!("head_rating.{key}.{block}"), 1, 10_000) {
                Some(n) => {
                    out.insert(block.clone(), n);
                }
                None => ok = false,
            }
        }
        for b in blocks {
            if !out.contains_key(b) && known.contains(&b.as_str()) {
                self.err_at(vat, format!("head_rating.{key} thiếu khối \"{b}\""));
                ok = false;
            }
        }
        ok.then_some(out)
    }

    fn head_rating(
        &mut self,
        raw: Option<S<RawHead>>,
        ranking: Option<&Ranking>,
        points: Option<&PointsRules>,
    ) -> Option<HeadRatingScheme> {
        let Some(raw) = raw else {
            self.err_at(
                0,
                "thiếu mục [head_rating] (scheme = \"none\" nếu không đánh giá người đứng đầu)",
            );
            return None;
        };
        let at = raw.span().start;
        let r = raw.into_inner();
        #[derive(Clone, Copy)]
        enum Scheme {
            None,
            HaiPhong,
            ThaiBinh,
        }
        let scheme = self.choice(
            r.scheme.clone(),
            at,
            "head_rating.scheme",
            &[
                ("none", Scheme::None),
                ("hai_phong_2025", Scheme::HaiPhong),
                ("thai_binh_2021", Scheme::ThaiBinh),
            ],
            None,
        )?;
        let known: Vec<&str> = ranking
            .map(|r| r.blocks.iter().map(|b| b.code.as_str()).collect())
            .unwrap_or_default();
        let misplaced = |present: bool, key: &str, this: &mut Self| {
            if present {
                let line = this.lines.key_line(at..at, key);
                let scheme = r
                    .scheme
                    .as_ref()
                    .map(|s| s.get_ref().as_str())
                    .unwrap_or("");
                this.err_line(
                    line,
                    format!("head_rating.{key} không dùng cho scheme \"{scheme}\""),
                );
            }
        };
        let blocks = |this: &mut Self| -> Option<Vec<String>> {
            let Some(b) = &r.blocks else {
                this.err_at(
                    at,
                    "thiếu head_rating.blocks (các khối có đánh giá người đứng đầu)",
                );
                return None;
            };
            let mut ok = !b.get_ref().is_empty();
            if !ok {
                this.err_at(b.span().start, "head_rating.blocks trống");
            }
            for x in b.get_ref() {
                if ranking.is_some() && !known.contains(&x.as_str()) {
                    this.err_at(
                        b.span().start,
                        format!("head_rating.blocks: khối \"{x}\" không có trong ranking.blocks"),
                    );
                    ok = false;
                }
            }
            ok.then(|| b.get_ref().clone())
        };
        match scheme {
            Scheme::None => {
                for (present, key) in [
                    (r.blocks.is_some(), "blocks"),
                    (r.excellent_min.is_some(), "excellent_min"),
                    (r.good_min.is_some(), "good_min"),
                    (r.completed_min.is_some(), "completed_min"),
                    (r.excellent_rank.is_some(), "excellent_rank"),
                    (r.good_rank.is_some(), "good_rank"),
                    (r.rising_years.is_some(), "rising_years"),
                    (r.falling_years.is_some(), "falling_years"),
                    (
                        r.without_assigned_fields.is_some(),
                        "without_assigned_fields",
                    ),
                    (r.items_set.is_some(), "items_set"),
                ] {
                    misplaced(present, key, self);
                }
                Some(HeadRatingScheme::None)
            }
            Scheme::HaiPhong => {
                for (present, key) in [
                    (r.rising_years.is_some(), "rising_years"),
                    (r.falling_years.is_some(), "falling_years"),
                    (
                        r.without_assigned_fields.is_some(),
                        "without_assigned_fields",
                    ),
                    (r.items_set.is_some(), "items_set"),
                ] {
                    misplaced(present, key, self);
                }
                let blocks = blocks(self);
                let thresholds = self.thresholds(at, &r, points.map(|p| p.total));
                let block_list = blocks.clone().unwrap_or_default();
                let excellent_rank =
                    self.rank_cutoffs(r.excellent_rank, at, "excellent_rank", &block_list, &known);
                let good_rank =
                    self.rank_cutoffs(r.good_rank, at, "good_rank", &block_list, &known);
                if let (Some(e), Some(g)) = (&excellent_rank, &good_rank) {
                    for (b, en) in e {
                        if let Some(gn) = g.get(b) {
                            if gn < en {
                                self.err_at(
                                    at,
                                    format!("khối \"{b}\": good_rank ({gn}) không được nhỏ hơn excellent_rank ({en})"),
                                );
                                return None;
                            }
                        }
                    }
                }
                Some(HeadRatingScheme::HaiPhong2025(HaiPhongRules {
                    blocks: blocks?,
                    thresholds: thresholds?,
                    excellent_rank: excellent_rank?,
                    good_rank: good_rank?,
                }))
            }
            Scheme::ThaiBinh => {
                misplaced(r.excellent_rank.is_some(), "excellent_rank", self);
                misplaced(r.good_rank.is_some(), "good_rank", self);
                let blocks = blocks(self);
                let thresholds = self.thresholds(at, &r, points.map(|p| p.total));
                let years = |v: &Option<S<i64>>, key: &str, this: &mut Self| match v {
                    Some(v) => this.count(v, &format!("head_rating.{key}"), 1, 10),
                    None => {
                        this.err_at(at, format!("thiếu head_rating.{key}"));
                        None
                    }
                };
                let rising = years(&r.rising_years, "rising_years", self);
                let falling = years(&r.falling_years, "falling_years", self);
                let without = self.choice(
                    r.without_assigned_fields.clone(),
                    at,
                    "head_rating.without_assigned_fields",
                    &[
                        ("index_only", WithoutAssigned::IndexOnly),
                        ("undecided", WithoutAssigned::Undecided),
                    ],
                    None,
                );
                // Which criteria set holds the province-level fields the heads
                // answer for (art. 17.1); checked against the sets below.
                let items_set = match &r.items_set {
                    Some(s) => Some(s.get_ref().clone()),
                    None => {
                        self.err_at(
                            at,
                            "thiếu head_rating.items_set (mã bộ tiêu chí của Chỉ số cấp tỉnh có các lĩnh vực, tiêu chí giao cho người đứng đầu)",
                        );
                        None
                    }
                };
                Some(HeadRatingScheme::ThaiBinh2021(ThaiBinhRules {
                    blocks: blocks?,
                    thresholds: thresholds?,
                    rising_years: rising?,
                    falling_years: falling?,
                    without_assigned: without?,
                    items_set: items_set?,
                }))
            }
        }
    }

    fn explain(&mut self, raw: S<RawExplain>) -> ExplainRules {
        let r = raw.into_inner();
        let report_days = r
            .report_days
            .as_ref()
            .and_then(|d| self.count(d, "explain.report_days", 1, 365));
        let mut sanctions = Vec::new();
        for s in r.sanctions {
            let at = s.span().start;
            let s = s.into_inner();
            let years = match &s.after_years {
                Some(y) => self.count(y, "explain.sanctions.after_years", 1, 20),
                None => {
                    self.err_at(
                        at,
                        "hình thức xử lý thiếu after_years (số năm giảm điểm liên tiếp)",
                    );
                    None
                }
            };
            let action = s.action.filter(|a| !a.trim().is_empty());
            if action.is_none() {
                self.err_at(at, "hình thức xử lý thiếu action (nội dung)");
            }
            if let (Some(after_years), Some(action)) = (years, action) {
                sanctions.push(Sanction {
                    after_years,
                    action,
                    article: s.article,
                    subjective_only: s.subjective_only.unwrap_or(true),
                    except_bonus: s.except_bonus.unwrap_or(false),
                });
            }
        }
        sanctions.sort_by_key(|s| s.after_years);
        ExplainRules {
            report_days,
            sanctions,
        }
    }
}
