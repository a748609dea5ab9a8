#!/usr/bin/env bash
# Build a kubeadm control-plane node's PKI under ROOT with the openssl CLI, independently of
# kcertlib, in the shape of reference/layouts.md §1 (kubeadm 1.29+ subjects, 1.31+ extensions).
#
#   testing/openssl-tree.sh [--valid] [--force] [--manifest FILE] [--port PORT] [--kubelet-pki] ROOT
#
# Default: the cluster was "installed two years ago" and never renewed: CAs (10 years) are still
# valid, every leaf (365 days) expired a year ago. libfaketime moves openssl's clock back, which is
# exactly how people renew by hand today. --valid issues the same leaves now (backdated 5 minutes,
# like kubeadm >= 1.31), so they are valid for a year.
# --force replaces an existing ROOT/etc/kubernetes. --manifest writes a JSON description of every
# entry (see testing/README.md). --port sets the API server port in every kubeconfig (default
# 6443), so parallel tests can each run their own loopback server. Takes a few seconds, mostly
# RSA key generation.
# --kubelet-pki also writes ROOT/var/lib/kubelet/pki as a node looks after kubeadm's
# kubelet-finalize phase (layouts.md §1.9): a rotated client cert+key pem (ECDSA P-256) behind the
# symlink kubelet-client-current.pem (absolute target, as kubelet writes it, so it points outside
# ROOT), the self-signed serving kubelet.crt (leaf followed by its throwaway CA) + kubelet.key, and
# kubelet.conf referring to the current pem instead of embedding the cert.
#
# Layout written (node name node1, advertise address 127.0.0.1, API server https://127.0.0.1:PORT):
#   ROOT/etc/kubernetes/pki/{ca,front-proxy-ca,apiserver,apiserver-kubelet-client,
#                            apiserver-etcd-client,front-proxy-client}.{crt,key}, sa.{key,pub}
#   ROOT/etc/kubernetes/pki/etcd/{ca,server,peer,healthcheck-client}.{crt,key}
#   ROOT/etc/kubernetes/{admin,super-admin,controller-manager,scheduler,kubelet}.conf
set -euo pipefail

usage() { echo "usage: $0 [--valid] [--force] [--manifest FILE] [--port PORT] [--kubelet-pki] ROOT" >&2; exit 2; }

VALID=0
FORCE=0
MANIFEST=""
PORT=6443
KUBELET_PKI=0
ROOT=""
while [ "$#" -gt 0 ]; do
    case "$1" in
        --valid) VALID=1 ;;
        --kubelet-pki) KUBELET_PKI=1 ;;
        --force) FORCE=1 ;;
        --manifest) [ "$#" -ge 2 ] || usage; MANIFEST="$2"; shift ;;
        --port)
            if [ "$#" -lt 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]]; then usage; fi
            PORT="$2"; shift ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        -*) echo "openssl-tree: unknown option: $1" >&2; usage ;;
        *) [ -z "$ROOT" ] || usage; ROOT="$1" ;;
    esac
    shift
done
[ -n "$ROOT" ] || usage

die() { echo "openssl-tree: error: $*" >&2; exit 1; }
command -v openssl >/dev/null 2>&1 || die "openssl not found (run testing/install-deps.sh)"
command -v faketime >/dev/null 2>&1 || die "faketime not found (run testing/install-deps.sh; Debian package faketime)"
command -v base64 >/dev/null 2>&1 || die "base64 not found"

mkdir -p "$ROOT"
ROOT="$(cd "$ROOT" && pwd -P)"
[ "$ROOT" != "/" ] || die "refusing to write into / (give a temporary directory)"
K8S="$ROOT/etc/kubernetes"
PKI="$K8S/pki"
KUBELET="$ROOT/var/lib/kubelet/pki"
for dir in "$K8S" "$KUBELET"; do
    if [ -e "$dir" ]; then
        [ "$FORCE" -eq 1 ] || die "$dir exists (use --force to replace it)"
        rm -rf "$dir"
    fi
done
mkdir -p "$PKI/etcd"
chmod 0755 "$ROOT/etc" "$K8S" "$PKI" "$PKI/etcd"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
LOG="$WORK/openssl.log"
CNF="$WORK/openssl.cnf"

