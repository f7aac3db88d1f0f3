//! `chiso estimate`: design-based estimates from a CSV for analysts. This
//! file reads and checks the columns; the statistics are in
//! `domain::estimate`.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::str::FromStr;

use serde::Serialize;

use crate::estimate::{
    self as engine, confidence_interval, Design, DesignSpec, Estimate, EstimateError, Interval,
    Replacement,
};

/// What to estimate: a statistic of `--var`, or with `--prop` the share (or,
/// with `Total`, the estimated number) of rows where a column has a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    Mean,
    Total,
    /// `--var` over `--denominator`, both totals.
    Ratio,
}

/// `COL=VALUE`, as in `--where` and `--prop`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub column: String,
    pub value: String,
}

impl FromStr for Condition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((c, v)) if !c.trim().is_empty() => Ok(Self {
                column: c.trim().to_string(),
                value: v.trim().to_string(),
            }),
            _ => Err(format!("cần dạng COT=GIATRI, nhận được \"{s}\"")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Request {
    pub var: Option<String>,
    pub stat: Stat,
    pub denominator: Option<String>,
    pub strata: Option<String>,
    pub cluster: Option<String>,
    pub fpc: Option<String>,
    pub weight: Option<String>,
    pub by: Vec<String>,
    pub wheres: Vec<Condition>,
    pub prop: Option<Condition>,
    pub ci: Interval,
    pub level: f64,
    /// Add a design-effect column: R's `deff = TRUE` (`Without`) or
    /// `deff = "replace"` (`With`).
    pub deff: Option<Replacement>,
}

impl Request {
    /// The mean of `var` with a 95 % normal interval and no design columns.
    pub fn mean_of(var: &str) -> Self {
        Self {
            var: Some(var.to_string()),
            stat: Stat::Mean,
            denominator: None,
            strata: None,
            cluster: None,
            fpc: None,
            weight: None,
            by: Vec::new(),
            wheres: Vec::new(),
            prop: None,
            ci: Interval::Normal,
            level: 0.95,
            deff: None,
        }
    }
}

/// One output line: a domain's estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The `--by` values joined by `,`; empty without `--by`.
    pub domain: String,
    pub estimate: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Rows of the domain with a value (both values for a ratio) and a
    /// weight above 0.
    pub n: usize,
    /// PSUs minus strata among the domain's rows, as R's `degf` of
    /// `subset(design, domain)`; the degrees of freedom of `--ci t|logit`.
    pub degf: usize,
    /// Only with `Request::deff`; `null` when undefined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deff: Option<Option<f64>>,
}

/// Everything that stops an estimate, one line each.
#[derive(Debug, thiserror::Error)]
pub enum EstimateFailure {
    #[error("{0}")]
    Usage(String),
    #[error("không đọc được CSV: {0}")]
    Csv(String),
    #[error("không có cột \"{0}\" trong tệp")]
    UnknownColumn(String),
    #[error("dòng {line}, cột \"{column}\": \"{value}\" không phải là số")]
    NotNumeric {
        line: u64,
        column: String,
        value: String,
    },
    #[error("dòng {line}, cột \"{column}\": thiếu giá trị (cột thiết kế không được để trống)")]
    MissingDesignValue { line: u64, column: String },
    #[error("dòng {line}, cột \"{column}\": {what} phải là số không âm, nhận được {value}")]
    Negative {
        line: u64,
        column: String,
        what: &'static str,
        value: f64,
    },
    #[error("{}{reason}", domain_prefix(.domain))]
    Estimate {
        domain: String,
        reason: EstimateError,
    },
}

fn domain_prefix(domain: &str) -> String {
    if domain.is_empty() {
        String::new()
    } else {
        format!("miền \"{domain}\": ")
    }
}

fn usage(msg: &str) -> EstimateFailure {
    EstimateFailure::Usage(msg.to_string())
}

fn check(req: &Request) -> Result<(), EstimateFailure> {
    match (&req.var, &req.prop) {
        (None, None) => return Err(usage("cần --var COT hoặc --prop 'COT=GIATRI'")),
        (Some(_), Some(_)) => return Err(usage("dùng --var hoặc --prop, không dùng cả hai")),
        _ => {}
    }
    match (req.stat, &req.denominator) {
        (Stat::Ratio, None) => return Err(usage("--stat ratio cần --denominator COT")),
        (Stat::Ratio, Some(_)) if req.prop.is_some() => {
            return Err(usage("--stat ratio không dùng với --prop"))
        }
        (Stat::Mean | Stat::Total, Some(_)) => {
            return Err(usage("--denominator chỉ dùng với --stat ratio"))
        }
        _ => {}
    }
    if req.ci == Interval::Logit && (req.prop.is_none() || req.stat != Stat::Mean) {
        return Err(usage(
            "--ci logit chỉ dùng cho tỉ lệ (--prop, không dùng với --stat total)",
        ));
    }
    if !(req.level > 0.0 && req.level < 1.0) {
        return Err(usage(&format!(
            "--level phải nằm giữa 0 và 1, nhận được {}",
            req.level
        )));
    }
    Ok(())
}

