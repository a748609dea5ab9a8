/*
 * Scanning (and renewing) a node's file tree through libkcert.
 *
 *   test_cluster ROOT OUT_DIR
 *
 * ROOT is an expired kubeadm node built by testing/openssl-tree.sh (a fresh copy per run, since
 * renewal changes it). The JSON documents are written to OUT_DIR for run-c-tests.sh to judge
 * with Python's json module, openssl and testing/judge.py.
 */
#include <stdbool.h>
#include <stdint.h>

#include "harness.h"

static const char *root;
static const char *out_dir;

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

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s ROOT OUT_DIR\n", argv[0]);
        return 2;
    }
    root = argv[1];
    out_dir = argv[2];
    test_scan();
    test_scan_errors();
    return harness_finish("test_cluster");
}
