/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* kvd's relay to its twin (kvd_relay.h). The host pairs the two kvds' connections: each sends
 * "JOIN kvd", both get "OK" once both have joined, then the host splices the two streams.
 * From the first kvd to its follower: a KVSNAP01 snapshot, the SET and DEL lines it ran since,
 * "PROMOTE", then its remaining clients' request lines. Back: "SYNCED n" once the snapshot is
 * loaded, then one reply line per forwarded request, in order. The peer is another instance
 * of kvd behind the host, but nothing it sends is trusted: a malformed stream only ends the
 * relay. */
#include "kvd_relay.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>
#include "kv_ask.h"

#define RELAY_PORT 1026
#define RELAY_JOIN "JOIN kvd\n"
#define RELAY_JOIN_WAIT_MS 5000
/* No line on the relay comes near this (a request is at most KV_LINE_MAX + 2 bytes): a peer
 * that sends one is broken, and buffering it would only hold memory. */
#define RELAY_LINE_MAX 65536u
#define RELAY_CHUNK 65536u
#define RELAY_READS 16        /* per poll() round, so a busy relay does not starve the clients */
#define RELAY_KEEP (1u << 20) /* an emptied buffer larger than this is given back */

enum { PHASE_OK, PHASE_SNAPSHOT, PHASE_LINES };

static const char *const role_names[] = {
    [KVD_ALONE] = "alone",         [KVD_REPLICATING] = "replicating",
    [KVD_SYNCED] = "synced",       [KVD_FORWARDING] = "forwarding",
    [KVD_FOLLOWING] = "following", [KVD_PRIMARY] = "primary",
    [KVD_LOST] = "lost",
};

static const char moved_err[] = "ERR service moved; its new instance is unreachable\n";
static const char overlong_err[] = "ERR line too long\n";

static void buf_free(struct kvd_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* Room for @n more bytes at b->len. Consumed bytes are dropped first once they fill half the
 * buffer, so each byte is moved at most once on average. Returns 0, or -1 (no memory). */
static int buf_room(struct kvd_buf *b, size_t n)
{
    size_t cap = b->cap != 0 ? b->cap : 4096;
    char *p;

    if (b->head > 0 && (b->head == b->len || b->head >= b->cap / 2)) {
        memmove(b->p, b->p + b->head, b->len - b->head);
        b->len -= b->head;
        b->head = 0;
    }
    if (b->cap - b->len >= n) {
        return 0;
    }
    while (cap - b->len < n) {
        cap *= 2;
    }
    p = realloc(b->p, cap);
    if (p == NULL) {
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_put(struct kvd_buf *b, const void *p, size_t n)
{
    if (n == 0) {
        return 0; /* b->p may still be NULL */
    }
    if (buf_room(b, n) != 0) {
        return -1;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

int kvd_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n); /* kvd ignores SIGPIPE: a gone peer is an error */

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

static int is(const char *line, size_t len, const char *word)
{
    return len == strlen(word) && memcmp(line, word, len) == 0;
}

void kvd_relay_init(struct kvd_relay *r, struct kv_store *kv, kvd_deliver_fn *deliver, void *ctx)
{
    memset(r, 0, sizeof(*r));
    r->kv = kv;
    r->deliver = deliver;
    r->ctx = ctx;
    r->fd = -1;
    r->snap_done = -1;
    r->role = KVD_ALONE;
}

int kvd_relay_set_addr(struct kvd_relay *r, const char *spec)
{
    if (strncmp(spec, "unix:", 5) != 0 || spec[5] == '\0') {
        return -1;
    }
    r->unix_path = spec + 5;
    return 0;
}

/* Connect to the relay and join it. Returns the socket (blocking), or -1 with errno set. */
static int relay_dial(const struct kvd_relay *r)
{
    int fd, err;

    if (r->unix_path != NULL) {
        struct sockaddr_un a;

        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && (kv_unix_addr(r->unix_path, &a) != 0 ||
                        connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)) {
            goto err_close;
        }
    } else {
        struct sockaddr_vm a;

        fd = socket(AF_VSOCK, SOCK_STREAM, 0);
        memset(&a, 0, sizeof(a));
        a.svm_family = AF_VSOCK;
        a.svm_cid = VMADDR_CID_HOST;
        a.svm_port = RELAY_PORT;
        if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
            goto err_close;
        }
    }
    if (fd >= 0 && kvd_write_all(fd, RELAY_JOIN, sizeof(RELAY_JOIN) - 1) != 0) {
        goto err_close;
    }
    return fd;
err_close:
    err = errno;
    close(fd);
    errno = err;
    return -1;
}

static long now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* REPLICATE: the host answers "OK" once the follower has joined too. Returns NULL, or why no
 * follower is there. */
static const char *relay_await_ok(struct kvd_relay *r)
{
    long end = now_ms() + RELAY_JOIN_WAIT_MS;

    for (;;) {
        char *lf = r->in.len > r->in.head
                       ? memchr(r->in.p + r->in.head, '\n', r->in.len - r->in.head)
                       : NULL;
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        long left = end - now_ms();
        ssize_t got;

        if (lf != NULL) {
            int ok = is(r->in.p + r->in.head, (size_t)(lf - r->in.p) - r->in.head, "OK");

            r->in.head = (size_t)(lf + 1 - r->in.p);
            return ok ? NULL : "the relay did not answer OK";
        }
        if (left <= 0) {
            return "none within 5 s";
        }
        if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
            return strerror(errno);
        }
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) {
            continue;
        }
        if (r->in.len - r->in.head >= RELAY_LINE_MAX || buf_room(&r->in, RELAY_CHUNK) != 0) {
            return "the relay's answer is too long";
        }
        got = read(r->fd, r->in.p + r->in.len, RELAY_CHUNK);
        if (got <= 0) {
            return got == 0 ? "the relay closed" : strerror(errno);
        }
        r->in.len += (size_t)got;
    }
}

