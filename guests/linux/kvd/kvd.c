/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* kvd: the guests' key-value service. A line protocol over TCP (kv_proto.h), one poll() loop,
 * up to KVD_CLIENTS connections; and, on a Unix socket only local programs reach, the
 * commands that move its state (the guest agent's and the operator's):
 *   FREEZE       stop serving TCP clients (their requests wait in the kernel's buffers)
 *   THAW         serve them again
 *   SAVE PATH    write a snapshot of the store to PATH (kv_proto.h), reply
 *                "SAVED count bytes sha256"
 *   LOAD PATH    replace the store with the snapshot in PATH, all or nothing
 *   STATS        "STATS keys=N bytes=N requests=N frozen=0|1 clients=N" (TCP clients)
 * Usage: kvd [-a SOCKET] [-m MAX_BYTES] [PORT]   (defaults: /run/kvd.sock, 64 MiB, 7000)
 *        kvd ctl [-a SOCKET] COMMAND...          send one command to a running kvd */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "kv_ask.h"
#include "kv_proto.h"

#define KVD_CLIENTS 32
#define KVD_ADMINS 4
#define KVD_PORT 7000
#define KVD_ADMIN_PATH "/run/kvd.sock"
#define KVD_ADMIN_REPLY 160

struct kvd_client {
    int fd;
    int admin; /* came in on the Unix socket: may move state */
    size_t len;
    int overflow; /* the current line is too long: drop it up to its LF */
    char buf[KV_LINE_MAX + 2];
};

static struct kv_store store;
static struct kvd_client clients[KVD_CLIENTS + KVD_ADMINS];
static int frozen;

static int listen_tcp(int port)
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
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 64) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int listen_unix(const char *path)
{
    struct sockaddr_un a;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    if (fd < 0 || kv_unix_addr(path, &a) != 0) {
        return -1;
    }
    (void)unlink(path);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || chmod(path, 0600) != 0 ||
        listen(fd, 4) != 0) {
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

static int write_fd(void *ctx, const void *p, size_t n)
{
    return send_all(*(int *)ctx, p, n);
}

/* SAVE PATH: to PATH.tmp, then renamed, so PATH is either the old snapshot or the new one. */
static void admin_save(const char *path, char *out)
{
    uint8_t digest[KV_SHA256_LEN];
    char tmp[512], hex[2 * KV_SHA256_LEN + 1];
    uint64_t n = 0;
    int fd;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
        n = kv_snapshot(&store, write_fd, &fd, digest);
        if (close(fd) != 0 || (n != 0 && rename(tmp, path) != 0)) {
            n = 0;
        }
    }
    if (n == 0) {
        snprintf(out, KVD_ADMIN_REPLY, "ERR cannot write %s: %s\n", path, strerror(errno));
        (void)unlink(tmp);
        return;
    }
    for (unsigned i = 0; i < KV_SHA256_LEN; i++) {
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    snprintf(out, KVD_ADMIN_REPLY, "SAVED %llu %llu %s\n", (unsigned long long)store.count,
             (unsigned long long)n, hex);
}

static void admin_load(const char *path, char *out)
{
    struct stat st;
    uint8_t *buf = NULL;
    const char *why = NULL;
    size_t got = 0;
    int fd = open(path, O_RDONLY);

    if (fd < 0 || fstat(fd, &st) != 0 || (buf = malloc((size_t)st.st_size + 1)) == NULL) {
        why = strerror(errno);
    }
    while (why == NULL && got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r <= 0) {
            why = r < 0 ? strerror(errno) : "file shrank";
            break;
        }
        got += (size_t)r;
    }
    if (why == NULL) {
        why = kv_restore(&store, buf, got);
    }
    free(buf);
    if (fd >= 0) {
        close(fd);
    }
    if (why != NULL) {
        snprintf(out, KVD_ADMIN_REPLY, "ERR %s refused: %s\n", path, why);
        fprintf(stderr, "kvd: LOAD %s refused: %s\n", path, why);
        return;
    }
    snprintf(out, KVD_ADMIN_REPLY, "LOADED %llu\n", (unsigned long long)store.count);
}

/* A state-moving command from the Unix socket; returns 0 if @line was not one. */
static size_t admin(const char *line, size_t len, char *out)
{
    char arg[KV_LINE_MAX + 1];

    if (len > 5 && (memcmp(line, "SAVE ", 5) == 0 || memcmp(line, "LOAD ", 5) == 0)) {
        memcpy(arg, line + 5, len - 5);
        arg[len - 5] = '\0';
        (line[0] == 'S' ? admin_save : admin_load)(arg, out);
    } else if (len == 6 && memcmp(line, "FREEZE", 6) == 0) {
        frozen = 1;
        snprintf(out, KVD_ADMIN_REPLY, "OK frozen\n");
    } else if (len == 4 && memcmp(line, "THAW", 4) == 0) {
        frozen = 0;
        snprintf(out, KVD_ADMIN_REPLY, "OK\n");
    } else if (len == 5 && memcmp(line, "STATS", 5) == 0) {
        int tcp = 0;

        for (int i = 0; i < KVD_CLIENTS + KVD_ADMINS; i++) {
            tcp += clients[i].fd >= 0 && !clients[i].admin;
        }
        snprintf(out, KVD_ADMIN_REPLY,
                 "STATS keys=%llu bytes=%llu requests=%llu frozen=%d clients=%d\n",
                 (unsigned long long)store.count, (unsigned long long)store.bytes,
                 (unsigned long long)store.requests, frozen, tcp);
    } else {
        return 0;
    }
    return strlen(out);
}

