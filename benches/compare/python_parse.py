#!/usr/bin/env python3
"""W1 (a PEM bundle) and W2 (one file per certificate) from Python: ``import kcert`` or
``cryptography``, reading subject, notAfter and SANs of every certificate.

    .venv/bin/python benches/compare/python_parse.py --lib kcert|cryptography \\
        --workload W1|W2|W2-sample --work target/compare-work [--reps 3]

Prints one JSON result line (bench_common). ``W2-sample`` reads only the first ``--sample``
files (what the openssl loop reads).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import Checksum, emit, time_runs  # noqa: E402


def read_kcert(certs: list) -> Checksum:
    sum_ = Checksum()
    for c in certs:
        _subject = c.subject
        sum_.add(len(c.dns_names) + len(c.ip_addresses), int(c.not_after.timestamp()), c.common_name or "")
    return sum_


def read_cryptography(certs: list) -> Checksum:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    sum_ = Checksum()
    for c in certs:
        _subject = c.subject.rfc4514_string()
        not_after = c.not_valid_after_utc
        try:
            san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            n = len(san.get_values_for_type(x509.DNSName)) + len(san.get_values_for_type(x509.IPAddress))
        except x509.ExtensionNotFound:
            n = 0
        cns = c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        cn = cns[0].value if cns else ""
        sum_.add(n, int(not_after.timestamp()), cn if isinstance(cn, str) else cn.decode())
    return sum_


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lib", choices=["kcert", "cryptography"], required=True)
    p.add_argument("--workload", choices=["W1", "W2", "W2-sample"], required=True)
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--sample", type=int, default=500)
    a = p.parse_args()

    if a.lib == "kcert":
        import kcert

        load_bundle = kcert.load_certificates
        load_one = lambda data: kcert.load_certificates(data)[0]  # noqa: E731
        read = read_kcert
        tool, version = "kcertlib-python", kcert.__version__
    else:
        import cryptography
        from cryptography import x509

        load_bundle = x509.load_pem_x509_certificates
        load_one = x509.load_pem_x509_certificate
        read = read_cryptography
        tool, version = "python-cryptography", cryptography.__version__

    if a.workload == "W1":
        data = (a.work / "bundle.pem").read_bytes()
        runs, sum_ = time_runs(a.reps, lambda: read(load_bundle(data)))
        variant = "load_certificates" if a.lib == "kcert" else "load_pem_x509_certificates"
    else:
        files: List[Path] = sorted((a.work / "files").iterdir())
        if a.workload == "W2-sample":
            files = files[: a.sample]
        runs, sum_ = time_runs(a.reps, lambda: read([load_one(f.read_bytes()) for f in files]))
        variant = "per file"
    emit(tool, variant, a.workload, sum_.count, runs, sum_.to_json(), {"version": version})
    return 0


if __name__ == "__main__":
    sys.exit(main())
