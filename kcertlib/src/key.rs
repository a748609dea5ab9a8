//! `PrivateKey`: RSA and ECDSA (P-256, P-384) keys in PKCS#1, PKCS#8 or SEC1, written back in the
//! format they came in. Secret material is zeroized on drop (the backends' key types do it, and
//! every intermediate buffer here is `Zeroizing`); `SecretBytes` and `SecretString` carry key
//! material read elsewhere (a kubeconfig's `client-key-data`). SECURITY.md lists what is covered.

use std::fmt;
use std::path::Path;

use const_oid::ObjectIdentifier;
use const_oid::db::{rfc5912, rfc8410};
use der::Decode;
use elliptic_curve::Generate;
use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use serde::Serialize;
use spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

mod rsa_key;
mod secret;

pub(crate) use rsa_key::RsaKey;
pub use secret::{SecretBytes, SecretString};

use crate::cert::Certificate;
use crate::error::{Error, ErrorKind, Result, ResultExt};
use crate::pem;

/// The algorithm (and size) of a public or private key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// RSA with a modulus of this many bits.
    Rsa(u32),
    /// ECDSA on NIST P-256 (secp256r1).
    P256,
    /// ECDSA on NIST P-384 (secp384r1).
    P384,
    /// Anything else, described (e.g. `Ed25519`, `EC 1.3.132.0.35`, an OID).
    Other(String),
}

impl KeyAlgorithm {
    /// RSA-2048, the Kubernetes default.
    pub const RSA_2048: KeyAlgorithm = KeyAlgorithm::Rsa(2048);

    /// Reads the algorithm of a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(spki: &[u8]) -> KeyAlgorithm {
        key_algorithm_of_spki(spki)
    }

    /// A short name: `RSA-2048`, `ECDSA-P256`, `ECDSA-P384` (kubeadm's `encryptionAlgorithm`
    /// spelling), or the description of another algorithm.
    pub fn name(&self) -> String {
        match self {
            KeyAlgorithm::Rsa(bits) => format!("RSA-{bits}"),
            KeyAlgorithm::P256 => "ECDSA-P256".into(),
            KeyAlgorithm::P384 => "ECDSA-P384".into(),
            KeyAlgorithm::Other(s) => s.clone(),
        }
    }

    /// The size in bits (modulus for RSA, field for EC); 0 when unknown.
    pub fn bits(&self) -> u32 {
        match self {
            KeyAlgorithm::Rsa(bits) => *bits,
            KeyAlgorithm::P256 => 256,
            KeyAlgorithm::P384 => 384,
            KeyAlgorithm::Other(_) => 0,
        }
    }

    /// Parses `RSA-2048`, `rsa3072`, `ECDSA-P256`, `p256`, `ecdsa-p384`, ... (case-insensitive).
    ///
    /// # Errors
    /// `InvalidArgument` for any other text, listing what is accepted.
    pub fn parse(text: &str) -> Result<KeyAlgorithm> {
        let t = text.trim().to_ascii_lowercase().replace(['-', '_'], "");
        match t.as_str() {
            "rsa" | "rsa2048" => Ok(KeyAlgorithm::Rsa(2048)),
            "rsa3072" => Ok(KeyAlgorithm::Rsa(3072)),
            "rsa4096" => Ok(KeyAlgorithm::Rsa(4096)),
            "ecdsa" | "ecdsap256" | "p256" | "ec" | "ecp256" | "prime256v1" | "secp256r1" => {
                Ok(KeyAlgorithm::P256)
            }
            "ecdsap384" | "p384" | "ecp384" | "secp384r1" => Ok(KeyAlgorithm::P384),
            _ => Err(Error::new(
                ErrorKind::UnsupportedAlgorithm,
                format!(
                    "unsupported key algorithm {text:?}: use RSA-2048, RSA-3072, RSA-4096, ECDSA-P256 or ECDSA-P384"
                ),
            )),
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for KeyAlgorithm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

/// The encoding a private key was read in, and is written back in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyFormat {
    /// PKCS#1 `RSA PRIVATE KEY` (what kubeadm and client-go write for RSA).
    Pkcs1,
    /// PKCS#8 `PRIVATE KEY`.
    Pkcs8,
    /// SEC1 `EC PRIVATE KEY` (what kubeadm, k3s and kubelet write for ECDSA).
    Sec1,
}

/// A private key usable for signing certificates.
///
/// ```
/// use kcertlib::{KeyAlgorithm, PrivateKey, ValidityPolicy, self_signed_ca};
///
/// # fn main() -> kcertlib::Result<()> {
/// let key = PrivateKey::generate(&KeyAlgorithm::P256)?; // or PrivateKey::load_file(path)
/// let pem = key.to_pem()?; // SEC1 for P-256, as kubeadm writes; wiped when dropped
/// let again = PrivateKey::load(pem.as_bytes())?;
/// let ca = self_signed_ca("CN=kubernetes", &key, &ValidityPolicy::days(3650))?;
/// assert!(again.matches(&ca));
/// assert!(!PrivateKey::generate(&KeyAlgorithm::P256)?.matches(&ca));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PrivateKey {
    pub(crate) material: KeyMaterial,
    format: KeyFormat,
    /// The fast signing backend's key pair, built on first use (see `signer`).
    #[cfg_attr(not(feature = "aws-lc"), allow(dead_code))]
    pub(crate) fast: crate::signer::FastKey,
    /// The public half as a DER SubjectPublicKeyInfo, encoded on first use: `Issuer::new`
    /// compares it with the CA certificate's on every call of the C and Python `resign`.
    public_der: std::sync::OnceLock<Vec<u8>>,
}