/// The CSV with its header, data rows and their line numbers.
struct Table {
    headers: Vec<String>,
    records: Vec<csv::StringRecord>,
    lines: Vec<u64>,
}

impl Table {
    fn read(input: impl Read) -> Result<Self, EstimateFailure> {
        let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(input);
        let headers = rdr
            .headers()
            .map_err(|e| EstimateFailure::Csv(e.to_string()))?
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = if i == 0 {
                    h.trim_start_matches('\u{feff}')
                } else {
                    h
                };
                h.trim().to_string()
            })
            .collect();
        let mut records = Vec::new();
        let mut lines = Vec::new();
        for r in rdr.records() {
            let r = r.map_err(|e| EstimateFailure::Csv(e.to_string()))?;
            lines.push(r.position().map_or(0, |p| p.line()));
            records.push(r);
        }
        Ok(Self {
            headers,
            records,
            lines,
        })
    }

    fn column(&self, name: &str) -> Result<usize, EstimateFailure> {
        self.headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| EstimateFailure::UnknownColumn(name.to_string()))
    }

    /// The column's cells, `None` for a missing value (`NA` or empty).
    fn cells(&self, name: &str) -> Result<Vec<Option<&str>>, EstimateFailure> {
        let c = self.column(name)?;
        Ok(self
            .records
            .iter()
            .map(|r| {
                let v = r.get(c).unwrap_or("").trim();
                (!is_missing(v)).then_some(v)
            })
            .collect())
    }

    fn numbers(&self, name: &str) -> Result<Vec<Option<f64>>, EstimateFailure> {
        self.cells(name)?
            .into_iter()
            .zip(&self.lines)
            .map(|(cell, &line)| match cell {
                None => Ok(None),
                Some(v) => match v.parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok(Some(x)),
                    _ => Err(EstimateFailure::NotNumeric {
                        line,
                        column: name.to_string(),
                        value: v.to_string(),
                    }),
                },
            })
            .collect()
    }

    /// A design column: every row needs a value.
    fn labels(&self, name: &str) -> Result<Vec<&str>, EstimateFailure> {
        self.cells(name)?
            .into_iter()
            .zip(&self.lines)
            .map(|(cell, &line)| {
                cell.ok_or_else(|| EstimateFailure::MissingDesignValue {
                    line,
                    column: name.to_string(),
                })
            })
            .collect()
    }

    fn non_negative(&self, name: &str, what: &'static str) -> Result<Vec<f64>, EstimateFailure> {
        self.numbers(name)?
            .into_iter()
            .zip(&self.lines)
            .map(|(v, &line)| match v {
                None => Err(EstimateFailure::MissingDesignValue {
                    line,
                    column: name.to_string(),
                }),
                Some(x) if x < 0.0 => Err(EstimateFailure::Negative {
                    line,
                    column: name.to_string(),
                    what,
                    value: x,
                }),
                Some(x) => Ok(x),
            })
            .collect()
    }
}

fn is_missing(v: &str) -> bool {
    v.is_empty() || v == "NA"
}

/// The values being estimated, parsed once.
enum Target {
    Values(Vec<Option<f64>>),
    Indicator(Vec<Option<bool>>),
    Ratio(Vec<Option<f64>>, Vec<Option<f64>>),
}

