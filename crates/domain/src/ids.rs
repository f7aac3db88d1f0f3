//! Ids of the things a call is about, as types: a function that takes a
//! campaign and a unit cannot be handed them the wrong way round. Parsed
//! once at the edge (a URL path, a command-line flag); the database keeps
//! plain integers.

use std::fmt;
use std::str::FromStr;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The stored integer.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

id_type!(
    /// A survey and index campaign (one province, one year).
    CampaignId
);
id_type!(
    /// A unit: a sở, phường, xã or đặc khu.
    UnitId
);
id_type!(
    /// A staff account.
    UserId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_print_as_their_number() {
        let c: CampaignId = "12".parse().unwrap();
        assert_eq!(c, CampaignId(12));
        assert_eq!(c.to_string(), "12");
        assert!("12a".parse::<UnitId>().is_err());
        assert_eq!(serde_json::to_string(&UnitId(7)).unwrap(), "7");
        assert_eq!(serde_json::from_str::<UnitId>("7").unwrap(), UnitId(7));
    }
}
