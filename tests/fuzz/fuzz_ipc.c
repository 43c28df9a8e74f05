/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Fuzz target: IPC message validation (us_msg_check, us_resume_check, us_msg_reply_err,
 * us_err_name) against reference checks, and the devmgr and migrate servers' dispatch of
 * malformed requests. */
#include <stdbool.h>
#include <understudy/devmgr.h>
#include <understudy/migrate.h>
#include <understudy/msg.h>
#include <understudy/ring.h>
#include <understudy/slots.h>
#include <understudy/vcpu.h>
#include "devmgr.h"
#include "devmgr_inventory.h"
#include "fuzz_input.h"
#include "migrate.h"

/*
 * Input: one byte for devmgr's device count, then messages: a selector byte (bits 0-1: who
 * dispatches it, enum target; bits 2-4: a label from the table below; bit 5: an error code
 * follows; bit 6: a raw 16-bit length follows, else a byte of 8-byte words; bit 7: a raw
 * label follows), the bounds for us_msg_check (two u16), a badge byte, a word count, then the
 * header fields and words (a byte each; bit 7 set: a u64 follows).
 */
enum target { TO_NONE, TO_DEVMGR, TO_MIGRATE, TARGET_COUNT };

static struct devmgr_state devmgr;
static struct migrate_state migrate;

/* The server runtime and the parts of devmgr not under test. */
void us_logf(uint32_t level, const char *fmt, ...)
{
    (void)level;
    (void)fmt;
}

_Noreturn void us_fatal(const char *what)
{
    fprintf(stderr, "us_fatal: %s\n", what);
    abort();
}

us_err_t us_mem_info(us_cap_t mem, uint64_t *size, uint64_t *pa)
{
    (void)mem, (void)size, (void)pa;
    return US_ENOTSUP;
}

us_err_t us_mem_where(us_cap_t mem, uint64_t *pa)
{
    (void)mem;
    *pa = 0;
    return US_ENOTSUP;
}

us_err_t us_mem_map(us_cap_t mem, uint64_t va, uint32_t rights)
{
    (void)mem, (void)va, (void)rights;
    return US_ENOTSUP;
}

/* devmgr acknowledges its root ports' interrupts after a notification. */
us_err_t us_mem_alloc(us_cap_t vm_control, uint64_t size, us_cap_t *mem)
{
    (void)vm_control, (void)size, (void)mem;
    return US_ENOMEM;
}

us_err_t us_irq_ack(us_cap_t irq)
{
    FUZZ_CHECK(irq >= US_SLOT_DEVMGR_PCIE_IRQ0 &&
               irq < US_SLOT_DEVMGR_PCIE_IRQ0 + DEVMGR_PCIE_IRQS);
    return US_OK;
}

uint32_t migrate_restart_count(void)
{
    return 0;
}

us_err_t us_signal(us_cap_t ntfn, uint64_t bits)
{
    FUZZ_CHECK(ntfn == US_SLOT_MIGRATE_VMM_NTFN && bits == US_NTFN_AGENT_DOWN);
    return US_OK;
}

/* migrate's calls to the vmm: refused, as by a vmm that has no room for another VM. */
us_err_t migrate_vmm_call(struct us_msg *m)
{
    us_msg_reply_err(m, US_ENOMEM);
    return US_OK;
}

us_err_t us_yield(void)
{
    return US_OK;
}

/* ... and to the kernel: no range can be withheld. */
us_err_t migrate_mem_ctl(uint32_t op, uint64_t base, uint64_t size, uint64_t r[3])
{
    (void)op, (void)base, (void)size, (void)r;
    return US_ERANGE;
}

/* ... and to devmgr: no such device. */
us_err_t migrate_devmgr_call(struct us_msg *m)
{
    us_msg_reply_err(m, US_ENOENT);
    return US_OK;
}

/* migrate's agent channels: slot 0 has an agent that said HELLO, the others have none. */
static struct us_agent_chan chans[US_AGENT_CHANS];

us_err_t devmgr_inventory_scan(const void *dtb, size_t len, struct us_dev_info *devs, uint32_t max,
                               uint32_t *count)
{
    (void)dtb, (void)len, (void)devs, (void)max;
    *count = 0;
    return US_ENOTSUP; /* devmgr_init() only */
}

