//! `chiso estimate` against numbers printed by R's `survey` package.
//!
//! Each expectation is a value R printed, with where it was printed. Most come
//! from the package's own saved test outputs (repository `cran/survey`,
//! `tests/*.Rout.save`); a few from the saved snapshots of another package's
//! tests that print `survey` results (cited by URL). A value is compared at
//! the digits R printed: within half a unit of its last printed digit.
//!
//! The data in `tests/data/api/` is the `api` and `fpc` data shipped with R's
//! `survey` (see `SHA256SUMS`); `tests/data/kigyo.csv` is the table typed into
//! `cran/survey` `tests/deff.R`. Some designs need a derived column (e.g.
//! `x > 4`); those are written to a temporary CSV from the fixture.

use std::path::{Path, PathBuf};
use std::process::Command;

use chiso::domain::estimate::request::{run, Condition, EstimateFailure, Request, Row, Stat};
use chiso::domain::estimate::{Interval, Replacement};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn api(name: &str) -> PathBuf {
    data(&format!("api/{name}.csv"))
}

fn estimate(file: &Path, req: &Request) -> Result<Vec<Row>, EstimateFailure> {
    let f = std::fs::File::open(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    run(f, req)
}

fn one(file: &Path, req: &Request) -> Row {
    let rows = estimate(file, req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.into_iter().next().unwrap()
}

/// `actual` rounds to what R printed: |actual − printed| ≤ half a unit of the
/// last printed digit (plus a hair for the binary representation).
#[track_caller]
fn printed(actual: f64, r: &str) {
    let value: f64 = r.parse().unwrap();
    let decimals = r.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
    let half = 0.5 * 10f64.powi(-decimals);
    assert!(
        (actual - value).abs() <= half * (1.0 + 1e-9),
        "R printed {r}, we have {actual}"
    );
}

fn condition(s: &str) -> Condition {
    s.parse().unwrap()
}

/// `svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat)`.
fn dstrat(var: &str) -> Request {
    Request {
        strata: Some("stype".into()),
        weight: Some("pw".into()),
        fpc: Some("fpc".into()),
        ..Request::mean_of(var)
    }
}

/// `svydesign(id=~dnum, weights=~pw, fpc=~fpc, data=apiclus1)`.
fn dclus1(var: &str) -> Request {
    Request {
        cluster: Some("dnum".into()),
        weight: Some("pw".into()),
        fpc: Some("fpc".into()),
        ..Request::mean_of(var)
    }
}

/// `svydesign(weights=~weight, ids=~psuid, strata=~stratid, data=fpc, nest=TRUE)`.
fn withoutfpc() -> Request {
    Request {
        strata: Some("stratid".into()),
        cluster: Some("psuid".into()),
        weight: Some("weight".into()),
        ..Request::mean_of("x")
    }
}

/// A copy of a fixture with extra columns computed from each row.
fn derived(
    src: &Path,
    extra: &[&str],
    keep: impl Fn(usize, &csv::StringRecord, &csv::StringRecord) -> Option<Vec<String>>,
) -> tempfile::NamedTempFile {
    let mut rdr = csv::Reader::from_path(src).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut w = csv::Writer::from_path(out.path()).unwrap();
    let mut header: Vec<String> = headers.iter().map(String::from).collect();
    header.extend(extra.iter().map(|s| s.to_string()));
    w.write_record(&header).unwrap();
    for (i, r) in rdr.records().enumerate() {
        let r = r.unwrap();
        if let Some(more) = keep(i, &headers, &r) {
            let mut rec: Vec<String> = r.iter().map(String::from).collect();
            rec.extend(more);
            w.write_record(&rec).unwrap();
        }
    }
    w.flush().unwrap();
    out
}

fn field<'a>(headers: &csv::StringRecord, r: &'a csv::StringRecord, name: &str) -> &'a str {
    let i = headers.iter().position(|h| h == name).unwrap();
    &r[i]
}