#[derive(Clone)]
pub(crate) enum KeyMaterial {
    Rsa(RsaKey),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

const PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
const DSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10040.4.1");
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");

impl PrivateKey {
    /// Reads the first private key of PEM text. Certificate and `EC PARAMETERS` blocks before it
    /// are skipped, so kubelet's combined `kubelet-client-current.pem` works.
    ///
    /// # Errors
    /// `EncryptedKey` for `ENCRYPTED PRIVATE KEY` or `Proc-Type: 4,ENCRYPTED` blocks,
    /// `UnsupportedAlgorithm` for Ed25519/DSA/other curves (naming what was found),
    /// `InvalidKey` for malformed keys, `Pem` when there is no key block.
    pub fn from_pem(input: &[u8]) -> Result<PrivateKey> {
        let blocks = pem::blocks(input)?;
        let mut labels = Vec::new();
        // Each block wipes its body when dropped (`PemBlock` does it for every key label).
        for block in blocks {
            let der = &block.der;
            match block.label.as_str() {
                "ENCRYPTED PRIVATE KEY" => return Err(encrypted("PKCS#8 (ENCRYPTED PRIVATE KEY)")),
                label
                    if label.ends_with("PRIVATE KEY")
                        && block.headers.iter().any(|(k, v)| {
                            k.eq_ignore_ascii_case("Proc-Type") && v.contains("ENCRYPTED")
                        }) =>
                {
                    return Err(encrypted(&format!(
                        "legacy PEM ({label} with Proc-Type: 4,ENCRYPTED)"
                    )));
                }
                "RSA PRIVATE KEY" => return Self::from_pkcs1_der(der),
                "EC PRIVATE KEY" => return Self::from_sec1_der(der),
                "PRIVATE KEY" => return Self::from_pkcs8_der(der),
                "DSA PRIVATE KEY" => return Err(unsupported("DSA")),
                "OPENSSH PRIVATE KEY" => {
                    return Err(unsupported(
                        "an OpenSSH-format key (convert it to PEM first)",
                    ));
                }
                other => labels.push(other.to_string()),
            }
        }
        Err(Error::new(
            ErrorKind::Pem,
            if labels.is_empty() {
                "no private key found: the input holds no PEM block".to_string()
            } else {
                format!("no private key found among PEM blocks {labels:?}")
            },
        ))
    }

