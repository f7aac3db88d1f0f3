//! The self-assessment and appraisal workflow (issue 6): a unit officer
//! scores each leaf criterion with evidence and an explanation and submits;
//! the submission time decides the late penalty and the lock; appraisers
//! accept or change scores of the departments assigned to them, mark
//! criteria not applicable, or ask for an explanation; the unit answers
//! (evidence supplied then is `supplemented`, capped by the profile); the
//! council approves, after which nothing changes. Every change writes an
//! audit row in the same transaction. The appraised component comes from
//! [`crate::domain::index::appraise`] on the stored data.
//!
//! Times are stored in UTC; the profile's deadlines are Vietnam local days,
//! so instants are shifted by Vietnam's UTC+7 (`domain::vietnam_time`) before the rules see them.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::access::{allows, Action, Role};
use crate::domain::index::{
    appraise, Appraisal, DossierState, Evidence, Lateness, LeafInput, LockReason, ScoreRule,
    SurveyScore,
};
use crate::domain::points::Points;
use crate::domain::profile::{CriteriaSet, Criterion, Kind, Profile};
use crate::domain::upload::FileKind;
use crate::storage::assignments;
use crate::storage::audit::{self, AuditEntry, AuditRow};
use crate::storage::campaigns::{self as campaign_store, CampaignRow};
use crate::storage::dossiers::{
    self as store, AppraisalRow, AppraisalWrite, DossierRow, EvidenceCols, SelfScoreRow,
    SelfScoreWrite,
};
use crate::storage::explanations::{self, ExplanationRow};
use crate::storage::units::{self, UnitRow};
use crate::storage::{users, DbConn};

use super::accounts::StaffUser;
use super::{profiles, App, Result, ServiceError};

pub use crate::domain::vietnam_time::{local, utc};

const DRAFT: &str = "draft";
const SUBMITTED: &str = "submitted";
const IN_EXPLANATION: &str = "in_explanation";
pub const APPROVED: &str = "approved";

pub fn state_label(state: &str) -> &'static str {
    match state {
        DRAFT => "Đang soạn",
        SUBMITTED => "Đã nộp, đang thẩm định",
        IN_EXPLANATION => "Đang giải trình",
        APPROVED => "Hội đồng đã phê duyệt",
        NO_DOSSIER => "Chưa lập hồ sơ",
        _ => "Không rõ",
    }
}

fn evidence_code(e: Evidence) -> &'static str {
    match e {
        Evidence::WithDossier => "with_dossier",
        Evidence::Supplemented => "supplemented",
        Evidence::Missing => "missing",
    }
}

fn parse_evidence(s: &str) -> Evidence {
    match s {
        "with_dossier" => Evidence::WithDossier,
        "supplemented" => Evidence::Supplemented,
        _ => Evidence::Missing,
    }
}

pub fn evidence_label(code: &str) -> &'static str {
    match code {
        "with_dossier" => "có trong hồ sơ",
        "supplemented" => "bổ sung khi giải trình",
        _ => "không có tài liệu hợp lệ",
    }
}

pub fn rule_label(rule: &ScoreRule) -> String {
    match rule {
        ScoreRule::AsAppraised => "theo điểm thẩm định".into(),
        ScoreRule::NoEvidence => "không có tài liệu kiểm chứng hợp lệ: 0 điểm".into(),
        ScoreRule::Supplemented { cap } => {
            format!("tài liệu bổ sung khi giải trình: tối đa {cap} điểm")
        }
        ScoreRule::NotApplicable => "không áp dụng: không tính vào điểm tối đa".into(),
        ScoreRule::DossierTooLate => "hồ sơ nộp quá hạn: tiêu chí hồ sơ 0 điểm".into(),
        ScoreRule::Survey | ScoreRule::SurveyFlagged | ScoreRule::SurveyWithheld => {
            "lấy từ điều tra xã hội học".into()
        }
    }
}

/// A file received for a criterion, waiting in a temporary place.
pub struct NewFile {
    pub path: PathBuf,
    /// As the browser sent it, cleaned (still to be escaped when shown).
    pub name: String,
    pub kind: FileKind,
}

/// The kinds of evidence files accepted.
pub const EVIDENCE_KINDS: [FileKind; 4] = [
    FileKind::Pdf,
    FileKind::Png,
    FileKind::Jpeg,
    FileKind::OfficeXml,
];

pub fn kind_code(k: FileKind) -> &'static str {
    match k {
        FileKind::Csv => "csv",
        FileKind::Pdf => "pdf",
        FileKind::Png => "png",
        FileKind::Jpeg => "jpeg",
        FileKind::OfficeXml => "office_xml",
    }
}

/// Where evidence files live: `data_dir/evidence/<sha256>`.
pub fn evidence_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("evidence")
}

fn io(e: std::io::Error, what: &str) -> ServiceError {
    ServiceError::Internal(format!("không lưu được tệp kiểm chứng ({what}): {e}"))
}

/// Copies a received file into the evidence directory under its SHA-256,
/// hashing the bytes as they are copied. A file with the same content is
/// kept once. Written before the database transaction: a file whose
/// transaction fails stays behind unreferenced, which is harmless.
pub fn store_evidence(dir: &Path, f: &NewFile) -> Result<EvidenceCols> {
    std::fs::create_dir_all(dir).map_err(|e| io(e, "thư mục"))?;
    let mut src = std::fs::File::open(&f.path).map_err(|e| io(e, "đọc"))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io(e, "tạo"))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = src.read(&mut buf).map_err(|e| io(e, "đọc"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n]).map_err(|e| io(e, "ghi"))?;
        size += n as u64;
    }
    tmp.as_file().sync_all().map_err(|e| io(e, "ghi"))?;
    let sha = hex::encode(hasher.finalize());
    let target = dir.join(&sha);
    if !target.exists() {
        tmp.persist(&target).map_err(|e| io(e.error, "lưu"))?;
    }
    Ok(EvidenceCols {
        sha256: Some(sha),
        name: Some(f.name.clone()),
        size: Some(size as i64),
        kind: Some(kind_code(f.kind).to_string()),
        reference: None,
    })
}

/// What a dossier is judged with: its campaign's profile and the unit's set.
struct Ctx {
    campaign: CampaignRow,
    profile: Profile,
    unit: UnitRow,
}

impl Ctx {
    fn set(&self) -> &CriteriaSet {
        // Checked in `load`.
        self.profile
            .criteria_set_for(&self.unit.unit_type)
            .expect("criteria set checked on load")
    }

    fn leaf(&self, code: &str) -> Result<&Criterion> {
        let c = self.set().get(code).ok_or_else(|| {
            ServiceError::invalid(format!("Không có tiêu chí \"{code}\" trong bộ tiêu chí."))
        })?;
        if !c.is_leaf() {
            return Err(ServiceError::invalid(format!(
                "\"{code}\" có tiêu chí con; hãy chấm từng tiêu chí con."
            )));
        }
        if c.is_survey() {
            return Err(ServiceError::invalid(format!(
                "Tiêu chí \"{code}\" lấy điểm từ điều tra xã hội học, không tự chấm, không thẩm định."
            )));
        }
        Ok(c)
    }

    fn department_name(&self, code: Option<&str>) -> String {
        match code {
            Some(c) => self
                .profile
                .department(c)
                .map(|d| d.name.clone())
                .unwrap_or_else(|| c.to_string()),
            None => "chưa phân công".into(),
        }
    }
}