// ---- cran/survey tests/api.Rout.save (example(api)) ----

#[test]
fn stratified_mean_and_total_of_apistrat() {
    // cran/survey tests/api.Rout.save: svymean(~api00, dstrat) → 662.29, SE 9.4089
    let m = one(&api("apistrat"), &dstrat("api00"));
    printed(m.estimate, "662.29");
    printed(m.se, "9.4089");
    assert_eq!((m.n, m.degf), (200, 197));

    // cran/survey tests/api.Rout.save: svytotal(~enroll, dstrat, na.rm=TRUE) → 3687178, SE 114642
    let t = one(
        &api("apistrat"),
        &Request {
            stat: Stat::Total,
            ..dstrat("enroll")
        },
    );
    printed(t.estimate, "3687178");
    printed(t.se, "114642");
}

#[test]
fn one_stage_cluster_mean_and_total_of_apiclus1() {
    // cran/survey tests/api.Rout.save: svymean(~api00, dclus1) → 644.17, SE 23.542
    let m = one(&api("apiclus1"), &dclus1("api00"));
    printed(m.estimate, "644.17");
    printed(m.se, "23.542");
    assert_eq!(m.degf, 14, "15 districts, one stratum");

    // cran/survey tests/api.Rout.save: svytotal(~enroll, dclus1, na.rm=TRUE) → 3404940, SE 932235
    let t = one(
        &api("apiclus1"),
        &Request {
            stat: Stat::Total,
            ..dclus1("enroll")
        },
    );
    printed(t.estimate, "3404940");
    printed(t.se, "932235");
}

#[test]
fn cluster_sample_with_replacement_uses_the_first_stage() {
    // dclus2wr <- svydesign(id=~dnum+snum, weights=~pw, data=apiclus2): without
    // fpc R's `multistage` adds no second-stage term, so this is the one-stage
    // design with PSU dnum.
    let req = Request {
        cluster: Some("dnum".into()),
        weight: Some("pw".into()),
        ..Request::mean_of("api00")
    };
    // cran/survey tests/api.Rout.save: svymean(~api00, dclus2wr) → 670.81, SE 30.712
    let m = one(&api("apiclus2"), &req);
    printed(m.estimate, "670.81");
    printed(m.se, "30.712");
    // cran/survey tests/api.Rout.save: svytotal(~enroll, dclus2wr, na.rm=TRUE) → 2639273, SE 820261
    let t = one(
        &api("apiclus2"),
        &Request {
            var: Some("enroll".into()),
            stat: Stat::Total,
            ..req
        },
    );
    printed(t.estimate, "2639273");
    printed(t.se, "820261");
    assert_eq!(t.n, 120, "6 of the 126 schools have no enrolment");
}

// ---- cran/survey tests/fpc.Rout.save (example(fpc)) ----

#[test]
fn every_way_of_giving_the_fpc_gives_r_s_answer() {
    let fpc = api("fpc");
    // cran/survey tests/fpc.Rout.save: svymean(~x, withoutfpc) → 5.4481, SE 0.7413
    let m = one(&fpc, &withoutfpc());
    printed(m.estimate, "5.4481");
    printed(m.se, "0.7413");

    // cran/survey tests/fpc.Rout.save: withfpc, fpc=~Nh → 5.4481, SE 0.616
    let with_counts = Request {
        fpc: Some("Nh".into()),
        ..withoutfpc()
    };
    let m = one(&fpc, &with_counts);
    printed(m.estimate, "5.4481");
    printed(m.se, "0.616");

    let fractions = derived(&fpc, &["f"], |_, h, r| {
        let nh: f64 = field(h, r, "nh").parse().unwrap();
        let big_n: f64 = field(h, r, "Nh").parse().unwrap();
        Some(vec![(nh / big_n).to_string()])
    });
    // cran/survey tests/fpc.Rout.save: fpc=~I(nh/Nh) → 5.4481, SE 0.616
    let m = one(
        fractions.path(),
        &Request {
            fpc: Some("f".into()),
            ..withoutfpc()
        },
    );
    printed(m.estimate, "5.4481");
    printed(m.se, "0.616");

    // cran/survey tests/fpc.Rout.save: svydesign(ids=~psuid, strata=~stratid, fpc=~Nh, ...)
    // without weights (weights N_h/n_h from the fpc) → 5.4481, SE 0.616
    let m = one(
        &fpc,
        &Request {
            weight: None,
            ..with_counts
        },
    );
    printed(m.estimate, "5.4481");
    printed(m.se, "0.616");
    // cran/survey tests/fpc.Rout.save: the same with fpc=~I(nh/Nh) → 5.4481, SE 0.616
    let m = one(
        fractions.path(),
        &Request {
            weight: None,
            fpc: Some("f".into()),
            ..withoutfpc()
        },
    );
    printed(m.estimate, "5.4481");
    printed(m.se, "0.616");
}

