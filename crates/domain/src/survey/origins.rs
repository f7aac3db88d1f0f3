//! How many of a unit's open-link responses came from one origin (network
//! address or device): anyone may start a form through an open link, so
//! staff need to see when one client sent many (issue 15). The origins are
//! keyed fingerprints; this only counts repeats.

use std::collections::BTreeMap;

use serde::Serialize;

/// Repeats among one kind of origin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Repeats {
    /// Responses whose origin sent at least one other response.
    pub shared: usize,
    /// The most responses from one origin (0 without any response).
    pub most_from_one: usize,
    /// Responses whose origin is not known (started before it was kept).
    pub unknown: usize,
}

/// The open-link responses about one unit and their repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OpenOrigins {
    pub responses: usize,
    /// By network address.
    pub address: Repeats,
    /// By the browser's device cookie.
    pub device: Repeats,
}

impl OpenOrigins {
    /// From each response's (address, device) fingerprints.
    pub fn count<'a>(
        origins: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
    ) -> Self {
        let origins: Vec<_> = origins.into_iter().collect();
        OpenOrigins {
            responses: origins.len(),
            address: repeats(origins.iter().map(|o| o.0)),
            device: repeats(origins.iter().map(|o| o.1)),
        }
    }
}

fn repeats<'a>(keys: impl Iterator<Item = Option<&'a str>>) -> Repeats {
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unknown = 0;
    for key in keys {
        match key {
            Some(k) => *per.entry(k).or_default() += 1,
            None => unknown += 1,
        }
    }
    Repeats {
        shared: per.values().filter(|n| **n > 1).sum(),
        most_from_one: per.values().copied().max().unwrap_or(0),
        unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_count_every_response_of_an_origin_that_sent_more_than_one() {
        let o = OpenOrigins::count([
            (Some("a"), Some("x")),
            (Some("a"), Some("y")),
            (Some("a"), Some("y")),
            (Some("b"), Some("z")),
            (None, None),
        ]);
        assert_eq!(o.responses, 5);
        assert_eq!(
            o.address,
            Repeats {
                shared: 3,
                most_from_one: 3,
                unknown: 1
            }
        );
        assert_eq!(
            o.device,
            Repeats {
                shared: 2,
                most_from_one: 2,
                unknown: 1
            }
        );
        assert_eq!(OpenOrigins::count([]), OpenOrigins::default());
    }
}
