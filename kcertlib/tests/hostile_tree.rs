//! The hostile-tree suite: kcert runs as root over trees that others wrote (a mounted node disk,
//! a restored backup, a directory a service user owns), so everything in the tree is untrusted
//! input, kcert's own journal, lock and manifests included.
//!
//! Each case builds `TMP/root` (a generated expired tree) and `TMP/canary` (files outside the
//! root that the attack aims at), plants one attack, seals the snapshots and runs the relevant
//! operations, each bounded to 60 s. Every case asserts, after every operation (see
//! `hostile_support`): nothing outside the root changed and nothing new appeared there; no
//! set-id file appeared; the tree is untouched or fully renewed, never half-way; a refusal
//! names the offending file. Cases that expect a particular refusal or report say so.
//!
//! Many of these fail against a library that trusts its tree; each failure's message says
//! what went wrong (which canary file changed, which operation hung, ...).

mod hostile_support;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use hostile_support::*;
use kcertlib::fixture::FixtureLayout;
use kcertlib::kubeconfig::Kubeconfig;
use serde_json::Value;

/// Not a case: the body of the child process `Runner::Child` spawns.
#[test]
fn child_process_entry() {
    child_main();
}

const JOURNAL: Expect = Expect {
    names: &["journal.json"],
    exempt: &[],
    must_commit: false,
    may_change: &[],
    may_create: &[],
};
const MANIFEST: Expect = Expect {
    names: &["manifest.json"],
    exempt: &[],
    must_commit: false,
    may_change: &[],
    may_create: &[],
};
const LOCK: Expect = Expect {
    names: &["renew.lock"],
    exempt: &[],
    must_commit: false,
    may_change: &[],
    may_create: &[],
};
const STATE_DIR: Expect = Expect {
    names: &["var/lib/kcert"],
    exempt: &[],
    must_commit: false,
    may_change: &[],
    may_create: &[],
};
const BACKUPS: Expect = Expect {
    names: &["backups"],
    exempt: &[],
    must_commit: false,
    may_change: &[],
    may_create: &[],
};

/// Runs `case` once per absolute spelling of a canary path (`/TMP/canary/x` and
/// `/TMP/root/../canary/x`), each a variant of its own.
fn each_absolute_form(case: impl Fn(Form)) {
    for form in Form::ABSOLUTE_FORMS {
        variant(format!("{form:?}"));
        case(form);
    }
}

fn retarget_or_fail(v: &mut Value, h: &Hostile, field: Field, victim: &Path, form: Form) {
    let n = retarget(v, &h.root, field, victim, form);
    assert!(
        n > 0,
        "the genuine journal has no {field:?} field naming a tree file: the tamper found \
         nothing to rewrite (journal format changed? update hostile_support::field_of)"
    );
}

