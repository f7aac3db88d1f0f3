//! What plotters cannot emit, added to its output: the accessible
//! `<title>`/`<desc>` and `role="img"`, and tooltips on shortened names.

pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no escape for most control characters: drop them.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Text as plotters should get it: plotters escapes markup but passes
/// control characters through, and most are not allowed in XML at all.
/// Line breaks become spaces (a name is one line).
pub(super) fn clean(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => None,
            c => Some(c),
        })
        .collect()
}

/// `tooltips[i]` belongs to the i-th of the last `tooltips.len()` `<text>`
/// elements: the charts draw unit names last, in row order, so those are
/// the names. A `<title>` child of `<text>` is the SVG tooltip. If the
/// output does not have that shape (a plotters change), the tooltips are
/// left out rather than put on the wrong element.
pub(super) fn finish(
    mut svg: String,
    title: &str,
    desc: &str,
    tooltips: &[Option<String>],
) -> String {
    let ends: Vec<usize> = svg.match_indices("</text>").map(|(i, _)| i).collect();
    if tooltips.iter().any(Option::is_some) && ends.len() >= tooltips.len() {
        let names = &ends[ends.len() - tooltips.len()..];
        // Back to front, so earlier offsets stay valid.
        for (at, tip) in names.iter().zip(tooltips).rev() {
            if let Some(tip) = tip {
                svg.insert_str(*at, &format!("<title>{}</title>", escape(tip)));
            }
        }
    }
    if let Some(open_end) = svg
        .find("<svg ")
        .and_then(|s| svg[s..].find('>').map(|e| s + e))
    {
        svg.insert_str(
            open_end + 1,
            &format!(
                "\n<title>{}</title>\n<desc>{}</desc>",
                escape(title),
                escape(desc)
            ),
        );
        let start = svg.find("<svg ").unwrap_or(0);
        svg.insert_str(start + "<svg ".len(), "role=\"img\" ");
    }
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_markup_as_text_and_drops_control_characters() {
        assert_eq!(
            escape("<script>&\"'\u{1}ạ"),
            "&lt;script&gt;&amp;&quot;&apos;ạ"
        );
    }

    #[test]
    fn finish_puts_title_first_and_tooltips_on_the_last_texts() {
        let svg = "<svg width=\"1\" xmlns=\"http://www.w3.org/2000/svg\">\n<text>\nx</text>\n<text>\na…</text>\n<text>\nb</text>\n</svg>\n".to_owned();
        let out = finish(svg, "T<", "D", &[Some("a b".into()), None]);
        assert!(out.starts_with(
            "<svg role=\"img\" width=\"1\" xmlns=\"http://www.w3.org/2000/svg\">\n<title>T&lt;</title>\n<desc>D</desc>"
        ));
        assert!(out.contains("a…<title>a b</title></text>"));
        assert!(out.contains("\nx</text>") && out.contains("\nb</text>"));
        roxmltree::Document::parse(&out).unwrap();
    }
}