// ---- cran/survey tests/check.Rout.save ----

#[test]
fn design_variants_of_check_rout() {
    let fpc = api("fpc");
    let base = || Request::mean_of("x");
    // cran/survey tests/check.Rout.save: svydesign(ids=~0, strata=~stratid, ...) → 5.525, SE 0.7796
    let m = one(
        &fpc,
        &Request {
            strata: Some("stratid".into()),
            ..base()
        },
    );
    printed(m.estimate, "5.525");
    printed(m.se, "0.7796");
    // cran/survey tests/check.Rout.save: svydesign(ids=~psuid, ...) → 5.525, SE 0.838
    let m = one(
        &fpc,
        &Request {
            cluster: Some("psuid".into()),
            ..base()
        },
    );
    printed(m.estimate, "5.525");
    printed(m.se, "0.838");
    // cran/survey tests/check.Rout.save: svydesign(ids=~psuid, weights=~weight, ...) → 5.4481, SE 0.7938
    let m = one(
        &fpc,
        &Request {
            cluster: Some("psuid".into()),
            weight: Some("weight".into()),
            ..base()
        },
    );
    printed(m.estimate, "5.4481");
    printed(m.se, "0.7938");
    // cran/survey tests/check.Rout.save: svydesign(ids=~stratid+psuid, weights=~weight, ...)
    // (with replacement: first stage only) → 5.4481, SE 0.5465
    let m = one(
        &fpc,
        &Request {
            cluster: Some("stratid".into()),
            weight: Some("weight".into()),
            ..base()
        },
    );
    printed(m.estimate, "5.4481");
    printed(m.se, "0.5465");
    // cran/survey tests/check.Rout.save: svydesign(weights=fpc$weight, ids=fpc$psuid,
    // fpc=rep(27,8)) → 5.4481, SE 0.7165
    let pop27 = derived(&fpc, &["N27"], |_, _, _| Some(vec!["27".into()]));
    let m = one(
        pop27.path(),
        &Request {
            cluster: Some("psuid".into()),
            weight: Some("weight".into()),
            fpc: Some("N27".into()),
            ..base()
        },
    );
    printed(m.estimate, "5.4481");
    printed(m.se, "0.7165");
}

// ---- cran/survey tests/domain.Rout.save ----

