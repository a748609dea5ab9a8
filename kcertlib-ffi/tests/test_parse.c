/*
 * Parsing and reading certificates, keys and bundles through libkcert, on openssl-made fixtures.
 *
 *   test_parse FIXTURE_DIR EXPECTED_TSV
 *
 * FIXTURE_DIR is the output of testing/openssl-fixtures.sh. EXPECTED_TSV has one line per
 * certificate file, written by run-c-tests.sh from the openssl CLI (the independent judge):
 *   path \t subject (RFC 2253) \t issuer \t notBefore (Unix) \t notAfter (Unix) \t serial (hex)
 *   \t SANs (Python cryptography: DNS:..|IP:..|URI:..|email:.., or - for none)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "harness.h"

static const char *fixtures;

static kcert_cert *parse_file(const char *name) {
    size_t len;
    unsigned char *data = harness_read(fixtures, name, &len);
    kcert_cert *cert = NULL;
    EXPECT_OK(kcert_cert_parse(data, len, &cert));
    free(data);
    return cert;
}

static kcert_key *parse_key_file(const char *name) {
    size_t len;
    unsigned char *data = harness_read(fixtures, name, &len);
    kcert_key *key = NULL;
    EXPECT_OK(kcert_key_parse(data, len, &key));
    free(data);
    return key;
}

/* Serial numbers compared without leading zeros and case, as openssl and kcertlib differ there. */
static const char *skip_zeros(const char *hex) {
    while (*hex == '0' && hex[1] != '\0') {
        hex++;
    }
    return hex;
}

/* Each certificate of the TSV: every accessor agrees with openssl. */
static void test_accessors_match_openssl(const char *tsv_path) {
    char line[8192];
    int certs = 0;
    FILE *tsv = fopen(tsv_path, "r");
    if (tsv == NULL) {
        fprintf(stderr, "cannot read %s\n", tsv_path);
        exit(2);
    }
    while (fgets(line, sizeof line, tsv) != NULL) {
        char *path = strtok(line, "\t\n");
        char *subject = strtok(NULL, "\t\n");
        char *issuer = strtok(NULL, "\t\n");
        char *not_before = strtok(NULL, "\t\n");
        char *not_after = strtok(NULL, "\t\n");
        char *serial = strtok(NULL, "\t\n");
        char *sans = strtok(NULL, "\t\n");
        size_t len;
        unsigned char *data;
        kcert_cert *cert = NULL;
        char *text = NULL;
        if (path == NULL || sans == NULL) {
            continue;
        }
        certs++;
        data = harness_read("/", path, &len);
        EXPECT_OK(kcert_cert_parse(data, len, &cert));
        free(data);
        if (cert == NULL) {
            fprintf(stderr, "  (while parsing %s)\n", path);
            continue;
        }
        EXPECT_OK(kcert_cert_subject(cert, &text));
        CHECK_STR(text, subject);
        kcert_string_free(text);
        EXPECT_OK(kcert_cert_issuer(cert, &text));
        CHECK_STR(text, issuer);
        kcert_string_free(text);
        CHECK(kcert_cert_not_before(cert) == strtoll(not_before, NULL, 10));
        CHECK(kcert_cert_not_after(cert) == strtoll(not_after, NULL, 10));
        EXPECT_OK(kcert_cert_serial_hex(cert, &text));
        CHECK_STR(skip_zeros(text), skip_zeros(serial));
        kcert_string_free(text);
        EXPECT_OK(kcert_cert_subject_alt_names(cert, &text));
        if (text != NULL) {
            /* One line per name, each ending in \n: compare as the TSV writes them. */
            size_t n = strlen(text);
            for (size_t i = 0; i < n; i++) {
                if (text[i] == '\n') {
                    text[i] = i + 1 == n ? '\0' : '|';
                }
            }
            CHECK_STR(n == 0 ? "-" : text, sans);
        }
        kcert_string_free(text);
        kcert_cert_free(cert);
    }
    fclose(tsv);
    CHECK(certs >= 5);
}

