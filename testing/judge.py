#!/usr/bin/env python3
"""Independent judge for kcertlib's output, built on Python `cryptography` (not on kcertlib).

Run it with the test venv's interpreter:  .venv/bin/python testing/judge.py SUBCOMMAND ...

  verify LEAF CA          exit 0 iff LEAF's signature verifies with CA's key and LEAF's issuer
                          name is CA's subject (cryptography's verify_directly_issued_by)
  client-verify LEAF CA   exit 0 iff LEAF builds a valid chain to CA as a TLS *client* cert
                          under cryptography's RFC 5280 / Web PKI policy, at the current time or
                          --at. Default --policy kubernetes: as webpki, except that the leaf may
                          lack subjectAltName (Kubernetes client certs carry none)
  dump CERT               print the certificate as JSON (fields listed in testing/README.md)
  compare OLD NEW         print which dump fields differ; with --allow, exit 1 when any other
                          field differs
  key-match CERT KEY      exit 0 iff KEY's public key is CERT's public key

A CERT argument is a PEM file (the first certificate is used unless --index is given; with
verify/client-verify the other certificates of LEAF's file are offered as intermediates), a DER
file, or `kubeconfig:PATH` / `kubeconfig-ca:PATH` for the first base64 `client-certificate-data`
/ `certificate-authority-data` in a kubeconfig. A KEY argument may be `kubeconfig:PATH` too
(`client-key-data`).

Exit codes: 0 = yes / done, 1 = the judgment is no (verification failed, fields differ outside
--allow, key does not match), 2 = bad input or usage (message on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
import warnings
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, NoReturn

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
    from cryptography.x509.oid import ExtensionOID, NameOID
except ImportError as exc:  # pragma: no cover - environment problem, not a test outcome
    print(f"judge: error: python cryptography is missing ({exc}); run testing/install-deps.sh "
          "and use .venv/bin/python", file=sys.stderr)
    sys.exit(2)

EXIT_OK, EXIT_NO, EXIT_BAD_INPUT = 0, 1, 2


class InputError(Exception):
    """Bad input: unreadable file, not a certificate, ... Reported on stderr with exit code 2."""


def fail(message: str) -> NoReturn:
    raise InputError(message)


# --- loading ------------------------------------------------------------------------------------

KUBECONFIG_FIELDS = {
    "kubeconfig": "client-certificate-data",
    "kubeconfig-ca": "certificate-authority-data",
}


def read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror or exc}")


def kubeconfig_field(path: str, field: str) -> bytes:
    """The decoded value of the first `field:` line in a kubeconfig (a text search, no YAML)."""
    text = read_bytes(path).decode("utf-8", errors="replace")
    match = re.search(rf"^\s*{re.escape(field)}:\s*[\"']?([A-Za-z0-9+/=]+)", text, re.MULTILINE)
    if match is None:
        fail(f"{path}: no {field} in kubeconfig")
    try:
        return base64.b64decode(match.group(1), validate=True)
    except binascii.Error:
        fail(f"{path}: {field} is not valid base64")


def load_certs(spec: str) -> list[x509.Certificate]:
    """Every certificate in a PEM/DER file or kubeconfig field; the first is the leaf."""
    prefix, _, rest = spec.partition(":")
    if prefix in KUBECONFIG_FIELDS and rest:
        data, name = kubeconfig_field(rest, KUBECONFIG_FIELDS[prefix]), spec
    else:
        data, name = read_bytes(spec), spec
    if not data:
        fail(f"{name}: empty file")
    # cryptography warns (and will one day refuse) on e.g. negative serials; the judge reports
    # such warnings in `dump` instead of printing them.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if b"-----BEGIN" in data:
                certs = x509.load_pem_x509_certificates(data)
            else:
                certs = [x509.load_der_x509_certificate(data)]
        except ValueError as exc:
            fail(f"{name}: not a valid certificate: {exc}")
    if not certs:
        fail(f"{name}: no certificate found")
    return certs


def load_cert(spec: str, index: int = 0) -> x509.Certificate:
    certs = load_certs(spec)
    if not 0 <= index < len(certs):
        fail(f"{spec}: has {len(certs)} certificate(s), no index {index}")
    return certs[index]


def load_private_key(spec: str, password: str | None) -> Any:
    prefix, _, rest = spec.partition(":")
    data = kubeconfig_field(rest, "client-key-data") if prefix == "kubeconfig" and rest else read_bytes(spec)
    pw = password.encode() if password is not None else None
    try:
        if b"-----BEGIN" in data:
            return serialization.load_pem_private_key(data, password=pw)
        return serialization.load_der_private_key(data, password=pw)
    except TypeError as exc:  # encrypted without a password, or password given for a plain key
        fail(f"{spec}: {exc}")
    except (ValueError, UnsupportedAlgorithm) as exc:
        fail(f"{spec}: not a usable private key: {exc}")


# --- a minimal DER reader, for the raw bytes a faithful re-sign must keep -------------------------
# cryptography exposes parsed values; tests need the exact encoded bytes of the subject, issuer,
# SPKI and each extension, so the certificate is also walked here, independently of kcertlib.


def der_items(buf: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """Top-level TLVs in buf[start:end] as (tag, header_start, content_start, end)."""
    items = []
    pos = start
    while pos < end:
        head, tag = pos, buf[pos]
        if tag & 0x1F == 0x1F:
            raise ValueError("multi-byte DER tags are not used in X.509")
        length = buf[pos + 1]
        pos += 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(buf[pos:pos + n], "big")
            pos += n
        if pos + length > end:
            raise ValueError("DER length runs past the end")
        items.append((tag, head, pos, pos + length))
        pos += length
    return items


def decode_oid(content: bytes) -> str:
    arcs, value = [], 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])


TIME_ENCODINGS = {0x17: "UTCTime", 0x18: "GeneralizedTime"}


def raw_tbs_parts(der: bytes) -> dict[str, Any]:
    """Raw subject/issuer/SPKI/extension bytes and time encodings from the certificate DER."""
    (_, _, cert_start, cert_end), = der_items(der, 0, len(der))
    tbs = der_items(der, cert_start, cert_end)[0]
    fields = der_items(der, tbs[2], tbs[3])
    if fields and fields[0][0] == 0xA0:  # explicit version
        fields = fields[1:]
    _serial, _sigalg, issuer, validity, subject, spki = fields[:6]
    times = der_items(der, validity[2], validity[3])
    extensions = []
    for tag, _, start, end in fields[6:]:
        if tag != 0xA3:
            continue
        (_, _, seq_start, seq_end), = der_items(der, start, end)
        for _, _, ext_start, ext_end in der_items(der, seq_start, seq_end):
            parts = der_items(der, ext_start, ext_end)
            oid = decode_oid(der[parts[0][2]:parts[0][3]])
            critical = len(parts) == 3 and der[parts[1][2]:parts[1][3]] != b"\x00"
            value = der[parts[-1][2]:parts[-1][3]]
            extensions.append({"oid": oid, "critical": critical, "value_hex": value.hex()})
    return {
        "issuer_der": der[issuer[1]:issuer[3]],
        "subject_der": der[subject[1]:subject[3]],
        "spki_der": der[spki[1]:spki[3]],
        "not_before_encoding": TIME_ENCODINGS.get(times[0][0], hex(times[0][0])),
        "not_after_encoding": TIME_ENCODINGS.get(times[1][0], hex(times[1][0])),
        "extensions": extensions,
    }


# --- dump ---------------------------------------------------------------------------------------

EXTENSION_NAMES = {
    oid.dotted_string: name.lower()
    for name, oid in vars(ExtensionOID).items()
    if isinstance(oid, x509.ObjectIdentifier)
}
# Print emailAddress by name, as `openssl x509 -nameopt RFC2253` does, instead of its OID.
NAME_OVERRIDES = {NameOID.EMAIL_ADDRESS: "emailAddress"}


def rfc4514(name: x509.Name) -> str:
    return name.rfc4514_string(NAME_OVERRIDES)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def public_key_summary(key: Any) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPublicKey):
        return {"algorithm": "rsa", "bits": key.key_size}
    if isinstance(key, ec.EllipticCurvePublicKey):
        return {"algorithm": "ec", "curve": key.curve.name, "bits": key.key_size}
    if isinstance(key, ed25519.Ed25519PublicKey):
        return {"algorithm": "ed25519"}
    if isinstance(key, ed448.Ed448PublicKey):
        return {"algorithm": "ed448"}
    if isinstance(key, dsa.DSAPublicKey):
        return {"algorithm": "dsa", "bits": key.key_size}
    return {"algorithm": type(key).__name__}


def general_names(names: Iterable[x509.GeneralName]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"dns": [], "ip": [], "uri": [], "email": []}
    for gn in names:
        if isinstance(gn, x509.DNSName):
            out["dns"].append(gn.value)
        elif isinstance(gn, x509.IPAddress):
            out["ip"].append(str(gn.value))
        elif isinstance(gn, x509.UniformResourceIdentifier):
            out["uri"].append(gn.value)
        elif isinstance(gn, x509.RFC822Name):
            out["email"].append(gn.value)
        elif isinstance(gn, x509.DirectoryName):
            out.setdefault("dirname", []).append(rfc4514(gn.value))
        elif isinstance(gn, x509.RegisteredID):
            out.setdefault("rid", []).append(gn.value.dotted_string)
        elif isinstance(gn, x509.OtherName):
            out.setdefault("other", []).append(f"{gn.type_id.dotted_string}:{gn.value.hex()}")
    return out


def parsed_extensions(cert: x509.Certificate) -> tuple[dict[str, Any], str | None]:
    """Typed views of the extensions the tests look at; an unparseable set gives an error text."""
    out: dict[str, Any] = {
        "sans": {"dns": [], "ip": [], "uri": [], "email": []},
        "key_usage": None,
        "extended_key_usage": None,
        "basic_constraints": None,
        "subject_key_identifier_hex": None,
        "authority_key_identifier_hex": None,
    }
    try:
        exts = cert.extensions
    except ValueError as exc:
        return out, str(exc)
    for ext in exts:
        v = ext.value
        if isinstance(v, x509.SubjectAlternativeName):
            out["sans"] = general_names(v)
        elif isinstance(v, x509.KeyUsage):
            flags = ["digital_signature", "content_commitment", "key_encipherment",
                     "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign"]
            usages = [f for f in flags if getattr(v, f)]
            if v.key_agreement:
                usages += [f for f in ("encipher_only", "decipher_only") if getattr(v, f)]
            out["key_usage"] = usages
        elif isinstance(v, x509.ExtendedKeyUsage):
            out["extended_key_usage"] = [getattr(o, "_name", None) or o.dotted_string for o in v]
            out["extended_key_usage_oids"] = [o.dotted_string for o in v]
        elif isinstance(v, x509.BasicConstraints):
            out["basic_constraints"] = {"ca": v.ca, "path_length": v.path_length}
        elif isinstance(v, x509.SubjectKeyIdentifier):
            out["subject_key_identifier_hex"] = v.digest.hex()
        elif isinstance(v, x509.AuthorityKeyIdentifier):
            out["authority_key_identifier_hex"] = v.key_identifier.hex() if v.key_identifier else None
    return out, None


def dump(cert: x509.Certificate) -> dict[str, Any]:
    der = cert.public_bytes(serialization.Encoding.DER)
    try:
        raw = raw_tbs_parts(der)
    except (ValueError, IndexError) as exc:
        fail(f"cannot walk certificate DER: {exc}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        serial = cert.serial_number
    extensions = [
        {"oid": e["oid"], "name": EXTENSION_NAMES.get(e["oid"]), "critical": e["critical"],
         "value_hex": e["value_hex"]}
        for e in raw["extensions"]
    ]
    parsed, ext_error = parsed_extensions(cert)
    try:
        public_key = public_key_summary(cert.public_key())
    except (ValueError, UnsupportedAlgorithm) as exc:
        public_key = {"algorithm": "unsupported", "error": str(exc)}
    out: dict[str, Any] = {
        "version": cert.version.value + 1,
        "subject": rfc4514(cert.subject),
        "subject_der_hex": raw["subject_der"].hex(),
        "issuer": rfc4514(cert.issuer),
        "issuer_der_hex": raw["issuer_der"].hex(),
        "serial": serial,
        "serial_hex": format(serial, "x") if serial >= 0 else "-" + format(-serial, "x"),
        "not_before": iso(cert.not_valid_before_utc),
        "not_after": iso(cert.not_valid_after_utc),
        "not_before_encoding": raw["not_before_encoding"],
        "not_after_encoding": raw["not_after_encoding"],
        **parsed,
        "extensions": extensions,
        "public_key": public_key,
        "spki_sha256": hashlib.sha256(raw["spki_der"]).hexdigest(),
        "signature_algorithm_oid": cert.signature_algorithm_oid.dotted_string,
        "signature_algorithm": getattr(cert.signature_algorithm_oid, "_name", None),
        "signature_hex": cert.signature.hex(),
        "fingerprint_sha256": hashlib.sha256(der).hexdigest(),
    }
    if ext_error is not None:
        out["extensions_error"] = ext_error
    if caught:
        out["parse_warnings"] = [str(w.message) for w in caught]
    return out


# --- compare ------------------------------------------------------------------------------------


def flatten(d: dict[str, Any]) -> dict[str, Any]:
    """Dump fields for comparison; each extension becomes its own field `extension:<oid>`."""
    flat = {k: v for k, v in d.items() if k != "extensions"}
    flat["extension_order"] = [e["oid"] for e in d["extensions"]]
    for e in d["extensions"]:
        flat[f"extension:{e['oid']}"] = {"critical": e["critical"], "value_hex": e["value_hex"]}
    return flat


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    a, b = flatten(old), flatten(new)
    differ = {}
    for key in sorted(set(a) | set(b)):
        if a.get(key, "<absent>") != b.get(key, "<absent>"):
            differ[key] = {"old": a.get(key, "<absent>"), "new": b.get(key, "<absent>")}
    same = sorted(k for k in set(a) & set(b) if k not in differ)
    return {"different": sorted(differ), "same": same, "changes": differ}


# --- subcommands --------------------------------------------------------------------------------


def emit(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def brief(cert: x509.Certificate, spec: str) -> dict[str, Any]:
    return {"file": spec, "subject": rfc4514(cert.subject), "issuer": rfc4514(cert.issuer)}


def cmd_verify(args: argparse.Namespace) -> int:
    leaf, ca = load_cert(args.leaf), load_cert(args.ca)
    error = None
    try:
        leaf.verify_directly_issued_by(ca)
    except InvalidSignature:
        error = "signature does not verify with the CA's public key"
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        error = str(exc) or type(exc).__name__
    emit({"result": "ok" if error is None else "fail", "error": error,
          "leaf": brief(leaf, args.leaf), "ca": brief(ca, args.ca),
          "signature_algorithm": getattr(leaf.signature_algorithm_oid, "_name", None)
          or leaf.signature_algorithm_oid.dotted_string})
    return EXIT_OK if error is None else EXIT_NO


def parse_at(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail(f"--at: not an ISO 8601 time: {text}")
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def cmd_client_verify(args: argparse.Namespace) -> int:
    from cryptography.x509.verification import (
        Criticality,
        ExtensionPolicy,
        PolicyBuilder,
        Store,
        VerificationError,
    )

    chain = load_certs(args.leaf)
    leaf, intermediates = chain[0], chain[1:]
    roots = load_certs(args.ca)
    at = parse_at(args.at)
    result: dict[str, Any] = {"leaf": brief(leaf, args.leaf), "ca": brief(roots[0], args.ca),
                              "at": iso(at)}
    builder = PolicyBuilder().store(Store(roots)).time(at)
    if args.policy == "kubernetes":
        # cryptography's client verifier insists on a SAN in the leaf by default; kubeadm, RKE
        # and k3s client certs identify the user by CN/O only.
        ee = ExtensionPolicy.webpki_defaults_ee().may_be_present(
            x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
        builder = builder.extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee)
    try:
        verifier = builder.build_client_verifier()
        verified = verifier.verify(leaf, intermediates)
    except VerificationError as exc:
        emit({"result": "fail", "error": str(exc), **result})
        return EXIT_NO
    except (ValueError, TypeError) as exc:  # e.g. a CA the policy cannot use at all
        emit({"result": "fail", "error": str(exc) or type(exc).__name__, **result})
        return EXIT_NO
    emit({"result": "ok", "error": None, **result,
          "chain": [rfc4514(c.subject) for c in verified.chain],
          "sans": general_names(verified.subjects) if verified.subjects else None})
    return EXIT_OK


def cmd_dump(args: argparse.Namespace) -> int:
    certs = load_certs(args.cert)
    if args.all:
        emit([dump(c) for c in certs])
    else:
        if not 0 <= args.index < len(certs):
            fail(f"{args.cert}: has {len(certs)} certificate(s), no index {args.index}")
        emit(dump(certs[args.index]))
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    result = compare(dump(load_cert(args.old, args.index)), dump(load_cert(args.new, args.index)))
    allowed = {f.strip() for f in (args.allow or "").split(",") if f.strip()}
    unexpected = [f for f in result["different"] if f not in allowed]
    result["unexpected"] = unexpected if args.allow is not None else None
    emit(result)
    return EXIT_NO if args.allow is not None and unexpected else EXIT_OK


def cmd_key_match(args: argparse.Namespace) -> int:
    cert = load_cert(args.cert, args.index)
    key = load_private_key(args.key, args.password)
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    try:
        cert_spki = cert.public_key().public_bytes(*spki)
    except (ValueError, UnsupportedAlgorithm) as exc:
        fail(f"{args.cert}: unsupported public key: {exc}")
    matches = key.public_key().public_bytes(*spki) == cert_spki
    emit({"result": "ok" if matches else "fail", "cert": brief(cert, args.cert), "key": args.key,
          "key_type": public_key_summary(key.public_key())})
    return EXIT_OK if matches else EXIT_NO


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # usage errors: exit 2 with one clear line
        self.print_usage(sys.stderr)
        print(f"judge: error: {message}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="judge.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    s = sub.add_parser("verify", help="signature of LEAF verifies with CA's key")
    s.add_argument("leaf")
    s.add_argument("ca")
    s.set_defaults(func=cmd_verify)

    s = sub.add_parser("client-verify", help="LEAF is a valid TLS client cert chaining to CA")
    s.add_argument("leaf")
    s.add_argument("ca")
    s.add_argument("--at", help="verification time, ISO 8601 (default: now)")
    s.add_argument("--policy", choices=("kubernetes", "webpki"), default="kubernetes",
                   help="kubernetes (default): SAN optional in the leaf; webpki: cryptography's defaults")
    s.set_defaults(func=cmd_client_verify)

    s = sub.add_parser("dump", help="certificate as JSON")
    s.add_argument("cert")
    s.add_argument("--index", type=int, default=0, help="which certificate of a bundle (default 0)")
    s.add_argument("--all", action="store_true", help="dump every certificate of the file, as a list")
    s.set_defaults(func=cmd_dump)

    s = sub.add_parser("compare", help="which dump fields differ between OLD and NEW")
    s.add_argument("old")
    s.add_argument("new")
    s.add_argument("--index", type=int, default=0)
    s.add_argument("--allow", metavar="FIELDS",
                   help="comma-separated fields allowed to differ; others make the exit code 1")
    s.set_defaults(func=cmd_compare)

    s = sub.add_parser("key-match", help="KEY is the private key of CERT")
    s.add_argument("cert")
    s.add_argument("key")
    s.add_argument("--index", type=int, default=0)
    s.add_argument("--password", help="password of an encrypted key")
    s.set_defaults(func=cmd_key_match)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as exc:
        print(f"judge: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into e.g. `head`
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the judge never shows a traceback for bad input
        print(f"judge: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
