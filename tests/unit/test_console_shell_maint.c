/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* `maint upgrade-os`, `maint status` and `maint abort`: the request built from the words
 * typed, the reports (text and JSON), refusals with migrate's reason, usage errors. */
#include "console_shell_fx.h"
#include "ut.h"

static struct us_maint_req got;
static struct us_maint_status now;
static uint32_t starts, aborts;
static us_err_t answer;
static const char *reason;

static us_err_t fake_start(void *ctx, const struct us_maint_req *req, char *why, size_t why_len)
{
    (void)ctx;
    starts++;
    got = *req;
    snprintf(why, why_len, "%s", reason); /* a refusal's reason, or a note */
    return answer;
}

static us_err_t fake_status(void *ctx, struct us_maint_status *out)
{
    (void)ctx;
    *out = now;
    return US_OK;
}

static us_err_t fake_abort(void *ctx, char *why, size_t why_len)
{
    (void)ctx;
    aborts++;
    snprintf(why, why_len, "%s", answer != US_OK ? reason : "");
    return answer;
}

static bool withheld; /* the fake kernel withholds a range */

static us_err_t fake_online(void *ctx)
{
    (void)ctx;
    if (!withheld) {
        return US_ENOENT;
    }
    withheld = false;
    return US_OK;
}

/* The kernel's audit: one object, the vmm's, in the range at 0x1000; nothing elsewhere. */
static us_err_t fake_audit(void *ctx, uint64_t base, uint64_t size, uint64_t *used,
                           uint64_t *mapped, struct us_mem_holder *out, uint32_t *n)
{
    (void)ctx, (void)size;
    *used = base == 0x1000 ? 3 : 0;
    *mapped = base == 0x1000 ? 2 : 0;
    *n = 0;
    if (base == 0x1000) {
        memset(out, 0, sizeof(*out));
        out[0].base = 0x1000;
        out[0].size = 0x2000;
        out[0].maps = 2;
        strcpy(out[0].holder, "vmm");
        *n = 1;
    }
    return US_OK;
}

static void setup(void)
{
    fx_setup(false);
    starts = aborts = 0;
    answer = US_OK;
    reason = "";
    memset(&got, 0, sizeof(got));
    memset(&now, 0, sizeof(now));
    sh.be.maint_start = fake_start;
    sh.be.maint_status = fake_status;
    sh.be.maint_abort = fake_abort;
    sh.be.mem_audit = fake_audit;
    sh.be.mem_online = fake_online;
}

static void upgrade_os_builds_request(void)
{
    setup();
    UT_EXPECT(strcmp(fx_cmd("maint upgrade-os kvd0 initrd=initramfs-next append=a=1 append=b "
                            "mem=256 vcpus=2 via=restart"),
                     "upgrade-os of kvd0 started; its steps follow in the log (maint status)" NL) ==
              0);
    UT_EXPECT_EQ(starts, 1);
    UT_EXPECT_EQ(got.flow, US_MAINT_UPGRADE_OS);
    UT_EXPECT_EQ(got.via, US_MAINT_VIA_RESTART);
    UT_EXPECT(strcmp(got.vm, "kvd0") == 0 && strcmp(got.initrd, "initramfs-next") == 0);
    UT_EXPECT(got.kernel[0] == '\0' && strcmp(got.append, "a=1 b") == 0);
    UT_EXPECT_EQ(got.mem_size, 256ull << 20);
    UT_EXPECT_EQ(got.vcpus, 2);
    UT_EXPECT(strcmp(fx_cmd("maint upgrade-os kvd0 via=criu --json"),
                     "{\"started\":\"upgrade-os\",\"vm\":\"kvd0\"}" NL) == 0);
    UT_EXPECT_EQ(got.via, US_MAINT_VIA_CRIU);
    answer = US_EBUSY;
    reason = "a flow is already running";
    UT_EXPECT(strcmp(fx_cmd("maint upgrade-os kvd0"),
                     "error: maint upgrade-os: a flow is already running (US_EBUSY)" NL) == 0);
}

static void upgrade_app_names_image(void)
{
    setup();
    UT_EXPECT(
        strcmp(fx_cmd("maint upgrade-app kvd0 image=kvd-next"),
               "upgrade-app of kvd0 started; its steps follow in the log (maint status)" NL) == 0);
    UT_EXPECT_EQ(got.flow, US_MAINT_UPGRADE_APP);
    UT_EXPECT(strcmp(got.append, "understudy.app=kvd-next") == 0);
    UT_EXPECT(strncmp(fx_cmd("maint upgrade-app kvd0"), "error: usage: maint upgrade-app", 31) ==
              0);
    UT_EXPECT(strncmp(fx_cmd("maint upgrade-app kvd0 image="), "error: usage: maint upgrade-app",
                      31) == 0);
    UT_EXPECT_EQ(starts, 1);
}