static void test_der_and_pem_round_trip(void) {
    size_t pem_len, der_len;
    unsigned char *pem = harness_read(fixtures, "client.crt", &pem_len);
    kcert_cert *from_pem = NULL, *from_der = NULL, *again = NULL;
    const uint8_t *der = NULL;
    char *pem_out = NULL;
    EXPECT_OK(kcert_cert_parse(pem, pem_len, &from_pem));
    EXPECT_OK(kcert_cert_der(from_pem, &der, &der_len));
    CHECK(der != NULL && der_len > 100 && der[0] == 0x30);
    /* DER input parses to the same certificate. */
    EXPECT_OK(kcert_cert_parse(der, der_len, &from_der));
    CHECK(kcert_cert_not_after(from_der) == kcert_cert_not_after(from_pem));
    /* PEM output parses back to the same bytes. */
    EXPECT_OK(kcert_cert_to_pem(from_der, &pem_out));
    CHECK(pem_out != NULL && strncmp(pem_out, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
    EXPECT_OK(kcert_cert_parse((const uint8_t *)pem_out, strlen(pem_out), &again));
    {
        const uint8_t *der2 = NULL;
        size_t der2_len = 0;
        EXPECT_OK(kcert_cert_der(again, &der2, &der2_len));
        CHECK(der2_len == der_len && memcmp(der2, der, der_len) == 0);
    }
    kcert_string_free(pem_out);
    kcert_cert_free(again);
    kcert_cert_free(from_der);
    kcert_cert_free(from_pem);
    free(pem);
}

static void test_json_summary(void) {
    kcert_cert *api = parse_file("api.crt");
    kcert_cert *ca = parse_file("ca-rsa2048.crt");
    char *json = NULL;
    EXPECT_OK(kcert_cert_to_json(api, &json));
    CHECK(json != NULL && json[0] == '{');
    CHECK(json != NULL && strstr(json, "\"subject\":\"CN=kube-apiserver\"") != NULL);
    CHECK(json != NULL && strstr(json, "\"isCa\":false") != NULL);
    CHECK(json != NULL && strstr(json, "\"kubernetes.default.svc\"") != NULL);
    CHECK(json != NULL && strstr(json, "\"serverAuth\"") != NULL);
    CHECK(json != NULL && strstr(json, "\"publicKeyAlgorithm\":\"RSA-3072\"") != NULL);
    CHECK(json != NULL && strstr(json, "\"notAfter\":\"") != NULL);
    kcert_string_free(json);
    json = NULL;
    EXPECT_OK(kcert_cert_to_json(ca, &json));
    CHECK(json != NULL && strstr(json, "\"isCa\":true") != NULL);
    CHECK(json != NULL && strstr(json, "\"keyCertSign\"") != NULL);
    CHECK(kcert_cert_is_ca(ca));
    CHECK(!kcert_cert_is_ca(api));
    kcert_string_free(json);
    kcert_cert_free(api);
    kcert_cert_free(ca);
}

struct bad_input {
    const char *file; /* fixture file, or NULL to use `bytes` */
    const char *bytes;
    kcert_result cert_status;
};

/* Every bad input fails with the right status and a message, and leaves `out` alone. */
static void test_bad_certificates(void) {
    static const struct bad_input cases[] = {
        {"bad/empty.pem", NULL, KCERT_PEM},
        {"bad/truncated.der", NULL, KCERT_DER},
        {"bad/pem_no_end.pem", NULL, KCERT_PEM},
        {"bad/base64_garbage.pem", NULL, KCERT_PEM},
        {"bad/trailing_data.der", NULL, KCERT_DER},
        {"bad/negative_serial.pem", NULL, KCERT_INVALID_CERTIFICATE},
        {"client.key", NULL, KCERT_PEM},
        {NULL, "this is not a certificate", KCERT_PEM},
        {NULL, "\x30\x82\x01", KCERT_DER},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        unsigned char *data;
        kcert_cert *cert = SENTINEL;
        kcert_bundle *bundle = SENTINEL;
        if (cases[i].file != NULL) {
            data = harness_read(fixtures, cases[i].file, &len);
        } else {
            len = strlen(cases[i].bytes);
            data = malloc(len + 1);
            memcpy(data, cases[i].bytes, len + 1);
        }
        fprintf(stderr, "bad certificate input %s\n", cases[i].file ? cases[i].file : cases[i].bytes);
        EXPECT_FAIL(kcert_cert_parse(data, len, &cert), cases[i].cert_status);
        CHECK(cert == SENTINEL);
        EXPECT_FAIL(kcert_bundle_parse(data, len, &bundle), cases[i].cert_status);
        CHECK(bundle == SENTINEL);
        free(data);
    }
}

/* The certificate at `index` of `bundle`, a copy the caller frees (NULL after a failed check). */
static kcert_cert *bundle_entry(const kcert_bundle *bundle, size_t index) {
    kcert_cert *cert = NULL;
    EXPECT_OK(kcert_bundle_get(bundle, index, &cert));
    return cert;
}

static void test_bundles(void) {
    size_t len;
    unsigned char *data = harness_read(fixtures, "bundle_messy.pem", &len);
    kcert_bundle *bundle = NULL;
    kcert_cert *first, *second, *third, *out = SENTINEL;
    char *subject = NULL;
    EXPECT_OK(kcert_bundle_parse(data, len, &bundle));
    free(data);
    CHECK(kcert_bundle_len(bundle) == 3);
    first = bundle_entry(bundle, 0);
    second = bundle_entry(bundle, 1);
    third = bundle_entry(bundle, 2);
    EXPECT_OK(kcert_cert_subject(first, &subject));
    CHECK_STR(subject, "CN=kubernetes-admin,O=kubeadm:cluster-admins");
    kcert_string_free(subject);
    CHECK(kcert_cert_is_ca(second));
    EXPECT_OK(kcert_cert_subject(third, &subject));
    CHECK_STR(subject, "CN=node1");
    kcert_string_free(subject);
    EXPECT_FAIL(kcert_bundle_get(bundle, 3, &out), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_bundle_get(bundle, (size_t)-1, &out), KCERT_INVALID_ARGUMENT);
    CHECK(out == SENTINEL);
    EXPECT_FAIL(kcert_bundle_get(bundle, 0, NULL), KCERT_NULL_ARGUMENT);

    /* Entries are the caller's: freeing one, then the bundle, corrupts nothing (ASan and
     * valgrind watch), and an entry freed after its bundle is still whole until then. */
    kcert_cert_free(first);
    kcert_cert_free(second);
    kcert_bundle_free(bundle);
    EXPECT_OK(kcert_cert_subject(third, &subject));
    CHECK_STR(subject, "CN=node1");
    kcert_string_free(subject);
    kcert_cert_free(third);

    data = harness_read(fixtures, "chain.crt", &len);
    bundle = NULL;
    EXPECT_OK(kcert_bundle_parse(data, len, &bundle));
    CHECK(kcert_bundle_len(bundle) == 2);
    first = bundle_entry(bundle, 0);
    second = bundle_entry(bundle, 1);
    CHECK(!kcert_cert_is_ca(first) && kcert_cert_is_ca(second));
    /* The same entry twice gives two independent copies. */
    third = bundle_entry(bundle, 0);
    CHECK(third != first && kcert_cert_not_after(third) == kcert_cert_not_after(first));
    kcert_cert_free(third);
    kcert_cert_free(first);
    kcert_cert_free(second);
    kcert_bundle_free(bundle);
    /* kcert_cert_parse takes the first certificate of a chain. */
    {
        kcert_cert *first = NULL;
        EXPECT_OK(kcert_cert_parse(data, len, &first));
        CHECK(!kcert_cert_is_ca(first));
        kcert_cert_free(first);
    }
    free(data);
}

struct key_case {
    const char *file;
    const char *algorithm;
    const char *pem_label;
    const char *cert;
};

static void test_keys(void) {
    static const struct key_case good[] = {
        {"client.key", "RSA-2048", "-----BEGIN RSA PRIVATE KEY-----", "client.crt"},
        {"apiproxyclient.key", "RSA-2048", "-----BEGIN PRIVATE KEY-----", "apiproxyclient.crt"},
        {"etcd.key", "ECDSA-P256", "-----BEGIN EC PRIVATE KEY-----", "etcd.crt"},
        {"p384leaf.key", "ECDSA-P384", "-----BEGIN PRIVATE KEY-----", "p384leaf.crt"},
        {"ca-rsa4096.key", "RSA-4096", "-----BEGIN PRIVATE KEY-----", "ca-rsa4096.crt"},
    };
    size_t i;
    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        kcert_key *key = parse_key_file(good[i].file);
        kcert_cert *cert = parse_file(good[i].cert);
        kcert_cert *other = parse_file("noski.crt");
        char *text = NULL;
        bool matches = false;
        EXPECT_OK(kcert_key_algorithm(key, &text));
        CHECK_STR(text, good[i].algorithm);
        kcert_string_free(text);
        text = NULL;
        EXPECT_OK(kcert_key_to_pem(key, &text));
        CHECK(text != NULL && strncmp(text, good[i].pem_label, strlen(good[i].pem_label)) == 0);
        kcert_string_free(text);
        EXPECT_OK(kcert_key_matches(key, cert, &matches));
        CHECK(matches);
        matches = true;
        EXPECT_OK(kcert_key_matches(key, other, &matches));
        CHECK(!matches);
        kcert_cert_free(other);
        kcert_cert_free(cert);
        kcert_key_free(key);
    }
    /* The wrong key for client.crt parses but does not match. */
    {
        kcert_key *wrong = parse_key_file("bad/wrong_key_for_client.key");
        kcert_cert *client = parse_file("client.crt");
        bool matches = true;
        EXPECT_OK(kcert_key_matches(wrong, client, &matches));
        CHECK(!matches);
        kcert_cert_free(client);
        kcert_key_free(wrong);
    }
}

static void test_bad_keys(void) {
    static const struct bad_input cases[] = {
        {"bad/encrypted_pkcs8.key", NULL, KCERT_ENCRYPTED_KEY},
        {"bad/encrypted_legacy.key", NULL, KCERT_ENCRYPTED_KEY},
        {"bad/ed25519.key", NULL, KCERT_UNSUPPORTED_ALGORITHM},
        {"bad/dsa.key", NULL, KCERT_UNSUPPORTED_ALGORITHM},
        {"bad/empty.pem", NULL, KCERT_PEM},
        {"client.crt", NULL, KCERT_PEM},
        {NULL, "not a key at all", KCERT_INVALID_KEY},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        unsigned char *data;
        kcert_key *key = SENTINEL;
        if (cases[i].file != NULL) {
            data = harness_read(fixtures, cases[i].file, &len);
        } else {
            len = strlen(cases[i].bytes);
            data = malloc(len + 1);
            memcpy(data, cases[i].bytes, len + 1);
        }
        fprintf(stderr, "bad key input %s\n", cases[i].file ? cases[i].file : cases[i].bytes);
        EXPECT_FAIL(kcert_key_parse(data, len, &key), cases[i].cert_status);
        CHECK(key == SENTINEL);
        free(data);
    }
}

/* kcert_bundle_load: a kubeconfig referencing files through `..`, relative to its own
 * directory; each entry says where it was found. */
static void test_bundle_load(void) {
    char dir[2048], path[4096];
    kcert_bundle *bundle = NULL, *out_bundle = SENTINEL;
    kcert_cert *cert = NULL;
    char *text = NULL;
    unsigned char *data;
    size_t len;
    snprintf(dir, sizeof dir, "%s/kubeconfig", fixtures);
    /* Each of the four runs (ASan, valgrind; shared, static) shares the fixture directory. */
    CHECK(mkdir(dir, 0700) == 0 || errno == EEXIST);
    harness_write(dir, "ref.conf",
                  "apiVersion: v1\nkind: Config\n"
                  "clusters:\n- name: kubernetes\n  cluster:\n    certificate-authority: ../chain.crt\n"
                  "users:\n- name: admin\n  user:\n    client-certificate: ../client.crt\n");
    snprintf(path, sizeof path, "%s/ref.conf", dir);
    EXPECT_OK(kcert_bundle_load(path, &bundle));
    CHECK(kcert_bundle_len(bundle) == 3);
    EXPECT_OK(kcert_bundle_origin(bundle, 0, &text));
    CHECK_STR(text, "user admin (client-certificate ../client.crt)");
    kcert_string_free(text);
    EXPECT_OK(kcert_bundle_origin(bundle, 2, &text));
    CHECK_STR(text, "cluster kubernetes (certificate-authority ../chain.crt) #2");
    kcert_string_free(text);
    cert = bundle_entry(bundle, 2);
    CHECK(kcert_cert_is_ca(cert));
    kcert_cert_free(cert);
    text = SENTINEL;
    EXPECT_FAIL(kcert_bundle_origin(bundle, 3, &text), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_bundle_origin(bundle, 0, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_bundle_origin(NULL, 0, &text), KCERT_NULL_ARGUMENT);
    CHECK(text == SENTINEL);
    kcert_bundle_free(bundle);

    /* The same kubeconfig as bytes has no directory: its relative references are refused. */
    data = harness_read(dir, "ref.conf", &len);
    EXPECT_FAIL(kcert_bundle_parse(data, len, &out_bundle), KCERT_KUBECONFIG);
    free(data);
    /* A plain PEM file loads as kcert_bundle_parse reads it. */
    snprintf(path, sizeof path, "%s/chain.crt", fixtures);
    bundle = NULL;
    EXPECT_OK(kcert_bundle_load(path, &bundle));
    CHECK(kcert_bundle_len(bundle) == 2);
    EXPECT_OK(kcert_bundle_origin(bundle, 1, &text));
    CHECK(strncmp(text, "certificate #2 (PEM line ", 25) == 0);
    kcert_string_free(text);
    kcert_bundle_free(bundle);
    snprintf(path, sizeof path, "%s/missing.crt", fixtures);
    EXPECT_FAIL(kcert_bundle_load(path, &out_bundle), KCERT_IO);
    EXPECT_FAIL(kcert_bundle_load(NULL, &out_bundle), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_bundle_load(path, NULL), KCERT_NULL_ARGUMENT);
    CHECK(out_bundle == SENTINEL);
}

/* NULL arguments: a status, never a crash, and outputs untouched. */
static void test_null_arguments(void) {
    kcert_cert *cert = parse_file("client.crt");
    kcert_key *key = parse_key_file("client.key");
    kcert_cert *out_cert = SENTINEL;
    kcert_key *out_key = SENTINEL;
    kcert_bundle *out_bundle = SENTINEL;
    char *text = SENTINEL;
    const uint8_t *der = SENTINEL;
    size_t der_len = 12345;
    bool matches = true;

    EXPECT_FAIL(kcert_cert_parse(NULL, 0, &out_cert), KCERT_PEM);
    EXPECT_FAIL(kcert_cert_parse(NULL, 10, &out_cert), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_cert_parse((const uint8_t *)"x", 1, NULL), KCERT_NULL_ARGUMENT);
    CHECK(out_cert == SENTINEL);
    EXPECT_FAIL(kcert_bundle_parse(NULL, 10, &out_bundle), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_bundle_parse((const uint8_t *)"x", 1, NULL), KCERT_NULL_ARGUMENT);
    CHECK(out_bundle == SENTINEL);
    EXPECT_FAIL(kcert_key_parse(NULL, 10, &out_key), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_key_parse(NULL, 0, &out_key), KCERT_PEM);
    EXPECT_FAIL(kcert_key_parse((const uint8_t *)"x", 1, NULL), KCERT_NULL_ARGUMENT);
    CHECK(out_key == SENTINEL);

    EXPECT_FAIL(kcert_cert_subject(NULL, &text), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_cert_subject(cert, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_cert_subject_alt_names(NULL, &text), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_cert_subject_alt_names(cert, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_cert_issuer(NULL, &text), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_cert_serial_hex(NULL, &text), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_cert_to_pem(NULL, &text), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_cert_to_json(NULL, &text), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_key_algorithm(NULL, &text), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_key_to_pem(NULL, &text), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_key_to_pem(key, NULL), KCERT_NULL_ARGUMENT);
    CHECK(text == SENTINEL);
    EXPECT_FAIL(kcert_cert_der(NULL, &der, &der_len), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_cert_der(cert, NULL, &der_len), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_cert_der(cert, &der, NULL), KCERT_NULL_ARGUMENT);
    CHECK(der == SENTINEL && der_len == 12345);
    EXPECT_FAIL(kcert_key_matches(NULL, cert, &matches), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_key_matches(key, NULL, &matches), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_key_matches(key, cert, NULL), KCERT_NULL_ARGUMENT);
    CHECK(matches == true);
    EXPECT_FAIL(kcert_last_error_message(NULL), KCERT_NULL_ARGUMENT);

    CHECK(kcert_cert_not_before(NULL) == KCERT_INVALID_TIME);
    CHECK(kcert_cert_not_after(NULL) == KCERT_INVALID_TIME);
    CHECK(!kcert_cert_is_ca(NULL));
    CHECK(kcert_bundle_len(NULL) == 0);
    {
        kcert_cert *entry = SENTINEL;
        EXPECT_FAIL(kcert_bundle_get(NULL, 0, &entry), KCERT_NULL_ARGUMENT);
        CHECK(entry == SENTINEL);
    }

    /* _free(NULL) is a no-op for every type. */
    kcert_cert_free(NULL);
    kcert_key_free(NULL);
    kcert_bundle_free(NULL);
    kcert_resign_options_free(NULL);
    kcert_string_free(NULL);
    CHECK(1);

    kcert_key_free(key);
    kcert_cert_free(cert);
}

static void test_last_error_follows_the_last_call(void) {
    char *message = NULL;
    kcert_cert *cert = NULL;
    EXPECT_FAIL(kcert_cert_parse((const uint8_t *)"junk", 4, &cert), KCERT_PEM);
    /* Reading the message twice gives it twice: reading does not clear it. */
    EXPECT_OK(kcert_last_error_message(&message));
    CHECK(message != NULL && strstr(message, "neither PEM nor a DER certificate") != NULL);
    kcert_string_free(message);
    message = NULL;
    EXPECT_OK(kcert_last_error_message(&message));
    CHECK(message != NULL && message[0] != '\0');
    kcert_string_free(message);
    /* A success clears it. */
    kcert_cert_free(parse_file("client.crt"));
    message = NULL;
    EXPECT_OK(kcert_last_error_message(&message));
    CHECK_STR(message, "");
    kcert_string_free(message);
}

static void test_result_names_and_version(void) {
    static const kcert_result codes[] = {
        KCERT_OK, KCERT_IO, KCERT_PEM, KCERT_DER, KCERT_INVALID_CERTIFICATE,
        KCERT_INVALID_KEY, KCERT_ENCRYPTED_KEY, KCERT_UNSUPPORTED_ALGORITHM, KCERT_KEY_MISMATCH,
        KCERT_VERIFICATION_FAILED, KCERT_INVALID_ISSUER, KCERT_VALIDITY, KCERT_KUBECONFIG,
        KCERT_LAYOUT, KCERT_LOCKED, KCERT_TRANSACTION, KCERT_INVALID_ARGUMENT, KCERT_CRYPTO,
        KCERT_PATH_ESCAPE, KCERT_PANIC, KCERT_CONFLICT, KCERT_UNTRUSTED, KCERT_NULL_ARGUMENT,
        KCERT_INVALID_UTF8,
        KCERT_UNKNOWN_ERROR,
    };
    size_t n = sizeof codes / sizeof codes[0], i, j;
    const char *version = kcert_version();
    for (i = 0; i < n; i++) {
        const char *name = kcert_result_name(codes[i]);
        CHECK(name != NULL && name[0] != '\0' && strcmp(name, "unknown-code") != 0);
        for (j = 0; j < i; j++) {
            CHECK(codes[i] != codes[j] && strcmp(name, kcert_result_name(codes[j])) != 0);
        }
    }
    CHECK_STR(kcert_result_name(KCERT_OK), "ok");
    CHECK_STR(kcert_result_name(KCERT_ENCRYPTED_KEY), "encrypted-key");
    CHECK_STR(kcert_result_name(KCERT_NULL_ARGUMENT), "null-argument");
    CHECK_STR(kcert_result_name(4242), "unknown-code");
    CHECK_STR(kcert_result_name(UINT32_MAX), "unknown-code");
    CHECK(version != NULL && version[0] >= '0' && version[0] <= '9' && strchr(version, '.') != NULL);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s FIXTURE_DIR EXPECTED_TSV\n", argv[0]);
        return 2;
    }
    fixtures = argv[1];
    test_accessors_match_openssl(argv[2]);
    test_der_and_pem_round_trip();
    test_json_summary();
    test_bad_certificates();
    test_bundles();
    test_bundle_load();
    test_keys();
    test_bad_keys();
    test_null_arguments();
    test_last_error_follows_the_last_call();
    test_result_names_and_version();
    return harness_finish("test_parse");
}
