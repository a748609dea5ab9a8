#!/usr/bin/env python3
"""W3 (RSA-2048 CA) and W4 (P-256 CA) from Python: re-sign every leaf of resign.pem with a new
validity, keeping everything else.

    .venv/bin/python benches/compare/python_resign.py --lib kcert|kcert-one-shot|cryptography \\
        --ca rsa|p256 --work target/compare-work [--reps 3]

``kcert``: ``kcert.Issuer(ca_cert, ca_key).resign(cert)``, one issuer for every leaf, as a
script re-signing many certificates with one CA writes it; ``kcert-one-shot``:
``kcert.resign(cert, ca_cert, ca_key)``, which checks the CA again on every call.
``cryptography``: what a Python user writes, a ``CertificateBuilder`` copying subject, public key
and every extension (the authority key identifier pointed at the CA), new serial and validity,
signed with the CA key and SHA-256.
Outputs of the last run are checked (signature, subject, SAN count) outside the timing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import Checksum, emit, time_runs_cpu  # noqa: E402


def run_kcert(work: Path, ca: str, reps: int, one_shot: bool):
    import kcert

    leaves = kcert.load_certificates(work / "resign.pem")
    ca_cert = kcert.load_certificates(work / f"ca-{ca}.crt")[0]
    ca_key = kcert.PrivateKey.load(work / f"ca-{ca}.key")
    issuer = kcert.Issuer(ca_cert, ca_key)
    if one_shot:
        variant = "resign, issuer per call"

        def resign_all(batch):
            return [kcert.resign(c, ca_cert, ca_key) for c in batch]
    else:
        variant = "Issuer.resign"

        def resign_all(batch):
            return [issuer.resign(c) for c in batch]

    # Warm-up, one untimed pass, as kcert-bench does: the first signature seeds AWS-LC's random
    # number generator once per process and the first pass pays the page faults of the outputs'
    # memory; openssl speed counts neither.
    resign_all(leaves)
    runs, cpu, out = time_runs_cpu(reps, lambda: resign_all(leaves))
    sum_ = Checksum()
    for old, new in zip(leaves, out):
        assert new.subject == old.subject and new.issuer == ca_cert.subject
        sum_.add(len(new.dns_names) + len(new.ip_addresses), 0, new.common_name or "")
    return "kcertlib-python", variant, len(leaves), runs, cpu, sum_, kcert.__version__


def run_cryptography(work: Path, ca: str, reps: int):
    import cryptography
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    leaves = x509.load_pem_x509_certificates((work / "resign.pem").read_bytes())
    ca_cert = x509.load_pem_x509_certificate((work / f"ca-{ca}.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((work / f"ca-{ca}.key").read_bytes(), None)
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski)

    def resign_all():
        now = dt.datetime.now(dt.timezone.utc)
        out = []
        for c in leaves:
            b = (
                x509.CertificateBuilder()
                .subject_name(c.subject)
                .issuer_name(ca_cert.subject)
                .public_key(c.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(hours=1))
                .not_valid_after(now + dt.timedelta(days=365))
            )
            for ext in c.extensions:
                value = aki if isinstance(ext.value, x509.AuthorityKeyIdentifier) else ext.value
                b = b.add_extension(value, ext.critical)
            out.append(b.sign(ca_key, hashes.SHA256()))
        return out

    runs, cpu, out = time_runs_cpu(reps, resign_all)
    sum_ = Checksum()
    for old, new in zip(leaves, out):
        new.verify_directly_issued_by(ca_cert)
        assert new.subject == old.subject
        san = new.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        n = len(san.get_values_for_type(x509.DNSName)) + len(san.get_values_for_type(x509.IPAddress))
        cn = new.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        sum_.add(n, 0, cn if isinstance(cn, str) else cn.decode())
    return "python-cryptography", "CertificateBuilder", len(leaves), runs, cpu, sum_, cryptography.__version__


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lib", choices=["kcert", "kcert-one-shot", "cryptography"], required=True)
    p.add_argument("--ca", choices=["rsa", "p256"], required=True)
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args()
    if a.lib == "cryptography":
        tool, variant, n, runs, cpu, sum_, version = run_cryptography(a.work, a.ca, a.reps)
    else:
        tool, variant, n, runs, cpu, sum_, version = run_kcert(a.work, a.ca, a.reps, a.lib == "kcert-one-shot")
    workload = "W3" if a.ca == "rsa" else "W4"
    emit(tool, variant, workload, n, runs, sum_.to_json(timeless=True), {"ca": a.ca, "version": version},
         cpu=cpu)
    return 0


if __name__ == "__main__":
    sys.exit(main())
