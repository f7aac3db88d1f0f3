//! Staff pages of a campaign's sample: the frame, the rules per respondent
//! group, the plan, the draw and its verification, invitations and the
//! response rates.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::auth::Staff;
use super::upload::Limits;
use super::{blocking, html_page, templates, State, WebError};
use crate::domain::access::Action;
use crate::domain::ids::CampaignId;
use crate::domain::questionnaire::RespondentGroup;
use crate::domain::sampling::{AllocationRule, GroupRule, SizeRule};
use crate::domain::upload::FileKind;
use crate::service::{campaigns, invitations, sampling, ServiceError};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/campaigns/{id}/sample", web::get().to(page))
        .route("/staff/campaigns/{id}/sample/verify", web::get().to(verify))
        .route("/staff/campaigns/{id}/frame", web::post().to(upload_frame))
        .route("/staff/campaigns/{id}/rules", web::post().to(set_rule))
        .route("/staff/campaigns/{id}/draw", web::post().to(draw))
        .route("/staff/campaigns/{id}/invitations", web::post().to(invite))
        .route("/staff/campaigns/{id}/response-rates", web::get().to(rates));
}

/// A rule as the form shows it: percentages as percentages.
#[derive(Debug, Clone, Default, Serialize)]
struct RuleForm {
    group: &'static str,
    label: &'static str,
    sampled: bool,
    rule: String,
    margin: String,
    confidence: String,
    proportion: String,
    response_rate: String,
    min_per_unit: String,
    allocation: String,
    min_per_stratum: String,
    reserve_share: String,
    strata: String,
    quota: String,
    std_devs: String,
}

fn pct(x: f64) -> String {
    let v = (x * 10000.0).round() / 100.0;
    format!("{v}")
}

impl RuleForm {
    fn of(group: RespondentGroup, rule: Option<&GroupRule>) -> Self {
        let mut f = RuleForm {
            group: group.code(),
            label: group.label(),
            ..Default::default()
        };
        let Some(r) = rule else {
            f.rule = "cochran".into();
            f.confidence = "95".into();
            f.proportion = "0.5".into();
            f.allocation = "proportional".into();
            return f;
        };
        f.sampled = true;
        match &r.size {
            SizeRule::Quota(q) => {
                f.rule = "quota".into();
                f.quota = q
                    .iter()
                    .map(|(t, n)| format!("{t}={n}"))
                    .collect::<Vec<_>>()
                    .join(", ");
            }
            SizeRule::Cochran { margin } => {
                f.rule = "cochran".into();
                f.margin = pct(margin.value());
            }
            SizeRule::Yamane { margin } => {
                f.rule = "yamane".into();
                f.margin = pct(margin.value());
            }
        }
        f.confidence = pct(r.confidence.level());
        f.proportion = format!("{}", r.proportion.value());
        f.response_rate = pct(r.response_rate.value());
        f.min_per_unit = r.min_per_unit.to_string();
        f.allocation = match r.allocation {
            AllocationRule::Proportional => "proportional",
            AllocationRule::Equal => "equal",
            AllocationRule::Neyman => "neyman",
        }
        .into();
        f.min_per_stratum = r.min_per_stratum.to_string();
        f.reserve_share = pct(r.reserve_share);
        f.strata = r.strata.join(", ");
        f.std_devs = r
            .std_devs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        f
    }
}

