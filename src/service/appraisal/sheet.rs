//! The dossier as an Excel scoring sheet: downloaded (blank for a unit
//! type, or prefilled for a unit's dossier), filled in Excel, uploaded
//! back. An upload goes through the same commands as the dossier grid
//! ([`save_self_scores`], [`appraise_criteria`]), so the rules and the
//! all-or-nothing save are the grid's; this file only maps cells to rows
//! and each refusal back to the cell that caused it (`Tu_cham!D14: …`).

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDateTime;

use crate::domain::ids::CampaignId;
use crate::domain::points::Points;
use crate::domain::profile::CriteriaSet;
use crate::report::scoring_sheet::{
    col, FilledRow, FilledSheet, ScoringSheet, SheetKind, SheetRow,
};
use crate::report::sheet_in::SheetValue;

use super::appraisal_commands::{appraise_criteria, AppraiseInput, Decision};
use super::evidence::EvidenceJudgement;
use super::unit_commands::{save_self_scores, GridSaved, RowErrors, SelfScoreInput};
use super::views::{view, DossierView, NodeView};
use super::{App, On, Result, ServiceError};

pub use crate::report::scoring_sheet::SheetKind as ScoringSheetKind;

/// A downloadable file: its name and bytes.
pub struct SheetFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

fn points_f64(text: &str) -> f64 {
    Points::parse(text).map(Points::to_f64).unwrap_or(0.0)
}