fn load(app: &App, profiles_dir: &Path, campaign_id: i64, unit_id: i64) -> Result<Ctx> {
    let mut conn = app.conn()?;
    let campaign = campaign_store::get(&mut conn, campaign_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("Không có đợt đánh giá {campaign_id}.")))?;
    let unit = units::by_id(&mut conn, unit_id)?
        .ok_or_else(|| ServiceError::NotFound("Không có đơn vị này.".into()))?;
    drop(conn);
    let code = campaign.profile_code.clone().ok_or_else(|| {
        ServiceError::invalid(
            "Đợt này chưa gắn bộ quy tắc của tỉnh (profile): chưa có bộ tiêu chí để tự chấm.",
        )
    })?;
    let profile = profiles::find(profiles_dir, &code)?.profile;
    if profile.criteria_set_for(&unit.unit_type).is_none() {
        return Err(ServiceError::invalid(format!(
            "Bộ quy tắc {} không có bộ tiêu chí cho loại đơn vị \"{}\".",
            profile.code, unit.unit_type
        )));
    }
    Ok(Ctx {
        campaign,
        profile,
        unit,
    })
}

fn forbidden(msg: impl Into<String>) -> ServiceError {
    ServiceError::Forbidden(msg.into())
}

fn approved_error(d: &DossierRow) -> ServiceError {
    let when = d
        .approved_at
        .map(|t| local(t).format(" ngày %d/%m/%Y %H:%M").to_string())
        .unwrap_or_default();
    ServiceError::invalid(format!(
        "Hội đồng thẩm định đã phê duyệt kết quả{when}: không thay đổi điểm và không nhận giải trình thêm."
    ))
}

fn lock_message(profile: &Profile, reason: LockReason) -> String {
    let deadline = profile
        .dossier_deadline()
        .map(|d| {
            let eff = profile.calendar.effective_deadline(d);
            if eff == d {
                d.format("%d/%m/%Y").to_string()
            } else {
                format!(
                    "{} (rơi vào ngày nghỉ nên dời sang {})",
                    d.format("%d/%m/%Y"),
                    eff.format("%d/%m/%Y")
                )
            }
        })
        .unwrap_or_default();
    match reason {
        LockReason::Submitted => format!(
            "Hồ sơ đã nộp và đã qua hạn {deadline}: hồ sơ đã khóa, không sửa được nữa."
        ),
        LockReason::DeadlinePassed => format!(
            "Đã quá hạn nộp hồ sơ {deadline} và hết thời gian gia hạn: hồ sơ đã khóa, không nhận tự chấm và không nộp được nữa."
        ),
    }
}

/// The dossier's lock at `now` (UTC), per the profile.
fn dossier_state(profile: &Profile, d: Option<&DossierRow>, now: NaiveDateTime) -> DossierState {
    profile
        .dossier_state(d.and_then(|d| d.submitted_at).map(local), local(now))
        .unwrap_or(DossierState::Open {
            late_days: 0,
            penalty: Points::ZERO,
        })
}

/// How late the dossier is: from its submission, or, unsubmitted and locked,
/// from `now` (past the grace days: the dossier criterion scores 0).
fn lateness_of(profile: &Profile, d: Option<&DossierRow>, now: NaiveDateTime) -> Lateness {
    match d.and_then(|d| d.submitted_at) {
        Some(s) => profile.lateness(local(s)),
        None if dossier_state(profile, d, now).is_locked() => profile.lateness(local(now)),
        None => Lateness::OnTime,
    }
}

fn fmt_points(micro: i64) -> String {
    Points::from_micro(micro).to_string()
}

fn check_points(c: &Criterion, p: Points) -> Result<()> {
    if p.is_negative() {
        return Err(ServiceError::invalid(format!(
            "Tiêu chí \"{}\": điểm không được âm.",
            c.code
        )));
    }
    if p > c.max {
        return Err(ServiceError::invalid(format!(
            "Tiêu chí \"{}\": {p} điểm vượt điểm tối đa {}.",
            c.code, c.max
        )));
    }
    Ok(())
}

/// One audit row's content.
struct Change<'a> {
    criterion: Option<&'a str>,
    action: &'a str,
    old: Option<&'a str>,
    new: Option<&'a str>,
    reason: Option<&'a str>,
}

fn append(
    conn: &mut DbConn,
    d: &DossierRow,
    who: &StaffUser,
    now: NaiveDateTime,
    c: Change<'_>,
) -> Result<()> {
    audit::append(
        conn,
        &AuditEntry {
            dossier_id: d.id,
            criterion: c.criterion,
            actor_id: who.id,
            at: now,
            action: c.action,
            old_value: c.old,
            new_value: c.new,
            reason: c.reason,
        },
    )?;
    Ok(())
}

/// Reads the dossier again inside the transaction, so checks see what the
/// write will change.
fn current(conn: &mut DbConn, campaign_id: i64, unit_id: i64) -> Result<Option<DossierRow>> {
    Ok(store::find(conn, campaign_id, unit_id)?)
}

/// Inside a transaction: takes the dossier's row first (a write, so
/// PostgreSQL serialises concurrent changes on it and SQLite takes its write
/// lock at once), then reads it. An approval and an appraisal racing each
/// other cannot both see the dossier open.
fn locked(conn: &mut DbConn, campaign_id: i64, unit_id: i64) -> Result<Option<DossierRow>> {
    store::touch(conn, campaign_id, unit_id)?;
    current(conn, campaign_id, unit_id)
}

/// Where a call acts: the files it reads and writes, who acts, and on
/// which unit's dossier of which campaign.
pub struct On<'a> {
    pub profiles_dir: &'a Path,
    pub data_dir: &'a Path,
    pub who: &'a StaffUser,
    pub campaign_id: i64,
    pub unit_id: i64,
}

// ---------------------------------------------------------------- unit

pub struct SelfScoreInput {
    pub criterion: String,
    pub points: Points,
    pub explanation: String,
    /// A new file replaces the one kept; without one the kept file stays.
    pub file: Option<NewFile>,
    /// A document reference (number, date, issuer); empty means none.
    pub reference: String,
}

fn require_officer(who: &StaffUser, unit_id: i64) -> Result<()> {
    if allows(who.actor(), Action::EditDossier(unit_id)) {
        Ok(())
    } else {
        Err(forbidden(
            "Chỉ cán bộ của đơn vị được tự chấm và giải trình hồ sơ của đơn vị.",
        ))
    }
}

fn submitted_message(d: &DossierRow, why: &str) -> ServiceError {
    let when = d
        .submitted_at
        .map(|t| local(t).format("%d/%m/%Y %H:%M").to_string())
        .unwrap_or_default();
    ServiceError::invalid(format!(
        "Hồ sơ đã nộp lúc {when}{why}; khi được yêu cầu, đơn vị giải trình và bổ sung tài liệu."
    ))
}

/// Whether the unit may still change its self-scores: a draft, or a
/// submitted dossier before the deadline day is over and before any
/// appraisal (the regulation locks submitted dossiers at 23:59 of the
/// deadline day), and never past the lock.
fn check_editable(
    conn: &mut DbConn,
    ctx: &Ctx,
    d: Option<&DossierRow>,
    now: NaiveDateTime,
) -> Result<()> {
    if let Some(d) = d {
        match d.state.as_str() {
            APPROVED => return Err(approved_error(d)),
            DRAFT => {}
            SUBMITTED if store::appraisals(conn, d.id)?.is_empty() => {}
            _ => {
                return Err(submitted_message(
                    d,
                    " và đang được thẩm định: không sửa điểm tự chấm được nữa",
                ))
            }
        }
    }
    if let DossierState::Locked { reason } = dossier_state(&ctx.profile, d, now) {
        return Err(ServiceError::invalid(lock_message(&ctx.profile, reason)));
    }
    Ok(())
}

