//! How a drawn person is reached besides e-mail (issue 18): a Vietnamese
//! phone number, a postal address, the short code typed at `/ma` from a
//! letter, and the campaign's contact protocol — the modes tried in order.
//! A person is replaced by a reserve only when every mode of the protocol
//! has failed or none can reach them, never merely because one is missing.

use std::fmt;

/// A Vietnamese phone number, kept as the national number with its leading
/// 0 (`0912345678`): what a post office, a gateway or an interviewer dials.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

impl Phone {
    /// Accepts the ways people write a number in a spreadsheet: spaces,
    /// dots, dashes and brackets between digits; `+84` or `84` in front of
    /// the number without its 0. Mobile numbers have 10 digits, landlines
    /// (02xx…) 11 (decree 2018 numbering plan).
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("số điện thoại trống".into());
        }
        let mut digits = String::new();
        for (i, c) in t.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '.' | '-' | '(' | ')' => {}
                _ => {
                    return Err(format!(
                        "số điện thoại \"{t}\" có ký tự \"{c}\" không hợp lệ"
                    ))
                }
            }
        }
        let national = if t.starts_with('+') {
            match digits.strip_prefix("84") {
                Some(rest) => format!("0{rest}"),
                None => {
                    return Err(format!(
                        "số điện thoại \"{t}\" không phải số Việt Nam (+84)"
                    ))
                }
            }
        } else if digits.starts_with("84") && digits.len() >= 11 {
            format!("0{}", &digits[2..])
        } else {
            digits
        };
        let ok = national.starts_with('0')
            && !national.starts_with("00")
            && match national.as_bytes().get(1) {
                Some(b'2') => national.len() == 11,
                Some(_) => national.len() == 10,
                None => false,
            };
        if ok {
            Ok(Self(national))
        } else {
            Err(format!(
                "số điện thoại \"{t}\" không hợp lệ (di động 10 chữ số như 0912 345 678, cố định 11 chữ số như 0225 3842 123)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest postal address kept: four lines on an envelope.
pub const MAX_ADDRESS_CHARS: usize = 300;

/// A postal address as the frame writes it: one line, or several separated
/// by `;` or `|` (printed as lines on the letter and the label).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalAddress(String);

impl PostalAddress {
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("địa chỉ trống".into());
        }
        if t.chars().any(char::is_control) {
            return Err(
                "địa chỉ không được chứa ký tự điều khiển hoặc xuống dòng; tách dòng bằng dấu ;"
                    .into(),
            );
        }
        if t.chars().count() > MAX_ADDRESS_CHARS {
            return Err(format!("địa chỉ dài quá {MAX_ADDRESS_CHARS} ký tự"));
        }
        Ok(Self(t.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lines to print.
    pub fn lines(text: &str) -> Vec<&str> {
        text.split([';', '|'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    }
}

/// Crockford's base-32 alphabet: digits and letters without I, L, O, U, so
/// nothing typed can be two characters at once.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a short code: 50 bits.
pub const SHORT_CODE_LEN: usize = 10;

/// A person's short code: 10 characters of Crockford base 32, printed in
/// two groups of five (`7K3QD-W9M2F`), typed at `/ma` in any case, with or
/// without the dash or spaces; I and L read as 1, O as 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShortCode(String);

impl ShortCode {
    /// The code made from the first 50 bits of `bytes` (a keyed digest).
    pub fn from_bytes(bytes: &[u8; 8]) -> Self {
        let n = u64::from_be_bytes(*bytes) >> 14;
        let code = (0..SHORT_CODE_LEN)
            .rev()
            .map(|i| CROCKFORD[((n >> (5 * i)) & 31) as usize] as char)
            .collect();
        Self(code)
    }

    /// What a person typed, normalised; an error says what is wrong in
    /// words a respondent understands.
    pub fn parse(typed: &str) -> Result<Self, ShortCodeError> {
        let mut code = String::with_capacity(SHORT_CODE_LEN);
        for c in typed.chars() {
            let c = match c.to_ascii_uppercase() {
                ' ' | '-' | '.' | '\u{a0}' => continue,
                'I' | 'L' => '1',
                'O' => '0',
                c if c.is_ascii() && CROCKFORD.contains(&(c as u8)) => c,
                _ => return Err(ShortCodeError::Character(c)),
            };
            code.push(c);
        }
        if code.len() != SHORT_CODE_LEN {
            return Err(ShortCodeError::Length(code.len()));
        }
        Ok(Self(code))
    }

    /// The ten characters, as stored (hashed) and compared.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The stored form, hashed like a token so the database alone opens
    /// no one's form.
    pub fn hash(&self) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(self.0.as_bytes()))
    }

    /// As printed: two groups of five.
    pub fn grouped(&self) -> String {
        format!("{}-{}", &self.0[..5], &self.0[5..])
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShortCodeError {
    Character(char),
    Length(usize),
}

impl fmt::Display for ShortCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Character(c) => write!(
                f,
                "Mã có ký tự \"{c}\" không có trong mã trả lời (mã chỉ gồm chữ số và chữ cái không dấu)."
            ),
            Self::Length(n) => write!(
                f,
                "Mã trả lời có {SHORT_CODE_LEN} ký tự (ví dụ 7K3QD-W9M2F); mã vừa nhập có {n}."
            ),
        }
    }
}

/// A way of reaching a drawn person, in the protocol's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContactMode {
    Email,
    /// A printed letter with the link's QR code and the short code.
    Letter,
}

impl ContactMode {
    pub const ALL: [ContactMode; 2] = [ContactMode::Email, ContactMode::Letter];

    pub const fn code(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Letter => "letter",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Email => "thư điện tử (e-mail)",
            Self::Letter => "thư giấy qua bưu điện",
        }
    }
}

/// The modes a campaign tries, in order; each at most once per person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protocol(Vec<ContactMode>);

impl Protocol {
    pub fn parse(codes: &[String]) -> Result<Self, String> {
        let mut modes = Vec::new();
        for c in codes {
            let m = ContactMode::parse(c.trim()).ok_or_else(|| {
                format!(
                    "cách liên hệ \"{c}\" không có; dùng: {}",
                    ContactMode::ALL.map(|m| m.code()).join(", ")
                )
            })?;
            if modes.contains(&m) {
                return Err(format!("cách liên hệ \"{c}\" lặp lại"));
            }
            modes.push(m);
        }
        if modes.is_empty() {
            return Err("quy trình liên hệ cần ít nhất một cách".into());
        }
        Ok(Self(modes))
    }

    pub fn modes(&self) -> &[ContactMode] {
        &self.0
    }

    pub fn includes(&self, mode: ContactMode) -> bool {
        self.0.contains(&mode)
    }

    /// The first mode after `after` (or the first of all) that can reach a
    /// person with these details; None when nothing further can.
    pub fn next(&self, after: Option<ContactMode>, reach: &Reach) -> Option<ContactMode> {
        let start = match after {
            Some(m) => self.0.iter().position(|x| *x == m)? + 1,
            None => 0,
        };
        self.0[start..].iter().copied().find(|m| reach.can(*m))
    }

    /// Whether it is `mode`'s turn for a person: the protocol lists it and
    /// every mode before it has `failed` (could not reach them, or did
    /// not get through). A mode that reached the person stops the protocol
    /// there: a delivered e-mail is not followed by a letter.
    pub fn turn_of(&self, mode: ContactMode, failed: impl Fn(ContactMode) -> bool) -> bool {
        match self.0.iter().position(|m| *m == mode) {
            Some(at) => self.0[..at].iter().all(|m| failed(*m)),
            None => false,
        }
    }

    /// In words, for the pages that depend on it.
    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|m| m.label())
            .collect::<Vec<_>>()
            .join(", rồi ")
    }
}

