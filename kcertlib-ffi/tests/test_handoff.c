/*
 * Renewing a worker that does not hold its CA key through libkcert: export on the worker, sign
 * on the control plane, install on the worker (kcert_export_requests, kcert_sign_requests,
 * kcert_install_signed), with their options handles and their failures.
 *
 *   test_handoff CONTROL_PLANE WORKER WORKER_DRY OUT_DIR
 *
 * CONTROL_PLANE is an expired kubeadm node built by testing/openssl-tree.sh --kubelet-pki;
 * WORKER and WORKER_DRY are two copies of it reduced to a worker (kubelet's files and ca.crt,
 * no CA key). WORKER is renewed and left so for run-c-tests.sh to judge with openssl;
 * WORKER_DRY only sees a dry run and failed installs, and must end byte-identical. The files
 * that moved and the reports go to OUT_DIR (requests.json, signed.json, install.json,
 * scan-after.json), judged with Python's json module.
 */
#include <stdbool.h>
#include <stdint.h>

#include "harness.h"

static const char *control_plane;
static const char *worker;
static const char *worker_dry;
static const char *out_dir;

static void test_export_options(void) {
    kcert_export_options *opts = kcert_export_options_new();
    CHECK(opts != NULL);
    EXPECT_OK(kcert_export_options_add_only(opts, "kubelet-client-current"));
    EXPECT_OK(kcert_export_options_set_expiring_within_seconds(opts, 30 * 86400));
    EXPECT_FAIL(kcert_export_options_set_expiring_within_seconds(opts, UINT64_MAX),
                KCERT_INVALID_ARGUMENT);
    EXPECT_OK(kcert_export_options_set_csr(opts, false));
    EXPECT_OK(kcert_export_options_set_now(opts, 1767225600));
    EXPECT_OK(kcert_export_options_set_threads(opts, 1));
    EXPECT_FAIL(kcert_export_options_add_only(opts, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_export_options_add_only(NULL, "kubelet-client-current"), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_export_options_set_csr(NULL, true), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_export_options_set_now(NULL, 0), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_export_options_set_threads(NULL, 0), KCERT_NULL_ARGUMENT);
    kcert_export_options_free(opts);
    kcert_export_options_free(NULL);
}

static void test_sign_options(void) {
    kcert_sign_options *opts = kcert_sign_options_new();
    CHECK(opts != NULL);
    EXPECT_FAIL(kcert_sign_options_set_days(opts, 0), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_sign_options_set_days(opts, 365001), KCERT_INVALID_ARGUMENT);
    EXPECT_OK(kcert_sign_options_set_days(opts, 30));
    EXPECT_FAIL(kcert_sign_options_set_backdate_seconds(opts, UINT64_MAX), KCERT_INVALID_ARGUMENT);
    EXPECT_OK(kcert_sign_options_set_backdate_seconds(opts, 600));
    EXPECT_FAIL(kcert_sign_options_set_not_before_mode(opts, 7), KCERT_INVALID_ARGUMENT);
    EXPECT_OK(kcert_sign_options_set_not_before_mode(opts, KCERT_NOT_BEFORE_BACKDATE));
    EXPECT_FAIL(kcert_sign_options_set_not_before(opts, "soonish"), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_sign_options_set_not_before(opts, "\xff"), KCERT_INVALID_UTF8);
    EXPECT_OK(kcert_sign_options_set_not_before(opts, "10m"));
    EXPECT_OK(kcert_sign_options_set_now(opts, 1767225600));
    EXPECT_OK(kcert_sign_options_set_include_ca(opts, true));
    EXPECT_OK(kcert_sign_options_set_threads(opts, 2));
    EXPECT_FAIL(kcert_sign_options_set_days(NULL, 30), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_sign_options_set_not_before(opts, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_sign_options_set_include_ca(NULL, true), KCERT_NULL_ARGUMENT);
    kcert_sign_options_free(opts);
    kcert_sign_options_free(NULL);
}

static void test_install_options(void) {
    kcert_install_options *opts = kcert_install_options_new();
    CHECK(opts != NULL);
    EXPECT_OK(kcert_install_options_set_dry_run(opts, true));
    EXPECT_OK(kcert_install_options_set_backup_dir(opts, "/tmp/kcert-backups"));
    EXPECT_OK(kcert_install_options_set_backup_dir(opts, NULL));
    EXPECT_FAIL(kcert_install_options_set_backup_dir(opts, "\xff"), KCERT_INVALID_UTF8);
    EXPECT_OK(kcert_install_options_set_now(opts, 1767225600));
    EXPECT_OK(kcert_install_options_set_user_kubeconfigs(opts, false));
    EXPECT_OK(kcert_install_options_set_threads(opts, 0));
    EXPECT_FAIL(kcert_install_options_set_dry_run(NULL, true), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_install_options_set_user_kubeconfigs(NULL, true), KCERT_NULL_ARGUMENT);
    kcert_install_options_free(opts);
    kcert_install_options_free(NULL);
}

/* NULL arguments and unreadable input fail before any work and leave the outputs alone. */
static void test_argument_errors(void) {
    char *json = SENTINEL;
    char missing[4096];
    EXPECT_FAIL(kcert_export_requests(NULL, NULL, &json), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_export_requests(worker, NULL, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_sign_requests(NULL, "{}", NULL, &json), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_sign_requests(control_plane, NULL, NULL, &json), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_sign_requests(control_plane, "{}", NULL, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_install_signed(NULL, "{}", NULL, &json), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_install_signed(worker_dry, NULL, NULL, &json), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_install_signed(worker_dry, "{}", NULL, NULL), KCERT_NULL_ARGUMENT);
    EXPECT_FAIL(kcert_sign_requests(control_plane, "not JSON", NULL, &json), KCERT_INVALID_ARGUMENT);
    EXPECT_FAIL(kcert_sign_requests(control_plane, "\xff", NULL, &json), KCERT_INVALID_UTF8);
    {
        kcert_result rc = kcert_install_signed(worker_dry, "neither JSON nor PEM", NULL, &json);
        CHECK(rc == KCERT_PEM || rc == KCERT_INVALID_ARGUMENT);
    }
    snprintf(missing, sizeof missing, "%s/no/such/dir", worker);
    CHECK(kcert_export_requests(missing, NULL, &json) != KCERT_OK);
    CHECK(json == SENTINEL);
}

/* The whole round: a dry run on WORKER_DRY, then the real installation on WORKER. */
static void test_round_trip(void) {
    kcert_export_options *export_opts = kcert_export_options_new();
    kcert_sign_options *sign_opts = kcert_sign_options_new();
    kcert_install_options *install_opts = kcert_install_options_new();
    char *requests = NULL, *signed_json = NULL, *report = NULL, *scan = NULL;

    EXPECT_OK(kcert_export_options_set_threads(export_opts, 1));
    EXPECT_OK(kcert_export_requests(worker, export_opts, &requests));
    CHECK(requests != NULL && strstr(requests, "\"kubelet-client-current\"") != NULL);
    CHECK(requests != NULL && strstr(requests, "PRIVATE KEY") == NULL);
    if (requests != NULL) {
        harness_write(out_dir, "requests.json", requests);
    }

    EXPECT_OK(kcert_sign_options_set_days(sign_opts, 90));
    EXPECT_OK(kcert_sign_options_set_backdate_seconds(sign_opts, 600));
    EXPECT_OK(kcert_sign_requests(control_plane, requests != NULL ? requests : "{}", sign_opts,
                                  &signed_json));
    CHECK(signed_json != NULL && strstr(signed_json, "PRIVATE KEY") == NULL);
    if (signed_json != NULL) {
        harness_write(out_dir, "signed.json", signed_json);
    }

    EXPECT_OK(kcert_install_options_set_dry_run(install_opts, true));
    EXPECT_OK(kcert_install_signed(worker_dry, signed_json != NULL ? signed_json : "{}",
                                   install_opts, &report));
    CHECK(report != NULL && strstr(report, "\"dryRun\": true") != NULL);
    kcert_string_free(report);
    report = NULL;

    EXPECT_OK(kcert_install_options_set_dry_run(install_opts, false));
    EXPECT_OK(kcert_install_signed(worker, signed_json != NULL ? signed_json : "{}",
                                   install_opts, &report));
    CHECK(report != NULL && strstr(report, "\"changed\": true") != NULL);
    if (report != NULL) {
        harness_write(out_dir, "install.json", report);
    }
    EXPECT_OK(kcert_scan_json(worker, &scan));
    if (scan != NULL) {
        harness_write(out_dir, "scan-after.json", scan);
    }

    kcert_string_free(scan);
    kcert_string_free(report);
    kcert_string_free(signed_json);
    kcert_string_free(requests);
    kcert_install_options_free(install_opts);
    kcert_sign_options_free(sign_opts);
    kcert_export_options_free(export_opts);
}

/* A signed set whose certificate was altered on the way is refused as a whole: nothing is
 * written (run-c-tests.sh checks WORKER_DRY is byte-identical afterwards). */
static void test_altered_certificate_refused(void) {
    char *requests = NULL, *signed_json = NULL, *report = SENTINEL;
    EXPECT_OK(kcert_export_requests(worker_dry, NULL, &requests));
    EXPECT_OK(kcert_sign_requests(control_plane, requests != NULL ? requests : "{}", NULL,
                                  &signed_json));
    if (signed_json != NULL) {
        /* Flip one base64 character of the first certificate: its signature no longer holds. */
        char *body = strstr(signed_json, "CERTIFICATE-----\\n");
        if (body != NULL) {
            body += strlen("CERTIFICATE-----\\n") + 200;
            *body = (char)(*body == 'A' ? 'B' : 'A');
        }
        CHECK(body != NULL);
        {
            kcert_result rc = kcert_install_signed(worker_dry, signed_json, NULL, &report);
            CHECK(rc != KCERT_OK);
            CHECK(report == SENTINEL);
        }
    }
    kcert_string_free(signed_json);
    kcert_string_free(requests);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s CONTROL_PLANE WORKER WORKER_DRY OUT_DIR\n", argv[0]);
        return 2;
    }
    control_plane = argv[1];
    worker = argv[2];
    worker_dry = argv[3];
    out_dir = argv[4];
    test_export_options();
    test_sign_options();
    test_install_options();
    test_argument_errors();
    test_round_trip();
    test_altered_certificate_refused();
    return harness_finish("test_handoff");
}
