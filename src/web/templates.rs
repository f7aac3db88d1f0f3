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
    "staff/appraisal.html",
    "staff/index.html",
    "staff/scorecard.html",
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
    // Every figure a page prints goes through these, as the charts do:
    // `{{ x|num(2) }}` → 25,35; `{{ share|pct(1) }}` → 42,0%.
    env.add_filter("num", |v: f64, decimals: Option<usize>| {
        crate::report::number::decimal(v, decimals.unwrap_or(2))
    });
    env.add_filter("pct", |v: f64, decimals: Option<usize>| {
        crate::report::number::percent(v, decimals.unwrap_or(1))
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
        for dir in ["", "survey", "staff"] {
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