#[test]
fn domains_keep_the_design_of_the_whole_sample() {
    let fpc = derived(&api("fpc"), &["big", "xbig"], |_, h, r| {
        let x: f64 = field(h, r, "x").parse().unwrap();
        let big = if x > 4.0 { 1.0 } else { 0.0 };
        Some(vec![big.to_string(), (x * big).to_string()])
    });
    // cran/survey tests/domain.Rout.save: svymean(~x, subset(dfpc, x>4)) → 6.195, SE 0.7555
    let m = one(
        fpc.path(),
        &Request {
            wheres: vec![condition("big=1")],
            ..withoutfpc()
        },
    );
    printed(m.estimate, "6.195");
    printed(m.se, "0.7555");
    assert_eq!(m.n, 6);

    // cran/survey tests/domain.Rout.save: svyby(~x, ~I(x>4), dfpc, svymean)
    //   FALSE 3.314286 0.3117042 / TRUE 6.195000 0.7555129
    let rows = estimate(
        fpc.path(),
        &Request {
            by: vec!["big".into()],
            ..withoutfpc()
        },
    )
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0].domain.as_str(), rows[1].domain.as_str()),
        ("0", "1")
    );
    printed(rows[0].estimate, "3.314286");
    printed(rows[0].se, "0.3117042");
    printed(rows[1].estimate, "6.195000");
    printed(rows[1].se, "0.7555129");

    // cran/survey tests/domain.Rout.save: svyratio(~I(x*(x>4)), ~as.numeric(x>4), dfpc)
    //   → 6.195, SE 0.7555129
    let r = one(
        fpc.path(),
        &Request {
            var: Some("xbig".into()),
            stat: Stat::Ratio,
            denominator: Some("big".into()),
            ..withoutfpc()
        },
    );
    printed(r.estimate, "6.195");
    printed(r.se, "0.7555129");
}

// ---- cran/survey tests/lonely.psu.Rout.save ----

#[test]
fn a_stratum_with_one_psu_fails_as_r_does_by_default() {
    // cran/survey tests/lonely.psu.Rout.save: options(survey.lonely.psu="fail");
    // svymean(~api00, svydesign(id=~1, weights=~pw, strata=~dnum, data=apiclus1))
    //   → Error: Stratum (413) has only one PSU at stage 1
    let req = Request {
        strata: Some("dnum".into()),
        weight: Some("pw".into()),
        ..Request::mean_of("api00")
    };
    let e = estimate(&api("apiclus1"), &req).unwrap_err();
    assert!(e.to_string().contains("tầng \"413\""), "{e}");

    // cran/survey tests/lonely.psu.Rout.save: fpc = 1 for dnum 413 (sampled
    // completely), 1000 elsewhere → 644.17, SE 5.7344 and no error
    let certain = derived(&api("apiclus1"), &["fpc3"], |_, h, r| {
        Some(vec![if field(h, r, "dnum") == "413" {
            "1"
        } else {
            "1000"
        }
        .into()])
    });
    let m = one(
        certain.path(),
        &Request {
            fpc: Some("fpc3".into()),
            ..req.clone()
        },
    );
    printed(m.estimate, "644.17");
    printed(m.se, "5.7344");

    // cran/survey tests/lonely.psu.Rout.save: ds1 <- ds[-31,] with ds on
    // subset(apiclus1, dnum != 413): stratum 406 keeps one PSU of two in the
    // domain, which is no error → 645.14, SE 5.8909
    let no413 = derived(&api("apiclus1"), &["keep"], {
        let kept = std::cell::Cell::new(0usize);
        move |_, h, r| {
            if field(h, r, "dnum") == "413" {
                return None;
            }
            kept.set(kept.get() + 1);
            Some(vec![if kept.get() == 31 { "0" } else { "1" }.into()])
        }
    });
    let m = one(
        no413.path(),
        &Request {
            wheres: vec![condition("keep=1")],
            ..req
        },
    );
    printed(m.estimate, "645.14");
    printed(m.se, "5.8909");
}

// ---- cran/survey tests/deff.Rout.save ----

