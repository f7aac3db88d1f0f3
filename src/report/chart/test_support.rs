//! Reading the charts' SVG back in tests.

use plotters::style::RGBColor;
use roxmltree::{Document, Node};

pub fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

pub fn parse(svg: &str) -> Document<'_> {
    Document::parse(svg).unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{svg}"))
}

pub fn num(n: Node, attr: &str) -> f64 {
    n.attribute(attr)
        .unwrap_or_else(|| panic!("no {attr} on {n:?}"))
        .parse()
        .unwrap()
}

pub fn elements<'a>(doc: &'a Document, tag: &str) -> Vec<Node<'a, 'a>> {
    doc.descendants().filter(|n| n.has_tag_name(tag)).collect()
}

/// A `<text>`'s own words (not its `<title>` tooltip), trimmed.
pub fn text_of(n: Node) -> String {
    n.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect::<String>()
        .trim()
        .to_owned()
}

pub fn texts<'a>(doc: &'a Document) -> Vec<Node<'a, 'a>> {
    elements(doc, "text")
}

/// The `<text>` whose words are exactly `s`.
pub fn text_node<'a>(doc: &'a Document, s: &str) -> Node<'a, 'a> {
    texts(doc)
        .into_iter()
        .find(|n| text_of(*n) == s)
        .unwrap_or_else(|| panic!("no text {s:?}"))
}

/// The accessible title and description, which must come first.
pub fn title_and_desc(doc: &Document) -> (String, String) {
    let root = doc.root_element();
    assert_eq!(root.attribute("role"), Some("img"));
    let mut kids = root.children().filter(|n| n.is_element());
    let t = kids.next().unwrap();
    let d = kids.next().unwrap();
    assert!(t.has_tag_name("title") && d.has_tag_name("desc"));
    (
        t.text().unwrap_or("").to_owned(),
        d.text().unwrap_or("").to_owned(),
    )
}