/* Drop the relay and its buffers; forwarded requests still waiting are answered with an error
 * (those answered here with their own reply), in order, since their fate is unknown. */
/* The snapshot child's end: stop it if it still runs, and reap it. Returns 0 if it wrote the
 * whole snapshot. */
static int snap_reap(struct kvd_relay *r, int stop)
{
    int status = -1;

    if (r->snap_pid <= 0) {
        return 0;
    }
    if (stop) {
        kill(r->snap_pid, SIGKILL);
    }
    while (waitpid(r->snap_pid, &status, 0) < 0 && errno == EINTR) {
    }
    close(r->snap_done);
    r->snap_pid = 0;
    r->snap_done = -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void relay_close(struct kvd_relay *r)
{
    (void)snap_reap(r, 1);
    for (; r->wait_len > 0; r->wait_len--) {
        struct kvd_waiting w = r->wait[r->wait_head];
        const char *reply = w.local != NULL ? w.local : moved_err;

        r->wait_head = (r->wait_head + 1) % r->wait_cap;
        r->deliver(r->ctx, w.slot, w.gen, reply, strlen(reply));
    }
    free(r->wait);
    r->wait = NULL;
    r->wait_head = r->wait_cap = 0;
    if (r->fd >= 0) {
        close(r->fd);
    }
    r->fd = -1;
    buf_free(&r->in);
    buf_free(&r->out);
}

/* The relay broke or ended (@why). A primary has all it needs; anyone else is "lost" and, the
 * host retiring one of the two, serves what it holds meanwhile. */
static void relay_lost(struct kvd_relay *r, const char *why)
{
    if (r->role == KVD_PRIMARY) {
        fprintf(stderr, "kvd: relay ended (%s); serving as primary\n", why);
    } else if (r->role == KVD_FORWARDING) {
        fprintf(stderr, "kvd: relay lost while forwarding (%s): the moved clients get errors\n",
                why);
        r->role = KVD_LOST;
    } else {
        fprintf(stderr, "kvd: relay lost as %s (%s); serving alone what this store holds\n",
                role_names[r->role], why);
        r->role = KVD_LOST;
    }
    relay_close(r);
}

static int wait_push(struct kvd_relay *r, int slot, uint32_t gen, const char *local)
{
    if (r->wait_len == r->wait_cap) {
        size_t cap = r->wait_cap != 0 ? 2 * r->wait_cap : 64;
        struct kvd_waiting *w = malloc(cap * sizeof(*w));

        if (w == NULL) {
            return -1;
        }
        for (size_t i = 0; i < r->wait_len; i++) {
            w[i] = r->wait[(r->wait_head + i) % r->wait_cap];
        }
        free(r->wait);
        r->wait = w;
        r->wait_cap = cap;
        r->wait_head = 0;
    }
    r->wait[(r->wait_head + r->wait_len++) % r->wait_cap] =
        (struct kvd_waiting){.slot = slot, .gen = gen, .local = local};
    return 0;
}

/* Deliver the waiting entry at the head, with @reply (@n bytes) if it was forwarded, then any
 * local replies that were queued behind it. */
static void wait_pop(struct kvd_relay *r, const char *reply, size_t n)
{
    do {
        struct kvd_waiting w = r->wait[r->wait_head];

        if (w.local != NULL) {
            reply = w.local;
            n = strlen(w.local);
        }
        r->wait_head = (r->wait_head + 1) % r->wait_cap;
        r->wait_len--;
        r->deliver(r->ctx, w.slot, w.gen, reply, n);
    } while (r->wait_len > 0 && r->wait[r->wait_head].local != NULL);
}

/* One line from the twin (@len bytes, LF at line[len]). Returns NULL, or why the relay must
 * end. */
static const char *relay_line(struct kvd_relay *r, const char *line, size_t len)
{
    char out[KV_REPLY_MAX];
    size_t n;

    switch (r->role) {
    case KVD_FOLLOWING:
        if (is(line, len, "PROMOTE")) {
            r->role = KVD_PRIMARY;
            fprintf(stderr, "kvd: promoted: serving as primary\n");
        } else {
            (void)kv_handle(r->kv, line, len, out); /* the first kvd has answered it */
        }
        return NULL;
    case KVD_PRIMARY:
        n = kv_handle(r->kv, line, len, out); /* a forwarded QUIT only gets its BYE */
        return buf_put(&r->out, out, n) == 0 ? NULL : "out of memory";
    case KVD_REPLICATING:
        if (len <= 7 || memcmp(line, "SYNCED ", 7) != 0) {
            return "unexpected line while replicating";
        }
        if (strtoull(line + 7, NULL, 10) != r->snap_keys) {
            return "the follower loaded another number of keys than were sent";
        }
        r->role = KVD_SYNCED;
        fprintf(stderr, "kvd: the follower loaded %llu keys: synced\n",
                (unsigned long long)r->snap_keys);
        return NULL;
    case KVD_FORWARDING:
        if (r->wait_len == 0) {
            return "a reply nobody waits for";
        }
        wait_pop(r, line, len + 1);
        return NULL;
    case KVD_ALONE:
    case KVD_SYNCED:
    case KVD_LOST:
    default:
        return "unexpected line";
    }
}

/* A follower's snapshot, at the head of the input once its header is in. Returns NULL (taken,
 * or not all in yet), or why it was refused. */
static const char *relay_snapshot(struct kvd_relay *r, int *more)
{
    const uint8_t *h = (const uint8_t *)r->in.p + r->in.head;
    size_t have = r->in.len - r->in.head;
    uint64_t body = 0, max = r->kv->max_bytes != 0 ? r->kv->max_bytes : KV_DEFAULT_MAX_BYTES;
    char synced[32];
    const char *why;
    size_t total, n;

    *more = 0;
    if (have < KV_SNAP_HEADER) {
        return NULL;
    }
    if (memcmp(h, KV_SNAP_MAGIC, 8) != 0) {
        return "not a kvd snapshot";
    }
    for (unsigned i = 0; i < 8; i++) {
        body |= (uint64_t)h[16 + i] << (8 * i);
    }
    /* Each record holds at least a 1-byte key besides its 3-byte head: anything longer cannot
     * fit this store, and checking now spares allocating what a corrupt header claims. */
    if (body / 4 > max) {
        return "larger than the store may hold";
    }
    total = (size_t)(KV_SNAP_HEADER + body + KV_SHA256_LEN);
    if (have < total) {
        return buf_room(&r->in, total - have) == 0 ? NULL : "out of memory";
    }
    why = kv_restore(r->kv, (const uint8_t *)r->in.p + r->in.head, total);
    if (why != NULL) {
        return why;
    }
    r->in.head += total;
    r->phase = PHASE_LINES;
    *more = 1;
    fprintf(stderr, "kvd: loaded the snapshot from the relay: %llu keys\n",
            (unsigned long long)r->kv->count);
    n = (size_t)snprintf(synced, sizeof(synced), "SYNCED %llu\n", (unsigned long long)r->kv->count);
    return buf_put(&r->out, synced, n) == 0 ? NULL : "out of memory";
}

/* Act on every complete unit in the input. Returns NULL, or why the relay must end. */
static const char *relay_consume(struct kvd_relay *r)
{
    for (;;) {
        char *line = r->in.p + r->in.head, *lf;
        size_t len;
        const char *why;
        int more;

        if (r->phase == PHASE_SNAPSHOT) {
            why = relay_snapshot(r, &more);
            if (why != NULL || !more) {
                return why;
            }
            continue;
        }
        lf = memchr(line, '\n', r->in.len - r->in.head);
        if (lf == NULL) {
            return r->in.len - r->in.head > RELAY_LINE_MAX ? "a line too long" : NULL;
        }
        len = (size_t)(lf - line);
        r->in.head += len + 1;
        if (r->phase == PHASE_OK) {
            if (!is(line, len, "OK")) {
                return "the relay did not answer OK";
            }
            r->phase = PHASE_SNAPSHOT;
            continue;
        }
        why = relay_line(r, line, len);
        if (why != NULL) {
            return why;
        }
    }
}

/* Send what waits, as much as the socket takes. Returns 0, or -1 if the relay broke. */
static int relay_drain(struct kvd_relay *r)
{
    while (r->out.head < r->out.len) {
        ssize_t w = send(r->fd, r->out.p + r->out.head, r->out.len - r->out.head,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (w > 0) {
            r->out.head += (size_t)w;
        } else if (w < 0 && errno == EAGAIN) {
            return 0;
        } else if (w < 0 && errno != EINTR) {
            relay_lost(r, strerror(errno));
            return -1;
        }
    }
    /* The snapshot may have grown it to tens of MB: give that back once it is sent. */
    if (r->out.cap > RELAY_KEEP) {
        buf_free(&r->out);
    }
    r->out.head = r->out.len = 0;
    return 0;
}

void kvd_relay_ready(struct kvd_relay *r, short revents)
{
    const char *why = NULL;
    int ended = 0;

    if (r->snap_pid > 0) {
        /* The pipe: the child has exited. The writes since wait in r->out, in order. */
        if (revents != 0 && snap_reap(r, 0) != 0) {
            relay_lost(r, "the snapshot could not be sent");
        }
        return;
    }
    if (r->fd < 0 || ((revents & POLLOUT) && relay_drain(r) != 0)) {
        return;
    }
    if (!(revents & (POLLIN | POLLHUP | POLLERR))) {
        return;
    }
    for (int i = 0; i < RELAY_READS && why == NULL && !ended; i++) {
        ssize_t got;

        if (buf_room(&r->in, RELAY_CHUNK) != 0) {
            why = "out of memory";
            break;
        }
        got = read(r->fd, r->in.p + r->in.len, RELAY_CHUNK);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0 && errno == EAGAIN) {
            break;
        }
        if (got <= 0) {
            ended = 1;
            why = got == 0 ? "the relay closed" : strerror(errno);
            break;
        }
        r->in.len += (size_t)got;
    }
    /* What arrived before an end still counts: a PROMOTE, the last replies. */
    if (r->in.len > r->in.head) {
        const char *bad = relay_consume(r);

        why = bad != NULL ? bad : why;
    }
    if (why != NULL && r->fd >= 0) {
        relay_lost(r, why);
    }
}

void kvd_relay_poll(const struct kvd_relay *r, struct pollfd *p)
{
    if (r->snap_pid > 0) {
        p->fd = r->snap_done; /* nothing else goes on the relay until the child is done */
        p->events = POLLIN;
        p->revents = 0;
        return;
    }
    p->fd = r->fd;
    p->events = (short)(POLLIN | (r->out.len > r->out.head ? POLLOUT : 0));
    p->revents = 0;
}

/* Why FOLLOW or REPLICATE cannot start now, or NULL: only one move at a time, and a kvd that
 * handed over holds a stale store. */
static const char *relay_busy(const struct kvd_relay *r)
{
    if (r->moved) {
        return "handed over already";
    }
    if (r->role == KVD_FOLLOWING) {
        return "following already";
    }
    return r->fd >= 0 ? "the relay is in use" : NULL;
}

static void relay_follow(struct kvd_relay *r, char *out, size_t cap)
{
    const char *busy = relay_busy(r);

    if (busy != NULL) {
        snprintf(out, cap, "ERR %s (role=%s)\n", busy, role_names[r->role]);
        return;
    }
    r->fd = relay_dial(r);
    if (r->fd < 0 || fcntl(r->fd, F_SETFL, O_NONBLOCK) != 0) {
        snprintf(out, cap, "ERR relay unreachable: %s\n", strerror(errno));
        relay_close(r);
        return;
    }
    /* Pairing waits for the first kvd's REPLICATE, which the host runs after this answer. */
    r->role = KVD_FOLLOWING;
    r->phase = PHASE_OK;
    snprintf(out, cap, "OK following\n");
}

/* The snapshot child's writer: the relay socket is non-blocking (the flag is shared with the
 * parent), so wait for room. */
static int child_write(void *ctx, const void *p, size_t n)
{
    int fd = *(int *)ctx;

    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        struct pollfd pf = {.fd = fd, .events = POLLOUT};

        if (w > 0) {
            p = (const char *)p + w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            (void)poll(&pf, 1, -1);
        } else {
            return -1;
        }
    }
    return 0;
}