ossl() {
    if ! "$@" 2>>"$LOG"; then
        echo "openssl-tree: failed: $*" >&2
        tail -n 20 "$LOG" >&2
        exit 1
    fi
}

# The clock the CAs and leaves are made at. The CAs are two years old in both modes; --valid only
# changes when the leaves were issued.
CA_CLOCK=(faketime -f "-730d")
if [ "$VALID" -eq 1 ]; then
    LEAF_CLOCK=(faketime -f "-300s")
else
    LEAF_CLOCK=(faketime -f "-730d")
fi
# Make sure libfaketime really reaches openssl here (a static or setuid openssl would ignore it).
probe_year="$("${CA_CLOCK[@]}" date -u +%Y)"
[ "$probe_year" -lt "$(date -u +%Y)" ] || die "faketime does not move the clock back on this machine"

# --- openssl configuration: extensions as Go's crypto/x509 writes them for kubeadm --------------
# CA: basicConstraints CA:true, keyUsage digitalSignature+keyEncipherment+keyCertSign (all
# critical), SKI, no AKI (Go omits it on self-signed certs), SAN DNS:<CN> (kubeadm >= 1.31).
# Leaf: keyUsage digitalSignature+keyEncipherment, EKU, basicConstraints CA:false, AKI = the CA's
# SKI, no SKI (Go adds one only to CAs). string_mask=default gives PrintableString names, as Go.
cat > "$CNF" <<'EOF'
[req]
distinguished_name = req_dn
string_mask = default
[req_dn]

# Sections list extensions in the order Go writes them (keyUsage, extKeyUsage, basicConstraints,
# SKI, AKI, SAN); openssl keeps the order of the section.
[kubeadm_ca]
keyUsage = critical, digitalSignature, keyEncipherment, keyCertSign
basicConstraints = critical, CA:true
subjectKeyIdentifier = hash
authorityKeyIdentifier = none
subjectAltName = DNS:${ENV::KCERT_CA_SAN}

[client]
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
basicConstraints = critical, CA:false
subjectKeyIdentifier = none
authorityKeyIdentifier = keyid:always

[apiserver]
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
basicConstraints = critical, CA:false
subjectKeyIdentifier = none
authorityKeyIdentifier = keyid:always
subjectAltName = @apiserver_names

# kubeadm sorts DNS names and keeps IPs in first-seen order (layouts.md §1.4); localhost is an
# extra certSAN here so that loopback TLS tests can use either name.
[apiserver_names]
DNS.1 = kubernetes
DNS.2 = kubernetes.default
DNS.3 = kubernetes.default.svc
DNS.4 = kubernetes.default.svc.cluster.local
DNS.5 = localhost
DNS.6 = node1
IP.1 = 10.96.0.1
IP.2 = 127.0.0.1

[etcd_server]
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
basicConstraints = critical, CA:false
subjectKeyIdentifier = none
authorityKeyIdentifier = keyid:always
subjectAltName = @etcd_names

# kubelet's rotated client cert from the kube-apiserver-client-kubelet signer (ECDSA key, so no
# keyEncipherment).
[kubelet_client]
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
basicConstraints = critical, CA:false
subjectKeyIdentifier = none
authorityKeyIdentifier = keyid:always

# kubelet's self-signed serving pair (client-go GenerateSelfSignedCertKey): a throwaway CA and a leaf.
[kubelet_selfsigned_ca]
keyUsage = critical, digitalSignature, keyEncipherment, keyCertSign
basicConstraints = critical, CA:true
subjectKeyIdentifier = hash
authorityKeyIdentifier = none

[kubelet_serving]
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
basicConstraints = critical, CA:false
subjectKeyIdentifier = none
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:node1

[etcd_names]
DNS.1 = localhost
DNS.2 = node1
IP.1 = 127.0.0.1
IP.2 = ::1
EOF

# The CA section's SAN comes from the environment; openssl wants the variable set whenever it
# reads the file.
export KCERT_CA_SAN=unused

# A random serial in [1, 2^63-1], as kubeadm >= 1.31 draws them.
new_serial() {
    local n
    n="$(( $(od -An -N8 -tu8 /dev/urandom) & 0x7fffffffffffffff ))"
    [ "$n" -ne 0 ] || n=1
    printf '0x%x' "$n"
}