/// Reads the CSV and estimates per domain, in R's `svyby` order.
pub fn run(input: impl Read, req: &Request) -> Result<Vec<Row>, EstimateFailure> {
    check(req)?;
    let table = Table::read(input)?;
    // Column names are checked before anything else, so a typo is reported
    // as such and not as a problem in the data.
    for name in req
        .var
        .iter()
        .chain(&req.denominator)
        .chain(&req.strata)
        .chain(&req.cluster)
        .chain(&req.fpc)
        .chain(&req.weight)
        .chain(&req.by)
        .chain(req.wheres.iter().map(|c| &c.column))
        .chain(req.prop.iter().map(|c| &c.column))
    {
        table.column(name)?;
    }

    let strata = req.strata.as_deref().map(|c| table.labels(c)).transpose()?;
    let clusters = req
        .cluster
        .as_deref()
        .map(|c| table.labels(c))
        .transpose()?;
    let fpc = req
        .fpc
        .as_deref()
        .map(|c| table.non_negative(c, "fpc"))
        .transpose()?;
    let weights = req
        .weight
        .as_deref()
        .map(|c| table.non_negative(c, "trọng số"))
        .transpose()?;
    let design = Design::new(DesignSpec {
        rows: table.records.len(),
        strata: strata.as_deref(),
        clusters: clusters.as_deref(),
        fpc: fpc.as_deref(),
        weights: weights.as_deref(),
    })
    .map_err(|reason| EstimateFailure::Estimate {
        domain: String::new(),
        reason,
    })?;

    let target = match (&req.prop, &req.var, &req.denominator) {
        (Some(p), _, _) => Target::Indicator(
            table
                .cells(&p.column)?
                .into_iter()
                .map(|c| c.map(|v| v == p.value))
                .collect(),
        ),
        (None, Some(v), Some(d)) => Target::Ratio(table.numbers(v)?, table.numbers(d)?),
        (None, Some(v), None) => Target::Values(table.numbers(v)?),
        (None, None, _) => unreachable!("check() requires --var or --prop"),
    };

    let mut base = vec![true; table.records.len()];
    for w in &req.wheres {
        for (keep, cell) in base.iter_mut().zip(table.cells(&w.column)?) {
            *keep &= cell == Some(w.value.as_str());
        }
    }

    let domains = domains(&table, &req.by, &base)?;
    domains
        .into_iter()
        .map(|(label, mask)| {
            let restricted = !req.by.is_empty() || !req.wheres.is_empty();
            let mask = restricted.then_some(mask.as_slice());
            estimate_one(&design, &target, mask, req)
                .map_err(|reason| EstimateFailure::Estimate {
                    domain: label.clone(),
                    reason,
                })
                .map(|(e, ci)| Row {
                    domain: label,
                    estimate: e.value,
                    se: e.se(),
                    ci_low: ci.0,
                    ci_high: ci.1,
                    n: e.n,
                    degf: e.degf,
                    deff: req.deff.map(|r| e.deff(r)),
                })
        })
        .collect()
}

fn estimate_one(
    design: &Design,
    target: &Target,
    domain: Option<&[bool]>,
    req: &Request,
) -> Result<(Estimate, (f64, f64)), EstimateError> {
    let e = match (target, req.stat) {
        (Target::Values(y), Stat::Total) => engine::total(design, y, domain)?,
        (Target::Values(y), _) => engine::mean(design, y, domain)?,
        (Target::Indicator(x), Stat::Total) => {
            let y: Vec<Option<f64>> = x.iter().map(|b| b.map(f64::from)).collect();
            engine::total(design, &y, domain)?
        }
        (Target::Indicator(x), _) => engine::proportion(design, x, domain)?,
        (Target::Ratio(y, x), _) => engine::ratio(design, y, x, domain)?,
    };
    let ci = confidence_interval(&e, req.ci, req.level)?;
    Ok((e, ci))
}

