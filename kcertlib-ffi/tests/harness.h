/*
 * A tiny check harness shared by the C tests of libkcert (header-only, C11).
 *
 * CHECK(cond) counts a check and reports the failing expression with its line. The expect_*
 * helpers check a kcert_result and, for failures, that kcert_last_error_message explains it.
 * Every test program ends with `return harness_finish("name");`, which prints one summary line
 * and returns the exit status (0 only when no check failed).
 */
#ifndef KCERT_TEST_HARNESS_H
#define KCERT_TEST_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcert.h"

static int harness_passed;
static int harness_failed;

/* An address no library call could produce: out-pointers start here, and a failing call must
 * leave them here ("outputs written only on success"). */
static char harness_sentinel_object;
#define SENTINEL ((void *)&harness_sentinel_object)

static inline void harness_fail(const char *file, int line, const char *fmt, ...) {
    va_list args;
    harness_failed++;
    fprintf(stderr, "%s:%d: FAILED: ", file, line);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
}

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (cond) {                                                                            \
            harness_passed++;                                                                  \
        } else {                                                                               \
            harness_fail(__FILE__, __LINE__, "%s", #cond);                                     \
        }                                                                                      \
    } while (0)

#define CHECK_STR(actual, expected)                                                            \
    do {                                                                                       \
        const char *a_ = (actual), *e_ = (expected);                                           \
        if (a_ != NULL && e_ != NULL && strcmp(a_, e_) == 0) {                                 \
            harness_passed++;                                                                  \
        } else {                                                                               \
            harness_fail(__FILE__, __LINE__, "%s is \"%s\", expected \"%s\"", #actual,         \
                         a_ ? a_ : "(null)", e_ ? e_ : "(null)");                              \
        }                                                                                      \
    } while (0)

/* The calling thread's last error message (a copy the caller frees with free()). */
static inline char *harness_last_error(void) {
    char *message = NULL;
    char *copy;
    if (kcert_last_error_message(&message) != KCERT_OK || message == NULL) {
        return NULL;
    }
    copy = malloc(strlen(message) + 1);
    if (copy != NULL) {
        strcpy(copy, message);
    }
    kcert_string_free(message);
    return copy;
}

static inline void harness_expect_ok(const char *file, int line, kcert_result rc, const char *what) {
    if (rc == KCERT_OK) {
        harness_passed++;
    } else {
        char *message = harness_last_error();
        harness_fail(file, line, "%s returned %s (%u): %s", what, kcert_result_name(rc), rc,
                     message ? message : "(no message)");
        free(message);
    }
}

/* A failure with status `expected` and a non-empty message. */
static inline void harness_expect_fail(const char *file, int line, kcert_result rc,
                                kcert_result expected, const char *what) {
    char *message = harness_last_error();
    if (rc != expected) {
        harness_fail(file, line, "%s returned %s (%u), expected %s (%u): %s", what,
                     kcert_result_name(rc), rc, kcert_result_name(expected), expected,
                     message ? message : "(no message)");
    } else if (message == NULL || message[0] == '\0') {
        harness_fail(file, line, "%s returned %s but left no error message", what,
                     kcert_result_name(rc));
    } else {
        harness_passed++;
        if (getenv("KCERT_TEST_VERBOSE") != NULL) {
            fprintf(stderr, "  %s -> %s: %s\n", what, kcert_result_name(rc), message);
        }
    }
    free(message);
}

#define EXPECT_OK(call) harness_expect_ok(__FILE__, __LINE__, (call), #call)
#define EXPECT_FAIL(call, expected) harness_expect_fail(__FILE__, __LINE__, (call), (expected), #call)

/* Reads a whole file into a NUL-terminated malloc'd buffer (the NUL is not counted in *len).
 * Exits on failure: a missing fixture is a broken test setup, not a check. */
static inline unsigned char *harness_read(const char *dir, const char *name, size_t *len) {
    char path[4096];
    FILE *f;
    long size;
    unsigned char *buf;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "cannot read fixture %s\n", path);
        exit(2);
    }
    buf = malloc((size_t)size + 1);
    if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot read fixture %s\n", path);
        exit(2);
    }
    buf[size] = '\0';
    fclose(f);
    if (len != NULL) {
        *len = (size_t)size;
    }
    return buf;
}

/* Writes `text` to dir/name; exits on failure (broken setup). */
static inline void harness_write(const char *dir, const char *name, const char *text) {
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
}

static inline int harness_finish(const char *program) {
    printf("%s: %d checks ok, %d checks failed\n", program, harness_passed, harness_failed);
    return harness_failed == 0 ? 0 : 1;
}

#endif /* KCERT_TEST_HARNESS_H */
