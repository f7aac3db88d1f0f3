//! How every page, chart and export label writes a number for Vietnamese
//! readers: a decimal comma (`25,35`), percentages of a proportion with the
//! sign attached (`42,0%`). One home, so a table figure and the chart label
//! beside it always read the same.

/// `v` with `decimals` decimals and a decimal comma.
pub fn decimal(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    // -0,00 reads as a sign error; a rounded zero is zero.
    let s = if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    };
    s.replace('.', ",")
}

/// A proportion as a percentage: 0.4216 at 1 decimal is `42,2%`.
pub fn percent(share: f64, decimals: usize) -> String {
    format!("{}%", decimal(share * 100.0, decimals))
}

/// A number already written with a decimal point (a published score such as
/// `14.00`) in the same Vietnamese form.
pub fn from_point(text: &str) -> String {
    text.replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_decimal_comma_and_percent() {
        assert_eq!(decimal(25.456, 2), "25,46");
        assert_eq!(decimal(-2.0, 2), "-2,00");
        assert_eq!(decimal(-0.001, 2), "0,00");
        assert_eq!(decimal(0.704545, 2), "0,70");
        assert_eq!(percent(0.4216, 1), "42,2%");
        assert_eq!(percent(1.0, 0), "100%");
        assert_eq!(from_point("14.00"), "14,00");
    }
}