/// Whether the unit may submit: a draft not yet locked.
fn check_submittable(ctx: &Ctx, d: Option<&DossierRow>, now: NaiveDateTime) -> Result<()> {
    if let Some(d) = d {
        if d.state == APPROVED {
            return Err(approved_error(d));
        }
        if d.state != DRAFT {
            return Err(submitted_message(d, ": mỗi hồ sơ nộp một lần"));
        }
    }
    if let DossierState::Locked { reason } = dossier_state(&ctx.profile, d, now) {
        return Err(ServiceError::invalid(lock_message(&ctx.profile, reason)));
    }
    Ok(())
}

/// The unit officer enters (or replaces) the self-score of one criterion.
pub fn save_self_score(
    app: &App,
    on: &On<'_>,
    input: SelfScoreInput,
    now: NaiveDateTime,
) -> Result<()> {
    let On {
        profiles_dir,
        data_dir,
        who,
        campaign_id,
        unit_id,
        ..
    } = *on;
    require_officer(who, unit_id)?;
    let ctx = load(app, profiles_dir, campaign_id, unit_id)?;
    let c = ctx.leaf(&input.criterion)?.clone();
    check_points(&c, input.points)?;
    let explanation = input.explanation.trim().to_string();
    if explanation.chars().count() > 10_000 {
        return Err(ServiceError::invalid(
            "Phần giải thích dài quá 10.000 ký tự.",
        ));
    }
    let reference = input.reference.trim().to_string();
    if reference.chars().count() > 1_000 {
        return Err(ServiceError::invalid(
            "Số, ký hiệu văn bản dài quá 1.000 ký tự.",
        ));
    }
    // Refuse early, before a file is copied.
    {
        let mut conn = app.conn()?;
        let d = current(&mut conn, campaign_id, unit_id)?;
        check_editable(&mut conn, &ctx, d.as_ref(), now)?;
    }
    let file = match &input.file {
        Some(f) => Some(store_evidence(&evidence_dir(data_dir), f)?),
        None => None,
    };
    let mut conn = app.writer()?;
    store::transaction(&mut conn, |conn| {
        let existing = locked(conn, campaign_id, unit_id)?;
        check_editable(conn, &ctx, existing.as_ref(), now)?;
        let d = store::get_or_create(conn, campaign_id, unit_id, now)?;
        let old = store::self_scores(conn, d.id)?
            .into_iter()
            .find(|s| s.criterion == c.code);
        let mut evidence = match (&file, &old) {
            (Some(f), _) => f.clone(),
            (None, Some(o)) => o.evidence(),
            (None, None) => EvidenceCols::default(),
        };
        evidence.reference = (!reference.is_empty()).then(|| reference.clone());
        store::put_self_score(
            conn,
            &SelfScoreWrite {
                dossier_id: d.id,
                criterion: &c.code,
                points_micro: input.points.micro(),
                explanation: &explanation,
                evidence: &evidence,
                by: who.id,
                now,
            },
        )?;
        let old_value = old.as_ref().map(|o| fmt_points(o.points_micro));
        append(
            conn,
            &d,
            who,
            now,
            Change {
                criterion: Some(&c.code),
                action: "self_score",
                old: old_value.as_deref(),
                new: Some(&input.points.to_string()),
                reason: None,
            },
        )?;
        if file.is_some() || old.as_ref().map(|o| o.evidence()) != Some(evidence.clone()) {
            let describe = |e: &EvidenceCols| {
                let mut parts = Vec::new();
                if let (Some(name), Some(sha)) = (&e.name, &e.sha256) {
                    parts.push(format!("{name} (SHA-256 {sha})"));
                }
                if let Some(r) = &e.reference {
                    parts.push(r.clone());
                }
                parts.join("; ")
            };
            let old_e = old.as_ref().map(|o| describe(&o.evidence()));
            append(
                conn,
                &d,
                who,
                now,
                Change {
                    criterion: Some(&c.code),
                    action: "self_evidence",
                    old: old_e.as_deref().filter(|s| !s.is_empty()),
                    new: Some(describe(&evidence))
                        .as_deref()
                        .filter(|s| !s.is_empty()),
                    reason: None,
                },
            )?;
        }
        Ok(())
    })
}

/// The unit officer submits the dossier; the moment decides the penalty.
pub fn submit(app: &App, on: &On<'_>, now: NaiveDateTime) -> Result<Lateness> {
    let On {
        profiles_dir,
        who,
        campaign_id,
        unit_id,
        ..
    } = *on;
    require_officer(who, unit_id)?;
    let ctx = load(app, profiles_dir, campaign_id, unit_id)?;
    let mut conn = app.writer()?;
    store::transaction(&mut conn, |conn| {
        let existing = locked(conn, campaign_id, unit_id)?;
        check_submittable(&ctx, existing.as_ref(), now)?;
        let d = store::get_or_create(conn, campaign_id, unit_id, now)?;
        let scored: Vec<String> = store::self_scores(conn, d.id)?
            .into_iter()
            .map(|s| s.criterion)
            .collect();
        let missing: Vec<String> = ctx
            .set()
            .leaves()
            .filter(|l| l.kind == Kind::Regular && !l.is_survey())
            .filter(|l| !scored.contains(&l.code))
            .map(|l| format!("Tiêu chí \"{}\" ({}) chưa tự chấm.", l.code, l.name))
            .collect();
        if !missing.is_empty() {
            return Err(ServiceError::Invalid(missing));
        }
        store::mark_submitted(conn, d.id, now)?;
        let lateness = ctx.profile.lateness(local(now));
        let note = match lateness {
            Lateness::OnTime => "đúng hạn".to_string(),
            Lateness::Late { days, penalty } => format!("muộn {days} ngày, trừ {penalty} điểm"),
            Lateness::TooLate { days } => format!("muộn {days} ngày, quá thời gian gia hạn"),
        };
        append(
            conn,
            &d,
            who,
            now,
            Change {
                criterion: None,
                action: "submit",
                old: Some(DRAFT),
                new: Some(SUBMITTED),
                reason: Some(&note),
            },
        )?;
        Ok(lateness)
    })
}

pub struct AnswerInput {
    pub request_id: i64,
    pub answer: String,
    pub file: Option<NewFile>,
    pub reference: String,
}

