//! The 100-point index of a campaign: the ranked table per block with bands
//! and head ratings and a chart of each index split into its appraised and
//! survey parts; a scorecard per unit; imports, publication and exports.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::auth::Staff;
use super::upload::Limits;
use super::{blocking, html_page, templates, State, WebError};
use crate::domain::access::Action;
use crate::domain::ids::{CampaignId, UnitId};
use crate::domain::index::{RatingOutcome, ScoreRule};
use crate::domain::profile::BandBasis;
use crate::domain::upload::FileKind;
use crate::report::chart::{split_chart, Axis, SplitChart, SplitRow, Threshold, ValueFormat};
use crate::report::number;
use crate::report::table::{Cell, Column, Header, Row};
use crate::service::publication::{self, IndexRow, IndexTable};
use crate::service::ServiceError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/campaigns/{id}/index", web::get().to(page))
        .route(
            "/staff/campaigns/{id}/index/survey",
            web::post().to(import_survey),
        )
        .route(
            "/staff/campaigns/{id}/index/scores",
            web::post().to(import_scores),
        )
        .route(
            "/staff/campaigns/{id}/index/{unit}",
            web::get().to(scorecard),
        )
        .route(
            "/staff/campaigns/{id}/export/index",
            web::get().to(export_index),
        )
        .route(
            "/staff/campaigns/{id}/export/explain",
            web::get().to(export_explain),
        )
        .route(
            "/staff/campaigns/{id}/export/scorecard/{unit}",
            web::get().to(export_scorecard),
        );
}

#[derive(Deserialize)]
struct Query {
    block: Option<String>,
    done: Option<String>,
}

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

pub(super) async fn load(state: &web::Data<State>, id: CampaignId) -> Result<IndexTable, WebError> {
    blocking(state, move |app| publication::table(app, id, now())).await
}

fn fixed(p: Option<crate::domain::points::Points>, d: u32) -> Option<String> {
    p.map(|p| number::from_point(&p.fixed(d)))
}

/// One line of the ranked table, as the page and the exports show it.
#[derive(Serialize)]
pub(super) struct Line {
    unit_id: i64,
    code: String,
    name: String,
    block: String,
    block_name: String,
    /// The dossier's stage code (`none` without one); the template words it.
    dossier: String,
    rank: Option<u32>,
    of: Option<u32>,
    shared: bool,
    appraised: Option<String>,
    survey: Option<String>,
    bonus: Option<String>,
    deductions: Option<String>,
    index: Option<String>,
    pari: Option<String>,
    band: Option<String>,
    head_rating: String,
    head_key: &'static str,
    head_reason: Option<&'static str>,
    notes: Vec<String>,
    flagged: usize,
    withheld: usize,
}

pub(super) fn line(r: &IndexRow, d: u32) -> Line {
    // A unit that is not ranked shows no index, even one computed with
    // appraised criteria at 0: the reason stands in its place.
    let f = r.figures().filter(|_| r.not_ranked.is_none());
    let a = r.appraisal.as_ref();
    let mut notes: Vec<String> = f
        .map(|f| f.notes.iter().map(|n| n.message()).collect())
        .unwrap_or_default();
    if let Some(why) = &r.not_ranked {
        notes.push(why.clone());
    }
    for d in &r.decisions {
        notes.push(format!(
            "Hội đồng ({}): {} — {}. Lý do: {}",
            d.at, d.case_label, d.decision_label, d.reason
        ));
    }
    Line {
        unit_id: r.unit_id,
        code: r.code.clone(),
        name: r.name.clone(),
        block: r.block.clone(),
        block_name: r.block_name.clone(),
        dossier: r.dossier.clone(),
        rank: r.rank.map(|k| k.rank),
        of: r.rank.map(|k| k.of),
        shared: r.rank.is_some_and(|k| k.shared),
        appraised: fixed(a.map(|a| a.components.appraised), d),
        survey: fixed(f.map(|f| f.components.survey), d),
        bonus: fixed(f.map(|f| f.bonus_counted), d),
        deductions: fixed(a.map(|a| a.components.deductions), d),
        index: fixed(f.map(|f| f.index), d),
        pari: fixed(f.map(|f| f.pari), d),
        band: f.map(|f| f.band.label.clone()),
        head_rating: match &r.head_rating {
            RatingOutcome::Rated { rating, .. } => rating.label().to_string(),
            other => other.message(),
        },
        head_key: r.head_rating.key(),
        head_reason: match &r.head_rating {
            RatingOutcome::Undecided { reason, .. } => Some(reason.key()),
            _ => None,
        },
        notes,
        flagged: r.survey.iter().filter(|c| c.flagged()).count(),
        withheld: r.appraisal.as_ref().map(|a| a.withheld.len()).unwrap_or(0),
    }
}

