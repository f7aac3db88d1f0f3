//! Names people bring (units, staff, campaigns) as they are shown and
//! stored: no control characters (a CR/LF in a name breaks CSV rows and
//! headers) and no bidirectional overrides or invisible marks (they make a
//! name display as another, e.g. "Sở Nội vụ" hiding a different code).

/// Characters that change how surrounding text is displayed without being
/// seen: bidi embeddings, overrides and isolates, directional marks, zero
/// widths and the byte-order mark.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2069}'
        | '\u{061C}'
        | '\u{FEFF}')
}

/// The name with control and invisible formatting characters removed, runs
/// of white space made one space, and the ends trimmed.
pub fn clean_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            // A line break or tab inside a name reads as a space.
            space = !out.is_empty();
            continue;
        }
        if invisible(c) {
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::clean_name;

    #[test]
    fn control_and_bidi_characters_leave_names() {
        assert_eq!(clean_name("  Sở Nội vụ \r\n"), "Sở Nội vụ");
        assert_eq!(clean_name("Sở\r\nSet-Cookie: x"), "Sở Set-Cookie: x");
        assert_eq!(clean_name("UBND\u{202E}gnahP\u{202C} xã"), "UBNDgnahP xã");
        assert_eq!(clean_name("a\u{0007}b\tc"), "a b c");
        assert_eq!(
            clean_name("Phường\u{200B} Bình\u{2066}Minh\u{2069}"),
            "Phường BìnhMinh"
        );
        assert_eq!(clean_name("Đặc khu Bạch Long Vĩ"), "Đặc khu Bạch Long Vĩ");
    }
}
