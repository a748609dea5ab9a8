//! Renewing a node's certificates as one transaction.
//!
//! `plan` scans the root and decides what to renew (every leaf, the entries named in `only`, or
//! those expiring within a duration), with preflight checks: the certificate and its key are
//! readable and match, the CA key is on this node and matches the CA, the CA is valid. Whatever
//! cannot be renewed is listed in `skipped` with the reason. `renew` then re-signs each planned
//! entry faithfully (`resign`: subject, SANs, key usages and every other extension unchanged;
//! the key kept unless `rotate_keys`), writes every place the certificate lives (PEM files with
//! their chains, kubeconfig base64 values edited in place, kubelet's pem as a new dated file
//! behind an atomic symlink swap, copies of it elsewhere), verifies each staged file, and
//! commits through `txn`: all files change, or none. `rollback` undoes a renewal from its
//! manifest.
//!
//! At the edges of a node: kubelet's self-signed serving pair (`kubelet.crt`, whose CA key
//! kubelet never kept) gets a new throwaway CA, as kubelet makes one (`kubelet_serving`); users'
//! kubeconfig copies of the node's credentials in `root/.kube` and `home/*/.kube` are renewed
//! with the certificate they copy (`kube_copies`, `user_kubeconfigs`); `add_sans` extends the
//! subjectAltName of the serving certificates renewed, refusing CAs and clients.
//!
//! CAs are renewed only with `include_ca`: re-signed with their own key and subject, so the
//! certificates and tokens they signed stay valid, every copy refreshed (CA files, chains,
//! kubeconfig `certificate-authority-data`), and every leaf they signed re-signed against the
//! new CA certificate. A CA keeps at least its original lifetime (kubeadm's ten years), longer
//! when `validity.lifetime` asks for more.

mod check;
mod edits;
mod files;
mod kube_copies;
mod kube_text;
mod kubelet_serving;
mod pem_text;
mod rke_states;
mod select;
mod sign;
pub(crate) mod source;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use crate::error::Result;
use crate::extensions::AltNames;
use crate::fsx::{Follow, RootDir};
use crate::inventory::EntryKind;
use crate::parallel::Threads;
use crate::time::{Timestamp, short_human_duration};
pub use crate::txn::Recovery;
use crate::txn::{self, RootLock, TxnOptions};
use crate::validity::ValidityPolicy;

pub(crate) use check::signed_elsewhere_says_the_same;
pub(crate) use files::load_key;
pub use select::Plan;
use source::Source;

/// What to renew and how.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RenewOptions {
    /// Lifetime and `notBefore` rule of the new certificates (default 365 days, backdated one
    /// hour). `validity.now` pins "now" for the whole run.
    pub validity: ValidityPolicy,
    /// Renew only these entries (inventory names). Empty means every leaf.
    pub only: Vec<String>,
    /// Renew only entries whose `notAfter` falls within this duration from now (expired ones
    /// included).
    pub expiring_within: Option<Duration>,
    /// Give each renewed leaf a new key of the same algorithm (written in the old key's format).
    pub rotate_keys: bool,
    /// Also renew CAs (with their own key), refreshing every copy and re-signing their leaves.
    pub include_ca: bool,
    /// Plan and sign in memory, write nothing.
    pub dry_run: bool,
    /// Where the originals are backed up (must not exist or be empty). Default:
    /// `<root>/var/lib/kcert/backups/<timestamp>`.
    pub backup_dir: Option<PathBuf>,
    /// The warning window of the scan behind the plan (default 30 days).
    pub warn_within: Duration,
    /// Threads that scan and sign (default: one per core). Staged files and backups are
    /// written by a fixed pool of eight, since their cost is fsync latency, not CPU.
    pub threads: Threads,
    /// Names added to the subjectAltName of every renewed certificate (names already there
    /// are not repeated; nothing else changes). Only serving certificates take them: the plan
    /// is refused when it renews a CA or a certificate without serverAuth.
    pub add_sans: AltNames,
    /// Also refresh users' copies of the node's client credentials: kubeconfigs in
    /// `root/.kube/` and `home/*/.kube/` under the root whose embedded client certificate has
    /// the key of a renewed certificate (default on), and RKE1's `kube_config_<cluster>.yml`
    /// beside a cluster state (a copy of the state's kube-admin). They are renewed with it, in
    /// the same transaction, and reported as its copies.
    pub user_kubeconfigs: bool,
    /// RKE1's cluster state file (`cluster.rkestate`, beside `cluster.yml` where `rke up`
    /// runs): the certificates of this node renewed are renewed in it too, in the same
    /// transaction, so a later `rke up` does not deploy the old ones again. Its `kube-admin`,
    /// which lives only there, is an entry of its own (`<state>:kube-admin`, signed by the
    /// node's kube-ca), and every kubeconfig the state keeps (`config`) follows the
    /// certificates it embeds. A path under the root (absolute, or relative to the root).
    /// `None`: looked for under the root on an RKE1 node (`root/`, `home/*/`, their `rke/`,
    /// `opt/rke/`, `etc/rke/`); when none holds the renewed certificates the report warns.
    pub rke_state: Option<PathBuf>,
    /// Test hooks (only with the `test-hooks` feature; see `crate::testing`).
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub hooks: crate::testing::TestHooks,
}

