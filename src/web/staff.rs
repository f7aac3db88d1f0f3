//! Staff pages: campaigns, their questionnaires and response counts, units.
//! Every handler takes a [`Staff`] and asks for the action it performs.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use minijinja::context;

use super::auth::Staff;
use super::upload::Limits;
use super::{blocking, html_page, templates, State, WebError};
use crate::domain::access::Action;
use crate::domain::ids::{CampaignId, UnitId};
use crate::domain::upload::FileKind;
use crate::service::campaigns::{self, OpenCampaign};
use crate::service::deadlines;
use crate::service::questionnaires;
use crate::service::units;
use crate::service::ServiceError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff", web::get().to(dashboard))
        .route("/staff/me", web::get().to(me))
        .route("/staff/campaigns", web::post().to(open_campaign))
        .route("/staff/campaigns/{id}", web::get().to(campaign))
        .route(
            "/staff/campaigns/{id}/deadlines",
            web::post().to(change_deadline),
        )
        .route(
            "/staff/campaigns/{id}/period",
            web::post().to(change_period),
        )
        .route(
            "/staff/campaigns/{id}/open-links/{code}",
            web::post().to(switch_open_link),
        )
        .route(
            "/staff/campaigns/{id}/text-answers",
            web::get().to(text_answers),
        )
        .route("/staff/units/import", web::post().to(import_units))
        .route("/staff/units/{id}", web::get().to(unit));
}

async fn me(state: web::Data<State>, staff: Staff) -> Result<HttpResponse, WebError> {
    staff.require(Action::ViewOwnAccount)?;
    let unit_id = staff.0.user.unit_id;
    let unit = match unit_id {
        Some(id) => blocking(&state, move |app| units::find(app, id)).await?,
        None => None,
    };
    let assessed = blocking(&state, crate::service::appraisal::campaigns_with_dossiers).await?;
    let links = context! {
        campaigns => staff.require(Action::ViewCampaigns).is_ok(),
        worklist => staff.require(Action::ViewWorklist).is_ok(),
        dossier => unit_id.filter(|u| staff.require(Action::EditDossier(*u)).is_ok()),
        assessed,
    };
    let body = templates::render(
        "staff/me.html",
        context! { staff => staff.context(), username => staff.0.user.username.clone(), unit => unit.map(|u| context! { id => u.id, name => u.name }), links },
    );
    Ok(html_page(actix_web::http::StatusCode::OK, body))
}

#[derive(serde::Deserialize)]
struct DashboardQuery {
    /// `1`: list the archived campaigns too.
    archived: Option<String>,
}

async fn dashboard(
    state: web::Data<State>,
    staff: Staff,
    q: web::Query<DashboardQuery>,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ViewCampaigns)?;
    render_dashboard(
        &state,
        &staff,
        vec![],
        None,
        actix_web::http::StatusCode::OK,
        q.archived.as_deref() == Some("1"),
    )
    .await
}