#[test]
fn design_effects_with_and_without_replacement() {
    let kigyo = data("kigyo.csv");
    let srs = Request {
        weight: Some("srs.w".into()),
        deff: Some(Replacement::Without),
        ..Request::mean_of("uriage")
    };
    // cran/survey tests/deff.Rout.save: svymean(~uriage, des.srs, deff=TRUE) → 113.700, SE 35.626, DEff 1.0101
    let m = one(&kigyo, &srs);
    printed(m.estimate, "113.700");
    printed(m.se, "35.626");
    printed(m.deff.flatten().unwrap(), "1.0101");
    // cran/survey tests/deff.Rout.save: svytotal(~uriage, des.srs, deff=TRUE) → 113700, SE 35626, DEff 1.0101
    let t = one(
        &kigyo,
        &Request {
            stat: Stat::Total,
            ..srs.clone()
        },
    );
    printed(t.estimate, "113700");
    printed(t.se, "35626");
    printed(t.deff.flatten().unwrap(), "1.0101");

    let pps = Request {
        weight: Some("pps.w".into()),
        deff: Some(Replacement::With),
        ..srs
    };
    // cran/survey tests/deff.Rout.save: svymean(~uriage, des.pps, deff='replace') → 243.914, SE 48.752, DEff 1.9741
    let m = one(&kigyo, &pps);
    printed(m.estimate, "243.914");
    printed(m.se, "48.752");
    printed(m.deff.flatten().unwrap(), "1.9741");
    // cran/survey tests/deff.Rout.save: svytotal(~uriage, des.pps, deff='replace') → 305136, SE 184965, DEff 18.157
    let t = one(
        &kigyo,
        &Request {
            stat: Stat::Total,
            ..pps
        },
    );
    printed(t.estimate, "305136");
    printed(t.se, "184965");
    printed(t.deff.flatten().unwrap(), "18.157");
}

// ---- svycontrast on svyby(covmat = TRUE) ----

/// The columns of `apiclus1` the contrast needs, read straight into vectors.
struct Clus1 {
    dnum: Vec<String>,
    pw: Vec<f64>,
    fpc: Vec<f64>,
    api99: Vec<Option<f64>>,
    stype: Vec<String>,
}

fn apiclus1_columns() -> Clus1 {
    let mut r = csv::Reader::from_path(api("apiclus1")).unwrap();
    let header = r.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (dnum, pw, fpc, api99, stype) = (
        col("dnum"),
        col("pw"),
        col("fpc"),
        col("api99"),
        col("stype"),
    );
    let mut out = Clus1 {
        dnum: vec![],
        pw: vec![],
        fpc: vec![],
        api99: vec![],
        stype: vec![],
    };
    for rec in r.records() {
        let rec = rec.unwrap();
        out.dnum.push(rec[dnum].to_string());
        out.pw.push(rec[pw].parse().unwrap());
        out.fpc.push(rec[fpc].parse().unwrap());
        out.api99.push(rec[api99].parse().ok());
        out.stype.push(rec[stype].to_string());
    }
    out
}

