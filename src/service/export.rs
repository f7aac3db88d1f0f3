//! Anonymised microdata for analysts: one row per response and rated unit,
//! answer codes, stratum and weight, with a codebook. Identities never
//! leave: no name, e-mail, person key, token or respondent id is selected,
//! and free-text answers (where people write names) stay on the staff page.

use crate::domain::ids::CampaignId;
use std::collections::{BTreeMap, HashMap};

use crate::domain::questionnaire::{Question, QuestionKind};
use crate::domain::states::RespondentSource;
use crate::domain::survey::anonymity::{threshold_or_least, MicrodataMask, Placed};
use crate::report::table::{Cell, Column, Header, Row};
use crate::storage::campaigns as store;
use crate::storage::{draws, responses, units};

use super::{App, Result, ServiceError};

/// Responses read per database round trip while streaming.
const PAGE: i64 = 500;

/// What a microdata export of one questionnaire needs before its rows.
pub struct Microdata {
    pub campaign_id: i64,
    pub code: String,
    version_id: i64,
    version: String,
    /// The questions exported, in questionnaire order.
    questions: Vec<Question>,
    units: HashMap<i64, String>,
    /// Non-response adjusted weight per stratum of the sample.
    weights: HashMap<String, f64>,
    pub header: Header,
    /// Anonymous campaigns: every response id exported, in the keyed random
    /// order the rows come in (a row's number is its place here).
    shuffled: Option<Vec<i64>>,
    /// Anonymous campaigns: what is withheld or merged below k.
    mask: Option<Masked>,
}

/// An anonymous campaign's microdata below k: strata merged per unit (with
/// the weight of the merge) and responses withheld.
struct Masked {
    k: u32,
    mask: MicrodataMask,
    /// Unit → the non-response adjusted weight of its merged strata.
    merged_weights: HashMap<Option<i64>, f64>,
    withheld: usize,
}

/// The stratum column of a merged stratum.
const MERGED: &str = "gộp (tầng dưới ngưỡng ẩn danh)";

/// A stratum id's readable form: the stratifying values (or the cluster
/// path of an area design), without unit and group, which have columns.
fn stratum_label(id: &str) -> String {
    crate::domain::sampling::StratumId::from_stored(id).label()
}

fn exported(q: &Question) -> bool {
    !matches!(q.kind, QuestionKind::Text { .. })
}

pub fn microdata(app: &App, campaign_id: CampaignId, code: &str) -> Result<Microdata> {
    let campaign_id = campaign_id.get();
    let mut conn = app.conn()?;
    let campaign = store::get(&mut conn, campaign_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("không có đợt khảo sát {campaign_id}")))?;
    let cq = store::questionnaire(&mut conn, campaign_id, code)?.ok_or_else(|| {
        ServiceError::NotFound(format!(
            "đợt khảo sát {campaign_id} không có phiếu \"{code}\""
        ))
    })?;
    let units = units::list(&mut conn)?
        .into_iter()
        .map(|u| (u.id, u.code))
        .collect();
    let mut weights = HashMap::new();
    // Stratum → (N_h, r_h), for the weights of merged strata.
    let mut sizes: HashMap<String, (f64, i64)> = HashMap::new();
    if let Some(d) = draws::of_campaign(&mut conn, campaign_id)? {
        let respondents: HashMap<String, i64> = responses::per_stratum(&mut conn, campaign_id)?
            .into_iter()
            .filter_map(|(s, n)| Some((s?, n)))
            .collect();
        for (stratum, total) in draws::represented(&mut conn, d.id)? {
            if let Some(&r) = respondents.get(&stratum).filter(|r| **r > 0) {
                weights.insert(stratum.clone(), total / r as f64);
                sizes.insert(stratum, (total, r));
            }
        }
    }
    let questionnaire = app.questionnaire_version(cq.version_id)?;
    // An anonymous campaign's rows come in a keyed random order, numbered
    // 1, 2, 3… in that order: neither the numbers nor the order follow
    // submission, which would line a response up with who submitted when.
    // Units and strata with fewer than k responses are withheld or merged.
    let (shuffled, mask) = if campaign.anonymous {
        let secret = app.secret()?;
        let placed = responses::ids(&mut conn, campaign_id, cq.version_id)?;
        let profile = app.campaign_profile(CampaignId(campaign_id)).ok();
        let k = threshold_or_least(
            profile.as_ref().and_then(|p| p.survey.as_ref()),
            questionnaire.group,
        );
        let mask = MicrodataMask::new(
            k,
            placed.iter().map(|(_, unit, stratum)| Placed {
                unit: *unit,
                stratum: stratum.as_deref(),
            }),
        );
        let mut pooled: HashMap<Option<i64>, (f64, i64)> = HashMap::new();
        for (stratum, unit) in &mask.merged {
            if let Some((n, r)) = sizes.get(stratum) {
                let p = pooled.entry(*unit).or_default();
                p.0 += n;
                p.1 += r;
            }
        }
        let merged_weights = pooled
            .into_iter()
            .filter(|(_, (_, r))| *r > 0)
            .map(|(unit, (n, r))| (unit, n / r as f64))
            .collect();
        let mut ids: Vec<i64> = placed
            .iter()
            .filter(|(_, unit, _)| !mask.withholds(*unit))
            .map(|(id, _, _)| *id)
            .collect();
        let withheld = placed.len() - ids.len();
        ids.sort_by_cached_key(|id| secret.response_order(campaign_id, *id));
        let masked = Masked {
            k,
            mask,
            merged_weights,
            withheld,
        };
        (Some(ids), Some(masked))
    } else {
        (None, None)
    };
    drop(conn);
    let questions: Vec<Question> = questionnaire
        .questions()
        .filter(|q| exported(q))
        .cloned()
        .collect();
    let mut columns = vec![
        Column::new("response_id").label("Số thứ tự phiếu (không gắn với người trả lời)"),
        Column::new("questionnaire").label("Mã phiếu"),
        Column::new("version").label("Phiên bản phiếu (12 ký tự đầu SHA-256)"),
        Column::new("source").label("Nguồn: sample (mẫu xác suất) hoặc open (liên kết mở)"),
        Column::new("submitted_on").label("Ngày gửi phiếu (giờ Việt Nam)"),
        Column::new("unit").label("Mã đơn vị của người trả lời"),
        Column::new("rated_unit").label("Mã đơn vị được đánh giá"),
        Column::new("stratum").label("Tầng của mẫu (giá trị phân tầng hoặc cụm)"),
        Column::new("weight").label("Trọng số thiết kế đã hiệu chỉnh không trả lời: N_h / r_h"),
    ];
    for q in &questions {
        columns.push(Column::new(q.code.clone()).label(q.text.clone()));
    }
    let header = Header::new(columns).map_err(|e| ServiceError::invalid(e.to_string()))?;
    Ok(Microdata {
        campaign_id,
        code: code.to_string(),
        version_id: cq.version_id,
        version: cq.content_hash[..12].to_string(),
        questions,
        units,
        weights,
        header,
        shuffled,
        mask,
    })
}