impl Default for RenewOptions {
    fn default() -> Self {
        RenewOptions {
            validity: ValidityPolicy::default(),
            only: Vec::new(),
            expiring_within: None,
            rotate_keys: false,
            include_ca: false,
            dry_run: false,
            backup_dir: None,
            warn_within: crate::defaults::WARN_WITHIN,
            threads: Threads::AllCores,
            add_sans: AltNames::default(),
            user_kubeconfigs: true,
            rke_state: None,
            #[cfg(feature = "test-hooks")]
            hooks: crate::testing::TestHooks::default(),
        }
    }
}

impl RenewOptions {
    /// The same options with this validity policy for the new certificates.
    pub fn with_validity(mut self, validity: ValidityPolicy) -> RenewOptions {
        self.validity = validity;
        self
    }

    /// The same options renewing only these entries (inventory names).
    pub fn with_only<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> RenewOptions {
        self.only = names.into_iter().map(Into::into).collect();
        self
    }

    /// The same options renewing only what expires within `window` (expired included).
    pub fn with_expiring_within(mut self, window: Duration) -> RenewOptions {
        self.expiring_within = Some(window);
        self
    }

    /// The same options giving each renewed leaf a new key (or not).
    pub fn with_rotate_keys(mut self, rotate: bool) -> RenewOptions {
        self.rotate_keys = rotate;
        self
    }

    /// The same options renewing CAs too (or not).
    pub fn with_include_ca(mut self, include: bool) -> RenewOptions {
        self.include_ca = include;
        self
    }

    /// The same options planning and signing in memory only (or not).
    pub fn with_dry_run(mut self, dry_run: bool) -> RenewOptions {
        self.dry_run = dry_run;
        self
    }

    /// The same options backing the originals up into `dir` (absent or empty).
    pub fn with_backup_dir(mut self, dir: impl Into<PathBuf>) -> RenewOptions {
        self.backup_dir = Some(dir.into());
        self
    }

    /// The same options with this warning window for the scan behind the plan.
    pub fn with_warn_within(mut self, warn_within: Duration) -> RenewOptions {
        self.warn_within = warn_within;
        self
    }

    /// The same options with this many threads.
    pub fn with_threads(mut self, threads: Threads) -> RenewOptions {
        self.threads = threads;
        self
    }

    /// The same options adding these names to the subjectAltName of what is renewed (see
    /// `add_sans`; `AltNames::parse` reads `DNS:lb.example.com,IP:10.0.0.10`).
    pub fn with_add_sans(mut self, names: AltNames) -> RenewOptions {
        self.add_sans = names;
        self
    }

    /// The same options refreshing users' kubeconfig copies of the node's credentials (or not;
    /// see `user_kubeconfigs`).
    pub fn with_user_kubeconfigs(mut self, refresh: bool) -> RenewOptions {
        self.user_kubeconfigs = refresh;
        self
    }