#[test]
fn mean_contrast_matches_svycontrast_on_svyby_with_covmat() {
    use chiso::domain::estimate::{mean_contrast, Design, DesignSpec, MeanTerm};
    let Clus1 {
        dnum,
        pw,
        fpc,
        api99,
        stype,
    } = apiclus1_columns();
    let d = Design::new(DesignSpec {
        clusters: Some(&dnum[..]),
        weights: Some(&pw[..]),
        fpc: Some(&fpc[..]),
        ..DesignSpec::new(dnum.len())
    })
    .unwrap();
    let dom = |s: &str| -> Vec<bool> { stype.iter().map(|t| t == s).collect() };
    let (e, h, m) = (dom("E"), dom("H"), dom("M"));
    fn term<'a>(y: &'a [Option<f64>], coefficient: f64, domain: &'a [bool]) -> MeanTerm<'a> {
        MeanTerm {
            coefficient,
            y,
            domain: Some(domain),
        }
    }
    let term = |coefficient, domain| term(&api99, coefficient, domain);
    // https://github.com/guilhermejacob/context docs/06-covariance.md, R output of
    //   dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    //   mns <- svyby(~api99, ~stype, dclus1, svymean, covmat=TRUE); vcov(mns)
    //            E         H         M
    //   E 520.5973  573.0404  684.6562
    //   H 573.0404 1744.2317  747.1989
    //   M 684.6562  747.1989 1060.1954
    //   svycontrast(mns, c(E = 1, M = -1)) → contrast -0.80833, SE 14.542;
    //   sqrt(var.naive - cov.term) → 14.54236
    let diff = mean_contrast(&d, &[term(1.0, &e), term(-1.0, &m)]).unwrap();
    printed(diff.value, "-0.80833");
    printed(diff.se(), "14.54236");
    for (domain, v) in [(&e, "520.5973"), (&h, "1744.2317"), (&m, "1060.1954")] {
        printed(mean_contrast(&d, &[term(1.0, domain)]).unwrap().variance, v);
    }
    // Var(E + H) = V_EE + V_HH + 2 V_EH, from the printed matrix.
    let sum = mean_contrast(&d, &[term(1.0, &e), term(1.0, &h)]).unwrap();
    assert!((sum.variance - (520.5973 + 1744.2317 + 2.0 * 573.0404)).abs() < 3e-4);
    let hm = mean_contrast(&d, &[term(1.0, &h), term(1.0, &m)]).unwrap();
    assert!((hm.variance - (1744.2317 + 1060.1954 + 2.0 * 747.1989)).abs() < 3e-4);
}

// ---- cran/survey inst/doc/survey.tex (vignette "A survey analysis example") ----

#[test]
fn the_survey_vignette_on_apiclus1() {
    let clus1 = api("apiclus1");
    // cran/survey inst/doc/survey.tex: svytotal(~stype, dclus1)
    //   stypeE 4873.97 1333.32 / stypeH 473.86 158.70 / stypeM 846.17 167.55
    for (level, total, se) in [
        ("E", "4873.97", "1333.32"),
        ("H", "473.86", "158.70"),
        ("M", "846.17", "167.55"),
    ] {
        let t = one(
            &clus1,
            &Request {
                var: None,
                prop: Some(condition(&format!("stype={level}"))),
                stat: Stat::Total,
                ..dclus1("unused")
            },
        );
        printed(t.estimate, total);
        printed(t.se, se);
    }

    let ratio = Request {
        stat: Stat::Ratio,
        denominator: Some("enroll".into()),
        ..dclus1("api.stu")
    };
    // cran/survey inst/doc/survey.tex: svyratio(~api.stu, ~enroll, dclus1) → 0.8497087, SE 0.008386297
    let r = one(&clus1, &ratio);
    printed(r.estimate, "0.8497087");
    printed(r.se, "0.008386297");
    // cran/survey inst/doc/survey.tex: svyratio(~api.stu, ~enroll, design=subset(dclus1, stype=="H"))
    //   → 0.8300683, SE 0.01472607
    let r = one(
        &clus1,
        &Request {
            wheres: vec![condition("stype=H")],
            ..ratio
        },
    );
    printed(r.estimate, "0.8300683");
    printed(r.se, "0.01472607");

    // cran/survey inst/doc/survey.tex: svyby(~ell+meals, ~stype, design=dclus1, svymean)
    //   E 29.69444 53.09028 se 1.411617 7.070399
    //   H 15.00000 37.57143 se 5.347065 5.912262
    //   M 22.68000 43.08000 se 2.952862 6.017110
    let expected = [
        (
            "ell",
            [
                ("E", "29.69444", "1.411617"),
                ("H", "15.00000", "5.347065"),
                ("M", "22.68000", "2.952862"),
            ],
        ),
        (
            "meals",
            [
                ("E", "53.09028", "7.070399"),
                ("H", "37.57143", "5.912262"),
                ("M", "43.08000", "6.017110"),
            ],
        ),
    ];
    for (var, groups) in expected {
        let rows = estimate(
            &clus1,
            &Request {
                by: vec!["stype".into()],
                ..dclus1(var)
            },
        )
        .unwrap();
        assert_eq!(rows.len(), 3);
        for (row, (domain, est, se)) in rows.iter().zip(groups) {
            assert_eq!(row.domain, domain);
            printed(row.estimate, est);
            printed(row.se, se);
        }
    }
}

