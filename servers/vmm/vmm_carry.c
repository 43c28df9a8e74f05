/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The carry service: how an application's state crosses from one OS instance to another.
 *
 * migrate decides what moves and when (docs/maintenance.md); the bytes themselves go through
 * the vmm, which already touches both guests' memory, rather than through migrate's rings of
 * short lines. On vsock port CARRY_PORT, one text line starts each connection:
 *   PUT SIZE SHA256   then SIZE bytes: the vmm keeps them, checks their SHA-256 against the
 *                     one announced and answers "OK SIZE" or "ERR reason";
 *   GET SHA256        the vmm answers "DATA SIZE" and the bytes it keeps under that digest,
 *                     or "ERR reason";
 *   IMAGE NAME        an application image from the firmware bundle (a blob entry), checked
 *                     against the bundle's sha256 first: "DATA SIZE SHA256" and its bytes.
 *                     An understudy's agent runs a new version of its application this way.
 * One state is kept at a time, in memory taken from the vmm's quota for it and given back
 * when the next PUT replaces it or a GET has sent it all. The receiving agent checks the
 * digest again (the bytes crossed another guest's memory and the vmm's), and the application
 * checks its own (a kvd snapshot is sealed with its SHA-256). */
#include <understudy/slots.h>
#include <uslib/bundle_parse.h>
#include <uslib/fmt.h>
#include <uslib/sha256.h>
#include <uslib/string.h>
#include "vmm.h"

#define CARRY_PORT 1025u
#define CARRY_MAX (96ull << 20) /* a 64 MiB kvd store and its records' framing */
#define CARRY_LINE 96u
#define CARRY_HEX (2u * SHA256_DIGEST_LEN)

enum carry_mode { MODE_LINE, MODE_PUT, MODE_GET, MODE_IMAGE, MODE_DONE };

/* A connection's state (vmm_vsock_priv). */
struct carry_conn {
    uint32_t mode;
    uint32_t line_len;
    uint64_t sent;     /* GET, IMAGE: bytes queued so far */
    const uint8_t *at; /* GET, IMAGE: the bytes to send (the kept state, a bundle entry) */
    uint64_t size;     /* GET, IMAGE: how many */
    char line[CARRY_LINE];
};
_Static_assert(sizeof(struct carry_conn) <= VMM_VSOCK_PRIV, "fits a connection's private state");

/* The state kept between a PUT and a GET: in vmm_state, so that it outlives a restart. */
static struct vmm_carry_keep *carry;

static void drop_state(void)
{
    if (carry->cap != 0) {
        (void)us_mem_unmap(carry->cap);
        (void)us_mem_free(carry->cap);
    }
    carry->cap = 0;
    carry->buf = NULL;
    carry->size = carry->have = 0;
    carry->complete = false;
    carry->putter_slot = -1;
}

static bool parse_hex(const char *s, uint8_t out[SHA256_DIGEST_LEN])
{
    for (uint32_t i = 0; i < CARRY_HEX; i++) {
        char c = s[i];
        uint32_t v = c >= '0' && c <= '9'   ? (uint32_t)(c - '0')
                     : c >= 'a' && c <= 'f' ? (uint32_t)(c - 'a' + 10)
                                            : 16u;

        if (v == 16u) {
            return false;
        }
        out[i / 2] = (uint8_t)(i % 2 == 0 ? v << 4 : out[i / 2] | v);
    }
    return s[CARRY_HEX] == '\0';
}

static bool parse_u64(const char *s, const char **end, uint64_t *v)
{
    *v = 0;
    if (*s < '0' || *s > '9') {
        return false;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        if (*v > (UINT64_MAX - 9u) / 10u) {
            return false;
        }
        *v = *v * 10u + (uint64_t)(*s - '0');
    }
    *end = s;
    return true;
}

static void reply(struct vmm_state *st, uint32_t slot, uint32_t conn, const char *text)
{
    (void)vmm_vsock_send(st, slot, conn, (const uint8_t *)text, (uint32_t)strlen(text));
}

static void refuse(struct vmm_state *st, uint32_t slot, uint32_t conn, const char *why)
{
    char line[CARRY_LINE + 8];

    US_LOG_WARN("%s: carry: %s", st->config.vms[slot].name, why);
    us_snprintf(line, sizeof(line), "ERR %s\n", why);
    reply(st, slot, conn, line);
    ((struct carry_conn *)vmm_vsock_priv(st, slot, conn))->mode = MODE_DONE;
}