impl Microdata {
    /// The rows, read page by page: memory stays flat however many there are.
    pub fn rows<'a>(&'a self, app: &'a App) -> impl Iterator<Item = Result<Row>> + 'a {
        let mut after = 0i64;
        let mut buffer: std::vec::IntoIter<Row> = Vec::new().into_iter();
        let mut done = false;
        std::iter::from_fn(move || loop {
            if let Some(row) = buffer.next() {
                return Some(Ok(row));
            }
            if done {
                return None;
            }
            match self.page(app, after) {
                Ok((rows, last)) => {
                    match last {
                        Some(id) => after = id,
                        None => done = true,
                    }
                    buffer = rows.into_iter();
                }
                Err(e) => {
                    done = true;
                    return Some(Err(e));
                }
            }
        })
    }

    /// A page of rows after `after`: a response id, or for a shuffled
    /// (anonymous) export a place in the order.
    fn page(&self, app: &App, after: i64) -> Result<(Vec<Row>, Option<i64>)> {
        let mut conn = app.conn()?;
        let (page, last, numbers): (Vec<responses::ResponseRow>, i64, HashMap<i64, i64>) =
            match &self.shuffled {
                Some(order) => {
                    let start = (after as usize).min(order.len());
                    let end = (start + PAGE as usize).min(order.len());
                    if start == end {
                        return Ok((vec![], None));
                    }
                    let ids = &order[start..end];
                    let mut rows = responses::by_ids(&mut conn, ids)?;
                    let place: HashMap<i64, i64> = ids
                        .iter()
                        .enumerate()
                        .map(|(i, id)| (*id, (start + i + 1) as i64))
                        .collect();
                    rows.sort_by_key(|r| place[&r.id]);
                    (rows, end as i64, place)
                }
                None => {
                    let page =
                        responses::page(&mut conn, self.campaign_id, self.version_id, after, PAGE)?;
                    let Some(last) = page.last().map(|r| r.id) else {
                        return Ok((vec![], None));
                    };
                    let numbers = page.iter().map(|r| (r.id, r.id)).collect();
                    (page, last, numbers)
                }
            };
        let ids: Vec<i64> = page.iter().map(|r| r.id).collect();
        let mut answers: BTreeMap<(i64, i64), HashMap<String, String>> = BTreeMap::new();
        for (response, unit, code, value) in responses::answers_of_many(&mut conn, &ids)? {
            answers
                .entry((response, unit))
                .or_default()
                .insert(code, value);
        }
        let mut rows = Vec::new();
        for r in &page {
            for ((_, rated), values) in answers.range((r.id, i64::MIN)..=(r.id, i64::MAX)) {
                let merged = match (&self.mask, &r.stratum) {
                    (Some(m), Some(s)) => m.mask.merged_into(s).map(|unit| (m, unit)),
                    _ => None,
                };
                let weight = match (&r.stratum, r.source, merged) {
                    (Some(_), RespondentSource::Sample, Some((m, unit))) => {
                        m.merged_weights.get(&unit).copied()
                    }
                    (Some(s), RespondentSource::Sample, None) => self.weights.get(s).copied(),
                    _ => None,
                };
                let stratum = match merged {
                    Some(_) => Some(MERGED.to_string()),
                    None => r.stratum.as_deref().map(stratum_label),
                };
                // The day of submission would line a response up with who
                // submitted when: anonymous campaigns leave it out.
                let submitted = (self.mask.is_none())
                    .then(|| crate::domain::vietnam_time::date(r.submitted_at));
                let mut row: Row = vec![
                    Cell::Int(numbers[&r.id]),
                    Cell::from(self.code.as_str()),
                    Cell::from(self.version.as_str()),
                    Cell::from(r.source.code()),
                    Cell::from(submitted),
                    Cell::from(r.unit_id.and_then(|u| self.units.get(&u).cloned())),
                    Cell::from(self.units.get(rated).cloned()),
                    Cell::from(stratum),
                    Cell::from(weight),
                ];
                // Answer codes that are whole numbers (scale levels, choice
                // numbers) are numbers, so a spreadsheet can average them.
                for q in &self.questions {
                    row.push(match values.get(&q.code) {
                        // "01" stays text: a code, not the number 1.
                        Some(v) => match v.parse::<i64>() {
                            Ok(n) if n.to_string() == *v => Cell::Int(n),
                            _ => Cell::from(v.as_str()),
                        },
                        None => Cell::Empty,
                    });
                }
                rows.push(row);
            }
        }
        Ok((rows, Some(last)))
    }

