//! Helpers of the hostile-tree suite.
//!
//! Every case works in a fresh temporary directory `TMP` laid out as `TMP/root/` (the tree kcert
//! works on, which the attacker wrote) and `TMP/canary/` (what the attack aims at: a root-owned
//! file with known content, an executable, a file owned by nobody, directories, a symlink).
//! `Hostile::seal` snapshots both once the attack is planted; every operation then runs bounded
//! (a worker thread, or a child process where a crash must not take the suite down) and is
//! judged the same way:
//!
//! - outside the root nothing changes: content, mode, owner, inode, mtime, file type, symlink
//!   targets, and no new file anywhere in `TMP` outside `root/`;
//! - no set-uid or set-gid file appears anywhere in `TMP`;
//! - the tree is either untouched (byte-identical to the sealed snapshot, `var/lib/kcert`
//!   aside) or fully renewed (see `Hostile::assert_fully_renewed`), never half-way;
//! - an operation that refuses says which file is at fault (`Expect::names`).
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kcertlib::fixture::{self, FixtureLayout, FixtureOptions};
use kcertlib::inventory::{self, ScanOptions};
use kcertlib::renew::{self, RenewOptions};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// How long one operation may take before it counts as hung.
pub const OP_TIMEOUT: Duration = Duration::from_secs(60);
/// The `nobody` user and group.
pub const NOBODY: u32 = 65534;
/// The stack an operation runs on: that of a program's main thread, as the CLI has.
const OP_STACK: usize = 8 << 20;
/// Linux `O_NONBLOCK` (the same on x86_64 and aarch64).
const O_NONBLOCK: i32 = 0o4000;
/// Files bigger than this are fingerprinted by size, inode and mtime instead of hashed.
const HASH_LIMIT: u64 = 64 << 20;

/// Canary files, relative to `TMP/canary`.
pub const ROOT_OWNED: &str = "root-owned.txt";
pub const ROOT_OWNED_TEXT: &str = "kcert hostile-tree canary: owned by root, known content\n";
pub const TOOL: &str = "tool.sh";
pub const NOBODY_FILE: &str = "nobody.txt";
pub const DIR: &str = "dir";
pub const INNER: &str = "dir/inner.txt";
pub const EMPTY_DIR: &str = "empty";
pub const LINK: &str = "link";

// ---------------------------------------------------------------------------------------------
// Who we are

/// Fails the case unless it runs as root (effective uid 0, read from /proc/self/status).
pub fn require_root() {
    let status = fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|u| u.parse::<u32>().ok());
    assert_eq!(
        euid,
        Some(0),
        "the hostile-tree suite must run as root (it chowns files to nobody and makes device \
         nodes); it refuses to pass by skipping"
    );
}

/// Says which variant of a case runs; libtest shows it with a failing case's output.
pub fn variant(what: impl std::fmt::Display) {
    println!("variant: {what}");
}

// ---------------------------------------------------------------------------------------------
// Snapshots

/// One directory entry as found on disk (never followed, never opened unless a regular file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub kind: &'static str,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// SHA-256 of a regular file, the target of a symlink, the device number of a device.
    pub content: String,
    pub ino: u64,
    pub mtime: (i64, i64),
}

impl Node {
    fn of(path: &Path) -> Node {
        let meta = fs::symlink_metadata(path)
            .unwrap_or_else(|e| panic!("metadata of {}: {e}", path.display()));
        let ft = meta.file_type();
        let (kind, content) = if ft.is_symlink() {
            let target = fs::read_link(path).expect("read_link");
            ("link", target.display().to_string())
        } else if ft.is_dir() {
            ("dir", String::new())
        } else if ft.is_file() {
            ("file", file_digest(path, &meta))
        } else if ft.is_fifo() {
            ("fifo", String::new())
        } else if ft.is_socket() {
            ("socket", String::new())
        } else if ft.is_char_device() {
            ("char-device", format!("rdev={:x}", meta.rdev()))
        } else if ft.is_block_device() {
            ("block-device", format!("rdev={:x}", meta.rdev()))
        } else {
            ("unknown", String::new())
        };
        Node {
            kind,
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            content,
            ino: meta.ino(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
        }
    }

    /// Type, mode, owner and content: what "byte-identical" means for the tree.
    pub fn loose(&self) -> String {
        format!(
            "{} mode={:o} uid={} gid={} {}",
            self.kind, self.mode, self.uid, self.gid, self.content
        )
    }

    /// Also inode and mtime: what "nothing changed" means outside the root.
    pub fn strict(&self) -> String {
        format!(
            "{} ino={} mtime={}.{:09}",
            self.loose(),
            self.ino,
            self.mtime.0,
            self.mtime.1
        )
    }
}

fn file_digest(path: &Path, meta: &fs::Metadata) -> String {
    if meta.len() > HASH_LIMIT {
        return format!(
            "large size={} mtime={}.{}",
            meta.len(),
            meta.mtime(),
            meta.mtime_nsec()
        );
    }
    let mut file = fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = file.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    format!("sha256={}", hex(&hasher.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256_of(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Root-relative path -> node.
pub type Snapshot = BTreeMap<PathBuf, Node>;

fn walk(base: &Path, dir: &Path, skip: &dyn Fn(&Path) -> bool, out: &mut Snapshot) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let rel = path.strip_prefix(base).expect("under base").to_path_buf();
        if skip(&rel) {
            continue;
        }
        let node = Node::of(&path);
        let is_dir = node.kind == "dir";
        out.insert(rel, node);
        if is_dir {
            walk(base, &path, skip, out);
        }
    }
}

/// The tree without kcert's state directory (`var/lib/kcert`, whatever it is).
pub fn snapshot_tree(root: &Path) -> Snapshot {
    let mut out = Snapshot::new();
    walk(
        root,
        root,
        &|rel| rel.starts_with("var/lib/kcert"),
        &mut out,
    );
    out
}

/// The whole tree, state directory included.
pub fn snapshot_tree_all(root: &Path) -> Snapshot {
    let mut out = Snapshot::new();
    walk(root, root, &|_| false, &mut out);
    out
}

/// Everything in `tmp` except the `root/` subtree, `tmp` itself included (as "TMP").
fn snapshot_outside(tmp: &Path) -> Snapshot {
    let mut out = Snapshot::new();
    out.insert(PathBuf::from("TMP"), Node::of(tmp));
    walk(tmp, tmp, &|rel| rel.starts_with("root"), &mut out);
    out
}

/// Differences between two snapshots, one line each (at most 30).
pub fn diff(before: &Snapshot, after: &Snapshot, strict: bool) -> Vec<String> {
    let show = |n: &Node| if strict { n.strict() } else { n.loose() };
    let mut lines = Vec::new();
    for (path, node) in before {
        match after.get(path) {
            None => lines.push(format!("removed {}: was {}", path.display(), show(node))),
            Some(now) if show(now) != show(node) => lines.push(format!(
                "changed {}: {} -> {}",
                path.display(),
                show(node),
                show(now)
            )),
            Some(_) => {}
        }
    }
    for (path, node) in after {
        if !before.contains_key(path) {
            lines.push(format!("new {}: {}", path.display(), show(node)));
        }
    }
    lines.truncate(30);
    lines
}

// ---------------------------------------------------------------------------------------------
// Operations, run bounded

/// Options of a renewal, as a child process can receive them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RenewSpec {
    pub dry_run: bool,
    pub rotate_keys: bool,
    pub backup_dir: Option<PathBuf>,
}

/// One library operation on a root.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Op {
    /// `inventory::scan` (what `kcert check` runs).
    Scan,
    /// `renew::renew`.
    Renew(RenewSpec),
    /// `renew::recover`.
    Recover,
    /// `renew::rollback` of this manifest.
    Rollback(PathBuf),
}

impl Op {
    pub fn renew() -> Op {
        Op::Renew(RenewSpec::default())
    }

