"""Shared pytest fixtures: openssl-made certificates (testing/openssl-fixtures.sh) in a temp dir.

The fixtures come from the openssl CLI, and outputs are judged by Python `cryptography`, so
nothing here trusts kcert to check kcert.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, Union

import pytest

REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    """With KCERT_TEST_HOOKS=0 (the shipped wheel, built without the test hooks) the tests that
    need the hooks (the `hooks` fixture of test_errors.py) are deselected: counted as
    deselected, never as skipped or passed. They run in run-python-tests.sh's build."""
    if os.environ.get("KCERT_TEST_HOOKS") != "0":
        return
    keep, drop = [], []
    for item in items:
        (drop if "hooks" in getattr(item, "fixturenames", ()) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def kcert_binary() -> str:
    """The `kcert` command that builds cluster trees: $KCERT_BIN, else `kcert` on PATH, else
    the workspace's release build. The Python module itself ships no tree generator."""
    for candidate in (os.environ.get("KCERT_BIN"), shutil.which("kcert"), REPO / "target/release/kcert"):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    raise RuntimeError("no kcert binary: set KCERT_BIN, put kcert on PATH or cargo build --release -p kcert")


def build_tree(
    root: Union[str, Path],
    layout: str,
    *,
    expired: bool = True,
    etcd_hosts: int = 3,
    reuse_leaf_keys: bool = False,
) -> Dict[str, Any]:
    """A generated `layout` node tree under `root` (`kcert fixture`); returns its summary."""
    args = [kcert_binary(), "fixture", layout, str(root), "--etcd-hosts", str(etcd_hosts)]
    if not expired:
        args.append("--valid")
    if reuse_leaf_keys:
        args.append("--reuse-keys")
    out = subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout)


class Fixtures:
    """The fixture directory and its MANIFEST.json."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifest: Dict[str, Any] = json.loads((root / "MANIFEST.json").read_text())["files"]

    def path(self, name: str) -> Path:
        return self.root / name

    def info(self, name: str) -> Dict[str, Any]:
        return self.manifest[name]

    def leaves(self) -> list[str]:
        return sorted(n for n, v in self.manifest.items() if v["role"] == "leaf")

    def bad(self, intent: str) -> list[str]:
        return sorted(
            n for n, v in self.manifest.items() if v["role"] == "bad" and v["intent"] == intent
        )


@pytest.fixture(scope="session")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Fixtures:
    out = tmp_path_factory.mktemp("openssl-fixtures")
    subprocess.run(
        ["bash", str(REPO / "testing" / "openssl-fixtures.sh"), str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return Fixtures(out)