async fn render_dashboard(
    state: &web::Data<State>,
    staff: &Staff,
    errors: Vec<String>,
    form: Option<minijinja::Value>,
    status: actix_web::http::StatusCode,
    show_archived: bool,
) -> Result<HttpResponse, WebError> {
    let dir = state.settings.questionnaires_dir.clone();
    let profiles_dir = state.settings.profiles_dir();
    let (summaries, unit_list, files, profile_list, block_names) = blocking(state, move |app| {
        let summaries = campaigns::summaries(app)?;
        let unit_list = units::list(app)?;
        let block_names = crate::service::names::Names::installed(app).unwrap_or_default();
        let files = questionnaires::load(&[dir])
            .map(|f| {
                f.into_iter()
                    .map(|f| {
                        (
                            f.questionnaire.code,
                            f.questionnaire.title,
                            f.questionnaire.group.label(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_else(|_| Vec::<(String, String, &str)>::new());
        // A broken profile file shows up in `chiso check`; here it is just absent.
        let profile_list: Vec<(String, String)> = crate::service::profiles::load(&[profiles_dir])
            .map(|v| {
                v.into_iter()
                    .map(|f| (f.profile.code, f.profile.name))
                    .collect()
            })
            .unwrap_or_default();
        Ok((summaries, unit_list, files, profile_list, block_names))
    })
    .await?;
    // (code, count, name): the block's name from the profiles, else its code.
    let mut blocks: Vec<(String, usize, String)> = Vec::new();
    for u in &unit_list {
        match blocks.iter_mut().find(|(b, _, _)| *b == u.block) {
            Some(entry) => entry.1 += 1,
            None => blocks.push((u.block.clone(), 1, block_names.block(&u.block))),
        }
    }
    let questionnaires: Vec<_> =
        files.iter().map(|(code, title, group)| context! { code => code.clone(), title => title.clone(), group => *group }).collect();
    let units: Vec<_> = unit_list.iter().map(|u| context! { id => u.id, code => u.code.clone(), name => u.name.clone(), block => u.block.clone() }).collect();
    let body = templates::render(
        "staff/dashboard.html",
        context! {
            staff => staff.context(),
            can_open => staff.require(Action::OpenCampaign).is_ok(),
            can_import => staff.require(Action::ImportUnits).is_ok(),
            archived_count => summaries.iter().filter(|c| c.archived).count(),
            campaigns => summaries.into_iter().filter(|c| show_archived || !c.archived).collect::<Vec<_>>(),
            show_archived,
            unit_count => unit_list.len(),
            units,
            blocks,
            questionnaires,
            profiles => profile_list,
            errors,
            form,
        },
    );
    Ok(html_page(status, body))
}

async fn open_campaign(
    state: web::Data<State>,
    staff: Staff,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::OpenCampaign)?;
    let form = staff
        .form(&req, payload, state.settings.max_body_bytes)
        .await?;
    let mut errors = Vec::new();
    let year = form
        .get("year")
        .unwrap_or("")
        .trim()
        .parse::<i32>()
        .map_err(|_| errors.push("Năm phải là một số.".to_string()))
        .ok();
    let date = |name: &str, label: &str, errors: &mut Vec<String>| {
        let v = form.get(name).unwrap_or("").trim();
        NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| errors.push(format!("{label} không hợp lệ (dạng năm-tháng-ngày).")))
            .ok()
    };
    let opens = date("opens", "Ngày mở", &mut errors);
    let closes = date("closes", "Ngày đóng", &mut errors);
    let codes: Vec<String> = form.all("q").into_iter().map(str::to_string).collect();
    if codes.is_empty() {
        errors.push("Chọn ít nhất một phiếu.".to_string());
    }
    let echo = context! {
        year => form.get("year"),
        name => form.get("name"),
        opens => form.get("opens"),
        closes => form.get("closes"),
        anonymous => form.get("anonymous").is_some(),
        q => codes.clone(),
        profile => form.get("profile"),
    };
    let unprocessable = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    let (Some(year), Some(opens), Some(closes), true) = (year, opens, closes, errors.is_empty())
    else {
        return render_dashboard(&state, &staff, errors, Some(echo), unprocessable, false).await;
    };
    let req = OpenCampaign {
        year,
        name: form.get("name").unwrap_or("").to_string(),
        opens,
        closes,
        codes,
        anonymous: form.get("anonymous").is_some(),
        profile: None,
    };
    let profile_code = form
        .get("profile")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    let dir = state.settings.questionnaires_dir.clone();
    let profiles_dir = state.settings.profiles_dir();
    let opened = blocking(&state, move |app| {
        let files = questionnaires::load(&[dir])?;
        let mut req = req;
        req.profile = resolve_profile(&profiles_dir, profile_code.as_deref())?;
        campaigns::open(app, &files, &req)
    })
    .await;
    match opened {
        Ok(id) => Ok(HttpResponse::SeeOther()
            .insert_header(("Location", format!("/staff/campaigns/{id}")))
            .finish()),
        Err(WebError::Service(ServiceError::Invalid(errors))) => {
            render_dashboard(&state, &staff, errors, Some(echo), unprocessable, false).await
        }
        Err(e) => Err(e),
    }
}

async fn campaign(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ViewCampaigns)?;
    render_campaign(
        &state,
        &staff,
        id.into_inner(),
        vec![],
        None,
        actix_web::http::StatusCode::OK,
    )
    .await
}

/// The campaign page; `errors` and `form` echo a refused deadline change.
async fn render_campaign(
    state: &web::Data<State>,
    staff: &Staff,
    id: CampaignId,
    errors: Vec<String>,
    form: Option<minijinja::Value>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, WebError> {
    let (summary, calendar, overview) = blocking(state, move |app| {
        let summary = campaigns::summary(app, id)?;
        let calendar = match &summary.profile {
            Some(_) => Some(deadlines::calendar(app, id)?),
            None => None,
        };
        let overview = crate::service::dashboard::overview(app, id)?;
        Ok((summary, calendar, overview))
    })
    .await?;
    let base = state.settings.public_url();
    let links = state.settings.link_address_problem();
    let body = templates::render(
        "staff/campaign.html",
        context! {
            staff => staff.context(),
            c => summary,
            base,
            links,
            calendar,
            o => overview,
            can_index => staff.require(Action::ViewIndex).is_ok(),
            can_publish => staff.require(Action::PublishIndex).is_ok(),
            can_change => staff.require(Action::ChangeDeadlines).is_ok(),
            can_manage => staff.require(Action::OpenCampaign).is_ok(),
            errors,
            form,
        },
    );
    Ok(html_page(status, body))
}

/// The buttons of the campaign's period form.
#[derive(serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum PeriodAction {
    Close,
    Extend,
    Archive,
    Unarchive,
}

#[derive(serde::Deserialize)]
struct PeriodForm {
    action: PeriodAction,
    #[serde(default)]
    closes: String,
}

enum PeriodOrArchive {
    Period(campaigns::PeriodChange),
    Archive(bool),
}

/// Close the survey now, move its last day, archive or bring back.
async fn change_period(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::OpenCampaign)?;
    let id = id.into_inner();
    let form: PeriodForm = staff
        .form_as(&req, payload, state.settings.max_body_bytes)
        .await?;
    let unprocessable = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    let change = match form.action {
        PeriodAction::Close => PeriodOrArchive::Period(campaigns::PeriodChange::CloseNow),
        PeriodAction::Extend => match NaiveDate::parse_from_str(form.closes.trim(), "%Y-%m-%d") {
            Ok(d) => PeriodOrArchive::Period(campaigns::PeriodChange::CloseOn(d)),
            Err(_) => {
                let errors = vec!["Ngày đóng mới không hợp lệ: chọn một ngày.".to_string()];
                return render_campaign(&state, &staff, id, errors, None, unprocessable).await;
            }
        },
        PeriodAction::Archive => PeriodOrArchive::Archive(true),
        PeriodAction::Unarchive => PeriodOrArchive::Archive(false),
    };
    let user = staff.0.user.clone();
    let result = blocking(&state, move |app| match change {
        PeriodOrArchive::Period(change) => campaigns::change_period(app, &user, id, change),
        PeriodOrArchive::Archive(archived) => campaigns::set_archived(app, &user, id, archived),
    })
    .await;
    match result {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header(("Location", format!("/staff/campaigns/{id}#thoi-gian")))
            .finish()),
        Err(WebError::Service(ServiceError::Invalid(errors))) => {
            render_campaign(&state, &staff, id, errors, None, unprocessable).await
        }
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
struct OpenLinkForm {
    open: OnOff,
}

#[derive(serde::Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum OnOff {
    On,
    Off,
}

/// Opens or closes one questionnaire's open link.
async fn switch_open_link(
    state: web::Data<State>,
    staff: Staff,
    path: web::Path<(CampaignId, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::OpenCampaign)?;
    let (id, code) = path.into_inner();
    let form: OpenLinkForm = staff
        .form_as(&req, payload, state.settings.max_body_bytes)
        .await?;
    let user = staff.0.user.clone();
    let open = matches!(form.open, OnOff::On);
    blocking(&state, move |app| {
        campaigns::set_open_link(app, &user, id, &code, open)
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", format!("/staff/campaigns/{id}#phieu")))
        .finish())
}

/// The deadline form: a deadline of the profile, all units or one, the new
/// day (its own message when it is not a date) and the reason.
#[derive(serde::Deserialize)]
struct DeadlineForm {
    code: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    reason: String,
}

async fn change_deadline(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ChangeDeadlines)?;
    let id = id.into_inner();
    let form: DeadlineForm = staff
        .form_as(&req, payload, state.settings.max_body_bytes)
        .await?;
    let echo = context! {
        code => form.code.trim(),
        unit => form.unit.trim(),
        due => form.due.trim(),
        reason => form.reason.trim(),
    };
    let unprocessable = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    let Ok(due) = NaiveDate::parse_from_str(form.due.trim(), "%Y-%m-%d") else {
        let errors = vec!["Hạn mới không hợp lệ: chọn một ngày (ngày/tháng/năm).".to_string()];
        return render_campaign(&state, &staff, id, errors, Some(echo), unprocessable).await;
    };
    let change = deadlines::ChangeDeadline {
        code: form.code.trim().to_string(),
        unit: Some(form.unit.trim().to_string()).filter(|u| !u.is_empty()),
        due,
        reason: form.reason.trim().to_string(),
    };
    let user = staff.0.user.clone();
    match blocking(&state, move |app| {
        deadlines::change(app, &user, id, &change)
    })
    .await
    {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header(("Location", format!("/staff/campaigns/{id}#han")))
            .finish()),
        Err(WebError::Service(ServiceError::Invalid(errors))) => {
            render_campaign(&state, &staff, id, errors, Some(echo), unprocessable).await
        }
        Err(e) => Err(e),
    }
}

async fn unit(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<UnitId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    staff.require_unit(Action::ViewUnit(id))?;
    let (unit, counts, names) = blocking(&state, move |app| {
        let unit = units::find(app, id)?
            .ok_or_else(|| ServiceError::NotFound("không có đơn vị này".into()))?;
        let counts = campaigns::unit_counts(app, id)?;
        let names = crate::service::names::Names::installed(app).unwrap_or_default();
        Ok((unit, counts, names))
    })
    .await?;
    let body = templates::render(
        "staff/unit.html",
        context! { staff => staff.context(), unit => context! {
            code => unit.code, name => unit.name, block => unit.block, unit_type => unit.unit_type,
            block_name => names.block(&unit.block), type_name => names.unit_type(&unit.unit_type),
            set_name => names.criteria_set_of(&unit.unit_type),
        }, counts },
    );
    Ok(html_page(actix_web::http::StatusCode::OK, body))
}

/// At most this many free-text answers per questionnaire on one page.
const TEXT_ANSWERS_SHOWN: i64 = 1000;

async fn text_answers(
    state: web::Data<State>,
    staff: Staff,
    id: web::Path<CampaignId>,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ViewAnswers)?;
    let id = id.into_inner();
    let (summary, groups) = blocking(&state, move |app| {
        Ok((
            campaigns::summary(app, id)?,
            campaigns::text_answers(app, id, TEXT_ANSWERS_SHOWN)?,
        ))
    })
    .await?;
    let body = templates::render(
        "staff/text_answers.html",
        context! { staff => staff.context(), c => summary, groups, limit => TEXT_ANSWERS_SHOWN },
    );
    Ok(html_page(actix_web::http::StatusCode::OK, body))
}

