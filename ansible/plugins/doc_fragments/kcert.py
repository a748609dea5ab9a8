# -*- coding: utf-8 -*-
# Copyright: kcertlib developers
# License: MIT OR Apache-2.0
"""Documentation shared by the kcert.kubernetes modules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # What every module needs on the managed node.
    DOCUMENTATION = r"""
options: {}
requirements:
  - kcert, the Python module of kcertlib (C(pip install kcert-*.whl)), in the interpreter
    Ansible runs on the managed node
notes:
  - Run with a Python interpreter that has C(kcert) installed (C(ansible_python_interpreter)).
  - Returned keys are snake_case. Times are RFC 3339 in UTC (C(2026-11-28T14:22:31Z)); fields
    that mirror C(kubeadm certs check-expiration -o json) keep its meaning under snake_case
    names (C(expiration_date), C(residual_time) in seconds, C(externally_managed), C(ca_name),
    C(missing)).
"""

    # Options that take a relative time.
    RELATIVE_TIME = r"""
options: {}
notes:
  - Relative times take community.crypto's form, an optional sign then numbers with units
    C(w), C(d), C(h), C(m), C(s) (C(+30d), C(-1d), C(32w1d2h)), a bare number of seconds, or
    kcert's C(30d), C(10y) (a year is 365 days).
"""

    # Options of the modules that sign (kcert_renew, kcert_sign); their argument spec is
    # kcert_common.signing_options().
    SIGNING = r"""
options:
  days:
    description: Lifetime of the new certificates, in days (kept within each CA's validity).
    type: int
    default: 365
  backdate:
    description:
      - Where the new notBefore lies, before now - C(-1h) (community.crypto's form) or C(1h)
        (how far before now), C(-365d) - or C(ca) for the CA's own notBefore, as kubeadm before
        1.31 and RKE do. A time after now (C(+1h)) is refused.
    type: str
    default: -1h
"""

    # Options of the modules that write a node's certificates as one transaction (kcert_renew,
    # kcert_install); their argument spec is kcert_common.transaction_options().
    TRANSACTION = r"""
options:
  backup_dir:
    description:
      - The directory the originals are backed up in, with the manifest; it must not exist, or
        be empty. Default C(<root>/var/lib/kcert/backups/<timestamp>).
    type: path
  user_kubeconfigs:
    description:
      - Also renew users' copies of the node's credentials, the kubeconfigs in C(root/.kube/)
        and C(home/*/.kube/) whose embedded client certificate has the key of a renewed one
        (owner and mode kept), and RKE1's C(kube_config_<cluster>.yml) beside the cluster
        state. C(false) leaves them alone (C(kcert renew --no-copies)).
    type: bool
    default: true
"""