fn name_of(code: &str, label: &str, name: &str) -> String {
    if label == code {
        name.to_string()
    } else {
        format!("{label}. {name}")
    }
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> ServiceError {
    ServiceError::Internal(format!("không tạo được tệp Excel: {e}"))
}

/// A unit's dossier as a sheet, prefilled with what is stored; the input
/// cells are the ones `who` may write now.
pub fn dossier_sheet(
    app: &App,
    on: &On<'_>,
    kind: SheetKind,
    now: NaiveDateTime,
) -> Result<SheetFile> {
    let d = view(app, on, now)?;
    let decimals = app.campaign_profile(on.campaign_id)?.points.decimals;
    let rows = d
        .nodes
        .iter()
        .map(|n| SheetRow {
            code: n.code.clone(),
            name: name_of(&n.code, &n.label, &n.name),
            depth: n.depth,
            max: points_f64(&n.max),
            input: match kind {
                SheetKind::SelfAssessment => d.can_edit && n.leaf && !n.survey,
                SheetKind::Appraisal => n.can_appraise,
            },
            note: n
                .survey
                .then(|| "Điểm lấy từ điều tra xã hội học, không tự chấm".to_string()),
            self_points: n.self_points.as_deref().map(points_f64),
            explanation: n.explanation.clone().unwrap_or_default(),
            reference: n
                .evidence
                .as_ref()
                .and_then(|e| e.reference.clone())
                .unwrap_or_default(),
        })
        .collect();
    let (title, stem) = match kind {
        SheetKind::SelfAssessment => ("Bảng tự chấm điểm", "tu-cham"),
        SheetKind::Appraisal => ("Bảng thẩm định", "tham-dinh"),
    };
    let sheet = ScoringSheet {
        kind,
        title: format!("{title} — {}", d.campaign),
        subtitle: format!("{} (mã {}) · {}", d.unit_name, d.unit_code, d.set_name),
        campaign_id: d.campaign_id,
        unit_code: Some(d.unit_code.clone()),
        set_name: d.set_name.clone(),
        decimals,
        rows,
    };
    Ok(SheetFile {
        file_name: format!("{stem}_dot{}_{}.xlsx", d.campaign_id, d.unit_code),
        bytes: sheet.to_xlsx().map_err(xlsx_error)?,
    })
}

/// A blank self-assessment sheet for a unit type of the campaign's
/// profile, for a unit to fill before it has an account.
pub fn blank_sheet(app: &App, campaign_id: CampaignId, unit_type: &str) -> Result<SheetFile> {
    let profile = app.campaign_profile(campaign_id)?;
    let set: &CriteriaSet = profile.criteria_set_for(unit_type).ok_or_else(|| {
        ServiceError::NotFound(format!(
            "Hồ sơ cấu hình của đợt không có bộ tiêu chí cho loại đơn vị \"{unit_type}\"."
        ))
    })?;
    let rows = set
        .nodes
        .iter()
        .map(|c| SheetRow {
            code: c.code.clone(),
            name: name_of(&c.code, c.label.as_deref().unwrap_or(&c.code), &c.name),
            depth: c.depth,
            max: c.max.to_f64(),
            input: c.is_leaf() && !c.is_survey(),
            note: c
                .is_survey()
                .then(|| "Điểm lấy từ điều tra xã hội học, không tự chấm".to_string()),
            self_points: None,
            explanation: String::new(),
            reference: String::new(),
        })
        .collect();
    let sheet = ScoringSheet {
        kind: SheetKind::SelfAssessment,
        title: "Bảng tự chấm điểm (mẫu)".to_string(),
        subtitle: format!(
            "Bộ tiêu chí: {} · loại đơn vị: {}",
            set.name,
            super::super::names::Names::of(&profile).unit_type(unit_type)
        ),
        campaign_id: campaign_id.get(),
        unit_code: None,
        set_name: set.name.clone(),
        decimals: profile.points.decimals,
        rows,
    };
    Ok(SheetFile {
        file_name: format!("tu-cham_mau_dot{}_{unit_type}.xlsx", campaign_id.get()),
        bytes: sheet.to_xlsx().map_err(xlsx_error)?,
    })
}

/// A points cell: a number, or text such as "1,5".
fn cell_points(v: &SheetValue) -> std::result::Result<Points, String> {
    match v {
        SheetValue::Number(x) => {
            Points::from_f64(*x).ok_or_else(|| format!("{x} không phải là số điểm"))
        }
        other => {
            let t = other.text();
            Points::parse(&t.replace(',', "."))
                .map_err(|_| format!("\"{t}\" không phải là số điểm (ví dụ đúng: 1 hoặc 1,5)"))
        }
    }
}

/// What an upload could not take: one message per cell, nothing stored.
fn refused(messages: Vec<String>) -> ServiceError {
    ServiceError::Invalid(messages)
}

/// Checks that the sheet is this dossier's (or a blank one of its set).
fn check_owner(filled: &FilledSheet, on: &On<'_>, unit_code: &str, set_name: &str) -> Result<()> {
    if let Some(c) = filled.campaign_id.filter(|c| *c != on.campaign_id.get()) {
        return Err(ServiceError::invalid(format!(
            "Bảng chấm điểm này của đợt {c}, không phải đợt {}.",
            on.campaign_id.get()
        )));
    }
    if let Some(u) = filled.unit_code.as_deref().filter(|u| *u != unit_code) {
        return Err(ServiceError::invalid(format!(
            "Bảng chấm điểm này của đơn vị {u}, không phải {unit_code}; hãy tải bảng của đơn vị này."
        )));
    }
    if let Some(s) = filled.set_name.as_deref().filter(|s| *s != set_name) {
        return Err(ServiceError::invalid(format!(
            "Bảng chấm điểm này theo bộ tiêu chí \"{s}\", không phải \"{set_name}\" của đơn vị."
        )));
    }
    Ok(())
}

/// The key of [`Placed::stop`]'s marker row (no criterion has it).
const STOP: &str = "\u{0}";

/// The rows of the sheet with the cell each criterion's message points to.
struct Placed {
    /// Criterion code → the cell its refusal names.
    cells: HashMap<String, String>,
    messages: Vec<String>,
}

impl Placed {
    fn new() -> Self {
        Placed {
            cells: HashMap::new(),
            messages: Vec::new(),
        }
    }

    fn cell_error(&mut self, address: String, message: impl std::fmt::Display) {
        self.messages.push(format!("{address}: {message}"));
    }

    /// The criterion of a row, or its code's cell named as unknown.
    fn node<'d>(
        &mut self,
        d: &'d DossierView,
        filled: &FilledSheet,
        r: &FilledRow,
    ) -> Option<&'d NodeView> {
        let node = d.nodes.iter().find(|n| n.code == r.code);
        if node.is_none() {
            self.cell_error(
                filled.address(r.row, col::CODE),
                format!(
                    "không có tiêu chí \"{}\" trong bộ tiêu chí của đơn vị",
                    r.code
                ),
            );
        }
        node
    }

    /// What the grid command takes as problems found before it: with a
    /// cell already wrong, the command still checks every row (so all
    /// problems show at once) but stores nothing.
    fn stop(&self) -> RowErrors {
        let mut stop = RowErrors::default();
        if !self.messages.is_empty() {
            stop.add(STOP, String::new());
        }
        stop
    }

    /// The service's refusals, each at its row's cell.
    fn absorb(&mut self, errors: RowErrors) {
        for (code, message) in errors.0.into_iter().filter(|(c, _)| c != STOP) {
            match self.cells.get(&code) {
                Some(cell) => self.messages.push(format!("{cell}: {message}")),
                None => self.messages.push(message),
            }
        }
    }
}

