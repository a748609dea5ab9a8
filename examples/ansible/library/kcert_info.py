#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kcertlib developers
# License: MIT OR Apache-2.0

"""Ansible module kcert_info: the certificate inventory of a Kubernetes node, or of files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: kcert_info
short_description: Report the X.509 certificates of a Kubernetes node and when they expire
version_added: "0.1.0"
description:
  - Scans a node (kubeadm, kubespray, Rancher RKE1, RKE2, k3s) for every certificate it keeps,
    in PKI directories, inside kubeconfigs and in kubelet's rotating pem, and reports each one's
    expiry, status, signing CA, whether its key matches and whether it verifies against its CA.
  - Alternatively reads the certificate files given in O(paths).
  - The report has the field names of C(kubeadm certs check-expiration -o json).
  - Never changes anything.
options:
  root:
    description:
      - The node's root directory (a mounted disk image or a copy of one works too).
      - Ignored when O(paths) is given.
    type: path
    default: /
  paths:
    description:
      - Files to read instead of scanning a node. Each may be a PEM bundle, a DER certificate or
        a kubeconfig (its users' client certificates).
    type: list
    elements: path
  warn_within:
    description:
      - Certificates expiring within this duration have status C(warning), e.g. C(30d), C(12h).
    type: str
    default: 30d
requirements:
  - kcert (the Python module built from kcertlib-py)
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author:
  - kcertlib developers
notes:
  - Run with a Python interpreter that has C(kcert) installed (C(ansible_python_interpreter)).
"""

EXAMPLES = r"""
- name: Inventory the node's certificates
  kcert_info:
  register: certs

- name: Fail when anything has expired
  ansible.builtin.assert:
    that: certs.expired | length == 0
    fail_msg: "expired: {{ certs.expired | join(', ') }}"

- name: Read two files
  kcert_info:
    paths:
      - /etc/kubernetes/pki/apiserver.crt
      - /etc/kubernetes/admin.conf
    warn_within: 60d
"""

RETURN = r"""
root:
  description: The scanned root, canonical.
  returned: when scanning a node
  type: str
  sample: /
distributions:
  description: The distributions detected.
  returned: when scanning a node
  type: list
  elements: str
  sample: [kubeadm]
certificates:
  description:
    - The leaf certificates (node scan), with kubeadm's fields C(name), C(expirationDate),
      C(residualTime), C(externallyManaged), C(caName), C(missing) plus C(status),
      C(distribution), C(path), C(subject), C(issuer), C(notBefore), C(serial),
      C(keyMatches), C(chainVerifies), C(restart), C(problems).
    - With O(paths), every certificate read, with C(path), C(index) and the certificate summary
      (C(subject), C(issuer), C(serial), C(notBefore), C(notAfter), C(status), SANs, key usages).
  returned: always
  type: list
  elements: dict
  sample:
    - name: apiserver
      expirationDate: "2026-11-28T14:22:31Z"
      residualTime: 31535990
      status: ok
      caName: ca
certificate_authorities:
  description: The CA certificates, with the same fields as RV(certificates).
  returned: when scanning a node
  type: list
  elements: dict
expired:
  description: Names (or, with O(paths), C(path#index)) of the certificates that have expired.
  returned: always
  type: list
  elements: str
  sample: [apiserver, admin.conf]
expiring:
  description: Names of the certificates that expire within O(warn_within).
  returned: always
  type: list
  elements: str
problems:
  description: Every problem found (unreadable file, key not matching), prefixed by the entry name.
  returned: when scanning a node
  type: list
  elements: str
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import kcert
except ImportError:
    HAS_KCERT = False
    KCERT_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_KCERT = True
    KCERT_IMPORT_ERROR = None


def node_report(root, warn_within):
    """The inventory of a node as module results."""
    inventory = kcert.scan(root, warn_within=warn_within)
    document = inventory.to_dict()
    entries = list(inventory)
    return dict(
        root=inventory.root,
        distributions=inventory.distributions,
        certificates=document["certificates"],
        certificate_authorities=document["certificateAuthorities"],
        expired=[e.name for e in entries if e.status == "expired"],
        expiring=[e.name for e in entries if e.status == "warning"],
        problems=["%s: %s" % (e.name, p) for e in entries for p in e.problems],
    )


def label(item):
    """`path#index`: which certificate of which file."""
    return "%s#%d" % (item["path"], item["index"])


def files_report(paths, warn_within):
    """Every certificate of the given files as module results."""
    certificates = []
    for path in paths:
        for index, cert in enumerate(kcert.load_certificates(path)):
            item = cert.to_dict()
            item.update(path=path, index=index, status=cert.status(warn_within=warn_within))
            certificates.append(item)
    return dict(
        certificates=certificates,
        expired=[label(c) for c in certificates if c["status"] == "expired"],
        expiring=[label(c) for c in certificates if c["status"] == "warning"],
    )


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path", default="/"),
            paths=dict(type="list", elements="path"),
            warn_within=dict(type="str", default="30d"),
        ),
        supports_check_mode=True,
    )
    if not HAS_KCERT:
        module.fail_json(msg=missing_required_lib("kcert"), exception=KCERT_IMPORT_ERROR)
    params = module.params
    failure = None
    try:
        if params["paths"]:
            result = files_report(params["paths"], params["warn_within"])
        else:
            result = node_report(params["root"], params["warn_within"])
    except kcert.KcertError as err:
        failure = err
    if failure is not None:
        # Outside the except block, so Ansible attaches no traceback: the message says it all.
        module.fail_json(msg=str(failure), error_code=failure.code, error_kind=failure.kind)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
