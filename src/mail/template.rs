//! Mail templates: `templates/email/<name>/{subject.txt, body.txt, body.html}`,
//! embedded at compile time. HTML is autoescaped, plain text and the
//! subject are not.

use std::sync::LazyLock;

use chrono::NaiveDate;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, Value};
use serde::{Deserialize, Serialize};

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = embedded!(
    "email/layout.txt",
    "email/layout.html",
    "email/invitation/subject.txt",
    "email/invitation/body.txt",
    "email/invitation/body.html",
    "email/reminder/subject.txt",
    "email/reminder/body.txt",
    "email/reminder/body.html",
    "email/staff_layout.txt",
    "email/staff_layout.html",
    "email/explanation_requested/subject.txt",
    "email/explanation_requested/body.txt",
    "email/explanation_requested/body.html",
    "email/appraisal_final/subject.txt",
    "email/appraisal_final/body.txt",
    "email/appraisal_final/body.html",
    "email/deadline_soon/subject.txt",
    "email/deadline_soon/body.txt",
    "email/deadline_soon/body.html",
    "email/dossier_submitted/subject.txt",
    "email/dossier_submitted/body.txt",
    "email/dossier_submitted/body.html",
);

/// The messages chiso sends; each is a directory under `templates/email/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    Invitation,
    Reminder,
    /// To a unit's officers: an appraiser asks for an explanation.
    ExplanationRequested,
    /// To a unit's officers: the council approved the appraisal.
    AppraisalFinal,
    /// To a unit's officers: the dossier deadline is near, not submitted.
    DeadlineSoon,
    /// To the campaign's appraisers: a unit submitted its dossier.
    DossierSubmitted,
}

impl Template {
    /// The messages to respondents (an [`Invitation`] context).
    pub const ALL: [Template; 2] = [Template::Invitation, Template::Reminder];
    /// The notices to staff (a [`Notice`] context).
    pub const NOTICES: [Template; 4] = [
        Template::ExplanationRequested,
        Template::AppraisalFinal,
        Template::DeadlineSoon,
        Template::DossierSubmitted,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Template::Invitation => "invitation",
            Template::Reminder => "reminder",
            Template::ExplanationRequested => "explanation_requested",
            Template::AppraisalFinal => "appraisal_final",
            Template::DeadlineSoon => "deadline_soon",
            Template::DossierSubmitted => "dossier_submitted",
        }
    }
}

/// What a notice to staff says.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    /// The recipient's display name.
    pub name: String,
    pub organization: String,
    pub campaign: String,
    pub unit: String,
    /// The dossier's page.
    pub link: String,
    pub criterion: Option<String>,
    /// The appraiser's request, for an explanation.
    pub text: Option<String>,
    /// dd/mm/yyyy, for a deadline.
    pub deadline: Option<String>,
    pub days_left: Option<i64>,
}

/// A rendered message, before it is addressed: what the invitation queue
/// can store and send later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What the invitation and the reminder say. `organization` is
/// `MailSettings::organization`.
#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    /// The respondent's name, when the frame has one: "Kính gửi Ông/Bà {name}".
    pub name: Option<String>,
    pub organization: String,
    pub campaign: String,
    /// The unit the answers are about, when there is one.
    pub unit: Option<String>,
    /// The personal `…/s/{token}` link.
    pub survey_url: String,
    pub opt_out_url: String,
    /// The last day answers are taken, Vietnam time; shown as dd/mm/yyyy.
    #[serde(serialize_with = "day_month_year")]
    pub closes_on: NaiveDate,
    /// Anonymous campaigns say so instead of the general privacy sentence.
    pub anonymous: bool,
}

fn day_month_year<S: serde::Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&d.format("%d/%m/%Y"))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("không tạo được thư từ mẫu {template}: {reason}")]
pub struct RenderError {
    pub template: String,
    pub reason: String,
}