/// The unit answers a request to explain; evidence given with the answer
/// makes the criterion's evidence `supplemented`.
pub fn answer_explanation(
    app: &App,
    on: &On<'_>,
    input: AnswerInput,
    now: NaiveDateTime,
) -> Result<()> {
    let On {
        profiles_dir,
        data_dir,
        who,
        campaign_id,
        unit_id,
        ..
    } = *on;
    require_officer(who, unit_id)?;
    let ctx = load(app, profiles_dir, campaign_id, unit_id)?;
    let answer = input.answer.trim().to_string();
    if answer.is_empty() {
        return Err(ServiceError::invalid(
            "Nội dung giải trình không được để trống.",
        ));
    }
    if answer.chars().count() > 10_000 {
        return Err(ServiceError::invalid(
            "Nội dung giải trình dài quá 10.000 ký tự.",
        ));
    }
    let reference = input.reference.trim().to_string();
    if reference.chars().count() > 1_000 {
        return Err(ServiceError::invalid(
            "Số, ký hiệu văn bản dài quá 1.000 ký tự.",
        ));
    }
    let check = |d: Option<&DossierRow>| -> Result<DossierRow> {
        let d = d.ok_or_else(|| ServiceError::invalid("Đơn vị chưa có hồ sơ."))?;
        if d.state == APPROVED {
            return Err(approved_error(d));
        }
        if d.state != IN_EXPLANATION {
            return Err(ServiceError::invalid(
                "Hồ sơ không ở vòng giải trình: chỉ giải trình khi thẩm định viên yêu cầu.",
            ));
        }
        Ok(d.clone())
    };
    check(current(&mut *app.conn()?, campaign_id, unit_id)?.as_ref())?;
    let file = match &input.file {
        Some(f) => Some(store_evidence(&evidence_dir(data_dir), f)?),
        None => None,
    };
    let mut conn = app.writer()?;
    store::transaction(&mut conn, |conn| {
        let d = check(locked(conn, campaign_id, unit_id)?.as_ref())?;
        let req = explanations::of_dossier(conn, d.id)?
            .into_iter()
            .find(|r| r.id == input.request_id)
            .ok_or_else(|| ServiceError::NotFound("Không có yêu cầu giải trình này.".into()))?;
        let mut evidence = file.clone().unwrap_or_default();
        evidence.reference = (!reference.is_empty()).then(|| reference.clone());
        // The evidence status before this answer.
        let appraised = store::appraisals(conn, d.id)?
            .into_iter()
            .find(|a| a.criterion == req.criterion);
        let has_appraisal = appraised.is_some();
        let old_status = match appraised {
            Some(a) => a.evidence,
            None => {
                let own = store::self_scores(conn, d.id)?
                    .into_iter()
                    .find(|s| s.criterion == req.criterion);
                let answers = explanations::of_dossier(conn, d.id)?;
                evidence_code(derived_evidence(&req.criterion, own.as_ref(), &answers)).to_string()
            }
        };
        if !explanations::answer(conn, req.id, &answer, &evidence, who.id, now)? {
            return Err(ServiceError::invalid(
                "Yêu cầu này đã được giải trình; mỗi yêu cầu nhận một lần trả lời.",
            ));
        }
        append(
            conn,
            &d,
            who,
            now,
            Change {
                criterion: Some(&req.criterion),
                action: "explanation_answer",
                old: None,
                new: Some(&answer),
                reason: None,
            },
        )?;
        if evidence.is_some() && old_status != "supplemented" {
            if has_appraisal {
                store::set_appraisal_evidence(conn, d.id, &req.criterion, "supplemented", now)?;
            }
            let reason = format!(
                "tài liệu bổ sung khi giải trình: tối đa {} % điểm của mức đạt",
                (ctx.profile.appraisal.supplement_factor.to_f64() * 100.0).round()
            );
            append(
                conn,
                &d,
                who,
                now,
                Change {
                    criterion: Some(&req.criterion),
                    action: "evidence_status",
                    old: Some(&old_status),
                    new: Some("supplemented"),
                    reason: Some(&reason),
                },
            )?;
        }
        Ok(())
    })
}

// ---------------------------------------------------------------- appraisers

/// What the appraiser decides for one criterion.
pub enum Decision {
    /// The unit's self-score stands.
    Accept,
    /// Another score; the reason is required when it differs from the unit's.
    Change(Points),
    /// The criterion does not apply to the unit; its maximum leaves P.
    NotApplicable,
}

pub struct AppraiseInput {
    pub criterion: String,
    pub decision: Decision,
    pub reason: String,
    /// The appraiser finds the evidence given not valid (→ 0 where required).
    pub evidence_invalid: bool,
}

/// The departments whose criteria `who` appraises in a campaign.
pub fn assigned_departments(app: &App, who: &StaffUser, campaign_id: i64) -> Result<Vec<String>> {
    Ok(assignments::departments_of(
        &mut *app.conn()?,
        campaign_id,
        who.id,
    )?)
}

/// An appraiser reads the dossiers of a campaign only once assigned to one
/// of its departments there; other roles are scoped by `access::allows`.
pub fn may_read_dossiers(app: &App, who: &StaffUser, campaign_id: i64) -> Result<()> {
    if who.role == crate::domain::access::Role::Appraiser
        && assigned_departments(app, who, campaign_id)?.is_empty()
    {
        return Err(forbidden(
            "Thẩm định viên chỉ xem hồ sơ của đợt có lĩnh vực được phân công.",
        ));
    }
    Ok(())
}

fn require_assigned(conn: &mut DbConn, ctx: &Ctx, who: &StaffUser, c: &Criterion) -> Result<()> {
    if !allows(who.actor(), Action::Appraise) {
        return Err(forbidden("Chỉ thẩm định viên được thẩm định."));
    }
    let mine = assignments::departments_of(conn, ctx.campaign.id, who.id)?;
    match &c.department {
        Some(dep) if mine.contains(dep) => Ok(()),
        // A criterion the profile gives no department (e.g. a bonus item)
        // is for any appraiser working on the campaign.
        None if !mine.is_empty() => Ok(()),
        dep => Err(forbidden(format!(
            "Tiêu chí \"{}\" do {} thẩm định; tài khoản này chưa được phân công lĩnh vực đó.",
            c.code,
            ctx.department_name(dep.as_deref())
        ))),
    }
}

fn check_appraisable(d: Option<&DossierRow>) -> Result<DossierRow> {
    let d =
        d.ok_or_else(|| ServiceError::invalid("Đơn vị chưa nộp hồ sơ: chưa thẩm định được."))?;
    match d.state.as_str() {
        APPROVED => Err(approved_error(d)),
        DRAFT => Err(ServiceError::invalid(
            "Đơn vị chưa nộp hồ sơ: chưa thẩm định được.",
        )),
        _ => Ok(d.clone()),
    }
}

/// The evidence status from what the unit gave: supplemented when an
/// answered explanation carried evidence, with the dossier when the
/// self-score had some, else missing.
fn derived_evidence(
    code: &str,
    own: Option<&SelfScoreRow>,
    answers: &[ExplanationRow],
) -> Evidence {
    let supplemented = answers
        .iter()
        .any(|e| e.criterion == code && e.answered_at.is_some() && e.evidence().is_some());
    if supplemented {
        Evidence::Supplemented
    } else if own.is_some_and(|s| s.evidence().is_some()) {
        Evidence::WithDossier
    } else {
        Evidence::Missing
    }
}

fn appraisal_value(a: &AppraisalRow) -> String {
    if a.not_applicable {
        "không áp dụng".into()
    } else {
        a.points_micro.map(fmt_points).unwrap_or_default()
    }
}

