//! minijinja templates, embedded in the binary and HTML-escaped by default.

use std::sync::LazyLock;

use minijinja::{AutoEscape, Environment};
use serde::Serialize;

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = embedded!(
    "base.html",
    "error.html",
    "survey/page.html",
    "survey/done.html",
    "survey/open_start.html",
    "survey/optout.html",
    "survey/short_code.html",
    "staff/base.html",
    "staff/login.html",
    "staff/me.html",
    "staff/unit.html",
    "staff/dashboard.html",
    "staff/campaign.html",
    "staff/text_answers.html",
    "staff/import_result.html",
    "staff/sample.html",
    "staff/response_rates.html",
    "staff/results.html",
    "staff/unit_results.html",
    "staff/dossier.html",
    "staff/error.html",
    "staff/qr.html",
    "staff/poster.html",
    "staff/appraisal.html",
    "staff/index.html",
    "staff/accounts.html",
    "public/list.html",
    "public/table.html",
    "public/scorecard.html",
    "staff/index_review.html",
    "staff/scorecard.html",
    "labels.html",
    "readings.html",
);

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    add_filters(&mut env);
    for (name, source) in TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            // Templates are compiled into the binary; a broken one is a build
            // defect, caught by the unit test below before it ships.
            tracing::error!(template = name, error = %e, "invalid template");
        }
    }
    env
});

/// Every figure a page prints goes through these, as the charts' labels do
/// (`report::number`): `{{ x|num(2) }}` → `25,35`; `{{ share|pct(1) }}` → `42,0%`.
fn add_filters(env: &mut Environment<'static>) {
    env.add_filter("num", |v: f64, decimals: Option<usize>| {
        crate::report::number::decimal(v, decimals.unwrap_or(2))
    });
    env.add_filter("pct", |v: f64, decimals: Option<usize>| {
        crate::report::number::percent(v, decimals.unwrap_or(1))
    });
    // Points as stored exactly ("1.5"), written with the decimal comma.
    env.add_filter("diem", |v: String| v.replace('.', ","));
    // A dossier's state in words, from the one place exports take them too.
    env.add_filter("dossier_state", |code: minijinja::Value| {
        crate::service::names::dossier_state(code.as_str().unwrap_or_default())
    });
    // Dates as Vietnamese readers write them: `{{ d|ngay }}` → 06/12/2026.
    env.add_filter("ngay", |v: String| {
        chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d")
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or(v)
    });
}

/// What a page is when its template fails; `html_page` answers it with 500.
pub const RENDER_FAILED: &str = "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>Lỗi</title><p>Đã có lỗi khi hiển thị trang.</p></html>";