fn chart(
    t: &IndexTable,
    block: &str,
    rows: &[&IndexRow],
    bands: &[(f64, String)],
    width: u32,
) -> Option<String> {
    let d = t.decimals;
    let split: Vec<SplitRow> = rows
        .iter()
        .map(|r| match r.figures().filter(|_| r.not_ranked.is_none()) {
            Some(f) => {
                let survey = f.components.survey.round(d).to_f64();
                let index = f.index.to_f64();
                // The bar is the published index; bonus and deductions sit in
                // the appraised part, which is what the unit answers for.
                SplitRow::parts(&r.name, (index - survey).max(0.0), survey.min(index))
            }
            None => SplitRow::missing(&r.name, r.not_ranked_short.unwrap_or("chưa tính được")),
        })
        .collect();
    if split.is_empty() {
        return None;
    }
    let thresholds = bands
        .iter()
        .map(|(v, label)| Threshold {
            value: *v,
            label: label.clone(),
        })
        .collect();
    let axis = Axis {
        max: 100.0,
        format: ValueFormat::Number { decimals: 2 },
        label: "Chỉ số CCHC (điểm)".into(),
    };
    split_chart(&SplitChart::new(
        format!("Chỉ số CCHC {} — khối {block}", t.year),
        axis,
        width,
        split,
        thresholds,
    ))
    .map_err(|e| tracing::warn!(error = %e, "index chart"))
    .ok()
}

async fn page(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    q: web::Query<Query>,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ViewIndex)?;
    let id = id.into_inner();
    render(
        &state,
        &staff,
        id,
        q.block.clone(),
        q.done.clone(),
        vec![],
        StatusCode::OK,
    )
    .await
}

/// The table's blocks (code, name) and, for those `only` keeps, a section
/// each: its chart and its lines. The staff page and the public page both
/// draw these.
pub(super) fn sections(
    t: &IndexTable,
    only: Option<&str>,
) -> (Vec<(String, String)>, Vec<minijinja::Value>) {
    let profile = &t.profile;
    let bands: Vec<(f64, String)> = match profile.bands.on {
        BandBasis::Index => profile
            .bands
            .levels
            .iter()
            .filter(|b| b.min.to_f64() > 0.0)
            .map(|b| (b.min.to_f64(), b.label.clone()))
            .collect(),
        // PARI is a percentage of a maximum that differs by unit: no line.
        BandBasis::Pari => vec![],
    };
    let mut blocks: Vec<(String, String)> = Vec::new();
    for r in &t.rows {
        if !blocks.iter().any(|(c, _)| c == &r.block) {
            blocks.push((r.block.clone(), r.block_name.clone()));
        }
    }
    let sections = blocks
        .iter()
        .filter(|(c, _)| only.is_none_or(|b| b == c))
        .map(|(code, name)| {
            let rows: Vec<&IndexRow> = t.rows.iter().filter(|r| &r.block == code).collect();
            context! {
                code,
                name,
                svg => chart(t, name, &rows, &bands, super::CHART_WIDE),
                svg_narrow => chart(t, name, &rows, &bands, super::CHART_NARROW),
                lines => rows.iter().map(|r| line(r, t.decimals)).collect::<Vec<_>>(),
            }
        })
        .collect();
    (blocks, sections)
}