/* Serialising and sealing a large store takes long (a 64 MiB store, seconds under emulation):
 * a child writes it from a copy-on-write image of the store, while this process goes on
 * serving and keeps the writes that follow for after it. Returns the snapshot's length; 0
 * (errno set) if the child could not start. */
static uint64_t snap_start(struct kvd_relay *r)
{
    uint64_t len = KV_SNAP_HEADER + 3u * r->kv->count + r->kv->bytes + KV_SHA256_LEN;
    int done[2];
    pid_t pid;

    if (pipe(done) != 0) {
        return 0;
    }
    pid = fork();
    if (pid < 0) {
        close(done[0]);
        close(done[1]);
        return 0;
    }
    if (pid == 0) {
        uint8_t digest[KV_SHA256_LEN];

        close(done[0]);
        _exit(kv_snapshot(r->kv, child_write, &r->fd, digest) == len ? 0 : 1);
    }
    close(done[1]);
    r->snap_pid = pid;
    r->snap_done = done[0];
    return len;
}

static void relay_replicate(struct kvd_relay *r, char *out, size_t cap)
{
    const char *busy = relay_busy(r), *why;
    uint64_t n;

    if (busy != NULL) {
        snprintf(out, cap, "ERR %s (role=%s)\n", busy, role_names[r->role]);
        return;
    }
    r->fd = relay_dial(r);
    if (r->fd < 0) {
        snprintf(out, cap, "ERR relay unreachable: %s\n", strerror(errno));
        return;
    }
    why = relay_await_ok(r);
    if (why != NULL) {
        fprintf(stderr, "kvd: REPLICATE: no follower joined: %s\n", why);
        snprintf(out, cap, "ERR no follower joined\n");
        goto err_close;
    }
    if (fcntl(r->fd, F_SETFL, O_NONBLOCK) != 0) {
        snprintf(out, cap, "ERR relay: %s\n", strerror(errno));
        goto err_close;
    }
    n = snap_start(r);
    if (n == 0) {
        snprintf(out, cap, "ERR cannot start the snapshot: %s\n", strerror(errno));
        goto err_close;
    }
    r->snap_keys = r->kv->count;
    r->role = KVD_REPLICATING;
    r->phase = PHASE_LINES; /* relay_await_ok() has taken the host's OK */
    fprintf(stderr, "kvd: replicating: a snapshot of %llu keys, %llu bytes\n",
            (unsigned long long)r->snap_keys, (unsigned long long)n);
    snprintf(out, cap, "OK replicating %llu\n", (unsigned long long)n);
    /* What came with the host's OK would otherwise wait for the relay's next bytes. */
    why = r->in.len > r->in.head ? relay_consume(r) : NULL;
    if (why != NULL) {
        relay_lost(r, why);
    }
    return;
err_close:
    relay_close(r);
}

