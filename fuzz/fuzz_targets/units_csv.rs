//! Units CSV upload → `parse_csv` must return Ok or Err, never panic
//! (arbitrary bytes, as an uploaded file would be), with and without the
//! profiles' blocks and unit types to check against.
#![no_main]

use chiso_domain::units_csv::{parse_csv, Known};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut known = Known::default();
    known.blocks.insert("so".into());
    known.unit_types.insert("phuong".into());
    for k in [None, Some(&known)] {
        match parse_csv(data, "fuzz.csv", k) {
            Ok(units) => {
                for u in &units {
                    let _ = u.code.to_string();
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
