/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* kvd: the guests' key-value service. A line protocol over TCP (kv_proto.h), one poll() loop,
 * up to KVD_CLIENTS connections. Usage: kvd [PORT] (default 7000). */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "kv_proto.h"

#define KVD_CLIENTS 32
#define KVD_PORT 7000

struct kvd_client {
    int fd;
    size_t len;
    int overflow; /* the current line is too long: drop it up to its LF */
    char buf[KV_LINE_MAX + 2];
};

static struct kv_store store;
static struct kvd_client clients[KVD_CLIENTS];

static int listen_on(int port)
{
    struct sockaddr_in a;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0) {
        return -1;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Consume what arrived on @c; returns -1 when the connection should close. */
static int serve(struct kvd_client *c)
{
    char in[1024], out[KV_REPLY_MAX];
    ssize_t r = read(c->fd, in, sizeof(in));

    if (r <= 0) {
        return -1;
    }
    for (ssize_t i = 0; i < r; i++) {
        if (in[i] != '\n') {
            if (c->len < sizeof(c->buf)) {
                c->buf[c->len++] = in[i];
            } else {
                c->overflow = 1;
            }
            continue;
        }
        if (c->overflow) {
            size_t n = (size_t)snprintf(out, sizeof(out), "ERR line too long\n");
            c->overflow = 0;
            if (send_all(c->fd, out, n) != 0) {
                return -1;
            }
        } else {
            size_t n = kv_handle(&store, c->buf, c->len, out);

            if (send_all(c->fd, out, n) != 0 ||
                (n == sizeof(KV_BYE) && memcmp(out, KV_BYE "\n", n) == 0)) {
                return -1; /* QUIT */
            }
        }
        c->len = 0;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : KVD_PORT;
    int lfd = listen_on(port);

    if (lfd < 0) {
        perror("kvd: listen");
        return 1;
    }
    printf("kvd: listening on port %d\n", port);
    fflush(stdout);
    for (int i = 0; i < KVD_CLIENTS; i++) {
        clients[i].fd = -1;
    }
    for (;;) {
        struct pollfd p[KVD_CLIENTS + 1];
        int n = 0;

        p[n].fd = lfd;
        p[n++].events = POLLIN;
        for (int i = 0; i < KVD_CLIENTS; i++) {
            p[n].fd = clients[i].fd;
            p[n++].events = POLLIN;
        }
        if (poll(p, (nfds_t)n, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("kvd: poll");
            return 1;
        }
        for (int i = 0; i < KVD_CLIENTS; i++) {
            if (clients[i].fd >= 0 && (p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) &&
                serve(&clients[i]) != 0) {
                close(clients[i].fd);
                clients[i].fd = -1;
            }
        }
        if (p[0].revents & POLLIN) {
            int fd = accept(lfd, NULL, NULL);
            int slot = -1;

            for (int i = 0; fd >= 0 && i < KVD_CLIENTS && slot < 0; i++) {
                slot = clients[i].fd < 0 ? i : -1;
            }
            if (fd >= 0 && slot < 0) {
                (void)send_all(fd, "ERR busy\n", 9);
                close(fd);
            } else if (fd >= 0) {
                memset(&clients[slot], 0, sizeof(clients[slot]));
                clients[slot].fd = fd;
            }
        }
    }
}