/// The appraiser decides on one criterion of a submitted dossier.
pub fn appraise_criterion(
    app: &App,
    on: &On<'_>,
    input: AppraiseInput,
    now: NaiveDateTime,
) -> Result<()> {
    let On {
        profiles_dir,
        who,
        campaign_id,
        unit_id,
        ..
    } = *on;
    let ctx = load(app, profiles_dir, campaign_id, unit_id)?;
    let c = ctx.leaf(&input.criterion)?.clone();
    let reason = input.reason.trim().to_string();
    let mut conn = app.writer()?;
    store::transaction(&mut conn, |conn| {
        require_assigned(conn, &ctx, who, &c)?;
        let d = check_appraisable(locked(conn, campaign_id, unit_id)?.as_ref())?;
        let own = store::self_scores(conn, d.id)?
            .into_iter()
            .find(|s| s.criterion == c.code);
        let answers = explanations::of_dossier(conn, d.id)?;
        let old = store::appraisals(conn, d.id)?
            .into_iter()
            .find(|a| a.criterion == c.code);
        let (points, not_applicable) = match input.decision {
            Decision::Accept => {
                let own = own.as_ref().ok_or_else(|| {
                    ServiceError::invalid(format!(
                        "Tiêu chí \"{}\": đơn vị không tự chấm; hãy nhập điểm thẩm định và lý do.",
                        c.code
                    ))
                })?;
                (Some(own.points_micro), false)
            }
            Decision::Change(p) => {
                check_points(&c, p)?;
                if own.as_ref().map(|o| o.points_micro) != Some(p.micro()) && reason.is_empty() {
                    let own_txt = own
                        .as_ref()
                        .map(|o| format!("điểm tự chấm {}", fmt_points(o.points_micro)))
                        .unwrap_or_else(|| "đơn vị không tự chấm".into());
                    return Err(ServiceError::invalid(format!(
                        "Tiêu chí \"{}\": điểm thẩm định {p} khác {own_txt} nên phải ghi lý do.",
                        c.code
                    )));
                }
                (Some(p.micro()), false)
            }
            Decision::NotApplicable => {
                if c.kind != Kind::Regular {
                    return Err(ServiceError::invalid(format!(
                        "\"{}\" là điểm thưởng/điểm trừ: không có trường hợp không áp dụng, hãy chấm 0.",
                        c.code
                    )));
                }
                if reason.is_empty() {
                    return Err(ServiceError::invalid(format!(
                        "Tiêu chí \"{}\": ghi lý do không áp dụng (chưa được cấp trên chỉ đạo hoặc không phù hợp với đơn vị).",
                        c.code
                    )));
                }
                (None, true)
            }
        };
        let evidence = if input.evidence_invalid {
            Evidence::Missing
        } else {
            derived_evidence(&c.code, own.as_ref(), &answers)
        };
        if input.evidence_invalid && reason.is_empty() {
            return Err(ServiceError::invalid(format!(
                "Tiêu chí \"{}\": ghi lý do tài liệu kiểm chứng không hợp lệ.",
                c.code
            )));
        }
        let new = AppraisalRow {
            criterion: c.code.clone(),
            points_micro: points,
            evidence: evidence_code(evidence).to_string(),
            not_applicable,
            reason: reason.clone(),
            appraiser_id: who.id,
            updated_at: now,
        };
        store::put_appraisal(
            conn,
            &AppraisalWrite {
                dossier_id: d.id,
                criterion: &c.code,
                points_micro: points,
                evidence: &new.evidence,
                not_applicable,
                reason: &reason,
                by: who.id,
                now,
            },
        )?;
        let old_value = old.as_ref().map(appraisal_value).or_else(|| {
            own.as_ref()
                .map(|o| format!("tự chấm {}", fmt_points(o.points_micro)))
        });
        let action = if not_applicable {
            "not_applicable"
        } else {
            "appraise"
        };
        append(
            conn,
            &d,
            who,
            now,
            Change {
                criterion: Some(&c.code),
                action,
                old: old_value.as_deref(),
                new: Some(&appraisal_value(&new)),
                reason: Some(reason.as_str()).filter(|r| !r.is_empty()),
            },
        )?;
        let old_evidence = old.as_ref().map(|o| o.evidence.clone()).unwrap_or_else(|| {
            evidence_code(derived_evidence(&c.code, own.as_ref(), &answers)).into()
        });
        if old_evidence != new.evidence {
            append(
                conn,
                &d,
                who,
                now,
                Change {
                    criterion: Some(&c.code),
                    action: "evidence_status",
                    old: Some(&old_evidence),
                    new: Some(&new.evidence),
                    reason: Some(reason.as_str()).filter(|r| !r.is_empty()),
                },
            )?;
        }
        Ok(())
    })
}

/// The appraiser asks the unit to explain a criterion or add evidence.
pub fn request_explanation(
    app: &App,
    on: &On<'_>,
    criterion: &str,
    request: &str,
    now: NaiveDateTime,
) -> Result<()> {
    let On {
        profiles_dir,
        who,
        campaign_id,
        unit_id,
        ..
    } = *on;
    let ctx = load(app, profiles_dir, campaign_id, unit_id)?;
    let c = ctx.leaf(criterion)?.clone();
    let request = request.trim().to_string();
    if request.is_empty() {
        return Err(ServiceError::invalid(
            "Ghi nội dung cần giải trình hoặc tài liệu cần bổ sung.",
        ));
    }
    if request.chars().count() > 10_000 {
        return Err(ServiceError::invalid(
            "Nội dung yêu cầu giải trình dài quá 10.000 ký tự.",
        ));
    }
    let mut conn = app.writer()?;
    store::transaction(&mut conn, |conn| {
        require_assigned(conn, &ctx, who, &c)?;
        let d = check_appraisable(locked(conn, campaign_id, unit_id)?.as_ref())?;
        explanations::insert_request(conn, d.id, &c.code, &request, who.id, now)?;
        if d.state != IN_EXPLANATION {
            store::set_state(conn, d.id, IN_EXPLANATION, now)?;
        }
        append(
            conn,
            &d,
            who,
            now,
            Change {
                criterion: Some(&c.code),
                action: "explanation_request",
                old: Some(&d.state),
                new: Some(IN_EXPLANATION),
                reason: Some(&request),
            },
        )?;
        Ok(())
    })
}

// ---------------------------------------------------------------- admin

/// The administrator assigns an appraiser to a department's criteria.
pub fn assign(
    app: &App,
    who: &StaffUser,
    campaign_id: i64,
    profiles_dir: &Path,
    username: &str,
    department: &str,
    now: NaiveDateTime,
) -> Result<bool> {
    if !allows(who.actor(), Action::AssignAppraisers) {
        return Err(forbidden("Chỉ quản trị được phân công thẩm định."));
    }
    let mut conn = app.writer()?;
    let campaign = campaign_store::get(&mut conn, campaign_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("Không có đợt đánh giá {campaign_id}.")))?;
    let code = campaign
        .profile_code
        .clone()
        .ok_or_else(|| ServiceError::invalid("Đợt này chưa gắn bộ quy tắc của tỉnh (profile)."))?;
    let profile = profiles::find(profiles_dir, &code)?.profile;
    if profile.department(department).is_none() {
        return Err(ServiceError::invalid(format!(
            "Bộ quy tắc {} không có cơ quan thẩm định \"{department}\".",
            profile.code
        )));
    }
    let user = users::by_username(&mut conn, username.trim())?.ok_or_else(|| {
        ServiceError::invalid(format!("Không có tài khoản \"{}\".", username.trim()))
    })?;
    if Role::parse(&user.role) != Some(Role::Appraiser) || user.disabled {
        return Err(ServiceError::invalid(format!(
            "Tài khoản \"{}\" không phải thẩm định viên đang hoạt động.",
            user.username
        )));
    }
    Ok(assignments::assign(
        &mut conn,
        campaign_id,
        user.id,
        department,
        who.id,
        now,
    )?)
}