    /// The same options renewing the node's certificates in this RKE1 cluster state file too
    /// (see `rke_state`).
    pub fn with_rke_state(mut self, state: impl Into<PathBuf>) -> RenewOptions {
        self.rke_state = Some(state.into());
        self
    }
}

/// One entry the plan renews.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Action {
    /// The inventory name.
    pub name: String,
    /// Leaf or CA.
    pub kind: EntryKind,
    /// Why it is renewed (`expired 2025-01-01T00:00:00Z`, `named`, `its CA ca is renewed`).
    pub reason: String,
    /// The CA that signs it (`None` for a CA).
    pub ca_name: Option<String>,
    /// Entries holding a copy of the same certificate, refreshed with it.
    pub copies: Vec<String>,
    /// The files that will change (certificate, key when rotated, copies).
    pub paths: Vec<PathBuf>,
    /// The current `notAfter`.
    pub not_after: Timestamp,
    /// Whether the key is rotated.
    pub rotate_key: bool,
    /// Components to restart afterwards.
    pub restart: Vec<String>,
}

/// An entry left alone, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skipped {
    /// The inventory name.
    pub name: String,
    /// Why, naming the file or CA concerned.
    pub reason: String,
}

/// One certificate renewed (or, in a dry run, that would be).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Renewed {
    /// The inventory name.
    pub name: String,
    /// The files written for it.
    pub paths: Vec<PathBuf>,
    /// Serial before, lower-case hex.
    pub old_serial: String,
    /// Serial after, lower-case hex.
    pub new_serial: String,
    /// `notBefore` before.
    pub old_not_before: Timestamp,
    /// `notAfter` before.
    pub old_not_after: Timestamp,
    /// `notBefore` after.
    pub new_not_before: Timestamp,
    /// `notAfter` after.
    pub new_not_after: Timestamp,
    /// Whether a new key was written.
    pub key_rotated: bool,
}

/// What `renew` did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RenewReport {
    /// Nothing was written because the options asked for a dry run.
    pub dry_run: bool,
    /// Files were changed.
    pub changed: bool,
    /// Every certificate renewed (in a dry run: that would be, with the values it would get).
    pub renewed: Vec<Renewed>,
    /// Entries left alone, with reasons.
    pub skipped: Vec<Skipped>,
    /// The backup copies written.
    pub backups: Vec<PathBuf>,
    /// The manifest to pass to `rollback`.
    pub manifest: Option<PathBuf>,
    /// Components to restart (the union of the renewed entries' hints).
    pub restart: Vec<String>,
    /// Things to know: validity clamped to a CA, an interrupted renewal rolled back first, ...
    pub warnings: Vec<String>,
}

/// What `rollback` restored.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RollbackReport {
    /// Paths put back (or removed, when the renewal had created them).
    pub restored: Vec<PathBuf>,
    /// The rollback's own manifest (a rollback is a transaction too, and can be undone).
    pub manifest: Option<PathBuf>,
    /// Things to know (files changed since the renewal and overwritten, an interrupted
    /// renewal rolled back first).
    pub warnings: Vec<String>,
}

/// Scans `root` and decides what a renewal with `options` would do. Writes nothing.
///
/// # Errors
/// As `inventory::scan` for an unusable root; `InvalidArgument` when `only` names an entry the
/// inventory does not have.
pub fn plan(root: &Path, options: &RenewOptions) -> Result<Plan> {
    plan_from(root, options, &Source::Local)
}

/// `plan`, for an export or an install (`source`).
pub(crate) fn plan_from(root: &Path, options: &RenewOptions, source: &Source<'_>) -> Result<Plan> {
    select::plan(&RootDir::open(root)?, options, source)
}