    pub fn dry_run() -> Op {
        Op::Renew(RenewSpec {
            dry_run: true,
            ..RenewSpec::default()
        })
    }

    pub fn name(&self) -> String {
        match self {
            Op::Scan => "scan".into(),
            Op::Renew(s) if s.dry_run => "renew --dry-run".into(),
            Op::Renew(s) => {
                let mut n = String::from("renew");
                if s.rotate_keys {
                    n.push_str(" --rotate-keys");
                }
                if let Some(d) = &s.backup_dir {
                    n.push_str(&format!(" --backup-dir {}", d.display()));
                }
                n
            }
            Op::Recover => "recover".into(),
            Op::Rollback(m) => format!("rollback {}", m.display()),
        }
    }
}

/// One entry of a scan, as much as the judges need.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScanLine {
    pub name: String,
    pub status: String,
    pub problems: Vec<String>,
    pub key_matches: Option<bool>,
    pub chain_verifies: Option<bool>,
    pub serial: Option<String>,
    pub leaf: bool,
}

/// What an operation did, the same whether it ran in a thread or a child process.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Outcome {
    pub op: String,
    /// The error's full text (its `source()` chain appended), when it failed.
    pub error: Option<String>,
    pub error_kind: Option<String>,
    pub panicked: bool,
    /// Renew: files written. Recover: a journal was found. Rollback: files restored.
    pub changed: bool,
    pub manifest: Option<PathBuf>,
    pub renewed: Vec<String>,
    pub renewed_paths: Vec<PathBuf>,
    pub skipped: Vec<(String, String)>,
    pub warnings: Vec<String>,
    pub entries: Vec<ScanLine>,
}

impl Outcome {
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }

    pub fn entry(&self, name: &str) -> Option<&ScanLine> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// The reason `name` was skipped, if it was.
    pub fn skip_reason(&self, name: &str) -> Option<&str> {
        self.skipped
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.as_str())
    }

    fn fail(&mut self, e: &kcertlib::Error) {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text.push_str(&format!(" (caused by: {s})"));
            source = s.source();
        }
        self.error = Some(text);
        self.error_kind = Some(e.kind().name().to_string());
    }
}

/// Runs `op` on `root` in the calling thread.
pub fn perform(root: &Path, op: &Op) -> Outcome {
    let mut out = Outcome {
        op: op.name(),
        ..Outcome::default()
    };
    match op {
        Op::Scan => match inventory::scan(root, &ScanOptions::default()) {
            Ok(inv) => {
                out.entries = inv
                    .entries
                    .iter()
                    .map(|e| ScanLine {
                        name: e.name.clone(),
                        status: e.status.name().to_string(),
                        problems: e.problems.clone(),
                        key_matches: e.key_matches,
                        chain_verifies: e.chain_verifies,
                        serial: e.certificate.as_ref().map(|c| c.serial_hex()),
                        leaf: e.is_leaf(),
                    })
                    .collect();
            }
            Err(e) => out.fail(&e),
        },
        Op::Renew(spec) => {
            let mut options = RenewOptions::default()
                .with_dry_run(spec.dry_run)
                .with_rotate_keys(spec.rotate_keys);
            options.backup_dir = spec.backup_dir.clone();
            match renew::renew(root, &options) {
                Ok(r) => {
                    out.changed = r.changed;
                    out.manifest = r.manifest.clone();
                    out.renewed = r.renewed.iter().map(|x| x.name.clone()).collect();
                    out.renewed_paths = r.renewed.iter().flat_map(|x| x.paths.clone()).collect();
                    out.skipped = r
                        .skipped
                        .iter()
                        .map(|s| (s.name.clone(), s.reason.clone()))
                        .collect();
                    out.warnings = r.warnings.clone();
                }
                Err(e) => out.fail(&e),
            }
        }
        Op::Recover => match kcertlib::renew::recover(root) {
            Ok(r) => {
                out.changed = r.is_some();
                if let Some(r) = r {
                    out.warnings = r.conflicts.clone();
                }
            }
            Err(e) => out.fail(&e),
        },
        Op::Rollback(manifest) => match renew::rollback(manifest) {
            Ok(r) => {
                out.changed = !r.restored.is_empty();
                out.warnings = r.warnings.clone();
            }
            Err(e) => out.fail(&e),
        },
    }
    out
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "non-string panic".into())
}

/// Runs `work` in a worker thread (with a main thread's stack) and waits at most `OP_TIMEOUT`.
/// On a timeout the FIFOs in `pokes` are opened for writing, which ends a read blocked on one,
/// and the case fails with a message naming `what`. A panic inside `work` is returned as `Err`.
pub fn bounded<T: Send + 'static>(
    what: &str,
    pokes: &[PathBuf],
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(format!("hostile: {what}"))
        .stack_size(OP_STACK)
        .spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = tx.send(r.map_err(|p| panic_text(p.as_ref())));
        })
        .expect("spawn worker");
    match rx.recv_timeout(OP_TIMEOUT) {
        Ok(r) => r,
        Err(_) => {
            // Unblock a reader stuck on a FIFO so the thread can end, then fail.
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                for fifo in pokes {
                    poke_fifo(fifo);
                }
                if rx.recv_timeout(Duration::from_millis(100)).is_ok() {
                    break;
                }
            }
            panic!(
                "{what}: did not finish within {} s (hung){}",
                OP_TIMEOUT.as_secs(),
                if pokes.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; it was blocked reading a FIFO ({})",
                        pokes
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            )
        }
    }
}

/// Opens a FIFO for writing without blocking and closes it: a reader blocked in `open` or
/// `read` on it then sees end of file.
pub fn poke_fifo(path: &Path) {
    let _ = fs::OpenOptions::new()
        .write(true)
        .custom_flags(O_NONBLOCK)
        .open(path);
}