/// The form's fields → the rule, through the profile's own parser so the
/// page and the profile file accept exactly the same rules.
fn rule_from_form(form: &super::body::FormFields) -> Result<Option<GroupRule>, Vec<String>> {
    if form.get("sampled").is_none() {
        return Ok(None);
    }
    let mut errors = Vec::new();
    let text = |name: &str| form.get(name).unwrap_or("").trim().to_string();
    let number = |name: &str, label: &str, errors: &mut Vec<String>| -> Option<f64> {
        let raw = text(name).replace(',', ".");
        if raw.is_empty() {
            return None;
        }
        match raw.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                errors.push(format!("{label}: \"{raw}\" không phải là số"));
                None
            }
        }
    };
    let whole = |name: &str, label: &str, errors: &mut Vec<String>| -> Option<i64> {
        let raw = text(name);
        if raw.is_empty() {
            return None;
        }
        raw.parse::<i64>()
            .map_err(|_| errors.push(format!("{label}: \"{raw}\" phải là số nguyên")))
            .ok()
    };
    let mut t = toml::Table::new();
    let rule = text("rule");
    t.insert("rule".into(), rule.clone().into());
    if let Some(v) = number("margin", "Sai số mong muốn (%)", &mut errors) {
        t.insert("margin".into(), (v / 100.0).into());
    }
    if let Some(v) = number("confidence", "Độ tin cậy (%)", &mut errors) {
        t.insert("confidence".into(), (v / 100.0).into());
    }
    if let Some(v) = number("proportion", "Tỷ lệ giả định p", &mut errors) {
        t.insert("proportion".into(), v.into());
    }
    match number("response_rate", "Tỷ lệ trả lời dự kiến (%)", &mut errors) {
        Some(v) => {
            t.insert("response_rate".into(), (v / 100.0).into());
        }
        None => errors.push("Cần tỷ lệ trả lời dự kiến (%).".into()),
    }
    if let Some(v) = whole("min_per_unit", "Tối thiểu mỗi đơn vị", &mut errors) {
        t.insert("min_per_unit".into(), v.into());
    }
    let allocation = text("allocation");
    if !allocation.is_empty() {
        t.insert("allocation".into(), allocation.into());
    }
    if let Some(v) = whole("min_per_stratum", "Tối thiểu mỗi tầng", &mut errors) {
        t.insert("min_per_stratum".into(), v.into());
    }
    if let Some(v) = number("reserve_share", "Dự phòng (%)", &mut errors) {
        t.insert("reserve_share".into(), (v / 100.0).into());
    }
    let strata: Vec<toml::Value> = text("strata")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.to_string().into())
        .collect();
    t.insert("strata".into(), toml::Value::Array(strata));
    if rule == "quota" {
        let mut q = toml::Table::new();
        for part in text("quota")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match part
                .split_once('=')
                .map(|(k, v)| (k.trim(), v.trim().parse::<i64>()))
            {
                Some((k, Ok(n))) if !k.is_empty() && n >= 0 => {
                    q.insert(k.to_string(), n.into());
                }
                _ => errors.push(format!(
                    "Chỉ tiêu \"{part}\" phải có dạng loại_đơn_vị=số, ví dụ so=30"
                )),
            }
        }
        t.insert("quota".into(), toml::Value::Table(q));
    }
    let sds = text("std_devs");
    if !sds.is_empty() {
        let mut m = toml::Table::new();
        for part in sds.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            match part
                .rsplit_once('=')
                .map(|(k, v)| (k.trim(), v.trim().replace(',', ".").parse::<f64>()))
            {
                Some((k, Ok(v))) if !k.is_empty() => {
                    m.insert(k.to_string(), v.into());
                }
                _ => errors.push(format!(
                    "Độ lệch chuẩn \"{part}\" phải có dạng tầng=số, ví dụ Đất đai=0,45"
                )),
            }
        }
        t.insert("std_devs".into(), toml::Value::Table(m));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let text = toml::to_string(&t).unwrap_or_default();
    GroupRule::from_toml(&text)
        .map(Some)
        .map_err(|e| vec![format!("Quy tắc chưa hợp lệ: {e}")])
}

#[derive(Deserialize)]
struct PageQuery {
    done: Option<String>,
}

/// Everything the sample page shows, read in one blocking call.
#[derive(Serialize)]
struct Overview {
    frame: Option<FrameView>,
    rules: Vec<RuleForm>,
    plan: Option<sampling::CampaignPlan>,
    plan_error: Option<String>,
    draw: Option<DrawView>,
    states: BTreeMap<String, usize>,
}

#[derive(Serialize)]
struct FrameView {
    file: String,
    rows: i64,
    sha256: String,
    imported_at: String,
}

#[derive(Serialize)]
struct DrawView {
    seed: String,
    frame_digest: String,
    drawn_at: String,
}