/// Renews an expired node and rolls the renewal back, always under an explicit root (here a
/// generated kubeadm tree in a temporary directory, never the host's `/`):
///
/// ```
/// use kcertlib::fixture::{self, FixtureLayout, FixtureOptions};
/// use kcertlib::renew::{RenewOptions, recover, renew, rollback};
/// use kcertlib::{EntryStatus, KeyAlgorithm, ScanOptions, scan};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let root = dir.path();
/// let options = FixtureOptions::default().with_leaf_key(KeyAlgorithm::P256);
/// fixture::build(root, FixtureLayout::Kubeadm, &options)?; // an expired kubeadm node
/// assert!(scan(root, &ScanOptions::default())?.any_expired());
///
/// let report = renew(root, &RenewOptions::default())?;
/// assert!(!report.renewed.is_empty());
/// let status = |name: &str| {
///     scan(root, &ScanOptions::default()).map(|i| i.get(name).map(|e| e.status))
/// };
/// assert_eq!(status("apiserver")?, Some(EntryStatus::Ok));
/// assert!(recover(root)?.is_none(), "nothing was interrupted");
///
/// let manifest = report.manifest.ok_or("a real run writes a manifest")?;
/// let undone = rollback(&manifest)?;
/// assert!(!undone.restored.is_empty());
/// assert_eq!(status("apiserver")?, Some(EntryStatus::Expired));
/// # Ok(())
/// # }
/// ```
///
/// Renews what `plan` selects, as one transaction (or only plans and signs, for a dry run).
///
/// A real run takes the root's lock before it scans and holds it until the transaction
/// commits, after rolling back an interrupted earlier renewal: the plan is made from the tree
/// as it is, and nothing else of kcert's writes to it meanwhile. A dry run writes nothing, so
/// it takes no lock (it reports an interrupted renewal it finds instead).
///
/// # Errors
/// As `plan`; `Crypto`/`Validity` when signing fails (nothing written); `Locked` when another
/// renewal holds the root; `Untrusted` when kcert's state directory, lock or journal in the
/// tree is not its own; `Conflict` when a file changed between the scan and the commit;
/// `Transaction` when writing fails (every original is restored; the error names the step).
pub fn renew(root: &Path, options: &RenewOptions) -> Result<RenewReport> {
    renew_from(root, options, &Source::Local)
}

/// `renew`, with the new certificates signed here or (an install) provided.
pub(crate) fn renew_from(
    root: &Path,
    options: &RenewOptions,
    source: &Source<'_>,
) -> Result<RenewReport> {
    if options.dry_run {
        let dir = RootDir::open(root)?;
        let plan = plan_warming_signer(&dir, options, source)?;
        let mut report = plan_and_sign(&plan, options, None)?.0;
        let journal = dir.path().join(txn::STATE_DIR).join(txn::JOURNAL_FILE);
        if dir
            .resolve(&journal, Follow::NotLast)
            .and_then(|p| p.lstat())
            .is_ok_and(|s| s.is_some())
        {
            report.warnings.push(format!(
                "an interrupted renewal left {}; a real run rolls it back first (or run kcert recover)",
                journal.display()
            ));
        }
        return Ok(report);
    }
    let lock = RootLock::acquire(root)?;
    let recovered = txn::recover_locked(&lock)?;
    // The plan outlives the transaction: the staged-file checks borrow its old certificates.
    let plan = plan_warming_signer(lock.root(), options, source)?;
    let (mut report, written) = plan_and_sign(&plan, options, recovered.as_ref())?;
    let Some(written) = written else {
        return Ok(report);
    };
    let now = plan.now;
    let txn_options = TxnOptions {
        backup_dir: options.backup_dir.clone(),
        #[cfg(feature = "test-hooks")]
        hooks: options.hooks.clone(),
    };
    let outcome = txn::apply(
        &lock,
        &written.changes,
        &written.guards,
        &txn_options,
        |staged| check::staged(staged, &written.checks, now),
    )?;
    report.changed = true;
    report.backups = outcome.backups;
    report.manifest = Some(outcome.manifest);
    Ok(report)
}

