/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* kvd: the guests' key-value service. A line protocol over TCP (kv_proto.h), one poll() loop,
 * up to KVD_CLIENTS connections; and, on a Unix socket only local programs reach, the
 * commands that move its state (the guest agent's and the operator's):
 *   FREEZE       stop serving TCP clients (their requests wait in the kernel's buffers)
 *   FREEZE IDLE  the same, only if no TCP client is connected or waiting to be accepted
 *                ("ERR busy clients=N" otherwise): the last step of draining kvd
 *   THAW         serve them again
 *   SAVE PATH    write a snapshot of the store to PATH (kv_proto.h), reply
 *                "SAVED count bytes sha256"
 *   LOAD PATH    replace the store with the snapshot in PATH, all or nothing
 *   STATS        "STATS keys=N bytes=N requests=N frozen=0|1 clients=N role=ROLE pending=N"
 *                (clients: TCP clients; role and pending: kvd_relay.h)
 * and those that move the service to a twin kvd on the understudy instance without a gap,
 * through the relay (kvd_relay.h; vsock CID 2 port 1026, or -r unix:PATH):
 *   FOLLOW       (the twin) join the relay, load the snapshot and the writes that follow;
 *                no TCP meanwhile. "OK following" at once
 *   REPLICATE    join the relay (up to 5 s for the follower), send the snapshot, then every
 *                SET and DEL. "OK replicating BYTES"; role=synced once the follower has it
 *   HANDOVER     once synced: promote the twin, then forward every TCP client's request to
 *                it and relay its reply. "OK handed over"
 *   ALONE        call the move off before HANDOVER: drop the relay. "OK"
 * Usage: kvd [-a SOCKET] [-m MAX_BYTES] [-r unix:PATH] [PORT]
 *                            (defaults: /run/kvd.sock, 64 MiB, vsock, 7000)
 *        kvd ctl [-a SOCKET] COMMAND...          send one command to a running kvd */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "kv_ask.h"
#include "kv_proto.h"
#include "kvd_relay.h"

#define KVD_CLIENTS 32
#define KVD_ADMINS 4
#define KVD_PORT 7000
#define KVD_ADMIN_PATH "/run/kvd.sock"
#define KVD_ADMIN_REPLY 160

struct kvd_client {
    int fd;
    int admin;      /* came in on the Unix socket: may move state */
    uint32_t gen;   /* which connection holds the slot, so a reply finds only its own client */
    size_t pending; /* requests forwarded to the twin, their replies not yet delivered */
    int done;       /* no more requests (EOF or QUIT): closes once its replies are delivered */
    size_t len;
    int overflow; /* the current line is too long: drop it up to its LF */
    char buf[KV_LINE_MAX + 2];
};

static struct kv_store store;
static struct kvd_relay relay;
static struct kvd_client clients[KVD_CLIENTS + KVD_ADMINS];
static int frozen;
static int listen_fd = -1;

static int tcp_clients(void)
{
    int tcp = 0;

    for (int i = 0; i < KVD_CLIENTS + KVD_ADMINS; i++) {
        tcp += clients[i].fd >= 0 && !clients[i].admin;
    }
    return tcp;
}

/* FREEZE IDLE: a connection the kernel completed but kvd has not accepted yet counts too. Its
 * client may have sent a request already; frozen, kvd would never answer it. */
static void freeze_idle(char *out)
{
    struct pollfd p = {.fd = listen_fd, .events = POLLIN};
    int tcp = tcp_clients();

    if (tcp > 0 || poll(&p, 1, 0) != 0) {
        snprintf(out, KVD_ADMIN_REPLY, "ERR busy clients=%d\n", tcp > 0 ? tcp : 1);
        return;
    }
    frozen = 1;
    snprintf(out, KVD_ADMIN_REPLY, "OK frozen\n");
}

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

static void drop(struct kvd_client *c)
{
    close(c->fd);
    c->fd = -1;
}

static int is_bye(const char *reply, size_t n)
{
    return n == sizeof(KV_BYE) && memcmp(reply, KV_BYE "\n", n) == 0;
}

/* A reply from the twin to a forwarded request of client @slot, if it still holds connection
 * @gen (else the client has gone, and the reply with it). */
static void deliver(void *ctx, int slot, uint32_t gen, const char *reply, size_t n)
{
    struct kvd_client *c = &clients[slot];

    (void)ctx;
    if (c->fd < 0 || c->gen != gen) {
        return;
    }
    c->pending--;
    if (kvd_write_all(c->fd, reply, n) != 0 || is_bye(reply, n) || (c->done && c->pending == 0)) {
        drop(c);
    }
}

static int write_fd(void *ctx, const void *p, size_t n)
{
    return kvd_write_all(*(int *)ctx, p, n);
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
    size_t n = kvd_relay_admin(&relay, line, len, out, KVD_ADMIN_REPLY);

    if (n != 0) {
        return n;
    }
    if (len > 5 && (memcmp(line, "SAVE ", 5) == 0 || memcmp(line, "LOAD ", 5) == 0)) {
        memcpy(arg, line + 5, len - 5);
        arg[len - 5] = '\0';
        (line[0] == 'S' ? admin_save : admin_load)(arg, out);
    } else if (len == 6 && memcmp(line, "FREEZE", 6) == 0) {
        frozen = 1;
        snprintf(out, KVD_ADMIN_REPLY, "OK frozen\n");
    } else if (len == 11 && memcmp(line, "FREEZE IDLE", 11) == 0) {
        freeze_idle(out);
    } else if (len == 4 && memcmp(line, "THAW", 4) == 0) {
        frozen = 0;
        snprintf(out, KVD_ADMIN_REPLY, "OK\n");
    } else if (len == 5 && memcmp(line, "STATS", 5) == 0) {
        int tcp = tcp_clients();

        snprintf(out, KVD_ADMIN_REPLY,
                 "STATS keys=%llu bytes=%llu requests=%llu frozen=%d clients=%d role=%s "
                 "pending=%zu\n",
                 (unsigned long long)store.count, (unsigned long long)store.bytes,
                 (unsigned long long)store.requests, frozen, tcp, kvd_relay_role_name(&relay),
                 kvd_relay_pending(&relay));
    } else {
        return 0;
    }
    return strlen(out);
}

static int is_quit(const char *line, size_t len)
{
    return (len == 4 || (len == 5 && line[4] == '\r')) && memcmp(line, "QUIT", 4) == 0;
}

/* Consume what arrived on client @slot; returns -1 when the connection should close. A
 * request forwarded to the twin (kvd_relay_request() answers 0) is answered by deliver(). */
static int serve(int slot)
{
    struct kvd_client *c = &clients[slot];
    char in[4096], out[KV_REPLY_MAX > KVD_ADMIN_REPLY ? KV_REPLY_MAX : KVD_ADMIN_REPLY];
    int from = c->admin ? -1 : slot; /* admin clients are never forwarded */
    ssize_t r = read(c->fd, in, sizeof(in));

    if (r <= 0) {
        /* A client that half-closed after its requests still gets their replies. */
        c->done = r == 0 && c->pending > 0;
        return c->done ? 0 : -1;
    }
    for (ssize_t i = 0; i < r; i++) {
        int quit = 0;
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
            n = kvd_relay_overlong(&relay, from, c->gen, out);
            c->overflow = 0;
        } else {
            quit = is_quit(c->buf, c->len);
            n = c->admin ? admin(c->buf, c->len, out) : 0;
            n = n != 0 ? n : kvd_relay_request(&relay, from, c->gen, c->buf, c->len, out);
        }
        c->len = 0;
        if (n == 0) {
            c->pending++;
            if (quit) {
                c->done = 1; /* as when answered here, nothing after QUIT runs; BYE closes */
                return 0;
            }
            continue;
        }
        if (kvd_write_all(c->fd, out, n) != 0 || is_bye(out, n)) {
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
            uint32_t gen = clients[i].gen + 1;

            memset(&clients[i], 0, sizeof(clients[i]));
            clients[i].fd = fd;
            clients[i].admin = admin_conn;
            clients[i].gen = gen;
            return;
        }
    }
    (void)kvd_write_all(fd, "ERR busy\n", 9);
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
    kvd_relay_init(&relay, &store, deliver, NULL);
    while ((opt = getopt(argc, argv, "a:m:r:")) != -1) {
        if (opt == 'a') {
            admin_path = optarg;
        } else if (opt == 'm') {
            max_bytes = strtoull(optarg, NULL, 0);
        } else if (opt != 'r' || kvd_relay_set_addr(&relay, optarg) != 0) {
            fprintf(stderr, "usage: kvd [-a SOCKET] [-m MAX_BYTES] [-r unix:PATH] [PORT] | "
                            "kvd ctl CMD...\n");
            return 2;
        }
    }
    port = optind < argc ? atoi(argv[optind]) : port;
    kv_init(&store, max_bytes);
    /* A client or the relay gone mid-write must cost an error, not the process. */
    signal(SIGPIPE, SIG_IGN);
    lfd = listen_fd = listen_tcp(port);
    if (lfd < 0) {
        fprintf(stderr, "kvd: port %d: %s\n", port, strerror(errno)); /* in use, most often */
        return 1;
    }
    afd = listen_unix(admin_path);
    if (afd < 0) {
        fprintf(stderr, "kvd: %s: %s\n", admin_path, strerror(errno));
        return 1;
    }
    printf("kvd: listening on port %d\n", port);
    fflush(stdout);
    for (int i = 0; i < KVD_CLIENTS + KVD_ADMINS; i++) {
        clients[i].fd = -1;
    }
    for (;;) {
        struct pollfd p[KVD_CLIENTS + KVD_ADMINS + 3];
        int paused = frozen || !kvd_relay_serves_tcp(&relay), n = 0;

        /* Frozen or following: TCP clients and new connections wait (fd -1 is not polled). */
        p[n].fd = paused ? -1 : lfd;
        p[n++].events = POLLIN;
        p[n].fd = afd;
        p[n++].events = POLLIN;
        kvd_relay_poll(&relay, &p[n++]);
        for (int i = 0; i < KVD_CLIENTS + KVD_ADMINS; i++) {
            struct kvd_client *c = &clients[i];

            p[n].fd = (paused && !c->admin) || c->done ? -1 : c->fd;
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
            if (p[i + 3].fd >= 0 && (p[i + 3].revents & (POLLIN | POLLHUP | POLLERR)) &&
                serve(i) != 0) {
                drop(&clients[i]);
            }
        }
        if (p[2].fd >= 0) {
            kvd_relay_ready(&relay, p[2].revents);
        }
        if (p[0].fd >= 0 && (p[0].revents & POLLIN)) {
            accept_on(lfd, 0);
        }
        if (p[1].revents & POLLIN) {
            accept_on(afd, 1);
        }
    }
}