    /// Reads a DER private key in any of PKCS#8, PKCS#1 or SEC1.
    ///
    /// # Errors
    /// As `from_pem`.
    pub fn from_der(der: &[u8]) -> Result<PrivateKey> {
        if is_encrypted_pkcs8(der) {
            return Err(encrypted("PKCS#8 (EncryptedPrivateKeyInfo)"));
        }
        if pkcs8::PrivateKeyInfoRef::try_from(der).is_ok() {
            return Self::from_pkcs8_der(der);
        }
        if let Ok(key) = Self::from_pkcs1_der(der) {
            return Ok(key);
        }
        if sec1::EcPrivateKey::from_der(der).is_ok() {
            return Self::from_sec1_der(der);
        }
        Err(Error::new(
            ErrorKind::InvalidKey,
            "not a private key in PKCS#8, PKCS#1 or SEC1 DER",
        ))
    }

    /// Reads PEM or DER, whichever `input` is.
    ///
    /// # Errors
    /// As `from_pem` / `from_der`.
    pub fn load(input: &[u8]) -> Result<PrivateKey> {
        if pem::looks_like_pem(input) {
            Self::from_pem(input)
        } else if input.iter().all(u8::is_ascii_whitespace) {
            Err(Error::new(ErrorKind::Pem, "empty input: no private key"))
        } else {
            Self::from_der(input)
        }
    }

