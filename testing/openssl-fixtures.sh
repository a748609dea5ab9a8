#!/usr/bin/env bash
# Build certificate fixtures for kcertlib with the openssl CLI only (no Rust involved), so the
# library is always tested against an independent producer.
#
#   testing/openssl-fixtures.sh OUTDIR
#
# OUTDIR gets good certificates/keys (CAs of four key types, leaves with every extension shape
# kcertlib must keep byte-identical), negative fixtures named by intent under OUTDIR/bad/, the
# openssl.cnf used, and MANIFEST.json describing every file (see testing/README.md).
# File names are fixed; keys and serials are random on every run. Runs in a few seconds.
set -euo pipefail

if [ "$#" -ne 1 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
command -v openssl >/dev/null 2>&1 || { echo "openssl-fixtures: openssl not found (run testing/install-deps.sh)" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "openssl-fixtures: python3 not found (needed to write MANIFEST.json)" >&2; exit 1; }

OUT="$1"
mkdir -p "$OUT/bad"
OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
LOG="$WORK/openssl.log"
RECORDS="$WORK/records.tsv"
: > "$RECORDS"
CNF="$OUT/openssl.cnf"

# openssl prints progress dots and notes on stderr; keep them in a log and show it only on failure.
ossl() {
    if ! openssl "$@" 2>>"$LOG"; then
        echo "openssl-fixtures: failed: openssl $*" >&2
        tail -n 20 "$LOG" >&2
        exit 1
    fi
}

# --- openssl configuration ----------------------------------------------------------------------
# Sections named after the profiles in DESIGN.md ("seed style": client, apiproxyclient, etcd, api,
# plus a CA section). `openssl x509 -req` in OpenSSL 3 adds subjectKeyIdentifier and
# authorityKeyIdentifier on its own unless a section says `none`.
cat > "$CNF" <<'EOF'
# openssl configuration used by testing/openssl-fixtures.sh to build kcertlib fixtures.
[req]
distinguished_name = req_dn
prompt = no

[req_dn]
CN = unused

[v3_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash

# A CA without key identifiers (as old or hand-made CAs are): what it signs gets no AKI.
[v3_ca_noski]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = none
authorityKeyIdentifier = none

# A "CA" that may not sign certificates: leaves under it must fail chain verification.
[ca_nocertsign]
basicConstraints = critical, CA:true
keyUsage = critical, digitalSignature, keyEncipherment
subjectKeyIdentifier = hash

[client]
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth

[apiproxyclient]
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth, serverAuth

[etcd]
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth, serverAuth
subjectAltName = @alt_names

[api]
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth, serverAuth
subjectAltName = @alt_names

[alt_names]
DNS.1 = localhost
DNS.2 = kubernetes
DNS.3 = kubernetes.default
DNS.4 = kubernetes.default.svc
DNS.5 = kubernetes.default.svc.cluster.local
DNS.6 = node1
IP.1 = 127.0.0.1
IP.2 = 10.96.0.1
IP.3 = ::1
IP.4 = fd00:10:96::1

# A client profile without key identifiers (old or hand-made certificates have none).
[noski]
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = none
authorityKeyIdentifier = none

# Everything a faithful re-sign must carry over untouched, unknown extension included.
[exotic]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth, serverAuth
subjectAltName = DNS:exotic.example.test, IP:192.0.2.10, URI:spiffe://cluster.local/ns/x/sa/y, email:ops@example.test
certificatePolicies = @exotic_policy
nsComment = "kcertlib exotic fixture"
1.3.6.1.4.1.55555.1.1 = ASN1:UTF8String:kcert-test

[exotic_policy]
policyIdentifier = 1.3.6.1.4.1.55555.2.1
CPS.1 = "https://example.test/cps"
EOF

# --- helpers ------------------------------------------------------------------------------------
# Key writers. OpenSSL 3 writes PKCS#8 ("PRIVATE KEY") by default; -traditional gives PKCS#1
# ("RSA PRIVATE KEY"), and `ecparam -genkey -noout` gives SEC1 ("EC PRIVATE KEY") without the
# "EC PARAMETERS" block.
key_rsa_pkcs1() { ossl genrsa -traditional -out "$1" "$2"; }
key_rsa_pkcs8() { ossl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$1"; }
key_ec_sec1() { ossl ecparam -name "$2" -genkey -noout -out "$1"; }
key_ec_pkcs8() { ossl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$2" -pkeyopt ec_param_enc:named_curve -out "$1"; }

make_key() { # make_key FILE FORMAT ALGORITHM   (ALGORITHM: rsa-2048 ... | ec-p256 | ec-p384)
    local file="$1" format="$2" alg="$3"
    case "$format:$alg" in
        pkcs1:rsa-*) key_rsa_pkcs1 "$file" "${alg#rsa-}" ;;
        pkcs8:rsa-*) key_rsa_pkcs8 "$file" "${alg#rsa-}" ;;
        sec1:ec-p256) key_ec_sec1 "$file" prime256v1 ;;
        sec1:ec-p384) key_ec_sec1 "$file" secp384r1 ;;
        pkcs8:ec-p256) key_ec_pkcs8 "$file" P-256 ;;
        pkcs8:ec-p384) key_ec_pkcs8 "$file" P-384 ;;
        *) echo "openssl-fixtures: no recipe for key $format $alg" >&2; exit 1 ;;
    esac
    chmod 0600 "$file"
}

