//! Staff accounts on the web (administrators): the list with live sessions,
//! a new account, role and unit, disable or enable, a new password, sign
//! out everywhere. A generated password is shown once, on the page that
//! answers the POST, and never stored in clear.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use minijinja::context;

use super::auth::Staff;
use super::{blocking, html_page, templates, State, WebError};
use crate::domain::access::{Action, Role};
use crate::service::{staff_accounts, units, ServiceError};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/accounts", web::get().to(page))
        .route("/staff/accounts", web::post().to(create))
        .route("/staff/accounts/{username}", web::post().to(change));
}

async fn page(state: web::Data<State>, staff: Staff) -> Result<HttpResponse, WebError> {
    staff.require(Action::ManageAccounts)?;
    render(&state, &staff, None, vec![], None, StatusCode::OK).await
}

/// What the page says above the list: a done action, maybe with the
/// password to hand over.
struct Done {
    message: String,
    password: Option<(String, String)>,
}

async fn render(
    state: &web::Data<State>,
    staff: &Staff,
    done: Option<Done>,
    errors: Vec<String>,
    echo: Option<minijinja::Value>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let who = staff.0.user.clone();
    let (accounts, units) = blocking(state, move |app| {
        Ok((staff_accounts::list(app, &who)?, units::list(app)?))
    })
    .await?;
    let body = templates::render(
        "staff/accounts.html",
        context! {
            staff => staff.context(),
            accounts,
            units => units.iter().map(|u| context! { code => u.code.clone(), name => u.name.clone() }).collect::<Vec<_>>(),
            roles => Role::ALL.iter().map(|r| context! { code => r.code(), label => r.label() }).collect::<Vec<_>>(),
            done => done.as_ref().map(|d| d.message.clone()),
            password => done.and_then(|d| d.password).map(|(user, pw)| context! { user, pw }),
            errors,
            echo,
        },
    );
    Ok(html_page(status, body))
}

async fn refused(
    state: &web::Data<State>,
    staff: &Staff,
    e: WebError,
    echo: Option<minijinja::Value>,
) -> Result<HttpResponse, WebError> {
    match e {
        WebError::Service(ServiceError::Invalid(errors)) => {
            render(
                state,
                staff,
                None,
                errors,
                echo,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        e => Err(e),
    }
}

#[derive(serde::Deserialize)]
struct NewAccountForm {
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    email: String,
}

/// The buttons of an account's row.
#[derive(serde::Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum AccountAction {
    Role,
    Disable,
    Enable,
    Password,
    Signout,
}

#[derive(serde::Deserialize)]
struct AccountForm {
    action: AccountAction,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    email: String,
}

async fn create(
    state: web::Data<State>,
    staff: Staff,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ManageAccounts)?;
    let form: NewAccountForm = staff
        .form_as(&req, payload, state.settings.max_body_bytes)
        .await?;
    let (username, display, role, unit, email) = (
        form.username.trim().to_string(),
        form.display_name.trim().to_string(),
        form.role.trim().to_string(),
        form.unit.trim().to_string(),
        form.email.trim().to_string(),
    );
    let echo = context! { username => username.clone(), display_name => display.clone(), role => role.clone(), unit => unit.clone(), email => email.clone() };
    let who = staff.0.user.clone();
    let name = username.clone();
    let result = blocking(&state, move |app| {
        let unit = Some(unit.as_str()).filter(|u| !u.is_empty());
        staff_accounts::create(app, &who, &name, &display, &role, unit, &email)
    })
    .await;
    match result {
        Ok(password) => {
            let done = Done {
                message: format!("Đã tạo tài khoản \"{username}\"."),
                password: Some((username, password)),
            };
            render(&state, &staff, Some(done), vec![], None, StatusCode::OK).await
        }
        Err(e) => refused(&state, &staff, e, Some(echo)).await,
    }
}

async fn change(
    state: web::Data<State>,
    staff: Staff,
    username: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    staff.require(Action::ManageAccounts)?;
    let username = username.into_inner();
    let form: AccountForm = staff
        .form_as(&req, payload, state.settings.max_body_bytes)
        .await?;
    let (action, role, unit, email) = (
        form.action,
        form.role,
        form.unit.trim().to_string(),
        form.email,
    );
    let who = staff.0.user.clone();
    let name = username.clone();
    let result = blocking(&state, move |app| {
        let unit = Some(unit.as_str()).filter(|u| !u.is_empty());
        Ok(match action {
            AccountAction::Role => {
                staff_accounts::set_email(app, &who, &name, &email)?;
                staff_accounts::set_role(app, &who, &name, &role, unit).map(|()| {
                    (
                        format!("Đã lưu vai trò, đơn vị và địa chỉ thư của \"{name}\"."),
                        None,
                    )
                })?
            }
            AccountAction::Disable => {
                staff_accounts::set_disabled(app, &who, &name, true).map(|()| {
                    (
                        format!("Đã khoá tài khoản \"{name}\" và đăng xuất mọi phiên."),
                        None,
                    )
                })?
            }
            AccountAction::Enable => staff_accounts::set_disabled(app, &who, &name, false)
                .map(|()| (format!("Đã mở khoá tài khoản \"{name}\"."), None))?,
            AccountAction::Password => {
                staff_accounts::reset_password(app, &who, &name).map(|pw| {
                    (
                        format!(
                        "Đã cấp mật khẩu mới cho \"{name}\"; mọi phiên đăng nhập cũ đã kết thúc."
                    ),
                        Some(pw),
                    )
                })?
            }
            AccountAction::Signout => staff_accounts::end_sessions(app, &who, &name)
                .map(|()| (format!("Đã đăng xuất \"{name}\" khỏi mọi phiên."), None))?,
        })
    })
    .await;
    match result {
        Ok((message, password)) => {
            // Ending one's own sessions signs this browser out too.
            if staff.0.user.username == username && action == AccountAction::Signout {
                return Ok(HttpResponse::SeeOther()
                    .insert_header(("Location", "/login"))
                    .finish());
            }
            let done = Done {
                message,
                password: password.map(|pw| (username, pw)),
            };
            render(&state, &staff, Some(done), vec![], None, StatusCode::OK).await
        }
        Err(e) => refused(&state, &staff, e, None).await,
    }
}
