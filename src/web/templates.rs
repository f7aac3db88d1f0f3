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
    "staff/base.html",
    "staff/login.html",
    "staff/me.html",
    "staff/unit.html",
    "staff/dashboard.html",
    "staff/campaign.html",
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
    for (name, source) in TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            // Templates are compiled into the binary; a broken one is a build
            // defect, caught by the unit test below before it ships.
            tracing::error!(template = name, error = %e, "invalid template");
        }
    }
    env
});

pub fn render<S: Serialize>(name: &str, ctx: S) -> String {
    match ENV.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(template = name, error = %e, "template rendering failed");
            "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>Lỗi</title><p>Đã có lỗi khi hiển thị trang.</p></html>".to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_template_compiles() {
        for (name, source) in TEMPLATES {
            let mut env = Environment::new();
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