/// Where operations run.
#[derive(Clone, Debug)]
pub enum Runner {
    /// A worker thread of this test process.
    Thread,
    /// A child process (this test binary re-run on `child_process_entry`), for operations that
    /// might crash the process (stack overflow, memory exhaustion) or depend on the working
    /// directory. Its address space is limited to 4 GiB.
    Child {
        /// Its working directory.
        cwd: PathBuf,
        /// Run it in a private mount namespace with a tmpfs on `/var/lib`, so an operation
        /// wrongly aimed at the real `/` cannot touch this machine's `/var/lib/kcert`.
        private_var_lib: bool,
    },
}

/// The environment variable carrying a child's request.
pub const CHILD_ENV: &str = "KCERT_HOSTILE_CHILD";
const OUTCOME_MARK: &str = "KCERT-HOSTILE-OUTCOME ";

#[derive(Serialize, Deserialize)]
struct ChildRequest {
    root: PathBuf,
    op: Op,
}

/// The body of the test `child_process_entry`: nothing unless spawned by `run_in_child`.
pub fn child_main() {
    let Some(request) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let request: ChildRequest =
        serde_json::from_str(request.to_str().expect("utf-8 request")).expect("child request");
    let handle = std::thread::Builder::new()
        .stack_size(OP_STACK)
        .spawn(move || perform(&request.root, &request.op))
        .expect("spawn");
    let outcome = match handle.join() {
        Ok(o) => o,
        Err(p) => Outcome {
            error: Some(format!("panicked: {}", panic_text(p.as_ref()))),
            panicked: true,
            ..Outcome::default()
        },
    };
    println!(
        "{OUTCOME_MARK}{}",
        serde_json::to_string(&outcome).expect("outcome json")
    );
}

fn run_in_child(root: &Path, op: &Op, cwd: &Path, private_var_lib: bool) -> Outcome {
    let exe = std::env::current_exe().expect("test binary");
    let limit = "ulimit -v 4194304 && exec \"$@\"";
    let mut cmd = if private_var_lib {
        let mut c = Command::new("unshare");
        c.args(["--mount", "--propagation", "private", "sh", "-c"]);
        c.arg(format!("mount -t tmpfs kcert-hostile /var/lib && {limit}"));
        c
    } else {
        let mut c = Command::new("sh");
        c.arg("-c").arg(limit);
        c
    };
    cmd.arg("sh").arg(&exe).args([
        "--exact",
        "child_process_entry",
        "--nocapture",
        "--test-threads=1",
    ]);
    let request = serde_json::to_string(&ChildRequest {
        root: root.to_path_buf(),
        op: op.clone(),
    })
    .expect("request json");
    let mut child = cmd
        .env(CHILD_ENV, request)
        .env("RUST_BACKTRACE", "0")
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child process");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let deadline = Instant::now() + OP_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait child") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{} (child process): did not finish within {} s (hung); killed",
                op.name(),
                OP_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    // libtest may print "test child_process_entry ... " on the same line first.
    let line = out
        .lines()
        .find_map(|l| l.find(OUTCOME_MARK).map(|at| &l[at + OUTCOME_MARK.len()..]));
    match line {
        Some(json) if status.success() => serde_json::from_str(json).expect("outcome json"),
        _ => {
            let tail: String = err
                .lines()
                .rev()
                .take(8)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            panic!(
                "{} crashed the process ({status}): stack overflow, memory exhaustion or abort; \
                 its stderr ends with:\n{tail}",
                op.name()
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A FIFO that tells whether anyone read it

/// A FIFO standing in for a file outside the root: a thread waits to write `content` into it,
/// so a process that opens it for reading gets that content and the tripwire records the read.
pub struct Tripwire {
    path: PathBuf,
    tripped: Arc<AtomicBool>,
    disarmed: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Tripwire {
    pub fn plant(path: &Path, content: Vec<u8>) -> Tripwire {
        mkfifo(path);
        let tripped = Arc::new(AtomicBool::new(false));
        let disarmed = Arc::new(AtomicBool::new(false));
        let thread = {
            let (path, tripped, disarmed) = (path.to_path_buf(), tripped.clone(), disarmed.clone());
            std::thread::spawn(move || {
                loop {
                    // Blocks until a reader opens the FIFO.
                    let Ok(mut f) = fs::OpenOptions::new().write(true).open(&path) else {
                        return;
                    };
                    if disarmed.load(Ordering::SeqCst) {
                        return;
                    }
                    tripped.store(true, Ordering::SeqCst);
                    let _ = f.write_all(&content);
                }
            })
        };
        Tripwire {
            path: path.to_path_buf(),
            tripped,
            disarmed,
            thread: Some(thread),
        }
    }

    pub fn was_read(&self) -> bool {
        self.tripped.load(Ordering::SeqCst)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Tripwire {
    fn drop(&mut self) {
        self.disarmed.store(true, Ordering::SeqCst);
        let Some(thread) = self.thread.take() else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(2);
        while !thread.is_finished() && Instant::now() < deadline {
            let reader = fs::OpenOptions::new()
                .read(true)
                .custom_flags(O_NONBLOCK)
                .open(&self.path);
            std::thread::sleep(Duration::from_millis(10));
            drop(reader);
        }
        if thread.is_finished() {
            let _ = thread.join();
        }
    }
}

pub fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "mkfifo {}", path.display());
}

pub fn mknod_char(path: &Path, major: u32, minor: u32) {
    let ok = Command::new("mknod")
        .arg(path)
        .arg("c")
        .arg(major.to_string())
        .arg(minor.to_string())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "mknod {} c {major} {minor}", path.display());
}

// ---------------------------------------------------------------------------------------------
// Small file helpers

pub fn write_file(path: &Path, bytes: &[u8], mode: u32) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    chmod(path, mode);
}

pub fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

pub fn chown(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))
        .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
}

pub fn symlink(target: impl AsRef<Path>, at: &Path) {
    if fs::symlink_metadata(at).is_ok() {
        fs::remove_file(at).expect("remove before symlink");
    }
    std::os::unix::fs::symlink(target.as_ref(), at)
        .unwrap_or_else(|e| panic!("symlink {}: {e}", at.display()));
}

pub fn mode_of(path: &Path) -> u32 {
    fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("metadata {}: {e}", path.display()))
        .mode()
        & 0o7777
}

/// `cp -a from to`.
pub fn copy_all(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "cp -a {} {}", from.display(), to.display());
}

/// Where `path` (absolute, under `root`) really is, reading symlinks as a node would with
/// `root` as its `/`: absolute targets under the root, `..` stopped at the root. For judging
/// which files a renewal reported; independent of the library's own resolver.
pub fn resolve_inside(root: &Path, path: &Path) -> PathBuf {
    let mut todo: Vec<PathBuf> = path
        .strip_prefix(root)
        .unwrap_or(path)
        .components()
        .rev()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(PathBuf::from(n)),
            Component::ParentDir => Some(PathBuf::from("..")),
            _ => None,
        })
        .collect();
    let mut here = root.to_path_buf();
    let mut hops = 0;
    while let Some(part) = todo.pop() {
        if part.as_os_str() == ".." {
            if here != root {
                here.pop();
            }
            continue;
        }
        let next = here.join(&part);
        match fs::read_link(&next) {
            Ok(target) if hops < 40 => {
                hops += 1;
                if target.is_absolute() {
                    here = root.to_path_buf();
                }
                todo.extend(target.components().rev().filter_map(|c| match c {
                    Component::Normal(n) => Some(PathBuf::from(n)),
                    Component::ParentDir => Some(PathBuf::from("..")),
                    _ => None,
                }));
            }
            _ => here = next,
        }
    }
    here
}

