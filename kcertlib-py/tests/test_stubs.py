"""The .pyi stubs match the compiled module (mypy.stubtest), and the package is typed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import kcert

ALLOWLIST = Path(__file__).with_name("stubtest-allowlist.txt")


def test_stubtest_finds_no_mismatch(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "kcert", "--allowlist", str(ALLOWLIST)],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # a neutral directory: nothing there shadows installed modules
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_ships_stubs_and_py_typed():
    package = Path(kcert.__file__).parent
    for name in ("py.typed", "__init__.pyi", "_kcert.pyi"):
        assert (package / name).is_file(), name


def test_public_names():
    assert sorted(kcert.__all__) == sorted(set(kcert.__all__))
    for name in kcert.__all__:
        assert hasattr(kcert, name), name
    assert kcert.__version__ == kcert._kcert.__version__


def test_test_hooks_are_where_the_build_puts_them():
    # KCERT_TEST_HOOKS names the build under test: 1, run-python-tests.sh's (feature test-hooks);
    # 0, the wheel that ships (scripts/test.sh), which must have none.
    present = [hasattr(kcert._kcert, name) for name in ("_error_kinds", "_raise_error")]
    expected = os.environ.get("KCERT_TEST_HOOKS")
    if expected is not None:
        assert present == [expected == "1"] * 2
    # Never exported: neither __all__ nor the stubs name them.
    assert [n for n in kcert._kcert.__all__ if n.startswith("_")] == ["__version__"]