/// The council approves a dossier's appraisal; nothing changes after it.
pub fn approve(app: &App, on: &On<'_>, now: NaiveDateTime) -> Result<()> {
    let On {
        profiles_dir,
        who,
        campaign_id,
        unit_id,
        ..
    } = *on;
    if !allows(who.actor(), Action::ApproveAppraisal) {
        return Err(forbidden(
            "Chỉ Hội đồng thẩm định (quản trị) được phê duyệt.",
        ));
    }
    let ctx = load(app, profiles_dir, campaign_id, unit_id)?;
    let mut conn = app.writer()?;
    store::transaction(&mut conn, |conn| {
        let d = check_appraisable(locked(conn, campaign_id, unit_id)?.as_ref())?;
        let done: Vec<String> = store::appraisals(conn, d.id)?
            .into_iter()
            .map(|a| a.criterion)
            .collect();
        let missing: Vec<String> = ctx
            .set()
            .leaves()
            .filter(|l| l.kind == Kind::Regular && !l.is_survey())
            .filter(|l| !done.contains(&l.code))
            .map(|l| format!("Tiêu chí \"{}\" ({}) chưa được thẩm định.", l.code, l.name))
            .collect();
        if !missing.is_empty() {
            return Err(ServiceError::Invalid(missing));
        }
        store::mark_approved(conn, d.id, who.id, now)?;
        append(
            conn,
            &d,
            who,
            now,
            Change {
                criterion: None,
                action: "approve",
                old: Some(&d.state),
                new: Some(APPROVED),
                reason: None,
            },
        )?;
        Ok(())
    })
}

// ---------------------------------------------------------------- reading

/// The domain's inputs for each leaf, from what is stored: the appraisal
/// where there is one, else the self-score as it stands (provisional),
/// else nothing (0, evidence missing). Survey leaves are withheld here: the
/// survey component is merged with the index, not with the appraisal.
fn leaf_inputs(
    set: &CriteriaSet,
    own: &[SelfScoreRow],
    done: &[AppraisalRow],
    answers: &[ExplanationRow],
) -> BTreeMap<String, LeafInput> {
    let mut inputs = BTreeMap::new();
    for leaf in set.leaves() {
        let code = leaf.code.clone();
        let mine = own.iter().find(|s| s.criterion == code);
        let input = if leaf.is_survey() {
            LeafInput::Survey(SurveyScore::Withheld { short: vec![] })
        } else if let Some(a) = done.iter().find(|a| a.criterion == code) {
            if a.not_applicable {
                LeafInput::NotApplicable
            } else {
                LeafInput::Appraised {
                    points: Points::from_micro(a.points_micro.unwrap_or(0)),
                    evidence: parse_evidence(&a.evidence),
                }
            }
        } else if let Some(s) = mine {
            LeafInput::Appraised {
                points: Points::from_micro(s.points_micro),
                evidence: derived_evidence(&code, Some(s), answers),
            }
        } else if leaf.kind == Kind::Regular {
            LeafInput::Appraised {
                points: Points::ZERO,
                evidence: Evidence::Missing,
            }
        } else {
            continue;
        };
        inputs.insert(code, input);
    }
    inputs
}

/// Everything stored about a dossier.
struct Stored {
    dossier: Option<DossierRow>,
    own: Vec<SelfScoreRow>,
    done: Vec<AppraisalRow>,
    answers: Vec<ExplanationRow>,
    history: Vec<AuditRow>,
}

fn stored(app: &App, campaign_id: i64, unit_id: i64) -> Result<Stored> {
    stored_with(app, campaign_id, unit_id, true)
}

/// What the scores need, without the audit history (the index reads every
/// unit's dossier; only the dossier page shows the history).
fn stored_scores(app: &App, campaign_id: i64, unit_id: i64) -> Result<Stored> {
    stored_with(app, campaign_id, unit_id, false)
}

fn stored_with(app: &App, campaign_id: i64, unit_id: i64, history: bool) -> Result<Stored> {
    let mut conn = app.conn()?;
    let dossier = store::find(&mut conn, campaign_id, unit_id)?;
    let Some(d) = &dossier else {
        return Ok(Stored {
            dossier,
            own: vec![],
            done: vec![],
            answers: vec![],
            history: vec![],
        });
    };
    Ok(Stored {
        own: store::self_scores(&mut conn, d.id)?,
        done: store::appraisals(&mut conn, d.id)?,
        answers: explanations::of_dossier(&mut conn, d.id)?,
        history: if history {
            audit::of_dossier(&mut conn, d.id)?
        } else {
            vec![]
        },
        dossier,
    })
}

fn compute(ctx: &Ctx, s: &Stored, now: NaiveDateTime) -> Result<Appraisal> {
    compute_for(&ctx.profile, ctx.set(), s, now, None)
}

/// The domain's appraisal of stored data. `survey` scores the survey
/// criteria (one missing from it is withheld); without it they all are,
/// which is the appraisal on its own.
fn compute_for(
    profile: &Profile,
    set: &CriteriaSet,
    s: &Stored,
    now: NaiveDateTime,
    survey: Option<&BTreeMap<String, SurveyScore>>,
) -> Result<Appraisal> {
    let mut inputs = leaf_inputs(set, &s.own, &s.done, &s.answers);
    if let Some(survey) = survey {
        for (code, input) in inputs.iter_mut() {
            if let LeafInput::Survey(_) = input {
                *input = LeafInput::Survey(
                    survey
                        .get(code)
                        .cloned()
                        .unwrap_or(SurveyScore::Withheld { short: vec![] }),
                );
            }
        }
    }
    let lateness = lateness_of(profile, s.dossier.as_ref(), now);
    appraise(profile, set, &inputs, lateness)
        .map_err(|errs| ServiceError::Invalid(errs.into_iter().map(|e| e.to_string()).collect()))
}

/// The unit's appraisal from the stored data, through
/// [`crate::domain::index::appraise`]: per-leaf scores with the rule that
/// decided each, and the components (the appraised one among them).
pub fn appraised(
    app: &App,
    profiles_dir: &Path,
    campaign_id: i64,
    unit_id: i64,
    now: NaiveDateTime,
) -> Result<Appraisal> {
    let ctx = load(app, profiles_dir, campaign_id, unit_id)?;
    let s = stored(app, campaign_id, unit_id)?;
    compute(&ctx, &s, now)
}

/// The unit's self-scores by criterion (none without a dossier).
pub fn self_scores(app: &App, campaign_id: i64, unit_id: i64) -> Result<BTreeMap<String, Points>> {
    let s = stored_scores(app, campaign_id, unit_id)?;
    Ok(s.own
        .iter()
        .map(|o| (o.criterion.clone(), Points::from_micro(o.points_micro)))
        .collect())
}

/// The dossier state of a unit that never opened one.
pub const NO_DOSSIER: &str = "none";

/// The unit's appraisal with its survey criteria scored as `survey` says
/// (a criterion missing from it is withheld): the whole index of the unit,
/// under a profile the caller has loaded once for every unit. Also the
/// dossier's state ([`NO_DOSSIER`] without a dossier).
pub fn appraised_with_survey(
    app: &App,
    profile: &Profile,
    campaign_id: i64,
    unit: &UnitRow,
    now: NaiveDateTime,
    survey: &BTreeMap<String, SurveyScore>,
) -> Result<(Appraisal, String)> {
    let set = profile.criteria_set_for(&unit.unit_type).ok_or_else(|| {
        ServiceError::invalid(format!(
            "Bộ quy tắc {} không có bộ tiêu chí cho loại đơn vị \"{}\".",
            profile.code, unit.unit_type
        ))
    })?;
    let s = stored_scores(app, campaign_id, unit.id)?;
    let a = compute_for(profile, set, &s, now, Some(survey))?;
    let state = s
        .dossier
        .map(|d| d.state)
        .unwrap_or_else(|| NO_DOSSIER.to_string());
    Ok((a, state))
}

