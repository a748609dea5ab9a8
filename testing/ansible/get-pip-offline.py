# -*- coding: utf-8 -*-
# Copyright: kcertlib developers
# License: MIT OR Apache-2.0
"""A stand-in for pypa's get-pip.py, for `ansible-test sanity`.

ansible-test creates its sanity venvs without pip and bootstraps pip with a get-pip.py that it
downloads from a host that is not a package registry (unreachable here and in CI). It looks for
the script in ~/.ansible/test/cache/get_pip_<version>.py first; testing/ansible/
run-ansible-tests.sh puts this file there. It does what get-pip.py does with the same
arguments: installs pip from the wheel bundled with Python (ensurepip, offline), then runs
`pip install` with the requirements ansible-test passed (the pinned pip, from PyPI).
"""

import ensurepip
import importlib
import os
import runpy
import sys

# get-pip.py's own options, which pip does not know.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

# ensurepip ignores pip's configuration by changing os.environ; the install after it must see the
# configuration (index, certificates) as any pip here does.
saved = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
os.environ.clear()
os.environ.update(saved)
importlib.invalidate_caches()
sys.argv = ["pip", "install"] + [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
