//! Key bytes are wiped before their memory is freed. This test binary's allocator looks into
//! every block freed while a check is armed for a needle (a piece of a key, decoded or as
//! base64) and counts the blocks that still hold it: reading PEM (`pem::blocks`, `pem::Reader`,
//! `Certificate::load_all` on a file that also holds a key), loading, encoding and dropping
//! keys, and parsing kubeconfigs with `client-key-data` must free none.
//!
//! Not covered here (see SECURITY.md): memory freed by AWS-LC's own allocator, and the YAML
//! parser's transient copies of scalars.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::BufReader;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

use base64ct::{Base64, Encoding};
use kcertlib::pem::{self, Reader};
use kcertlib::*;

/// The system allocator; while armed, it counts freed blocks that contain the needle.
struct Inspecting;

static ARMED: AtomicBool = AtomicBool::new(false);
static NEEDLE: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static NEEDLE_LEN: AtomicUsize = AtomicUsize::new(0);
static FOUND: AtomicUsize = AtomicUsize::new(0);

// SAFETY: allocation is forwarded unchanged to `System`; `dealloc` only reads the block it is
// about to free (initialised or not, it is readable memory of `layout.size()` bytes) before
// forwarding it.
unsafe impl GlobalAlloc for Inspecting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::SeqCst) {
            let needle = NEEDLE.load(Ordering::SeqCst);
            let len = NEEDLE_LEN.load(Ordering::SeqCst);
            // SAFETY: `ptr` is a live block of `layout.size()` bytes (freed only below), and
            // the needle is a leaked, never-freed buffer of `len` bytes.
            let (block, needle) = unsafe {
                (
                    std::slice::from_raw_parts(ptr, layout.size()),
                    std::slice::from_raw_parts(needle, len),
                )
            };
            if len > 0 && block.windows(len).any(|w| w == needle) {
                FOUND.fetch_add(1, Ordering::SeqCst);
            }
        }
        // SAFETY: as in `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Inspecting = Inspecting;

/// One check at a time: the needle and the count are global.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `f` with the allocator watching for `needle`; returns how many freed blocks held it.
fn unwiped_frees_of(needle: &[u8], f: impl FnOnce()) -> usize {
    assert!(needle.len() >= 12, "a needle long enough to be unique");
    let leaked: &'static mut [u8] = Box::leak(needle.to_vec().into_boxed_slice());
    NEEDLE_LEN.store(leaked.len(), Ordering::SeqCst);
    NEEDLE.store(leaked.as_mut_ptr(), Ordering::SeqCst);
    FOUND.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    f();
    ARMED.store(false, Ordering::SeqCst);
    FOUND.load(Ordering::SeqCst)
}

/// A key body nobody else produces: 96 random-looking bytes (any bytes will do for PEM).
fn marker() -> Vec<u8> {
    let mut bytes = vec![0u8; 96];
    getrandom::fill(&mut bytes).expect("rng");
    bytes
}

/// The decoded needle and a base64 needle from the middle of the block's text.
fn needles(body: &[u8]) -> [Vec<u8>; 2] {
    let b64 = Base64::encode_string(body);
    [body[24..56].to_vec(), b64.as_bytes()[20..60].to_vec()]
}

fn certificate_pem() -> String {
    let key = PrivateKey::generate(&KeyAlgorithm::P256).expect("key");
    self_signed_ca("CN=memory-test", &key, &ValidityPolicy::days(30))
        .expect("ca")
        .to_pem()
}

#[test]
fn reading_pem_wipes_the_key_blocks_it_decodes() {
    let _lock = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let body = marker();
    let key_block = pem::encode("PRIVATE KEY", &body).replace('\n', "\r\n");
    let text = format!("{}{}", certificate_pem(), key_block);
    for (which, needle) in needles(&body).iter().enumerate() {
        let found = unwiped_frees_of(needle, || {
            let blocks = pem::blocks(text.as_bytes()).expect("blocks");
            assert_eq!(blocks.len(), 2);
        });
        assert_eq!(
            found, 0,
            "pem::blocks freed key bytes unwiped (needle {which})"
        );
        // (A `BufReader` large enough to hold the key's text would free it unwiped: that
        // buffer is the caller's, as the input text is.)
        let found = unwiped_frees_of(needle, || {
            for capacity in [7, 61] {
                let blocks: Vec<_> =
                    Reader::new(BufReader::with_capacity(capacity, text.as_bytes()))
                        .collect::<kcertlib::Result<_>>()
                        .expect("streams");
                assert_eq!(blocks.len(), 2);
            }
            let n = Reader::new(text.as_bytes())
                .for_each_certificate(|_| Ok(()))
                .expect("walks");
            assert_eq!(n, 1);
            let blocks: Vec<_> = Reader::new(text.as_bytes())
                .collect::<kcertlib::Result<_>>()
                .expect("streams");
            assert_eq!(blocks.len(), 2);
        });
        assert_eq!(
            found, 0,
            "pem::Reader freed key bytes unwiped (needle {which})"
        );
        let found = unwiped_frees_of(needle, || {
            assert_eq!(
                Certificate::load_all(text.as_bytes()).expect("certs").len(),
                1
            );
        });
        assert_eq!(
            found, 0,
            "Certificate::load_all freed the key block unwiped (needle {which})"
        );
    }
}