#[derive(Debug, Clone, Serialize)]
pub struct EvidenceView {
    pub sha256: Option<String>,
    pub name: Option<String>,
    pub kib: Option<i64>,
    pub kind: Option<String>,
    pub reference: Option<String>,
}

fn evidence_view(e: &EvidenceCols) -> Option<EvidenceView> {
    e.is_some().then(|| EvidenceView {
        sha256: e.sha256.clone(),
        name: e.name.clone(),
        kib: e.size.map(|s| (s + 1023) / 1024),
        kind: e.kind.clone(),
        reference: e.reference.clone(),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ExplanationView {
    pub id: i64,
    pub request: String,
    pub requested_at: String,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
    pub evidence: Option<EvidenceView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeView {
    pub code: String,
    pub label: String,
    pub name: String,
    pub depth: usize,
    pub max: String,
    pub leaf: bool,
    pub survey: bool,
    pub kind: Kind,
    pub needs_evidence: bool,
    pub department: String,
    pub self_points: Option<String>,
    pub explanation: Option<String>,
    pub evidence: Option<EvidenceView>,
    pub appraised: bool,
    pub appraisal_reason: Option<String>,
    pub evidence_status: Option<&'static str>,
    /// The score after the rules (None when not applicable or survey).
    pub score: Option<String>,
    pub rule: Option<String>,
    pub explanations: Vec<ExplanationView>,
    /// The viewer may appraise this criterion now.
    pub can_appraise: bool,
    /// The viewer (the unit) may answer a request on it now.
    pub can_answer: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryView {
    pub at: String,
    pub actor: String,
    pub criterion: Option<String>,
    pub action: &'static str,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
}

/// A stored audit value as the page shows it: states and evidence statuses
/// are kept as codes and shown in Vietnamese.
fn value_label(action: &str, value: &str) -> String {
    match action {
        "submit" | "explanation_request" | "approve" => state_label(value).to_string(),
        "evidence_status" => evidence_label(value).to_string(),
        _ => value.to_string(),
    }
}

fn action_label(a: &str) -> &'static str {
    match a {
        "self_score" => "tự chấm",
        "self_evidence" => "tài liệu kiểm chứng",
        "submit" => "nộp hồ sơ",
        "appraise" => "thẩm định",
        "not_applicable" => "không áp dụng",
        "evidence_status" => "tình trạng tài liệu",
        "explanation_request" => "yêu cầu giải trình",
        "explanation_answer" => "giải trình",
        "approve" => "Hội đồng phê duyệt",
        _ => "khác",
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DossierView {
    pub campaign_id: i64,
    pub campaign: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_code: String,
    pub profile: String,
    pub set_name: String,
    pub state: String,
    pub state_label: &'static str,
    pub submitted_at: Option<String>,
    pub approved_at: Option<String>,
    pub deadline: Option<String>,
    /// Why the unit can no longer edit, or the price of submitting now.
    pub lock: Option<String>,
    pub late_note: Option<String>,
    pub lateness: Lateness,
    pub nodes: Vec<NodeView>,
    pub history: Vec<HistoryView>,
    pub appraised_component: Option<String>,
    pub applicable_max: Option<String>,
    pub bonus: Option<String>,
    pub deductions: Option<String>,
    pub problems: Vec<String>,
    pub can_edit: bool,
    pub can_submit: bool,
    pub can_approve: bool,
    pub departments: Vec<(String, String)>,
}

fn fmt_local(t: NaiveDateTime) -> String {
    local(t).format("%d/%m/%Y %H:%M").to_string()
}

/// The dossier page's content, as `who` may act on it at `now`.
pub fn view(app: &App, on: &On<'_>, now: NaiveDateTime) -> Result<DossierView> {
    let On {
        profiles_dir,
        who,
        campaign_id,
        unit_id,
        ..
    } = *on;
    may_read_dossiers(app, who, campaign_id)?;
    let ctx = load(app, profiles_dir, campaign_id, unit_id)?;
    let s = stored(app, campaign_id, unit_id)?;
    let mine = assigned_departments(app, who, campaign_id)?;
    let computed = compute(&ctx, &s, now);
    let d = s.dossier.as_ref();
    let state = d.map(|d| d.state.clone()).unwrap_or_else(|| DRAFT.into());
    let lock_state = dossier_state(&ctx.profile, d, now);
    let officer = allows(who.actor(), Action::EditDossier(unit_id));
    let editable =
        (state == DRAFT || (state == SUBMITTED && s.done.is_empty())) && !lock_state.is_locked();
    let submittable = state == DRAFT && !lock_state.is_locked();
    let appraising = state == SUBMITTED || state == IN_EXPLANATION;
    let appraiser = allows(who.actor(), Action::Appraise);
    let leaves: BTreeMap<&str, _> = computed
        .as_ref()
        .map(|a| a.leaves.iter().map(|l| (l.code.as_str(), l)).collect())
        .unwrap_or_default();
    let nodes = ctx
        .set()
        .nodes
        .iter()
        .map(|c| {
            let own = s.own.iter().find(|x| x.criterion == c.code);
            let done = s.done.iter().find(|x| x.criterion == c.code);
            let scored = leaves.get(c.code.as_str());
            let explanations = s
                .answers
                .iter()
                .filter(|e| e.criterion == c.code)
                .map(|e| ExplanationView {
                    id: e.id,
                    request: e.request.clone(),
                    requested_at: fmt_local(e.requested_at),
                    answer: e.answer.clone(),
                    answered_at: e.answered_at.map(fmt_local),
                    evidence: evidence_view(&e.evidence()),
                })
                .collect::<Vec<_>>();
            let can_answer = officer
                && state == IN_EXPLANATION
                && explanations.iter().any(|e| e.answer.is_none());
            NodeView {
                code: c.code.clone(),
                label: c.label.clone().unwrap_or_else(|| c.code.clone()),
                name: c.name.clone(),
                depth: c.depth,
                max: c.max.to_string(),
                leaf: c.is_leaf(),
                survey: c.is_survey(),
                kind: c.kind,
                needs_evidence: c.needs_evidence(),
                department: ctx.department_name(c.department.as_deref()),
                self_points: own.map(|o| fmt_points(o.points_micro)),
                explanation: own.map(|o| o.explanation.clone()).filter(|e| !e.is_empty()),
                evidence: own.and_then(|o| evidence_view(&o.evidence())),
                appraised: done.is_some(),
                appraisal_reason: done.map(|a| a.reason.clone()).filter(|r| !r.is_empty()),
                evidence_status: done.map(|a| evidence_label(&a.evidence)),
                score: scored.and_then(|l| l.score).map(|p| p.to_string()),
                rule: scored.filter(|_| c.is_leaf()).map(|l| {
                    if done.is_none() && l.rule == ScoreRule::AsAppraised {
                        "tạm tính theo điểm tự chấm (chưa thẩm định)".to_string()
                    } else {
                        rule_label(&l.rule)
                    }
                }),
                explanations,
                can_appraise: appraiser
                    && appraising
                    && c.is_leaf()
                    && !c.is_survey()
                    && c.department.as_ref().is_some_and(|dep| mine.contains(dep)),
                can_answer,
            }
        })
        .collect();
    let history = s
        .history
        .iter()
        .map(|h| HistoryView {
            at: fmt_local(h.at),
            actor: h.actor.clone(),
            criterion: h.criterion.clone(),
            action: action_label(&h.action),
            old_value: h.old_value.as_deref().map(|v| value_label(&h.action, v)),
            new_value: h.new_value.as_deref().map(|v| value_label(&h.action, v)),
            reason: h.reason.clone(),
        })
        .collect();
    let lateness = lateness_of(&ctx.profile, d, now);
    let late_note = match lateness {
        Lateness::OnTime => None,
        Lateness::Late { days, penalty } => {
            Some(format!("Nộp muộn {days} ngày: trừ {penalty} điểm."))
        }
        Lateness::TooLate { days } => Some(format!(
            "Muộn {days} ngày, quá thời gian gia hạn: tiêu chí hồ sơ 0 điểm."
        )),
    };
    let lock = match lock_state {
        DossierState::Locked { reason } if state == DRAFT || state == SUBMITTED => {
            Some(lock_message(&ctx.profile, reason))
        }
        DossierState::Open { late_days, penalty } if late_days > 0 && state == DRAFT => Some(
            format!("Đã quá hạn {late_days} ngày: nộp bây giờ bị trừ {penalty} điểm."),
        ),
        _ => None,
    };
    let deadline = ctx.profile.dossier_deadline().map(|dl| {
        let eff = ctx.profile.calendar.effective_deadline(dl);
        if eff == dl {
            dl.format("%d/%m/%Y").to_string()
        } else {
            format!(
                "{} (ngày nghỉ, dời sang {})",
                dl.format("%d/%m/%Y"),
                eff.format("%d/%m/%Y")
            )
        }
    });
    let (component, problems) = match &computed {
        Ok(a) => (Some(&a.components), vec![]),
        Err(ServiceError::Invalid(p)) => (None, p.clone()),
        Err(e) => (None, vec![e.to_string()]),
    };
    Ok(DossierView {
        campaign_id,
        campaign: ctx.campaign.name.clone(),
        unit_id,
        unit_name: ctx.unit.name.clone(),
        unit_code: ctx.unit.code.clone(),
        profile: ctx.profile.name.clone(),
        set_name: ctx.set().name.clone(),
        state_label: state_label(&state),
        submitted_at: d.and_then(|d| d.submitted_at).map(fmt_local),
        approved_at: d.and_then(|d| d.approved_at).map(fmt_local),
        deadline,
        lock,
        late_note,
        lateness,
        nodes,
        history,
        appraised_component: component.map(|c| c.appraised.to_string()),
        applicable_max: component.map(|c| c.applicable_max.to_string()),
        bonus: component.map(|c| c.bonus.to_string()),
        deductions: component.map(|c| c.deductions.to_string()),
        problems,
        can_edit: officer && editable,
        can_submit: officer && submittable,
        can_approve: allows(who.actor(), Action::ApproveAppraisal) && appraising,
        departments: ctx
            .profile
            .departments
            .iter()
            .map(|d| (d.code.clone(), d.name.clone()))
            .collect(),
        state,
    })
}

/// One dossier on an appraiser's worklist, for one department.
#[derive(Debug, Clone, Serialize)]
pub struct WorkItem {
    pub unit_id: i64,
    pub unit_name: String,
    pub department: String,
    pub state_label: &'static str,
    pub criteria: usize,
    pub appraised: usize,
    pub open_requests: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Worklist {
    pub campaign: String,
    pub departments: Vec<(String, String)>,
    pub assignments: Vec<(String, String)>,
    pub items: Vec<WorkItem>,
}

/// The submitted dossiers and, per department `who` appraises (every
/// department for the administrator), how far their appraisal is.
pub fn worklist(
    app: &App,
    profiles_dir: &Path,
    who: &StaffUser,
    campaign_id: i64,
) -> Result<Worklist> {
    let mut conn = app.conn()?;
    let campaign = campaign_store::get(&mut conn, campaign_id)?
        .ok_or_else(|| ServiceError::NotFound(format!("Không có đợt đánh giá {campaign_id}.")))?;
    let code = campaign
        .profile_code
        .clone()
        .ok_or_else(|| ServiceError::invalid("Đợt này chưa gắn bộ quy tắc của tỉnh (profile)."))?;
    let profile = profiles::find(profiles_dir, &code)?.profile;
    let mine: Vec<String> = if who.role == Role::Admin {
        profile.departments.iter().map(|d| d.code.clone()).collect()
    } else {
        assignments::departments_of(&mut conn, campaign_id, who.id)?
    };
    let mut items = Vec::new();
    for d in store::of_campaign(&mut conn, campaign_id)? {
        if d.state == DRAFT {
            continue;
        }
        let Some(unit) = units::by_id(&mut conn, d.unit_id)? else {
            continue;
        };
        let Some(set) = profile.criteria_set_for(&unit.unit_type) else {
            continue;
        };
        let done = store::appraisals(&mut conn, d.id)?;
        let answers = explanations::of_dossier(&mut conn, d.id)?;
        for dep in &mine {
            let leaves: Vec<&Criterion> = set
                .leaves()
                .filter(|l| !l.is_survey() && l.department.as_deref() == Some(dep.as_str()))
                .collect();
            if leaves.is_empty() {
                continue;
            }
            let has = |code: &str| leaves.iter().any(|l| l.code == code);
            items.push(WorkItem {
                unit_id: unit.id,
                unit_name: unit.name.clone(),
                department: profile
                    .department(dep)
                    .map(|x| x.name.clone())
                    .unwrap_or_else(|| dep.clone()),
                state_label: state_label(&d.state),
                criteria: leaves.len(),
                appraised: done.iter().filter(|a| has(&a.criterion)).count(),
                open_requests: answers
                    .iter()
                    .filter(|e| e.answered_at.is_none() && has(&e.criterion))
                    .count(),
            });
        }
    }
    Ok(Worklist {
        campaign: campaign.name,
        departments: profile
            .departments
            .iter()
            .map(|d| (d.code.clone(), d.name.clone()))
            .collect(),
        assignments: assignments::of_campaign(&mut conn, campaign_id)?,
        items,
    })
}

/// Campaigns that follow a province profile (and so have dossiers to
/// self-assess and appraise), newest first: (id, name, year).
pub fn campaigns_with_dossiers(app: &App) -> Result<Vec<(i64, String, i32)>> {
    Ok(campaign_store::list(&mut *app.conn()?)?
        .into_iter()
        .filter(|c| c.profile_code.is_some())
        .map(|c| (c.id, c.name, c.year))
        .collect())
}

/// A stored evidence file of a dossier: its path, name and kind code. Only
/// files the dossier references are served.
pub fn evidence_file(
    app: &App,
    data_dir: &Path,
    campaign_id: i64,
    unit_id: i64,
    sha256: &str,
) -> Result<(PathBuf, String, String)> {
    let not_found = || ServiceError::NotFound("Không có tệp kiểm chứng này.".into());
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let s = stored(app, campaign_id, unit_id)?;
    let found = s
        .own
        .iter()
        .map(|o| o.evidence())
        .chain(s.answers.iter().map(|e| e.evidence()))
        .find(|e| e.sha256.as_deref() == Some(sha256))
        .ok_or_else(not_found)?;
    Ok((
        evidence_dir(data_dir).join(sha256),
        found.name.unwrap_or_else(|| "tai-lieu".into()),
        found.kind.unwrap_or_default(),
    ))
}
