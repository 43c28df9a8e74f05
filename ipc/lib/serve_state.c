/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A server's state region across its restarts: taken up at start, sealed after each message
 * (uslib/state.h has the layout). */
#include <understudy/abi.h>
#include <understudy/cpu.h>
#include <understudy/usys.h>
#include <uslib/sha256.h>
#include <uslib/state.h>
#include <uslib/string.h>

void us_sha256_fast(void)
{
    uint8_t buf[200], want[SHA256_DIGEST_LEN], got[SHA256_DIGEST_LEN];
    sha256_blocks_fn *fast = us_cpu_sha256_blocks();

    if (fast == NULL || !(us_bootinfo()->cpu_features & US_CPU_SHA2)) {
        return;
    }
    for (uint32_t i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(i * 7u + 3u);
    }
    sha256(buf, sizeof(buf), want);
    sha256_use_blocks(fast);
    sha256(buf, sizeof(buf), got);
    if (memcmp(want, got, sizeof(want)) != 0) {
        sha256_use_blocks(NULL);
        US_LOG_ERR("SHA-256 instructions disagree with the C code: not used");
    }
}

static const char *refusal;

const char *us_state_refusal(void)
{
    return refusal;
}

int us_state_start(const struct us_state_desc *sd)
{
    const struct us_bootinfo *bi = us_bootinfo();
    void *base = (void *)(uintptr_t)US_VA_STATE;
    const char *why = "";
    enum state_start r;

    us_sha256_fast();
    if (!state_region_fits(bi->state_size, sd->size)) {
        us_fatal("state region too small for the state and its sealed copy");
    }
    r = state_recover(base, bi->state_size, sd->size, sd->magic, sd->version,
                      bi->restart_count != 0, &why);
    if (r == STATE_CORRUPT) {
        US_LOG_ERR("state region refused after restart %u: %s; starting afresh", bi->restart_count,
                   why);
        refusal = why;
    } else if (r == STATE_RECOVERED) {
        US_LOG_INFO("state recovered after restart %u", bi->restart_count);
    }
    (void)us_recovers();
    return (int)r;
}

/* Debug builds: US_LABEL_STATE_FLIP, handled by the runtime rather than the server. */
static bool flip_request(const struct us_state_desc *sd, struct us_msg *m)
{
    if (m->hdr.label != US_LABEL_STATE_FLIP) {
        return false;
    }
#ifdef US_DEBUG
    state_flip((void *)(uintptr_t)US_VA_STATE, us_bootinfo()->state_size, sd->size);
    US_LOG_WARN("a byte of the committed state flipped (fault injection)");
    us_msg_init(m, US_LABEL_STATE_FLIP, 0);
#else
    (void)sd;
    us_msg_reply_err(m, US_ENOTSUP);
#endif
    return true;
}

struct state_serve {
    us_serve_fn *fn;
    void *ctx;
    const struct us_state_desc *sd;
};

/* Seal the state as it is now, then let the server release what it has taken in. */
static void seal(const struct us_state_desc *sd, void *ctx)
{
    state_commit((void *)(uintptr_t)US_VA_STATE, us_bootinfo()->state_size, sd->size, sd->magic,
                 sd->version);
    if (sd->committed != NULL) {
        sd->committed(ctx);
    }
}

/* One message: the server's handler, then its state sealed as of the end of it. */
static void state_step(void *c, us_badge_t badge, struct us_msg *m)
{
    const struct state_serve *s = c;

    if (!flip_request(s->sd, m)) {
        s->fn(s->ctx, badge, m);
        seal(s->sd, s->ctx);
    }
}

_Noreturn void us_serve_state(us_cap_t ep, us_serve_fn *fn, void *ctx,
                              const struct us_state_desc *sd)
{
    struct state_serve s = {fn, ctx, sd};

    /* Sealed once before the first message too: a server restarted before it has handled
     * one (a quiet migrate with no agents) finds its state as its start-up left it. */
    seal(sd, ctx);
    us_serve(ep, state_step, &s);
}