#[test]
fn loading_encoding_and_dropping_keys_wipes_them() {
    let _lock = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().expect("tmp");
    for algorithm in [
        KeyAlgorithm::P256,
        KeyAlgorithm::P384,
        KeyAlgorithm::RSA_2048,
    ] {
        for format in [None, Some(KeyFormat::Pkcs8)] {
            let mut key = PrivateKey::generate(&algorithm).expect("key");
            if let Some(format) = format {
                key = key.with_format(format).expect("format");
            }
            let der = key.to_der().expect("der");
            let pem_text = key.to_pem().expect("pem");
            let path = dir.path().join("key.pem");
            std::fs::write(&path, pem_text.as_bytes()).expect("write");
            let secret = secret_part(&key);
            drop(key);
            let body_line = pem_text.lines().nth(1).expect("a body line");
            for needle in [&secret[..24], &body_line.as_bytes()[8..56]] {
                let found = unwiped_frees_of(needle, || {
                    let key = PrivateKey::from_pem(pem_text.as_bytes()).expect("loads");
                    let _ = key.to_der().expect("der");
                    let _ = key.to_pem().expect("pem");
                    let _ = signer::Signer::sign(&key, b"tbs").expect("signs");
                    let _ = PrivateKey::from_der(&der).expect("loads DER");
                    let _ = PrivateKey::load_file(&path).expect("loads file");
                });
                assert_eq!(found, 0, "{algorithm} {format:?}: key bytes freed unwiped");
            }
        }
    }
}

/// The private scalar of an EC key, or the private exponent of an RSA key (the public half is
/// no secret, and copies of it may be freed as they are).
fn secret_part(key: &PrivateKey) -> Vec<u8> {
    use der::Decode;
    match key.algorithm() {
        KeyAlgorithm::Rsa(_) => {
            let der = key.clone().with_format(KeyFormat::Pkcs1).expect("pkcs1");
            let der = der.to_der().expect("der");
            let parsed = pkcs1::RsaPrivateKeyRef::from_der(&der).expect("PKCS#1");
            parsed.private_exponent.as_bytes().to_vec()
        }
        _ => {
            let der = key.clone().with_format(KeyFormat::Sec1).expect("sec1");
            let der = der.to_der().expect("der");
            let parsed = sec1::EcPrivateKey::from_der(&der).expect("SEC1");
            parsed.private_key.to_vec()
        }
    }
}

#[test]
fn kubeconfig_key_data_is_wiped() {
    let _lock = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().expect("tmp");
    let key_pem = pem::encode("EC PRIVATE KEY", &marker());
    let key_b64 = Base64::encode_string(key_pem.as_bytes());
    let text = format!(
        "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-certificate-data: {}\n    client-key-data: {key_b64}\n",
        Base64::encode_string(certificate_pem().as_bytes())
    );
    let path = dir.path().join("admin.conf");
    std::fs::write(&path, &text).expect("write");
    // The decoded key (its PEM text) must never be freed unwiped.
    let needle = &key_pem.as_bytes()[40..80];
    let found = unwiped_frees_of(needle, || {
        let parsed = Kubeconfig::parse(&text, "admin.conf").expect("parses");
        let users = parsed.users();
        assert_eq!(
            users[0].client_key_data.as_deref(),
            Some(key_pem.as_bytes())
        );
        assert!(!format!("{:?}", users[0]).contains(&key_b64[..20]));
        let loaded = Kubeconfig::load(&path).expect("loads");
        assert!(loaded.user("admin").is_some());
    });
    assert_eq!(found, 0, "the decoded client-key-data was freed unwiped");
}