/// Points each `(field, canary file)` of `targets` at that file, spelled in `form`.
fn retarget_to_canaries(v: &mut Value, h: &Hostile, targets: &[(Field, &str)], form: Form) {
    for &(field, canary) in targets {
        retarget_or_fail(v, h, field, &h.canary_at(canary), form);
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Planted journals

/// A genuine journal (from renewing a copy of this tree) in state `prepared`, as an
/// interrupted renewal leaves it, for a case to tamper with and plant.
struct PreparedJournal {
    genuine: Genuine,
    value: Value,
    /// Planted owned by nobody and writable by anyone, as a journal nobody may have written.
    nobody_writable: bool,
}

impl PreparedJournal {
    /// Call before `seal`: it renews a copy of the tree and copies its backups into this one.
    fn of(h: &Hostile) -> PreparedJournal {
        let genuine = h.genuine_journal();
        let mut value = genuine.value.clone();
        assert!(
            set_state(&mut value, "prepared") > 0,
            "the genuine journal has no state field"
        );
        PreparedJournal {
            genuine,
            value,
            nobody_writable: false,
        }
    }

    /// Plants the (tampered) value as the journal and over the in-tree manifest.
    fn plant(&self, h: &Hostile) {
        self.genuine.plant(h, &self.value);
        if self.nobody_writable {
            let journal = h.at("var/lib/kcert/journal.json");
            chown(&journal, NOBODY, NOBODY);
            chmod(&journal, 0o666);
        }
    }

    /// Plants the journal, seals the case and runs `recover`; then plants it again (recovery
    /// consumed or refused it) and runs `renew`. Returns what `recover` did.
    fn recover_then_renew(&self, h: &mut Hostile, exp: &Expect) -> Outcome {
        self.plant(h);
        h.seal();
        let recovered = h.recover(exp);
        self.plant(h);
        h.renew(exp);
        recovered
    }
}

/// A prepared journal tampered by `tamper`, planted; then `recover` and, planted again,
/// `renew`.
fn planted_journal_case(tamper: impl Fn(&Hostile, &mut Value)) {
    let mut h = Hostile::kubeadm();
    let mut journal = PreparedJournal::of(&h);
    tamper(&h, &mut journal.value);
    journal.recover_then_renew(&mut h, &JOURNAL);
}

#[test]
fn planted_journal_staged_outside_root_is_not_deleted() {
    each_absolute_form(|form| {
        planted_journal_case(|h, v| {
            retarget_to_canaries(v, h, &[(Field::Staged, ROOT_OWNED)], form);
        });
    });
}

#[test]
fn planted_journal_path_outside_root_is_not_overwritten() {
    each_absolute_form(|form| {
        planted_journal_case(|h, v| {
            // Its "new" hash is set to the victim's, so the victim looks like what the
            // interrupted transaction wrote and a naive recovery "puts the original back".
            retarget_to_canaries(v, h, &[(Field::Path, TOOL)], form);
        });
    });
}

#[test]
fn planted_journal_backup_and_manifest_outside_root_are_not_written() {
    let targets = [
        (Field::Backup, INNER),
        (Field::BackupDir, DIR),
        (Field::Manifest, NOBODY_FILE),
    ];
    each_absolute_form(|form| {
        planted_journal_case(|h, v| retarget_to_canaries(v, h, &targets, form));
    });
}

#[test]
fn planted_journal_cannot_create_set_id_files() {
    for mode in [0o4755, 0o6755] {
        variant(format!("mode {mode:o}"));
        let mut h = Hostile::kubeadm();
        let mut journal = PreparedJournal::of(&h);
        // A nobody-owned helper in the tree and a payload the attacker wants installed.
        let helper = h.at("usr/local/bin/kcert-helper");
        write_file(&helper, b"#!/bin/sh\necho helper\n", 0o755);
        chown(&helper, NOBODY, NOBODY);
        let payload = h.at("tmp/payload");
        write_file(&payload, b"#!/bin/sh\necho payload\n", 0o644);
        let forged = [
            Forged {
                target: h.canary_at(TOOL),
                payload: payload.clone(),
                mode,
                uid: NOBODY,
                gid: NOBODY,
            },
            Forged {
                target: helper.clone(),
                payload: payload.clone(),
                mode,
                uid: 0,
                gid: 0,
            },
        ];
        assert_eq!(
            forge_records(&mut journal.value, &h.root, &forged),
            2,
            "no record with a backup found in the genuine journal (format changed?)"
        );
        // A root-owned journal naming a tree file may be honoured (it looks genuine); the
        // helper may then get the payload, but never a set-id bit.
        let exp = Expect {
            may_change: &["usr/local/bin/kcert-helper"],
            ..JOURNAL
        };
        journal.recover_then_renew(&mut h, &exp);
    }
}

#[test]
fn planted_journal_with_relative_paths_stays_inside_the_root() {
    let mut h = Hostile::kubeadm();
    let mut journal = PreparedJournal::of(&h);
    let targets = [
        (Field::Staged, ROOT_OWNED),
        (Field::Path, TOOL),
        (Field::BackupDir, DIR),
        (Field::Manifest, NOBODY_FILE),
    ];
    retarget_to_canaries(&mut journal.value, &h, &targets, Form::Relative);
    // `../canary/x` means the canary whether read against the root or against the working
    // directory, so the operations run in a child process whose working directory is the root.
    h.isolate(h.root.clone(), false);
    journal.recover_then_renew(&mut h, &JOURNAL);
}

#[test]
fn planted_journal_of_another_root_is_refused() {
    let mut h = Hostile::kubeadm();
    let mut journal = PreparedJournal::of(&h);
    // Claims TMP as its root, where the canary is "inside".
    let targets = [(Field::Staged, ROOT_OWNED), (Field::Path, TOOL)];
    retarget_to_canaries(&mut journal.value, &h, &targets, Form::Absolute);
    retarget_or_fail(&mut journal.value, &h, Field::Root, &h.tmp, Form::Absolute);
    let recovered = journal.recover_then_renew(&mut h, &JOURNAL);
    assert!(
        recovered.error.is_some(),
        "recover must refuse a journal that belongs to another root"
    );
}

#[test]
fn journal_that_is_a_fifo_does_not_hang_recovery() {
    let mut h = Hostile::kubeadm();
    let journal = h.at("var/lib/kcert/journal.json");
    fs::create_dir_all(journal.parent().expect("parent")).expect("mkdir");
    mkfifo(&journal);
    h.poke_on_hang(journal);
    h.seal();
    h.standard(&JOURNAL);
}

#[test]
fn journal_owned_by_nobody_is_not_trusted() {
    let mut h = Hostile::kubeadm();
    let mut journal = PreparedJournal::of(&h);
    // A root-only file of the node that a nobody-owned journal asks kcert to "restore".
    let secret = h.at("etc/kcert-victim");
    write_file(&secret, b"root only\n", 0o600);
    let payload = h.at("tmp/payload");
    write_file(&payload, b"chosen by nobody\n", 0o644);
    chown(&payload, NOBODY, NOBODY);
    let forged = [Forged {
        target: secret,
        payload,
        mode: 0o644,
        uid: NOBODY,
        gid: NOBODY,
    }];
    assert_eq!(forge_records(&mut journal.value, &h.root, &forged), 1);
    // Nobody may write this journal: acting on it would let nobody rewrite any root file.
    journal.nobody_writable = true;
    journal.recover_then_renew(&mut h, &JOURNAL);
}

// ---------------------------------------------------------------------------------------------
// 2. Tampered manifests given to rollback

/// Renews the tree for real, tampers its manifest with `tamper` and seals the case; returns
/// the tree as it was before the renewal and the tampered manifest.
fn plant_tampered_manifest(
    h: &mut Hostile,
    tamper: impl Fn(&Hostile, &mut Value),
) -> (Snapshot, PathBuf) {
    let (pre, manifest, mut v) = h.renew_for_rollback();
    tamper(h, &mut v);
    write_file(
        &manifest,
        &serde_json::to_vec_pretty(&v).expect("json"),
        0o600,
    );
    h.seal();
    (pre, manifest)
}

/// Renews the tree for real, tampers its manifest with `tamper`, and rolls it back.
fn tampered_rollback_case(tamper: impl Fn(&Hostile, &mut Value), must_refuse: bool) {
    let mut h = Hostile::kubeadm();
    let (pre, manifest) = plant_tampered_manifest(&mut h, tamper);
    let out = h.rollback(&manifest, &pre, &MANIFEST);
    if must_refuse {
        assert!(
            out.error.is_some(),
            "rollback must refuse a manifest that names files outside the root"
        );
    }
}

#[test]
fn tampered_rollback_manifest_cannot_write_outside_root() {
    each_absolute_form(|form| {
        tampered_rollback_case(
            |h, v| retarget_to_canaries(v, h, &[(Field::Path, TOOL)], form),
            true,
        );
    });
}

#[test]
fn tampered_rollback_manifest_cannot_restore_outside_files_into_the_tree() {
    each_absolute_form(|form| {
        // Backups named as a canary file whose hash the manifest gives: a naive rollback copies
        // the outside file into the tree (disclosure into a tree its owner reads).
        tampered_rollback_case(
            |h, v| retarget_to_canaries(v, h, &[(Field::Backup, INNER)], form),
            true,
        );
    });
}

#[test]
fn tampered_rollback_manifest_cannot_set_set_id_modes_or_owners() {
    for mode in [0o4755u32, 0o6755] {
        variant(format!("mode {mode:o}"));
        tampered_rollback_case(
            move |_, v| {
                let mut touched = 0;
                set_mode_and_owner(v, mode, NOBODY, &mut touched);
                assert!(touched > 0, "the manifest has no mode/uid/gid fields");
            },
            false,
        );
    }
}

fn set_mode_and_owner(v: &mut Value, mode: u32, owner: u32, touched: &mut usize) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                match k.as_str() {
                    "mode" if child.is_number() => {
                        *child = Value::from(mode);
                        *touched += 1;
                    }
                    "uid" | "gid" if child.is_number() => {
                        *child = Value::from(owner);
                        *touched += 1;
                    }
                    _ => set_mode_and_owner(child, mode, owner, touched),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                set_mode_and_owner(item, mode, owner, touched);
            }
        }
        _ => {}
    }
}

