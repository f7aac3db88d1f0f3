use super::*;
use crate::report::chart::layout::{ACCENT, PRIMARY, REFERENCE};
use crate::report::chart::test_support::*;
use crate::report::chart::{ValueFormat, ROW_HEIGHT};

fn axis() -> Axis {
    Axis {
        max: 100.0,
        format: ValueFormat::Number { decimals: 2 },
        label: "Chỉ số CCHC (điểm)".into(),
    }
}

fn bands() -> Vec<Threshold> {
    [(90.0, "Tốt"), (70.0, "Khá"), (50.0, "Trung bình")]
        .into_iter()
        .map(|(value, label)| Threshold {
            value,
            label: label.into(),
        })
        .collect()
}

fn rows() -> Vec<SplitRow> {
    vec![
        SplitRow::parts("Sở Nội vụ", 62.5, 28.25),
        SplitRow::parts("Sở Tài chính", 55.0, 20.0),
        SplitRow::missing("Sở Xây dựng", "chưa thẩm định"),
        SplitRow::parts("UBND huyện Mộc Châu", 40.0, 12.5),
    ]
}

fn chart(rows: Vec<SplitRow>, width: u32) -> SplitChart {
    SplitChart::new("Chỉ số CCHC năm 2025", axis(), width, rows, bands())
}

/// (x, width) of the bars of one colour whose vertical span covers `y`.
fn bars_at(doc: &roxmltree::Document, fill: &str, y: f64) -> Vec<(f64, f64)> {
    elements(doc, "rect")
        .into_iter()
        .filter(|r| r.attribute("fill") == Some(fill))
        .filter(|r| num(*r, "y") < y && y < num(*r, "y") + num(*r, "height"))
        .map(|r| (num(r, "x"), num(r, "width")))
        .collect()
}

#[test]
fn one_stacked_bar_per_unit_to_scale_with_the_total_at_its_end() {
    let svg = split_chart(&chart(rows(), 720)).unwrap();
    let doc = parse(&svg);
    let (blue, orange) = (hex(PRIMARY), hex(ACCENT));
    let mut ys = vec![];
    let mut unit = vec![];
    for (name, a, s, total) in [
        ("Sở Nội vụ", 62.5, 28.25, "90,75"),
        ("Sở Tài chính", 55.0, 20.0, "75,00"),
        ("UBND huyện Mộc Châu", 40.0, 12.5, "52,50"),
    ] {
        let y = num(text_node(&doc, name), "y");
        let appraised = bars_at(&doc, &blue, y);
        let survey = bars_at(&doc, &orange, y);
        assert_eq!((appraised.len(), survey.len()), (1, 1), "{name}");
        let (ax, aw) = appraised[0];
        let (sx, sw) = survey[0];
        assert!(
            (sx - (ax + aw)).abs() <= 1.0,
            "survey part starts where appraised ends"
        );
        assert!((aw / sw - a / s).abs() < 0.05, "{name}: {aw}/{sw}");
        unit.push(aw / a);
        let t = text_node(&doc, total);
        assert!(
            (num(t, "x") - (sx + sw) - 6.0).abs() <= 1.0,
            "{name}: total at the bar's end"
        );
        assert!((num(t, "y") - y).abs() <= 1.0);
        ys.push(y);
    }
    assert!(ys.windows(2).all(|w| w[0] < w[1]), "rank order kept");
    assert!(
        unit.windows(2).all(|w| (w[0] - w[1]).abs() < 0.05),
        "one scale: {unit:?}"
    );
}

#[test]
fn a_unit_without_an_index_has_a_note_and_no_bar() {
    let svg = split_chart(&chart(rows(), 720)).unwrap();
    let doc = parse(&svg);
    let y = num(text_node(&doc, "Sở Xây dựng"), "y");
    assert!(bars_at(&doc, &hex(PRIMARY), y).is_empty());
    assert!(bars_at(&doc, &hex(ACCENT), y).is_empty());
    let note = text_node(&doc, "Chưa có chỉ số: chưa thẩm định");
    assert!((num(note, "y") - y).abs() <= 1.0);
    let (_, desc) = title_and_desc(&doc);
    assert!(desc.contains("Sở Xây dựng: chưa có chỉ số: chưa thẩm định."));
    assert!(
        desc.contains("Sở Nội vụ: 90,75 (điểm thẩm định 62,50, điểm điều tra xã hội học 28,25).")
    );
}