static void status_reports(void)
{
    setup();
    UT_EXPECT(strcmp(fx_cmd("maint status"), "no maintenance flow since migrate started" NL) == 0);
    now.phase = US_MAINT_TRANSFER;
    now.flow = US_MAINT_UPGRADE_OS;
    now.via = US_MAINT_VIA_RESTART;
    now.bytes = 42;
    strcpy(now.first, "kvd0");
    strcpy(now.understudy, "kvd0-b");
    strcpy(now.step, "state \"carried\"");
    UT_EXPECT(strcmp(fx_cmd("maint status"), "transfer: upgrade-os via restart, kvd0 -> kvd0-b, "
                                             "42 bytes moved: state \"carried\"" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("maint status --json"),
                     "{\"maint\":{\"phase\":\"transfer\",\"flow\":\"upgrade-os\",\"via\":"
                     "\"restart\",\"result\":\"US_OK\",\"bytes\":42,\"first\":\"kvd0\","
                     "\"understudy\":\"kvd0-b\",\"step\":\"state \\\"carried\\\"\"}}" NL) == 0);
    now.phase = 99; /* whatever migrate says, the shell prints something sane */
    UT_EXPECT(strncmp(fx_cmd("maint status"), "?: ", 3) == 0);
}

static void abort_reports(void)
{
    setup();
    UT_EXPECT(strcmp(fx_cmd("maint abort"), "aborted: the first instance serves" NL) == 0);
    answer = US_ENOENT;
    reason = "no flow is running";
    UT_EXPECT(strcmp(fx_cmd("maint abort"),
                     "error: maint abort: no flow is running (US_ENOENT)" NL) == 0);
    UT_EXPECT_EQ(aborts, 2);
}

static void maint_usage_errors(void)
{
    static const char *const bad[] = {
        "maint upgrade-os",
        "maint upgrade-os kvd0 via=teleport",
        "maint upgrade-os kvd0 colour=blue",
        "maint upgrade-os kvd0 mem=0",
        "maint upgrade-os kvd0 vcpus=x",
        "maint upgrade-os kvd0 initrd=",
        "maint upgrade-os 0123456789abcdef",
        "maint upgrade-os kvd0 plain",
    };

    setup();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *out = fx_cmd(bad[i]);

        if (strncmp(out, "error: usage: maint upgrade-os VM", 33) != 0) {
            fprintf(stderr, "'%s' gave '%s'\n", bad[i], out);
            UT_EXPECT(0);
        }
    }
    UT_EXPECT(strcmp(fx_cmd("maint abort now"), "error: usage: maint abort" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("maint status x"), "error: usage: maint status [--json]" NL) == 0);
    UT_EXPECT_EQ(starts + aborts, 0);
}

static void maint_without_backend(void)
{
    fx_setup(false);
    UT_EXPECT(strcmp(fx_cmd("maint upgrade-os kvd0"), "error: maint upgrade-os: US_ENOTSUP" NL) ==
              0);
    UT_EXPECT(strcmp(fx_cmd("maint status"), "error: maint status: US_ENOTSUP" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("maint abort"), "error: maint abort: US_ENOTSUP" NL) == 0);
}

