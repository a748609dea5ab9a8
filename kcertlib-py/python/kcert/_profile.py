"""Certificate profiles for :func:`kcert.issue`."""

from __future__ import annotations

import enum


class Profile(str, enum.Enum):
    """The extension template of a new certificate.

    Members are strings, so ``Profile.etcd == "etcd"`` and either may be passed to
    :func:`kcert.issue`.
    """

    #: keyUsage digitalSignature + keyEncipherment, extendedKeyUsage clientAuth.
    client = "client"
    #: Like ``client``, plus serverAuth (front-proxy style clients).
    apiproxyclient = "apiproxyclient"
    #: clientAuth + serverAuth with subjectAltNames, for etcd members and peers.
    etcd = "etcd"
    #: clientAuth + serverAuth with subjectAltNames, for API servers.
    api = "api"
    #: A certificate authority: CA:TRUE, keyCertSign + cRLSign.
    ca = "ca"

    def __str__(self) -> str:
        return self.value


Profile.__module__ = "kcert"