static ENV: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    // A text part that ends in a line break, as mail programs write them.
    env.set_keep_trailing_newline(true);
    env.set_formatter(|out, state, value| {
        if state.auto_escape() == AutoEscape::Html && !value.is_safe() && !value.is_undefined() {
            out.write_str(&escape_html(&value.to_string()))
                .map_err(|_| Error::new(ErrorKind::WriteFailure, "formatting failed"))
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env.add_filter("href", href);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(env)
});

/// Renders the subject and both parts of `template`. The subject is one line:
/// line breaks in the context cannot reach the header.
pub fn render<S: Serialize>(template: Template, ctx: &S) -> Result<Content, RenderError> {
    let fail = |reason: String| RenderError {
        template: template.name().to_string(),
        reason,
    };
    let env = ENV.as_ref().map_err(|e| fail(e.clone()))?;
    let ctx = Value::from_serialize(ctx);
    let part = |file: &str| -> Result<String, RenderError> {
        let name = format!("email/{}/{file}", template.name());
        env.get_template(&name)
            .and_then(|t| t.render(&ctx))
            .map_err(|e| fail(detailed(&e)))
    };
    let subject = part("subject.txt")?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if subject.is_empty() {
        return Err(fail("tiêu đề thư trống".to_string()));
    }
    Ok(Content {
        subject,
        text: part("body.txt")?,
        html: part("body.html")?,
    })
}

fn detailed(e: &Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

/// What HTML text and attributes need escaped. minijinja's own escaping also
/// turns every `/` into `&#x2f;`, which mail filters read as a disguised link
/// in an `href` and which makes dates unreadable in the HTML source.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// A link for an `href`: only http(s), no characters that could leave the
/// attribute.
fn href(url: String) -> Result<Value, Error> {
    let ok_scheme = url.starts_with("http://") || url.starts_with("https://");
    if !ok_scheme || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("đường dẫn không hợp lệ trong thư: {url:?}"),
        ));
    }
    Ok(Value::from_safe_string(escape_html(&url)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invitation() -> Invitation {
        Invitation {
            name: Some("Trần Thị <b>Bé</b> & \"Em\"".to_string()),
            organization: "Sở Nội vụ tỉnh Quảng Ninh".to_string(),
            campaign: "Khảo sát Chỉ số CCHC năm 2025".to_string(),
            unit: Some("Sở Tài chính".to_string()),
            survey_url: "https://khaosat.example.vn/s/AbC123?x=1&y=2".to_string(),
            opt_out_url: "https://khaosat.example.vn/s/AbC123/tu-choi".to_string(),
            closes_on: NaiveDate::from_ymd_opt(2025, 11, 30).unwrap(),
            anonymous: false,
        }
    }

    #[test]
    fn every_embedded_template_compiles() {
        assert!(ENV.is_ok(), "{:?}", ENV.as_ref().err());
        for t in Template::ALL.into_iter().chain(Template::NOTICES) {
            for file in ["subject.txt", "body.txt", "body.html"] {
                let name = format!("email/{}/{file}", t.name());
                assert!(
                    TEMPLATES.iter().any(|(n, _)| *n == name),
                    "{name} not embedded"
                );
            }
        }
    }

    #[test]
    fn every_notice_names_its_unit_and_campaign_and_links_the_dossier() {
        let ctx = Notice {
            name: "Nguyễn Văn An".into(),
            organization: "Sở Nội vụ tỉnh Quảng Ninh".into(),
            campaign: "Chỉ số CCHC năm 2026".into(),
            unit: "Sở Tài chính".into(),
            link: "https://cchc.example.vn/staff/campaigns/1/dossiers/2".into(),
            criterion: Some("1.2".into()),
            text: Some("Bổ sung <quyết định> số 12".into()),
            deadline: Some("08/12/2026".into()),
            days_left: Some(3),
        };
        for t in Template::NOTICES {
            let c = render(t, &ctx).unwrap();
            assert!(c.subject.contains("Sở Tài chính"), "{t:?}: {}", c.subject);
            for part in [&c.text, &c.html] {
                assert!(part.contains("Kính gửi Nguyễn Văn An"), "{t:?}");
                assert!(part.contains("Chỉ số CCHC năm 2026"), "{t:?}");
                assert!(part.contains("/staff/campaigns/1/dossiers/2"), "{t:?}");
                assert!(
                    !part.contains("Từ chối nhận thư"),
                    "{t:?}: no respondent opt-out"
                );
            }
        }
        let asked = render(Template::ExplanationRequested, &ctx).unwrap();
        assert!(
            asked.html.contains("Bổ sung &lt;quyết định&gt; số 12"),
            "escaped"
        );
        assert!(asked.text.contains("Bổ sung <quyết định> số 12"));
        let soon = render(Template::DeadlineSoon, &ctx).unwrap();
        assert!(soon.subject.contains("Còn 3 ngày") && soon.subject.contains("08/12/2026"));
    }

    #[test]
    fn both_templates_say_what_a_respondent_needs() {
        let ctx = invitation();
        for t in Template::ALL {
            let c = render(t, &ctx).unwrap();
            assert!(!c.subject.contains('\n'));
            assert!(
                c.subject.contains("Khảo sát Chỉ số CCHC năm 2025"),
                "{t:?}: {}",
                c.subject
            );
            for part in [&c.text, &c.html] {
                assert!(part.contains("Kính gửi Ông/Bà"), "{t:?}");
                assert!(part.contains("Sở Nội vụ tỉnh Quảng Ninh"), "{t:?}");
                assert!(part.contains("Sở Tài chính"), "{t:?}");
                assert!(part.contains("30/11/2025"), "{t:?}");
                assert!(
                    part.contains("Không muốn nhận thư về đợt khảo sát này?"),
                    "{t:?}"
                );
            }
            // Plain text is not escaped; HTML is, except for the link's slashes.
            assert!(c.text.contains("Trần Thị <b>Bé</b> & \"Em\""));
            assert!(c
                .text
                .contains("https://khaosat.example.vn/s/AbC123?x=1&y=2"));
            assert!(c
                .html
                .contains("Trần Thị &lt;b&gt;Bé&lt;/b&gt; &amp; &quot;Em&quot;"));
            assert!(!c.html.contains("<b>Bé"));
            assert!(c
                .html
                .contains("href=\"https://khaosat.example.vn/s/AbC123?x=1&amp;y=2\""));
        }
    }

    #[test]
    fn the_name_and_unit_are_optional_and_anonymity_is_stated() {
        let ctx = Invitation {
            name: None,
            unit: None,
            anonymous: true,
            ..invitation()
        };
        let c = render(Template::Invitation, &ctx).unwrap();
        assert!(c.text.contains("Kính gửi Ông/Bà,"), "{}", c.text);
        assert!(c.text.contains("ẩn danh"));
        let named = render(Template::Invitation, &invitation()).unwrap();
        assert!(!named.text.contains("ẩn danh"));
    }

    #[test]
    fn a_link_that_is_not_http_is_refused() {
        let ctx = Invitation {
            survey_url: "javascript:alert(1)".to_string(),
            ..invitation()
        };
        let e = render(Template::Invitation, &ctx).unwrap_err();
        assert_eq!(e.template, "invitation");
        assert!(e.reason.contains("javascript"), "{}", e.reason);
    }

    #[test]
    fn a_missing_field_is_an_error_not_a_blank() {
        let e = render(Template::Reminder, &minijinja::context! { campaign => "x" }).unwrap_err();
        assert_eq!(e.template, "reminder");
    }
}
