/*
 * Re-signing through libkcert: kcert_resign_pem, kcert_resign, the issuer handle
 * (kcert_issuer_new, kcert_issuer_resign) and the options handle.
 *
 *   test_resign FIXTURE_DIR OUT_DIR
 *
 * Writes the re-signed certificates to OUT_DIR (resigned-*.pem, rotated.key, ca-extended.pem);
 * run-c-tests.sh then judges them with `openssl verify` and `openssl pkey`.
 */
#include <stdbool.h>
#include <stdint.h>

#include "harness.h"

#define DAY 86400

static const char *fixtures;
static const char *out_dir;

static char *read_text(const char *name) {
    return (char *)harness_read(fixtures, name, NULL);
}

static kcert_cert *parse_text(const char *pem) {
    kcert_cert *cert = NULL;
    EXPECT_OK(kcert_cert_parse((const uint8_t *)pem, strlen(pem), &cert));
    return cert;
}

/* The fixture file `name` as a certificate / key handle (the caller frees it). */
static kcert_cert *load_cert(const char *name) {
    size_t len;
    uint8_t *data = harness_read(fixtures, name, &len);
    kcert_cert *cert = NULL;
    EXPECT_OK(kcert_cert_parse(data, len, &cert));
    free(data);
    return cert;
}

static kcert_key *load_key(const char *name) {
    size_t len;
    uint8_t *data = harness_read(fixtures, name, &len);
    kcert_key *key = NULL;
    EXPECT_OK(kcert_key_parse(data, len, &key));
    free(data);
    return key;
}

static char *subject_of(const kcert_cert *cert) {
    char *s = NULL;
    EXPECT_OK(kcert_cert_subject(cert, &s));
    return s;
}

/* Re-signs `leaf` with `ca`/`ca_key` through kcert_resign_pem, writes OUT_DIR/out_name, and
 * checks what must and must not change. Returns the new certificate (caller frees). */
static kcert_cert *resign_and_check(const char *leaf, const char *ca, const char *ca_key,
                                    const kcert_resign_options *opts, const char *out_name) {
    char *leaf_pem = read_text(leaf), *ca_pem = read_text(ca), *key_pem = read_text(ca_key);
    char *out_pem = NULL;
    kcert_cert *old_cert = parse_text(leaf_pem), *ca_cert = parse_text(ca_pem), *new_cert = NULL;
    fprintf(stderr, "re-signing %s with %s\n", leaf, ca);
    EXPECT_OK(kcert_resign_pem(leaf_pem, ca_pem, key_pem, opts, &out_pem));
    if (out_pem != NULL) {
        char *old_subject, *new_subject, *new_issuer = NULL, *ca_subject, *old_serial = NULL,
                                                     *new_serial = NULL;
        harness_write(out_dir, out_name, out_pem);
        new_cert = parse_text(out_pem);
        old_subject = subject_of(old_cert);
        new_subject = subject_of(new_cert);
        ca_subject = subject_of(ca_cert);
        EXPECT_OK(kcert_cert_issuer(new_cert, &new_issuer));
        CHECK_STR(new_subject, old_subject);
        CHECK_STR(new_issuer, ca_subject);
        EXPECT_OK(kcert_cert_serial_hex(old_cert, &old_serial));
        EXPECT_OK(kcert_cert_serial_hex(new_cert, &new_serial));
        CHECK(old_serial != NULL && new_serial != NULL && strcmp(old_serial, new_serial) != 0);
        kcert_string_free(old_subject);
        kcert_string_free(new_subject);
        kcert_string_free(new_issuer);
        kcert_string_free(ca_subject);
        kcert_string_free(old_serial);
        kcert_string_free(new_serial);
        kcert_string_free(out_pem);
    }
    kcert_cert_free(old_cert);
    kcert_cert_free(ca_cert);
    free(leaf_pem);
    free(ca_pem);
    free(key_pem);
    return new_cert;
}

