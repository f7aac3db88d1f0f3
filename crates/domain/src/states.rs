//! The states the service stores as text, as enums: each has one mapping to
//! its stored code, and an unknown stored code is an error that names it,
//! never a silent default.

/// A stored code that is not one of the enum's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("giá trị \"{value}\" không hợp lệ cho {what}")]
pub struct UnknownCode {
    pub what: &'static str,
    pub value: String,
}

/// An enum stored as text: `code()`, `parse()`, `ALL`, `TryFrom<String>`
/// (for diesel's `deserialize_as`) and `Display` (the code).
macro_rules! stored_code {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored in the database and used in exports.
            pub const fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            pub fn parse(code: &str) -> Result<Self, UnknownCode> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|s| s.code() == code)
                    .ok_or_else(|| UnknownCode { what: $what, value: code.to_string() })
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownCode;

            fn try_from(code: String) -> Result<Self, Self::Error> {
                Self::parse(&code)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

stored_code!(
    /// Where a respondent is with the form.
    RespondentStatus, "trạng thái người trả lời" {
        New = "new",
        InProgress = "in_progress",
        Submitted = "submitted",
    }
);

stored_code!(
    /// How a respondent came to the form: drawn in the probability sample
    /// (a token issued for the draw), or through an open link, outside it.
    RespondentSource, "nguồn người trả lời" {
        Sample = "sample",
        Open = "open",
    }
);

stored_code!(
    /// What happened to one message to a drawn person.
    InvitationState, "trạng thái thư mời" {
        Queued = "queued",
        /// Being handed to the mail server; after a crash, sent again with
        /// the same Message-ID.
        Sending = "sending",
        Sent = "sent",
        /// Gave up after transient errors, or no address.
        Failed = "failed",
        /// The mail server refused the address for good.
        Bounced = "bounced",
        OptedOut = "opted_out",
        /// Not sent because it is no longer needed (the person answered meanwhile).
        Cancelled = "cancelled",
        /// No e-mail address, and the contact protocol reaches the person
        /// another way (a letter): nothing to send, nobody replaced.
        NoEmail = "no_email",
    }
);

stored_code!(
    /// A sampling frame while it is being imported, and once it is the
    /// campaign's frame.
    FrameStatus, "trạng thái khung mẫu" {
        Loading = "loading",
        Active = "active",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_its_own_code_and_refuses_others() {
        for s in RespondentStatus::ALL {
            assert_eq!(RespondentStatus::parse(s.code()), Ok(*s));
        }
        for s in InvitationState::ALL {
            assert_eq!(InvitationState::try_from(s.code().to_string()), Ok(*s));
        }
        for s in RespondentSource::ALL {
            assert_eq!(RespondentSource::parse(&s.to_string()), Ok(*s));
        }
        for s in FrameStatus::ALL {
            assert_eq!(FrameStatus::parse(s.code()), Ok(*s));
        }
        let e = InvitationState::parse("delivered").unwrap_err();
        assert_eq!(
            e.to_string(),
            "giá trị \"delivered\" không hợp lệ cho trạng thái thư mời"
        );
    }
}