/* msg.h: US_OK iff the payload length is within [len_min, len_max] and the buffer. */
static us_err_t ref_msg_check(const struct us_msg *m, uint32_t len_min, uint32_t len_max)
{
    uint32_t len = m->hdr.len;

    return len <= US_MSG_MAX_LEN && len >= len_min && len <= len_max ? US_OK : US_ETRUNC;
}

/* vcpu.h's contract for us_resume_check(), restated. */
static us_err_t ref_resume_check(const struct us_msg *m)
{
    uint64_t flags = m->w[US_RESUME_FLAGS];

    if (m->hdr.label != US_LABEL_VCPU_EXIT || m->hdr.len < US_RESUME_LEN ||
        m->hdr.len > US_MSG_MAX_LEN) {
        return US_ETRUNC;
    }
    if (flags > US_RESUME_ALL_FLAGS) {
        return US_EINVAL;
    }
    if ((flags & US_RESUME_SET_REG) && m->w[US_RESUME_REG] >= 32) {
        return US_EINVAL;
    }
    /* x86_64's external-interrupt marker aside (US_VIRQ_EXTINT) */
    if ((flags & US_RESUME_INJECT_IRQ) &&
        (m->w[US_RESUME_VIRQ] & ~(uint64_t)US_VIRQ_EXTINT) >= US_VIRQ_LIMIT) {
        return US_EINVAL;
    }
    return US_OK;
}

static void check_helpers(const struct us_msg *m, uint32_t lo, uint32_t hi)
{
    struct us_msg c;
    const char *name = us_err_name((us_err_t)m->hdr.err);

    FUZZ_CHECK(us_msg_check(m, lo, hi) == ref_msg_check(m, lo, hi));
    FUZZ_CHECK(us_resume_check(m) == ref_resume_check(m));
    FUZZ_CHECK(name != NULL && strncmp(name, "US_", 3) == 0);
    FUZZ_CHECK((strcmp(name, "US_E?") == 0) == (m->hdr.err >= US_ERR_COUNT));

    c = *m;
    us_msg_reply_err(&c, (us_err_t)(m->hdr.err % US_ERR_COUNT));
    FUZZ_CHECK(c.hdr.label == m->hdr.label && c.hdr.len == 0 && c.hdr.flags == 0);
    FUZZ_CHECK(c.hdr.err == m->hdr.err % US_ERR_COUNT && c.hdr.cap == US_INVALID_CAP);
    FUZZ_CHECK(memcmp(c.w, m->w, sizeof(c.w)) == 0);
    c = *m;
    us_msg_init(&c, lo, (uint16_t)hi);
    FUZZ_CHECK(c.hdr.label == lo && c.hdr.len == (uint16_t)hi && c.hdr.flags == 0);
    FUZZ_CHECK(c.hdr.err == 0 && c.hdr.cap == US_INVALID_CAP);
    FUZZ_CHECK(memcmp(c.w, m->w, sizeof(c.w)) == 0);
}

/* Every server reply: the request's label, a payload inside the buffer, a known error, and
 * the header fields a reply leaves clear. An error carries nothing, or its reason as one
 * NUL-terminated text (a refused maintenance flow). */
static void check_reply(const struct us_msg *m, uint32_t label)
{
    FUZZ_CHECK(m->hdr.label == label && m->hdr.len <= US_MSG_MAX_LEN);
    FUZZ_CHECK(m->hdr.err < US_ERR_COUNT && m->hdr.flags == 0 && m->hdr.cap == US_INVALID_CAP);
    FUZZ_CHECK(m->hdr.err == US_OK || m->hdr.len == 0 || memchr(m->w, '\0', m->hdr.len) != NULL);
}