/* Whether `cert` was issued now for `lifetime` seconds with `backdate`: notAfter - notBefore is
 * lifetime + backdate, except that the fixture CAs were made seconds ago, so a backdated
 * notBefore is raised to the CA's own notBefore (the core's clamp). Exact either way, without
 * reading the clock. */
static bool window_is(const kcert_cert *cert, const char *ca_file, int64_t lifetime, int64_t backdate) {
    char *ca_pem = read_text(ca_file);
    kcert_cert *ca = parse_text(ca_pem);
    int64_t nb = kcert_cert_not_before(cert), na = kcert_cert_not_after(cert);
    bool ok = (na - nb == lifetime + backdate) ||
              (nb == kcert_cert_not_before(ca) && na - nb < lifetime + backdate && na - nb >= lifetime);
    if (!ok) {
        fprintf(stderr, "window of %s-issued cert: notBefore %lld, notAfter %lld (CA notBefore %lld)\n",
                ca_file, (long long)nb, (long long)na, (long long)kcert_cert_not_before(ca));
    }
    kcert_cert_free(ca);
    free(ca_pem);
    return ok;
}

static void test_defaults_with_rsa_and_p256_cas(void) {
    kcert_cert *rsa = resign_and_check("client.crt", "ca-rsa2048.crt", "ca-rsa2048.key", NULL,
                                       "resigned-rsa.pem");
    kcert_cert *p256 = resign_and_check("etcd.crt", "ca-p256.crt", "ca-p256.key", NULL,
                                        "resigned-p256.pem");
    kcert_cert *pkcs8_ca = resign_and_check("exotic.crt", "ca-rsa4096.crt", "ca-rsa4096.key",
                                            NULL, "resigned-exotic.pem");
    kcert_cert *p384 = resign_and_check("p384leaf.crt", "ca-p384.crt", "ca-p384.key", NULL,
                                        "resigned-p384.pem");
    /* Defaults: 365 days from now, notBefore one hour back. */
    CHECK(window_is(rsa, "ca-rsa2048.crt", 365 * DAY, 3600));
    CHECK(window_is(p256, "ca-p256.crt", 365 * DAY, 3600));
    CHECK(window_is(pkcs8_ca, "ca-rsa4096.crt", 365 * DAY, 3600));
    CHECK(window_is(p384, "ca-p384.crt", 365 * DAY, 3600));
    kcert_cert_free(rsa);
    kcert_cert_free(p256);
    kcert_cert_free(pkcs8_ca);
    kcert_cert_free(p384);
}

static void test_days_and_backdate(void) {
    kcert_resign_options *opts = kcert_resign_options_new();
    kcert_cert *cert;
    CHECK(opts != NULL);
    EXPECT_OK(kcert_resign_options_set_days(opts, 30));
    EXPECT_OK(kcert_resign_options_set_backdate_seconds(opts, 600));
    cert = resign_and_check("api.crt", "ca-rsa4096.crt", "ca-rsa4096.key", opts,
                            "resigned-30d.pem");
    CHECK(window_is(cert, "ca-rsa4096.crt", 30 * DAY, 600));
    kcert_cert_free(cert);
    kcert_resign_options_free(opts);
}

