use super::*;
use crate::report::chart::layout::{ACCENT, PRIMARY};
use crate::report::chart::test_support::*;
use crate::report::chart::{ValueFormat, MIN_WIDTH, ROW_HEIGHT};

fn points() -> Axis {
    Axis {
        max: 30.0,
        format: ValueFormat::Number { decimals: 2 },
        label: "Điểm (tối đa 30)".into(),
    }
}

fn rows() -> Vec<IntervalRow> {
    vec![
        IntervalRow::estimate("Sở Nội vụ", 20.0, 18.0, 22.0),
        IntervalRow::flagged("Sở Tư pháp", 12.0, 6.0, 18.5),
        IntervalRow::withheld("UBND huyện Sốp Cộp", "dưới 30 câu trả lời"),
        IntervalRow::estimate("Sở Y tế", 25.5, 24.0, 27.25),
        IntervalRow::estimate("UBND xã Chiềng Sơn", 5.0, 0.0, 10.0),
    ]
}

fn chart(rows: Vec<IntervalRow>, width: u32) -> IntervalChart {
    IntervalChart::new(
        "Thành phần điều tra xã hội học theo đơn vị",
        points(),
        width,
        rows,
    )
}

/// The row's y in the SVG: that of its name.
fn row_y_of(doc: &roxmltree::Document, name: &str) -> f64 {
    num(text_node(doc, name), "y")
}