async fn render(
    state: &web::Data<State>,
    staff: &Staff,
    id: CampaignId,
    block: Option<String>,
    done: Option<String>,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let t = load(state, id).await?;
    let published_at = t.published_at.map(crate::domain::vietnam_time::shown);
    let profile = &t.profile;
    let (blocks, sections) = sections(&t, block.as_deref());
    let explain: Vec<_> = t
        .rows
        .iter()
        .flat_map(|r| {
            r.explain.iter().map(move |e| {
                context! {
                    unit => r.name.clone(), unit_id => r.unit_id, code => e.code.clone(),
                    name => e.name.clone(), department => e.department_name.clone(),
                    current => e.current.fixed(t.decimals), previous => e.previous.fixed(t.decimals),
                    change => e.change.fixed(t.decimals), years => e.falling_years,
                    sanctions => e.sanctions.iter().map(|s| match &s.article {
                        Some(a) => format!("{} ({a})", s.action),
                        None => s.action.clone(),
                    }).collect::<Vec<_>>(),
                }
            })
        })
        .collect();
    let body = templates::render(
        "staff/index.html",
        context! {
            staff => staff.context(),
            t => context! {
                campaign_id => t.campaign_id, campaign => t.campaign.clone(), year => t.year,
                profile => t.profile_name.clone(), survey_source => t.survey_source,
                published_at,
                pari => profile.bands.on == BandBasis::Pari,
                explain_assigned => t.explain_basis == "assigned",
                report_days => profile.explain.report_days,
                national_published_on => t.national_published_on.map(|d| d.format("%d/%m/%Y").to_string()),
                explain_due => t.explain_due.map(|d| d.format("%d/%m/%Y").to_string()),
            },
            blocks => blocks.iter().map(|(c, n)| context! { code => c, name => n }).collect::<Vec<_>>(),
            block,
            readings => profile.readings(),
            sections,
            explain,
            done,
            errors,
            can_manage => staff.require(Action::PublishIndex).is_ok(),
            kinds => FileKind::Csv.label(),
        },
    );
    Ok(html_page(status, body))
}

fn back(id: CampaignId, done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            "Location",
            format!("/staff/campaigns/{id}/index?done={done}"),
        ))
        .finish()
}

/// A refused import or publication: the page again, with every reason.
async fn refused(
    state: &web::Data<State>,
    staff: &Staff,
    id: CampaignId,
    e: WebError,
) -> Result<HttpResponse, WebError> {
    match e {
        WebError::Service(ServiceError::Invalid(errors)) | WebError::BadRequest(errors) => {
            render(
                state,
                staff,
                id,
                None,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        e => Err(e),
    }
}

fn limits(state: &State) -> Limits {
    Limits {
        max_bytes: state.settings.max_upload_bytes,
        tmp_dir: state.settings.upload_tmp_dir(),
    }
}

async fn import_survey(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ImportIndexData)?;
    let id = id.into_inner();
    let mut form = staff
        .upload(&req, payload, &limits(&state), &[FileKind::Csv])
        .await?;
    let upload = form.take_file("file")?;
    let outcome = blocking(&state, move |app| {
        let file = std::fs::File::open(upload.file.path())
            .map_err(|e| ServiceError::invalid(format!("không đọc được tệp tải lên: {e}")))?;
        publication::import_survey(app, id, file, &upload.name)
    })
    .await;
    match outcome {
        Ok(_) => Ok(back(id, "survey")),
        Err(e) => refused(&state, &staff, id, e).await,
    }
}

async fn import_scores(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ImportIndexData)?;
    let id = id.into_inner();
    let mut form = staff
        .upload(&req, payload, &limits(&state), &[FileKind::Csv])
        .await?;
    let year: i64 = match form.fields.get("year").map(str::trim).map(str::parse) {
        Some(Ok(y)) => y,
        _ => {
            return refused(
                &state,
                &staff,
                id,
                WebError::BadRequest(vec!["Năm phải là số, ví dụ 2024.".into()]),
            )
            .await
        }
    };
    let kind = form.fields.get("kind").unwrap_or("own").to_string();
    let published_on = form
        .fields
        .get("published_on")
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    let upload = form.take_file("file")?;
    let outcome = blocking(&state, move |app| {
        let decimals = app.campaign_profile(id)?.points.decimals;
        let file = std::fs::File::open(upload.file.path())
            .map_err(|e| ServiceError::invalid(format!("không đọc được tệp tải lên: {e}")))?;
        // The day is checked before the scores are stored, so a bad date
        // stores nothing.
        if let Some(day) = &published_on {
            publication::check_national_publication(year, day)?;
        }
        let n = publication::import_scores(app, year, &kind, decimals, file, &upload.name)?;
        if let Some(day) = &published_on {
            publication::set_national_publication(app, year, day)?;
        }
        Ok(n)
    })
    .await;
    match outcome {
        Ok(_) => Ok(back(id, "scores")),
        Err(e) => refused(&state, &staff, id, e).await,
    }
}

