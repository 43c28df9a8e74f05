/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for the IPC contract in ipc/: message header encoding and validation, the exit
 * reply check, error names and the syscall table. */
#include <stddef.h>
#include <string.h>
#include <understudy/errors.h>
#include <understudy/msg.h>
#include <understudy/syscalls.h>
#include <understudy/vcpu.h>
#include "ut.h"

static struct us_msg msg_with_len(uint32_t label, uint32_t len)
{
    struct us_msg m;

    memset(&m, 0xa5, sizeof(m));
    us_msg_init(&m, label, (uint16_t)len);
    return m;
}

static void msg_init_sets_every_header_field(void)
{
    struct us_msg m;

    memset(&m, 0xff, sizeof(m));
    us_msg_init(&m, 0x1234, 40);
    UT_EXPECT_EQ(m.hdr.label, 0x1234);
    UT_EXPECT_EQ(m.hdr.len, 40);
    UT_EXPECT_EQ(m.hdr.flags, 0);
    UT_EXPECT_EQ(m.hdr.err, 0);
    UT_EXPECT_EQ(m.hdr.cap, US_INVALID_CAP);
    UT_EXPECT_EQ(m.w[0], UINT64_MAX); /* the payload is the sender's to fill */
}

static void msg_layout_is_abi(void)
{
    UT_EXPECT_EQ(sizeof(struct us_msg_hdr), 16);
    UT_EXPECT_EQ(offsetof(struct us_msg, w), 16);
    UT_EXPECT_EQ(sizeof(struct us_msg), 256);
    UT_EXPECT_EQ(US_MSG_MAX_LEN, sizeof(((struct us_msg *)0)->w));
    UT_EXPECT(US_EXIT_LEN <= US_MSG_MAX_LEN && US_RESUME_LEN <= US_MSG_MAX_LEN);
}

static void msg_check_accepts_bounds(void)
{
    struct us_msg m = msg_with_len(7, 16);

    UT_EXPECT_EQ(us_msg_check(&m, 16, 16), US_OK);
    UT_EXPECT_EQ(us_msg_check(&m, 0, US_MSG_MAX_LEN), US_OK);
    m = msg_with_len(7, US_MSG_MAX_LEN);
    UT_EXPECT_EQ(us_msg_check(&m, 0, US_MSG_MAX_LEN), US_OK);
    m = msg_with_len(7, 0);
    UT_EXPECT_EQ(us_msg_check(&m, 0, 0), US_OK);
}

static void msg_check_rejects_short(void)
{
    struct us_msg m = msg_with_len(7, 15);

    UT_EXPECT_EQ(us_msg_check(&m, 16, 64), US_ETRUNC);
}

static void msg_check_rejects_long_for_label(void)
{
    struct us_msg m = msg_with_len(7, 24);

    UT_EXPECT_EQ(us_msg_check(&m, 8, 16), US_ETRUNC);
}

static void msg_check_rejects_oversized(void)
{
    struct us_msg m = msg_with_len(7, US_MSG_MAX_LEN + 1);

    /* Even a label that claims to take anything cannot exceed the buffer. */
    UT_EXPECT_EQ(us_msg_check(&m, 0, UINT32_MAX), US_ETRUNC);
    m = msg_with_len(7, 0xffff);
    UT_EXPECT_EQ(us_msg_check(&m, 0, UINT32_MAX), US_ETRUNC);
}

static struct us_msg reply(uint64_t flags)
{
    struct us_msg m = msg_with_len(US_LABEL_VCPU_EXIT, US_RESUME_LEN);

    memset(m.w, 0, US_RESUME_LEN);
    m.w[US_RESUME_FLAGS] = flags;
    return m;
}

static void resume_check_accepts_each_flag(void)
{
    static const uint64_t ok[] = {0,
                                  US_RESUME_ADVANCE_PC,
                                  US_RESUME_SET_REG,
                                  US_RESUME_SET_X0_3,
                                  US_RESUME_INJECT_DABT,
                                  US_RESUME_STOP,
                                  US_RESUME_ADVANCE_PC | US_RESUME_SET_REG};
    struct us_msg m;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        m = reply(ok[i]);
        UT_EXPECT_EQ(us_resume_check(&m), US_OK);
    }
    m = reply(US_RESUME_SET_REG);
    m.w[US_RESUME_REG] = 31; /* xzr: the value is dropped, but the reply is valid */
    UT_EXPECT_EQ(us_resume_check(&m), US_OK);
}

static void resume_check_rejects_wrong_label(void)
{
    struct us_msg m = reply(0);

    m.hdr.label = US_LABEL_PING;
    UT_EXPECT_EQ(us_resume_check(&m), US_ETRUNC);
}

