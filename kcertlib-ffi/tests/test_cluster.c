/*
 * Scanning, renewing and rolling back a node's file tree through libkcert.
 *
 *   test_cluster ROOT ROLLBACK_ROOT OUT_DIR
 *
 * ROOT and ROLLBACK_ROOT are fresh copies of an expired kubeadm node built by
 * testing/openssl-tree.sh. ROOT is scanned and renewed, and left renewed for run-c-tests.sh to
 * judge with openssl and testing/judge.py; ROLLBACK_ROOT is renewed and rolled back, and must
 * end byte-identical. The JSON documents go to OUT_DIR (scan-before.json, renew-dry.json,
 * renew.json, scan-after.json), judged with Python's json module.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

static const char *root;
static const char *rollback_root;
static const char *out_dir;

static const char *const watched_files[] = {
    "etc/kubernetes/pki/apiserver.crt",
    "etc/kubernetes/admin.conf",
    "etc/kubernetes/pki/etcd/peer.crt",
};
#define WATCHED (sizeof watched_files / sizeof watched_files[0])

/* The bytes of the watched files of `tree` (each a malloc'd buffer the caller frees). */
static void snapshot(const char *tree, unsigned char *files[WATCHED], size_t lens[WATCHED]) {
    size_t i;
    for (i = 0; i < WATCHED; i++) {
        files[i] = harness_read(tree, watched_files[i], &lens[i]);
    }
}

/* Whether the watched files of `tree` still have the bytes of `files`; frees `files`. */
static bool unchanged_since(const char *tree, unsigned char *files[WATCHED], size_t lens[WATCHED]) {
    bool same = true;
    size_t i;
    for (i = 0; i < WATCHED; i++) {
        size_t len;
        unsigned char *now = harness_read(tree, watched_files[i], &len);
        if (len != lens[i] || memcmp(now, files[i], len) != 0) {
            fprintf(stderr, "%s/%s changed\n", tree, watched_files[i]);
            same = false;
        }
        free(now);
        free(files[i]);
    }
    return same;
}

/* A copy of the string value of "key" in a JSON document (no escapes expected), or NULL. */
static char *json_string(const char *json, const char *key) {
    char pattern[128];
    const char *start, *end;
    char *value;
    snprintf(pattern, sizeof pattern, "\"%s\": \"", key);
    start = strstr(json, pattern);
    if (start == NULL) {
        return NULL;
    }
    start += strlen(pattern);
    end = strchr(start, '"');
    if (end == NULL) {
        return NULL;
    }
    value = malloc((size_t)(end - start) + 1);
    memcpy(value, start, (size_t)(end - start));
    value[end - start] = '\0';
    return value;
}

static void test_scan(void) {
    char *json = NULL;
    EXPECT_OK(kcert_scan_json(root, &json));
    CHECK(json != NULL && json[0] == '{');
    CHECK(json != NULL && strstr(json, "\"certificateAuthorities\"") != NULL);
    CHECK(json != NULL && strstr(json, "\"apiserver\"") != NULL);
    CHECK(json != NULL && strstr(json, "\"expired\"") != NULL);
    if (json != NULL) {
        harness_write(out_dir, "scan-before.json", json);
    }
    kcert_string_free(json);
}

static void test_scan_errors(void) {
    char *json = SENTINEL;
    char missing[4200];
    static const char not_utf8[] = "/tmp/\xff\xfe";
    snprintf(missing, sizeof missing, "%s/no/such/dir", root);
    EXPECT_FAIL(kcert_scan_json(missing, &json), KCERT_IO);
    EXPECT_FAIL(kcert_scan_json(NULL, &json), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_scan_json(not_utf8, &json), KCERT_INVALID_UTF8);
    CHECK(json == SENTINEL);
    EXPECT_FAIL(kcert_scan_json(root, NULL), KCERT_NULL_ARGUMENT);
}

static void test_dry_run_writes_nothing(void) {
    unsigned char *files[WATCHED];
    size_t lens[WATCHED];
    kcert_renew_options *opts = kcert_renew_options_new();
    char *json = NULL;
    snapshot(root, files, lens);
    EXPECT_OK(kcert_renew_options_set_dry_run(opts, true));
    EXPECT_OK(kcert_renew_options_set_threads(opts, 1));
    EXPECT_OK(kcert_renew(root, opts, &json));
    CHECK(json != NULL && strstr(json, "\"dryRun\": true") != NULL);
    CHECK(json != NULL && strstr(json, "\"changed\": false") != NULL);
    CHECK(json != NULL && strstr(json, "\"apiserver\"") != NULL);
    if (json != NULL) {
        harness_write(out_dir, "renew-dry.json", json);
    }
    CHECK(unchanged_since(root, files, lens));
    kcert_string_free(json);
    kcert_renew_options_free(opts);
}