static void check_devmgr(const struct us_msg *m, uint32_t label, const uint64_t *req)
{
    for (uint32_t i = 0; i < US_GUEST_SLOTS; i++) {
        FUZZ_CHECK((devmgr.view.hidden[i] & ~US_GUEST_DEV_ALL) == 0);
    }
    if (m->hdr.err != US_OK) {
        return;
    }
    switch (label) {
    case US_DEVMGR_DEV_INFO:
        FUZZ_CHECK(req[0] < devmgr.dev_count && m->hdr.len == sizeof(struct us_dev_info));
        FUZZ_CHECK(memcmp(m->w, &devmgr.devs[req[0]], sizeof(struct us_dev_info)) == 0);
        break;
    case US_DEVMGR_GUEST_VIEW:
        FUZZ_CHECK(req[0] < US_GUEST_SLOTS && (m->w[0] & ~req[1]) == 0);
        break;
    case US_DEVMGR_GUEST_HIDE:
        FUZZ_CHECK(req[0] < US_GUEST_SLOTS && m->w[0] == devmgr.view.hidden[req[0]]);
        break;
    default:
        break;
    }
}

static void setup(struct fuzz_in *in)
{
    memset(&devmgr, 0, sizeof(devmgr));
    memset(&migrate, 0, sizeof(migrate));
    memset(chans, 0, sizeof(chans));
    migrate.chans = chans;
    FUZZ_CHECK(us_ring_put(&chans[0].up, US_AGENT_OPEN "vm0\nHELLO host=x\n", 23) >= 0);
    migrate_agents_pump(&migrate);
    migrate_lines_release(&migrate);
    FUZZ_CHECK(migrate.agents[0].state == US_AGENT_UP);
    devmgr.dev_count = fi_u8(in) % (DEVMGR_MAX_DEVS + 1u);
    for (uint32_t i = 0; i < devmgr.dev_count; i++) {
        struct us_dev_info *d = &devmgr.devs[i];

        snprintf(d->name, sizeof(d->name), "dev%u@%x", i, 0x9000000u + 0x1000u * i);
        snprintf(d->compat, sizeof(d->compat), "vendor,dev%u", i);
        d->base = 0x9000000u + 0x1000u * i;
        d->size = 0x1000u;
        d->irq = 32u + i;
        d->owner = i % 3u;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t labels[] = {
        US_LABEL_VCPU_EXIT, US_LABEL_PING,        US_LABEL_NOTIFY,      US_DEVMGR_DEV_COUNT,
        US_DEVMGR_DEV_INFO, US_DEVMGR_GUEST_VIEW, US_DEVMGR_GUEST_HIDE, US_MIGRATE_STATUS,
    };
    struct fuzz_in in = {data, size};
    struct us_msg m;
    uint64_t req[US_MSG_WORDS];

    setup(&in);
    while (fi_left(&in) > 0) {
        uint8_t sel = fi_u8(&in);
        uint32_t lo = fi_u16(&in), hi = fi_u16(&in);
        us_badge_t badge = fi_u8(&in);
        uint8_t words = fi_u8(&in) % (US_MSG_WORDS + 1u);

        memset(&m, 0, sizeof(m));
        m.hdr.label = (sel & 0x80u) ? fi_u32(&in) : labels[(sel >> 2) % 8u];
        m.hdr.len = (sel & 0x40u) ? fi_u16(&in) : (uint16_t)(8u * (fi_u8(&in) % 32u));
        m.hdr.flags = fi_u16(&in);
        m.hdr.err = (sel & 0x20u) ? fi_u32(&in) : 0u;
        m.hdr.cap = US_INVALID_CAP;
        for (uint32_t i = 0; i < words; i++) {
            uint8_t w = fi_u8(&in);

            m.w[i] = (w & 0x80u) ? fi_u64(&in) : w; /* small values hit indices and slots */
        }
        check_helpers(&m, lo, hi);

        memcpy(req, m.w, sizeof(req));
        switch ((sel & 3u) % TARGET_COUNT) {
        case TO_DEVMGR: {
            uint64_t before = devmgr.requests;
            uint32_t label = m.hdr.label;

            devmgr_dispatch(&devmgr, badge, &m);
            check_reply(&m, label);
            check_devmgr(&m, label, req);
            FUZZ_CHECK(devmgr.requests == before + 1);
            break;
        }
        case TO_MIGRATE: {
            uint32_t label = m.hdr.label;

            migrate_dispatch(&migrate, badge, &m);
            check_reply(&m, label);
            break;
        }
        default:
            break;
        }
    }
    return 0;
}