# A random positive serial of 16 octets (leading nibble 1 keeps it positive and full length).
new_serial() { printf '0x1%s' "$(openssl rand -hex 15)"; }

# Digest follows the signing key, as Go's x509 does: SHA-384 for P-384, SHA-256 otherwise.
digest_for() { case "$1" in *p384*) echo -sha384 ;; *) echo -sha256 ;; esac; }

# record FILE ROLE ISSUER_FILE KEY_FILE KEY_FORMAT KEY_ALGORITHM PROFILE VERIFY
# One line per fixture for the MANIFEST.json writer at the end. VERIFY is what
# `openssl verify -CAfile ISSUER_FILE FILE` is expected to say: ok or the reason it fails.
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RECORDS"; }

make_ca() { # make_ca NAME SUBJECT KEY_FORMAT KEY_ALGORITHM [SECTION]
    local name="$1" subj="$2" format="$3" alg="$4" section="${5:-v3_ca}"
    make_key "$OUT/$name.key" "$format" "$alg"
    ossl req -x509 -new -config "$CNF" -extensions "$section" -key "$OUT/$name.key" -subj "$subj" \
        -set_serial "$(new_serial)" -days 3650 "$(digest_for "$alg")" -out "$OUT/$name.crt"
    chmod 0644 "$OUT/$name.crt"
    record "$name.crt" ca "$name.crt" "$name.key" "$format" "$alg" "$section" ok
}

# SECTION v1 signs without any extension file: OpenSSL 3.0's `x509 -req` then writes a version 1
# certificate (no version field, no extensions), as old clusters' hand-made certificates are.
sign_leaf() { # sign_leaf NAME SUBJECT CA SECTION DAYS KEY_FORMAT KEY_ALGORITHM [SERIAL] [OUTDIR]
    local name="$1" subj="$2" ca="$3" section="$4" days="$5" format="$6" alg="$7"
    local serial="${8:-$(new_serial)}" dir="${9:-$OUT}"
    local ca_alg extensions=(-extfile "$CNF" -extensions "$section")
    [ "$section" = v1 ] && extensions=()
    ca_alg="$(awk -F'\t' -v f="$ca.crt" '$1 == f { print $6 }' "$RECORDS")"
    [ -f "$dir/$name.key" ] || make_key "$dir/$name.key" "$format" "$alg"
    ossl req -new -config "$CNF" -key "$dir/$name.key" -subj "$subj" -out "$WORK/$name.csr"
    ossl x509 -req -in "$WORK/$name.csr" -CA "$OUT/$ca.crt" -CAkey "$OUT/$ca.key" \
        -set_serial "$serial" -days "$days" "$(digest_for "$ca_alg")" \
        "${extensions[@]}" -out "$dir/$name.crt"
    if [ "$section" = v1 ] && ! openssl x509 -in "$dir/$name.crt" -noout -text | grep -q 'Version: 1 (0x0)'; then
        echo "openssl-fixtures: this openssl did not write $name.crt as version 1" >&2
        exit 1
    fi
    chmod 0644 "$dir/$name.crt"
}