static void test_renew_errors(void) {
    kcert_renew_options *opts = kcert_renew_options_new();
    char *json = SENTINEL;
    char missing[4200];
    static const char not_utf8[] = "/tmp/\xff";
    unsigned char *files[WATCHED];
    size_t lens[WATCHED];
    snprintf(missing, sizeof missing, "%s/no/such/dir", root);
    snapshot(root, files, lens);

    EXPECT_OK(kcert_renew_options_add_only(opts, "no-such-entry"));
    EXPECT_FAIL(kcert_renew(root, opts, &json), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_renew(missing, NULL, &json), KCERT_IO);
    EXPECT_FAIL(kcert_renew(NULL, NULL, &json), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew(not_utf8, NULL, &json), KCERT_INVALID_UTF8);
    EXPECT_FAIL(kcert_renew(root, NULL, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_rollback(NULL, &json), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_rollback(missing, &json), KCERT_IO);
    CHECK(json == SENTINEL);
    CHECK(unchanged_since(root, files, lens));

    EXPECT_FAIL(kcert_renew_options_set_days(opts, 0), KCERT_INVALID_ARGUMENT);
    /* More than 1000 years, for any duration: refused by name, never wrapped around. */
    EXPECT_FAIL(kcert_renew_options_set_days(opts, 365001), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_days(opts, UINT32_MAX), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_backdate_seconds(opts, UINT64_MAX), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_expiring_within_seconds(opts, UINT64_MAX), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_warn_within_seconds(opts, UINT64_MAX), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_not_before_mode(opts, 7), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_not_before(opts, "tomorrow"), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_not_before(opts, "1001y"), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_not_before(opts, not_utf8), KCERT_INVALID_UTF8);
    EXPECT_FAIL(kcert_renew_options_set_not_before(opts, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_not_before(NULL, "ca"), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_add_only(opts, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_backup_dir(opts, not_utf8), KCERT_INVALID_UTF8);
    EXPECT_FAIL(kcert_renew_options_set_days(NULL, 1), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_backdate_seconds(NULL, 1), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_not_before_mode(NULL, KCERT_NOT_BEFORE_CA), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_now(NULL, 1), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_dry_run(NULL, true), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_rotate_keys(NULL, true), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_include_ca(NULL, true), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_expiring_within_seconds(NULL, 1), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_warn_within_seconds(NULL, 1), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_backup_dir(NULL, "/tmp"), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_threads(NULL, 2), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_add_only(NULL, "apiserver"), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_add_sans(opts, "XYZ:nope"), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_add_sans(opts, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_add_sans(NULL, "DNS:lb.example.com"), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_renew_options_set_rke_state(opts, not_utf8), KCERT_INVALID_UTF8);
    EXPECT_FAIL(kcert_renew_options_set_rke_state(NULL, "cluster.rkestate"), KCERT_NULL_ARGUMENT);
    EXPECT_OK(kcert_renew_options_set_rke_state(opts, NULL)); /* back to looking under the root */
    kcert_renew_options_free(opts);

    /* An RKE state outside the root: refused (kcert writes only under the root), nothing written. */
    snapshot(root, files, lens);
    opts = kcert_renew_options_new();
    EXPECT_OK(kcert_renew_options_set_rke_state(opts, "/kcert-test-not-under-the-root/cluster.rkestate"));
    json = SENTINEL;
    EXPECT_FAIL(kcert_renew(root, opts, &json), KCERT_INVALID_ARGUMENT);
    CHECK(json == SENTINEL);
    CHECK(unchanged_since(root, files, lens));
    kcert_renew_options_free(opts);

    /* Extra SANs on a client certificate: refused, nothing written. */
    snapshot(root, files, lens);
    opts = kcert_renew_options_new();
    EXPECT_OK(kcert_renew_options_add_only(opts, "admin.conf"));
    EXPECT_OK(kcert_renew_options_add_sans(opts, "DNS:lb.example.com"));
    json = SENTINEL;
    EXPECT_FAIL(kcert_renew(root, opts, &json), KCERT_INVALID_ARGUMENT);
    CHECK(json == SENTINEL);
    CHECK(unchanged_since(root, files, lens));
    kcert_renew_options_free(opts);
}

/* Renews every expired leaf of ROOT for 90 days, backing up into OUT_DIR/backups. */
static void test_renew(void) {
    kcert_renew_options *opts = kcert_renew_options_new();
    char backups[4200];
    char *json = NULL;
    snprintf(backups, sizeof backups, "%s/backups", out_dir);
    EXPECT_OK(kcert_renew_options_set_days(opts, 90));
    EXPECT_OK(kcert_renew_options_set_threads(opts, 0));
    /* 600 s, as text the core parses (what `kcert renew --backdate 10m` takes). */
    EXPECT_OK(kcert_renew_options_set_not_before(opts, "10m"));
    EXPECT_OK(kcert_renew_options_set_expiring_within_seconds(opts, 30 * 86400));
    EXPECT_OK(kcert_renew_options_set_warn_within_seconds(opts, 7 * 86400));
    EXPECT_OK(kcert_renew_options_set_backup_dir(opts, backups));
    EXPECT_OK(kcert_renew(root, opts, &json));
    CHECK(json != NULL && strstr(json, "\"changed\": true") != NULL);
    CHECK(json != NULL && strstr(json, backups) != NULL);
    if (json != NULL) {
        harness_write(out_dir, "renew.json", json);
    }
    kcert_string_free(json);
    json = NULL;
    EXPECT_OK(kcert_scan_json(root, &json));
    if (json != NULL) {
        harness_write(out_dir, "scan-after.json", json);
    }
    kcert_string_free(json);
    kcert_renew_options_free(opts);
}

/* Renew then roll back: every file is back, byte for byte. */
static void test_rollback(void) {
    unsigned char *files[WATCHED];
    size_t lens[WATCHED];
    kcert_renew_options *opts = kcert_renew_options_new();
    char *json = NULL, *manifest = NULL;
    snapshot(rollback_root, files, lens);
    EXPECT_OK(kcert_renew_options_add_only(opts, "apiserver"));
    EXPECT_OK(kcert_renew_options_add_only(opts, "admin.conf"));
    EXPECT_OK(kcert_renew_options_add_only(opts, "etcd-peer"));
    EXPECT_OK(kcert_renew(rollback_root, opts, &json));
    manifest = json != NULL ? json_string(json, "manifest") : NULL;
    CHECK(manifest != NULL);
    kcert_string_free(json);
    json = NULL;
    if (manifest != NULL) {
        EXPECT_OK(kcert_rollback(manifest, &json));
        CHECK(json != NULL && strstr(json, "\"restored\"") != NULL);
        kcert_string_free(json);
    }
    CHECK(unchanged_since(rollback_root, files, lens));
    free(manifest);
    kcert_renew_options_free(opts);
}

/* Extra SANs on the apiserver certificate: renewed, the new names in it. */
static void test_add_sans(void) {
    kcert_renew_options *opts = kcert_renew_options_new();
    char *json = NULL;
    EXPECT_OK(kcert_renew_options_add_only(opts, "apiserver"));
    EXPECT_OK(kcert_renew_options_add_sans(opts, "DNS:lb.example.com,IP:10.0.0.10"));
    EXPECT_OK(kcert_renew(rollback_root, opts, &json));
    CHECK(json != NULL && strstr(json, "\"apiserver\"") != NULL);
    kcert_string_free(json);
    kcert_renew_options_free(opts);
}

/* A loopback port nothing listens on: bound by the kernel's choice, then closed. */
static int closed_port(void) {
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int port = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return 0;
    }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0) {
        port = ntohs(addr.sin_port);
    }
    close(fd);
    return port;
}

/* The live check with every component sent to a closed port: all reported not running, none
 * outdated. (Real servers serving current and stale certificates are kcertlib's and the kcert
 * command's tests: the C layer is conversion only.) */
static void test_live(void) {
    char ports[512];
    char *json = SENTINEL;
    size_t outdated = 99;
    int port = closed_port();
    CHECK(port > 0);
    snprintf(ports, sizeof ports,
             "supervisor=%d,kube-apiserver=%d,etcd=%d,etcd-peer=%d,kubelet=%d,"
             "kube-controller-manager=%d,kube-scheduler=%d",
             port, port, port, port, port, port, port);
    EXPECT_OK(kcert_check_live_json(root, ports, 2000, &json, &outdated));
    CHECK(outdated == 0);
    CHECK(json != NULL && json != SENTINEL && strstr(json, "\"kind\": \"LiveCheck\"") != NULL);
    CHECK(json != NULL && json != SENTINEL && strstr(json, "\"not-running\"") != NULL);
    CHECK(json != NULL && json != SENTINEL && strstr(json, "\"outdated\": 0") != NULL);
    if (json != NULL && json != SENTINEL) {
        kcert_string_free(json);
    }

    json = SENTINEL;
    outdated = 99;
    EXPECT_FAIL(kcert_check_live_json(root, "etcd=0", 2000, &json, &outdated), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_check_live_json(root, "apiserver=6443", 0, &json, NULL), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_check_live_json(NULL, ports, 0, &json, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_check_live_json(root, ports, 0, NULL, NULL), KCERT_NULL_ARGUMENT);
    CHECK(json == SENTINEL && outdated == 99);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s ROOT ROLLBACK_ROOT OUT_DIR\n", argv[0]);
        return 2;
    }
    root = argv[1];
    rollback_root = argv[2];
    out_dir = argv[3];
    test_scan();
    test_scan_errors();
    test_dry_run_writes_nothing();
    test_renew_errors();
    test_renew();
    test_rollback();
    test_add_sans();
    test_live();
    return harness_finish("test_cluster");
}
