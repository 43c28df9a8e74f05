/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The client side of kvd's local socket (kv_ask.h). */
#include "kv_ask.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int kv_unix_addr(const char *path, struct sockaddr_un *a)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(a->sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(a->sun_path, path);
    return 0;
}

int kv_ask(const char *path, const char *cmd, char *out, size_t cap)
{
    struct sockaddr_un a;
    size_t len = 0;
    ssize_t r;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    if (fd < 0 || kv_unix_addr(path, &a) != 0 ||
        connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || dprintf(fd, "%s\n", cmd) < 0) {
        snprintf(out, cap, "%s", strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -2;
    }
    while (len < cap - 1 && (r = read(fd, out + len, cap - 1 - len)) > 0) {
        len += (size_t)r;
        if (out[len - 1] == '\n') {
            break;
        }
    }
    close(fd);
    while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r')) {
        len--;
    }
    out[len] = '\0';
    return len > 0 && strncmp(out, "ERR", 3) != 0 ? 0 : -1;
}