#[test]
fn tampered_rollback_manifest_with_root_at_tmp_is_refused() {
    tampered_rollback_case(
        |h, v| {
            retarget_to_canaries(v, h, &[(Field::Path, TOOL)], Form::Absolute);
            retarget_or_fail(v, h, Field::Root, &h.tmp, Form::Absolute);
        },
        true,
    );
}

#[test]
fn tampered_rollback_manifest_with_root_at_slash_is_refused() {
    let mut h = Hostile::kubeadm();
    let (pre, manifest) = plant_tampered_manifest(&mut h, |h, v| {
        retarget_to_canaries(v, h, &[(Field::Path, TOOL)], Form::Absolute);
        retarget_or_fail(v, h, Field::Root, Path::new("/"), Form::Absolute);
    });
    // A library that believed the manifest would lock and journal in the real /var/lib/kcert:
    // run it in a private mount namespace with a tmpfs over /var/lib, never on this machine's.
    h.isolate(h.root.clone(), true);
    let out = h.rollback(&manifest, &pre, &MANIFEST);
    assert!(
        out.error.is_some(),
        "rollback must refuse a manifest whose root is / while it lies in {}",
        h.root.display()
    );
}

// ---------------------------------------------------------------------------------------------
// 3. The lock, the journal and the state directory

/// Makes the root-relative `link` a symlink to `target` (creating the directory it is in),
/// seals the case and runs the standard operations.
fn standard_through_symlink(mut h: Hostile, link: &str, target: &Path, exp: &Expect) {
    fs::create_dir_all(h.at(link).parent().expect("parent")).expect("mkdir");
    symlink(target, &h.at(link));
    h.seal();
    h.standard(exp);
}

/// `standard_through_symlink` from `link` to the canary's `outside`, spelled absolute, then
/// relative to the link's directory (a variant each).
fn outside_symlink_case(link: &str, outside: &str, exp: &Expect) {
    let link_dir = Path::new(link)
        .parent()
        .and_then(Path::to_str)
        .expect("link in a directory");
    for relative in [false, true] {
        variant(if relative { "relative" } else { "absolute" });
        let h = Hostile::kubeadm();
        let target = if relative {
            h.canary_relative_from(link_dir, outside)
        } else {
            h.canary_at(outside)
        };
        standard_through_symlink(h, link, &target, exp);
    }
}

#[test]
fn lock_symlink_to_outside_file_is_not_followed() {
    outside_symlink_case("var/lib/kcert/renew.lock", ROOT_OWNED, &LOCK);
}

#[test]
fn dangling_lock_symlink_target_is_not_created() {
    outside_symlink_case("var/lib/kcert/renew.lock", "created-by-kcert", &LOCK);
}

#[test]
fn lock_symlink_to_outside_directory_is_not_followed() {
    let h = Hostile::kubeadm();
    let target = h.canary_at(DIR);
    standard_through_symlink(h, "var/lib/kcert/renew.lock", &target, &LOCK);
}