/* remove-device DEV and add-device DEV VM: the device in its own field. */
static void device_flows_build_requests(void)
{
    setup();
    UT_EXPECT(strcmp(fx_cmd("maint remove-device pci-01:00.0 via=criu --json"),
                     "{\"started\":\"remove-device\",\"device\":\"pci-01:00.0\"}" NL) == 0);
    UT_EXPECT_EQ(got.flow, US_MAINT_REMOVE_DEVICE);
    UT_EXPECT(strcmp(got.device, "pci-01:00.0") == 0 && got.vm[0] == '\0');
    UT_EXPECT_EQ(got.via, US_MAINT_VIA_CRIU);
    UT_EXPECT(strcmp(fx_cmd("maint add-device pci-02:00.0 kvd0 append=x=1"),
                     "add-device of pci-02:00.0 started; its steps follow in the log (maint "
                     "status)" NL) == 0);
    UT_EXPECT_EQ(got.flow, US_MAINT_ADD_DEVICE);
    UT_EXPECT(strcmp(got.device, "pci-02:00.0") == 0 && strcmp(got.vm, "kvd0") == 0);
    UT_EXPECT(strcmp(got.append, "x=1") == 0);
    reason = "no VM held it: released at once; it may be pulled";
    UT_EXPECT(strcmp(fx_cmd("maint remove-device pci-03:00.0"),
                     "remove-device of pci-03:00.0: no VM held it: released at once; it may be "
                     "pulled" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("maint remove-device pci-03:00.0 --json"),
                     "{\"done\":\"remove-device\",\"device\":\"pci-03:00.0\",\"why\":\"no VM "
                     "held it: released at once; it may be pulled\"}" NL) == 0);
    reason = "";
    UT_EXPECT(strcmp(fx_cmd("maint remove-memory 0x4b200000 201326592 via=criu --json"),
                     "{\"started\":\"remove-memory\",\"base\":\"0x4b200000\"}" NL) == 0);
    UT_EXPECT_EQ(got.flow, US_MAINT_REMOVE_MEMORY);
    UT_EXPECT(got.base == 0x4b200000u && got.mem_size == 0xc000000u && got.vm[0] == '\0');
    UT_EXPECT_EQ(got.via, US_MAINT_VIA_CRIU);
    (void)fx_cmd("maint remove-memory 0x4b200000 0x1000");
    UT_EXPECT_EQ(got.via, US_MAINT_VIA_COPY); /* by default the guests' RAM is copied */
    (void)fx_cmd("maint remove-memory 0x4b200000 0x1000 via=restart");
    UT_EXPECT_EQ(got.via, US_MAINT_VIA_RESTART);
    starts = 0;
    UT_EXPECT(strncmp(fx_cmd("maint remove-memory 0x1000"), "error: usage", 12) == 0);
    UT_EXPECT(strncmp(fx_cmd("maint remove-memory 0x1000 0"), "error: usage", 12) == 0);
    UT_EXPECT(strncmp(fx_cmd("maint remove-memory 0xfffffffffffff000 0x2000"), "error: usage",
                      12) == 0); /* wraps */
    UT_EXPECT(strncmp(fx_cmd("maint remove-memory 0x1g 0x1000"), "error: usage", 12) == 0);
    UT_EXPECT(strncmp(fx_cmd("maint add-device pci-02:00.0"),
                      "error: usage: maint add-device DEV VM", 37) == 0);
    UT_EXPECT(strncmp(fx_cmd("maint add-device pci-02:00.0 via=criu"),
                      "error: usage: maint add-device DEV VM", 37) == 0);
    UT_EXPECT_EQ(starts, 0);
}

static void hw_audit_reports(void)
{
    setup();
    UT_EXPECT(strcmp(fx_cmd("hw audit 0x1000 0x2000"),
                     "memory 0x1000+0x2000: 3 page(s) in use, 2 mapped, 1 memory object(s) "
                     "reach into it" NL "  0x1000+0x2000  mapped 2 time(s), by vmm" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("hw audit 36864 4096 --json"),
                     "{\"base\":36864,\"size\":4096,\"pages_in_use\":0,\"pages_mapped\":0,"
                     "\"holders\":[]}" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("hw audit 0x9000 0x1000"),
                     "memory 0x9000+0x1000: 0 page(s) in use, 0 mapped, 0 memory object(s) reach "
                     "into it: nothing maps it" NL) == 0);
    UT_EXPECT(strncmp(fx_cmd("hw audit 0x9000"), "error: usage: hw audit BASE SIZE", 32) == 0);
    UT_EXPECT(strncmp(fx_cmd("hw audit x 1"), "error: usage: hw audit BASE SIZE", 32) == 0);
}

/* hw online gives the withheld range back, but not from under a running flow. */
static void hw_online_gives_range_back(void)
{
    setup();
    withheld = true;
    now.phase = US_MAINT_TRANSFER;
    UT_EXPECT(strcmp(fx_cmd("hw online"),
                     "error: hw online: a maintenance flow is running: maint abort gives its "
                     "range back (US_EBUSY)" NL) == 0);
    UT_EXPECT(withheld);
    now.phase = US_MAINT_DONE;
    UT_EXPECT(strcmp(fx_cmd("hw online"), "the withheld memory range is in use again" NL) == 0);
    UT_EXPECT(!withheld);
    UT_EXPECT(strcmp(fx_cmd("hw online"),
                     "error: hw online: no memory range is withheld (US_ENOENT)" NL) == 0);
}

UT_MAIN({"upgrade_os_builds_request", upgrade_os_builds_request},
        {"hw_online_gives_range_back", hw_online_gives_range_back},
        {"hw_audit_reports", hw_audit_reports},
        {"device_flows_build_requests", device_flows_build_requests},
        {"upgrade_app_names_image", upgrade_app_names_image}, {"status_reports", status_reports},
        {"abort_reports", abort_reports}, {"maint_usage_errors", maint_usage_errors},
        {"maint_without_backend", maint_without_backend})
