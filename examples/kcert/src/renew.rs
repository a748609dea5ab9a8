//! `kcert renew`: renew a node's certificates as one transaction, then judge what is left.
//!
//! Exit 0 when everything asked for that could be renewed is, and nothing left behind is
//! expired, not yet valid, expiring within the window, unreadable or required-but-missing; 1
//! with the list otherwise; 2 on error (nothing found, a failed renewal: every original
//! restored). Skips that need nobody (an optional file this version of the distribution does
//! not have) do not count. kubelet's self-signed serving pair is renewed like the rest (a new
//! throwaway CA, as kubelet makes it), and so are users' kubeconfig copies of the node's
//! credentials (`--no-copies` leaves them); `--add-san` extends a serving certificate's SANs.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use kcertlib::inventory::{Inventory, ScanOptions, scan};
use kcertlib::renew::{RenewOptions, RenewReport, renew};
use kcertlib::{AltNames, NotBefore, Threads};

use crate::attention::{
    Attention, describe as describe_attention, needs_person, require_something,
};
use crate::exit::{EXIT_ATTENTION, EXIT_OK, Failure, emit, warn};
use crate::output::{Format, render};
use crate::values;

/// `kcert renew` options.
#[derive(Debug, Args)]
pub struct RenewArgs {
    /// The node's root directory: `/`, or a mounted disk or copy of one.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Renew only these entries (names as `kcert check` lists them).
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Renew only what expires within this window (expired included), e.g. 30d.
    #[arg(long, value_name = "DUR", value_parser = values::duration)]
    pub expiring_within: Option<Duration>,
    /// Lifetime of the new certificates, in days (1 to 365000).
    #[arg(long, value_name = "N", value_parser = values::days)]
    pub days: Option<Duration>,
    /// notBefore of the new certificates: this long before now (e.g. 1h), `ca` for the CA's
    /// notBefore, `keep` for the certificate's own, or an RFC 3339 time.
    #[arg(long, value_name = "DUR|ca|keep|TIME", value_parser = values::backdate)]
    pub backdate: Option<NotBefore>,
    /// Give each renewed leaf a new key of the same algorithm.
    #[arg(long)]
    pub rotate_keys: bool,
    /// Add subject alternative names to what is renewed, e.g. DNS:lb.example.com,IP:10.0.0.10
    /// (names already there are not repeated; nothing else changes). Serving certificates
    /// only: name them with --only (e.g. --only apiserver).
    #[arg(long = "add-san", value_name = "SAN,...", value_parser = alt_names)]
    pub add_san: Vec<AltNames>,
    /// Leave users' copies of the node's credentials alone (kubeconfigs in ROOT/root/.kube and
    /// ROOT/home/*/.kube, and RKE1's kube_config_<cluster>.yml beside the cluster state, whose
    /// client certificate has the key of a renewed one; by default they are renewed with it).
    #[arg(long)]
    pub no_copies: bool,
    /// RKE1's cluster state (the cluster.rkestate beside cluster.yml, where `rke up` runs; it
    /// must be under --root): the node's renewed certificates are renewed in it too, so a later
    /// `rke up` does not deploy the old ones again, and so is kube-admin, which lives only
    /// there, with the kubeconfigs that embed it (the state's config and kube_config_<cluster>.yml
    /// beside it). Default: looked for in ROOT/root, ROOT/home/*, their rke/ directories,
    /// ROOT/opt/rke and ROOT/etc/rke.
    #[arg(long, value_name = "FILE")]
    pub rke_state: Option<PathBuf>,
    /// Renew CAs too (same key and subject), refreshing every copy and re-signing their leaves.
    #[arg(long)]
    pub include_ca: bool,
    /// Plan and sign in memory, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where the originals are backed up (absent or empty; default
    /// ROOT/var/lib/kcert/backups/TIMESTAMP).
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// What is left behind expiring within this window needs a person (exit 1). Default: the
    /// --expiring-within window, else 30d.
    #[arg(long, value_name = "DUR", value_parser = values::duration)]
    pub warn_within: Option<Duration>,
    /// Threads that check and sign (0: one per core).
    #[arg(long, value_name = "N", default_value = "0", value_parser = values::threads)]
    pub threads: Threads,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: Format,
    /// Same as `-o json` (kept for scripts written before `-o`).
    #[arg(long, hide = true)]
    pub json: bool,
}

