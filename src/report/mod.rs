//! Reports: server-side SVG charts ([`chart`]), streamed table exports
//! ([`table`], [`export`]), the scoring sheet ([`scoring_sheet`]), letters
//! to drawn people as PDF ([`letter`]) and uploaded XLSX read by cell
//! address ([`sheet_in`]). This layer renders
//! and parses files only: it takes plain values (names, numbers, flags) and
//! writes SVG, CSV, XLSX, JSON or PDF, or reads a workbook into cells. It does not
//! query the database and knows nothing of HTTP; staff pages and export
//! endpoints gather the values and call it.
//!
//! How the survey results page would draw the survey component per unit,
//! from the index computation's survey scores and their intervals:
//!
//! ```
//! use chiso::report::chart::{interval_chart, Axis, IntervalChart, IntervalRow, ValueFormat};
//!
//! // What the page's service already has for each unit, in display order.
//! struct UnitResult {
//!     name: String,
//!     /// None when the score is withheld (too few answers under `withhold`).
//!     points: Option<(f64, f64, f64)>,
//!     /// Some group below the minimum under the `flag` policy.
//!     short: bool,
//! }
//! let results = vec![
//!     UnitResult { name: "Sở Nội vụ".into(), points: Some((26.4, 25.1, 27.7)), short: false },
//!     UnitResult { name: "Sở Ngoại vụ".into(), points: Some((23.7, 19.8, 27.6)), short: true },
//!     UnitResult { name: "Sở Du lịch".into(), points: None, short: true },
//! ];
//!
//! let rows = results
//!     .iter()
//!     .map(|u| match u.points {
//!         Some((p, low, high)) if u.short => IntervalRow::flagged(&u.name, p, low, high),
//!         Some((p, low, high)) => IntervalRow::estimate(&u.name, p, low, high),
//!         None => IntervalRow::withheld(&u.name, "chưa đủ số câu trả lời tối thiểu"),
//!     })
//!     .collect();
//! let axis = Axis {
//!     max: 30.0,
//!     format: ValueFormat::Number { decimals: 2 },
//!     label: "Điểm (tối đa 30)".into(),
//! };
//! let chart = IntervalChart::new("Điểm điều tra xã hội học theo đơn vị", axis, 720, rows);
//! let svg: String = interval_chart(&chart)?;
//! // Inline it in the page: the template marks it safe, it is escaped here.
//! assert!(svg.starts_with("<svg role=\"img\""));
//! # Ok::<(), chiso::report::chart::ChartError>(())
//! ```

pub mod chart;
pub mod export;
pub mod letter;
pub mod number;
pub mod paper_form;
pub mod pdf;
pub mod qr;
pub mod scoring_sheet;
pub mod sheet_in;
pub mod table;