/// As a setting: a list of mode codes, checked when the settings are read.
impl<'de> serde::Deserialize<'de> for Protocol {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let codes = Vec::<String>::deserialize(d)?;
        Self::parse(&codes).map_err(serde::de::Error::custom)
    }
}

impl Default for Protocol {
    /// E-mail where there is an address, then a letter.
    fn default() -> Self {
        Self(vec![ContactMode::Email, ContactMode::Letter])
    }
}

/// What the frame gives to reach one person.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reach {
    pub email: bool,
    pub address: bool,
}

impl Reach {
    pub fn can(&self, mode: ContactMode) -> bool {
        match mode {
            ContactMode::Email => self.email,
            ContactMode::Letter => self.address,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_read_as_people_write_them() {
        for (typed, national) in [
            ("0912 345 678", "0912345678"),
            ("0912.345.678", "0912345678"),
            ("+84 912 345 678", "0912345678"),
            ("84912345678", "0912345678"),
            ("(0225) 3842-123", "02253842123"),
        ] {
            assert_eq!(Phone::parse(typed).unwrap().as_str(), national, "{typed}");
        }
        for bad in [
            "",
            "091234567",
            "09123456789",
            "+1 202 555 0100",
            "0912a45678",
            "0022538421",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_short_code_is_typed_back_in_any_case_with_look_alikes_forgiven() {
        let code = ShortCode::from_bytes(&[0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0x45, 0x67]);
        assert_eq!(code.as_str().len(), SHORT_CODE_LEN);
        assert!(code.as_str().bytes().all(|b| CROCKFORD.contains(&b)));
        let grouped = code.grouped();
        assert_eq!(ShortCode::parse(&grouped).unwrap(), code);
        assert_eq!(ShortCode::parse(&grouped.to_lowercase()).unwrap(), code);
        assert_eq!(
            ShortCode::parse(" 1O1L0 - i0o11 ").unwrap().as_str(),
            "1011010011"
        );
        assert_eq!(
            ShortCode::parse("ABCDE").unwrap_err(),
            ShortCodeError::Length(5)
        );
        assert_eq!(
            ShortCode::parse("ABCDE-FGHJU").unwrap_err(),
            ShortCodeError::Character('U')
        );
        assert_eq!(
            ShortCode::parse("ABCDĐ-FGHJK").unwrap_err(),
            ShortCodeError::Character('Đ')
        );
    }

    #[test]
    fn the_protocol_moves_on_only_to_a_mode_that_can_reach_the_person() {
        let p = Protocol::default();
        let both = Reach {
            email: true,
            address: true,
        };
        let paper = Reach {
            email: false,
            address: true,
        };
        let none = Reach::default();
        assert_eq!(p.next(None, &both), Some(ContactMode::Email));
        assert_eq!(
            p.next(Some(ContactMode::Email), &both),
            Some(ContactMode::Letter)
        );
        assert_eq!(p.next(None, &paper), Some(ContactMode::Letter));
        assert_eq!(p.next(None, &none), None);
        assert_eq!(p.next(Some(ContactMode::Letter), &both), None);
        let email_only = Protocol::parse(&["email".into()]).unwrap();
        assert_eq!(email_only.next(None, &paper), None);
        assert!(Protocol::parse(&["email".into(), "email".into()]).is_err());
        assert!(Protocol::parse(&["fax".into()])
            .unwrap_err()
            .contains("email, letter"));
        assert_eq!(
            p.describe(),
            "thư điện tử (e-mail), rồi thư giấy qua bưu điện"
        );
        assert!(p.turn_of(ContactMode::Letter, |_| true));
        assert!(!p.turn_of(ContactMode::Letter, |m| m != ContactMode::Email));
        assert!(
            p.turn_of(ContactMode::Email, |_| false),
            "the first mode's turn is always"
        );
        assert!(!email_only.turn_of(ContactMode::Letter, |_| true));
        let letters_first = Protocol::parse(&["letter".into()]).unwrap();
        assert!(letters_first.turn_of(ContactMode::Letter, |_| false));
    }

    #[test]
    fn an_address_keeps_its_lines_and_refuses_control_characters() {
        assert_eq!(
            PostalAddress::lines("Số 5 ngõ 12; phường Hồng Hà |Hải Phòng"),
            ["Số 5 ngõ 12", "phường Hồng Hà", "Hải Phòng"]
        );
        assert!(PostalAddress::parse("a\nb").is_err());
        assert!(PostalAddress::parse(&"x".repeat(301)).is_err());
    }
}