#[test]
fn journal_symlink_to_outside_file_is_not_followed() {
    // To a plain file, and to an outside copy of a tampered journal.
    for tampered in [false, true] {
        variant(if tampered {
            "to an outside copy of a tampered journal"
        } else {
            "to an outside plain file"
        });
        let h = Hostile::kubeadm();
        let target = if tampered {
            let mut journal = PreparedJournal::of(&h);
            let targets = [(Field::Staged, ROOT_OWNED)];
            retarget_to_canaries(&mut journal.value, &h, &targets, Form::Absolute);
            let copy = h.canary_at("journal-copy.json");
            let json = serde_json::to_vec_pretty(&journal.value).expect("json");
            write_file(&copy, &json, 0o600);
            copy
        } else {
            h.canary_at(ROOT_OWNED)
        };
        standard_through_symlink(h, "var/lib/kcert/journal.json", &target, &JOURNAL);
    }
}

#[test]
fn state_dir_symlink_to_outside_directory_is_not_followed() {
    outside_symlink_case("var/lib/kcert", EMPTY_DIR, &STATE_DIR);
}

/// How a case makes a directory or file one that root must not trust.
#[derive(Clone, Copy, Debug)]
enum Weakness {
    /// Mode 0777.
    WorldWritable,
    /// Owned by nobody:nobody.
    OwnedByNobody,
}

impl Weakness {
    fn apply(self, path: &Path) {
        match self {
            Weakness::WorldWritable => chmod(path, 0o777),
            Weakness::OwnedByNobody => chown(path, NOBODY, NOBODY),
        }
    }
}

/// After a committed renewal, `rel` must not be left writable by others or owned by someone
/// else than root.
fn assert_root_only_after_commit(h: &Hostile, out: &Outcome, rel: &str) {
    if !out.changed {
        return;
    }
    let meta = fs::symlink_metadata(h.at(rel)).expect("still there");
    assert!(
        meta.uid() == 0 && meta.mode() & 0o022 == 0,
        "{} renewed through {rel} (mode {:o}, uid {}), which someone other than root owns or \
         can write, and left it so: they can swap the lock, journal or backups under it",
        out.op,
        meta.mode() & 0o7777,
        meta.uid()
    );
}

/// Creates the root-relative directory `rel` with `weakness`, runs the standard operations and
/// checks that a committed renewal made the directory root's and private.
fn untrusted_dir_case(rel: &str, weakness: Weakness, exp: &Expect) {
    let mut h = Hostile::kubeadm();
    let dir = h.at(rel);
    fs::create_dir_all(&dir).expect("mkdir");
    weakness.apply(&dir);
    h.seal();
    let out = h.standard(exp);
    assert_root_only_after_commit(&h, &out, rel);
}

#[test]
fn world_writable_state_dir_is_not_trusted() {
    untrusted_dir_case("var/lib/kcert", Weakness::WorldWritable, &STATE_DIR);
}

#[test]
fn state_dir_owned_by_nobody_is_not_trusted() {
    untrusted_dir_case("var/lib/kcert", Weakness::OwnedByNobody, &STATE_DIR);
}

#[test]
fn lock_owned_by_nobody_and_world_writable_is_not_kept() {
    let mut h = Hostile::kubeadm();
    let lock = "var/lib/kcert/renew.lock";
    write_file(&h.at(lock), b"", 0o666);
    Weakness::OwnedByNobody.apply(&h.at(lock));
    h.seal();
    let out = h.standard(&LOCK);
    assert_root_only_after_commit(&h, &out, lock);
}

// ---------------------------------------------------------------------------------------------
// 4. Backups

#[test]
fn world_writable_backups_dir_is_not_trusted() {
    untrusted_dir_case("var/lib/kcert/backups", Weakness::WorldWritable, &BACKUPS);
}

#[test]
fn backups_dir_owned_by_nobody_is_not_trusted() {
    untrusted_dir_case("var/lib/kcert/backups", Weakness::OwnedByNobody, &BACKUPS);
}

#[test]
fn backups_dir_symlink_to_outside_directory_is_not_followed() {
    outside_symlink_case("var/lib/kcert/backups", EMPTY_DIR, &BACKUPS);
}

/// Renews with the explicit backup directory `backup_dir` (the case is sealed); when that
/// committed, `check`s the manifest and rolls the renewal back.
fn renew_into_backup_dir(h: &Hostile, backup_dir: PathBuf, exp: &Expect, check: impl Fn(&Path)) {
    let pre = snapshot_tree(&h.root);
    let out = h.renew_with(
        RenewSpec {
            backup_dir: Some(backup_dir),
            ..RenewSpec::default()
        },
        exp,
    );
    if let (true, Some(manifest)) = (out.changed, &out.manifest) {
        check(manifest);
        h.rollback(manifest, &pre, exp);
    }
}

#[test]
fn explicit_backup_dir_through_a_symlink_is_not_followed() {
    let mut h = Hostile::kubeadm();
    let backup_dir = h.at("var/backups/kcert");
    fs::create_dir_all(backup_dir.parent().expect("parent")).expect("mkdir");
    symlink(h.canary_at(EMPTY_DIR), &backup_dir);
    h.seal();
    let exp = Expect {
        names: &["var/backups/kcert"],
        may_create: &["var/backups"],
        ..Expect::default()
    };
    renew_into_backup_dir(&h, backup_dir, &exp, |_| {});
}

