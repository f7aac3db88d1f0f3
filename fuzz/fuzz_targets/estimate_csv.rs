//! An analyst's CSV for `chiso estimate` → estimates or one-line errors,
//! never a panic, whatever the numbers (NaN, huge, negative, empty strata).
#![no_main]

use chiso_domain::estimate::request::{run, Condition, Request, Stat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut req = Request::mean_of("y");
    req.strata = Some("s".into());
    req.weight = Some("w".into());
    req.by = vec!["g".into()];
    let _ = run(data, &req).map_err(|e| e.to_string());
    req.stat = Stat::Total;
    req.fpc = Some("f".into());
    req.cluster = Some("c".into());
    let _ = run(data, &req).map_err(|e| e.to_string());
    let mut prop = Request::mean_of("y");
    prop.var = None;
    prop.prop = "g=1".parse::<Condition>().ok();
    prop.ci = chiso_domain::estimate::Interval::Logit;
    let _ = run(data, &prop).map_err(|e| e.to_string());
});