static void relay_handover(struct kvd_relay *r, char *out, size_t cap)
{
    if (r->role != KVD_SYNCED) {
        snprintf(out, cap, "ERR not synced (role=%s)\n", role_names[r->role]);
        return;
    }
    if (buf_put(&r->out, "PROMOTE\n", 8) != 0) {
        snprintf(out, cap, "ERR out of memory\n");
        return;
    }
    r->role = KVD_FORWARDING;
    r->moved = 1;
    fprintf(stderr, "kvd: handed over: forwarding the remaining clients\n");
    snprintf(out, cap, "OK handed over\n");
}

/* ALONE: the move is called off. Before HANDOVER the first kvd still holds the authoritative
 * store, so it only drops the relay; after it, nothing can be undone here. */
static void relay_alone(struct kvd_relay *r, char *out, size_t cap)
{
    if (r->moved) {
        snprintf(out, cap, "ERR handed over already\n");
        return;
    }
    if (r->role == KVD_FOLLOWING || (r->role == KVD_PRIMARY && r->fd >= 0)) {
        snprintf(out, cap, "ERR %s (role=%s)\n",
                 r->role == KVD_FOLLOWING ? "following" : "the relay is in use",
                 role_names[r->role]);
        return;
    }
    if (r->fd >= 0) {
        fprintf(stderr, "kvd: ALONE: relay closed as %s\n", role_names[r->role]);
    }
    relay_close(r);
    r->role = KVD_ALONE;
    snprintf(out, cap, "OK\n");
}