/// A scorecard line: one node of the criteria tree.
#[derive(Serialize)]
pub(super) struct CardLine {
    code: String,
    name: String,
    depth: usize,
    leaf: bool,
    max: String,
    self_score: Option<String>,
    appraised: Option<String>,
    rule: Option<String>,
    survey: Option<String>,
    ci: Option<String>,
    flagged: bool,
    score: Option<String>,
    previous: Option<String>,
    change: Option<String>,
    trend: Option<&'static str>,
}

/// The rule that decided a leaf, in words; the supplemented cap is the
/// profile's share (Ninh Hòa art. 7.2: 70 %), not a constant.
fn rule_label(rule: &ScoreRule, supplement_percent: i64) -> String {
    match rule {
        ScoreRule::AsAppraised => "theo thẩm định".into(),
        ScoreRule::NoEvidence => "không có tài liệu kiểm chứng: 0".into(),
        ScoreRule::Supplemented { .. } => {
            format!("kiểm chứng bổ sung khi giải trình: tối đa {supplement_percent} %")
        }
        ScoreRule::NotApplicable => "không áp dụng".into(),
        ScoreRule::DossierTooLate => "không nộp hồ sơ trong thời hạn: 0".into(),
        ScoreRule::Survey => "điều tra xã hội học".into(),
        ScoreRule::SurveyFlagged => "điều tra xã hội học, dưới số phiếu tối thiểu".into(),
        ScoreRule::SurveyWithheld => "chưa đủ phiếu điều tra: chưa tính".into(),
    }
}

pub(super) struct Card {
    pub(super) row: IndexRow,
    pub(super) lines: Vec<CardLine>,
    pub(super) decimals: u32,
    pub(super) year: i32,
    pub(super) campaign: String,
}

pub(super) async fn card(
    state: &web::Data<State>,
    id: CampaignId,
    unit: UnitId,
) -> Result<Card, WebError> {
    blocking(state, move |app| {
        let t = publication::table(app, id, now())?;
        let row = t
            .rows
            .into_iter()
            .find(|r| r.unit_id == unit.get())
            .ok_or_else(|| {
                ServiceError::NotFound("Đơn vị này không có trong bảng chỉ số của đợt.".into())
            })?;
        let set = t
            .profile
            .criteria_set_for(&row.unit_type)
            .ok_or_else(|| ServiceError::NotFound("Không có bộ tiêu chí cho đơn vị này.".into()))?;
        let d = t.decimals;
        let f = |p: crate::domain::points::Points| number::from_point(&p.fixed(d));
        let own = crate::service::appraisal::self_scores(app, id, unit)?;
        let supplement_percent = t.profile.appraisal.supplement_factor.percent();
        let lines = set
            .nodes
            .iter()
            .map(|n| {
                let leaf = row
                    .appraisal
                    .as_ref()
                    .and_then(|a| a.leaves.iter().find(|l| l.code == n.code));
                let cell = row.survey.iter().find(|c| c.criterion == n.code);
                let change = row.changes.iter().find(|c| c.code == n.code);
                CardLine {
                    code: n.code.clone(),
                    name: n.name.clone(),
                    depth: n.code.matches('.').count(),
                    leaf: n.is_leaf(),
                    max: f(n.max),
                    self_score: own.get(&n.code).map(|p| f(*p)),
                    appraised: leaf.filter(|_| !n.is_survey()).and_then(|l| l.score).map(f),
                    rule: leaf.map(|l| rule_label(&l.rule, supplement_percent)),
                    survey: cell.and_then(|c| c.points).map(f),
                    ci: cell.and_then(|c| {
                        Some(format!(
                            "{}–{}",
                            number::decimal(c.ci_low?, 2),
                            number::decimal(c.ci_high?, 2)
                        ))
                    }),
                    flagged: cell.is_some_and(|c| c.flagged()),
                    score: row
                        .appraisal
                        .as_ref()
                        .and_then(|a| a.nodes.get(&n.code))
                        .map(|p| f(*p)),
                    previous: change.map(|c| f(c.previous)),
                    change: change.map(|c| f(c.delta)),
                    trend: change.map(|c| match c.trend {
                        crate::domain::index::Trend::Up => "up",
                        crate::domain::index::Trend::Same => "same",
                        crate::domain::index::Trend::Down => "down",
                    }),
                }
            })
            .collect();
        Ok(Card {
            row,
            lines,
            decimals: d,
            year: t.year,
            campaign: t.campaign,
        })
    })
    .await
}