#[test]
fn explicit_backup_dir_world_writable_or_owned_by_nobody_is_not_trusted() {
    for weakness in [Weakness::WorldWritable, Weakness::OwnedByNobody] {
        variant(format!("{weakness:?}"));
        let mut h = Hostile::kubeadm();
        // Pre-created, empty, so the option accepts it.
        let backup_dir = h.at("var/backups/kcert-explicit");
        fs::create_dir_all(&backup_dir).expect("mkdir");
        weakness.apply(&backup_dir);
        h.seal();
        let exp = Expect {
            names: &["kcert-explicit"],
            may_create: &["var/backups/kcert-explicit"],
            ..Expect::default()
        };
        // Keys were copied in there: it must be root's and private by now.
        renew_into_backup_dir(&h, backup_dir, &exp, |manifest| {
            h.assert_backups_private(manifest)
        });
    }
}

#[test]
fn backups_are_private_even_when_originals_are_group_writable() {
    let mut h = Hostile::kubeadm();
    chmod(&h.at("etc/kubernetes/admin.conf"), 0o664);
    chmod(&h.at("etc/kubernetes/pki/apiserver.key"), 0o664);
    h.seal();
    let commit = Expect {
        must_commit: true,
        ..Expect::default()
    };
    let pre = snapshot_tree(&h.root);
    let out = h.renew(&commit);
    let manifest = out.manifest.clone().expect("manifest");
    h.assert_backups_private(&manifest);
    h.rollback(&manifest, &pre, &commit);

    // Again with an explicit backup directory inside the root.
    let explicit = h.at("var/backups/kcert-explicit");
    let exp = Expect {
        may_create: &["var/backups"],
        ..commit
    };
    let out = h.renew_with(
        RenewSpec {
            backup_dir: Some(explicit),
            ..RenewSpec::default()
        },
        &exp,
    );
    h.assert_backups_private(&out.manifest.clone().expect("manifest"));
}

// ---------------------------------------------------------------------------------------------
// 5. Certificates and keys that lead out of the root

#[test]
fn cert_symlink_to_absolute_outside_path_is_rerooted_not_followed() {
    let mut h = Hostile::kubeadm();
    let pki = "etc/kubernetes/pki";
    // apiserver.crt -> /TMP/canary/apiserver.crt, a tripwire FIFO serving the real cert.
    let cert_bytes = fs::read(h.at(&format!("{pki}/apiserver.crt"))).expect("cert");
    let tripwire = Tripwire::plant(&h.canary_at("apiserver.crt"), cert_bytes);
    symlink(tripwire.path(), &h.at(&format!("{pki}/apiserver.crt")));
    // apiserver-kubelet-client.key -> /TMP/canary/client.key, a real copy of the key.
    let key = h.copy_to_canary(&format!("{pki}/apiserver-kubelet-client.key"), "client.key");
    symlink(&key, &h.at(&format!("{pki}/apiserver-kubelet-client.key")));
    h.seal();
    h.standard(&Expect {
        names: &["apiserver"],
        exempt: &["apiserver", "apiserver-kubelet-client"],
        ..Expect::default()
    });
    assert!(
        !tripwire.was_read(),
        "a file outside the root was read through an absolute symlink in the tree"
    );
}

#[test]
fn cert_symlink_climbing_out_of_root_is_not_followed() {
    let mut h = Hostile::kubeadm();
    let pki = "etc/kubernetes/pki";
    // apiserver.crt -> ../../../../canary/apiserver.crt, a real copy (a write would show).
    let copy = h.copy_to_canary(&format!("{pki}/apiserver.crt"), "apiserver.crt");
    assert!(copy.exists());
    symlink(
        h.canary_relative_from(pki, "apiserver.crt"),
        &h.at(&format!("{pki}/apiserver.crt")),
    );
    // apiserver.key -> ../../../../canary/apiserver.key, a tripwire (a read would show).
    let key_bytes = fs::read(h.at(&format!("{pki}/apiserver.key"))).expect("key");
    let tripwire = Tripwire::plant(&h.canary_at("apiserver.key"), key_bytes);
    symlink(
        h.canary_relative_from(pki, "apiserver.key"),
        &h.at(&format!("{pki}/apiserver.key")),
    );
    h.seal();
    h.standard(&Expect {
        names: &["apiserver"],
        exempt: &["apiserver"],
        ..Expect::default()
    });
    assert!(
        !tripwire.was_read(),
        "a key outside the root was read through a `..` symlink in the tree"
    );
}

#[test]
fn hard_link_to_outside_file_is_not_written_through() {
    let mut h = Hostile::kubeadm();
    for (rel, name) in [
        ("etc/kubernetes/pki/apiserver.crt", "hard.crt"),
        ("etc/kubernetes/admin.conf", "hard.conf"),
    ] {
        let outside = h.copy_to_canary(rel, name);
        chmod(&outside, mode_of(&h.at(rel)));
        fs::remove_file(h.at(rel)).expect("rm");
        fs::hard_link(&outside, h.at(rel)).expect("hard link (same filesystem)");
    }
    h.seal();
    // Replacing the tree's name (rename) leaves the outside inode alone; so does refusing.
    h.standard(&Expect {
        names: &["apiserver.crt", "admin.conf"],
        exempt: &["apiserver", "admin.conf"],
        ..Expect::default()
    });
}