# kubeadm writes RSA-2048 keys as PKCS#1 "RSA PRIVATE KEY" (layouts.md §1.6), mode 0600.
# RSA key generation is most of the run time, so all keys are made up front, in parallel.
new_keys() {
    local pids=() key
    for key in "$@"; do
        openssl genrsa -traditional -out "$key" 2048 2>>"$LOG" &
        pids+=("$!")
    done
    for key in "${pids[@]}"; do
        wait "$key" || { tail -n 20 "$LOG" >&2; die "openssl genrsa failed"; }
    done
    chmod 0600 "$@"
}

# ca BASE CN: self-signed CA at PKI/BASE.{crt,key}.
ca() {
    local base="$1" cn="$2"
    KCERT_CA_SAN="$cn" ossl "${CA_CLOCK[@]}" openssl req -x509 -new -config "$CNF" -extensions kubeadm_ca \
        -key "$PKI/$base.key" -subj "/CN=$cn" -set_serial "$(new_serial)" -days 3650 -sha256 \
        -out "$PKI/$base.crt"
    chmod 0644 "$PKI/$base.crt"
}

# sign OUT_CRT KEY CA_BASE SUBJECT SECTION: a 365-day leaf for KEY, signed by PKI/CA_BASE
# (CA_BASE may also be an absolute path without the .crt/.key suffix).
sign() {
    local crt="$1" key="$2" ca_base="$3" subj="$4" section="$5"
    case "$ca_base" in /*) ;; *) ca_base="$PKI/$ca_base" ;; esac
    ossl openssl req -new -config "$CNF" -key "$key" -subj "$subj" -out "$WORK/leaf.csr"
    ossl "${LEAF_CLOCK[@]}" openssl x509 -req -in "$WORK/leaf.csr" \
        -CA "$ca_base.crt" -CAkey "$ca_base.key" -set_serial "$(new_serial)" \
        -days 365 -sha256 -extfile "$CNF" -extensions "$section" -out "$crt"
    chmod 0644 "$crt"
}

# leaf BASE CA_BASE SUBJECT SECTION: PKI/BASE.{crt,key}.
leaf() {
    sign "$PKI/$1.crt" "$PKI/$1.key" "$2" "$3" "$4"
}

b64() { base64 -w0 < "$1"; }

# kubeconfig FILE USER O: client cert signed by ca, embedded as kubeadm writes it (clientcmd's
# field order; one cluster "kubernetes", context "<user>@kubernetes").
kubeconfig() {
    local file="$1" user="$2" org="$3" subj conf
    conf="$(basename "$file" .conf)"
    subj="/CN=$user"
    [ -z "$org" ] || subj="/O=$org/CN=$user"
    sign "$WORK/$conf.crt" "$WORK/$conf.key" ca "$subj" client
    {
        if [ "$conf" = admin ]; then
            echo "# kubeadm admin kubeconfig (test fixture): comments and field order must survive renewal"
        fi
        cat <<EOF
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: $(b64 "$PKI/ca.crt")
    server: https://127.0.0.1:$PORT
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: $user
  name: $user@kubernetes
current-context: $user@kubernetes
kind: Config
preferences: {}
users:
- name: $user
  user:
    client-certificate-data: $(b64 "$WORK/$conf.crt")
    client-key-data: $(b64 "$WORK/$conf.key")
EOF
    } > "$file"
    chmod 0600 "$file"
}

# --- the tree -----------------------------------------------------------------------------------
new_keys "$PKI"/{ca,front-proxy-ca,apiserver,apiserver-kubelet-client,apiserver-etcd-client}.key \
    "$PKI"/{front-proxy-client,sa}.key "$PKI"/etcd/{ca,server,peer,healthcheck-client}.key \
    "$WORK"/{admin,super-admin,controller-manager,scheduler,kubelet}.key
ca ca kubernetes
ca front-proxy-ca front-proxy-ca
ca etcd/ca etcd-ca

leaf apiserver ca "/CN=kube-apiserver" apiserver
leaf apiserver-kubelet-client ca "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client" client
leaf apiserver-etcd-client etcd/ca "/CN=kube-apiserver-etcd-client" client
leaf front-proxy-client front-proxy-ca "/CN=front-proxy-client" client
leaf etcd/server etcd/ca "/CN=node1" etcd_server
leaf etcd/peer etcd/ca "/CN=node1" etcd_server
leaf etcd/healthcheck-client etcd/ca "/CN=kube-etcd-healthcheck-client" client

# Service-account signing key pair: no certificate (layouts.md §1.7).
ossl openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"
chmod 0644 "$PKI/sa.pub"

kubeconfig "$K8S/admin.conf" kubernetes-admin kubeadm:cluster-admins
kubeconfig "$K8S/super-admin.conf" kubernetes-super-admin system:masters
kubeconfig "$K8S/controller-manager.conf" system:kube-controller-manager ""
kubeconfig "$K8S/scheduler.conf" system:kube-scheduler ""
kubeconfig "$K8S/kubelet.conf" system:node:node1 system:nodes

if [ "$KUBELET_PKI" -eq 1 ]; then
    mkdir -p "$KUBELET"
    chmod 0755 "$ROOT/var" "$ROOT/var/lib" "$ROOT/var/lib/kubelet" "$KUBELET"
    # Rotated client cert: file named after its issue time, cert block(s) then key block, 0600.
    stamp="$("${LEAF_CLOCK[@]}" date -u +%Y-%m-%d-%H-%M-%S)"
    ossl openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/kubelet-client.key"
    sign "$WORK/kubelet-client.crt" "$WORK/kubelet-client.key" ca "/O=system:nodes/CN=system:node:node1" kubelet_client
    cat "$WORK/kubelet-client.crt" "$WORK/kubelet-client.key" > "$KUBELET/kubelet-client-$stamp.pem"
    chmod 0600 "$KUBELET/kubelet-client-$stamp.pem"
    ln -s "/var/lib/kubelet/pki/kubelet-client-$stamp.pem" "$KUBELET/kubelet-client-current.pem"

    # Self-signed serving pair: kubelet.crt holds the leaf followed by its throwaway CA.
    unix="$("${LEAF_CLOCK[@]}" date -u +%s)"
    new_keys "$WORK/kubelet-ca.key" "$KUBELET/kubelet.key"
    ossl "${LEAF_CLOCK[@]}" openssl req -x509 -new -config "$CNF" -extensions kubelet_selfsigned_ca \
        -key "$WORK/kubelet-ca.key" -subj "/CN=node1-ca@$unix" -set_serial "$(new_serial)" -days 365 \
        -sha256 -out "$WORK/kubelet-ca.crt"
    sign "$WORK/kubelet-serving.crt" "$KUBELET/kubelet.key" "$WORK/kubelet-ca" "/CN=node1@$unix" kubelet_serving
    cat "$WORK/kubelet-serving.crt" "$WORK/kubelet-ca.crt" > "$KUBELET/kubelet.crt"
    chmod 0644 "$KUBELET/kubelet.crt"

    # kubelet-finalize: drop the embedded pair, point both fields at the current pem.
    current=/var/lib/kubelet/pki/kubelet-client-current.pem
    sed -i -e "s#^    client-certificate-data: .*#    client-certificate: $current#" \
        -e "s#^    client-key-data: .*#    client-key: $current#" "$K8S/kubelet.conf"
fi

# --- optional manifest --------------------------------------------------------------------------
if [ -n "$MANIFEST" ]; then
    command -v python3 >/dev/null 2>&1 || die "python3 is needed for --manifest"
    python3 - "$ROOT" "$MANIFEST" "$VALID" "$PORT" "$KUBELET_PKI" <<'PY'
import base64, json, os, re, subprocess, sys, tempfile
from datetime import datetime, timezone

root, out, valid, port = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
kubelet_pki = sys.argv[5] == "1"

def facts(pem_path):
    text = subprocess.run(
        ["openssl", "x509", "-in", pem_path, "-noout", "-subject", "-issuer", "-enddate",
         "-startdate", "-nameopt", "RFC2253"], check=True, capture_output=True, text=True).stdout
    f = dict(line.split("=", 1) for line in text.splitlines())
    return {"subject": f["subject"], "issuer": f["issuer"], "not_before": iso(f["notBefore"]),
            "not_after": iso(f["notAfter"])}

def iso(openssl_date):
    dt = datetime.strptime(openssl_date.strip(), "%b %d %H:%M:%S %Y %Z")
    return dt.replace(tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

entries = []
pki = "etc/kubernetes/pki"
for name, base, ca, eku in [
    ("ca", "ca", None, []), ("front-proxy-ca", "front-proxy-ca", None, []),
    ("etcd-ca", "etcd/ca", None, []),
    ("apiserver", "apiserver", "ca", ["serverAuth"]),
    ("apiserver-kubelet-client", "apiserver-kubelet-client", "ca", ["clientAuth"]),
    ("apiserver-etcd-client", "apiserver-etcd-client", "etcd-ca", ["clientAuth"]),
    ("front-proxy-client", "front-proxy-client", "front-proxy-ca", ["clientAuth"]),
    ("etcd-server", "etcd/server", "etcd-ca", ["serverAuth", "clientAuth"]),
    ("etcd-peer", "etcd/peer", "etcd-ca", ["serverAuth", "clientAuth"]),
    ("etcd-healthcheck-client", "etcd/healthcheck-client", "etcd-ca", ["clientAuth"]),
]:
    cert = f"{pki}/{base}.crt"
    entries.append({"name": name, "kind": "ca" if ca is None else "leaf", "cert": cert,
                    "key": f"{pki}/{base}.key", "ca_name": ca, "eku": eku,
                    "expired": (not valid) and ca is not None, **facts(os.path.join(root, cert))})

for conf in ["admin", "super-admin", "controller-manager", "scheduler", "kubelet"]:
    path = f"etc/kubernetes/{conf}.conf"
    text = open(os.path.join(root, path)).read()
    data = re.search(r"client-certificate-data: (\S+)", text)
    if data is None:  # kubelet.conf after kubelet-finalize: the cert is in the current pem
        # The symlink's target is absolute (/var/lib/...), so re-root it under ROOT.
        kp = os.path.join(root, "var/lib/kubelet/pki")
        info = facts(os.path.join(kp, os.path.basename(os.readlink(os.path.join(kp, "kubelet-client-current.pem")))))
        info["client_certificate"] = "/var/lib/kubelet/pki/kubelet-client-current.pem"
    else:
        with tempfile.NamedTemporaryFile("wb", suffix=".pem") as tmp:
            tmp.write(base64.b64decode(data.group(1)))
            tmp.flush()
            info = facts(tmp.name)
    entries.append({"name": f"{conf}.conf", "kind": "kubeconfig", "kubeconfig": path,
                    "ca_name": "ca", "eku": ["clientAuth"], "expired": not valid,
                    "server": f"https://127.0.0.1:{port}", **info})

if kubelet_pki:
    kp = "var/lib/kubelet/pki"
    target = os.readlink(os.path.join(root, kp, "kubelet-client-current.pem"))
    entries.append({"name": "kubelet-client-current", "kind": "kubelet-client-pem",
                    "cert": f"{kp}/kubelet-client-current.pem", "symlink_target": target,
                    "key": f"{kp}/kubelet-client-current.pem", "key_algorithm": "ec-p256",
                    "ca_name": "ca", "eku": ["clientAuth"], "expired": not valid,
                    **facts(os.path.join(root, kp, os.path.basename(target)))})
    entries.append({"name": "kubelet-serving", "kind": "self-signed-chain",
                    "cert": f"{kp}/kubelet.crt", "key": f"{kp}/kubelet.key", "ca_name": None,
                    "eku": ["serverAuth"], "expired": not valid,
                    **facts(os.path.join(root, kp, "kubelet.crt"))})

json.dump({"schema": 1, "generator": "testing/openssl-tree.sh", "root": root,
           "mode": "valid" if valid else "expired", "node": "node1",
           "sa": {"key": f"{pki}/sa.key", "pub": f"{pki}/sa.pub"}, "entries": entries},
          open(out, "w"), indent=2)
PY
fi

echo "openssl-tree: wrote kubeadm tree under $ROOT ($([ "$VALID" -eq 1 ] && echo "valid leaves" || echo "leaves expired"))"
