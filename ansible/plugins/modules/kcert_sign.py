#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kcertlib developers
# License: MIT OR Apache-2.0

"""Ansible module kcert_sign: step 2 of renewing a node without its CA key."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: kcert_sign
short_description: Sign the certificate requests of another node with the CA keys of this one
version_added: "0.1.0"
description:
  - Step 2 of renewing a node whose CA key lives elsewhere, run where the CA key is (a
    control-plane node, with C(delegate_to)). It reads a request file written by
    M(kcert.kubernetes.kcert_export), finds each request's CA among the CAs under O(ca_root)
    by the identity the request records, checks the old certificate was signed by it, and
    re-signs it faithfully - subject, key, SANs and every extension unchanged.
  - Writes the signed file for M(kcert.kubernetes.kcert_install) on the node. It holds
    certificates only; no key leaves either node.
  - Requests that cannot be signed here (their CA is not on this node, their certificate was
    not signed by it) are returned in RV(refused) with the reason, each one a warning.
options:
  ca_root:
    description: The root directory of the node holding the CA keys.
    type: path
    default: /
  src:
    description: The request file (on the node this task runs on).
    type: path
    required: true
  dest:
    description:
      - The signed file to write (JSON, mode 0600). Its directory must exist, outside the
        node's tree (a directory of the run's own, from M(ansible.builtin.tempfile)); a
        directory reached through a symbolic link, or a link at O(dest), is refused.
    type: path
    required: true
  include_ca:
    description:
      - Carry this node's current certificate of each CA used along, for the node to install
        into its CA copies (after a CA renewal).
    type: bool
    default: false
extends_documentation_fragment:
  - kcert.kubernetes.kcert
  - kcert.kubernetes.kcert.relative_time
  - kcert.kubernetes.kcert.signing
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Signs in memory and reports what would be signed; writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
author:
  - kcertlib developers (!UNKNOWN)
seealso:
  - module: kcert.kubernetes.kcert_export
  - module: kcert.kubernetes.kcert_install
"""

EXAMPLES = r"""
- name: Sign a worker's requests on the first control-plane node
  kcert.kubernetes.kcert_sign:
    src: "{{ handoff_on_ca_host.path }}/requests.json"
    dest: "{{ handoff_on_ca_host.path }}/signed.json"
    days: 365
  delegate_to: "{{ groups['kube_control_plane'][0] }}"
  register: signing
"""

RETURN = r"""
dest:
  description: The signed file.
  returned: always
  type: str
signed:
  description: Names of the entries signed (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [kubelet-client-current]
refused:
  description: Requests that could not be signed here, with the reason.
  returned: always
  type: list
  elements: dict
  sample:
    - name: kubelet-client-current
      reason: "CA CN=kubernetes is not under /"
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kcert.kubernetes.plugins.module_utils.kcert_common import (
    fail_on_kcert_error,
    kcert,
    read_text,
    require_kcert,
    signing_arguments,
    signing_options,
    snake_keys,
    write_text,
)


def main():
    argument_spec = dict(
        ca_root=dict(type="path", default="/"),
        src=dict(type="path", required=True),
        dest=dict(type="path", required=True),
        include_ca=dict(type="bool", default=False),
    )
    argument_spec.update(signing_options())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    require_kcert(module)
    p = module.params
    requests = read_text(module, p["src"], "request file")
    text = fail_on_kcert_error(
        module,
        kcert.sign_requests,
        p["ca_root"],
        requests,
        include_ca=p["include_ca"],
        **signing_arguments(module)
    )
    result = json.loads(text)
    signed = [s.get("name") for s in result.get("signed", [])]
    refused = [snake_keys(r) for r in result.get("refused", [])]
    for item in refused:
        module.warn("%s was not signed: %s" % (item.get("name"), item.get("reason")))
    # Every signing makes new serials and a new creation time: the file is always rewritten.
    changed = write_text(module, p["dest"], text, lambda old: False)
    module.exit_json(changed=changed, dest=p["dest"], signed=signed, refused=refused)


if __name__ == "__main__":
    main()