    /// The codebook: every exported column, with the question's wording and
    /// what each answer code means.
    pub fn codebook(&self) -> (Header, Vec<Row>) {
        let header = Header::new(vec![
            Column::new("column").label("Cột"),
            Column::new("text").label("Nội dung"),
            Column::new("kind").label("Loại câu hỏi"),
            Column::new("codes").label("Mã trả lời"),
            Column::new("criterion").label("Tiêu chí của Chỉ số"),
        ])
        .expect("fixed, valid columns");
        let mut rows: Vec<Row> = self
            .header
            .columns()
            .iter()
            .take(9)
            .map(|c| {
                vec![
                    Cell::from(c.name.as_str()),
                    Cell::from(c.label.clone()),
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                ]
            })
            .collect();
        if let Some(m) = &self.mask {
            rows.push(vec![
                Cell::from("(ẩn danh)"),
                Cell::from(format!(
                    "Đợt ẩn danh, ngưỡng k = {}: không xuất ngày gửi phiếu; {} phiếu của đơn vị có ít hơn {} phiếu không xuất; các tầng có ít hơn {} phiếu được gộp thành \"{MERGED}\" trong đơn vị, với trọng số của phần gộp (ΣN_h / Σr_h); số thứ tự phiếu theo thứ tự ngẫu nhiên có khoá, không theo thứ tự gửi.",
                    m.k, m.withheld, m.k, m.k
                )),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ]);
        }
        for q in &self.questions {
            let (kind, codes) = match &q.kind {
                QuestionKind::Likert {
                    levels,
                    not_applicable,
                    ..
                } => (
                    "likert",
                    levels
                        .labels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| format!("{}={l}", i + 1))
                        .chain(not_applicable.iter().map(|l| {
                            format!(
                                "{}={l} (không tính điểm)",
                                crate::domain::questionnaire::NOT_APPLICABLE
                            )
                        }))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                QuestionKind::Single { options } => ("single", choices(options)),
                QuestionKind::Multiple { options, .. } => (
                    "multiple",
                    format!("{} (nhiều mã, cách nhau bằng dấu phẩy)", choices(options)),
                ),
                QuestionKind::Number { min, max, integer } => (
                    "number",
                    format!(
                        "{}{}{}",
                        if *integer { "số nguyên" } else { "số" },
                        min.map(|m| format!(", từ {m}")).unwrap_or_default(),
                        max.map(|m| format!(", đến {m}")).unwrap_or_default()
                    ),
                ),
                QuestionKind::Text { .. } => ("text", String::new()),
            };
            rows.push(vec![
                Cell::from(q.code.as_str()),
                Cell::from(q.text.as_str()),
                Cell::from(kind),
                Cell::from(codes),
                Cell::from(q.criterion.clone()),
            ]);
        }
        (header, rows)
    }
}

fn choices(options: &[crate::domain::questionnaire::Choice]) -> String {
    options
        .iter()
        .map(|o| format!("{}={}", o.code, o.label))
        .collect::<Vec<_>>()
        .join("; ")
}
