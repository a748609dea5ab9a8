//! Fresh certificate serial numbers, drawn in one place: for the certificates kcertlib signs,
//! and for the fixture generator, which imitates how other issuers draw theirs.

use crate::error::{Error, ErrorKind, Result};
use crate::tlv;

/// How the random octets become a positive INTEGER.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SerialShape {
    /// The top bit cleared and the next one set: positive, never zero, and always exactly the
    /// number of octets drawn (what kcertlib signs with).
    FullLength,
    /// Only the top bit cleared, a zero draw made 1, and the DER minimal: uniform over the
    /// positive values of that many bits, as Go and openssl draw theirs. Only the fixture
    /// generator draws these, so a product build (no `fixture`) never does.
    #[cfg_attr(not(feature = "fixture"), allow(dead_code))]
    Uniform,
}

/// The DER INTEGER of a serial of `octets` random octets (1 to 20, RFC 5280 §4.1.2.2).
///
/// # Errors
/// `Crypto` when the system RNG fails; `InvalidArgument` for 0 or more than 20 octets.
pub(crate) fn random(octets: usize, shape: SerialShape) -> Result<Vec<u8>> {
    if !(1..=20).contains(&octets) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("a serial of {octets} octets: RFC 5280 allows 1 to 20"),
        ));
    }
    let mut bytes = vec![0u8; octets];
    fill_random(&mut bytes)?;
    bytes[0] &= 0x7f;
    if shape == SerialShape::FullLength {
        bytes[0] |= 0x40;
        return Ok(tlv::wrap(tlv::INTEGER, &[&bytes]));
    }
    if bytes.iter().all(|&b| b == 0)
        && let Some(last) = bytes.last_mut()
    {
        *last = 1;
    }
    // DER INTEGERs are minimal: drop leading zero octets, but keep one before an octet with
    // its top bit set, which would otherwise read as negative. The draw is not all zeros, so
    // something is left.
    let mut skip = bytes.iter().take_while(|&&b| b == 0).count();
    if skip > 0 && bytes.get(skip).is_some_and(|b| b & 0x80 != 0) {
        skip -= 1;
    }
    Ok(tlv::wrap(tlv::INTEGER, &[&bytes[skip..]]))
}

/// Random octets for a serial. With AWS-LC built in they come from its generator, the one that
/// makes every signature's nonce and blinding (seeded from the kernel's generator and CPU
/// jitter, see SECURITY.md): a draw in user space, where `getrandom` is one system call per
/// certificate, a few per cent of a P-256 re-sign. Without it, from the kernel's generator.
fn fill_random(bytes: &mut [u8]) -> Result<()> {
    #[cfg(feature = "aws-lc")]
    let drawn = aws_lc_rs::rand::fill(bytes).map_err(|_| "AWS-LC's generator failed".to_string());
    #[cfg(not(feature = "aws-lc"))]
    let drawn = getrandom::fill(bytes).map_err(|e| format!("system RNG failed: {e}"));
    drawn.map_err(|message| Error::new(ErrorKind::Crypto, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_positive_minimal_and_bounded() {
        for _ in 0..200 {
            let der = random(16, SerialShape::FullLength).expect("rng");
            assert_eq!(&der[..2], &[0x02, 16]);
            assert_eq!(der[2] & 0xc0, 0x40);
            let der = random(8, SerialShape::Uniform).expect("rng");
            assert_eq!(der[0], 0x02);
            assert!(der[2] & 0x80 == 0, "positive: {der:?}");
            assert!(
                der[1] == 1 || der[2] != 0 || der[3] & 0x80 != 0,
                "minimal: {der:?}"
            );
        }
        assert!(random(0, SerialShape::Uniform).is_err());
        assert!(random(21, SerialShape::FullLength).is_err());
    }
}