/// `select::plan`, with the signer warmed up on a second thread meanwhile when the options allow
/// more than one: the one-time seeding of AWS-LC's random number generator (`signer::warm_up`)
/// then overlaps the scan's file reads instead of delaying the first signature.
fn plan_warming_signer(
    root: &RootDir,
    options: &RenewOptions,
    source: &Source<'_>,
) -> Result<Plan> {
    if options.threads.count() < 2 || !matches!(source, Source::Local) {
        return select::plan(root, options, source);
    }
    std::thread::scope(|scope| {
        scope.spawn(crate::signer::warm_up);
        select::plan(root, options, source)
    })
}

/// The plan, signed, as a report and (unless nothing is to be renewed or it is a dry run) the
/// files to write. The signed certificates themselves are dropped here: what is written holds
/// them, and the checks keep their hashes.
fn plan_and_sign<'p>(
    plan: &'p Plan,
    options: &RenewOptions,
    recovered: Option<&txn::Recovery>,
) -> Result<(RenewReport, Option<edits::Written<'p>>)> {
    let mut report = RenewReport {
        dry_run: options.dry_run,
        changed: false,
        renewed: Vec::new(),
        skipped: plan.skipped.clone(),
        backups: Vec::new(),
        manifest: None,
        restart: Vec::new(),
        warnings: plan.warnings.clone(),
    };
    if let Some(recovered) = recovered {
        report.warnings.push(format!(
            "an interrupted renewal (manifest {}) was rolled back first: {} files restored",
            recovered.manifest.display(),
            recovered.restored.len()
        ));
        report.warnings.extend(recovered.conflicts.iter().cloned());
    }
    if plan.actions.is_empty() {
        return Ok((report, None));
    }
    let mut signed = sign::sign_all(plan, options.threads)?;
    for s in &signed {
        for clamp in &s.clamps {
            report.warnings.push(format!("{}: {clamp}", s.action.name));
        }
    }
    let written = edits::build(plan, &mut signed)?;
    report.renewed = sign::renewed(&signed, &written.paths_by_entry);
    report.restart = plan.restart.clone();
    if options.dry_run {
        return Ok((report, None));
    }
    Ok((report, Some(written)))
}

/// Finds a renewal of `root` that was interrupted (killed, power lost) and rolls it back, as the
/// next `renew` would before anything else; `Ok(None)` when there is none. Takes the root's lock.
///
/// # Errors
/// `Locked` when a renewal runs; `Untrusted` when the journal in the tree is not kcert's own;
/// `Transaction` when it is malformed or points outside the root, or a file cannot be put back
/// (the journal then stays, and the next run tries again).
pub fn recover(root: &Path) -> Result<Option<Recovery>> {
    txn::recover(root)
}

/// Restores the files a renewal replaced, from its manifest, as one transaction (all files or
/// none; the files it replaces are backed up in turn). The manifest must be in its default
/// place, `<root>/var/lib/kcert/backups/<stamp>/`; for a renewal made with `backup_dir`, use
/// `rollback_in` and name the root.
///
/// # Errors
/// As `txn::rollback`: the manifest unreadable or not kcert's own, another root's, a file
/// changed since the renewal (`Conflict`, nothing restored), `Locked`.
pub fn rollback(manifest: &Path) -> Result<RollbackReport> {
    rollback_report(txn::rollback(manifest, None)?)
}

/// `rollback` of a manifest anywhere (a renewal's explicit `backup_dir`), for the renewal of
/// `root`; the manifest must name that root.
///
/// # Errors
/// As `rollback`.
pub fn rollback_in(root: &Path, manifest: &Path) -> Result<RollbackReport> {
    rollback_report(txn::rollback(manifest, Some(root))?)
}

fn rollback_report(rolled: txn::Rollback) -> Result<RollbackReport> {
    let mut warnings = Vec::new();
    if let Some(recovered) = &rolled.recovered {
        warnings.push(format!(
            "an interrupted renewal (manifest {}) was rolled back first",
            recovered.manifest.display()
        ));
    }
    Ok(RollbackReport {
        restored: rolled.restored,
        manifest: rolled.rollback_manifest,
        warnings,
    })
}

