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
  - Each entry carries the fields of C(kubeadm certs check-expiration -o json) in snake_case
    (C(expiration_date), C(residual_time), C(externally_managed), C(ca_name), C(missing)) and
    RFC 3339 C(not_before) and C(not_after).
  - With O(live), also proves what the running components serve - after a renewal and the
    restarts - by dialling each component of the node's layout on 127.0.0.1 (or ::1) only,
    reading the certificate it serves and comparing it with the one on disk (RV(live)).
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
      - Certificates expiring within this relative time have status C(warning), e.g. C(+30d),
        C(30d), C(12h), C(4w).
    type: str
    default: 30d
  live:
    description:
      - Also dial each component of the node on loopback (kube-apiserver 6443, etcd 2379 and
        2380, kubelet 10250, kube-controller-manager 10257, kube-scheduler 10259, the RKE2
        supervisor 9345; k3s supervisor 6443 and kube-apiserver 6444) and report in RV(live)
        whether it serves the certificate on disk (C(current)), an older one that a restart
        replaces (C(outdated)), one of its own (C(unmatched)), or nothing (C(not-running),
        C(no-certificate)).
      - Only 127.0.0.1 and ::1 are dialled, never an address from the tree. The task does not
        fail on an outdated component; test RV(live.outdated) (the playbook
        C(kcert.kubernetes.renew_cluster) retries until it is empty).
      - Ignored when O(paths) is given.
    type: bool
    default: false
  live_ports:
    description:
      - Ports that replace a component's default, by component name (C(kube-apiserver),
        C(etcd), C(etcd-peer), C(kubelet), C(kube-controller-manager), C(kube-scheduler),
        C(supervisor)); a component named here is dialled even when the layout lacks it.
    type: dict
  live_timeout:
    description: The bound on connecting to and reading one component, in seconds.
    type: float
    default: 5
extends_documentation_fragment:
  - kcert.kubernetes.kcert
  - kcert.kubernetes.kcert.relative_time
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads only; runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
author:
  - kcertlib developers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Inventory the node's certificates
  kcert.kubernetes.kcert_info:
  register: certs

- name: Fail when anything has expired
  ansible.builtin.assert:
    that: certs.expired | length == 0
    fail_msg: "expired: {{ certs.expired | join(', ') }}"

- name: Read two files
  kcert.kubernetes.kcert_info:
    paths:
      - /etc/kubernetes/pki/apiserver.crt
      - /etc/kubernetes/admin.conf
    warn_within: +8w

- name: After the restarts, prove every component serves the renewed certificates
  kcert.kubernetes.kcert_info:
    live: true
  register: served
  until: served.live.outdated | length == 0
  retries: 12
  delay: 5
"""

RETURN = r"""
root:
  description: The scanned root, canonical.
  returned: when scanning a node
  type: str
  sample: /
scanned_at:
  description: When the node was scanned, RFC 3339.
  returned: when scanning a node
  type: str
  sample: "2026-11-28T14:22:41Z"
distributions:
  description: The distributions detected.
  returned: when scanning a node
  type: list
  elements: str
  sample: [kubeadm]
certificates:
  description:
    - The leaf certificates (node scan), with kubeadm's fields C(name), C(expiration_date),
      C(residual_time) (seconds), C(externally_managed), C(ca_name), C(missing) plus
      C(not_before), C(not_after), C(status), C(distribution), C(path), C(kubeconfig_user),
      C(key_path), C(subject), C(issuer), C(serial), C(key_matches), C(chain_verifies),
      C(restart), C(problems).
    - With O(paths), every certificate read, with C(path), C(index), C(status) and the
      certificate summary (C(subject), C(issuer), C(serial), C(not_before), C(not_after), SANs,
      key usages).
  returned: always
  type: list
  elements: dict
  sample:
    - name: apiserver
      expiration_date: "2026-11-28T14:22:31Z"
      not_after: "2026-11-28T14:22:31Z"
      not_before: "2025-11-28T14:22:31Z"
      residual_time: 31535990
      status: ok
      ca_name: ca
certificate_authorities:
  description: The CA certificates, with the same fields as RV(certificates) but C(ca_name).
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
live:
  description: What each component serves on loopback, judged against the disk.
  returned: when O(live) is true and a node is scanned
  type: dict
  contains:
    outdated:
      description: The components serving an older certificate than the one on disk.
      type: list
      elements: str
      sample: [etcd]
    components:
      description:
        - One item per component - C(component), C(address), C(port), C(state) (C(current),
          C(outdated), C(unmatched), C(not-running), C(no-certificate)), C(matched_by)
          (C(certificate), C(public-key), C(subject-and-issuer)), C(entry), C(served) and
          C(on_disk) (C(subject), C(issuer), C(serial), C(not_before), C(not_after),
          C(sha256)), C(detail).
      type: list
      elements: dict
      sample:
        - component: etcd
          address: "127.0.0.1:2379"
          port: 2379
          state: outdated
          matched_by: public-key
          entry: etcd-server
          detail: "serves an older certificate of etcd-server (...): restart needed"
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kcert.kubernetes.plugins.module_utils.kcert_common import (
    fail_on_kcert_error,
    kcert,
    require_kcert,
    rfc3339,
    snake_keys,
    window_option,
)


def entry_item(item):
    """One inventory entry in snake_case, with C(not_after) beside kubeadm's C(expiration_date)."""
    item = snake_keys(item)
    item["not_after"] = item.get("expiration_date")
    return item


def node_report(root, warn_within):
    """The inventory of a node as module results."""
    inventory = kcert.scan(root, warn_within=warn_within)
    document = inventory.to_dict()
    entries = list(inventory)
    return dict(
        root=inventory.root,
        scanned_at=rfc3339(inventory.scanned_at),
        distributions=inventory.distributions,
        certificates=[entry_item(e) for e in document["certificates"]],
        certificate_authorities=[entry_item(e) for e in document["certificateAuthorities"]],
        expired=[e.name for e in entries if e.status == "expired"],
        expiring=[e.name for e in entries if e.status == "warning"],
        problems=["%s: %s" % (e.name, p) for e in entries for p in e.problems],
    )


def live_report(root, warn_within, ports, timeout):
    """What each component serves on loopback, as module results."""
    report = kcert.check_live(root, ports=ports or None, timeout=timeout, warn_within=warn_within)
    document = report.to_dict()
    return dict(
        outdated=report.outdated,
        components=[snake_keys(c) for c in document["components"]],
    )


def label(item):
    """`path#index`: which certificate of which file."""
    return "%s#%d" % (item["path"], item["index"])


def files_report(paths, warn_within):
    """Every certificate of the given files as module results."""
    certificates = []
    for path in paths:
        for index, cert in enumerate(kcert.load_certificates(path)):
            item = snake_keys(cert.to_dict())
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
            live=dict(type="bool", default=False),
            live_ports=dict(type="dict"),
            live_timeout=dict(type="float", default=5),
        ),
        supports_check_mode=True,
    )
    require_kcert(module)
    params = module.params
    warn_within = window_option(module, "warn_within")
    if params["paths"]:
        result = fail_on_kcert_error(module, files_report, params["paths"], warn_within)
    else:
        result = fail_on_kcert_error(module, node_report, params["root"], warn_within)
        if params["live"]:
            ports = {}
            for component, port in (params["live_ports"] or {}).items():
                try:
                    ports[component] = int(port)
                except (TypeError, ValueError):
                    module.fail_json(msg="live_ports: %s: %r is not a port" % (component, port))
            result["live"] = fail_on_kcert_error(
                module, live_report, params["root"], warn_within, ports, params["live_timeout"]
            )
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
