#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kcertlib developers
# License: MIT OR Apache-2.0

"""Ansible module kcert_export: step 1 of renewing a node without its CA key."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: kcert_export
short_description: Export the certificate requests of a node that does not hold its CA key
version_added: "0.1.0"
description:
  - Step 1 of renewing a node whose CA key lives elsewhere (a kubeadm worker, an offline CA);
    it writes a request file with every certificate that needs renewal and whose CA key is not on
    the node - its name, the certificate, the identity of its CA, the layout and its path.
  - The file holds certificates only, never key material, so it can be fetched off the node.
    M(kcert.kubernetes.kcert_sign) signs it where the CA key is, and
    M(kcert.kubernetes.kcert_install) installs the result on the node.
  - Certificates the node can renew itself are left out and listed in RV(not_exported).
options:
  root:
    description: The node's root directory.
    type: path
    default: /
  dest:
    description:
      - The request file to write (JSON, mode 0600). Its directory must exist, outside the
        node's tree (a directory of the run's own, from M(ansible.builtin.tempfile)); a
        directory reached through a symbolic link, or a link at O(dest), is refused.
      - Left untouched when it already holds the same requests, so the task is idempotent.
      - When nothing needs exporting, no file is written and an existing one is removed, so a
        stale request is never signed.
    type: path
    required: true
  expiring_within:
    description:
      - Export only certificates whose notAfter falls within this relative time from now
        (expired ones included), e.g. C(+30d), C(30d), C(4w).
    type: str
  only:
    description: Export only these entries, by inventory name (C(kubelet-client-current), ...).
    type: list
    elements: str
  csr:
    description:
      - Also put a PKCS#10 request in each entry, signed by the node's own key, for CAs that
        only accept CSRs.
    type: bool
    default: false
extends_documentation_fragment:
  - kcert.kubernetes.kcert
  - kcert.kubernetes.kcert.relative_time
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reports the requests and whether O(dest) would change; writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
author:
  - kcertlib developers (!UNKNOWN)
seealso:
  - module: kcert.kubernetes.kcert_sign
  - module: kcert.kubernetes.kcert_install
"""

EXAMPLES = r"""
# A directory of the run's own, outside the node's tree (mode 0700), removed afterwards.
- name: Make a directory for the files in transit
  ansible.builtin.tempfile:
    state: directory
    prefix: kcert-handoff.
  register: handoff

- name: Export what expires within 30 days
  kcert.kubernetes.kcert_export:
    dest: "{{ handoff.path }}/requests.json"
    expiring_within: +30d
  register: export

- name: Bring the requests to the controller
  ansible.builtin.fetch:
    src: "{{ handoff.path }}/requests.json"
    dest: "handoff/{{ inventory_hostname }}/requests.json"
    flat: true
  when: export.requests | length > 0
"""

RETURN = r"""
dest:
  description: The request file.
  returned: always
  type: str
  sample: /tmp/kcert-handoff.x1y2z3/requests.json
requests:
  description: The certificates exported.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The inventory name.
      type: str
      sample: kubelet-client-current
    layout:
      description: The node's layout.
      type: str
      sample: kubeadm
    path:
      description: Where the certificate lives, relative to O(root).
      type: str
      sample: var/lib/kubelet/pki/kubelet-client-current.pem
not_exported:
  description: Entries left out, with the reason (valid, signable on this node, ...).
  returned: always
  type: list
  elements: dict
  sample:
    - name: kubelet-serving
      reason: "the CA key is on this node: kcert_renew renews it"
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kcert.kubernetes.plugins.module_utils.kcert_common import (
    fail_on_kcert_error,
    kcert,
    remove_file,
    require_kcert,
    snake_keys,
    window_option,
    write_text,
)


def same_requests(new):
    """Whether an existing request file holds the same requests as C(new) (its creation time
    aside)."""

    def compare(old_text):
        try:
            old = json.loads(old_text)
        except ValueError:
            return False
        return isinstance(old, dict) and old.get("requests") == new.get("requests")

    return compare


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path", default="/"),
            dest=dict(type="path", required=True),
            expiring_within=dict(type="str"),
            only=dict(type="list", elements="str"),
            csr=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    require_kcert(module)
    p = module.params
    text = fail_on_kcert_error(
        module,
        kcert.export_requests,
        p["root"],
        only=p["only"],
        expiring_within=window_option(module, "expiring_within"),
        csr=p["csr"],
    )
    exported = json.loads(text)
    if exported.get("requests"):
        changed = write_text(module, p["dest"], text, same_requests(exported))
    else:
        changed = remove_file(module, p["dest"])
    requests = [
        dict(name=r.get("name"), layout=r.get("layout"), path=r.get("path"))
        for r in exported.get("requests", [])
    ]
    not_exported = [snake_keys(s) for s in exported.get("skipped", [])]
    module.exit_json(
        changed=changed, dest=p["dest"], requests=requests, not_exported=not_exported
    )


if __name__ == "__main__":
    main()
