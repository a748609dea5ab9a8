/*
 * The C boundary itself: a panic inside the library becomes KCERT_PANIC with a message, the
 * library keeps working afterwards, and the last-error message is per thread. Linked against a
 * library built with the `test-panic` feature, which exports kcert_test_panic.
 *
 *   test_boundary FIXTURE_DIR
 */
#include <pthread.h>

#include "harness.h"

/* The test hook of a library built with the `test-panic` feature (run-c-tests.sh builds one for
 * this test); the public header does not declare it. */
kcert_result kcert_test_panic(void);

static const char *fixtures;

static void test_panic_becomes_a_status(void) {
    char *message = NULL;
    kcert_cert *cert = NULL;
    size_t len;
    unsigned char *data;
    EXPECT_FAIL(kcert_test_panic(), KCERT_PANIC);
    EXPECT_OK(kcert_last_error_message(&message));
    CHECK(message != NULL && strstr(message, "panicked") != NULL);
    CHECK(message != NULL && strstr(message, "kcert_test_panic was called") != NULL);
    kcert_string_free(message);
    CHECK_STR(kcert_result_name(KCERT_PANIC), "panic");
    /* The process is alive and the library still works. */
    data = harness_read(fixtures, "client.crt", &len);
    EXPECT_OK(kcert_cert_parse(data, len, &cert));
    CHECK(cert != NULL);
    kcert_cert_free(cert);
    free(data);
}

struct thread_result {
    kcert_result status;
    char *message;
};

static void *fail_in_thread(void *arg) {
    struct thread_result *result = arg;
    kcert_key *key = NULL;
    result->status = kcert_key_parse((const uint8_t *)"", 0, &key);
    result->message = harness_last_error();
    return NULL;
}

/* Another thread's failure does not change this thread's message. */
static void test_last_error_is_per_thread(void) {
    pthread_t thread;
    struct thread_result result = {KCERT_OK, NULL};
    kcert_cert *cert = SENTINEL;
    char *mine;
    EXPECT_FAIL(kcert_cert_parse((const uint8_t *)"garbage", 7, &cert), KCERT_PEM);
    CHECK(pthread_create(&thread, NULL, fail_in_thread, &result) == 0);
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK(result.status == KCERT_PEM);
    CHECK(result.message != NULL && strstr(result.message, "private key") != NULL);
    mine = harness_last_error();
    CHECK(mine != NULL && strstr(mine, "neither PEM nor a DER certificate") != NULL);
    free(mine);
    free(result.message);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    fixtures = argv[1];
    test_panic_becomes_a_status();
    test_last_error_is_per_thread();
    return harness_finish("test_boundary");
}
