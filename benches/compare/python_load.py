#!/usr/bin/env python3
"""Compare kcert.load_certificates with cryptography.x509.load_pem_x509_certificates.

Both parse the same PEM bundle (default 100,000 certificates, each with its own serial, subject
and SANs, generated once with `cryptography` and cached in benches/out/) and then read what an
expiry check reads from every certificate: subject, notAfter, DNS and IP SANs. Each library runs
`--rounds` times; the best round counts (least disturbed by the shared machine).

    .venv/bin/python benches/compare/python_load.py [--count 100000] [--rounds 3]

Prints certificates per second for parse only and for parse + read, and the ratio
kcert / cryptography (above 1: kcert is faster).
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import sys
import time
from pathlib import Path
from typing import Callable, List, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import kcert

OUT = Path(__file__).resolve().parents[1] / "out"


def make_bundle(count: int) -> bytes:
    """`count` distinct leaves (P-256, signed by one P-256 CA), as kubeadm-like as it is cheap."""
    path = OUT / f"python_load_{count}.pem"
    if path.is_file():
        return path.read_bytes()
    print(f"generating {count} certificates with cryptography (cached in {path}) ...", file=sys.stderr)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kcert-bench-ca")])
    leaf_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    chunks = []
    for i in range(count):
        san = x509.SubjectAlternativeName(
            [
                x509.DNSName(f"node{i}.cluster.local"),
                x509.DNSName("kubernetes.default.svc"),
                x509.IPAddress(ipaddress.ip_address(f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")),
            ]
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:nodes"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"system:node:node{i}"),
            ]))
            .issuer_name(ca_name)
            .public_key(leaf_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=365, seconds=i))
            .add_extension(san, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        chunks.append(cert.public_bytes(serialization.Encoding.PEM))
    data = b"".join(chunks)
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def read_kcert(certs: List[kcert.Certificate]) -> int:
    seen = 0
    for c in certs:
        seen += len(c.subject) + c.not_after.year + len(c.dns_names) + len(c.ip_addresses)
    return seen


def read_cryptography(certs: List[x509.Certificate]) -> int:
    seen = 0
    for c in certs:
        subject = c.subject.rfc4514_string()
        not_after = c.not_valid_after_utc
        try:
            san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            dns, ips = san.get_values_for_type(x509.DNSName), san.get_values_for_type(x509.IPAddress)
        except x509.ExtensionNotFound:
            dns, ips = [], []
        seen += len(subject) + not_after.year + len(dns) + len(ips)
    return seen


def best_of(rounds: int, parse: Callable[[bytes], list], read: Callable[[list], int], data: bytes) -> Tuple[float, float, int]:
    """(best parse seconds, best parse+read seconds, checksum)."""
    best_parse = best_total = float("inf")
    checksum = 0
    for _ in range(rounds):
        start = time.perf_counter()
        certs = parse(data)
        parsed = time.perf_counter()
        checksum = read(certs)
        done = time.perf_counter()
        best_parse = min(best_parse, parsed - start)
        best_total = min(best_total, done - start)
        del certs
    return best_parse, best_total, checksum


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="certificates in the bundle")
    parser.add_argument("--rounds", type=int, default=3, help="runs per library; the best counts")
    args = parser.parse_args()

    data = make_bundle(args.count)
    n = len(kcert.load_certificates(data))
    if n != args.count or len(x509.load_pem_x509_certificates(data)) != n:
        print(f"bundle holds {n} certificates, expected {args.count}", file=sys.stderr)
        return 1

    k_parse, k_total, k_sum = best_of(args.rounds, kcert.load_certificates, read_kcert, data)
    c_parse, c_total, c_sum = best_of(args.rounds, x509.load_pem_x509_certificates, read_cryptography, data)
    if k_sum != c_sum:
        print(f"the two libraries read different values ({k_sum} != {c_sum})", file=sys.stderr)
        return 1

    import cryptography

    print(f"bundle: {n} certificates, {len(data) / 1e6:.1f} MB PEM; best of {args.rounds} rounds")
    print(f"{'':28}{'kcert ' + kcert.__version__:>18}{'cryptography ' + cryptography.__version__:>22}{'ratio':>8}")
    for label, k, c in (("parse", k_parse, c_parse), ("parse + subject/notAfter/SANs", k_total, c_total)):
        print(f"{label:28}{n / k:>14,.0f} c/s{n / c:>18,.0f} c/s{c / k:>7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