#[test]
fn complete_cases_of_many_variables_are_a_domain() {
    // svymean(make.formula(vars), dclus1, na.rm=TRUE) drops every row with a
    // missing value in any of the 21 variables: the same as a domain of the
    // complete rows, each variable estimated over it.
    let columns = [
        "api00", "api99", "sch.wide", "comp.imp", "both", "awards", "meals", "ell", "yr.rnd",
        "mobility", "pct.resp", "not.hsg", "hsg", "some.col", "col.grad", "grad.sch", "avg.ed",
        "full", "emer", "enroll", "api.stu",
    ];
    let cc = derived(&api("apiclus1"), &["complete"], |_, h, r| {
        let complete = columns.iter().all(|c| !matches!(field(h, r, c), "NA" | ""));
        Some(vec![if complete { "1" } else { "0" }.into()])
    });
    let complete = || vec![condition("complete=1")];
    // cran/survey inst/doc/survey.tex: svymean(make.formula(vars), dclus1, na.rm=TRUE)
    //   api00 643.203822 25.4936 / meals 50.636943 6.6588 / avg.ed 2.621529 0.1054
    //   / enroll 573.713376 46.5959 / sch.wideNo 0.127389 0.0247
    for (var, est, se) in [
        ("api00", "643.203822", "25.4936"),
        ("meals", "50.636943", "6.6588"),
        ("avg.ed", "2.621529", "0.1054"),
        ("enroll", "573.713376", "46.5959"),
    ] {
        let m = one(
            cc.path(),
            &Request {
                wheres: complete(),
                ..dclus1(var)
            },
        );
        printed(m.estimate, est);
        printed(m.se, se);
    }
    let p = one(
        cc.path(),
        &Request {
            var: None,
            prop: Some(condition("sch.wide=No")),
            wheres: complete(),
            ..dclus1("unused")
        },
    );
    printed(p.estimate, "0.127389");
    printed(p.se, "0.0247");
    assert_eq!(p.n, 157);
}

// ---- printed by the tests of the cardx package, which call survey ----
// https://github.com/insightsengineering/cardx, with
// dclus1 <- survey::svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)

#[test]
fn t_intervals_use_the_design_degrees_of_freedom() {
    // https://github.com/insightsengineering/cardx/blob/main/tests/testthat/_snaps/ard_continuous_ci.survey.design.md
    //   api00: 644.1694, SE 23.54224, 593.6763 – 694.6625 (confint with df = degf(dclus1) = 14)
    //   api99: 606.9781, SE 24.22504, 555.0206 – 658.9357
    for (var, est, se, lo, hi) in [
        ("api00", "644.1694", "23.54224", "593.6763", "694.6625"),
        ("api99", "606.9781", "24.22504", "555.0206", "658.9357"),
    ] {
        let m = one(
            &api("apiclus1"),
            &Request {
                ci: Interval::StudentT,
                ..dclus1(var)
            },
        );
        printed(m.estimate, est);
        printed(m.se, se);
        printed(m.ci_low, lo);
        printed(m.ci_high, hi);
    }
}

#[test]
fn design_effect_and_total_of_apiclus1() {
    // https://github.com/insightsengineering/cardx/blob/main/tests/testthat/_snaps/ard_continuous.survey.design.md
    //   api00: Sum 3989985, SE(Mean) 23.542, Design Effect 9.346 (svymean(..., deff = TRUE))
    let m = one(
        &api("apiclus1"),
        &Request {
            deff: Some(Replacement::Without),
            ..dclus1("api00")
        },
    );
    printed(m.se, "23.542");
    printed(m.deff.flatten().unwrap(), "9.346");
    let t = one(
        &api("apiclus1"),
        &Request {
            stat: Stat::Total,
            ..dclus1("api00")
        },
    );
    printed(t.estimate, "3989985");
}