leaf() { # leaf NAME SUBJECT CA SECTION DAYS KEY_FORMAT KEY_ALGORITHM [VERIFY]
    sign_leaf "$1" "$2" "$3" "$4" "$5" "$6" "$7"
    record "$1.crt" leaf "$3.crt" "$1.key" "$6" "$7" "$4" "${8:-ok}"
}

# --- CAs ----------------------------------------------------------------------------------------
make_ca ca-rsa2048 "/CN=kcert-test-ca-rsa2048" pkcs1 rsa-2048
make_ca ca-rsa4096 "/O=kcert test/CN=kcert-test-ca-rsa4096" pkcs8 rsa-4096
make_ca ca-p256 "/CN=kcert-test-ca-p256" sec1 ec-p256
make_ca ca-p384 "/CN=kcert-test-ca-p384" sec1 ec-p384
make_ca ca-nocertsign "/CN=kcert-test-ca-nocertsign" pkcs1 rsa-2048 ca_nocertsign
make_ca ca-noski "/CN=kcert-test-ca-noski" pkcs1 rsa-2048 v3_ca_noski

# --- good leaves --------------------------------------------------------------------------------
leaf client "/O=kubeadm:cluster-admins/CN=kubernetes-admin" ca-rsa2048 client 365 pkcs1 rsa-2048
leaf apiproxyclient "/CN=front-proxy-client" ca-rsa2048 apiproxyclient 365 pkcs8 rsa-2048
leaf etcd "/CN=node1" ca-p256 etcd 365 sec1 ec-p256
leaf api "/CN=kube-apiserver" ca-rsa4096 api 365 pkcs1 rsa-3072
# 100 years: notAfter lies after 2049, so it is a GeneralizedTime (RFC 5280 4.1.2.5); RSA leaf
# under an EC CA.
leaf century "/CN=century-client" ca-p256 client 36500 pkcs8 rsa-2048
leaf noski "/CN=noski-client" ca-rsa2048 noski 365 pkcs1 rsa-2048
# EC leaf under an RSA CA, with every extension shape a re-sign must keep.
leaf exotic "/C=DE/L=Berlin/O=kcert test/OU=Platform Team/CN=exotic.example.test/emailAddress=ops@example.test" \
    ca-rsa4096 exotic 365 sec1 ec-p256
leaf p384leaf "/CN=p384-leaf" ca-p384 apiproxyclient 365 pkcs8 ec-p384
# Version 1 leaves (no extensions at all): re-signed under a CA with an SKI they gain an AKI and
# must become v3; under a CA without one they stay v1.
leaf v1-leaf "/CN=v1-client" ca-rsa2048 v1 365 pkcs1 rsa-2048
leaf v1-leaf-of-noski "/CN=v1-client-of-noski" ca-noski v1 365 pkcs8 rsa-2048
leaf leaf-of-nocertsign "/CN=leaf-of-nocertsign" ca-nocertsign client 365 pkcs1 rsa-2048 \
    issuer-lacks-keycertsign

# chain.crt: leaf followed by its CA, as k3s/RKE2 write their leaf files. The key is etcd.key.
cat "$OUT/etcd.crt" "$OUT/ca-p256.crt" > "$OUT/chain.crt"
record chain.crt chain ca-p256.crt etcd.key sec1 ec-p256 etcd ok

# bundle_messy.pem: three certificates as people paste them: text around and between the blocks,
# CRLF line endings, blank lines, and one block wrapped at 76 columns (MIME style) instead of 64.
{
    printf 'Bundle assembled by hand.\nclient certificate follows:\n\n'
    cat "$OUT/client.crt"
    printf '\n\n# the CA, wrapped at 76 columns\n'
    echo '-----BEGIN CERTIFICATE-----'
    openssl x509 -in "$OUT/ca-rsa2048.crt" -outform DER | base64 -w 76
    echo '-----END CERTIFICATE-----'
    printf '\nsome notes between blocks\n\n\n'
    cat "$OUT/etcd.crt"
    printf '\ntrailing text\n'
} | sed 's/$/\r/' > "$OUT/bundle_messy.pem"
record bundle_messy.pem bundle - - - - - ok

