//! Owned secret values (a kubeconfig's decoded `client-key-data`, its base64 text) that wipe
//! themselves when dropped and never print their content.
//!
//! They deref to `[u8]` and `str`, so code that reads them (`PrivateKey::load(&data)`,
//! `Option::as_deref`) reads them like the plain `Vec<u8>` and `String` they replace.

use std::fmt;
use std::ops::Deref;

use zeroize::{Zeroize, Zeroizing};

/// Secret bytes, wiped when dropped; `Debug` shows only their length.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Takes ownership of `bytes` (without copying them).
    pub fn new(bytes: Vec<u8>) -> SecretBytes {
        SecretBytes(Zeroizing::new(bytes))
    }
}

impl Deref for SecretBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for SecretBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> SecretBytes {
        SecretBytes::new(bytes)
    }
}

impl From<Zeroizing<Vec<u8>>> for SecretBytes {
    fn from(bytes: Zeroizing<Vec<u8>>) -> SecretBytes {
        SecretBytes(bytes)
    }
}

impl Zeroize for SecretBytes {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes({} bytes)", self.0.len())
    }
}

/// Secret text, wiped when dropped; `Debug` shows only its length.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Takes ownership of `text` (without copying it).
    pub fn new(text: String) -> SecretString {
        SecretString(Zeroizing::new(text))
    }
}

impl Deref for SecretString {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SecretString {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretString {
    fn from(text: String) -> SecretString {
        SecretString::new(text)
    }
}

impl Zeroize for SecretString {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretString({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_the_plain_value_and_never_prints_it() {
        let bytes = SecretBytes::from(b"-----BEGIN EC PRIVATE KEY-----".to_vec());
        assert_eq!(&bytes[..5], b"-----");
        assert_eq!(Some(bytes.clone()).as_deref(), Some(&bytes[..]));
        assert_eq!(format!("{bytes:?}"), "SecretBytes(30 bytes)");
        let text = SecretString::from("S0VZ".to_string());
        assert_eq!(Some(text.clone()).as_deref(), Some("S0VZ"));
        assert!(!format!("{text:?}").contains("S0VZ"));
    }
}
