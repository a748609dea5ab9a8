#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kcertlib developers
# License: MIT OR Apache-2.0

"""Ansible module kcert_install: step 3 of renewing a node without its CA key."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: kcert_install
short_description: Install certificates signed elsewhere into a node, as one transaction
version_added: "0.1.0"
description:
  - Step 3 of renewing a node whose CA key lives elsewhere. It reads the signed file written by
    M(kcert.kubernetes.kcert_sign) (or PEM certificates an external CA returned for the
    requests' CSRs) and checks every certificate against the node's copy of its CA, the node's
    private key and the certificate it replaces.
  - Then applies them as M(kcert.kubernetes.kcert_renew) applies what it signs - one
    transaction, every file replaced or none, kubelet's rotating pem behind an atomic symlink
    swap, kubeconfigs edited in place, originals backed up in RV(backup_dir) with a manifest.
  - A certificate that fails a check fails the task and nothing is written.
  - Returns what M(kcert.kubernetes.kcert_renew) returns; RV(restart) lists what to restart
    (C(kubelet) on a worker).
options:
  root:
    description: The node's root directory.
    type: path
    default: /
  src:
    description: The signed file (on the node).
    type: path
    required: true
extends_documentation_fragment:
  - kcert.kubernetes.kcert
  - kcert.kubernetes.kcert.transaction
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Checks every certificate and reports what would be installed; writes nothing.
  diff_mode:
    support: full
    details: Shows each certificate's old and new notBefore, notAfter and serial.
  platform:
    platforms: posix
author:
  - kcertlib developers (!UNKNOWN)
seealso:
  - module: kcert.kubernetes.kcert_export
  - module: kcert.kubernetes.kcert_sign
  - module: kcert.kubernetes.kcert_renew
"""

EXAMPLES = r"""
- name: Install what the control plane signed
  kcert.kubernetes.kcert_install:
    src: "{{ handoff.path }}/signed.json"
  register: installed
  notify: Restart kubelet
"""

RETURN = r"""
renewed:
  description: The certificates installed (in check mode, that would be).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The inventory name.
      type: str
      sample: kubelet-client-current
    paths:
      description: The files written.
      type: list
      elements: str
    old_serial:
      description: Serial before, hex.
      type: str
    new_serial:
      description: Serial after, hex.
      type: str
    old_not_before:
      description: notBefore before, RFC 3339.
      type: str
    old_not_after:
      description: notAfter before, RFC 3339.
      type: str
    new_not_before:
      description: notBefore after, RFC 3339.
      type: str
    new_not_after:
      description: notAfter after, RFC 3339.
      type: str
    key_rotated:
      description: Always false; a key never moves between nodes.
      type: bool
not_renewed:
  description: Entries of the signed file that were not installed, with the reason.
  returned: always
  type: list
  elements: dict
restart:
  description: Components to restart (C(kubelet), ...).
  returned: always
  type: list
  elements: str
backup_dir:
  description: The directory holding the originals and the manifest.
  returned: when changed and not in check mode
  type: str
manifest:
  description: The manifest file to roll the installation back with (C(kcert rollback)).
  returned: when changed and not in check mode
  type: str
backups:
  description: Every backup copy written.
  returned: when changed and not in check mode
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kcert.kubernetes.plugins.module_utils.kcert_common import (
    fail_on_kcert_error,
    kcert,
    read_text,
    renewal_result,
    require_kcert,
    transaction_arguments,
    transaction_options,
)


def main():
    argument_spec = dict(
        root=dict(type="path", default="/"),
        src=dict(type="path", required=True),
    )
    argument_spec.update(transaction_options())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    require_kcert(module)
    signed = read_text(module, module.params["src"], "signed file")
    report = fail_on_kcert_error(
        module, kcert.install_signed, module.params["root"], signed, **transaction_arguments(module)
    )
    module.exit_json(**renewal_result(module, report))


if __name__ == "__main__":
    main()
