//! Writes the two report charts for a made-up province to a folder, to look
//! at in a browser: `cargo run --example report_charts -- /tmp/charts`.

use chiso::report::chart::{
    interval_chart, split_chart, Axis, IntervalChart, IntervalRow, SplitChart, SplitRow, Threshold,
    ValueFormat,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    std::fs::create_dir_all(&dir)?;
    let width = std::env::args()
        .nth(2)
        .map(|w| w.parse())
        .transpose()?
        .unwrap_or(760);

    let survey = IntervalChart::new(
        "Thành phần điều tra xã hội học năm 2025, theo đơn vị",
        Axis {
            max: 30.0,
            format: ValueFormat::Number { decimals: 2 },
            label: "Điểm (tối đa 30)".into(),
        },
        width,
        vec![
            IntervalRow::estimate("Sở Nội vụ", 26.4, 25.1, 27.7),
            IntervalRow::estimate("Sở Tư pháp", 24.9, 23.2, 26.6),
            IntervalRow::flagged("Sở Ngoại vụ", 23.7, 19.8, 27.6),
            IntervalRow::estimate(
                "Ban Quản lý các khu công nghiệp và khu kinh tế cửa khẩu tỉnh",
                22.8,
                21.0,
                24.6,
            ),
            IntervalRow::withheld("Sở Du lịch", "dưới 30 câu trả lời"),
            IntervalRow::estimate("UBND huyện Mộc Châu", 21.5, 20.3, 22.7),
            IntervalRow::estimate("<script>alert(1)</script>", 8.0, 2.5, 13.5),
        ],
    );
    std::fs::write(format!("{dir}/interval.svg"), interval_chart(&survey)?)?;

    let index = SplitChart::new(
        "Chỉ số CCHC năm 2025 của các sở",
        Axis {
            max: 100.0,
            format: ValueFormat::Number { decimals: 2 },
            label: "Chỉ số CCHC (điểm)".into(),
        },
        width,
        vec![
            SplitRow::parts("Sở Nội vụ", 64.25, 27.10),
            SplitRow::parts("Sở Tư pháp", 60.5, 25.75),
            SplitRow::parts("Sở Kế hoạch và Đầu tư", 55.0, 24.0),
            SplitRow::missing("Sở Du lịch", "chưa thẩm định"),
            SplitRow::parts("Sở Giao thông vận tải", 41.0, 18.5),
        ],
        vec![
            Threshold {
                value: 90.0,
                label: "Tốt".into(),
            },
            Threshold {
                value: 70.0,
                label: "Khá".into(),
            },
            Threshold {
                value: 50.0,
                label: "Trung bình".into(),
            },
        ],
    );
    std::fs::write(format!("{dir}/split.svg"), split_chart(&index)?)?;
    println!("{dir}/interval.svg, {dir}/split.svg");
    Ok(())
}