/* "PUT SIZE SHA256": make room for SIZE bytes. */
static void start_put(struct vmm_state *st, uint32_t slot, uint32_t conn, const char *args)
{
    struct carry_conn *cc = vmm_vsock_priv(st, slot, conn);
    uint8_t digest[SHA256_DIGEST_LEN];
    uint64_t size, room;
    const char *p;

    if (!parse_u64(args, &p, &size) || *p != ' ' || !parse_hex(p + 1, digest) || size == 0) {
        refuse(st, slot, conn, "bad PUT line");
        return;
    }
    if (size > CARRY_MAX) {
        refuse(st, slot, conn, "state larger than the carry limit");
        return;
    }
    if (carry->putter_slot >= 0) {
        refuse(st, slot, conn, "another PUT is in progress");
        return;
    }
    drop_state();
    room = (size + US_PAGE_SIZE - 1u) & ~(US_PAGE_SIZE - 1u);
    if (us_mem_alloc(US_SLOT_VMM_VM_CONTROL, room, &carry->cap) != US_OK) {
        carry->cap = 0;
        refuse(st, slot, conn, "no memory for the state");
        return;
    }
    if (us_mem_map(carry->cap, VMM_CARRY_VA, US_RIGHT_READ | US_RIGHT_WRITE) != US_OK) {
        drop_state();
        refuse(st, slot, conn, "no memory for the state");
        return;
    }
    carry->buf = (uint8_t *)(uintptr_t)VMM_CARRY_VA;
    carry->size = size;
    memcpy(carry->digest, digest, sizeof(digest));
    carry->putter_slot = (int32_t)slot;
    carry->putter_conn = (int32_t)conn;
    sha256_init(&carry->ctx);
    cc->mode = MODE_PUT;
}

/* Bytes of a PUT: kept and hashed; the last one settles it. */
static void put_bytes(struct vmm_state *st, uint32_t slot, uint32_t conn, const uint8_t *b,
                      uint32_t len)
{
    uint8_t got[SHA256_DIGEST_LEN];
    char line[48];

    if (len > carry->size - carry->have) {
        drop_state();
        refuse(st, slot, conn, "more bytes than the PUT announced");
        return;
    }
    memcpy(carry->buf + carry->have, b, len);
    sha256_update(&carry->ctx, b, len);
    carry->have += len;
    if (carry->have < carry->size) {
        return;
    }
    sha256_final(&carry->ctx, got);
    carry->putter_slot = -1;
    if (memcmp(got, carry->digest, sizeof(got)) != 0) {
        drop_state();
        refuse(st, slot, conn, "state fails its sha256: refused");
        return;
    }
    carry->complete = true;
    US_LOG_INFO("%s: carry: %llu bytes kept", st->config.vms[slot].name,
                (unsigned long long)carry->size);
    us_snprintf(line, sizeof(line), "OK %llu\n", (unsigned long long)carry->size);
    reply(st, slot, conn, line);
    ((struct carry_conn *)vmm_vsock_priv(st, slot, conn))->mode = MODE_DONE;
}

/* GET, IMAGE: the bytes at cc->at, as the connection's output has room; a GET's state is
 * given back once it is all queued (one consumer). */
static void stream_more(struct vmm_state *st, uint32_t slot, uint32_t conn)
{
    struct carry_conn *cc = vmm_vsock_priv(st, slot, conn);

    if (cc->mode != MODE_GET && cc->mode != MODE_IMAGE) {
        return;
    }
    while (cc->sent < cc->size) {
        uint64_t n = cc->size - cc->sent;

        n = n < VMM_VSOCK_OUT / 2u ? n : VMM_VSOCK_OUT / 2u;
        if (vmm_vsock_send(st, slot, conn, cc->at + cc->sent, (uint32_t)n) != US_OK) {
            return; /* full: on_writable calls again */
        }
        cc->sent += n;
    }
    if (cc->mode == MODE_GET) {
        US_LOG_INFO("%s: carry: %llu bytes delivered", st->config.vms[slot].name,
                    (unsigned long long)cc->size);
        drop_state();
    }
    cc->mode = MODE_DONE;
}

/* "IMAGE NAME": a blob of the firmware bundle, checked against its sha256. */
static void start_image(struct vmm_state *st, uint32_t slot, uint32_t conn, const char *name)
{
    struct carry_conn *cc = vmm_vsock_priv(st, slot, conn);
    const struct us_bundle_entry *ent;
    char line[32 + CARRY_HEX];
    uint32_t n;

    if (strlen(name) >= US_BUNDLE_NAME_LEN ||
        vmm_find_image(st, name, US_BUNDLE_BLOB, &ent) != US_OK) {
        refuse(st, slot, conn, "no such image, or it fails its sha256");
        return;
    }
    n = (uint32_t)us_snprintf(line, sizeof(line), "DATA %llu ", (unsigned long long)ent->size);
    for (uint32_t i = 0; i < SHA256_DIGEST_LEN; i++) {
        n += (uint32_t)us_snprintf(line + n, sizeof(line) - n, "%02x", ent->sha256[i]);
    }
    us_snprintf(line + n, sizeof(line) - n, "\n");
    reply(st, slot, conn, line);
    US_LOG_INFO("%s: carry: image '%s' (%llu bytes) sent", st->config.vms[slot].name, name,
                (unsigned long long)ent->size);
    cc->at = bundle_parse_data(st->bundle, ent);
    cc->size = ent->size;
    cc->sent = 0;
    cc->mode = MODE_IMAGE;
    stream_more(st, slot, conn);
}