async fn import_units(
    state: web::Data<State>,
    staff: Staff,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ImportUnits)?;
    let limits = Limits {
        max_bytes: state.settings.max_upload_bytes,
        tmp_dir: state.settings.upload_tmp_dir(),
    };
    let mut form = staff
        .upload(&req, payload, &limits, &[FileKind::Csv])
        .await?;
    let upload = form.take_file("file")?;
    let file_facts = context! {
        name => upload.name.clone(),
        kind => upload.kind.label(),
        kib => upload.size.div_ceil(1024),
        sha256 => upload.sha256.clone(),
    };
    let outcome = blocking(&state, move |app| {
        let file = upload.file.reopen().map_err(|e| {
            ServiceError::invalid(format!("không đọc lại được tệp \"{}\": {e}", upload.name))
        })?;
        units::import(app, std::io::BufReader::new(file), &upload.name)
    })
    .await;
    let (status, counts, errors) = match outcome {
        Ok(c) => (actix_web::http::StatusCode::OK, Some(c), vec![]),
        Err(WebError::Service(ServiceError::Invalid(errors))) => (
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            None,
            errors,
        ),
        Err(e) => return Err(e),
    };
    let body = templates::render(
        "staff/import_result.html",
        context! {
            staff => staff.context(),
            file => file_facts,
            inserted => counts.map(|c| c.inserted),
            updated => counts.map(|c| c.updated),
            errors,
        },
    );
    Ok(html_page(status, body))
}

/// A profile chosen by code on a form, as a validation problem when unknown.
pub(super) fn resolve_profile(
    dir: &std::path::Path,
    code: Option<&str>,
) -> crate::service::Result<Option<crate::service::profiles::ProfileFile>> {
    match code {
        None => Ok(None),
        Some(c) => crate::service::profiles::find_code(dir, c)
            .map(Some)
            .map_err(|e| ServiceError::invalid(e.to_string())),
    }
}