impl RenewReport {
    /// The report as pretty JSON (camelCase keys, times RFC 3339).
    pub fn to_json(&self) -> String {
        let renewed: Vec<_> = self.renewed.iter().map(Renewed::json_value).collect();
        let value = json!({
            "dryRun": self.dry_run,
            "changed": self.changed,
            "renewed": renewed,
            "skipped": skipped_json(&self.skipped),
            "backups": self.backups,
            "manifest": self.manifest,
            "restart": self.restart,
            "warnings": self.warnings,
        });
        pretty(&value)
    }
}

impl RollbackReport {
    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        pretty(&json!({
            "restored": self.restored,
            "manifest": self.manifest,
            "warnings": self.warnings,
        }))
    }
}

impl Plan {
    /// The plan as text, for a dry run: what is renewed and why, what is skipped and why,
    /// warnings, and what to restart.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "renewal plan for {} at {}\n",
            self.root.display(),
            self.now.to_rfc3339()
        );
        if self.actions.is_empty() {
            out.push_str("nothing to renew\n");
        }
        let width = self
            .actions
            .iter()
            .map(|a| a.name.len())
            .chain(self.skipped.iter().map(|s| s.name.len()))
            .max()
            .unwrap_or(0);
        for a in &self.actions {
            let left = self.now.seconds_until(a.not_after);
            let kind = if a.kind == EntryKind::Ca { "CA " } else { "" };
            let key = if a.rotate_key { ", new key" } else { "" };
            out.push_str(&format!(
                "  renew {:width$}  {kind}{} (residual {}){key}\n",
                a.name,
                a.reason,
                short_human_duration(left),
            ));
            for copy in &a.copies {
                out.push_str(&format!("        {:width$}  copy of {}\n", copy, a.name));
            }
        }
        for s in &self.skipped {
            out.push_str(&format!("  skip  {:width$}  {}\n", s.name, s.reason));
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
        if !self.restart.is_empty() {
            out.push_str(&format!(
                "restart afterwards: {}\n",
                self.restart.join(", ")
            ));
        }
        out
    }

    /// The plan as pretty JSON.
    pub fn to_json(&self) -> String {
        let actions: Vec<_> = self
            .actions
            .iter()
            .map(|a| {
                json!({
                    "name": a.name,
                    "kind": if a.kind == EntryKind::Ca { "ca" } else { "leaf" },
                    "reason": a.reason,
                    "caName": a.ca_name,
                    "copies": a.copies,
                    "paths": a.paths,
                    "notAfter": a.not_after.to_rfc3339(),
                    "rotateKey": a.rotate_key,
                    "restart": a.restart,
                })
            })
            .collect();
        pretty(&json!({
            "root": self.root,
            "now": self.now.to_rfc3339(),
            "actions": actions,
            "skipped": skipped_json(&self.skipped),
            "warnings": self.warnings,
            "restart": self.restart,
        }))
    }
}

fn skipped_json(skipped: &[Skipped]) -> Vec<serde_json::Value> {
    skipped.iter().map(Skipped::json_value).collect()
}

impl Renewed {
    /// This item as it appears in `RenewReport::to_json`'s `renewed` list.
    pub fn to_json(&self) -> String {
        pretty(&self.json_value())
    }

    fn json_value(&self) -> serde_json::Value {
        json!({
            "name": self.name,
            "paths": self.paths,
            "oldSerial": self.old_serial,
            "newSerial": self.new_serial,
            "oldNotBefore": self.old_not_before.to_rfc3339(),
            "oldNotAfter": self.old_not_after.to_rfc3339(),
            "newNotBefore": self.new_not_before.to_rfc3339(),
            "newNotAfter": self.new_not_after.to_rfc3339(),
            "keyRotated": self.key_rotated,
        })
    }
}

impl Skipped {
    /// This item as it appears in the reports' `skipped` lists.
    pub fn to_json(&self) -> String {
        pretty(&self.json_value())
    }

    fn json_value(&self) -> serde_json::Value {
        json!({ "name": self.name, "reason": self.reason })
    }
}

fn pretty(value: &serde_json::Value) -> String {
    // A `Value` built from strings, numbers and paths always serializes.
    serde_json::to_string_pretty(value).unwrap_or_default()
}
