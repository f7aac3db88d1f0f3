//! Sampling-frame CSV upload → the frame reader must yield rows or
//! `line N: column: reason` errors, never panic (arbitrary bytes).
#![no_main]

use chiso_domain::sampling::frame_csv::read_frame;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match read_frame(data, 50) {
        Ok(rows) => {
            for r in &rows {
                let _ = format!("{r:?}");
            }
        }
        Err(errors) => {
            for e in &errors {
                let _ = e.to_string();
            }
        }
    }
});