fn overview(app: &crate::service::App, id: CampaignId) -> crate::service::Result<Overview> {
    let o = sampling::overview(app, id)?;
    let rules = RespondentGroup::ALL
        .iter()
        .map(|(_, g)| RuleForm::of(*g, o.rules.get(g)))
        .collect();
    let (plan, plan_error) = match o.plan {
        Some(Ok(p)) => (Some(p), None),
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    Ok(Overview {
        frame: o.frame.map(|f| FrameView {
            file: f.file,
            rows: f.rows,
            sha256: f.sha256,
            imported_at: format!(
                "{} (giờ Việt Nam)",
                crate::domain::vietnam_time::shown(f.imported_at)
            ),
        }),
        rules,
        plan,
        plan_error,
        draw: o.draw.map(|d| DrawView {
            seed: d.seed,
            frame_digest: d.frame_sha256,
            drawn_at: format!(
                "{} (giờ Việt Nam)",
                crate::domain::vietnam_time::shown(d.drawn_at)
            ),
        }),
        states: o.invitation_states,
    })
}

async fn render(
    state: &web::Data<State>,
    staff: &Staff,
    id: CampaignId,
    status: StatusCode,
    errors: Vec<String>,
    notice: Option<String>,
    verify: Option<sampling::VerifyReport>,
) -> Result<HttpResponse, WebError> {
    let (summary, o, letters) = blocking(state, move |app| {
        Ok((
            campaigns::summary(app, id)?,
            overview(app, id)?,
            crate::service::letters::overview(app, id)?,
        ))
    })
    .await?;
    let sending = state.senders.is_sending(id);
    let body = templates::render(
        "staff/sample.html",
        context! {
            staff => staff.context(),
            c => summary,
            o,
            can_manage => staff.require(Action::ManageSampling).is_ok(),
            errors,
            notice,
            verify,
            sending,
            per_second => state.settings.invitations.per_second,
            letters,
        },
    );
    Ok(html_page(status, body))
}

async fn page(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ViewSampling)?;
    let id = id.into_inner();
    let notice = q.done.as_deref().map(|d| {
        match d {
            "frame" => "Đã nhập khung mẫu.",
            "frame-same" => "Tệp giống hệt khung mẫu đã nhập: không có gì thay đổi.",
            "rules" => "Đã lưu quy tắc chọn mẫu.",
            "draw" => "Đã rút mẫu. Hạt giống và mã băm khung mẫu được lưu để kiểm tra lại.",
            "send" => "Đang gửi thư mời; trang này cho biết tiến độ khi tải lại.",
            "remind" => "Đang gửi thư nhắc; trang này cho biết tiến độ khi tải lại.",
            "letters-none" => "Không có thư giấy nào đến lượt in.",
            d if d.starts_with("letters-") => {
                return format!(
                "Đã tạo lần in thư số {}: tải tệp PDF và danh sách nhãn địa chỉ ở mục Thư giấy.",
                &d["letters-".len()..]
            )
            }
            _ => "Đã thực hiện.",
        }
        .to_string()
    });
    render(&state, &staff, id, StatusCode::OK, vec![], notice, None).await
}

async fn verify(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ViewSampling)?;
    let id = id.into_inner();
    let report = blocking(&state, move |app| sampling::verify(app, id)).await;
    match report {
        Ok(r) => render(&state, &staff, id, StatusCode::OK, vec![], None, Some(r)).await,
        Err(WebError::Service(ServiceError::Invalid(errors))) => {
            render(
                &state,
                &staff,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                None,
                None,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

fn back(id: CampaignId, done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            "Location",
            format!("/staff/campaigns/{id}/sample?done={done}"),
        ))
        .finish()
}

async fn unprocessable(
    state: &web::Data<State>,
    staff: &Staff,
    id: CampaignId,
    outcome: WebError,
) -> Result<HttpResponse, WebError> {
    match outcome {
        WebError::Service(ServiceError::Invalid(errors)) => {
            render(
                state,
                staff,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                None,
                None,
            )
            .await
        }
        e => Err(e),
    }
}

async fn upload_frame(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ManageSampling)?;
    let id = id.into_inner();
    let limits = Limits {
        max_bytes: state.settings.max_upload_bytes,
        tmp_dir: state.settings.upload_tmp_dir(),
    };
    let mut form = staff
        .upload(&req, payload, &limits, &[FileKind::Csv])
        .await?;
    let upload = form.take_file("file")?;
    let outcome = blocking(&state, move |app| {
        sampling::import_frame(app, id, upload.file.path(), &upload.name)
    })
    .await;
    match outcome {
        Ok(r) if r.outcome == sampling::ImportOutcome::Unchanged => Ok(back(id, "frame-same")),
        Ok(_) => Ok(back(id, "frame")),
        Err(e) => unprocessable(&state, &staff, id, e).await,
    }
}

