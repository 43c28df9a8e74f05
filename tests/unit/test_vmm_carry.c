/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The vmm's carry service (servers/vmm/vmm_carry.c) on vsock port 1025, driven as a guest
 * agent drives it: a state put and got back by its digest, and every malformed or refused
 * request answered with ERR and a reason, the service unharmed. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <uslib/sha256.h>
#include "ut.h"
#include "vmm.h"
#include "vmm_vsock_fx.h"

#define CARRY 1025u

static uint64_t mem_size;
static unsigned mem_live; /* allocations not freed yet */

us_err_t us_mem_alloc(us_cap_t ctl, uint64_t size, us_cap_t *mem)
{
    (void)ctl;
    mem_size = size;
    mem_live++;
    *mem = 99;
    return US_OK;
}

us_err_t us_mem_map(us_cap_t mem, uint64_t va, uint32_t rights)
{
    void *p = mmap((void *)(uintptr_t)va, mem_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

    (void)rights;
    UT_EXPECT_EQ(mem, 99);
    return p == (void *)(uintptr_t)va ? US_OK : US_ENOMEM;
}

us_err_t us_mem_unmap(us_cap_t mem)
{
    UT_EXPECT_EQ(mem, 99);
    munmap((void *)(uintptr_t)VMM_CARRY_VA, mem_size);
    return US_OK;
}

us_err_t us_mem_free(us_cap_t mem)
{
    UT_EXPECT_EQ(mem, 99);
    mem_live--;
    return US_OK;
}

us_err_t vmm_find_image(struct vmm_state *s, const char *name, uint32_t type,
                        const struct us_bundle_entry **out)
{
    (void)s, (void)name, (void)type, (void)out;
    return US_ENOENT; /* this test's bundle has no images */
}

static void hex_of(const char *data, size_t n, char out[65])
{
    uint8_t d[SHA256_DIGEST_LEN];

    sha256(data, n, d);
    for (unsigned i = 0; i < SHA256_DIGEST_LEN; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

/* Connect from guest port @sport, send @req, and return what the service answered. */
static const char *ask(uint32_t sport, const char *req)
{
    static char out[8192];
    size_t n = 0;
    struct pkt p;

    out[0] = '\0';
    connect_ok(sport, CARRY);
    post_rx_quiet(1); /* each answer here fits one receive buffer */
    UT_EXPECT(tx(OP_RW, sport, CARRY, req));
    while (next_rx(&p)) {
        if (p.op == OP_RW && p.dst_port == sport && n + p.len < sizeof(out)) {
            memcpy(out + n, p.data, p.len);
            n += p.len;
            out[n] = '\0';
        }
    }
    return out;
}

static void carry_refuses_bad_requests(void)
{
    static const char *const cases[][2] = {
        {"FOO\n", "ERR unknown request (PUT SIZE SHA256, GET SHA256, IMAGE NAME)\n"},
        {"PUT abc\n", "ERR bad PUT line\n"},
        {"PUT 5\n", "ERR bad PUT line\n"},
        {"PUT 5 00112233\n", "ERR bad PUT line\n"},
        {"PUT 999999999999 "
         "0011223344556677889900112233445566778899001122334455667788990011\n",
         "ERR state larger than the carry limit\n"},
        {"PUT 0 0011223344556677889900112233445566778899001122334455667788990011\n",
         "ERR bad PUT line\n"},
        {"GET zz\n", "ERR bad GET line\n"},
        {"GET 0011223344556677889900112233445566778899001122334455667788990011\n",
         "ERR no state with that digest\n"},
        {"IMAGE nope\n", "ERR no such image, or it fails its sha256\n"},
        {"0123456789012345678901234567890123456789012345678901234567890123456789"
         "0123456789012345678901234567890123456789",
         "ERR line too long\n"},
    };

    setup();
    vmm_carry_init(&st, true);
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got_reply = ask(6000 + i, cases[i][0]);

        if (strcmp(got_reply, cases[i][1]) != 0) {
            fprintf(stderr, "%u: '%s'\n", i, got_reply);
        }
        UT_EXPECT(strcmp(got_reply, cases[i][1]) == 0);
    }
    UT_EXPECT_EQ(mem_live, 0); /* nothing allocated for a refused request */
}

static void carry_put_then_get(void)
{
    char h[65], req[160];

    setup();
    vmm_carry_init(&st, true);
    hex_of("hello", 5, h);
    snprintf(req, sizeof(req), "PUT 5 %s\nhello", h);
    UT_EXPECT(strcmp(ask(6100, req), "OK 5\n") == 0);
    UT_EXPECT_EQ(mem_live, 1);
    snprintf(req, sizeof(req), "GET %s\n", h);
    UT_EXPECT(strcmp(ask(6101, req), "DATA 5\nhello") == 0);
    UT_EXPECT_EQ(mem_live, 0); /* delivered: its memory went back */
    UT_EXPECT(strcmp(ask(6102, req), "ERR no state with that digest\n") == 0);
    /* The bytes do not match the digest announced: refused, nothing kept. */
    snprintf(req, sizeof(req), "PUT 5 %s\nhellO", h);
    UT_EXPECT(strcmp(ask(6103, req), "ERR state fails its sha256: refused\n") == 0);
    UT_EXPECT_EQ(mem_live, 0);
    /* More bytes than announced: refused. */
    snprintf(req, sizeof(req), "PUT 5 %s\nhello!", h);
    UT_EXPECT(strcmp(ask(6104, req), "ERR more bytes than the PUT announced\n") == 0);
    UT_EXPECT_EQ(mem_live, 0);
    /* Cut short: the upload's connection goes, and so does what it had sent. */
    snprintf(req, sizeof(req), "PUT 5 %s\nhel", h);
    (void)ask(6105, req);
    UT_EXPECT_EQ(mem_live, 1);
    UT_EXPECT(tx(OP_RST, 6105, CARRY, NULL));
    UT_EXPECT_EQ(mem_live, 0);
}

UT_MAIN({"carry_refuses_bad_requests", carry_refuses_bad_requests},
        {"carry_put_then_get", carry_put_then_get})
