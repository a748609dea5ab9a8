"""Shared pytest fixtures: openssl-made certificates (testing/openssl-fixtures.sh) in a temp dir.

The fixtures come from the openssl CLI, and outputs are judged by Python `cryptography`, so
nothing here trusts kcert to check kcert.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict

import pytest

REPO = Path(__file__).resolve().parents[2]


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
