//! Races inside one renewal: a file changed by someone else between plan and commit must stop
//! the renewal with a conflict naming that file, with nothing replaced, and the root's lock is
//! held meanwhile. Needs the `test-hooks` feature, whose
//! `kcertlib::testing::hooks(&mut RenewOptions).set_before_commit(hook)` runs `hook` after staging
//! and backup, before the first rename:
//!
//! `cargo test -p kcertlib --release --features test-hooks --test hostile_races`

mod hostile_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hostile_support::*;
use kcertlib::renew::{self, RenewOptions};
use kcertlib::{KeyAlgorithm, PrivateKey};

/// Not a case: the body of the child process `Runner::Child` spawns.
#[test]
fn child_process_entry() {
    child_main();
}

/// What the hook saw.
#[derive(Default)]
struct Seen {
    /// The tree as the hook left it (staged temporaries left out).
    tree: Option<Snapshot>,
    /// What taking the root's lock from inside the hook gave.
    lock: Option<String>,
}

/// Renews with a hook that runs `change` on `victim` before the first rename; the renewal must
/// fail with a conflict naming the victim, leaving the tree as the hook left it.
fn changed_before_commit(rel: &str, change: impl Fn(&Path) + Send + Sync + 'static) {
    let mut h = Hostile::kubeadm();
    h.seal();
    let victim = h.at(rel);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut options = RenewOptions::default();
    {
        let (root, victim, seen) = (h.root.clone(), victim.clone(), seen.clone());
        kcertlib::testing::hooks(&mut options).set_before_commit(move || {
            change(&victim);
            // What another renewal would find: the lock file held (flock) or free.
            let file = fs::File::open(root.join("var/lib/kcert/renew.lock"));
            let lock = match file.map(|f| f.try_lock()) {
                Ok(Ok(())) => "free",
                Ok(Err(fs::TryLockError::WouldBlock)) => "locked",
                Ok(Err(fs::TryLockError::Error(_))) | Err(_) => "unreadable",
            }
            .to_string();
            let mut tree = snapshot_tree(&root);
            tree.retain(|p, _| !p.to_string_lossy().contains(".kcert-"));
            let mut seen = seen.lock().expect("seen");
            seen.lock = Some(lock);
            seen.tree = Some(tree);
        });
    }
    let root: PathBuf = h.root.clone();
    let result = bounded("renew with a before-commit hook", &[], move || {
        renew::renew(&root, &options).map_err(|e| (e.kind().name().to_string(), e.to_string()))
    })
    .expect("renew panicked");
    h.assert_outside_intact("renew with a before-commit hook");
    h.assert_no_setid("renew with a before-commit hook");
    h.assert_no_leftovers("renew with a before-commit hook");
    let seen = seen.lock().expect("seen");
    let hook_tree = seen
        .tree
        .as_ref()
        .expect("the before-commit hook never ran: the test-hooks feature is not wired");
    assert_eq!(
        seen.lock.as_deref(),
        Some("locked"),
        "the root's lock must be held while the renewal commits"
    );
    let (kind, message) = match result {
        Ok(report) => panic!(
            "{rel} changed between plan and commit, yet the renewal committed ({} renewed)",
            report.renewed.len()
        ),
        Err(e) => e,
    };
    let file = Path::new(rel)
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name");
    assert!(
        message.contains(file) && (message.contains("changed") || message.contains("conflict")),
        "the conflict error must name {file} and say it changed ({kind}): {message}"
    );
    let changes = diff(hook_tree, &snapshot_tree(&h.root), false);
    assert!(
        changes.is_empty(),
        "no file may be replaced after a conflict; the tree differs from what the hook left:\n  {}",
        changes.join("\n  ")
    );
}

#[test]
fn a_file_changed_between_plan_and_commit_is_a_conflict() {
    changed_before_commit("etc/kubernetes/pki/apiserver.crt", |path| {
        let mut bytes = fs::read(path).expect("read");
        bytes.extend_from_slice(b"# changed by someone else\n");
        fs::write(path, bytes).expect("rewrite");
    });
}

#[test]
fn a_kept_key_changed_between_plan_and_commit_is_a_conflict() {
    changed_before_commit("etc/kubernetes/pki/apiserver.key", |path| {
        let key = PrivateKey::generate(&KeyAlgorithm::P256).expect("key");
        fs::write(path, key.to_pem().expect("pem").as_bytes()).expect("rewrite");
    });
}