/// The officer uploads a filled self-assessment sheet: each row with a
/// points cell becomes a grid row; rows left blank keep what is stored.
pub fn import_self_sheet(app: &App, on: &On<'_>, path: &Path, now: NaiveDateTime) -> Result<usize> {
    let filled = FilledSheet::read(path, SheetKind::SelfAssessment)
        .map_err(|e| ServiceError::invalid(format!("Tệp tải lên: {e}")))?;
    let d = view(app, on, now)?;
    check_owner(&filled, on, &d.unit_code, &d.set_name)?;
    let mut placed = Placed::new();
    let mut rows = Vec::new();
    let mut seen = HashMap::new();
    for r in &filled.rows {
        if let Some(first) = seen.insert(r.code.clone(), r.row) {
            placed.cell_error(
                filled.address(r.row, col::CODE),
                format!(
                    "mã tiêu chí \"{}\" lặp lại (đã có ở dòng {})",
                    r.code,
                    first + 1
                ),
            );
            continue;
        }
        let Some(node) = placed.node(&d, &filled, r) else {
            continue;
        };
        let writable = node.leaf && !node.survey;
        let typed =
            !r.self_points.is_empty() || !r.explanation.is_empty() || !r.reference.is_empty();
        if !writable {
            // Group rows and survey rows carry no input; anything typed
            // there would be silently lost, so it is an error.
            if !r.self_points.is_empty() {
                placed.cell_error(
                    filled.address(r.row, col::SELF_POINTS),
                    format!("tiêu chí \"{}\" không tự chấm (tiêu chí nhóm hoặc điểm điều tra); để trống ô này", r.code),
                );
            }
            continue;
        }
        if !typed {
            continue;
        }
        placed
            .cells
            .insert(r.code.clone(), filled.address(r.row, col::SELF_POINTS));
        if r.self_points.is_empty() {
            placed.cell_error(
                filled.address(r.row, col::SELF_POINTS),
                format!("tiêu chí \"{}\": chưa nhập điểm tự chấm", r.code),
            );
            continue;
        }
        match cell_points(&r.self_points) {
            Ok(points) => rows.push(SelfScoreInput {
                criterion: r.code.clone(),
                points,
                explanation: r.explanation.clone(),
                file: None,
                reference: r.reference.clone(),
            }),
            Err(e) => placed.cell_error(filled.address(r.row, col::SELF_POINTS), e),
        }
    }
    match save_self_scores(app, on, rows, &placed.stop(), now)? {
        GridSaved::Saved { changed } => Ok(changed),
        GridSaved::Refused(errors) => {
            placed.absorb(errors);
            Err(refused(placed.messages))
        }
    }
}