async fn scorecard(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, UnitId)>,
) -> Result<HttpResponse, WebError> {
    let (id, unit) = path.into_inner();
    staff.require_unit(Action::ViewScorecard(unit))?;
    let c = card(&state, id, unit).await?;
    let body = templates::render(
        "staff/scorecard.html",
        context! {
            staff => staff.context(),
            campaign_id => id,
            campaign => c.campaign,
            year => c.year,
            u => line(&c.row, c.decimals),
            lines => c.lines,
            explain => c.row.explain.iter().map(|e| context! {
                code => e.code.clone(), name => e.name.clone(), department => e.department_name.clone(),
                change => e.change.fixed(c.decimals), years => e.falling_years,
            }).collect::<Vec<_>>(),
            can_index => staff.require(Action::ViewIndex).is_ok(),
        },
    );
    Ok(html_page(StatusCode::OK, body))
}

// ------------------------------------------------------------------ exports

fn scorecard_table(c: &Card) -> (Header, Vec<Row>) {
    let d = u8::try_from(c.decimals).unwrap_or(2);
    let header = Header::new(vec![
        Column::new("code").label("Mã"),
        Column::new("name").label("Lĩnh vực / tiêu chí"),
        Column::new("max").label("Điểm tối đa").decimals(d),
        Column::new("self_score").label("Điểm tự chấm").decimals(d),
        Column::new("appraised").label("Điểm thẩm định").decimals(d),
        Column::new("rule").label("Quy tắc tính"),
        Column::new("survey")
            .label("Điểm điều tra xã hội học")
            .decimals(d),
        Column::new("survey_ci").label("Khoảng tin cậy 95 %"),
        Column::new("survey_flagged").label("Dưới số phiếu tối thiểu"),
        Column::new("score").label("Điểm đạt").decimals(d),
        Column::new("previous").label("Điểm năm trước").decimals(d),
        Column::new("change").label("Thay đổi").decimals(d),
    ])
    .expect("distinct columns");
    let txt = |s: &Option<String>| Cell::from(s.clone());
    // The card's figures are written for the page ("14,00"); the export
    // carries them as numbers so a spreadsheet can add them up.
    let num = |s: &Option<String>| match s.as_deref().map(|t| t.trim().replace(',', ".")) {
        Some(t) => t
            .parse::<f64>()
            .map_or_else(|_| Cell::from(s.clone()), Cell::Float),
        None => Cell::Empty,
    };
    let rows = c
        .lines
        .iter()
        .map(|l| {
            vec![
                Cell::from(l.code.as_str()),
                Cell::from(l.name.as_str()),
                num(&Some(l.max.clone())),
                num(&l.self_score),
                num(&l.appraised),
                Cell::from(l.rule.clone()),
                num(&l.survey),
                txt(&l.ci),
                Cell::from(if l.flagged { "có" } else { "" }),
                num(&l.score),
                num(&l.previous),
                num(&l.change),
            ]
        })
        .collect();
    (header, rows)
}

use super::export::FormatQuery;

/// The index table's sheet name; its XLSX carries a bar chart of the index.
pub(super) const INDEX_SHEET: &str = "chi_so";

/// The index sheet's blocks in row order: (name, first row, rows).
fn block_runs(header: &Header, rows: &[Row]) -> Vec<(String, u64, u64)> {
    let Some(col) = header.columns().iter().position(|c| c.name == "block_name") else {
        return Vec::new();
    };
    let mut runs: Vec<(String, u64, u64)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let name = match &row[col] {
            crate::report::table::Cell::Text(t) => t.clone(),
            _ => String::new(),
        };
        match runs.last_mut() {
            Some(run) if run.0 == name => run.2 += 1,
            _ => runs.push((name, i as u64, 1)),
        }
    }
    runs
}