size_t kvd_relay_admin(struct kvd_relay *r, const char *line, size_t len, char *out, size_t cap)
{
    if (is(line, len, "FOLLOW")) {
        relay_follow(r, out, cap);
    } else if (is(line, len, "REPLICATE")) {
        relay_replicate(r, out, cap);
    } else if (is(line, len, "HANDOVER")) {
        relay_handover(r, out, cap);
    } else if (is(line, len, "ALONE")) {
        relay_alone(r, out, cap);
    } else {
        return 0;
    }
    return strlen(out);
}

static size_t reply(char *out, const char *text)
{
    size_t n = strlen(text);

    memcpy(out, text, n);
    return n;
}

size_t kvd_relay_request(struct kvd_relay *r, int slot, uint32_t gen, const char *line, size_t len,
                         char *out)
{
    size_t n;

    if (slot >= 0 && r->role == KVD_FORWARDING) {
        if (wait_push(r, slot, gen, NULL) != 0) {
            relay_lost(r, "out of memory");
        } else if (buf_put(&r->out, line, len) != 0 || buf_put(&r->out, "\n", 1) != 0) {
            r->wait_len--; /* not sent: its error comes below, after those before it */
            relay_lost(r, "out of memory");
        } else {
            return 0;
        }
    }
    if (slot >= 0 && r->moved) {
        /* The twin holds the service now; only ending the session needs no store. */
        if ((len == 4 || (len == 5 && line[4] == '\r')) && memcmp(line, "QUIT", 4) == 0) {
            return reply(out, KV_BYE "\n");
        }
        return reply(out, moved_err);
    }
    n = kv_handle(r->kv, line, len, out);
    /* Replay is deterministic: the line goes whatever its reply, and the twin gets it after
     * the snapshot and every write before it. */
    if ((r->role == KVD_REPLICATING || r->role == KVD_SYNCED) && len > 4 &&
        (memcmp(line, "SET ", 4) == 0 || memcmp(line, "DEL ", 4) == 0) &&
        (buf_put(&r->out, line, len) != 0 || buf_put(&r->out, "\n", 1) != 0)) {
        relay_lost(r, "out of memory");
    }
    return n;
}

size_t kvd_relay_overlong(struct kvd_relay *r, int slot, uint32_t gen, char *out)
{
    if (slot >= 0 && r->role == KVD_FORWARDING && r->wait_len > 0) {
        if (wait_push(r, slot, gen, overlong_err) == 0) {
            return 0;
        }
        relay_lost(r, "out of memory");
    }
    return reply(out, overlong_err);
}

int kvd_relay_serves_tcp(const struct kvd_relay *r)
{
    return r->role != KVD_FOLLOWING;
}

const char *kvd_relay_role_name(const struct kvd_relay *r)
{
    return role_names[r->role];
}

size_t kvd_relay_pending(const struct kvd_relay *r)
{
    return r->wait_len;
}