/* With a pinned "now" every date is exact. */
static void test_not_before_modes_with_pinned_now(void) {
    char *ca_pem = read_text("ca-p256.crt"), *key_pem = read_text("ca-p256.key");
    char *leaf_pem = read_text("etcd.crt");
    kcert_cert *ca = parse_text(ca_pem), *leaf = parse_text(leaf_pem);
    int64_t now = kcert_cert_not_before(ca) + 10 * DAY;
    kcert_resign_options *opts = kcert_resign_options_new();
    char *pem = NULL;
    kcert_cert *cert = NULL;

    EXPECT_OK(kcert_resign_options_set_now(opts, now));
    EXPECT_OK(kcert_resign_options_set_days(opts, 100));
    EXPECT_OK(kcert_resign_pem(leaf_pem, ca_pem, key_pem, opts, &pem));
    cert = parse_text(pem);
    CHECK(kcert_cert_not_before(cert) == now - 3600);
    CHECK(kcert_cert_not_after(cert) == now + 100 * DAY);
    kcert_cert_free(cert);
    kcert_string_free(pem);

    EXPECT_OK(kcert_resign_options_set_not_before_mode(opts, KCERT_NOT_BEFORE_CA));
    EXPECT_OK(kcert_resign_pem(leaf_pem, ca_pem, key_pem, opts, &pem));
    cert = parse_text(pem);
    CHECK(kcert_cert_not_before(cert) == kcert_cert_not_before(ca));
    kcert_cert_free(cert);
    kcert_string_free(pem);

    EXPECT_OK(kcert_resign_options_set_not_before_mode(opts, KCERT_NOT_BEFORE_KEEP_ORIGINAL));
    EXPECT_OK(kcert_resign_pem(leaf_pem, ca_pem, key_pem, opts, &pem));
    cert = parse_text(pem);
    CHECK(kcert_cert_not_before(cert) == kcert_cert_not_before(leaf));
    kcert_cert_free(cert);
    kcert_string_free(pem);

    EXPECT_OK(kcert_resign_options_set_not_before_at(opts, now - 5 * DAY));
    EXPECT_OK(kcert_resign_pem(leaf_pem, ca_pem, key_pem, opts, &pem));
    cert = parse_text(pem);
    CHECK(kcert_cert_not_before(cert) == now - 5 * DAY);
    kcert_cert_free(cert);
    kcert_string_free(pem);

    /* The same rules as text, read by the core's parser (what `kcert renew --backdate` takes). */
    EXPECT_OK(kcert_resign_options_set_not_before(opts, "ca"));
    EXPECT_OK(kcert_resign_pem(leaf_pem, ca_pem, key_pem, opts, &pem));
    cert = parse_text(pem);
    CHECK(kcert_cert_not_before(cert) == kcert_cert_not_before(ca));
    kcert_cert_free(cert);
    kcert_string_free(pem);
    EXPECT_OK(kcert_resign_options_set_not_before(opts, "2h"));
    EXPECT_OK(kcert_resign_pem(leaf_pem, ca_pem, key_pem, opts, &pem));
    cert = parse_text(pem);
    CHECK(kcert_cert_not_before(cert) == now - 7200);
    kcert_cert_free(cert);
    kcert_string_free(pem);
    EXPECT_FAIL(kcert_resign_options_set_not_before(opts, "whenever"), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_resign_options_set_not_before(opts, "1001y"), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_resign_options_set_not_before(opts, "\xff"), KCERT_INVALID_UTF8);
    EXPECT_FAIL(kcert_resign_options_set_not_before(opts, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_resign_options_set_not_before(NULL, "ca"), KCERT_NULL_ARGUMENT);
    /* A failed setter left the 2-hour backdate in place. */
    EXPECT_OK(kcert_resign_pem(leaf_pem, ca_pem, key_pem, opts, &pem));
    cert = parse_text(pem);
    CHECK(kcert_cert_not_before(cert) == now - 7200);
    kcert_cert_free(cert);
    kcert_string_free(pem);

    /* Back to backdating; a lifetime past the CA's end is clamped to it ... */
    EXPECT_OK(kcert_resign_options_set_not_before_mode(opts, KCERT_NOT_BEFORE_BACKDATE));
    EXPECT_OK(kcert_resign_options_set_days(opts, 40000));
    EXPECT_OK(kcert_resign_pem(leaf_pem, ca_pem, key_pem, opts, &pem));
    cert = parse_text(pem);
    CHECK(kcert_cert_not_after(cert) == kcert_cert_not_after(ca));
    kcert_cert_free(cert);
    kcert_string_free(pem);
    /* ... unless the dangerous switch says otherwise (2050+ dates become GeneralizedTime). */
    EXPECT_OK(kcert_resign_options_set_dangerous_allow_outliving_ca(opts, true));
    EXPECT_OK(kcert_resign_pem(leaf_pem, ca_pem, key_pem, opts, &pem));
    cert = parse_text(pem);
    CHECK(kcert_cert_not_after(cert) == now + (int64_t)40000 * DAY);
    kcert_cert_free(cert);
    kcert_string_free(pem);

    /* A "now" after the CA's end: nothing can be valid. */
    EXPECT_OK(kcert_resign_options_set_dangerous_allow_outliving_ca(opts, false));
    EXPECT_OK(kcert_resign_options_set_now(opts, kcert_cert_not_after(ca) + DAY));
    pem = SENTINEL;
    EXPECT_FAIL(kcert_resign_pem(leaf_pem, ca_pem, key_pem, opts, &pem), KCERT_VALIDITY);
    CHECK(pem == SENTINEL);

    kcert_resign_options_free(opts);
    kcert_cert_free(ca);
    kcert_cert_free(leaf);
    free(ca_pem);
    free(key_pem);
    free(leaf_pem);
}

static void test_rotation_with_handles(void) {
    kcert_cert *leaf = NULL, *ca = NULL, *out_cert = NULL;
    kcert_key *ca_key = NULL, *old_key = NULL, *new_key = NULL;
    kcert_resign_options *opts = kcert_resign_options_new();
    bool matches = false;
    char *text = NULL;

    leaf = load_cert("etcd.crt");
    ca = load_cert("ca-p256.crt");
    ca_key = load_key("ca-p256.key");
    old_key = load_key("etcd.key");

    /* Without rotation, *out_new_key is set to NULL. */
    new_key = SENTINEL;
    EXPECT_OK(kcert_resign(leaf, ca, ca_key, NULL, &out_cert, &new_key));
    CHECK(new_key == NULL && out_cert != NULL);
    EXPECT_OK(kcert_key_matches(old_key, out_cert, &matches));
    CHECK(matches);
    kcert_cert_free(out_cert);
    out_cert = NULL;

    EXPECT_OK(kcert_resign_options_set_rotate_key(opts, true));
    /* Rotation needs somewhere to put the key. */
    out_cert = SENTINEL;
    EXPECT_FAIL(kcert_resign(leaf, ca, ca_key, opts, &out_cert, NULL), KCERT_NULL_ARGUMENT);
    CHECK(out_cert == SENTINEL);
    out_cert = NULL;
    EXPECT_OK(kcert_resign(leaf, ca, ca_key, opts, &out_cert, &new_key));
    CHECK(out_cert != NULL && new_key != NULL);
    EXPECT_OK(kcert_key_matches(new_key, out_cert, &matches));
    CHECK(matches);
    EXPECT_OK(kcert_key_matches(old_key, out_cert, &matches));
    CHECK(!matches);
    EXPECT_OK(kcert_key_algorithm(new_key, &text));
    CHECK_STR(text, "ECDSA-P256");
    kcert_string_free(text);
    EXPECT_OK(kcert_cert_to_pem(out_cert, &text));
    harness_write(out_dir, "resigned-rotated.pem", text);
    kcert_string_free(text);
    EXPECT_OK(kcert_key_to_pem(new_key, &text));
    harness_write(out_dir, "rotated.key", text);
    kcert_string_free(text);

    /* kcert_resign_pem cannot hand back a key, so it refuses rotation. */
    {
        char *leaf_pem = read_text("etcd.crt"), *ca_pem = read_text("ca-p256.crt");
        char *key_pem = read_text("ca-p256.key");
        char *pem = SENTINEL;
        EXPECT_FAIL(kcert_resign_pem(leaf_pem, ca_pem, key_pem, opts, &pem), KCERT_INVALID_ARGUMENT);
        CHECK(pem == SENTINEL);
        free(leaf_pem);
        free(ca_pem);
        free(key_pem);
    }

    /* NULL handles. */
    {
        kcert_cert *untouched = SENTINEL;
        kcert_key *untouched_key = SENTINEL;
        EXPECT_FAIL(kcert_resign(NULL, ca, ca_key, NULL, &untouched, &untouched_key), KCERT_NULL_ARGUMENT);
        EXPECT_FAIL(kcert_resign(leaf, NULL, ca_key, NULL, &untouched, &untouched_key), KCERT_NULL_ARGUMENT);
        EXPECT_FAIL(kcert_resign(leaf, ca, NULL, NULL, &untouched, &untouched_key), KCERT_NULL_ARGUMENT);
        EXPECT_FAIL(kcert_resign(leaf, ca, ca_key, NULL, NULL, &untouched_key), KCERT_NULL_ARGUMENT);
        /* A CA key that is not the CA's. */
        EXPECT_FAIL(kcert_resign(leaf, ca, old_key, NULL, &untouched, &untouched_key), KCERT_KEY_MISMATCH);
        CHECK(untouched == SENTINEL && untouched_key == SENTINEL);
    }

    kcert_resign_options_free(opts);
    kcert_key_free(new_key);
    kcert_key_free(old_key);
    kcert_key_free(ca_key);
    kcert_cert_free(out_cert);
    kcert_cert_free(ca);
    kcert_cert_free(leaf);
}

/* A CA re-signed with its own key and subject: its old leaves still verify (checked by
 * run-c-tests.sh with openssl against ca-extended.pem). */
static void test_ca_extends_itself(void) {
    char *ca_pem = read_text("ca-rsa2048.crt"), *key_pem = read_text("ca-rsa2048.key");
    char *pem = NULL;
    kcert_resign_options *opts = kcert_resign_options_new();
    EXPECT_OK(kcert_resign_options_set_days(opts, 3650));
    EXPECT_OK(kcert_resign_pem(ca_pem, ca_pem, key_pem, opts, &pem));
    if (pem != NULL) {
        kcert_cert *old_ca = parse_text(ca_pem), *new_ca = parse_text(pem);
        char *s1 = subject_of(new_ca), *s2 = NULL;
        EXPECT_OK(kcert_cert_issuer(new_ca, &s2));
        CHECK_STR(s1, s2);
        CHECK(kcert_cert_is_ca(new_ca));
        CHECK(kcert_cert_not_after(new_ca) > kcert_cert_not_after(old_ca));
        harness_write(out_dir, "ca-extended.pem", pem);
        kcert_string_free(s1);
        kcert_string_free(s2);
        kcert_cert_free(old_ca);
        kcert_cert_free(new_ca);
        kcert_string_free(pem);
    }
    kcert_resign_options_free(opts);
    free(ca_pem);
    free(key_pem);
}

/* One issuer for many certificates: checked once at kcert_issuer_new, which copies the CA so
 * the handles may be freed; each kcert_issuer_resign gives what kcert_resign gives. The last
 * result is written for run-c-tests.sh to verify with openssl. */
static void test_issuer_handle(void) {
    kcert_cert *leaf = load_cert("etcd.crt"), *ca = load_cert("ca-p256.crt");
    kcert_key *ca_key = load_key("ca-p256.key"), *leaf_key = load_key("etcd.key");
    kcert_cert *out_cert = NULL, *first = NULL;
    kcert_key *new_key = SENTINEL;
    kcert_issuer *issuer = NULL, *untouched = SENTINEL;
    kcert_resign_options *opts = kcert_resign_options_new();
    char *s1 = NULL, *s2 = NULL, *text = NULL;
    bool matches = false;
    int i;

    /* The checks of kcert_resign, made once: a key that is not the CA's, a leaf as CA. */
    EXPECT_FAIL(kcert_issuer_new(ca, leaf_key, &untouched), KCERT_KEY_MISMATCH);
    EXPECT_FAIL(kcert_issuer_new(leaf, leaf_key, &untouched), KCERT_INVALID_ISSUER);
    EXPECT_FAIL(kcert_issuer_new(NULL, ca_key, &untouched), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_issuer_new(ca, NULL, &untouched), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_issuer_new(ca, ca_key, NULL), KCERT_NULL_ARGUMENT);
    CHECK(untouched == SENTINEL);

    EXPECT_OK(kcert_issuer_new(ca, ca_key, &issuer));
    /* The issuer holds its own copies. */
    kcert_key_free(ca_key);
    ca_key = NULL;
    EXPECT_OK(kcert_resign_options_set_days(opts, 30));
    for (i = 0; i < 3; i++) {
        new_key = SENTINEL;
        EXPECT_OK(kcert_issuer_resign(issuer, leaf, opts, &out_cert, &new_key));
        CHECK(new_key == NULL && out_cert != NULL);
        if (out_cert == NULL) break;
        EXPECT_OK(kcert_cert_issuer(out_cert, &s1));
        EXPECT_OK(kcert_cert_subject(ca, &s2));
        CHECK_STR(s1, s2);
        kcert_string_free(s1);
        kcert_string_free(s2);
        EXPECT_OK(kcert_key_matches(leaf_key, out_cert, &matches));
        CHECK(matches);
        CHECK(window_is(out_cert, "ca-p256.crt", 30 * DAY, 3600));
        if (first == NULL) {
            first = out_cert;
        } else {
            /* A fresh serial each time. */
            char *a = NULL, *b = NULL;
            EXPECT_OK(kcert_cert_serial_hex(first, &a));
            EXPECT_OK(kcert_cert_serial_hex(out_cert, &b));
            CHECK(a != NULL && b != NULL && strcmp(a, b) != 0);
            kcert_string_free(a);
            kcert_string_free(b);
            if (i == 2) {
                EXPECT_OK(kcert_cert_to_pem(out_cert, &text));
                harness_write(out_dir, "resigned-issuer.pem", text);
                kcert_string_free(text);
            }
            kcert_cert_free(out_cert);
        }
        out_cert = NULL;
    }

    /* Rotation needs somewhere to put the key, as with kcert_resign; NULLs are refused. */
    EXPECT_OK(kcert_resign_options_set_rotate_key(opts, true));
    out_cert = SENTINEL;
    EXPECT_FAIL(kcert_issuer_resign(issuer, leaf, opts, &out_cert, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_issuer_resign(NULL, leaf, NULL, &out_cert, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_issuer_resign(issuer, NULL, NULL, &out_cert, NULL), KCERT_NULL_ARGUMENT);
    CHECK(out_cert == SENTINEL);
    out_cert = NULL;
    EXPECT_OK(kcert_issuer_resign(issuer, leaf, opts, &out_cert, &new_key));
    CHECK(new_key != NULL && new_key != SENTINEL);
    if (new_key != NULL && new_key != SENTINEL) {
        EXPECT_OK(kcert_key_matches(new_key, out_cert, &matches));
        CHECK(matches);
        kcert_key_free(new_key);
    }

    kcert_issuer_free(issuer);
    kcert_issuer_free(NULL);
    kcert_resign_options_free(opts);
    kcert_cert_free(out_cert);
    kcert_cert_free(first);
    kcert_key_free(leaf_key);
    kcert_cert_free(ca);
    kcert_cert_free(leaf);
}

struct resign_failure {
    const char *leaf, *ca, *ca_key;
    kcert_result expected;
};

static void test_failures_leave_output_alone(void) {
    static const struct resign_failure cases[] = {
        {"client.crt", "ca-rsa2048.crt", "ca-p256.key", KCERT_KEY_MISMATCH},
        {"client.crt", "noski.crt", "noski.key", KCERT_INVALID_ISSUER},
        {"client.crt", "ca-nocertsign.crt", "ca-nocertsign.key", KCERT_INVALID_ISSUER},
        {"client.crt", "ca-rsa2048.crt", "bad/encrypted_pkcs8.key", KCERT_ENCRYPTED_KEY},
        {"client.crt", "ca-rsa2048.crt", "bad/ed25519.key", KCERT_UNSUPPORTED_ALGORITHM},
        {"bad/pem_no_end.pem", "ca-rsa2048.crt", "ca-rsa2048.key", KCERT_PEM},
        {"bad/empty.pem", "ca-rsa2048.crt", "ca-rsa2048.key", KCERT_PEM},
        {"client.crt", "bad/base64_garbage.pem", "ca-rsa2048.key", KCERT_PEM},
        {"client.crt", "ca-rsa2048.crt", "bad/empty.pem", KCERT_PEM},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *leaf = read_text(cases[i].leaf), *ca = read_text(cases[i].ca);
        char *key = read_text(cases[i].ca_key);
        char *out = SENTINEL;
        fprintf(stderr, "re-sign failure: %s with %s / %s\n", cases[i].leaf, cases[i].ca, cases[i].ca_key);
        EXPECT_FAIL(kcert_resign_pem(leaf, ca, key, NULL, &out), cases[i].expected);
        CHECK(out == SENTINEL);
        free(leaf);
        free(ca);
        free(key);
    }
}

static void test_argument_checks(void) {
    char *leaf = read_text("client.crt"), *ca = read_text("ca-rsa2048.crt");
    char *key = read_text("ca-rsa2048.key");
    char *out = SENTINEL;
    kcert_resign_options *opts = kcert_resign_options_new();
    /* Latin-1 bytes where UTF-8 is required. */
    static const char not_utf8[] = "-----BEGIN CERTIFICATE-----\n\xe9\xff\n";

    EXPECT_FAIL(kcert_resign_pem(NULL, ca, key, NULL, &out), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_resign_pem(leaf, NULL, key, NULL, &out), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_resign_pem(leaf, ca, NULL, NULL, &out), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_resign_pem(leaf, ca, key, NULL, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_resign_pem(not_utf8, ca, key, NULL, &out), KCERT_INVALID_UTF8);
    CHECK(out == SENTINEL);

    EXPECT_FAIL(kcert_resign_options_set_days(opts, 0), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_resign_options_set_not_before_mode(opts, 99), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_resign_options_set_days(NULL, 5), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_resign_options_set_backdate_seconds(NULL, 5), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_resign_options_set_not_before_mode(NULL, KCERT_NOT_BEFORE_CA), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_resign_options_set_not_before_at(NULL, 5), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_resign_options_set_now(NULL, 5), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_resign_options_set_dangerous_allow_outliving_ca(NULL, true), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_resign_options_set_rotate_key(NULL, true), KCERT_NULL_ARGUMENT);
    /* The failed setters changed nothing: the options still give the defaults. */
    EXPECT_OK(kcert_resign_pem(leaf, ca, key, opts, &out));
    if (out != SENTINEL) {
        kcert_cert *cert = parse_text(out);
        CHECK(window_is(cert, "ca-rsa2048.crt", 365 * DAY, 3600));
        kcert_cert_free(cert);
        kcert_string_free(out);
    }
    kcert_resign_options_free(opts);
    free(leaf);
    free(ca);
    free(key);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s FIXTURE_DIR OUT_DIR\n", argv[0]);
        return 2;
    }
    fixtures = argv[1];
    out_dir = argv[2];
    test_defaults_with_rsa_and_p256_cas();
    test_days_and_backdate();
    test_not_before_modes_with_pinned_now();
    test_rotation_with_handles();
    test_ca_extends_itself();
    test_issuer_handle();
    test_failures_leave_output_alone();
    test_argument_checks();
    return harness_finish("test_resign");
}
