/*
 * kcert-inspect: print subject, issuer and validity of every certificate in the files given.
 *
 *   kcert-inspect FILE...
 *
 * Each FILE is PEM (any number of certificates; keys and other blocks are skipped) or one DER
 * certificate. Exit status: 0 when every certificate is valid now, 1 when at least one has
 * expired (or is not valid yet), 2 when a file could not be read or parsed (this wins over 1).
 *
 * A small, complete example of the libkcert C API: parsing a bundle, borrowing its
 * certificates, reading strings the library allocates, and reporting errors.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kcert.h"

enum { EXIT_VALID = 0, EXIT_EXPIRED = 1, EXIT_ERROR = 2 };

/* Unix seconds as RFC 3339 UTC, e.g. 2026-11-28T13:58:57Z. */
static void format_time(int64_t unix_seconds, char *out, size_t size) {
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(out, size, "@%lld", (long long)unix_seconds);
    }
}

/* Prints why the last libkcert call failed. */
static void report_error(const char *file, kcert_result rc) {
    char *message = NULL;
    if (kcert_last_error_message(&message) == KCERT_OK) {
        fprintf(stderr, "kcert-inspect: %s: %s (%s)\n", file, message, kcert_result_name(rc));
        kcert_string_free(message);
    } else {
        fprintf(stderr, "kcert-inspect: %s: %s\n", file, kcert_result_name(rc));
    }
}

/* Reads a whole file; NULL (with a message) when it cannot. */
static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, used = 0, n;
    if (f == NULL) {
        perror(path);
        return NULL;
    }
    do {
        if (used == cap) {
            unsigned char *bigger;
            cap = cap ? cap * 2 : 65536;
            bigger = realloc(buf, cap);
            if (bigger == NULL) {
                free(buf);
                fclose(f);
                fprintf(stderr, "kcert-inspect: %s: out of memory\n", path);
                return NULL;
            }
            buf = bigger;
        }
        n = fread(buf + used, 1, cap - used, f);
        used += n;
    } while (n > 0);
    if (ferror(f)) {
        perror(path);
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = used;
    return buf;
}

/* Prints one certificate; returns EXIT_VALID, EXIT_EXPIRED or EXIT_ERROR. */
static int inspect(const char *file, size_t index, const kcert_cert *cert, int64_t now) {
    char *subject = NULL, *issuer = NULL;
    char not_before[32], not_after[32];
    int64_t nb = kcert_cert_not_before(cert), na = kcert_cert_not_after(cert);
    kcert_result rc = kcert_cert_subject(cert, &subject);
    if (rc == KCERT_OK) {
        rc = kcert_cert_issuer(cert, &issuer);
    }
    if (rc != KCERT_OK) {
        report_error(file, rc);
        kcert_string_free(subject);
        return EXIT_ERROR;
    }
    format_time(nb, not_before, sizeof not_before);
    format_time(na, not_after, sizeof not_after);
    printf("%s #%zu\n  subject:   %s\n  issuer:    %s\n  notBefore: %s\n  notAfter:  %s",
           file, index + 1, subject, issuer, not_before, not_after);
    kcert_string_free(subject);
    kcert_string_free(issuer);
    if (now > na) {
        printf("  EXPIRED %lld days ago\n", (long long)((now - na) / 86400));
        return EXIT_EXPIRED;
    }
    if (now < nb) {
        printf("  NOT YET VALID\n");
        return EXIT_EXPIRED;
    }
    printf("  (%lld days left)\n", (long long)((na - now) / 86400));
    return EXIT_VALID;
}

int main(int argc, char **argv) {
    int status = EXIT_VALID;
    int64_t now = (int64_t)time(NULL);
    int i;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...   (libkcert %s)\n", argv[0], kcert_version());
        return EXIT_ERROR;
    }
    for (i = 1; i < argc; i++) {
        size_t len = 0, n, j;
        unsigned char *data = read_file(argv[i], &len);
        kcert_bundle *bundle = NULL;
        kcert_result rc;
        if (data == NULL) {
            status = EXIT_ERROR;
            continue;
        }
        rc = kcert_bundle_parse(data, len, &bundle);
        free(data);
        if (rc != KCERT_OK) {
            report_error(argv[i], rc);
            status = EXIT_ERROR;
            continue;
        }
        n = kcert_bundle_len(bundle);
        for (j = 0; j < n; j++) {
            kcert_cert *cert = NULL;
            int result;
            rc = kcert_bundle_get(bundle, j, &cert);
            if (rc != KCERT_OK) {
                report_error(argv[i], rc);
                status = EXIT_ERROR;
                break;
            }
            result = inspect(argv[i], j, cert, now);
            kcert_cert_free(cert);
            if (result > status) {
                status = result;
            }
        }
        kcert_bundle_free(bundle);
    }
    return status;
}