// ---------------------------------------------------------------------------------------------
// The hostile case

/// What the clean tree looked like before the attack was planted.
#[derive(Clone, Debug, Default)]
pub struct Clean {
    /// Entry name -> serial (hex), for every entry with a readable certificate.
    pub serials: BTreeMap<String, String>,
    /// The entries a renewal of the clean tree renews (its dry run).
    pub renewable: BTreeSet<String>,
}

/// What a case expects of the operations on its tree.
#[derive(Clone, Copy, Debug, Default)]
pub struct Expect {
    /// A refusing operation's message must contain one of these (the offending files).
    pub names: &'static [&'static str],
    /// Entries the attack makes unrenewable; a renewal may leave them alone.
    pub exempt: &'static [&'static str],
    /// Refusing is wrong: the rest of the node must be renewed.
    pub must_commit: bool,
    /// Root-relative paths an operation may change besides the renewed files.
    pub may_change: &'static [&'static str],
    /// Root-relative prefixes under which new files may appear (an explicit backup dir).
    pub may_create: &'static [&'static str],
}

impl Expect {
    pub fn naming(names: &'static [&'static str]) -> Expect {
        Expect {
            names,
            ..Expect::default()
        }
    }
}

struct Sealed {
    outside: Snapshot,
}

/// One case's `TMP/root` and `TMP/canary`.
pub struct Hostile {
    _dir: tempfile::TempDir,
    pub tmp: PathBuf,
    pub root: PathBuf,
    pub canary: PathBuf,
    pub layout: FixtureLayout,
    pub clean: Clean,
    runner: Runner,
    pokes: Vec<PathBuf>,
    sealed: Option<Sealed>,
}

impl Hostile {
    /// A generated expired tree of `layout` in `TMP/root`, the canary in `TMP/canary`, and what
    /// the clean tree holds and renews.
    pub fn new(layout: FixtureLayout) -> Hostile {
        require_root();
        let dir = tempfile::tempdir().expect("tempdir");
        let tmp = fs::canonicalize(dir.path()).expect("canonical tmp");
        let root = tmp.join("root");
        let canary = tmp.join("canary");
        let options = FixtureOptions::default()
            .with_reuse_leaf_keys(true)
            .with_etcd_hosts(2);
        fixture::build(&root, layout, &options).expect("fixture tree");
        make_canary(&canary);
        let mut h = Hostile {
            _dir: dir,
            tmp,
            root,
            canary,
            layout,
            clean: Clean::default(),
            runner: Runner::Thread,
            pokes: Vec::new(),
            sealed: None,
        };
        let scan = h.run(&Op::Scan);
        assert!(scan.is_ok(), "clean scan: {:?}", scan.error);
        let dry = h.run(&Op::dry_run());
        assert!(dry.is_ok(), "clean dry run: {:?}", dry.error);
        h.clean = Clean {
            serials: scan
                .entries
                .iter()
                .filter_map(|e| Some((e.name.clone(), e.serial.clone()?)))
                .collect(),
            renewable: dry.renewed.iter().cloned().collect(),
        };
        assert!(
            h.clean.renewable.len() >= 5,
            "the clean {layout} tree renews {:?}",
            h.clean.renewable
        );
        h
    }

    pub fn kubeadm() -> Hostile {
        Hostile::new(FixtureLayout::Kubeadm)
    }