/// A small table (a row per unit or per criterion) in the asked format.
pub(super) fn download(
    state: &State,
    format: Option<&str>,
    csv_options: &crate::report::export::CsvOptions,
    base: &str,
    sheet: &str,
    table: (Header, Vec<Row>),
    readings: &[crate::domain::profile::Reading],
) -> Result<HttpResponse, WebError> {
    use crate::report::export::{write_csv, write_json, XlsxExport};
    let (header, rows) = table;
    let (bytes, content_type, ext) = match format.unwrap_or("csv") {
        "csv" => {
            let mut out = Vec::new();
            write_csv(
                &mut out,
                &header,
                rows.into_iter().map(Ok::<_, String>),
                csv_options,
            )
            .map_err(|e| WebError::BadRequest(vec![e.to_string()]))?;
            (out, "text/csv; charset=utf-8", "csv")
        }
        "json" => {
            let mut out = Vec::new();
            write_json(&mut out, &header, rows.into_iter().map(Ok::<_, String>))
                .map_err(|e| WebError::BadRequest(vec![e.to_string()]))?;
            (out, "application/json", "json")
        }
        "xlsx" => {
            let tmp = state.settings.upload_tmp_dir();
            std::fs::create_dir_all(&tmp).map_err(|_| WebError::Busy)?;
            let mut book =
                XlsxExport::in_dir(&tmp).map_err(|e| WebError::BadRequest(vec![e.to_string()]))?;
            // The index table comes with a chart per block: a bar per unit
            // in the table's order (block, then rank), stacked beside it.
            let blocks = if sheet == INDEX_SHEET {
                block_runs(&header, &rows)
            } else {
                Vec::new()
            };
            book.add_sheet(sheet, &header, rows.into_iter().map(Ok::<_, String>))
                .map_err(|e| WebError::BadRequest(vec![e.to_string()]))?;
            let mut at_row = 0u32;
            for (name, first, count) in &blocks {
                book.add_bar_chart(
                    &header,
                    &crate::report::export::BarChart {
                        sheet,
                        title: &format!("Chỉ số CCHC — {name}"),
                        series: "Chỉ số CCHC",
                        labels: "name",
                        values: "index",
                        first: *first,
                        rows: *count,
                        at_row,
                        max: Some(100.0),
                    },
                )
                .map_err(|e| WebError::BadRequest(vec![e.to_string()]))?;
                // Default rows are 20 px; a gap of two rows between charts.
                at_row += crate::report::export::bar_chart_height(*count).div_ceil(20) + 2;
            }
            book.add_codebook("codebook", &header)
                .map_err(|e| WebError::BadRequest(vec![e.to_string()]))?;
            // The readings the figures rest on travel with them.
            if !readings.is_empty() {
                let (h, r) = publication::readings_sheet(readings);
                book.add_sheet("cach_doc", &h, r.into_iter().map(Ok::<_, String>))
                    .map_err(|e| WebError::BadRequest(vec![e.to_string()]))?;
            }
            let mut out = Vec::new();
            book.save_to_writer(&mut out)
                .map_err(|e| WebError::BadRequest(vec![e.to_string()]))?;
            (
                out,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            )
        }
        other => {
            return Err(WebError::BadRequest(vec![format!(
                "Định dạng \"{other}\" không có; dùng csv, xlsx hoặc json."
            )]))
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{base}.{ext}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(bytes))
}

/// The table or the explain list of a campaign, as a download.
#[derive(Clone, Copy)]
enum Sheet {
    Index,
    Explain,
}

async fn export_sheet(
    state: &web::Data<State>,
    staff: &Staff,
    id: CampaignId,
    q: &FormatQuery,
    sheet: Sheet,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ViewIndex)?;
    let t = load(state, id).await?;
    let (base, name, table) = match sheet {
        Sheet::Index => ("chi-so", INDEX_SHEET, publication::index_sheet(&t)),
        Sheet::Explain => ("giai-trinh", "giai_trinh", publication::explain_sheet(&t)),
    };
    download(
        state,
        q.format.as_deref(),
        &q.csv_options()?,
        &format!("{base}_dot{id}"),
        name,
        table,
        &t.profile.readings(),
    )
}

async fn export_index(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, WebError> {
    export_sheet(&state, &staff, id.into_inner(), &q, Sheet::Index).await
}

async fn export_explain(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, WebError> {
    export_sheet(&state, &staff, id.into_inner(), &q, Sheet::Explain).await
}

async fn export_scorecard(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, UnitId)>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, WebError> {
    let (id, unit) = path.into_inner();
    staff.require_unit(Action::ViewScorecard(unit))?;
    let c = card(&state, id, unit).await?;
    let base = format!("bang-diem_{}_dot{id}", c.row.code);
    download(
        &state,
        q.format.as_deref().or(Some("xlsx")),
        &q.csv_options()?,
        &base,
        "bang_diem",
        scorecard_table(&c),
        &[],
    )
}