static void resume_check_rejects_short(void)
{
    struct us_msg m = reply(0);

    m.hdr.len = US_RESUME_LEN - 8;
    UT_EXPECT_EQ(us_resume_check(&m), US_ETRUNC);
    m.hdr.len = US_MSG_MAX_LEN + 8;
    UT_EXPECT_EQ(us_resume_check(&m), US_ETRUNC);
}

static void resume_check_rejects_unknown_flags(void)
{
    struct us_msg m = reply((uint64_t)US_RESUME_ALL_FLAGS + 1);

    UT_EXPECT_EQ(us_resume_check(&m), US_EINVAL);
    m = reply(1ull << 63);
    UT_EXPECT_EQ(us_resume_check(&m), US_EINVAL);
}

static void resume_check_rejects_bad_register(void)
{
    struct us_msg m = reply(US_RESUME_SET_REG);

    m.w[US_RESUME_REG] = 32;
    UT_EXPECT_EQ(us_resume_check(&m), US_EINVAL);
    m.w[US_RESUME_REG] = UINT64_MAX;
    UT_EXPECT_EQ(us_resume_check(&m), US_EINVAL);
    m = reply(US_RESUME_ADVANCE_PC); /* the register is ignored without SET_REG */
    m.w[US_RESUME_REG] = 99;
    UT_EXPECT_EQ(us_resume_check(&m), US_OK);
}

static void resume_check_rejects_bad_virq(void)
{
    struct us_msg m = reply(US_RESUME_INJECT_IRQ | US_RESUME_ADVANCE_PC);

    m.w[US_RESUME_VIRQ] = 33; /* the PL011's SPI */
    UT_EXPECT_EQ(us_resume_check(&m), US_OK);
    m.w[US_RESUME_VIRQ] = US_VIRQ_LIMIT;
    UT_EXPECT_EQ(us_resume_check(&m), US_EINVAL);
    m.w[US_RESUME_VIRQ] = 1023; /* a spurious INTID */
    UT_EXPECT_EQ(us_resume_check(&m), US_EINVAL);
    m = reply(US_RESUME_ADVANCE_PC); /* the INTID is ignored without INJECT_IRQ */
    m.w[US_RESUME_VIRQ] = 5000;
    UT_EXPECT_EQ(us_resume_check(&m), US_OK);
}

static void err_names_unique_and_bounded(void)
{
    for (int a = 0; a < US_ERR_COUNT; a++) {
        const char *n = us_err_name((us_err_t)a);

        UT_EXPECT(strncmp(n, "US_", 3) == 0 && strcmp(n, "US_E?") != 0);
        for (int b = a + 1; b < US_ERR_COUNT; b++) {
            UT_EXPECT(strcmp(n, us_err_name((us_err_t)b)) != 0);
        }
    }
    UT_EXPECT(strcmp(us_err_name(US_ERR_COUNT), "US_E?") == 0);
    UT_EXPECT(strcmp(us_err_name((us_err_t)-1), "US_E?") == 0);
}

static void syscall_table_dense(void)
{
    static const struct {
        int nr;
        int argc;
    } table[] = {
#define US_SYSCALL(nr, argc, name, desc) {nr, argc},
#include <understudy/syscalls.def>
#undef US_SYSCALL
    };

    UT_EXPECT_EQ(sizeof(table) / sizeof(table[0]), US_SYS_COUNT);
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        UT_EXPECT_EQ(table[i].nr, (int)i);
        UT_EXPECT(table[i].argc >= 0 && table[i].argc <= 6);
    }
}

UT_MAIN({"msg_init_sets_every_header_field", msg_init_sets_every_header_field},
        {"msg_layout_is_abi", msg_layout_is_abi},
        {"msg_check_accepts_bounds", msg_check_accepts_bounds},
        {"msg_check_rejects_short", msg_check_rejects_short},
        {"msg_check_rejects_long_for_label", msg_check_rejects_long_for_label},
        {"msg_check_rejects_oversized", msg_check_rejects_oversized},
        {"resume_check_accepts_each_flag", resume_check_accepts_each_flag},
        {"resume_check_rejects_wrong_label", resume_check_rejects_wrong_label},
        {"resume_check_rejects_short", resume_check_rejects_short},
        {"resume_check_rejects_unknown_flags", resume_check_rejects_unknown_flags},
        {"resume_check_rejects_bad_register", resume_check_rejects_bad_register},
        {"resume_check_rejects_bad_virq", resume_check_rejects_bad_virq},
        {"err_names_unique_and_bounded", err_names_unique_and_bounded},
        {"syscall_table_dense", syscall_table_dense})