fn circles_at(doc: &roxmltree::Document, y: f64) -> Vec<(f64, String, String)> {
    elements(doc, "circle")
        .into_iter()
        .filter(|c| (num(*c, "cy") - y).abs() <= 1.0)
        .map(|c| {
            (
                num(c, "cx"),
                c.attribute("fill").unwrap().to_owned(),
                c.attribute("stroke").unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn one_mark_per_estimate_in_order_and_to_scale() {
    let svg = interval_chart(&chart(rows(), 720)).unwrap();
    let doc = parse(&svg);
    let blue = hex(PRIMARY);
    let mut ys = vec![];
    let mut xs = vec![];
    for name in ["Sở Nội vụ", "Sở Y tế", "UBND xã Chiềng Sơn"] {
        let y = row_y_of(&doc, name);
        let marks = circles_at(&doc, y);
        assert_eq!(marks.len(), 1, "{name}: {marks:?}");
        assert_eq!(marks[0].1, blue, "{name} is a filled dot");
        ys.push(y);
        xs.push(marks[0].0);
    }
    assert!(ys[0] < ys[1] && ys[1] < ys[2], "rows keep the given order");
    // 20, 25.5 and 5 on one linear scale from 0.
    let ratio = (xs[1] - xs[0]) / (xs[0] - xs[2]);
    assert!((ratio - 5.5 / 15.0).abs() < 0.02, "{ratio}");
    let zero = xs[2] - 5.0 * (xs[0] - xs[2]) / 15.0;
    let thirty = zero + 30.0 * (xs[0] - xs[2]) / 15.0;
    assert!(zero > 100.0 && thirty < 720.0, "{zero} {thirty}");
}

#[test]
fn whisker_spans_the_interval() {
    let svg = interval_chart(&chart(rows(), 720)).unwrap();
    let doc = parse(&svg);
    let y = row_y_of(&doc, "Sở Y tế");
    let cx = circles_at(&doc, y)[0].0;
    let line = elements(&doc, "polyline")
        .into_iter()
        .find(|p| {
            let pts: Vec<f64> = p
                .attribute("points")
                .unwrap()
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect();
            pts.len() == 4
                && (pts[1] - y).abs() <= 1.0
                && pts[3] == pts[1]
                && pts[2] - pts[0] > 10.0
        })
        .expect("a horizontal whisker on the row");
    let pts: Vec<f64> = line
        .attribute("points")
        .unwrap()
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let share = (cx - pts[0]) / (pts[2] - pts[0]);
    assert!((share - 1.5 / 3.25).abs() < 0.05, "{share}");
    assert!(text_node(&doc, "25,50 (24,00–27,25)")
        .attribute("x")
        .is_some());
}

#[test]
fn flagged_row_is_a_hollow_ring_with_a_star_and_a_legend_entry() {
    let svg = interval_chart(&chart(rows(), 720)).unwrap();
    let doc = parse(&svg);
    let y = row_y_of(&doc, "Sở Tư pháp");
    let marks = circles_at(&doc, y);
    assert!(
        marks.iter().any(|m| m.1 == "none" && m.2 == hex(ACCENT)),
        "{marks:?}"
    );
    assert!(
        !marks.iter().any(|m| m.1 == hex(PRIMARY)),
        "not a filled dot"
    );
    text_node(&doc, "12,00 (6,00–18,50) *");
    text_node(&doc, &format!("* {DEFAULT_FLAG_NOTE}"));
    let (_, desc) = title_and_desc(&doc);
    assert!(desc.contains("Sở Tư pháp: 12,00, khoảng tin cậy từ 6,00 đến 18,50 (ít câu trả lời"));
}

#[test]
fn withheld_row_has_a_note_and_no_mark() {
    let svg = interval_chart(&chart(rows(), 720)).unwrap();
    let doc = parse(&svg);
    let y = row_y_of(&doc, "UBND huyện Sốp Cộp");
    assert!(circles_at(&doc, y).is_empty());
    for p in elements(&doc, "polyline") {
        let pts = p.attribute("points").unwrap();
        let on_row = pts
            .split(' ')
            .filter(|s| !s.is_empty())
            .all(|xy| (xy.split(',').nth(1).unwrap().parse::<f64>().unwrap() - y).abs() <= 6.0);
        assert!(!on_row, "something drawn on the withheld row: {pts}");
    }
    let note = text_node(&doc, "Không công bố: dưới 30 câu trả lời");
    assert!((num(note, "y") - y).abs() <= 1.0);
    assert!(!svg.contains("0,00 (0,00"), "no zero figures for it");
}

#[test]
fn no_flag_entry_in_the_legend_when_nothing_is_flagged() {
    let plain: Vec<_> = rows()
        .into_iter()
        .filter(|r| !matches!(r.value, IntervalValue::Estimate { flagged: true, .. }))
        .collect();
    let svg = interval_chart(&chart(plain, 720)).unwrap();
    assert!(!svg.contains(DEFAULT_FLAG_NOTE));
    assert!(svg.contains("Khoảng tin cậy 95%"));
}

#[test]
fn markup_in_a_name_stays_text() {
    let mut r = rows();
    r[0].label = "<script>alert('x')</script> & Co".into();
    let svg = interval_chart(&chart(r, 900)).unwrap();
    let doc = parse(&svg);
    assert!(elements(&doc, "script").is_empty());
    text_node(&doc, "<script>alert('x')</script> & Co");
    assert!(svg.contains("&lt;script&gt;"));
    let (_, desc) = title_and_desc(&doc);
    assert!(desc.contains("<script>alert('x')</script> & Co: 20,00"));
}

#[test]
fn long_names_are_shortened_with_the_full_name_as_tooltip() {
    let long = "Ban Quản lý các khu công nghiệp và khu kinh tế cửa khẩu tỉnh Sơn La";
    let mut r = rows();
    r[3].label = long.into();
    let svg = interval_chart(&chart(r, MIN_WIDTH)).unwrap();
    let doc = parse(&svg);
    let shortened = texts(&doc)
        .into_iter()
        .find(|t| text_of(*t).starts_with("Ban Quản lý") && text_of(*t).ends_with('…'))
        .expect("a shortened name");
    let tip = shortened
        .children()
        .find(|c| c.has_tag_name("title"))
        .expect("a tooltip");
    assert_eq!(tip.text(), Some(long));
    // Short names get no tooltip.
    assert!(text_node(&doc, "Sở Nội vụ")
        .children()
        .all(|c| !c.has_tag_name("title")));
    assert!(num(doc.root_element(), "width") == f64::from(MIN_WIDTH));
}

#[test]
fn size_is_the_width_asked_and_a_height_per_row() {
    let five = interval_chart(&chart(rows(), 640)).unwrap();
    let mut ten_rows = rows();
    ten_rows.extend(rows().into_iter().map(|mut r| {
        r.label.push_str(" (2)");
        r
    }));
    let ten = interval_chart(&chart(ten_rows, 640)).unwrap();
    let (d5, d10) = (parse(&five), parse(&ten));
    assert_eq!(num(d5.root_element(), "width"), 640.0);
    assert_eq!(num(d10.root_element(), "width"), 640.0);
    let h5 = num(d5.root_element(), "height");
    let h10 = num(d10.root_element(), "height");
    assert_eq!(h10 - h5, 5.0 * f64::from(ROW_HEIGHT));
    assert_eq!(
        d5.root_element().attribute("viewBox"),
        Some(format!("0 0 640 {h5}").as_str())
    );
}

#[test]
fn title_and_description_come_first_in_vietnamese() {
    let svg = interval_chart(&chart(rows(), 720)).unwrap();
    let doc = parse(&svg);
    let (title, desc) = title_and_desc(&doc);
    assert_eq!(title, "Thành phần điều tra xã hội học theo đơn vị");
    assert!(
        desc.starts_with("Biểu đồ ước lượng và khoảng tin cậy 95% của 5 đơn vị, thang từ 0 đến 30")
    );
    assert!(desc.contains("Sở Nội vụ: 20,00, khoảng tin cậy từ 18,00 đến 22,00."));
    assert!(desc.contains("UBND huyện Sốp Cộp: không công bố: dưới 30 câu trả lời."));
}

#[test]
fn percent_axis_prints_percent_with_a_decimal_comma() {
    let axis = Axis {
        max: 1.0,
        format: ValueFormat::Percent { decimals: 1 },
        label: "Tỷ lệ hài lòng".into(),
    };
    let c = IntervalChart::new(
        "Tỷ lệ hài lòng",
        axis,
        600,
        vec![IntervalRow::estimate("Sở Nội vụ", 0.42, 0.381, 0.459)],
    );
    let svg = interval_chart(&c).unwrap();
    let doc = parse(&svg);
    text_node(&doc, "42,0% (38,1%–45,9%)");
    text_node(&doc, "100%");
    text_node(&doc, "Tỷ lệ hài lòng");
}

#[test]
fn an_interval_past_the_axis_is_cut_without_a_cap() {
    let c = chart(
        vec![IntervalRow::estimate("Sở Nội vụ", 1.0, -2.0, 4.0)],
        600,
    );
    let svg = interval_chart(&c).unwrap();
    let doc = parse(&svg);
    text_node(&doc, "1,00 (-2,00–4,00)");
    let y = row_y_of(&doc, "Sở Nội vụ");
    let verticals = elements(&doc, "polyline")
        .into_iter()
        .filter(|p| {
            let v: Vec<&str> = p.attribute("points").unwrap().split_whitespace().collect();
            v.len() == 2 && v[0].split(',').next() == v[1].split(',').next() && {
                let y0: f64 = v[0].split(',').nth(1).unwrap().parse().unwrap();
                (y0 - y).abs() <= 6.0
            }
        })
        .count();
    assert_eq!(verticals, 1, "only the high end has a cap");
}

#[test]
fn bad_input_is_a_clear_error() {
    let e = |c: IntervalChart| interval_chart(&c).unwrap_err().to_string();
    assert_eq!(
        e(chart(rows(), 100)),
        "biểu đồ phải rộng từ 360 đến 4000 điểm ảnh; yêu cầu 100"
    );
    assert_eq!(e(chart(vec![], 600)), "không có đơn vị nào để vẽ biểu đồ");
    assert_eq!(
        e(chart(
            vec![IntervalRow::estimate("Sở A", 20.0, 21.0, 22.0)],
            600
        )),
        "đơn vị \"Sở A\": ước lượng phải nằm trong khoảng tin cậy"
    );
    assert_eq!(
        e(chart(
            vec![IntervalRow::estimate("Sở A", 31.0, 29.0, 33.0)],
            600
        )),
        "đơn vị \"Sở A\": ước lượng nằm ngoài trục"
    );
    assert!(e(chart(
        vec![IntervalRow::estimate("Sở A", f64::NAN, 1.0, 2.0)],
        600
    ))
    .contains("không phải là số"));
    assert!(
        e(chart(vec![IntervalRow::estimate(" ", 1.0, 1.0, 2.0)], 600)).contains("tên đơn vị trống")
    );
    let mut c = chart(rows(), 600);
    c.axis.max = 0.0;
    assert!(e(c).contains("trục"));
}

#[test]
fn control_characters_in_names_do_not_break_the_xml() {
    let mut r = rows();
    r[0].label = "Sở\u{1}Nội\nvụ".into();
    let svg = interval_chart(&chart(r, 720)).unwrap();
    let doc = parse(&svg);
    text_node(&doc, "SởNội vụ");
}