/// The `--by` domains that occur among the `base` rows, with their masks, in
/// the order R's `svyby` prints them: sorted by the last `--by` column first
/// (R's `interaction` varies the first factor fastest), numerically when all
/// of a column's values are numbers. A row with a missing `--by` value is in
/// no domain. Without `--by`, one domain with an empty label.
fn domains(
    table: &Table,
    by: &[String],
    base: &[bool],
) -> Result<Vec<(String, Vec<bool>)>, EstimateFailure> {
    if by.is_empty() {
        return Ok(vec![(String::new(), base.to_vec())]);
    }
    let columns: Vec<Vec<Option<&str>>> = by
        .iter()
        .map(|c| table.cells(c))
        .collect::<Result<_, _>>()?;
    let numeric: Vec<bool> = columns
        .iter()
        .map(|col| col.iter().flatten().all(|v| v.parse::<f64>().is_ok()))
        .collect();
    let mut groups: BTreeMap<Vec<&str>, Vec<bool>> = BTreeMap::new();
    for i in 0..table.records.len() {
        if !base[i] {
            continue;
        }
        let Some(key) = columns.iter().map(|c| c[i]).collect::<Option<Vec<&str>>>() else {
            continue;
        };
        groups
            .entry(key)
            .or_insert_with(|| vec![false; table.records.len()])[i] = true;
    }
    let mut out: Vec<(Vec<&str>, Vec<bool>)> = groups.into_iter().collect();
    out.sort_by(|(a, _), (b, _)| {
        for k in (0..a.len()).rev() {
            let o = if numeric[k] {
                let (x, y) = (a[k].parse::<f64>(), b[k].parse::<f64>());
                x.unwrap_or(0.0)
                    .partial_cmp(&y.unwrap_or(0.0))
                    .unwrap_or(Ordering::Equal)
            } else {
                a[k].cmp(b[k])
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    Ok(out
        .into_iter()
        .map(|(key, mask)| (key.join(","), mask))
        .collect())
}

/// CSV with the columns `domain,estimate,se,ci_low,ci_high,n,degf` (and
/// `deff` when asked), numbers in full precision.
pub fn write_csv(rows: &[Row], deff: bool, out: impl Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["domain", "estimate", "se", "ci_low", "ci_high", "n", "degf"];
    if deff {
        header.push("deff");
    }
    w.write_record(&header)?;
    for r in rows {
        let mut rec = vec![
            r.domain.clone(),
            r.estimate.to_string(),
            r.se.to_string(),
            r.ci_low.to_string(),
            r.ci_high.to_string(),
            r.n.to_string(),
            r.degf.to_string(),
        ];
        if deff {
            rec.push(r.deff.flatten().map_or("NA".to_string(), |d| d.to_string()));
        }
        w.write_record(&rec)?;
    }
    w.flush()
}

/// A JSON array of objects with the same keys as the CSV columns.
pub fn write_json(rows: &[Row], mut out: impl Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut out, rows)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_str(csv: &str, req: &Request) -> Result<Vec<Row>, EstimateFailure> {
        run(csv.as_bytes(), req)
    }

    #[test]
    fn conditions_parse() {
        assert_eq!(
            "stype = E".parse::<Condition>().unwrap(),
            Condition {
                column: "stype".into(),
                value: "E".into()
            }
        );
        assert!("stype".parse::<Condition>().is_err());
        assert!("=E".parse::<Condition>().is_err());
    }

    #[test]
    fn bom_missing_values_and_line_numbers() {
        let csv = "\u{feff}g,y\na,1\na,NA\nb,\nb,3\n";
        let rows = run_str(csv, &Request::mean_of("g")).unwrap_err();
        assert!(
            matches!(rows, EstimateFailure::NotNumeric { line: 2, .. }),
            "{rows}"
        );
        let rows = run_str(csv, &Request::mean_of("y")).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].n, 2);
        assert_eq!(rows[0].estimate, 2.0);
        let bad = run_str("y\n1\nx\n", &Request::mean_of("y")).unwrap_err();
        assert_eq!(bad.to_string(), "dòng 3, cột \"y\": \"x\" không phải là số");
    }

    #[test]
    fn domains_follow_r_order_and_skip_missing_by_values() {
        let csv = "a,b,y\n2,x,1\n10,x,2\n2,y,3\n10,y,4\nNA,x,5\n2,x,6\n";
        let req = Request {
            by: vec!["a".into(), "b".into()],
            ..Request::mean_of("y")
        };
        let rows = run_str(csv, &req).unwrap();
        let labels: Vec<&str> = rows.iter().map(|r| r.domain.as_str()).collect();
        assert_eq!(labels, ["2,x", "10,x", "2,y", "10,y"]);
        assert_eq!(rows[0].estimate, 3.5);
        assert_eq!(rows[0].n, 2);
    }

    #[test]
    fn usage_errors() {
        let csv = "y,g\n1,a\n2,b\n";
        let no_target = Request {
            var: None,
            ..Request::mean_of("y")
        };
        assert!(matches!(
            run_str(csv, &no_target),
            Err(EstimateFailure::Usage(_))
        ));
        let logit_on_mean = Request {
            ci: Interval::Logit,
            ..Request::mean_of("y")
        };
        assert!(matches!(
            run_str(csv, &logit_on_mean),
            Err(EstimateFailure::Usage(_))
        ));
        let unknown = Request::mean_of("z");
        assert_eq!(
            run_str(csv, &unknown).unwrap_err().to_string(),
            "không có cột \"z\" trong tệp"
        );
        let empty_where = Request {
            wheres: vec!["g=c".parse().unwrap()],
            ..Request::mean_of("y")
        };
        assert!(matches!(
            run_str(csv, &empty_where),
            Err(EstimateFailure::Estimate {
                reason: EstimateError::EmptyDomain,
                ..
            })
        ));
    }

    #[test]
    fn output_formats_keep_full_precision() {
        let rows = vec![Row {
            domain: "E,x".into(),
            estimate: 662.2874149659863,
            se: 0.1,
            ci_low: 1.0 / 3.0,
            ci_high: 2.0,
            n: 200,
            degf: 197,
            deff: None,
        }];
        let mut out = Vec::new();
        write_csv(&rows, false, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "domain,estimate,se,ci_low,ci_high,n,degf\n\"E,x\",662.2874149659863,0.1,0.3333333333333333,2,200,197\n"
        );
        let mut out = Vec::new();
        write_json(&rows, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0]["estimate"].as_f64(), Some(662.2874149659863));
        assert!(v[0].get("deff").is_none());
    }
}
