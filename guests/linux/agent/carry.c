/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The agent's side of the carry service (carry.h). */
#include "carry.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vm_sockets.h>
#include <uslib/sha256.h>

#define CHUNK 65536

int vsock_dial(unsigned port)
{
    struct sockaddr_vm a;
    int fd = socket(AF_VSOCK, SOCK_STREAM, 0);

    if (fd < 0) {
        return -1;
    }
    memset(&a, 0, sizeof(a));
    a.svm_family = AF_VSOCK;
    a.svm_cid = VMADDR_CID_HOST;
    a.svm_port = port;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const void *b, size_t n)
{
    const uint8_t *p = b;

    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w <= 0) {
            if (w < 0 && errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One line from @fd, byte by byte (the bytes after it are the caller's), without LF. */
static int read_line(int fd, char *line, size_t cap)
{
    size_t n = 0;

    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);

        if (r <= 0) {
            return -1;
        }
        if (c == '\n') {
            line[n] = '\0';
            return 0;
        }
        if (n + 1 < cap) {
            line[n++] = c;
        }
    }
}

static void hex(const uint8_t d[SHA256_DIGEST_LEN], char out[2 * SHA256_DIGEST_LEN + 1])
{
    for (unsigned i = 0; i < SHA256_DIGEST_LEN; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

int carry_put(const char *path, char *out, size_t cap)
{
    static uint8_t buf[CHUNK];
    char h[2 * SHA256_DIGEST_LEN + 1], line[160];
    uint8_t d[SHA256_DIGEST_LEN];
    struct sha256_ctx ctx;
    struct stat sb;
    ssize_t r;
    int in = open(path, O_RDONLY), fd = -1;

    if (in < 0 || fstat(in, &sb) != 0 || sb.st_size <= 0) {
        snprintf(out, cap, "cannot read %s: %s", path, strerror(errno));
        goto fail;
    }
    sha256_init(&ctx);
    while ((r = read(in, buf, sizeof(buf))) > 0) {
        sha256_update(&ctx, buf, (size_t)r);
    }
    sha256_final(&ctx, d);
    hex(d, h);
    fd = vsock_dial(CARRY_PORT);
    if (fd < 0 || lseek(in, 0, SEEK_SET) != 0) {
        snprintf(out, cap, "cannot reach the vmm's carry port: %s", strerror(errno));
        goto fail;
    }
    snprintf(line, sizeof(line), "PUT %lld %s\n", (long long)sb.st_size, h);
    if (write_all(fd, line, strlen(line)) != 0) {
        snprintf(out, cap, "upload failed: %s", strerror(errno));
        goto fail;
    }
    while ((r = read(in, buf, sizeof(buf))) > 0) {
        if (write_all(fd, buf, (size_t)r) != 0) {
            snprintf(out, cap, "upload failed: %s", strerror(errno));
            goto fail;
        }
    }
    if (read_line(fd, line, sizeof(line)) != 0 || strncmp(line, "OK ", 3) != 0) {
        snprintf(out, cap, "vmm refused the state: %.100s", line);
        goto fail;
    }
    snprintf(out, cap, "%lld %s", (long long)sb.st_size, h);
    close(fd);
    close(in);
    return 0;
fail:
    if (fd >= 0) {
        close(fd);
    }
    if (in >= 0) {
        close(in);
    }
    return -1;
}

/* Send @request; receive "DATA SIZE[ SHA256]" and SIZE bytes into @path (@mode), whose
 * SHA-256 must be @want (or the one the reply names, if @want is NULL). */
static int download(const char *request, const char *want, const char *path, int mode, char *out,
                    size_t cap)
{
    static uint8_t buf[CHUNK];
    char h[2 * SHA256_DIGEST_LEN + 1], line[160], named[2 * SHA256_DIGEST_LEN + 1] = "";
    uint8_t d[SHA256_DIGEST_LEN];
    struct sha256_ctx ctx;
    long long size, have = 0;
    int fd = vsock_dial(CARRY_PORT), o = -1;

    if (fd < 0) {
        snprintf(out, cap, "cannot reach the vmm's carry port: %s", strerror(errno));
        return -1;
    }
    if (write_all(fd, request, strlen(request)) != 0 || read_line(fd, line, sizeof(line)) != 0 ||
        sscanf(line, "DATA %lld %64s", &size, named) < 1 || size <= 0) {
        snprintf(out, cap, "the vmm refused: %.100s", line);
        goto fail;
    }
    if (want == NULL) {
        want = named;
    }
    o = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (o < 0) {
        snprintf(out, cap, "cannot write %s: %s", path, strerror(errno));
        goto fail;
    }
    sha256_init(&ctx);
    while (have < size) {
        size_t want_n = size - have < CHUNK ? (size_t)(size - have) : CHUNK;
        ssize_t r = read(fd, buf, want_n);

        if (r <= 0) {
            snprintf(out, cap, "download cut short at %lld of %lld bytes", have, size);
            goto fail;
        }
        sha256_update(&ctx, buf, (size_t)r);
        if (write_all(o, buf, (size_t)r) != 0) {
            snprintf(out, cap, "cannot write %s: %s", path, strerror(errno));
            goto fail;
        }
        have += r;
    }
    sha256_final(&ctx, d);
    hex(d, h);
    if (strcmp(h, want) != 0) {
        snprintf(out, cap, "downloaded %s fails its sha256", want == named ? "image" : "state");
        goto fail;
    }
    close(o);
    close(fd);
    snprintf(out, cap, "%lld", size);
    return 0;
fail:
    if (o >= 0) {
        close(o);
        unlink(path);
    }
    close(fd);
    return -1;
}

int carry_get(const char *want, const char *path, char *out, size_t cap)
{
    char request[80];

    snprintf(request, sizeof(request), "GET %.64s\n", want);
    return download(request, want, path, 0600, out, cap);
}

int carry_image(const char *name, const char *path, char *out, size_t cap)
{
    char request[80];

    snprintf(request, sizeof(request), "IMAGE %.40s\n", name);
    return download(request, NULL, path, 0755, out, cap);
}