async fn set_rule(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ManageSampling)?;
    let id = id.into_inner();
    let form = staff
        .form(&req, payload, state.settings.max_body_bytes)
        .await?;
    let group = form
        .get("group")
        .and_then(RespondentGroup::parse)
        .ok_or_else(|| WebError::BadRequest(vec!["Thiếu hoặc sai nhóm đối tượng.".into()]))?;
    let rule = match rule_from_form(&form) {
        Ok(r) => r,
        Err(errors) => {
            let errors = errors
                .into_iter()
                .map(|e| format!("{}: {e}", group.label()))
                .collect();
            return render(
                &state,
                &staff,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                None,
                None,
            )
            .await;
        }
    };
    let outcome = blocking(&state, move |app| {
        sampling::set_rule(app, id, group, rule.as_ref())
    })
    .await;
    match outcome {
        Ok(()) => Ok(back(id, "rules")),
        Err(e) => unprocessable(&state, &staff, id, e).await,
    }
}

/// The draw form: the seed, or empty for a random one.
#[derive(serde::Deserialize)]
struct DrawForm {
    #[serde(default)]
    seed: String,
}

/// The invitations form: `remind` for reminders, else first invitations.
#[derive(serde::Deserialize)]
struct SendForm {
    action: Option<String>,
}

async fn draw(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ManageSampling)?;
    let id = id.into_inner();
    let form: DrawForm = staff
        .form_as(&req, payload, state.settings.max_body_bytes)
        .await?;
    let seed = Some(form.seed.trim().to_string()).filter(|s| !s.is_empty());
    let outcome = blocking(&state, move |app| sampling::draw(app, id, seed.as_deref())).await;
    match outcome {
        Ok(_) => Ok(back(id, "draw")),
        Err(e) => unprocessable(&state, &staff, id, e).await,
    }
}

/// Queues invitations (or reminders) and sends them on a thread of this
/// instance, at the configured pace; the page shows the queue's states.
async fn invite(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ManageSampling)?;
    let id = id.into_inner();
    let form: SendForm = staff
        .form_as(&req, payload, state.settings.max_body_bytes)
        .await?;
    let remind = form.action.as_deref() == Some("remind");
    let mailer = state.mailer.clone();
    let cfg = state.settings.invitations.clone();
    let queued = blocking(&state, move |app| {
        if remind {
            invitations::queue_reminders(app, &mailer, id, cfg.remind_after_days, cfg.max_reminders)
                .map(|_| ())
        } else {
            invitations::queue_invitations(app, &mailer, id).map(|_| ())
        }
    })
    .await;
    if let Err(e) = queued {
        return unprocessable(&state, &staff, id, e).await;
    }
    start_sender(&state, id);
    Ok(back(id, if remind { "remind" } else { "send" }))
}

fn start_sender(state: &web::Data<State>, id: CampaignId) {
    let opts = super::letters::invitation_settings(state);
    state.senders.start(&state.app, &state.mailer, opts, id);
}

async fn rates(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ViewSampling)?;
    let id = id.into_inner();
    let (summary, rows) = blocking(&state, move |app| {
        Ok((
            campaigns::summary(app, id)?,
            invitations::response_rates(app, id)?,
        ))
    })
    .await?;
    let body = templates::render(
        "staff/response_rates.html",
        context! { staff => staff.context(), c => summary, rows, e => state.app.eligible_share() },
    );
    Ok(html_page(StatusCode::OK, body))
}