#[test]
fn thresholds_are_labelled_vertical_lines_at_their_values() {
    let svg = split_chart(&chart(rows(), 720)).unwrap();
    let doc = parse(&svg);
    let grey = hex(REFERENCE);
    let mut xs: Vec<f64> = elements(&doc, "polyline")
        .into_iter()
        .chain(elements(&doc, "line"))
        .filter(|p| p.attribute("stroke") == Some(grey.as_str()))
        .filter_map(|p| {
            let pts: Vec<f64> = p
                .attribute("points")
                .map(|s| {
                    s.split([' ', ','])
                        .filter(|v| !v.is_empty())
                        .map(|v| v.parse().unwrap())
                        .collect()
                })
                .unwrap_or_else(|| vec![num(p, "x1"), num(p, "y1"), num(p, "x2"), num(p, "y2")]);
            (pts[0] == pts[2]).then_some(pts[0])
        })
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    // Legend key + 50, 70, 90.
    assert_eq!(xs.len(), 4, "{xs:?}");
    let (x50, x70, x90) = (xs[1], xs[2], xs[3]);
    assert!(((x90 - x70) - (x70 - x50)).abs() <= 1.0);
    for (label, x) in [
        ("Tốt (90)", x90),
        ("Khá (70)", x70),
        ("Trung bình (50)", x50),
    ] {
        let t = text_node(&doc, label);
        assert_eq!(num(t, "x"), x);
        assert_eq!(t.attribute("text-anchor"), Some("middle"));
    }
    text_node(&doc, "Ngưỡng xếp loại");
    text_node(&doc, "Điểm thẩm định");
    text_node(&doc, "Điểm điều tra xã hội học");
}

#[test]
fn markup_in_a_name_stays_text_and_size_follows_rows() {
    let mut r = rows();
    r[0].label = "<b>Sở</b> \"Nội\" vụ".into();
    let svg = split_chart(&chart(r.clone(), 800)).unwrap();
    let doc = parse(&svg);
    assert!(elements(&doc, "b").is_empty());
    text_node(&doc, "<b>Sở</b> \"Nội\" vụ");
    let h4 = num(doc.root_element(), "height");
    r.push(SplitRow::parts("Sở Công Thương", 10.0, 10.0));
    let svg = split_chart(&chart(r, 800)).unwrap();
    let doc = parse(&svg);
    assert_eq!(num(doc.root_element(), "width"), 800.0);
    assert_eq!(
        num(doc.root_element(), "height") - h4,
        f64::from(ROW_HEIGHT)
    );
}

#[test]
fn bad_parts_and_thresholds_are_clear_errors() {
    let e = |c: SplitChart| split_chart(&c).unwrap_err().to_string();
    assert_eq!(
        e(chart(vec![SplitRow::parts("Sở A", -1.0, 5.0)], 600)),
        "đơn vị \"Sở A\": điểm thành phần không được âm"
    );
    assert_eq!(
        e(chart(vec![SplitRow::parts("Sở A", 80.0, 25.0)], 600)),
        "đơn vị \"Sở A\": tổng điểm vượt quá trục"
    );
    assert!(e(chart(
        vec![SplitRow::parts("Sở A", f64::INFINITY, 5.0)],
        600
    ))
    .contains("không phải là số"));
    let mut c = chart(rows(), 600);
    c.thresholds.push(Threshold {
        value: 120.0,
        label: "Xuất sắc".into(),
    });
    assert_eq!(e(c), "đơn vị \"Xuất sắc\": ngưỡng phải nằm trong trục");
}