#[test]
fn pki_subdir_symlink_out_of_root_is_not_followed() {
    for relative in [false, true] {
        variant(if relative { "relative" } else { "absolute" });
        let mut h = Hostile::kubeadm();
        // The whole etcd PKI moves out of the root; the tree keeps a link to it.
        fs::rename(h.at("etc/kubernetes/pki/etcd"), h.canary_at("etcd")).expect("move");
        let target = if relative {
            h.canary_relative_from("etc/kubernetes/pki", "etcd")
        } else {
            h.canary_at("etcd")
        };
        symlink(&target, &h.at("etc/kubernetes/pki/etcd"));
        h.seal();
        h.standard(&Expect {
            names: &["etcd"],
            exempt: &[
                "etcd-server",
                "etcd-peer",
                "etcd-healthcheck-client",
                "apiserver-etcd-client",
            ],
            ..Expect::default()
        });
    }
}

#[test]
fn kubespray_etcd_dir_owned_by_nobody_stays_confined() {
    let mut h = Hostile::new(FixtureLayout::Kubespray);
    let dir = "etc/ssl/etcd/ssl";
    // The etcd user owns its directory and every file in it, and plants links out.
    let copy = h.copy_to_canary(&format!("{dir}/member-node2.pem"), "member-node2.pem");
    symlink(&copy, &h.at(&format!("{dir}/member-node2.pem")));
    let key_bytes = fs::read(h.at(&format!("{dir}/node-node2-key.pem"))).expect("key");
    let tripwire = Tripwire::plant(&h.canary_at("node-node2-key.pem"), key_bytes);
    symlink(
        h.canary_relative_from(dir, "node-node2-key.pem"),
        &h.at(&format!("{dir}/node-node2-key.pem")),
    );
    for entry in fs::read_dir(h.at(dir)).expect("ls") {
        chown(&entry.expect("entry").path(), NOBODY, NOBODY);
    }
    chown(&h.at(dir), NOBODY, NOBODY);
    chmod(&h.at(dir), 0o700);
    h.seal();
    // The generic judge also checks that every renewed file keeps its owner (nobody).
    h.standard(&Expect {
        names: &["member-node2", "node-node2"],
        exempt: &["etcd-member-node2", "etcd-node-node2"],
        ..Expect::default()
    });
    assert!(
        !tripwire.was_read(),
        "a key outside the root was read through a link the etcd user planted"
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Kubeconfig file references out of the root

/// Rewrites admin.conf to reference its client certificate and key as files: `cert` and
/// `key` as written. Returns the PEM bytes of its certificate and key.
fn admin_conf_with_references(h: &Hostile, cert: &Path, key: &Path) -> (Vec<u8>, Vec<u8>) {
    let path = h.at("etc/kubernetes/admin.conf");
    let kubeconfig = Kubeconfig::load(&path).expect("admin.conf");
    let user = kubeconfig.client_user().expect("client user");
    let cert_pem = user.client_certificate_data.clone().expect("embedded cert");
    let key_pem = user
        .client_key_data
        .as_deref()
        .expect("embedded key")
        .to_vec();
    let text = fs::read_to_string(&path).expect("read");
    let mut out = String::new();
    let mut replaced = 0;
    for line in text.lines() {
        let indent = &line[..line.len() - line.trim_start().len()];
        if line.trim_start().starts_with("client-certificate-data:") {
            out.push_str(&format!("{indent}client-certificate: {}\n", cert.display()));
            replaced += 1;
        } else if line.trim_start().starts_with("client-key-data:") {
            out.push_str(&format!("{indent}client-key: {}\n", key.display()));
            replaced += 1;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert_eq!(replaced, 2, "admin.conf has embedded client data");
    write_file(&path, out.as_bytes(), 0o600);
    (cert_pem, key_pem)
}

fn kubeconfig_reference_case(relative: bool) {
    let mut h = Hostile::kubeadm();
    let spell = |name: &str| {
        if relative {
            h.canary_relative_from("etc/kubernetes", name)
        } else {
            h.canary_at(name)
        }
    };
    let (cert_ref, key_ref) = (spell("admin.crt"), spell("admin.key"));
    let (cert_pem, key_pem) = admin_conf_with_references(&h, &cert_ref, &key_ref);
    // The certificate outside is a real file (a write would show), the key a tripwire.
    write_file(&h.canary_at("admin.crt"), &cert_pem, 0o644);
    let tripwire = Tripwire::plant(&h.canary_at("admin.key"), key_pem);
    h.seal();
    let exp = Expect {
        names: &["admin.conf"],
        exempt: &["admin.conf"],
        must_commit: true,
        ..Expect::default()
    };
    h.scan(&exp);
    for out in [h.dry_run(&exp), h.renew(&exp)] {
        let reason = out.skip_reason("admin.conf").unwrap_or_else(|| {
            panic!(
                "{}: admin.conf must be reported unrenewable; skipped: {:?}",
                out.op, out.skipped
            )
        });
        assert!(
            reason.contains("admin.conf"),
            "{}: the reason admin.conf is skipped must name the kubeconfig: {reason:?}",
            out.op
        );
    }
    assert!(
        !tripwire.was_read(),
        "a key outside the root was read through a kubeconfig reference"
    );
}

#[test]
fn kubeconfig_reference_climbing_out_of_root_is_reported_unrenewable() {
    kubeconfig_reference_case(true);
}

#[test]
fn kubeconfig_absolute_reference_outside_root_is_reported_unrenewable() {
    kubeconfig_reference_case(false);
}

// ---------------------------------------------------------------------------------------------
// 7. Special files in a PKI directory

/// Scan reports `file` in an entry's problems (an error entry for a certificate; for a key the
/// entry keeps its certificate's status); dry run and renew report it (skipped, or a refusal
/// naming it); all finish in time.
fn special_file_case(
    h: &mut Hostile,
    names: &'static [&'static str],
    exempt: &'static [&'static str],
) {
    let file = names[0];
    h.seal();
    let exp = Expect {
        names,
        exempt,
        ..Expect::default()
    };
    let scan = h.scan(&exp);
    let is_key = file.ends_with(".key");
    assert!(
        scan.entries.iter().any(|e| (is_key || e.status == "error")
            && e.problems.iter().any(|p| p.contains(file))),
        "scan must report an entry naming {file}: {:?}",
        scan.entries
            .iter()
            .filter(|e| e.status != "ok" && e.status != "expired")
            .collect::<Vec<_>>()
    );
    let dry = h.dry_run(&exp);
    h.recover(&exp);
    let pre = snapshot_tree(&h.root);
    let renew = h.renew(&exp);
    for out in [&dry, &renew] {
        if out.is_ok() {
            assert!(
                out.skipped.iter().any(|(_, reason)| reason.contains(file)),
                "{}: {file} must be reported, skipped: {:?}",
                out.op,
                out.skipped
            );
        }
    }
    if let (true, Some(manifest)) = (renew.changed, &renew.manifest) {
        h.rollback(manifest, &pre, &exp);
    }
}

#[test]
fn fifo_named_like_a_certificate_does_not_hang() {
    let mut h = Hostile::kubeadm();
    let fifo = h.at("etc/kubernetes/pki/zz.crt");
    mkfifo(&fifo);
    h.poke_on_hang(fifo);
    special_file_case(&mut h, &["zz.crt"], &[]);
}

#[test]
fn fifo_in_place_of_a_key_does_not_hang() {
    let mut h = Hostile::kubeadm();
    let fifo = h.at("etc/kubernetes/pki/front-proxy-client.key");
    fs::remove_file(&fifo).expect("rm");
    mkfifo(&fifo);
    h.poke_on_hang(fifo);
    special_file_case(&mut h, &["front-proxy-client.key"], &["front-proxy-client"]);
}

#[test]
fn device_node_named_like_a_certificate_is_reported() {
    let mut h = Hostile::kubeadm();
    // The same device as /dev/null.
    mknod_char(&h.at("etc/kubernetes/pki/dev.crt"), 1, 3);
    special_file_case(&mut h, &["dev.crt"], &[]);
}

#[test]
fn unix_socket_named_like_a_certificate_is_reported() {
    let mut h = Hostile::kubeadm();
    let socket = h.at("etc/kubernetes/pki/sock.pem");
    let listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
    drop(listener);
    special_file_case(&mut h, &["sock.pem"], &[]);
}

#[test]
fn sparse_1gib_certificate_is_refused_without_reading_it_all() {
    let mut h = Hostile::kubeadm();
    let big = fs::File::create(h.at("etc/kubernetes/pki/big.crt")).expect("create");
    big.set_len(1 << 30).expect("set_len");
    drop(big);
    reset_peak_rss();
    let base = peak_rss_kib();
    special_file_case(&mut h, &["big.crt"], &[]);
    let grown_mib = (peak_rss_kib().saturating_sub(base)) / 1024;
    assert!(
        grown_mib < 200,
        "scan, dry run and renew of a tree with a 1 GiB sparse big.crt raised peak memory by \
         {grown_mib} MiB (limit 200 MiB): the file was read whole"
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Hostile YAML

fn yaml_case(texts: &[(&str, String)]) {
    for (label, text) in texts {
        variant(label);
        let mut h = Hostile::kubeadm();
        write_file(&h.at("etc/kubernetes/admin.conf"), text.as_bytes(), 0o600);
        h.seal();
        // A stack overflow or memory exhaustion aborts the process: run in a child.
        h.isolate(h.root.clone(), false);
        let exp = Expect {
            names: &["admin.conf"],
            exempt: &["admin.conf"],
            ..Expect::default()
        };
        let scan = h.scan(&exp);
        let entry = scan
            .entry("admin.conf")
            .unwrap_or_else(|| panic!("admin.conf missing from the scan"));
        assert!(
            entry.status == "error" && entry.problems.iter().any(|p| p.contains("admin.conf")),
            "admin.conf must be an error entry naming the file: {entry:?}"
        );
        h.dry_run(&exp);
        h.renew(&exp);
    }
}

#[test]
fn yaml_alias_bomb_in_kubeconfig_is_contained() {
    let mut text = String::from("apiVersion: v1\nkind: Config\n");
    text.push_str(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let refs = vec![format!("*{}", pair[0]); 9].join(",");
        text.push_str(&format!("{}: &{} [{refs}]\n", pair[1], pair[1]));
    }
    text.push_str(
        "users:\n- name: kubernetes-admin\n  user:\n    client-certificate-data: *i\n    \
         client-key-data: *i\n",
    );
    text.push_str("current-context: x\ncontexts: *i\nclusters: *i\n");
    yaml_case(&[("alias bomb", text)]);
}

#[test]
fn deeply_nested_yaml_in_kubeconfig_does_not_overflow_the_stack() {
    let depth = 100_000;
    let header = "apiVersion: v1\nkind: Config\nusers: ";
    let flow_seq = format!("{header}{}\n", "[".repeat(depth));
    let flow_map = format!("{header}{}\n", "{a: ".repeat(depth));
    let block_seq = format!(
        "apiVersion: v1\nkind: Config\nusers:\n{}x\n",
        "- ".repeat(depth)
    );
    yaml_case(&[
        ("100k nested flow sequences", flow_seq),
        ("100k nested flow mappings", flow_map),
        ("100k nested block sequences", block_seq),
    ]);
}

// ---------------------------------------------------------------------------------------------
// 9. Two renewals at once

#[test]
fn two_renewals_racing_on_one_root_commit_one_at_a_time() {
    let mut h = Hostile::kubeadm();
    h.seal();
    for round in 0..3 {
        variant(format!("round {round}"));
        let root = h.root.clone();
        let (a, b) = bounded("two racing renewals", &[], move || {
            let barrier = Arc::new(Barrier::new(2));
            let spawn = |root: PathBuf, barrier: Arc<Barrier>| {
                std::thread::Builder::new()
                    .stack_size(8 << 20)
                    .spawn(move || {
                        barrier.wait();
                        perform(&root, &Op::renew())
                    })
                    .expect("spawn")
            };
            let one = spawn(root.clone(), barrier.clone());
            let two = spawn(root, barrier);
            (one.join(), two.join())
        })
        .expect("the racing pair");
        let outcomes: Vec<Outcome> = [a, b]
            .into_iter()
            .map(|r| r.unwrap_or_else(|_| panic!("round {round}: a racing renewal panicked")))
            .collect();
        for out in &outcomes {
            if let Some(e) = &out.error {
                assert!(
                    out.error_kind.as_deref() == Some("locked") && e.contains("renew.lock"),
                    "round {round}: the other renewal must get a Locked error naming \
                     renew.lock, or run after the first; it failed with: {e}"
                );
            }
        }
        assert!(
            outcomes.iter().any(|o| o.is_ok() && o.changed),
            "round {round}: neither racing renewal committed: {outcomes:?}"
        );
        h.assert_outside_intact("two racing renewals");
        h.assert_no_setid("two racing renewals");
        h.assert_no_leftovers("two racing renewals");
        assert!(
            !h.at("var/lib/kcert/journal.json").exists(),
            "round {round}: a journal was left behind"
        );
        // The tree is consistent: every renewable leaf verifies against its CA and its key.
        let scan = h.scan(&Expect::default());
        for name in &h.clean.renewable {
            let e = scan.entry(name).expect("entry");
            assert!(
                e.status == "ok" && e.key_matches == Some(true) && e.chain_verifies == Some(true),
                "round {round}: {name} inconsistent after racing renewals: {e:?}"
            );
        }
        let pki = h.at("etc/kubernetes/pki");
        for (ca, leaf) in [
            ("ca.crt", "apiserver.crt"),
            ("front-proxy-ca.crt", "front-proxy-client.crt"),
            ("etcd/ca.crt", "etcd/server.crt"),
        ] {
            openssl_verify(&pki.join(ca), &pki.join(leaf))
                .unwrap_or_else(|e| panic!("round {round}: openssl verify {leaf}: {e}"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 10. Modes and owners

#[test]
fn rotated_key_keeps_its_mode_and_group() {
    let mut h = Hostile::kubeadm();
    let key = h.at("etc/kubernetes/pki/apiserver.key");
    chmod(&key, 0o640);
    chown(&key, 0, NOBODY);
    let old = fs::read(&key).expect("key");
    h.seal();
    let pre = snapshot_tree(&h.root);
    let out = h.renew_with(
        RenewSpec {
            rotate_keys: true,
            ..RenewSpec::default()
        },
        &Expect {
            must_commit: true,
            ..Expect::default()
        },
    );
    let meta = fs::metadata(&key).expect("key");
    assert_ne!(fs::read(&key).expect("key"), old, "the key was rotated");
    assert_eq!(
        (meta.mode() & 0o7777, meta.uid(), meta.gid()),
        (0o640, 0, NOBODY),
        "a rotated key keeps its original's mode 0640 and owner root:nobody"
    );
    h.rollback(&out.manifest.expect("manifest"), &pre, &Expect::default());
}

#[test]
fn no_written_file_is_more_permissive_than_the_one_it_replaces() {
    let mut h = Hostile::kubeadm();
    let pki = "etc/kubernetes/pki";
    chmod(&h.at(&format!("{pki}/apiserver.crt")), 0o600);
    chmod(&h.at(&format!("{pki}/etcd/server.key")), 0o400);
    for rel in [
        format!("{pki}/front-proxy-client.crt"),
        "etc/kubernetes/admin.conf".to_string(),
    ] {
        chmod(&h.at(&rel), 0o640);
        chown(&h.at(&rel), 0, NOBODY);
    }
    let link = h.at("var/lib/kubelet/pki/kubelet-client-current.pem");
    let dated = resolve_inside(&h.root, &link);
    chmod(&dated, 0o640);
    chown(&dated, 0, NOBODY);
    h.seal();
    // The generic judge checks every changed file: no new mode bit, same owner and group.
    let commit = Expect {
        must_commit: true,
        ..Expect::default()
    };
    for rotate_keys in [false, true] {
        variant(format!("rotate_keys {rotate_keys}"));
        let pre = snapshot_tree(&h.root);
        let out = h.renew_with(
            RenewSpec {
                rotate_keys,
                ..RenewSpec::default()
            },
            &commit,
        );
        h.rollback(&out.manifest.expect("manifest"), &pre, &commit);
    }
}