pub fn run(args: &RenewArgs, quiet: bool) -> Result<i32, Failure> {
    let window = args
        .warn_within
        .or(args.expiring_within)
        .unwrap_or(kcertlib::defaults::WARN_WITHIN);
    let scan_options = ScanOptions::default()
        .with_warn_within(window)
        .with_threads(args.threads);
    let root = &args.root;
    let before = crate::progress::spin(quiet, &format!("scanning {}", root.display()), || {
        scan(root, &scan_options)
    })?;
    require_something(&before, root)?;
    let options = options(args, window);
    let verb = if args.dry_run { "planning" } else { "renewing" };
    let report = crate::progress::spin(quiet, &format!("{verb} {}", root.display()), || {
        renew(root, &options)
    })?;
    // What is left: a dry run judges the tree as it is, less what it would renew; a real run
    // judges the tree as it is now.
    let (after, fixed): (Inventory, BTreeSet<String>) = if args.dry_run {
        (
            before,
            report.renewed.iter().map(|r| r.name.clone()).collect(),
        )
    } else {
        (scan(root, &scan_options)?, BTreeSet::new())
    };
    let attention = in_scope(needs_person(&after, &fixed), &after, &args.only);
    let format = if args.json { Format::Json } else { args.output };
    emit(&render(format, &json(&report, &attention), || {
        table(
            &report,
            &attention,
            args.backup_dir.is_some().then_some(root),
        )
    }));
    if attention.is_empty() {
        return Ok(EXIT_OK);
    }
    warn(&describe_attention(&attention));
    Ok(EXIT_ATTENTION)
}

fn options(args: &RenewArgs, window: Duration) -> RenewOptions {
    let mut options = RenewOptions::default()
        .with_only(args.only.iter().map(|s| s.trim()).filter(|s| !s.is_empty()))
        .with_rotate_keys(args.rotate_keys)
        .with_include_ca(args.include_ca)
        .with_dry_run(args.dry_run)
        .with_warn_within(window)
        .with_threads(args.threads)
        .with_user_kubeconfigs(!args.no_copies);
    if let Some(within) = args.expiring_within {
        options = options.with_expiring_within(within);
    }
    if let Some(dir) = &args.backup_dir {
        options = options.with_backup_dir(dir);
    }
    if let Some(state) = &args.rke_state {
        // A relative path is the user's, from the working directory (the core would take it
        // from the root).
        options =
            options.with_rke_state(std::path::absolute(state).unwrap_or_else(|_| state.clone()));
    }
    if let Some(lifetime) = args.days {
        options.validity.lifetime = lifetime;
    }
    if let Some(not_before) = args.backdate {
        options.validity.not_before = not_before;
    }
    for names in &args.add_san {
        options.add_sans = options.add_sans.merged(names);
    }
    options
}

/// `--add-san`: `DNS:name,IP:address,...`.
fn alt_names(text: &str) -> Result<AltNames, String> {
    AltNames::parse(text).map_err(|e| e.message().to_string())
}

/// With `--only`, what was not asked for is not this run's business: only the named entries
/// (and the copies renewed with them) are judged.
fn in_scope(list: Vec<Attention>, inventory: &Inventory, only: &[String]) -> Vec<Attention> {
    if only.is_empty() {
        return list;
    }
    let named = |name: &str| only.iter().any(|o| o.trim() == name);
    list.into_iter()
        .filter(|a| {
            named(&a.name)
                || inventory
                    .get(&a.name)
                    .and_then(|e| e.copy_of.as_deref())
                    .is_some_and(named)
        })
        .collect()
}

/// The core's report with the list of what still needs a person.
fn json(report: &RenewReport, attention: &[Attention]) -> String {
    let mut value: serde_json::Value =
        serde_json::from_str(&report.to_json()).unwrap_or_else(|_| serde_json::json!({}));
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "needsAttention".into(),
            attention.iter().map(Attention::to_json).collect(),
        );
    }
    // A `Value` of strings, numbers and lists always serializes.
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// `root`: set when the backups went to --backup-dir, so the undo hint names the tree too.
fn table(report: &RenewReport, attention: &[Attention], root: Option<&PathBuf>) -> String {
    let mut out = describe(report);
    if let (Some(root), Some(manifest)) = (root, &report.manifest) {
        out.push_str(&format!(
            "(the backups are outside the tree: kcert rollback {} --root {})\n",
            manifest.display(),
            root.display()
        ));
    }
    if !attention.is_empty() {
        out.push_str("\nstill needs a person:\n");
        for a in attention {
            out.push_str(&format!("  {:<28} {}\n", a.name, a.reason));
        }
    }
    out
}

/// The report for a person: renewed, skipped, warnings, backup manifest, restarts.
pub fn describe(report: &RenewReport) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let verb = if report.dry_run {
        "would renew"
    } else {
        "renewed"
    };
    for r in &report.renewed {
        let _ = writeln!(
            o,
            "{verb} {:<28} notAfter {} -> {}  serial {} -> {}{}",
            r.name,
            r.old_not_after,
            r.new_not_after,
            r.old_serial,
            r.new_serial,
            if r.key_rotated { "  (new key)" } else { "" }
        );
    }
    for s in &report.skipped {
        let _ = writeln!(o, "not renewed {:<24} {}", s.name, s.reason);
    }
    for w in &report.warnings {
        let _ = writeln!(o, "warning: {w}");
    }
    if let Some(m) = &report.manifest {
        let _ = writeln!(
            o,
            "backup manifest: {} (undo with: kcert rollback {})",
            m.display(),
            m.display()
        );
    }
    if !report.restart.is_empty() {
        let _ = writeln!(
            o,
            "restart to pick up the new certificates: {}",
            report.restart.join(", ")
        );
    }
    if report.renewed.is_empty() && report.skipped.is_empty() {
        let _ = writeln!(o, "nothing to renew");
    }
    o
}