/* "GET SHA256": the state kept under that digest. */
static void start_get(struct vmm_state *st, uint32_t slot, uint32_t conn, const char *args)
{
    struct carry_conn *cc = vmm_vsock_priv(st, slot, conn);
    uint8_t digest[SHA256_DIGEST_LEN];
    char line[48];

    if (!parse_hex(args, digest)) {
        refuse(st, slot, conn, "bad GET line");
        return;
    }
    if (!carry->complete || memcmp(digest, carry->digest, sizeof(digest)) != 0) {
        refuse(st, slot, conn, "no state with that digest");
        return;
    }
    us_snprintf(line, sizeof(line), "DATA %llu\n", (unsigned long long)carry->size);
    reply(st, slot, conn, line);
    cc->at = carry->buf;
    cc->size = carry->size;
    cc->sent = 0;
    cc->mode = MODE_GET;
    stream_more(st, slot, conn);
}

static bool carry_connect(struct vmm_state *st, uint32_t slot, uint32_t conn)
{
    (void)st;
    (void)slot;
    (void)conn;
    return true;
}

static void carry_data(struct vmm_state *st, uint32_t slot, uint32_t conn, const uint8_t *b,
                       uint32_t len)
{
    struct carry_conn *cc = vmm_vsock_priv(st, slot, conn);
    uint32_t i = 0;

    if (cc->mode == MODE_PUT) {
        put_bytes(st, slot, conn, b, len);
        return;
    }
    while (cc->mode == MODE_LINE && i < len) {
        int r = vmm_vsock_take_line(cc->line, &cc->line_len, CARRY_LINE, b, len, &i);

        if (r < 0) {
            refuse(st, slot, conn, "line too long");
            return;
        }
        if (r == 0) {
            break;
        }
        if (strncmp(cc->line, "PUT ", 4) == 0) {
            start_put(st, slot, conn, cc->line + 4);
            if (cc->mode == MODE_PUT && i < len) {
                put_bytes(st, slot, conn, b + i, len - i);
            }
            return;
        }
        if (strncmp(cc->line, "GET ", 4) == 0) {
            start_get(st, slot, conn, cc->line + 4);
            return;
        }
        if (strncmp(cc->line, "IMAGE ", 6) == 0) {
            start_image(st, slot, conn, cc->line + 6);
            return;
        }
        refuse(st, slot, conn, "unknown request (PUT SIZE SHA256, GET SHA256, IMAGE NAME)");
        return;
    }
    if (cc->mode == MODE_DONE && i < len) {
        vmm_vsock_close(st, slot, conn, "carry: bytes after the request");
    }
}

static void carry_close(struct vmm_state *st, uint32_t slot, uint32_t conn)
{
    if (carry->putter_slot == (int32_t)slot && carry->putter_conn == (int32_t)conn) {
        US_LOG_WARN("%s: carry: PUT cut short at %llu of %llu bytes", st->config.vms[slot].name,
                    (unsigned long long)carry->have, (unsigned long long)carry->size);
        drop_state();
    }
}

static const struct vmm_vsock_ops carry_ops = {
    .name = "carry",
    .on_connect = carry_connect,
    .on_data = carry_data,
    .on_close = carry_close,
    .on_writable = stream_more,
};

void vmm_carry_drop(struct us_msg *m)
{
    if (carry->putter_slot >= 0) {
        us_msg_reply_err(m, US_EBUSY); /* an upload is under way: its end drops or keeps it */
        return;
    }
    drop_state();
    us_msg_init(m, US_VMM_CARRY_DROP, 0);
}

void vmm_carry_flip(struct us_msg *m)
{
#ifdef US_DEBUG
    if (carry->complete) {
        carry->buf[carry->size / 2u] ^= 0x5au;
        US_LOG_WARN("carry: byte %llu of the kept state flipped (fault injection)",
                    (unsigned long long)(carry->size / 2u));
        us_msg_init(m, US_VMM_CARRY_FLIP, 0);
        return;
    }
    us_msg_reply_err(m, US_ENOENT);
#else
    us_msg_reply_err(m, US_ENOTSUP);
#endif
}

void vmm_carry_init(struct vmm_state *st, bool cold)
{
    carry = &st->carry;
    if (cold) {
        carry->putter_slot = -1;
    }
    (void)vmm_vsock_listen(CARRY_PORT, &carry_ops);
}