    /// Reads the key file at `path` (PEM or DER), naming the path in any error.
    ///
    /// # Errors
    /// `Io` when unreadable, otherwise as `load`.
    pub fn load_file(path: impl AsRef<Path>) -> Result<PrivateKey> {
        let path = path.as_ref();
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| Error::io("reading", path, e))?);
        Self::load(&bytes).at_path(path)
    }

    fn from_pkcs1_der(der: &[u8]) -> Result<PrivateKey> {
        Self::from_rsa(RsaKey::from_pkcs1_der(der)?, KeyFormat::Pkcs1)
    }

    fn from_sec1_der(der: &[u8]) -> Result<PrivateKey> {
        let parsed = sec1::EcPrivateKey::from_der(der)
            .map_err(|e| invalid(&format!("invalid SEC1 EC private key: {e}")))?;
        let curve = parsed.parameters.and_then(|p| p.named_curve());
        let material = match curve {
            Some(rfc5912::SECP_256_R_1) => KeyMaterial::P256(
                p256::SecretKey::from_sec1_der(der)
                    .map_err(|e| invalid(&format!("invalid P-256 key: {e}")))?
                    .into(),
            ),
            Some(rfc5912::SECP_384_R_1) => KeyMaterial::P384(
                p384::SecretKey::from_sec1_der(der)
                    .map_err(|e| invalid(&format!("invalid P-384 key: {e}")))?
                    .into(),
            ),
            Some(other) => {
                return Err(unsupported(&format!(
                    "EC key on curve {}",
                    curve_name(&other)
                )));
            }
            None => return Err(unsupported("EC key without a named curve")),
        };
        Ok(PrivateKey {
            material,
            format: KeyFormat::Sec1,
            fast: Default::default(),
            public_der: Default::default(),
        })
    }

    fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey> {
        let info = pkcs8::PrivateKeyInfoRef::try_from(der)
            .map_err(|e| invalid(&format!("invalid PKCS#8 private key: {e}")))?;
        let oid = info.algorithm.oid;
        let material = match oid {
            rfc5912::RSA_ENCRYPTION => {
                let key = RsaKey::from_pkcs1_der(info.private_key.as_bytes())
                    // Keep the kind (a multi-prime key is unsupported, not malformed).
                    .map_err(|e| {
                        Error::new(e.kind(), format!("PKCS#8 RSA key: {}", e.message()))
                    })?;
                return Self::from_rsa(key, KeyFormat::Pkcs8);
            }
            rfc5912::ID_EC_PUBLIC_KEY => match info.algorithm.parameters_oid() {
                Ok(rfc5912::SECP_256_R_1) => KeyMaterial::P256(
                    p256::SecretKey::from_pkcs8_der(der)
                        .map_err(|e| invalid(&format!("invalid P-256 key: {e}")))?
                        .into(),
                ),
                Ok(rfc5912::SECP_384_R_1) => KeyMaterial::P384(
                    p384::SecretKey::from_pkcs8_der(der)
                        .map_err(|e| invalid(&format!("invalid P-384 key: {e}")))?
                        .into(),
                ),
                Ok(other) => {
                    return Err(unsupported(&format!(
                        "EC key on curve {}",
                        curve_name(&other)
                    )));
                }
                Err(_) => return Err(unsupported("EC key without a named curve")),
            },
            other => return Err(unsupported(&algorithm_name(&other))),
        };
        Ok(PrivateKey {
            material,
            format: KeyFormat::Pkcs8,
            fast: Default::default(),
            public_der: Default::default(),
        })
    }

    fn from_rsa(key: RsaKey, format: KeyFormat) -> Result<PrivateKey> {
        Ok(PrivateKey {
            material: KeyMaterial::Rsa(key),
            format,
            fast: Default::default(),
            public_der: Default::default(),
        })
    }

    /// Generates a new key; written as PKCS#1 (RSA) or SEC1 (EC), as kubeadm does, unless
    /// `with_format` changes it.
    ///
    /// # Errors
    /// `UnsupportedAlgorithm` for `Other` or RSA sizes outside 2048..=8192, `Crypto` when the
    /// system RNG fails.
    pub fn generate(algorithm: &KeyAlgorithm) -> Result<PrivateKey> {
        let mut rng = getrandom::SysRng;
        let (material, format) = match algorithm {
            KeyAlgorithm::Rsa(bits) if (2048..=8192).contains(bits) => {
                let key = rsa::PrivateKey::new(&mut rng, *bits as usize).map_err(|e| {
                    Error::new(ErrorKind::Crypto, format!("RSA key generation failed: {e}"))
                })?;
                (
                    KeyMaterial::Rsa(RsaKey::from_rust_crypto(key)?),
                    KeyFormat::Pkcs1,
                )
            }
            KeyAlgorithm::P256 => (
                KeyMaterial::P256(p256::ecdsa::SigningKey::from(
                    p256::SecretKey::try_generate_from_rng(&mut rng).map_err(rng_failed)?,
                )),
                KeyFormat::Sec1,
            ),
            KeyAlgorithm::P384 => (
                KeyMaterial::P384(p384::ecdsa::SigningKey::from(
                    p384::SecretKey::try_generate_from_rng(&mut rng).map_err(rng_failed)?,
                )),
                KeyFormat::Sec1,
            ),
            other => {
                return Err(Error::new(
                    ErrorKind::UnsupportedAlgorithm,
                    format!(
                        "cannot generate a {other} key: use RSA-2048/3072/4096, ECDSA-P256 or ECDSA-P384"
                    ),
                ));
            }
        };
        Ok(PrivateKey {
            material,
            format,
            fast: Default::default(),
            public_der: Default::default(),
        })
    }

    /// The same key, to be written in `format`.
    ///
    /// # Errors
    /// `InvalidArgument` for PKCS#1 with an EC key or SEC1 with an RSA key.
    pub fn with_format(mut self, format: KeyFormat) -> Result<PrivateKey> {
        let ok = matches!(
            (&self.material, format),
            (_, KeyFormat::Pkcs8)
                | (KeyMaterial::Rsa(_), KeyFormat::Pkcs1)
                | (KeyMaterial::P256(_) | KeyMaterial::P384(_), KeyFormat::Sec1)
        );
        if !ok {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("a {} key cannot be written as {format:?}", self.algorithm()),
            ));
        }
        self.format = format;
        Ok(self)
    }

    /// The algorithm and size.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match &self.material {
            KeyMaterial::Rsa(k) => KeyAlgorithm::Rsa(k.bits()),
            KeyMaterial::P256(_) => KeyAlgorithm::P256,
            KeyMaterial::P384(_) => KeyAlgorithm::P384,
        }
    }

    /// The format this key was read in (and is written in).
    pub fn format(&self) -> KeyFormat {
        self.format
    }

    /// The DER encoding, in `format()`. Zeroized when dropped.
    ///
    /// # Errors
    /// `Crypto` if the backend fails to encode (not expected for valid keys).
    pub fn to_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        let enc = |e: &dyn fmt::Display| {
            Error::new(
                ErrorKind::Crypto,
                format!("encoding the private key failed: {e}"),
            )
        };
        let der: Vec<u8> = match (&self.material, self.format) {
            (KeyMaterial::Rsa(k), KeyFormat::Pkcs1) => k.pkcs1_der().to_vec(),
            (KeyMaterial::Rsa(k), _) => return k.pkcs8_der(),
            (KeyMaterial::P256(k), KeyFormat::Sec1) => p256::SecretKey::from(k.as_nonzero_scalar())
                .to_sec1_der()
                .map_err(|e| enc(&e))?
                .to_vec(),
            (KeyMaterial::P256(k), _) => k.to_pkcs8_der().map_err(|e| enc(&e))?.as_bytes().to_vec(),
            (KeyMaterial::P384(k), KeyFormat::Sec1) => p384::SecretKey::from(k.as_nonzero_scalar())
                .to_sec1_der()
                .map_err(|e| enc(&e))?
                .to_vec(),
            (KeyMaterial::P384(k), _) => k.to_pkcs8_der().map_err(|e| enc(&e))?.as_bytes().to_vec(),
        };
        Ok(Zeroizing::new(der))
    }

    /// PEM text in `format()` (label `RSA PRIVATE KEY`, `EC PRIVATE KEY` or `PRIVATE KEY`).
    ///
    /// # Errors
    /// As `to_der`.
    pub fn to_pem(&self) -> Result<Zeroizing<String>> {
        let label = match self.format {
            KeyFormat::Pkcs1 => "RSA PRIVATE KEY",
            KeyFormat::Sec1 => "EC PRIVATE KEY",
            KeyFormat::Pkcs8 => "PRIVATE KEY",
        };
        Ok(Zeroizing::new(pem::encode(label, &self.to_der()?)))
    }

    /// The SubjectPublicKeyInfo DER of the public half.
    ///
    /// # Errors
    /// `Crypto` if encoding fails (not expected).
    pub fn public_key_der(&self) -> Result<Vec<u8>> {
        if let Some(der) = self.public_der.get() {
            return Ok(der.clone());
        }
        let doc = match &self.material {
            KeyMaterial::Rsa(k) => return Ok(k.spki_der().to_vec()),
            KeyMaterial::P256(k) => k.verifying_key().to_public_key_der(),
            KeyMaterial::P384(k) => k.verifying_key().to_public_key_der(),
        };
        let der = doc.map(|d| d.as_bytes().to_vec()).map_err(|e| {
            Error::new(
                ErrorKind::Crypto,
                format!("encoding the public key failed: {e}"),
            )
        })?;
        Ok(self.public_der.get_or_init(|| der).clone())
    }

    /// The public half as an x509-cert structure.
    ///
    /// # Errors
    /// As `public_key_der`.
    pub fn public_key_info(&self) -> Result<SubjectPublicKeyInfoOwned> {
        SubjectPublicKeyInfoOwned::from_der(&self.public_key_der()?)
            .map_err(|e| Error::new(ErrorKind::Crypto, format!("public key: {e}")))
    }

    /// Whether this key is the private half of `cert`'s public key.
    pub fn matches(&self, cert: &Certificate) -> bool {
        match (self.public_key_der(), cert.spki_der()) {
            (Ok(ours), Ok(theirs)) => same_public_key(&ours, theirs),
            _ => false,
        }
    }

    /// Fails with `KeyMismatch` naming the certificate when the key does not belong to it.
    ///
    /// # Errors
    /// `KeyMismatch`.
    pub fn ensure_matches(&self, cert: &Certificate) -> Result<()> {
        if self.matches(cert) {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::KeyMismatch,
                format!(
                    "private key does not match the certificate {:?}",
                    cert.subject()
                ),
            ))
        }
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm())
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// Compares two SPKI encodings by algorithm OID and key bits, ignoring how the (NULL or absent)
/// parameters of RSA were written. Read with the crate's element reader (`tlv`): `Issuer::new`
/// runs this once per call of the C and Python `resign`, where a full decode showed up.
pub(crate) fn same_public_key(a: &[u8], b: &[u8]) -> bool {
    match (crate::tlv::spki_key(a), crate::tlv::spki_key(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn key_algorithm_of_spki(spki: &[u8]) -> KeyAlgorithm {
    let Ok(info) = SubjectPublicKeyInfoRef::from_der(spki) else {
        return KeyAlgorithm::Other("malformed public key".into());
    };
    match info.algorithm.oid {
        rfc5912::RSA_ENCRYPTION => {
            let bits = info
                .subject_public_key
                .as_bytes()
                .and_then(|b| pkcs1::RsaPublicKeyRef::from_der(b).ok())
                .map(|k| {
                    let m = k.modulus.as_bytes();
                    let lead = m.iter().take_while(|&&b| b == 0).count();
                    let m = &m[lead..];
                    m.first()
                        .map_or(0, |first| (m.len() as u32) * 8 - first.leading_zeros())
                })
                .unwrap_or(0);
            KeyAlgorithm::Rsa(bits)
        }
        rfc5912::ID_EC_PUBLIC_KEY => match info.algorithm.parameters_oid() {
            Ok(rfc5912::SECP_256_R_1) => KeyAlgorithm::P256,
            Ok(rfc5912::SECP_384_R_1) => KeyAlgorithm::P384,
            Ok(other) => KeyAlgorithm::Other(format!("EC {}", curve_name(&other))),
            Err(_) => KeyAlgorithm::Other("EC (explicit parameters)".into()),
        },
        other => KeyAlgorithm::Other(algorithm_name(&other)),
    }
}

fn is_encrypted_pkcs8(der: &[u8]) -> bool {
    // EncryptedPrivateKeyInfo ::= SEQUENCE { SEQUENCE { OID, params }, OCTET STRING }
    let Ok((outer, _)) = crate::tlv::read(der) else {
        return false;
    };
    let Ok(items) = crate::tlv::children(outer.content) else {
        return false;
    };
    let Some(alg) = items.first() else {
        return false;
    };
    let Ok((oid, _)) = crate::tlv::read(alg.content) else {
        return false;
    };
    oid.tag == crate::tlv::OID && oid.content == PBES2.as_bytes()
}

fn curve_name(oid: &ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.3.132.0.35" => "P-521".into(),
        "1.3.132.0.10" => "secp256k1".into(),
        s => s.into(),
    }
}

fn algorithm_name(oid: &ObjectIdentifier) -> String {
    match *oid {
        rfc8410::ID_ED_25519 => "Ed25519".into(),
        rfc8410::ID_ED_448 => "Ed448".into(),
        rfc8410::ID_X_25519 => "X25519".into(),
        rfc8410::ID_X_448 => "X448".into(),
        DSA => "DSA".into(),
        RSASSA_PSS => "RSASSA-PSS".into(),
        other => format!("algorithm {other}"),
    }
}

fn encrypted(what: &str) -> Error {
    Error::new(
        ErrorKind::EncryptedKey,
        format!(
            "the private key is encrypted ({what}); decrypt it first, e.g. `openssl pkey -in KEY -out PLAIN`"
        ),
    )
}

fn unsupported(what: &str) -> Error {
    Error::new(
        ErrorKind::UnsupportedAlgorithm,
        format!("unsupported private key: {what}; kcertlib supports RSA and ECDSA P-256/P-384"),
    )
}

fn rng_failed(e: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::Crypto,
        format!("key generation failed: system RNG: {e}"),
    )
}

fn invalid(msg: &str) -> Error {
    Error::new(ErrorKind::InvalidKey, msg)
}
