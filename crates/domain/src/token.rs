//! One-time respondent tokens. Only the hash is ever stored; the token itself
//! lives in the link the respondent receives.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};

/// 128 random bits, the floor the issue sets for guessing resistance.
const TOKEN_BYTES: usize = 16;
const TOKEN_CHARS: usize = 22;

#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

/// The stored form of a token: SHA-256, hex. A plain hash is enough because the
/// token has 128 bits of entropy; there is nothing to brute-force offline.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(pub String);

impl Token {
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token from 128 bits made elsewhere (e.g. derived from a server key,
    /// so an invitation can be sent again without storing the token).
    pub fn from_bytes(bytes: [u8; TOKEN_BYTES]) -> Self {
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only strings shaped like a token, so junk never reaches the database.
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() != TOKEN_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
        (bytes.len() == TOKEN_BYTES).then(|| Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl std::fmt::Debug for Token {
    // Tokens are credentials: keep them out of logs and panic messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn generated_tokens_round_trip_and_differ() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let a = Token::generate(&mut rng);
        let b = Token::generate(&mut rng);
        assert_ne!(a, b);
        assert_eq!(Token::parse(a.as_str()), Some(a.clone()));
        assert_eq!(a.hash().0.len(), 64);
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn junk_is_not_a_token() {
        assert!(Token::parse("").is_none());
        assert!(Token::parse("short").is_none());
        assert!(Token::parse("!!!!!!!!!!!!!!!!!!!!!!").is_none());
        assert!(!format!("{:?}", Token::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap()).contains("AAAA"));
    }
}