/// The appraiser uploads a filled appraisal sheet: each row with a
/// decision becomes a grid row; rows without one stay as they are.
pub fn import_appraisal_sheet(
    app: &App,
    on: &On<'_>,
    path: &Path,
    now: NaiveDateTime,
) -> Result<usize> {
    let filled = FilledSheet::read(path, SheetKind::Appraisal)
        .map_err(|e| ServiceError::invalid(format!("Tệp tải lên: {e}")))?;
    let d = view(app, on, now)?;
    check_owner(&filled, on, &d.unit_code, &d.set_name)?;
    let mut placed = Placed::new();
    let mut rows = Vec::new();
    for r in &filled.rows {
        let Some(node) = placed.node(&d, &filled, r) else {
            continue;
        };
        let any = !matches!(r.decision, Ok(None))
            || !r.appraised.is_empty()
            || !r.reason.is_empty()
            || !matches!(r.evidence, Ok(None));
        if !any {
            continue;
        }
        if !node.can_appraise {
            placed.cell_error(
                filled.address(r.row, col::DECISION),
                format!("tiêu chí \"{}\" không thuộc phần bạn được phân công thẩm định (hoặc không thẩm định được lúc này); để trống dòng này", r.code),
            );
            continue;
        }
        placed
            .cells
            .insert(r.code.clone(), filled.address(r.row, col::DECISION));
        if let Some(input) = appraisal_row(&filled, r, &mut placed) {
            rows.push(input);
        }
    }
    match appraise_criteria(app, on, rows, &placed.stop(), now)? {
        GridSaved::Saved { changed } => Ok(changed),
        GridSaved::Refused(errors) => {
            placed.absorb(errors);
            Err(refused(placed.messages))
        }
    }
}

/// One appraisal row from its cells, or its problem recorded.
fn appraisal_row(
    filled: &FilledSheet,
    r: &FilledRow,
    placed: &mut Placed,
) -> Option<AppraiseInput> {
    let decision = match &r.decision {
        Ok(Some("accept")) => Decision::Accept,
        Ok(Some("not_applicable")) => Decision::NotApplicable,
        Ok(Some(_)) => {
            if r.appraised.is_empty() {
                placed.cell_error(
                    filled.address(r.row, col::APPRAISED),
                    format!(
                        "tiêu chí \"{}\": chọn «Chấm lại» thì phải nhập điểm thẩm định",
                        r.code
                    ),
                );
                return None;
            }
            match cell_points(&r.appraised) {
                Ok(p) => Decision::Change(p),
                Err(e) => {
                    placed.cell_error(filled.address(r.row, col::APPRAISED), e);
                    return None;
                }
            }
        }
        Ok(None) => {
            placed.cell_error(
                filled.address(r.row, col::DECISION),
                format!("tiêu chí \"{}\": chưa chọn quyết định thẩm định", r.code),
            );
            return None;
        }
        Err(typed) => {
            placed.cell_error(
                filled.address(r.row, col::DECISION),
                format!("\"{typed}\" không có trong danh sách quyết định (Giữ điểm tự chấm, Chấm lại, Không áp dụng)"),
            );
            return None;
        }
    };
    let evidence = match &r.evidence {
        Ok(None) | Ok(Some("as_given")) => EvidenceJudgement::AsGiven,
        Ok(Some("supplemented")) => EvidenceJudgement::Supplemented,
        Ok(Some(_)) => EvidenceJudgement::Invalid,
        Err(typed) => {
            placed.cell_error(
                filled.address(r.row, col::EVIDENCE),
                format!("\"{typed}\" không có trong danh sách nhận định về tài liệu kiểm chứng"),
            );
            return None;
        }
    };
    Some(AppraiseInput {
        criterion: r.code.clone(),
        decision,
        reason: r.reason.clone(),
        evidence,
    })
}
