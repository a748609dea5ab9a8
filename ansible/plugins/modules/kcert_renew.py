#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kcertlib developers
# License: MIT OR Apache-2.0

"""Ansible module kcert_renew: renew a Kubernetes node's certificates as one transaction."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: kcert_renew
short_description: Faithfully renew the X.509 certificates of a Kubernetes node
version_added: "0.1.0"
description:
  - Renews the certificates of a node (kubeadm, kubespray, Rancher RKE1, RKE2, k3s) as one
    transaction - every file is replaced, or none is - re-signing each with its own CA and
    keeping subject, key, SANs and every extension unchanged.
  - Certificates inside kubeconfigs are rewritten in place, kubelet's rotating pem gets a new
    dated file behind an atomic symlink swap, and originals are backed up in RV(backup_dir) with
    a manifest that C(kcert rollback) (or C(kcert.rollback())) restores.
  - Entries that cannot be renewed (the CA key is not on this node, the key does not match the
    certificate, a self-signed kubelet serving certificate) are returned in RV(not_renewed) with
    the reason and raise a warning; the rest is still renewed.
  - Reports which components to restart in RV(restart); the playbook
    C(kcert.kubernetes.renew_cluster) restarts them.
options:
  root:
    description: The node's root directory.
    type: path
    default: /
  expiring_within:
    description:
      - Renew only certificates whose notAfter falls within this relative time from now
        (expired ones included), e.g. C(+30d), C(30d), C(4w). Makes the task idempotent.
        Without it every selected leaf is renewed on every run.
    type: str
  rotate_keys:
    description: Give each renewed certificate a new key of the same algorithm.
    type: bool
    default: false
  include_ca:
    description:
      - Also renew the CAs, with their own key and subject (what they signed stays valid), and
        every copy of them.
    type: bool
    default: false
  only:
    description: Renew only these entries, by inventory name (C(apiserver), C(admin.conf), ...).
    type: list
    elements: str
  add_sans:
    description:
      - Subject alternative names to add to the renewed certificates, each C(DNS:name) or
        C(IP:address) (an item may also list several, comma-separated, as C(kcert renew
        --add-san) takes them), e.g. a new load balancer in front of the API servers.
      - Names a certificate already has are not repeated. Only serving certificates take
        them (client certificates are left as they are), so name those in O(only), e.g.
        C(only=[apiserver]).
      - A malformed name fails the task before anything is written.
    type: list
    elements: str
  rke_state:
    description:
      - RKE1's C(cluster.rkestate), a path under O(root) (a relative path is taken from O(root)).
        The node's renewed certificates are renewed in it too, in the same transaction, so a
        later C(rke up) does not put the old ones back; so is C(kube-admin), which lives only
        there, with the kubeconfigs that embed it (the state's C(config), the
        C(kube_config_<cluster>.yml) beside it).
      - By default it is looked for under O(root) (C(root/), C(home/*/), their C(rke/)
        folders, C(opt/rke/), C(etc/rke/)); when none holds the node's certificates the
        result's warnings say so. A path outside O(root) fails the task.
    type: path
extends_documentation_fragment:
  - kcert.kubernetes.kcert
  - kcert.kubernetes.kcert.relative_time
  - kcert.kubernetes.kcert.signing
  - kcert.kubernetes.kcert.transaction
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Plans and signs in memory and reports what would be renewed; writes nothing.
  diff_mode:
    support: full
    details: Shows each certificate's old and new notBefore, notAfter and serial.
  platform:
    platforms: posix
author:
  - kcertlib developers (!UNKNOWN)
notes:
  - Renew one control-plane node at a time (C(serial)) and restart what RV(restart) lists.
"""

EXAMPLES = r"""
- name: Renew every certificate that expires within 30 days
  kcert.kubernetes.kcert_renew:
    expiring_within: +30d
  register: renewal

- name: Restart the services the renewal lists
  ansible.builtin.systemd_service:
    name: "{{ item }}"
    state: restarted
  loop: "{{ renewal.restart | intersect(['kubelet', 'rke2-server', 'k3s']) }}"

- name: Renew two entries for two years, notBefore at the CA's, with new keys
  kcert.kubernetes.kcert_renew:
    only: [apiserver, admin.conf]
    days: 730
    backdate: ca
    rotate_keys: true
    backup_dir: /var/backups/kcert/before-2y

- name: Renew an RKE1 node and the cluster state file `rke up` reads
  kcert.kubernetes.kcert_renew:
    rke_state: /home/rancher/rke/cluster.rkestate

- name: Add the new load balancer's names to the API server's certificate
  kcert.kubernetes.kcert_renew:
    only: [apiserver]
    add_sans:
      - DNS:api.example.com
      - IP:10.0.0.10
"""

RETURN = r"""
renewed:
  description: The certificates renewed (in check mode, that would be).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The inventory name.
      type: str
      sample: apiserver
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
      sample: "2025-11-28T14:22:31Z"
    new_not_before:
      description: notBefore after, RFC 3339.
      type: str
    new_not_after:
      description: notAfter after, RFC 3339.
      type: str
      sample: "2027-11-28T14:22:31Z"
    key_rotated:
      description: Whether a new key was written.
      type: bool
not_renewed:
  description: Entries that were selected but could not be renewed, with the reason.
  returned: always
  type: list
  elements: dict
  sample:
    - name: front-proxy-client
      reason: "externally managed: the key of CA front-proxy-ca is not on this node"
restart:
  description: Components to restart (C(kube-apiserver), C(etcd), C(kubelet), C(rke2-server), ...).
  returned: always
  type: list
  elements: str
backup_dir:
  description: The directory holding the originals and the manifest.
  returned: when changed and not in check mode
  type: str
  sample: /var/lib/kcert/backups/20261128T143225Z
manifest:
  description: The manifest file to roll the renewal back with (inside RV(backup_dir)).
  returned: when changed and not in check mode
  type: str
  sample: /var/lib/kcert/backups/20261128T143225Z/manifest.json
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
    renewal_result,
    require_kcert,
    signing_arguments,
    signing_options,
    transaction_arguments,
    transaction_options,
    window_option,
)


def main():
    argument_spec = dict(
        root=dict(type="path", default="/"),
        expiring_within=dict(type="str"),
        rotate_keys=dict(type="bool", default=False),
        include_ca=dict(type="bool", default=False),
        only=dict(type="list", elements="str"),
        add_sans=dict(type="list", elements="str"),
        rke_state=dict(type="path"),
    )
    argument_spec.update(signing_options())
    argument_spec.update(transaction_options())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    require_kcert(module)
    p = module.params
    arguments = signing_arguments(module)
    arguments.update(transaction_arguments(module))
    report = fail_on_kcert_error(
        module,
        kcert.renew,
        p["root"],
        only=p["only"],
        expiring_within=window_option(module, "expiring_within"),
        rotate_keys=p["rotate_keys"],
        include_ca=p["include_ca"],
        add_sans=p["add_sans"],
        rke_state=p["rke_state"],
        **arguments
    )
    module.exit_json(**renewal_result(module, report))


if __name__ == "__main__":
    main()