pub fn render<S: Serialize>(name: &str, ctx: S) -> String {
    match ENV.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(template = name, error = %e, "template rendering failed");
            RENDER_FAILED.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_that_fails_gives_the_error_page() {
        assert_eq!(render("staff/nothing.html", ()), RENDER_FAILED);
    }

    #[test]
    fn a_page_whose_template_failed_is_a_server_error_whatever_it_was_meant_to_be() {
        use actix_web::http::StatusCode;
        let failed = super::super::html_page(StatusCode::OK, render("staff/nothing.html", ()));
        assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let fine = super::super::html_page(StatusCode::OK, "<p>xin chào</p>".into());
        assert_eq!(fine.status(), StatusCode::OK);
    }

    #[test]
    fn every_page_template_in_the_tree_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut missing = Vec::new();
        for dir in ["", "survey", "staff", "public"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "html") {
                    let name = path
                        .strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    if !TEMPLATES.iter().any(|(n, _)| *n == name) {
                        missing.push(name);
                    }
                }
            }
        }
        assert!(missing.is_empty(), "not in TEMPLATES: {missing:?}");
    }

    #[test]
    fn pages_print_figures_as_the_charts_do() {
        let mut env = Environment::new();
        add_filters(&mut env);
        let out = env
            .render_str(
                "{{ a|num(2) }} {{ b|pct(1) }} {{ c|num }}",
                minijinja::context! { a => 0.704545, b => 0.4216, c => 3.0 },
            )
            .unwrap();
        assert_eq!(out, "0,70 42,2% 3,00");
    }

    #[test]
    fn every_embedded_template_compiles() {
        for (name, source) in TEMPLATES {
            let mut env = Environment::new();
            add_filters(&mut env);
            for (n, s) in TEMPLATES {
                env.add_template(n, s)
                    .unwrap_or_else(|e| panic!("{n}: {e}"));
            }
            assert!(env.get_template(name).is_ok(), "{name}: {source:.40}");
        }
    }

    /// The words `labels.html` gives each code the appraisal views
    /// carry: every stage, evidence status, score rule and audit action has
    /// its own, and the words are the ones the pages have always shown.
    #[test]
    fn every_appraisal_code_has_its_words() {
        use crate::domain::index::{DossierStage, Evidence, ScoreRule};
        use crate::domain::points::Points;
        use crate::service::appraisal::{AuditAction, NO_DOSSIER};
        let label = |call: &str, ctx: minijinja::Value| {
            // Named as a page is, so HTML is escaped as on the pages.
            ENV.render_named_str(
                "labels_check.html",
                &format!(r#"{{% import "labels.html" as labels %}}{{{{ {call} }}}}"#),
                ctx,
            )
            .unwrap()
        };
        let stage = |code: &str| label("labels.state(code)", minijinja::context! { code });
        let stages = [
            (DossierStage::Draft, "Đang soạn"),
            (DossierStage::Submitted, "Đã nộp, đang thẩm định"),
            (DossierStage::InExplanation, "Đang giải trình"),
            (DossierStage::Approved, "Hội đồng đã phê duyệt"),
        ];
        assert_eq!(stages.len(), DossierStage::ALL.len());
        for (s, words) in stages {
            // As the views serialize it.
            let code = serde_json::to_value(s).unwrap();
            assert_eq!(stage(code.as_str().unwrap()), words, "{s:?}");
        }
        assert_eq!(stage(NO_DOSSIER), "Chưa lập hồ sơ");
        assert_eq!(stage("later"), "Không rõ");

        for (e, words) in [
            (Evidence::WithDossier, "có trong hồ sơ"),
            (Evidence::Supplemented, "bổ sung khi giải trình"),
            (Evidence::Missing, "không có tài liệu hợp lệ"),
        ] {
            match e {
                Evidence::WithDossier | Evidence::Supplemented | Evidence::Missing => {}
            }
            let got = label("labels.evidence(e)", minijinja::context! { e });
            assert_eq!(got, words, "{e:?}");
        }

        let cap = Points::parse("1.4").unwrap();
        let rules = [
            (ScoreRule::AsAppraised, "theo điểm thẩm định"),
            (
                ScoreRule::NoEvidence,
                "không có tài liệu kiểm chứng hợp lệ: 0 điểm",
            ),
            (
                ScoreRule::Supplemented { cap },
                "tài liệu bổ sung khi giải trình: tối đa 1.4 điểm",
            ),
            (
                ScoreRule::NotApplicable,
                "không áp dụng: không tính vào điểm tối đa",
            ),
            (
                ScoreRule::DossierTooLate,
                "hồ sơ nộp quá hạn: tiêu chí hồ sơ 0 điểm",
            ),
            (ScoreRule::Survey, "lấy từ điều tra xã hội học"),
            (ScoreRule::SurveyFlagged, "lấy từ điều tra xã hội học"),
            (ScoreRule::SurveyWithheld, "lấy từ điều tra xã hội học"),
        ];
        for (rule, words) in rules {
            // A new rule must be added above.
            match rule {
                ScoreRule::AsAppraised
                | ScoreRule::NoEvidence
                | ScoreRule::Supplemented { .. }
                | ScoreRule::NotApplicable
                | ScoreRule::DossierTooLate
                | ScoreRule::Survey
                | ScoreRule::SurveyFlagged
                | ScoreRule::SurveyWithheld => {}
            }
            let got = label(
                "labels.rule(rule.rule, cap, true)",
                minijinja::context! { rule, cap => cap.to_string() },
            );
            assert_eq!(got, words, "{rule:?}");
        }
        assert_eq!(
            label(
                "labels.rule(rule.rule, none, false)",
                minijinja::context! { rule => ScoreRule::AsAppraised },
            ),
            "tạm tính theo điểm tự chấm (chưa thẩm định)"
        );

        let actions = [
            (AuditAction::SelfScore, "tự chấm"),
            (AuditAction::SelfEvidence, "tài liệu kiểm chứng"),
            (AuditAction::Submit, "nộp hồ sơ"),
            (AuditAction::Appraise, "thẩm định"),
            (AuditAction::NotApplicable, "không áp dụng"),
            (AuditAction::EvidenceStatus, "tình trạng tài liệu"),
            (AuditAction::ExplanationRequest, "yêu cầu giải trình"),
            (AuditAction::ExplanationAnswer, "giải trình"),
            (AuditAction::Approve, "Hội đồng phê duyệt"),
        ];
        assert_eq!(actions.len(), AuditAction::ALL.len());
        for (a, words) in actions {
            let got = label("labels.action(a)", minijinja::context! { a => a.code() });
            assert_eq!(got, words, "{a:?}");
        }
        assert_eq!(
            label("labels.action(\"x\")", minijinja::context! {}),
            "khác"
        );

        // Audit values: stages and evidence statuses in words, the rest as
        // written (escaped).
        let value = |action: &str, v: &str| {
            label("labels.value(a, v)", minijinja::context! { a => action, v })
        };
        assert_eq!(value("submit", "submitted"), "Đã nộp, đang thẩm định");
        assert_eq!(
            value("explanation_request", "in_explanation"),
            "Đang giải trình"
        );
        assert_eq!(value("approve", "approved"), "Hội đồng đã phê duyệt");
        assert_eq!(
            value("evidence_status", "supplemented"),
            "bổ sung khi giải trình"
        );
        assert_eq!(value("appraise", "tự chấm 1"), "tự chấm 1");
        assert_eq!(
            value("self_evidence", "<b>QĐ 1</b>"),
            "&lt;b&gt;QĐ 1&lt;&#x2f;b&gt;"
        );
    }

    #[test]
    fn html_is_escaped() {
        let html = render(
            "error.html",
            minijinja::context! { title => "<script>x</script>", message => "", reasons => Vec::<String>::new(), status => 400 },
        );
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>x"));
    }
}