    /// `root/rel`.
    pub fn at(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// `canary/rel`.
    pub fn canary_at(&self, rel: &str) -> PathBuf {
        self.canary.join(rel)
    }

    /// `TMP/root/../canary/rel`: a canary path that still starts with the root.
    pub fn canary_through_root(&self, rel: &str) -> PathBuf {
        self.root.join("..").join("canary").join(rel)
    }

    /// A relative path from `from_dir` (absolute, under the root) up and over to `canary/rel`.
    pub fn canary_relative_from(&self, from_dir: &str, rel: &str) -> PathBuf {
        let depth = Path::new(from_dir).components().count() + 1;
        let mut p = PathBuf::new();
        for _ in 0..depth {
            p.push("..");
        }
        p.join("canary").join(rel)
    }

    /// Copies a tree file into the canary (before `seal`).
    pub fn copy_to_canary(&self, rel_in_root: &str, name: &str) -> PathBuf {
        let to = self.canary_at(name);
        fs::copy(self.at(rel_in_root), &to).expect("copy into canary");
        chmod(&to, 0o644);
        to
    }

    /// Registers a FIFO planted in the tree, to be poked when an operation hangs on it.
    pub fn poke_on_hang(&mut self, fifo: PathBuf) {
        self.pokes.push(fifo);
    }

    /// Runs every later operation in a child process.
    pub fn isolate(&mut self, cwd: PathBuf, private_var_lib: bool) {
        self.runner = Runner::Child {
            cwd,
            private_var_lib,
        };
    }

    /// Takes the snapshots every later check compares with. Call once the attack is planted.
    pub fn seal(&mut self) {
        self.sealed = Some(Sealed {
            outside: snapshot_outside(&self.tmp),
        });
    }

    fn sealed(&self) -> &Sealed {
        self.sealed
            .as_ref()
            .expect("seal() the case before running operations")
    }

    /// Runs `op` on the root, bounded, wherever this case runs operations.
    pub fn run(&self, op: &Op) -> Outcome {
        match &self.runner {
            Runner::Thread => {
                let (root, op2) = (self.root.clone(), op.clone());
                match bounded(&op.name(), &self.pokes, move || perform(&root, &op2)) {
                    Ok(o) => o,
                    Err(panic) => Outcome {
                        op: op.name(),
                        error: Some(format!("panicked: {panic}")),
                        panicked: true,
                        ..Outcome::default()
                    },
                }
            }
            Runner::Child {
                cwd,
                private_var_lib,
            } => run_in_child(&self.root, op, cwd, *private_var_lib),
        }
    }

    // -- invariants ---------------------------------------------------------------------------

    /// Nothing outside `TMP/root` changed, and nothing new appeared there.
    pub fn assert_outside_intact(&self, after: &str) {
        let now = snapshot_outside(&self.tmp);
        let changes = diff(&self.sealed().outside, &now, true);
        assert!(
            changes.is_empty(),
            "after {after}: files OUTSIDE the root changed (canary):\n  {}",
            changes.join("\n  ")
        );
    }

    /// No set-uid or set-gid file anywhere in `TMP`.
    pub fn assert_no_setid(&self, after: &str) {
        let mut all = Snapshot::new();
        walk(&self.tmp, &self.tmp, &|_| false, &mut all);
        let setid: Vec<String> = all
            .iter()
            .filter(|(_, n)| n.kind != "dir" && n.kind != "link" && n.mode & 0o6000 != 0)
            .map(|(p, n)| format!("{} mode {:o} uid {}", p.display(), n.mode, n.uid))
            .collect();
        assert!(
            setid.is_empty(),
            "after {after}: set-uid/set-gid files appeared: {setid:?}"
        );
    }

    /// No staging leftovers (`.kcert-` names) in the tree outside the state directory.
    pub fn assert_no_leftovers(&self, after: &str) {
        let left: Vec<PathBuf> = snapshot_tree(&self.root)
            .into_keys()
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.contains(".kcert-"))
            })
            .collect();
        assert!(left.is_empty(), "after {after}: staged leftovers: {left:?}");
    }

    fn assert_error_names(&self, out: &Outcome, exp: &Expect) {
        assert!(
            !out.panicked,
            "{} panicked: {}",
            out.op,
            out.error.as_deref().unwrap_or("")
        );
        if let Some(e) = &out.error {
            assert!(
                exp.names.iter().any(|n| e.contains(n)),
                "{} refused, but its message names none of {:?}, so a person at 3 a.m. cannot \
                 tell which file is at fault: {e}",
                out.op,
                exp.names
            );
        }
    }

    fn assert_tree_same(&self, before: &Snapshot, exp: &Expect, what: &str) {
        let now = snapshot_tree(&self.root);
        let changes: Vec<String> = diff(before, &now, false)
            .into_iter()
            .filter(|line| {
                !exp.may_change
                    .iter()
                    .any(|p| line.starts_with(&format!("changed {p}:")))
            })
            .collect();
        assert!(
            changes.is_empty(),
            "{what}: the tree must be untouched, but:\n  {}",
            changes.join("\n  ")
        );
    }

    fn after_op(&self, out: &Outcome, exp: &Expect) {
        self.assert_outside_intact(&out.op);
        self.assert_no_setid(&out.op);
        self.assert_error_names(out, exp);
    }

    // -- operations, judged -------------------------------------------------------------------

    /// `scan`: must succeed (per-file problems live in entries) and write nothing at all.
    pub fn scan(&self, exp: &Expect) -> Outcome {
        let out = self.read_only(&Op::Scan, exp);
        assert!(
            out.is_ok(),
            "scan must report per-file problems in entries, not fail: {:?}",
            out.error
        );
        out
    }

    /// `renew --dry-run`: writes nothing at all, not even under `var/lib/kcert`.
    pub fn dry_run(&self, exp: &Expect) -> Outcome {
        self.read_only(&Op::dry_run(), exp)
    }

    fn read_only(&self, op: &Op, exp: &Expect) -> Outcome {
        let before = snapshot_tree_all(&self.root);
        let out = self.run(op);
        self.after_op(&out, exp);
        let changes = diff(&before, &snapshot_tree_all(&self.root), false);
        assert!(
            changes.is_empty(),
            "{} must write nothing at all, not even under var/lib/kcert, but:\n  {}",
            out.op,
            changes.join("\n  ")
        );
        out
    }

    /// `recover`: may refuse (naming the file) or find nothing; never changes the tree outside
    /// `var/lib/kcert` (no case here has a genuinely interrupted renewal).
    pub fn recover(&self, exp: &Expect) -> Outcome {
        let before = snapshot_tree(&self.root);
        let out = self.run(&Op::Recover);
        self.after_op(&out, exp);
        self.assert_tree_same(&before, exp, "recover");
        out
    }

    /// `renew` with the default options.
    pub fn renew(&self, exp: &Expect) -> Outcome {
        self.renew_with(RenewSpec::default(), exp)
    }

    /// `renew`: refuses naming the file with the tree untouched, or commits a full renewal.
    pub fn renew_with(&self, spec: RenewSpec, exp: &Expect) -> Outcome {
        let before = snapshot_tree(&self.root);
        let out = self.run(&Op::Renew(spec));
        self.after_op(&out, exp);
        self.assert_no_leftovers(&out.op);
        let due = self.due(exp);
        match (&out.error, out.changed) {
            (Some(e), _) => {
                assert!(
                    !exp.must_commit,
                    "{} refused, but it must renew the rest of the node: {e}",
                    out.op
                );
                self.assert_tree_same(&before, exp, &format!("{} refused ({e})", out.op));
            }
            (None, false) => {
                assert!(
                    due.is_empty(),
                    "{} returned no error and changed nothing, although {due:?} are renewable \
                     on the clean tree (skipped: {:?})",
                    out.op,
                    out.skipped
                );
                self.assert_tree_same(&before, exp, &out.op);
            }
            (None, true) => self.assert_fully_renewed(&before, &out, exp),
        }
        out
    }

    fn due(&self, exp: &Expect) -> BTreeSet<String> {
        self.clean
            .renewable
            .iter()
            .filter(|n| !exp.exempt.contains(&n.as_str()))
            .cloned()
            .collect()
    }

    /// A committed renewal: every entry the clean tree renews (less the exempt ones) was
    /// renewed and now verifies (valid, matching its key, chaining to its CA, new serial); the
    /// only files changed are those the report names (or `may_change`), each no more
    /// permissive than before and with the same owner; the only new files are kubelet's dated
    /// pem (0600 at most) or under `may_create`; nothing removed.
    pub fn assert_fully_renewed(&self, before: &Snapshot, out: &Outcome, exp: &Expect) {
        let due = self.due(exp);
        let renewed: BTreeSet<String> = out.renewed.iter().cloned().collect();
        let missing: Vec<&String> = due.difference(&renewed).collect();
        assert!(
            missing.is_empty(),
            "{} committed half-way: {missing:?} renewable on the clean tree but not renewed \
             (skipped: {:?})",
            out.op,
            out.skipped
        );
        let scan = self.run(&Op::Scan);
        assert!(scan.is_ok(), "scan after {}: {:?}", out.op, scan.error);
        for name in &due {
            let e = scan
                .entry(name)
                .unwrap_or_else(|| panic!("after {}: {name} is gone from the scan", out.op));
            assert!(
                e.status == "ok"
                    && e.key_matches == Some(true)
                    && e.chain_verifies == Some(true)
                    && e.serial.is_some()
                    && e.serial != self.clean.serials.get(name).cloned(),
                "after {}: {name} is not renewed and verifying: {e:?}",
                out.op
            );
        }
        let reported: BTreeSet<PathBuf> = out
            .renewed_paths
            .iter()
            .flat_map(|p| [p.clone(), resolve_inside(&self.root, p)])
            .filter_map(|p| p.strip_prefix(&self.root).ok().map(Path::to_path_buf))
            .collect();
        let after = snapshot_tree(&self.root);
        let mut wrong = Vec::new();
        for (path, old) in before {
            let Some(new) = after.get(path) else {
                wrong.push(format!("removed {}", path.display()));
                continue;
            };
            if new.loose() == old.loose() {
                continue;
            }
            let allowed =
                reported.contains(path) || exp.may_change.iter().any(|p| Path::new(p) == path);
            if !allowed {
                wrong.push(format!(
                    "changed {} but the report does not name it: {} -> {}",
                    path.display(),
                    old.loose(),
                    new.loose()
                ));
            }
            if new.kind != old.kind {
                wrong.push(format!(
                    "{}: was a {}, now a {}",
                    path.display(),
                    old.kind,
                    new.kind
                ));
            }
            if new.kind != "link"
                && (new.mode & !old.mode != 0 || (new.uid, new.gid) != (old.uid, old.gid))
            {
                wrong.push(format!(
                    "{}: written more permissive or with another owner: mode {:o} uid {} gid {} \
                     -> mode {:o} uid {} gid {}",
                    path.display(),
                    old.mode,
                    old.uid,
                    old.gid,
                    new.mode,
                    new.uid,
                    new.gid
                ));
            }
        }
        for (path, new) in &after {
            if before.contains_key(path) {
                continue;
            }
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let kubelet_pem = name.starts_with("kubelet-client-2") && new.kind == "file";
            let under = exp.may_create.iter().any(|p| path.starts_with(p));
            if kubelet_pem && new.mode & !0o600 != 0 {
                wrong.push(format!(
                    "new {} has mode {:o}, more than 0600",
                    path.display(),
                    new.mode
                ));
            }
            if !kubelet_pem && !under {
                wrong.push(format!("new {}: {}", path.display(), new.loose()));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} committed, but not as a clean full renewal:\n  {}",
            out.op,
            wrong.join("\n  ")
        );
    }

    /// `rollback`: refuses naming the file with the tree untouched, or puts the tree back
    /// exactly as `pre` (content, mode, owner, links).
    pub fn rollback(&self, manifest: &Path, pre: &Snapshot, exp: &Expect) -> Outcome {
        let before = snapshot_tree(&self.root);
        let out = self.run(&Op::Rollback(manifest.to_path_buf()));
        self.after_op(&out, exp);
        self.assert_no_leftovers(&out.op);
        match &out.error {
            Some(e) => self.assert_tree_same(&before, exp, &format!("{} refused ({e})", out.op)),
            None => {
                let changes = diff(pre, &snapshot_tree(&self.root), false);
                assert!(
                    changes.is_empty(),
                    "{} succeeded but the tree is not what it was before the renewal:\n  {}",
                    out.op,
                    changes.join("\n  ")
                );
            }
        }
        out
    }

    /// scan, dry run, recover, renew, and a rollback of what the renewal committed.
    pub fn standard(&self, exp: &Expect) -> Outcome {
        self.scan(exp);
        self.dry_run(exp);
        self.recover(exp);
        let pre = snapshot_tree(&self.root);
        let out = self.renew(exp);
        if out.changed
            && let Some(manifest) = &out.manifest
        {
            self.rollback(manifest, &pre, exp);
        }
        out
    }

    // -- planting journals --------------------------------------------------------------------

    /// A genuine manifest: a copy of this tree (in another temporary directory) is renewed, its
    /// manifest read and rebased onto this root, and its backups copied into this root's
    /// `var/lib/kcert/backups`. Call before `seal`.
    pub fn genuine_journal(&self) -> Genuine {
        let copy_dir = tempfile::tempdir().expect("tempdir for the copy");
        let copy_parent = fs::canonicalize(copy_dir.path()).expect("canonical");
        let copy_root = copy_parent.join("root");
        copy_all(&self.root, &copy_root);
        let out = {
            let r = copy_root.clone();
            bounded("renew of a copy", &[], move || perform(&r, &Op::renew()))
                .expect("renew of the copy panicked")
        };
        assert!(
            out.is_ok() && out.changed,
            "renewing a clean copy: {:?}",
            out.error
        );
        let manifest = out.manifest.expect("manifest");
        let mut value: Value =
            serde_json::from_slice(&fs::read(&manifest).expect("read manifest")).expect("json");
        let rebased = rebase(&mut value, &copy_root, &self.root);
        assert!(rebased > 0, "the manifest names no file of the copied tree");
        let state = self.at("var/lib/kcert");
        fs::create_dir_all(&state).expect("mkdir state");
        copy_all(&copy_root.join("var/lib/kcert/backups"), &state);
        let manifest = self
            .root
            .join(manifest.strip_prefix(&copy_root).expect("in copy"));
        assert!(manifest.exists());
        Genuine { value, manifest }
    }

    /// Renews the tree for real (before `seal`), for the rollback cases: returns the tree as it
    /// was before, the manifest, and the manifest's JSON.
    pub fn renew_for_rollback(&self) -> (Snapshot, PathBuf, Value) {
        let pre = snapshot_tree(&self.root);
        let out = self.run(&Op::renew());
        assert!(
            out.is_ok() && out.changed,
            "a genuine renewal of the clean tree: {:?}",
            out.error
        );
        let manifest = out.manifest.expect("manifest");
        let value = serde_json::from_slice(&fs::read(&manifest).expect("read manifest"))
            .expect("manifest json");
        (pre, manifest, value)
    }

    /// Every directory of the backup directory holding `manifest` (itself included) is 0700
    /// and every file 0600, all owned by root: backups hold private keys.
    pub fn assert_backups_private(&self, manifest: &Path) {
        let dir = manifest.parent().expect("backup dir");
        let mut wrong = Vec::new();
        let top = Node::of(dir);
        if top.mode != 0o700 || top.uid != 0 {
            wrong.push(format!("{}: {}", dir.display(), top.loose()));
        }
        for (rel, node) in listing(dir) {
            let want = if node.kind == "dir" { 0o700 } else { 0o600 };
            if node.mode != want || node.uid != 0 || node.kind == "link" {
                wrong.push(format!(
                    "{}: {} (want mode {want:o})",
                    rel.display(),
                    node.loose()
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "backups in {} are not private:\n  {}",
            dir.display(),
            wrong.join("\n  ")
        );
    }

    /// Writes `value` as `var/lib/kcert/journal.json` (0600).
    pub fn plant_journal(&self, value: &Value) -> PathBuf {
        let path = self.at("var/lib/kcert/journal.json");
        write_file(
            &path,
            &serde_json::to_vec_pretty(value).expect("json"),
            0o600,
        );
        path
    }
}

fn make_canary(canary: &Path) {
    fs::create_dir_all(canary.join(DIR)).expect("mkdir canary");
    fs::create_dir_all(canary.join(EMPTY_DIR)).expect("mkdir canary");
    chmod(canary, 0o755);
    write_file(&canary.join(ROOT_OWNED), ROOT_OWNED_TEXT.as_bytes(), 0o644);
    chown(&canary.join(ROOT_OWNED), 0, 0);
    write_file(
        &canary.join(TOOL),
        b"#!/bin/sh\necho kcert hostile-tree canary tool\n",
        0o755,
    );
    write_file(&canary.join(NOBODY_FILE), b"owned by nobody\n", 0o640);
    chown(&canary.join(NOBODY_FILE), NOBODY, NOBODY);
    write_file(&canary.join(INNER), b"inside a canary directory\n", 0o644);
    symlink(ROOT_OWNED, &canary.join(LINK));
}

/// A manifest of a real renewal, rebased onto a case's root.
pub struct Genuine {
    pub value: Value,
    /// The manifest inside this root's `var/lib/kcert/backups/<stamp>/`.
    pub manifest: PathBuf,
}

impl Genuine {
    /// Plants `value` as the journal and also writes it over the in-tree manifest (so a
    /// recovery does not find that manifest committed and stop there).
    pub fn plant(&self, h: &Hostile, value: &Value) {
        h.plant_journal(value);
        write_file(
            &self.manifest,
            &serde_json::to_vec_pretty(value).expect("json"),
            0o600,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Tampering, generically, at the JSON level

/// What a path-valued string in a journal is, judged by its key's name so that renamed or
/// reshaped fields (`staged_path`, `backupDir`, ...) are still found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// A staged temporary (`staged`).
    Staged,
    /// The file a record replaces (`path`).
    Path,
    /// A backup copy of an original (`backup`).
    Backup,
    /// The backup directory (`backup_dir`).
    BackupDir,
    /// The manifest (`manifest`).
    Manifest,
    /// The root the transaction worked under (`root`).
    Root,
}

fn field_of(key: &str) -> Option<Field> {
    let k = key.to_ascii_lowercase();
    if k == "root" {
        Some(Field::Root)
    } else if k.contains("stag") {
        Some(Field::Staged)
    } else if k.contains("manifest") {
        Some(Field::Manifest)
    } else if k.contains("backup") && k.contains("dir") {
        Some(Field::BackupDir)
    } else if k.contains("backup") {
        Some(Field::Backup)
    } else if k == "path" || k.ends_with("path") {
        Some(Field::Path)
    } else {
        None
    }
}

/// How a retargeted string spells the canary path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `/TMP/canary/x`.
    Absolute,
    /// `/TMP/root/../canary/x`: still "starts with the root" to a naive check.
    ThroughRoot,
    /// `../canary/x`: relative to the root (and to a process whose working directory it is).
    Relative,
}

impl Form {
    pub const ABSOLUTE_FORMS: [Form; 2] = [Form::Absolute, Form::ThroughRoot];

    pub fn spell(self, root: &Path, victim: &Path) -> String {
        let tmp = root.parent().expect("root has a parent");
        let rel = victim.strip_prefix(tmp).expect("victim under TMP");
        match self {
            Form::Absolute => victim.display().to_string(),
            Form::ThroughRoot => root.join("..").join(rel).display().to_string(),
            Form::Relative => Path::new("..").join(rel).display().to_string(),
        }
    }
}

/// Whether `s` names a path in the tree: absolute under `root`, or relative with a first
/// component that exists under `root`.
fn names_tree_path(s: &str, root: &Path) -> bool {
    let p = Path::new(s);
    if p.is_absolute() {
        return p != root && p.starts_with(root);
    }
    match p.components().next() {
        Some(Component::Normal(first)) => fs::symlink_metadata(root.join(first)).is_ok(),
        _ => false,
    }
}

/// Rewrites every string of kind `field` that names a tree path (for `Root`: that equals the
/// root) so it names `victim`, spelled in `form`. A record whose `Path` is rewritten also gets
/// its "new ... sha" fields set to the victim's hash, so it looks like the file the transaction
/// wrote. Returns how many strings were rewritten.
pub fn retarget(v: &mut Value, root: &Path, field: Field, victim: &Path, form: Form) -> usize {
    let spelled = match field {
        Field::Root => victim.display().to_string(),
        _ => form.spell(root, victim),
    };
    let victim_sha = fs::read(victim).map(|b| sha256_of(&b)).unwrap_or_default();
    let mut count = 0;
    retarget_in(v, root, field, &spelled, &victim_sha, &mut count);
    if count == 0 {
        count = insert_field(v, root, field, &spelled);
    }
    count
}

/// A journal format that derives staged, backup and manifest paths (format 2) has no such
/// fields: the attacker adds them, to every record (or to the journal, for the manifest), in
/// the hope that they are obeyed.
fn insert_field(v: &mut Value, root: &Path, field: Field, spelled: &str) -> usize {
    let key = match field {
        Field::Staged => "staged",
        Field::Backup => "backup",
        Field::Manifest => "manifest",
        _ => return 0,
    };
    if field == Field::Manifest {
        return match v.as_object_mut() {
            Some(map) => {
                map.insert(key.into(), Value::String(spelled.into()));
                1
            }
            None => 0,
        };
    }
    let Some(records) = find_records(v, root) else {
        return 0;
    };
    for record in records.iter_mut() {
        if let Some(map) = record.as_object_mut() {
            map.insert(key.into(), Value::String(spelled.into()));
        }
    }
    records.len()
}

fn retarget_in(
    v: &mut Value,
    root: &Path,
    field: Field,
    spelled: &str,
    victim_sha: &str,
    count: &mut usize,
) {
    let matches = |s: &str| match field {
        Field::Root => Path::new(s) == root,
        _ => names_tree_path(s, root),
    };
    match v {
        Value::Object(map) => {
            let mut hit = false;
            for (k, child) in map.iter_mut() {
                if field_of(k) == Some(field) {
                    match child {
                        Value::String(s) if matches(s) => {
                            *s = spelled.to_string();
                            *count += 1;
                            hit = true;
                        }
                        Value::Array(items) => {
                            for item in items {
                                if let Value::String(s) = item
                                    && matches(s)
                                {
                                    *s = spelled.to_string();
                                    *count += 1;
                                    hit = true;
                                }
                            }
                        }
                        other => retarget_in(other, root, field, spelled, victim_sha, count),
                    }
                } else {
                    retarget_in(child, root, field, spelled, victim_sha, count);
                }
            }
            // Make the record look consistent with its new target: a replaced path whose "new"
            // hash is the victim's looks like the file the transaction wrote; a backup whose
            // (old) hash is the victim's looks like a faithful copy of the original.
            let sha_of_interest = |k: &str| match field {
                Field::Path => k.contains("sha") && k.contains("new"),
                Field::Backup => k.contains("sha") && !k.contains("new"),
                _ => false,
            };
            if hit && !victim_sha.is_empty() {
                for (k, child) in map.iter_mut() {
                    if sha_of_interest(&k.to_ascii_lowercase()) && child.is_string() {
                        *child = Value::String(victim_sha.to_string());
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                retarget_in(item, root, field, spelled, victim_sha, count);
            }
        }
        _ => {}
    }
}

/// Sets every `state` string (the journal's and any nested one) to `state`.
pub fn set_state(v: &mut Value, state: &str) -> usize {
    let mut count = 0;
    set_key(v, &mut |k, child| {
        if k == "state" && child.is_string() {
            *child = Value::String(state.to_string());
            count += 1;
        }
    });
    count
}

fn set_key(v: &mut Value, f: &mut dyn FnMut(&str, &mut Value)) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                f(k, child);
                set_key(child, f);
            }
        }
        Value::Array(items) => {
            for item in items {
                set_key(item, f);
            }
        }
        _ => {}
    }
}

/// Rewrites every string naming a path under `from` to name the same path under `to`.
pub fn rebase(v: &mut Value, from: &Path, to: &Path) -> usize {
    let mut count = 0;
    rebase_in(v, from, to, &mut count);
    count
}

fn rebase_in(v: &mut Value, from: &Path, to: &Path, count: &mut usize) {
    match v {
        Value::String(s) => {
            if let Ok(rest) = Path::new(s.as_str()).strip_prefix(from) {
                let new = if rest.as_os_str().is_empty() {
                    to.to_path_buf()
                } else {
                    to.join(rest)
                };
                *s = new.display().to_string();
                *count += 1;
            }
        }
        Value::Object(map) => map.values_mut().for_each(|c| rebase_in(c, from, to, count)),
        Value::Array(items) => items.iter_mut().for_each(|c| rebase_in(c, from, to, count)),
        _ => {}
    }
}

/// A record to forge: put `payload`'s bytes at `target` with `mode` and owner `uid:gid`.
pub struct Forged {
    pub target: PathBuf,
    pub payload: PathBuf,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// Replaces the journal's records with forged ones, each cloned from a genuine record that has
/// a backup (a regular file): its path-like fields name the target, its backup fields the
/// payload, its "new ... sha" fields the target's current hash (so the target looks like what
/// the transaction wrote), its other sha fields the payload's hash (so the payload looks like
/// the original), and every `mode`/`uid`/`gid` the chosen ones. Returns the records written.
pub fn forge_records(v: &mut Value, root: &Path, forged: &[Forged]) -> usize {
    let v_backup_dir = v
        .get("backup_dir")
        .and_then(Value::as_str)
        .map(PathBuf::from);
    let Some(records) = find_records(v, root) else {
        return 0;
    };
    // A record with a backup: one naming its backup (format 1), or one whose original was a
    // regular file, whose backup lies at a derived place (format 2).
    let derived = !records.iter().any(|r| has_field(r, Field::Backup, root));
    let Some(template) = records
        .iter()
        .find(|r| {
            has_field(r, Field::Backup, root)
                || (derived && r.pointer("/old/kind").and_then(Value::as_str) == Some("file"))
        })
        .cloned()
    else {
        return 0;
    };
    let backup_dir = v_backup_dir.clone();
    let mut out = Vec::new();
    for f in forged {
        let mut record = template.clone();
        let target_sha = sha256_of(&fs::read(&f.target).expect("read forge target"));
        let payload_sha = sha256_of(&fs::read(&f.payload).expect("read payload"));
        // Format 2 records name files relative to the root, and their copies lie at
        // `<backup_dir>/files/<path>`: put the payload there.
        let target = match (derived, f.target.strip_prefix(root)) {
            (true, Ok(inside)) => {
                if let Some(dir) = &backup_dir {
                    let copy = dir.join("files").join(inside);
                    fs::create_dir_all(copy.parent().expect("parent")).expect("mkdir");
                    fs::copy(&f.payload, &copy).expect("plant the payload as a backup copy");
                }
                inside.display().to_string()
            }
            _ => f.target.display().to_string(),
        };
        let payload = f.payload.display().to_string();
        set_key(&mut record, &mut |k, child| {
            let lower = k.to_ascii_lowercase();
            match (field_of(k), &*child) {
                (Some(Field::Path), Value::String(_)) => *child = Value::String(target.clone()),
                (Some(Field::Backup), Value::String(_)) => *child = Value::String(payload.clone()),
                _ if lower.contains("sha") && child.is_string() => {
                    let sha = if lower.contains("new") {
                        &target_sha
                    } else {
                        &payload_sha
                    };
                    *child = Value::String(sha.clone());
                }
                _ if lower == "mode" && child.is_number() => *child = Value::from(f.mode),
                _ if lower == "uid" && child.is_number() => *child = Value::from(f.uid),
                _ if lower == "gid" && child.is_number() => *child = Value::from(f.gid),
                _ => {}
            }
        });
        out.push(record);
    }
    *records = out;
    forged.len()
}

fn has_field(v: &Value, field: Field, root: &Path) -> bool {
    match v {
        Value::Object(map) => map.iter().any(|(k, c)| {
            (field_of(k) == Some(field) && c.as_str().is_some_and(|s| names_tree_path(s, root)))
                || has_field(c, field, root)
        }),
        Value::Array(items) => items.iter().any(|i| has_field(i, field, root)),
        _ => false,
    }
}

/// The first array whose elements are objects naming a tree path in a `Path` field.
fn find_records<'a>(v: &'a mut Value, root: &Path) -> Option<&'a mut Vec<Value>> {
    if is_records(v, root) {
        return match v {
            Value::Array(items) => Some(items),
            _ => None,
        };
    }
    match v {
        Value::Array(items) => {
            for item in items.iter_mut() {
                if contains_records(item, root) {
                    return find_records(item, root);
                }
            }
            None
        }
        Value::Object(map) => {
            for child in map.values_mut() {
                if contains_records(child, root) {
                    return find_records(child, root);
                }
            }
            None
        }
        _ => None,
    }
}