#[test]
fn logit_intervals_of_proportions_match_svyciprop() {
    // https://github.com/insightsengineering/cardx/blob/main/tests/testthat/_snaps/ard_categorical_ci.survey.design.md
    //   svyciprop(~I(both == "No"), dclus1, method = "logit") and the like:
    //   both No 0.273 (0.213, 0.343), Yes 0.727 (0.657, 0.787);
    //   awards No 0.29 (0.224, 0.365), Yes 0.71 (0.635, 0.776)
    for (prop, est, lo, hi) in [
        ("both=No", "0.273", "0.213", "0.343"),
        ("both=Yes", "0.727", "0.657", "0.787"),
        ("awards=No", "0.290", "0.224", "0.365"),
        ("awards=Yes", "0.710", "0.635", "0.776"),
    ] {
        let p = one(
            &api("apiclus1"),
            &Request {
                var: None,
                prop: Some(condition(prop)),
                ci: Interval::Logit,
                ..dclus1("unused")
            },
        );
        printed(p.estimate, est);
        printed(p.ci_low, lo);
        printed(p.ci_high, hi);
    }
}

// ---- the binary: output format and one-line errors ----

fn chiso(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chiso"))
        .arg("estimate")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run chiso");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_prints_csv_with_one_row_per_domain() {
    let (code, out, err) = chiso(&[
        "tests/data/api/apiclus1.csv",
        "--var",
        "api00",
        "--cluster",
        "dnum",
        "--weight",
        "pw",
        "--fpc",
        "fpc",
        "--by",
        "stype",
        "--ci",
        "t",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "domain,estimate,se,ci_low,ci_high,n,degf");
    assert_eq!(lines.len(), 4, "{out}");
    let e: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(e[0], "E");
    assert_eq!(e.len(), 7);
    assert_eq!(e[5], "144", "E schools in apiclus1");
    // Full precision: R's 648.8681 (svyby(~api00, ~stype, dclus1, svymean),
    // the example of ?svyby) with every digit Rust can round-trip.
    assert!(e[1].starts_with("648.868055"), "{}", e[1]);
}

#[test]
fn cli_prints_json_with_the_same_keys() {
    let (code, out, err) = chiso(&[
        "tests/data/api/apiclus1.csv",
        "--prop",
        "both=No",
        "--cluster",
        "dnum",
        "--weight",
        "pw",
        "--fpc",
        "fpc",
        "--ci",
        "logit",
        "--deff",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = [
        "domain", "estimate", "se", "ci_low", "ci_high", "n", "degf", "deff",
    ];
    let mut keys = keys;
    keys.sort();
    expected.sort();
    assert_eq!(keys, expected);
    assert_eq!(rows[0]["domain"], "");
    assert_eq!(rows[0]["degf"], 14);
}

#[test]
fn cli_errors_are_one_line_on_stderr() {
    let file = "tests/data/api/apiclus1.csv";
    for (args, needle) in [
        (vec![file, "--var", "nope"], "không có cột \"nope\""),
        (
            vec![file, "--var", "api00", "--strata", "dnum", "--weight", "pw"],
            "tầng \"413\"",
        ),
        (vec![file, "--var", "name"], "dòng 2, cột \"name\""),
        (vec![file, "--var", "api00", "--ci", "logit"], "--ci logit"),
        (vec![file, "--var", "api00", "--stat", "median"], "--stat"),
        (
            vec![file, "--var", "api00", "--where", "stype"],
            "COT=GIATRI",
        ),
        (
            vec!["tests/data/api/none.csv", "--var", "x"],
            "không mở được",
        ),
    ] {
        let (code, out, err) = chiso(&args);
        assert_ne!(code, 0, "{args:?}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}