# --- negative fixtures, named by intent ---------------------------------------------------------
BAD="$OUT/bad"
openssl x509 -in "$OUT/client.crt" -outform DER -out "$WORK/client.der"
der_len="$(stat -c %s "$WORK/client.der")"

: > "$BAD/empty.pem"
record bad/empty.pem bad - - - - empty -
head -c "$((der_len / 2))" "$WORK/client.der" > "$BAD/truncated.der"
record bad/truncated.der bad - - - - truncated -
sed '/-----END CERTIFICATE-----/d' "$OUT/client.crt" > "$BAD/pem_no_end.pem"
record bad/pem_no_end.pem bad - - - - pem-no-end -
printf -- '-----BEGIN CERTIFICATE-----\nThis is *not* base64 at all!!\n%%%%%%%% ~~~ ####\n-----END CERTIFICATE-----\n' \
    > "$BAD/base64_garbage.pem"
record bad/base64_garbage.pem bad - - - - bad-base64 -
{ cat "$WORK/client.der"; printf 'trailing-bytes\0\1\2'; } > "$BAD/trailing_data.der"
record bad/trailing_data.der bad - - - - trailing-data -

# A correctly signed certificate whose serial is the DER INTEGER -5. OpenSSL 3.0's
# `x509 -set_serial -5` writes exactly that, so no DER editing is needed.
# Its key is kept as bad/negative_serial.key.
sign_leaf negative_serial "/CN=negative-serial" ca-rsa2048 client 365 pkcs1 rsa-2048 -5 "$BAD"
mv "$BAD/negative_serial.crt" "$BAD/negative_serial.pem"
record bad/negative_serial.pem bad ca-rsa2048.crt bad/negative_serial.key pkcs1 rsa-2048 negative-serial -

# Encrypted forms of client.key (password "x"): decrypted, each matches client.crt.
ossl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:x -in "$OUT/client.key" -out "$BAD/encrypted_pkcs8.key"
record bad/encrypted_pkcs8.key bad client.crt - pkcs8 rsa-2048 encrypted -
# PKCS#1 with "Proc-Type: 4,ENCRYPTED" / "DEK-Info" headers (OpenSSL's legacy PEM encryption).
ossl rsa -traditional -aes256 -passout pass:x -in "$OUT/client.key" -out "$BAD/encrypted_legacy.key"
record bad/encrypted_legacy.key bad client.crt - pkcs1 rsa-2048 encrypted -

# Key algorithms kcertlib does not support (PKCS#8 "PRIVATE KEY" blocks), and an Ed25519
# certificate to go with the key.
ossl genpkey -algorithm ed25519 -out "$BAD/ed25519.key"
record bad/ed25519.key bad - - pkcs8 ed25519 unsupported-algorithm -
ossl req -x509 -new -config "$CNF" -extensions v3_ca -key "$BAD/ed25519.key" -subj "/CN=kcert-test-ed25519" \
    -days 365 -out "$BAD/ed25519.crt"
record bad/ed25519.crt bad bad/ed25519.crt bad/ed25519.key pkcs8 ed25519 unsupported-algorithm -
if openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out "$WORK/dsa.param" 2>>"$LOG" \
    && openssl genpkey -paramfile "$WORK/dsa.param" -out "$BAD/dsa.key" 2>>"$LOG"; then
    record bad/dsa.key bad - - pkcs8 dsa-2048 unsupported-algorithm -
else
    echo "openssl-fixtures: note: this openssl cannot generate DSA keys; bad/dsa.key skipped" >&2
    rm -f "$BAD/dsa.key"
fi

# A valid key that belongs to no certificate here.
make_key "$BAD/wrong_key_for_client.key" pkcs1 rsa-2048
record bad/wrong_key_for_client.key bad client.crt - pkcs1 rsa-2048 key-mismatch -

