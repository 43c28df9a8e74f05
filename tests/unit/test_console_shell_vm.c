/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* `vm create` and `vm retire`: the request the backend gets from the words typed, the report,
 * the vmm's reason for a refusal, and usage errors that reach no backend. */
#include "console_shell_fx.h"
#include "ut.h"

static struct us_vm_create got;
static uint32_t creates, retires, retired_slot;
static us_err_t answer;
static const char *reason;

static us_err_t fake_create(void *ctx, const struct us_vm_create *req, uint32_t *slot, char *why,
                            size_t why_len)
{
    (void)ctx;
    creates++;
    got = *req;
    *slot = 3;
    snprintf(why, why_len, "%s", answer != US_OK ? reason : "");
    return answer;
}

static us_err_t fake_retire(void *ctx, uint32_t slot, char *why, size_t why_len)
{
    (void)ctx;
    retires++;
    retired_slot = slot;
    snprintf(why, why_len, "%s", answer != US_OK ? reason : "");
    return answer;
}

static void setup(bool backend)
{
    fx_setup(false);
    creates = retires = retired_slot = 0;
    answer = US_OK;
    reason = "";
    memset(&got, 0, sizeof(got));
    if (backend) {
        sh.be.vm_create = fake_create;
        sh.be.vm_retire = fake_retire;
    }
}

static void create_builds_request(void)
{
    setup(true);
    UT_EXPECT(strcmp(fx_cmd("vm create kvd1 kvd0 kernel=linux initrd=initramfs-next mem=256 "
                            "vcpus=2 append=a=1 append=b"),
                     "created kvd1 as vm 3" NL) == 0);
    UT_EXPECT_EQ(creates, 1);
    UT_EXPECT(strcmp(got.name, "kvd1") == 0 && strcmp(got.base, "kvd0") == 0);
    UT_EXPECT(strcmp(got.kernel, "linux") == 0 && strcmp(got.initrd, "initramfs-next") == 0);
    UT_EXPECT_EQ(got.mem_size, 256ull << 20);
    UT_EXPECT_EQ(got.vcpus, 2);
    UT_EXPECT(strcmp(got.bootargs, "a=1 b") == 0);
    UT_EXPECT_EQ(got.flags, US_VM_CREATE_APPEND);
    UT_EXPECT(
        strcmp(fx_cmd("vm create kvd2 kvd0 --json"), "{\"created\":\"kvd2\",\"vmid\":3}" NL) == 0);
    UT_EXPECT_EQ(got.flags, 0);
    UT_EXPECT_EQ(got.mem_size, 0);
}

static void create_and_retire_report_refusals(void)
{
    setup(true);
    answer = US_ENOMEM;
    reason = "not enough free memory for 192 MiB";
    UT_EXPECT(strcmp(fx_cmd("vm create kvd1 kvd0"),
                     "error: vm create kvd1: not enough free memory for 192 MiB (US_ENOMEM)" NL) ==
              0);
    answer = US_ENOENT;
    reason = "no VM in that slot";
    UT_EXPECT(strcmp(fx_cmd("vm retire 7"),
                     "error: vm retire 7: no VM in that slot (US_ENOENT)" NL) == 0);
    UT_EXPECT_EQ(retired_slot, 7);
    reason = ""; /* no reason given: the error's name alone */
    UT_EXPECT(strcmp(fx_cmd("vm retire 7"), "error: vm retire 7: US_ENOENT" NL) == 0);
    answer = US_OK;
    UT_EXPECT(strcmp(fx_cmd("vm retire 2"), "retired vm 2" NL) == 0);
    UT_EXPECT_EQ(retires, 3);
}

static void create_usage_errors(void)
{
    static const char *const bad[] = {
        "vm create",
        "vm create kvd1",
        "vm create kvd1 kvd0 colour=blue",
        "vm create kvd1 kvd0 mem",
        "vm create kvd1 kvd0 mem=",
        "vm create kvd1 kvd0 mem=0",
        "vm create kvd1 kvd0 mem=-1",
        "vm create kvd1 kvd0 mem=99999999999",
        "vm create kvd1 kvd0 vcpus=0",
        "vm create kvd1 kvd0 kernel=",
        "vm create kvd1 kvd0 kernel=0123456789012345678901234567890123",
        "vm create kvd1 kvd0 append=",
        "vm create 0123456789abcdef kvd0",
        "vm create kvd1 0123456789abcdef",
        "vm create a b append=x append=x append=x append=x append=x append=x append=x append=x "
        "append=x append=x",
    };

    setup(true);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *out = fx_cmd(bad[i]);

        if (strncmp(out, "error: usage: vm create NAME FROM", 33) != 0) {
            fprintf(stderr, "'%s' gave '%s'\n", bad[i], out);
            UT_EXPECT(0);
        }
    }
    UT_EXPECT(strcmp(fx_cmd("vm retire x"), "error: usage: vm retire N" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("vm retire --json 1"), "error: usage: vm retire N" NL) == 0);
    UT_EXPECT_EQ(creates + retires, 0);
}

static void create_without_backend(void)
{
    setup(false);
    UT_EXPECT(strcmp(fx_cmd("vm create kvd1 kvd0"), "error: vm create kvd1: US_ENOTSUP" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("vm retire 1"), "error: vm retire 1: US_ENOTSUP" NL) == 0);
}

UT_MAIN({"create_builds_request", create_builds_request},
        {"create_and_retire_report_refusals", create_and_retire_report_refusals},
        {"create_usage_errors", create_usage_errors},
        {"create_without_backend", create_without_backend})
