//! Units CSV upload → `parse_csv` must return Ok or Err, never panic
//! (arbitrary bytes, as an uploaded file would be).
#![no_main]

use chiso_domain::units_csv::parse_csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_csv(data, "fuzz.csv") {
        Ok(units) => {
            for u in &units {
                let _ = u.code.to_string();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