chmod 0600 "$BAD"/*.key

# --- MANIFEST.json ------------------------------------------------------------------------------
# Facts about each certificate are read back from the files with openssl, so the manifest says
# what is in them, not what this script meant to put there.
python3 - "$OUT" "$RECORDS" <<'PY'
import json
import os
import subprocess
import sys
from datetime import datetime, timezone

out, records = sys.argv[1], sys.argv[2]

def openssl(*args):
    return subprocess.run(["openssl", *args], check=True, capture_output=True, text=True).stdout

def iso(openssl_date):
    # "Nov 28 14:01:15 2026 GMT" -> "2026-11-28T14:01:15Z"
    dt = datetime.strptime(openssl_date.strip(), "%b %d %H:%M:%S %Y %Z")
    return dt.replace(tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

def cert_facts(path):
    text = openssl("x509", "-in", path, "-noout", "-subject", "-issuer", "-serial",
                   "-startdate", "-enddate", "-nameopt", "RFC2253")
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    serial = int(fields["serial"], 16)  # openssl prints e.g. 01A3... or -05
    sigalg = ""
    for line in openssl("x509", "-in", path, "-noout", "-text").splitlines():
        if "Signature Algorithm:" in line:
            sigalg = line.split(":", 1)[1].strip()
            break
    return {
        "subject": fields["subject"],
        "issuer": fields["issuer"],
        # lowercase, no leading zeros, "-" for negative: the form testing/judge.py prints
        "serial_hex": format(serial, "x") if serial >= 0 else "-" + format(-serial, "x"),
        "serial": serial,
        "not_before": iso(fields["notBefore"]),
        "not_after": iso(fields["notAfter"]),
        "signature_algorithm": sigalg,
    }

def pem_certs(path):
    """Split a PEM bundle (any line endings, text between blocks) into single PEM certs."""
    blocks, cur = [], None
    with open(path, encoding="ascii") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line == "-----BEGIN CERTIFICATE-----":
                cur = [line]
            elif line == "-----END CERTIFICATE-----" and cur is not None:
                cur.append(line)
                blocks.append("\n".join(cur) + "\n")
                cur = None
            elif cur is not None and line:
                cur.append(line)
    return blocks

def subjects_of_bundle(path):
    subjects = []
    for block in pem_certs(path):
        tmp = os.path.join(out, ".manifest-tmp.pem")
        with open(tmp, "w") as f:
            f.write(block)
        try:
            subjects.append(cert_facts(tmp)["subject"])
        finally:
            os.unlink(tmp)
    return subjects

def opt(value):
    return None if value == "-" else value

files = {}
for line in open(records):
    name, role, issuer, key, fmt, alg, profile, verify = line.rstrip("\n").split("\t")
    entry = {"role": role}
    if role in ("ca", "leaf"):
        entry.update(cert_facts(os.path.join(out, name)))
        entry.update({
            "issuer_file": issuer, "key_file": key, "key_format": fmt, "key_algorithm": alg,
            "profile": profile, "self_signed": issuer == name, "openssl_verify": verify,
        })
        files[key] = {"role": "key", "key_format": fmt, "key_algorithm": alg, "cert_file": name}
    elif role in ("chain", "bundle"):
        entry["subjects"] = subjects_of_bundle(os.path.join(out, name))
        entry["count"] = len(entry["subjects"])
        if role == "chain":
            entry.update({"issuer_file": issuer, "key_file": key, "key_format": fmt,
                          "key_algorithm": alg, "profile": profile})
    else:  # bad
        obj = "key" if name.endswith(".key") else "cert"
        entry.update({"intent": profile, "object": obj})
        # For a bad cert the third column is its issuer; for a bad key, the cert it relates to.
        extra = (("issuer_file" if obj == "cert" else "related_cert", opt(issuer)),
                 ("key_file", opt(key)), ("key_format", opt(fmt)), ("key_algorithm", opt(alg)))
        entry.update({field: value for field, value in extra if value is not None})
        if profile == "encrypted":
            entry.update({"password": "x", "decrypts_to": "client.key"})
        if profile == "negative-serial":
            entry["serial"] = -5
    files[name] = entry

manifest = {
    "schema": 1,
    "generator": "testing/openssl-fixtures.sh",
    "openssl_version": openssl("version").strip(),
    "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "files": dict(sorted(files.items())),
}
with open(os.path.join(out, "MANIFEST.json"), "w") as f:
    json.dump(manifest, f, indent=2)
    f.write("\n")
PY

echo "openssl-fixtures: wrote $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["files"]))' "$OUT/MANIFEST.json") entries to $OUT/MANIFEST.json"