/* Consume what arrived on @c; returns -1 when the connection should close. */
static int serve(struct kvd_client *c)
{
    char in[4096], out[KV_REPLY_MAX > KVD_ADMIN_REPLY ? KV_REPLY_MAX : KVD_ADMIN_REPLY];
    ssize_t r = read(c->fd, in, sizeof(in));

    if (r <= 0) {
        return -1;
    }
    for (ssize_t i = 0; i < r; i++) {
        size_t n;

        if (in[i] != '\n') {
            if (c->len < sizeof(c->buf)) {
                c->buf[c->len++] = in[i];
            } else {
                c->overflow = 1;
            }
            continue;
        }
        if (c->overflow) {
            n = (size_t)snprintf(out, sizeof(out), "ERR line too long\n");
            c->overflow = 0;
        } else {
            n = c->admin ? admin(c->buf, c->len, out) : 0;
            n = n != 0 ? n : kv_handle(&store, c->buf, c->len, out);
        }
        c->len = 0;
        if (send_all(c->fd, out, n) != 0 ||
            (n == sizeof(KV_BYE) && memcmp(out, KV_BYE "\n", n) == 0)) {
            return -1; /* QUIT */
        }
    }
    return 0;
}

static void accept_on(int lfd, int admin_conn)
{
    int fd = accept(lfd, NULL, NULL);
    int first = admin_conn ? KVD_CLIENTS : 0,
        end = admin_conn ? KVD_CLIENTS + KVD_ADMINS : KVD_CLIENTS;

    if (fd < 0) {
        return;
    }
    for (int i = first; i < end; i++) {
        if (clients[i].fd < 0) {
            memset(&clients[i], 0, sizeof(clients[i]));
            clients[i].fd = fd;
            clients[i].admin = admin_conn;
            return;
        }
    }
    (void)send_all(fd, "ERR busy\n", 9);
    close(fd);
}

/* kvd ctl: one command to the running kvd's Unix socket, its reply on stdout. */
static int ctl(int argc, char **argv)
{
    const char *path = KVD_ADMIN_PATH;
    char line[KV_LINE_MAX + 2] = "", reply[1024];
    size_t len = 0;
    int i = 2, r;

    if (argc > 3 && strcmp(argv[2], "-a") == 0) {
        path = argv[3];
        i = 4;
    }
    for (; i < argc; i++) {
        len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s", len ? " " : "", argv[i]);
        if (len >= sizeof(line) - 1) {
            fprintf(stderr, "kvd ctl: command too long\n");
            return 2;
        }
    }
    r = kv_ask(path, line, reply, sizeof(reply));
    if (r == -2) {
        fprintf(stderr, "kvd ctl: cannot reach %s: %s\n", path, reply);
        return 1;
    }
    if (reply[0] != '\0') {
        printf("%s\n", reply);
    }
    return r == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *admin_path = KVD_ADMIN_PATH;
    unsigned long long max_bytes = 0;
    int port = KVD_PORT, lfd, afd, opt;

    if (argc > 1 && strcmp(argv[1], "ctl") == 0) {
        return ctl(argc, argv);
    }
    while ((opt = getopt(argc, argv, "a:m:")) != -1) {
        if (opt == 'a') {
            admin_path = optarg;
        } else if (opt == 'm') {
            max_bytes = strtoull(optarg, NULL, 0);
        } else {
            fprintf(stderr, "usage: kvd [-a SOCKET] [-m MAX_BYTES] [PORT] | kvd ctl CMD...\n");
            return 2;
        }
    }
    port = optind < argc ? atoi(argv[optind]) : port;
    kv_init(&store, max_bytes);
    lfd = listen_tcp(port);
    afd = listen_unix(admin_path);
    if (lfd < 0 || afd < 0) {
        perror("kvd: listen");
        return 1;
    }
    printf("kvd: listening on port %d\n", port);
    fflush(stdout);
    for (int i = 0; i < KVD_CLIENTS + KVD_ADMINS; i++) {
        clients[i].fd = -1;
    }
    for (;;) {
        struct pollfd p[KVD_CLIENTS + KVD_ADMINS + 2];
        int n = 0;

        /* Frozen: TCP clients and new connections wait (fd -1 is not polled). */
        p[n].fd = frozen ? -1 : lfd;
        p[n++].events = POLLIN;
        p[n].fd = afd;
        p[n++].events = POLLIN;
        for (int i = 0; i < KVD_CLIENTS + KVD_ADMINS; i++) {
            p[n].fd = frozen && !clients[i].admin ? -1 : clients[i].fd;
            p[n++].events = POLLIN;
        }
        if (poll(p, (nfds_t)n, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("kvd: poll");
            return 1;
        }
        for (int i = 0; i < KVD_CLIENTS + KVD_ADMINS; i++) {
            if (p[i + 2].fd >= 0 && (p[i + 2].revents & (POLLIN | POLLHUP | POLLERR)) &&
                serve(&clients[i]) != 0) {
                close(clients[i].fd);
                clients[i].fd = -1;
            }
        }
        if (p[0].fd >= 0 && (p[0].revents & POLLIN)) {
            accept_on(lfd, 0);
        }
        if (p[1].revents & POLLIN) {
            accept_on(afd, 1);
        }
    }
}
