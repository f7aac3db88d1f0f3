//! Province profile TOML → `parse_profile` must return Ok or Err, never panic;
//! on Ok, the rules that read a profile must not panic either.
#![no_main]

use chiso_domain::profile::parse_profile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    match parse_profile(source) {
        Ok(p) => {
            let _ = format!("{p:?}");
        }
        Err(diagnostics) => {
            for d in &diagnostics {
                let _ = d.to_string();
            }
        }
    }
});