fn is_records(v: &Value, root: &Path) -> bool {
    let Value::Array(items) = v else {
        return false;
    };
    !items.is_empty()
        && items.iter().all(|i| {
            i.as_object().is_some_and(|m| {
                m.iter().any(|(k, c)| {
                    field_of(k) == Some(Field::Path)
                        && c.as_str().is_some_and(|s| names_tree_path(s, root))
                })
            })
        })
}

fn contains_records(v: &Value, root: &Path) -> bool {
    is_records(v, root)
        || match v {
            Value::Array(items) => items.iter().any(|i| contains_records(i, root)),
            Value::Object(map) => map.values().any(|c| contains_records(c, root)),
            _ => false,
        }
}

// ---------------------------------------------------------------------------------------------
// Memory

/// This process's peak resident set (VmHWM), in KiB.
pub fn peak_rss_kib() -> u64 {
    fs::read_to_string("/proc/self/status")
        .expect("status")
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("VmHWM")
}

/// Resets VmHWM to the current resident set (`echo 5 > /proc/self/clear_refs`), so the next
/// peak measures only what follows.
pub fn reset_peak_rss() {
    let _ = fs::write("/proc/self/clear_refs", "5");
}

/// `openssl verify -CAfile ca leaf` on files.
pub fn openssl_verify(ca: &Path, leaf: &Path) -> Result<(), String> {
    let out = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(ca)
        .arg(leaf)
        .output()
        .map_err(|e| format!("openssl: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Every file and directory under `dir` with its mode and owner (following nothing).
pub fn listing(dir: &Path) -> Snapshot {
    let mut out = Snapshot::new();
    walk(dir, dir, &|_| false, &mut out);
    out
}
