/*
 * kcert_bench: the C side of benches/compare, over libkcert.so (include/kcert.h).
 *
 *   kcert_bench w1 WORK REPS               bundle.pem: kcert_bundle_parse, then subject,
 *                                          notAfter and SANs of every certificate
 *   kcert_bench resign WORK rsa|p256 REPS  resign.pem: every leaf re-signed with the CA, through
 *                                          an issuer handle (kcert_issuer_resign) and through
 *                                          the one-shot kcert_resign (W3 / W4)
 *
 * Prints one JSON result line per measurement (benches/compare/README.md). SANs come from
 * kcert_cert_subject_alt_names (one "DNS:"/"IP:"/... line per name); DNS and IP lines count.
 * SPDX-License-Identifier: MIT OR Apache-2.0
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kcert.h"

struct checksum {
    uint64_t count;
    uint64_t sans;
    int64_t max_not_after;
    uint64_t cn_bytes;
};

static void die(const char *what, kcert_result r) {
    char *msg = NULL;
    kcert_last_error_message(&msg);
    fprintf(stderr, "kcert_bench: %s: %s (%s)\n", what, kcert_result_name(r), msg ? msg : "");
    kcert_string_free(msg);
    exit(2);
}

static unsigned char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "kcert_bench: out of memory reading %s\n", path);
        exit(2);
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process (user + system), to compare with `openssl speed`'s CPU-time rate
 * on a machine other work shares. */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *runs, int n) {
    double s[64];
    memcpy(s, runs, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Length of the CN= value of an RFC 4514 subject ("CN=x,O=y"); the suite's CNs have no commas. */
static size_t cn_len(const char *subject) {
    const char *p = subject;
    while (p && *p) {
        if (strncmp(p, "CN=", 3) == 0) {
            const char *end = strchr(p + 3, ',');
            return end ? (size_t)(end - p - 3) : strlen(p + 3);
        }
        p = strchr(p, ',');
        if (p) p++;
    }
    return 0;
}

static void emit(const char *workload, const char *variant, uint64_t n, const double *runs,
                 const double *cpu, int reps, const struct checksum *sum, int with_time,
                 const char *extra) {
    double m = median(runs, reps);
    printf("{\"tool\":\"kcertlib-c\",\"variant\":\"%s\",\"workload\":\"%s\",\"n\":%llu,\"runs_s\":[",
           variant, workload, (unsigned long long)n);
    for (int i = 0; i < reps; i++) printf("%s%.9f", i ? "," : "", runs[i]);
    if (cpu) {
        double c = median(cpu, reps);
        printf("],\"cpu_s\":[");
        for (int i = 0; i < reps; i++) printf("%s%.9f", i ? "," : "", cpu[i]);
        printf("],\"certs_per_cpu_s\":%.3f", c > 0 ? n / c : 0.0);
    } else {
        printf("]");
    }
    printf(",\"certs_per_s\":%.3f,\"checksum\":{\"count\":%llu,\"sans\":%llu,\"cn_bytes\":%llu",
           m > 0 ? n / m : 0.0, (unsigned long long)sum->count, (unsigned long long)sum->sans,
           (unsigned long long)sum->cn_bytes);
    if (with_time) printf(",\"max_not_after\":%lld", (long long)sum->max_not_after);
    printf("},\"extra\":{%s}}\n", extra);
}

static void add(struct checksum *sum, const kcert_cert *cert, int with_time) {
    char *subject = NULL;
    kcert_result r = kcert_cert_subject(cert, &subject);
    if (r != KCERT_OK) die("kcert_cert_subject", r);
    if (with_time) {
        int64_t na = kcert_cert_not_after(cert);
        if (sum->count == 0 || na > sum->max_not_after) sum->max_not_after = na;
    }
    sum->count++;
    sum->cn_bytes += cn_len(subject);
    kcert_string_free(subject);
    char *sans = NULL;
    r = kcert_cert_subject_alt_names(cert, &sans);
    if (r != KCERT_OK) die("kcert_cert_subject_alt_names", r);
    for (const char *line = sans; line && *line;) {
        if (strncmp(line, "DNS:", 4) == 0 || strncmp(line, "IP:", 3) == 0) sum->sans++;
        const char *end = strchr(line, '\n');
        line = end ? end + 1 : line + strlen(line);
    }
    kcert_string_free(sans);
}

static void w1(const char *work, int reps) {
    char path[4096];
    snprintf(path, sizeof path, "%s/bundle.pem", work);
    size_t len;
    unsigned char *data = read_all(path, &len);
    double runs[64];
    struct checksum sum = {0};
    for (int i = 0; i < reps; i++) {
        double start = now_s();
        memset(&sum, 0, sizeof sum);
        kcert_bundle *bundle = NULL;
        kcert_result r = kcert_bundle_parse(data, len, &bundle);
        if (r != KCERT_OK) die("kcert_bundle_parse", r);
        size_t n = kcert_bundle_len(bundle);
        for (size_t j = 0; j < n; j++) {
            kcert_cert *cert = NULL;
            if ((r = kcert_bundle_get(bundle, j, &cert)) != KCERT_OK) die("kcert_bundle_get", r);
            add(&sum, cert, 1);
            kcert_cert_free(cert);
        }
        kcert_bundle_free(bundle);
        runs[i] = now_s() - start;
    }
    emit("W1", "kcert_bundle_parse", sum.count, runs, NULL, reps, &sum, 1, "");
    free(data);
}

/* Signs every leaf once: with the issuer handle (`issuer` not NULL), as a program re-signing
 * many certificates with one CA does, or with the one-shot kcert_resign, which checks the CA
 * on every call. */
static void resign_all(kcert_cert **leaves, size_t n, const kcert_issuer *issuer,
                       const kcert_cert *ca_cert, const kcert_key *ca_key, kcert_cert **out) {
    for (size_t j = 0; j < n; j++) {
        kcert_result r = issuer ? kcert_issuer_resign(issuer, leaves[j], NULL, &out[j], NULL)
                                : kcert_resign(leaves[j], ca_cert, ca_key, NULL, &out[j], NULL);
        if (r != KCERT_OK) die(issuer ? "kcert_issuer_resign" : "kcert_resign", r);
    }
}

static void free_all(kcert_cert **certs, size_t n) {
    for (size_t j = 0; j < n; j++) {
        kcert_cert_free(certs[j]);
        certs[j] = NULL;
    }
}

static void resign(const char *work, const char *ca, int reps) {
    char path[4096];
    size_t len;
    snprintf(path, sizeof path, "%s/resign.pem", work);
    unsigned char *data = read_all(path, &len);
    kcert_bundle *bundle = NULL;
    kcert_result r = kcert_bundle_parse(data, len, &bundle);
    if (r != KCERT_OK) die("kcert_bundle_parse", r);
    snprintf(path, sizeof path, "%s/ca-%s.crt", work, ca);
    unsigned char *ca_pem = read_all(path, &len);
    kcert_cert *ca_cert = NULL;
    if ((r = kcert_cert_parse(ca_pem, len, &ca_cert)) != KCERT_OK) die("kcert_cert_parse", r);
    snprintf(path, sizeof path, "%s/ca-%s.key", work, ca);
    unsigned char *key_pem = read_all(path, &len);
    kcert_key *ca_key = NULL;
    if ((r = kcert_key_parse(key_pem, len, &ca_key)) != KCERT_OK) die("kcert_key_parse", r);
    kcert_issuer *issuer = NULL;
    if ((r = kcert_issuer_new(ca_cert, ca_key, &issuer)) != KCERT_OK) die("kcert_issuer_new", r);

    /* The leaves are taken out of the bundle before timing, as the Rust and Python loops hold
     * theirs in a list. */
    size_t n = kcert_bundle_len(bundle);
    kcert_cert **leaves = calloc(n, sizeof *leaves), **out = calloc(n, sizeof *out);
    for (size_t j = 0; j < n; j++) {
        if ((r = kcert_bundle_get(bundle, j, &leaves[j])) != KCERT_OK) die("kcert_bundle_get", r);
    }
    const char *workload = strcmp(ca, "rsa") == 0 ? "W3" : "W4";
    char extra[64];
    snprintf(extra, sizeof extra, "\"ca\":\"%s\"", ca);
    for (int with_issuer = 1; with_issuer >= 0; with_issuer--) {
        double runs[64], cpu[64];
        /* Warm-up, one untimed pass per variant, as kcert-bench and python_resign.py do: the
         * first signature seeds AWS-LC's random number generator once per process (jitter
         * entropy, tens of milliseconds), and the first pass pays the page faults of the
         * outputs' memory; `openssl speed` counts neither. */
        resign_all(leaves, n, with_issuer ? issuer : NULL, ca_cert, ca_key, out);
        for (int i = 0; i < reps; i++) {
            free_all(out, n);
            double start = now_s(), cpu_start = cpu_s();
            resign_all(leaves, n, with_issuer ? issuer : NULL, ca_cert, ca_key, out);
            runs[i] = now_s() - start;
            cpu[i] = cpu_s() - cpu_start;
        }
        struct checksum sum = {0};
        for (size_t j = 0; j < n; j++) add(&sum, out[j], 0);
        emit(workload, with_issuer ? "kcert_issuer_resign" : "kcert_resign, issuer per call", n,
             runs, cpu, reps, &sum, 0, extra);
    }
    free_all(out, n);
    free_all(leaves, n);
    free(out);
    free(leaves);
    kcert_issuer_free(issuer);
    kcert_key_free(ca_key);
    kcert_cert_free(ca_cert);
    kcert_bundle_free(bundle);
    free(data);
    free(ca_pem);
    free(key_pem);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: kcert_bench w1 WORK REPS | resign WORK rsa|p256 REPS\n");
        return 64;
    }
    int reps = atoi(argv[argc - 1]);
    if (reps < 1) reps = 1;
    if (reps > 64) reps = 64;
    if (strcmp(argv[1], "w1") == 0) {
        w1(argv[2], reps);
    } else if (strcmp(argv[1], "resign") == 0 && argc == 5) {
        resign(argv[2], argv[3], reps);
    } else {
        fprintf(stderr, "kcert_bench: unknown command %s\n", argv[1]);
        return 64;
    }
    return 0;
}
