/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests of the console operator shell against a fixture backend: 2 VMs, 4 servers, 3 devs. */
#include "console_shell.h"
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <understudy/abi.h>
#include "ut.h"

#define FX_OUT_CAP (1u << 16)
#define FX_GIN_CAP 4096u
#define FX_VM_SLOTS 3u
#define FX_SERVERS 4u
#define FX_DEVS 3u
#define NL "\r\n"

struct fx {
    char out[FX_OUT_CAP + 1];
    size_t out_len;
    size_t out_total;
    size_t write_max;
    char gin[FX_GIN_CAP];
    size_t gin_len;
    size_t gin_total;
    uint32_t gin_vmid;
    struct us_vm_info vms[FX_VM_SLOTS];
    struct us_server_info servers[FX_SERVERS];
    struct us_dev_info devs[FX_DEVS];
    uint32_t crash_calls, restart_calls, last_idx;
    const char *report;
    us_err_t err_vm_count, err_vm_info, err_server_count, err_restart, err_crash, err_dev_count;
    us_err_t err_guest_input, err_badipc, err_ipcbench;
    uint32_t err_vm_info_slot;
    uint32_t ipcbench_n;
    struct console_mem_stats mem;
    us_err_t err_mem;
};

static struct fx fx;
static struct console_shell sh;

static void fx_write(void *ctx, const char *s, size_t n)
{
    struct fx *f = ctx;

    UT_EXPECT(n > 0);
    f->out_total += n;
    f->write_max = n > f->write_max ? n : f->write_max;
    if (n > FX_OUT_CAP - f->out_len) {
        n = FX_OUT_CAP - f->out_len;
    }
    memcpy(f->out + f->out_len, s, n);
    f->out_len += n;
    f->out[f->out_len] = '\0';
}

static us_err_t fx_vm_count(void *ctx, uint32_t *n)
{
    struct fx *f = ctx;

    *n = FX_VM_SLOTS;
    return f->err_vm_count;
}

static us_err_t fx_vm_info(void *ctx, uint32_t slot, struct us_vm_info *out)
{
    struct fx *f = ctx;

    if (f->err_vm_info != US_OK && slot == f->err_vm_info_slot) {
        return f->err_vm_info;
    }
    if (slot >= FX_VM_SLOTS) {
        return US_ERANGE;
    }
    *out = f->vms[slot];
    return US_OK;
}

static us_err_t fx_server_count(void *ctx, uint32_t *n)
{
    struct fx *f = ctx;

    *n = FX_SERVERS;
    return f->err_server_count;
}

static us_err_t fx_server_info(void *ctx, uint32_t idx, struct us_server_info *out)
{
    struct fx *f = ctx;

    if (idx >= FX_SERVERS) {
        return US_ERANGE;
    }
    *out = f->servers[idx];
    return US_OK;
}

static us_err_t fx_server_crash(void *ctx, uint32_t idx)
{
    struct fx *f = ctx;

    f->crash_calls++;
    f->last_idx = idx;
    return f->err_crash;
}

static us_err_t fx_server_restart(void *ctx, uint32_t idx)
{
    struct fx *f = ctx;

    f->restart_calls++;
    f->last_idx = idx;
    return f->err_restart;
}

static us_err_t fx_dev_count(void *ctx, uint32_t *n)
{
    struct fx *f = ctx;

    *n = FX_DEVS;
    return f->err_dev_count;
}

static us_err_t fx_dev_info(void *ctx, uint32_t idx, struct us_dev_info *out)
{
    struct fx *f = ctx;

    if (idx >= FX_DEVS) {
        return US_ERANGE;
    }
    *out = f->devs[idx];
    return US_OK;
}

static us_err_t fx_guest_input(void *ctx, uint32_t vmid, const char *bytes, size_t n)
{
    struct fx *f = ctx;

    UT_EXPECT(n > 0);
    f->gin_vmid = vmid;
    f->gin_total += n;
    if (n > FX_GIN_CAP - f->gin_len) {
        n = FX_GIN_CAP - f->gin_len;
    }
    memcpy(f->gin + f->gin_len, bytes, n);
    f->gin_len += n;
    return f->err_guest_input;
}

static us_err_t fx_debug_badipc(void *ctx, char *report, size_t report_len)
{
    struct fx *f = ctx;

    if (f->report != NULL) {
        strncpy(report, f->report, report_len);
    }
    return f->err_badipc;
}

static us_err_t fx_mem_stats(void *ctx, struct console_mem_stats *out)
{
    struct fx *f = ctx;

    *out = f->mem;
    return f->err_mem;
}

static us_err_t fx_debug_ipcbench(void *ctx, uint32_t n, struct console_ipcbench_result *out)
{
    struct fx *f = ctx;

    f->ipcbench_n = n;
    out->calls = n;
    out->batches = 7;
    out->ns_per_call = 321;
    return f->err_ipcbench;
}

static void fx_vm(uint32_t slot, const char *name, uint32_t vmid, uint32_t state, uint32_t vcpus,
                  uint64_t mem, uint64_t exits)
{
    struct us_vm_info *v = &fx.vms[slot];

    strncpy(v->name, name, sizeof(v->name));
    v->vmid = vmid;
    v->state = state;
    v->vcpu_count = vcpus;
    v->mem_size = mem;
    v->exits = exits;
}

static void fx_server(uint32_t idx, const char *name, uint32_t state, uint32_t prio,
                      uint32_t restarts, uint32_t faults)
{
    struct us_server_info *s = &fx.servers[idx];

    strncpy(s->name, name, sizeof(s->name));
    s->state = state;
    s->priority = prio;
    s->restarts = restarts;
    s->faults = faults;
    s->frames = 8;
}

static void fx_dev(uint32_t idx, const char *name, const char *compat, uint64_t base, uint64_t size,
                   uint32_t irq, uint32_t owner)
{
    struct us_dev_info *d = &fx.devs[idx];

    strncpy(d->name, name, sizeof(d->name));
    strncpy(d->compat, compat, sizeof(d->compat));
    d->base = base;
    d->size = size;
    d->irq = irq;
    d->owner = owner;
}

static void fx_clear_out(void)
{
    fx.out_len = 0;
    fx.out[0] = '\0';
}

/* Fresh fixture and shell; the first prompt is already consumed. */
static void fx_setup(bool debug)
{
    struct console_shell_backend be = {
        .ctx = &fx,
        .write = fx_write,
        .vm_count = fx_vm_count,
        .vm_info = fx_vm_info,
        .server_count = fx_server_count,
        .server_info = fx_server_info,
        .server_crash = fx_server_crash,
        .server_restart = fx_server_restart,
        .dev_count = fx_dev_count,
        .dev_info = fx_dev_info,
        .guest_input = fx_guest_input,
        .mem_stats = fx_mem_stats,
        .debug_badipc = debug ? fx_debug_badipc : NULL,
        .debug_ipcbench = debug ? fx_debug_ipcbench : NULL,
        .debug = debug,
    };

    memset(&fx, 0, sizeof(fx));
    fx_vm(0, "vm0", 0, US_VM_STATE_RUNNING, 1, 16ull << 20, 123);
    fx_vm(1, "", 5, US_VM_STATE_EMPTY, 0, 0, 0);
    fx_vm(2, "linux", 1, US_VM_STATE_OFF, 2, 256ull << 20, 4567);
    fx_server(0, "vmm", US_SERVER_RUNNING, 10, 0, 0);
    fx_server(1, "devmgr", US_SERVER_RUNNING, 8, 1, 0);
    fx_server(2, "migrate", US_SERVER_FAULTED, 6, 0, 2);
    fx.servers[2].fault_addr = 0xdead0000;
    fx.servers[2].fault_esr = 0x92000046;
    fx_server(3, "console", US_SERVER_RUNNING, 4, 0, 0);
    fx_dev(0, "pl011@9000000", "arm,pl011", 0x9000000, 0x1000, 33, US_DEV_OWNER_HYP);
    fx_dev(1, "virtio_mmio@a000000", "virtio,mmio", 0xa000000, 0x200, 48, US_DEV_OWNER_GUEST);
    fx_dev(2, "psci", "arm,psci-1.0", 0, 0, US_INVALID_IRQ, US_DEV_OWNER_NONE);
    UT_EXPECT_EQ(console_shell_init(&sh, &be), US_OK);
    console_shell_start(&sh);
    UT_EXPECT(strcmp(fx.out, "us> ") == 0);
    fx_clear_out();
}

/* Feed @in and return everything the shell wrote in response. */
static const char *fx_run(const char *in)
{
    fx_clear_out();
    UT_EXPECT_EQ(console_shell_input(&sh, in, strlen(in)), US_OK);
    return fx.out;
}

/* The output of command line @cmd, without the echo of the line and without the prompt. */
static const char *fx_cmd(const char *cmd)
{
    static char buf[FX_OUT_CAP + 1];
    size_t len;

    fx_run(cmd);
    fx_run("\r");
    len = fx.out_len;
    if (len < strlen(NL "us> ") || strncmp(fx.out, NL, 2) != 0 ||
        strcmp(fx.out + len - 4, "us> ") != 0) {
        UT_EXPECT(!"command output must be NL ... prompt");
        return "";
    }
    len -= strlen(NL "us> ");
    memcpy(buf, fx.out + strlen(NL), len);
    buf[len] = '\0';
    return buf;
}

static bool has(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (hay = strstr(hay, needle); hay != NULL; hay = strstr(hay + 1, needle)) {
        n++;
    }
    return n;
}

static void help_lists_all_commands(void)
{
    static const char *const forms[] = {
        "help",
        "vm list [--json]",
        "vm console N",
        "server list [--json]",
        "server restart NAME",
        "server crash NAME",
        "hw list [--json]",
        "stats mem [--json]",
        "debug badipc",
        "debug ipcbench N",
    };
    const char *out;
    size_t i;

    fx_setup(true);
    out = fx_cmd("help");
    UT_EXPECT(strncmp(out, "commands:" NL, 11) == 0);
    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        char line[64];

        snprintf(line, sizeof(line), NL "  %s ", forms[i]);
        if (!has(out, line)) {
            fprintf(stderr, "missing %s in:\n%s\n", forms[i], out);
        }
        UT_EXPECT(has(out, line));
    }
    UT_EXPECT(has(out, "list virtual machines" NL));
}

static void vm_list_prints_table(void)
{
    fx_setup(true);
    UT_EXPECT(strcmp(fx_cmd("vm list"),
                     "ID    NAME              STATE     VCPUS  MEM     EXITS" NL
                     "0     vm0               running   1      16M     123" NL
                     "1     linux             off       2      256M    4567" NL) == 0);
    fx.vms[2].state = US_VM_STATE_CRASHED;
    UT_EXPECT(has(fx_cmd("  vm   list  "), "1     linux             crashed   2"));
}

static void vm_list_json_shape(void)
{
    static const char expect[] =
        "{\"vms\":[{\"id\":0,\"name\":\"vm0\",\"state\":\"running\",\"vcpus\":1,"
        "\"mem\":16777216,\"exits\":123},{\"id\":1,\"name\":\"linux\",\"state\":\"off\","
        "\"vcpus\":2,\"mem\":268435456,\"exits\":4567}]}" NL;

    fx_setup(true);
    UT_EXPECT(strcmp(fx_cmd("vm list --json"), expect) == 0);
    UT_EXPECT(strcmp(fx_cmd("--json vm list"), expect) == 0);
    UT_EXPECT(strcmp(fx_cmd("vm --json list"), expect) == 0);
    fx.vms[0].state = US_VM_STATE_EMPTY;
    fx.vms[2].state = US_VM_STATE_EMPTY;
    UT_EXPECT(strcmp(fx_cmd("vm list --json"), "{\"vms\":[]}" NL) == 0);
}

static void server_list_table_and_json(void)
{
    const char *out;

    fx_setup(true);
    out = fx_cmd("server list");
    UT_EXPECT(strcmp(out, "NAME              STATE     PRIO  RESTARTS  FAULTS  LAST FAULT" NL
                          "vmm               running   10    0         0" NL
                          "devmgr            running   8     1         0" NL
                          "migrate           faulted   6     0         2       "
                          "far=0xdead0000 esr=0x92000046" NL
                          "console           running   4     0         0" NL) == 0);
    out = fx_cmd("server list --json");
    UT_EXPECT(strncmp(out,
                      "{\"servers\":[{\"name\":\"vmm\",\"state\":\"running\",\"prio\":10,"
                      "\"restarts\":0,\"faults\":0,\"fault_addr\":0,\"fault_esr\":0,"
                      "\"frames\":8},{\"name\":\"devmgr\",",
                      strlen("{\"servers\":[{\"name\":\"vmm\",\"state\":\"running\",\"prio\":10,"
                             "\"restarts\":0,\"faults\":0,\"fault_addr\":0,\"fault_esr\":0,"
                             "\"frames\":8},{\"name\":\"devmgr\",")) == 0);
    UT_EXPECT(has(out, "{\"name\":\"migrate\",\"state\":\"faulted\",\"prio\":6,\"restarts\":0,"
                       "\"faults\":2,\"fault_addr\":3735879680,\"fault_esr\":2449473606,"));
    UT_EXPECT(has(out, "\"frames\":8}]}" NL));
}

static void hw_list_table_and_json(void)
{
    fx_setup(true);
    UT_EXPECT(strcmp(fx_cmd("hw list"),
                     "NAME                      COMPATIBLE                BASE          SIZE    "
                     "IRQ   OWNER" NL
                     "pl011@9000000             arm,pl011                 0x09000000    4K      "
                     "33    hyp" NL
                     "virtio_mmio@a000000       virtio,mmio               0x0a000000    512     "
                     "48    guest" NL
                     "psci                      arm,psci-1.0              -             -       "
                     "-     none" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("hw list --json"),
                     "{\"devices\":[{\"name\":\"pl011@9000000\",\"compatible\":\"arm,pl011\","
                     "\"base\":150994944,\"size\":4096,\"irq\":33,\"owner\":\"hyp\"},"
                     "{\"name\":\"virtio_mmio@a000000\",\"compatible\":\"virtio,mmio\","
                     "\"base\":167772160,\"size\":512,\"irq\":48,\"owner\":\"guest\"},"
                     "{\"name\":\"psci\",\"compatible\":\"arm,psci-1.0\",\"base\":0,\"size\":0,"
                     "\"irq\":null,\"owner\":\"none\"}]}" NL) == 0);
}

static void json_escapes_strings(void)
{
    const char *out;

    fx_setup(true);
    memcpy(fx.vms[0].name, "a\"b\\c\n\x01\x7f\xff", 10);
    memcpy(fx.devs[0].compat, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 48); /* no NUL */
    out = fx_cmd("vm list --json");
    UT_EXPECT(has(out, "\"name\":\"a\\\"b\\\\c\\u000a\\u0001\\u007f\\u00ff\","));
    out = fx_cmd("vm list");
    UT_EXPECT(has(out, "0     a\"b\\c????         running"));
    out = fx_cmd("hw list --json");
    UT_EXPECT(has(out, "\"compatible\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\","));
}

static void vm_console_routes_input(void)
{
    const char *out;

    fx_setup(true);
    out = fx_run("vm console 1\r");
    UT_EXPECT(
        strcmp(out, "vm console 1" NL "attached to vm 1 (linux); press Ctrl-] to detach" NL) == 0);
    UT_EXPECT(console_shell_is_attached(&sh));
    out = fx_run("ls -l\r\x7f");
    UT_EXPECT_EQ(fx.out_len, 0); /* no echo: the guest echoes */
    UT_EXPECT_EQ(fx.gin_len, 7);
    UT_EXPECT(memcmp(fx.gin, "ls -l\r\x7f", 7) == 0);
    UT_EXPECT_EQ(fx.gin_vmid, 1);
    out = fx_run("x\x1dhelp");
    UT_EXPECT_EQ(fx.gin_len, 8);
    UT_EXPECT(!console_shell_is_attached(&sh));
    UT_EXPECT(strcmp(out, NL "detached" NL "us> help") == 0);
    out = fx_run("\r");
    UT_EXPECT(has(out, "commands:"));
    UT_EXPECT_EQ(fx.gin_len, 8);
    /* Ctrl-] in command mode is just an ignored control byte. */
    out = fx_run("\x1d");
    UT_EXPECT_EQ(fx.out_len, 0);
}

static void vm_console_replays_buffered_output(void)
{
    const char *out;

    fx_setup(true);
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 0, "boot ok\r\n", 9), US_OK);
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 1, "other\r\n", 7), US_OK);
    UT_EXPECT_EQ(fx.out_len, 0);
    out = fx_run("vm console 0\r");
    UT_EXPECT(strcmp(out, "vm console 0" NL "attached to vm 0 (vm0); press Ctrl-] to detach" NL
                          "boot ok\r\n") == 0);
    /* Live output of the attached VM goes straight out; others keep buffering. */
    fx_clear_out();
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 0, "$ ", 2), US_OK);
    UT_EXPECT(strcmp(fx.out, "$ ") == 0);
    fx_clear_out();
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 1, "more\r\n", 6), US_OK);
    UT_EXPECT_EQ(fx.out_len, 0);
    fx_run("\x1d");
    /* Replayed output is not shown twice. */
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 0, "late", 4), US_OK);
    out = fx_run("vm console 0\r");
    UT_EXPECT(has(out, "detach" NL "late"));
    UT_EXPECT(!has(out, "boot ok"));
    fx_run("\x1d");
    out = fx_run("vm console 1\r");
    UT_EXPECT(has(out, "detach" NL "other\r\nmore\r\n"));
}

static void vm_console_ring_keeps_last_4k(void)
{
    static char big[CONSOLE_SHELL_RING_SIZE + 1000];
    const char *out, *hdr = "vm console 0" NL "attached to vm 0 (vm0); press Ctrl-] to detach" NL;
    size_t i;

    fx_setup(true);
    for (i = 0; i < sizeof(big); i++) {
        big[i] = (char)('a' + i % 26);
    }
    /* Odd-sized pieces so the ring wraps at unaligned points. */
    for (i = 0; i < sizeof(big); i += 333) {
        size_t n = sizeof(big) - i < 333 ? sizeof(big) - i : 333;

        UT_EXPECT_EQ(console_shell_guest_output(&sh, 0, big + i, n), US_OK);
    }
    out = fx_run("vm console 0\r");
    UT_EXPECT_EQ(fx.out_len, strlen(hdr) + CONSOLE_SHELL_RING_SIZE);
    UT_EXPECT(memcmp(out + strlen(hdr), big + 1000, CONSOLE_SHELL_RING_SIZE) == 0);
    fx_run("\x1d");
    /* One piece larger than the ring keeps its tail. */
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 0, big, sizeof(big)), US_OK);
    out = fx_run("vm console 0\r");
    UT_EXPECT(memcmp(out + strlen(hdr), big + 1000, CONSOLE_SHELL_RING_SIZE) == 0);
}

static void guest_output_rejects_ninth_vm(void)
{
    uint32_t vmid;

    fx_setup(true);
    for (vmid = 10; vmid < 10 + CONSOLE_SHELL_RING_COUNT; vmid++) {
        UT_EXPECT_EQ(console_shell_guest_output(&sh, vmid, "x", 1), US_OK);
    }
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 99, "x", 1), US_ENOMEM);
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 10, "y", 1), US_OK);
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 10, NULL, 1), US_EINVAL);
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 10, NULL, 0), US_OK);
    UT_EXPECT_EQ(console_shell_guest_output(NULL, 10, "x", 1), US_EINVAL);
    UT_EXPECT_EQ(fx.out_len, 0);
}

static void vm_console_unknown_id(void)
{
    fx_setup(true);
    UT_EXPECT(strcmp(fx_cmd("vm console 7"), "error: vm console 7: US_ENOENT" NL) == 0);
    /* Slot 1 is empty: its stale vmid must not attach. */
    UT_EXPECT(strcmp(fx_cmd("vm console 5"), "error: vm console 5: US_ENOENT" NL) == 0);
    UT_EXPECT(
        strcmp(fx_cmd("vm console 4294967295"), "error: vm console 4294967295: US_ENOENT" NL) == 0);
    UT_EXPECT(!console_shell_is_attached(&sh));
}

static void command_unknown_gives_hint(void)
{
    fx_setup(true);
    UT_EXPECT(strcmp(fx_cmd("xyz"), "error: unknown command 'xyz' (try 'help')" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("xyz vm list"), "error: unknown command 'xyz' (try 'help')" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("vm stop 1"), "error: unknown command 'vm stop' (try 'help')" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("--json"), "error: unknown command '--json' (try 'help')" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("HELP"), "error: unknown command 'HELP' (try 'help')" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd(""), "") == 0);
    UT_EXPECT(strcmp(fx_cmd("    "), "") == 0);
}

static void command_usage_errors(void)
{
    static const char *const cases[][2] = {
        {"help me", "help"},
        {"help --json", "help"},
        {"vm", "vm list [--json] | vm console N"},
        {"vm list 0", "vm list [--json]"},
        {"vm console", "vm console N"},
        {"vm console x1", "vm console N"},
        {"vm console -1", "vm console N"},
        {"vm console 4294967296", "vm console N"},
        {"vm console 1 2", "vm console N"},
        {"vm console 1 --json", "vm console N"},
        {"server", "server list [--json] | server restart NAME | server crash NAME"},
        {"server list vmm", "server list [--json]"},
        {"server restart", "server restart NAME"},
        {"server restart a b", "server restart NAME"},
        {"server crash", "server crash NAME"},
        {"server crash vmm --json", "server crash NAME"},
        {"hw", "hw list [--json]"},
        {"hw list a b c d e f g h i j", "hw list [--json]"},
        {"debug", "debug badipc | debug ipcbench N"},
        {"debug badipc now", "debug badipc"},
    };
    size_t i;

    fx_setup(true);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char expect[128];
        const char *out = fx_cmd(cases[i][0]);

        snprintf(expect, sizeof(expect), "error: usage: %s" NL, cases[i][1]);
        if (strcmp(out, expect) != 0) {
            fprintf(stderr, "'%s' gave '%s'\n", cases[i][0], out);
        }
        UT_EXPECT(strcmp(out, expect) == 0);
    }
    UT_EXPECT_EQ(fx.restart_calls + fx.crash_calls, 0);
    UT_EXPECT(!console_shell_is_attached(&sh));
}

static void line_backspace_erases(void)
{
    const char *out;

    fx_setup(true);
    out = fx_run("hw lisx\x7f");
    UT_EXPECT(strcmp(out, "hw lisx\b \b") == 0);
    out = fx_run("\bt\r");
    UT_EXPECT(strncmp(out, "\b \bt" NL "error: unknown command 'hw lit' (try",
                      strlen("\b \bt" NL "error: unknown command 'hw lit' (try")) == 0);
    out = fx_run("\b\x7f\b");
    UT_EXPECT_EQ(fx.out_len, 0); /* nothing to erase */
    out = fx_run("vm lisz\x08t\r");
    UT_EXPECT(has(out, "vm lisz\b \bt" NL "ID    NAME"));
    /* Other control bytes and non-ASCII are neither echoed nor kept. */
    out = fx_run("he\tl\x01\x1b\x80\xffp");
    UT_EXPECT(strcmp(out, "help") == 0);
    out = fx_run("\n");
    UT_EXPECT(has(out, "commands:"));
}

/* Feed @in as hypervisor log and return what the shell wrote. */
static const char *fx_log(const char *in)
{
    fx_clear_out();
    UT_EXPECT_EQ(console_shell_log(&sh, in, strlen(in)), US_OK);
    return fx.out;
}

static void log_redraws_prompt_and_line(void)
{
    const char *out;

    fx_setup(true);
    out = fx_run("vm li");
    /* A whole line: prompt erased, line printed with CRLF, prompt and typed text redrawn. */
    out = fx_log("[ 1.0] INFO vmm| a\n");
    UT_EXPECT(strcmp(out, "\r\x1b[K[ 1.0] INFO vmm| a" NL "us> vm li") == 0);
    /* Two lines in one chunk. */
    out = fx_log("b\nc\n");
    UT_EXPECT(strcmp(out, "\r\x1b[Kb" NL "c" NL "us> vm li") == 0);
    /* A line split across chunks: no redraw in between, no second erase. */
    out = fx_log("par");
    UT_EXPECT(strcmp(out, "\r\x1b[Kpar") == 0);
    out = fx_log("t\n");
    UT_EXPECT(strcmp(out, "t" NL "us> vm li") == 0);
    /* Keys while a log line is open: the line is ended and the prompt comes back first. */
    (void)fx_log("open");
    out = fx_run("s");
    UT_EXPECT(strcmp(out, NL "us> vm lis") == 0);
    out = fx_run("t\r");
    UT_EXPECT(has(out, "t" NL "ID    NAME"));
    /* Attached: log bytes pass through with CRLF, nothing is redrawn. */
    (void)fx_run("vm console 0\r");
    out = fx_log("x\ny\n");
    UT_EXPECT(strcmp(out, "x" NL "y" NL) == 0);
    UT_EXPECT_EQ(console_shell_log(&sh, "", 0), US_OK);
    UT_EXPECT_EQ(console_shell_log(NULL, "x", 1), US_EINVAL);
    UT_EXPECT_EQ(console_shell_log(&sh, NULL, 1), US_EINVAL);
}

static void log_before_start_no_prompt(void)
{
    struct console_shell fresh;
    struct console_shell_backend be = {.ctx = &fx, .write = fx_write};

    memset(&fx, 0, sizeof(fx));
    UT_EXPECT_EQ(console_shell_init(&fresh, &be), US_OK);
    UT_EXPECT_EQ(console_shell_log(&fresh, "early\n", 6), US_OK);
    UT_EXPECT(strcmp(fx.out, "early" NL) == 0);
    console_shell_start(&fresh);
    UT_EXPECT(strcmp(fx.out, "early" NL "us> ") == 0);
}

static void line_overlong_rejected(void)
{
    char line[CONSOLE_SHELL_LINE_MAX + 51];
    const char *out;
    size_t i, beeps = 0;

    fx_setup(true);
    memset(line, 'a', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    out = fx_run(line);
    for (i = 0; i < fx.out_len; i++) {
        beeps += out[i] == '\a';
    }
    UT_EXPECT_EQ(beeps, 50);
    UT_EXPECT_EQ(fx.out_len, CONSOLE_SHELL_LINE_MAX + 50);
    out = fx_run("\r");
    UT_EXPECT(strcmp(out, NL "error: line too long (max 200 characters)" NL "us> ") == 0);
    UT_EXPECT(has(fx_cmd("help"), "commands:"));
    /* Exactly the maximum is accepted. */
    line[CONSOLE_SHELL_LINE_MAX] = '\0';
    out = fx_cmd(line);
    UT_EXPECT(has(out, "error: unknown command 'aaaa"));
}

static void line_crlf_single_end(void)
{
    const char *out;

    fx_setup(true);
    out = fx_run("help\r\n");
    UT_EXPECT(has(out, "commands:"));
    UT_EXPECT_EQ(count(out, "us> "), 1);
    out = fx_run("\r\r");
    UT_EXPECT(strcmp(out, NL "us> " NL "us> ") == 0);
    out = fx_run("\n\n");
    UT_EXPECT(strcmp(out, NL "us> ") == 0); /* the first LF pairs with the last CR */
    /* The LF of the line that attaches must not reach the guest, even in the next chunk. */
    fx_run("vm console 0\r");
    fx_run("\nab\n");
    UT_EXPECT_EQ(fx.gin_len, 3);
    UT_EXPECT(memcmp(fx.gin, "ab\n", 3) == 0);
}

static void release_hides_debug_commands(void)
{
    const char *out;

    fx_setup(false);
    out = fx_cmd("help");
    UT_EXPECT(!has(out, "crash"));
    UT_EXPECT(!has(out, "debug"));
    UT_EXPECT(has(out, "server restart NAME"));
    UT_EXPECT(strcmp(fx_cmd("server crash vmm"),
                     "error: unknown command 'server crash' (try 'help')" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("debug badipc"), "error: unknown command 'debug' (try 'help')" NL) ==
              0);
    UT_EXPECT(strcmp(fx_cmd("debug"), "error: unknown command 'debug' (try 'help')" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("server"),
                     "error: usage: server list [--json] | server restart NAME" NL) == 0);
    UT_EXPECT_EQ(fx.crash_calls, 0);
}

static void backend_error_prints_name(void)
{
    const char *out;

    fx_setup(true);
    fx.err_vm_count = US_EABORT;
    UT_EXPECT(strcmp(fx_cmd("vm list"), "error: vm list: US_EABORT" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("vm list --json"), "error: vm list: US_EABORT" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("vm console 0"), "error: vm console 0: US_EABORT" NL) == 0);
    fx.err_vm_count = US_OK;
    fx.err_vm_info = US_ETIMEOUT;
    fx.err_vm_info_slot = 2;
    out = fx_cmd("vm list --json");
    UT_EXPECT(strcmp(out,
                     "{\"vms\":[{\"id\":0,\"name\":\"vm0\",\"state\":\"running\",\"vcpus\":1,"
                     "\"mem\":16777216,\"exits\":123}]}" NL "error: vm list: US_ETIMEOUT" NL) == 0);
    fx.err_server_count = US_ECAP;
    UT_EXPECT(strcmp(fx_cmd("server list"), "error: server list: US_ECAP" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("server restart vmm"), "error: server restart vmm: US_ECAP" NL) == 0);
    fx.err_server_count = US_OK;
    fx.err_restart = US_EBUSY;
    UT_EXPECT(strcmp(fx_cmd("server restart vmm"), "error: server restart vmm: US_EBUSY" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("server restart nope"), "error: server restart nope: US_ENOENT" NL) ==
              0);
    /* A prefix of a name is not the name. */
    UT_EXPECT(strcmp(fx_cmd("server restart vm"), "error: server restart vm: US_ENOENT" NL) == 0);
    fx.err_crash = US_ENOTSUP;
    UT_EXPECT(strcmp(fx_cmd("server crash devmgr"), "error: server crash devmgr: US_ENOTSUP" NL) ==
              0);
    fx.err_dev_count = US_ENOMEM;
    UT_EXPECT(strcmp(fx_cmd("hw list --json"), "error: hw list: US_ENOMEM" NL) == 0);
    fx.err_guest_input = US_EBUSY;
    fx_run("vm console 0\r");
    out = fx_run("q");
    UT_EXPECT(strcmp(out, NL "error: guest input: US_EBUSY" NL) == 0);
    UT_EXPECT(console_shell_is_attached(&sh));
    fx.err_badipc = US_EABORT;
    fx_run("\x1d");
    UT_EXPECT(strcmp(fx_cmd("debug badipc"), "error: debug badipc: US_EABORT" NL) == 0);
}

static void server_restart_calls_backend(void)
{
    fx_setup(true);
    UT_EXPECT(strcmp(fx_cmd("server restart migrate"), "ok" NL) == 0);
    UT_EXPECT_EQ(fx.restart_calls, 1);
    UT_EXPECT_EQ(fx.last_idx, 2);
    UT_EXPECT(strcmp(fx_cmd("server crash console"), "ok" NL) == 0);
    UT_EXPECT_EQ(fx.crash_calls, 1);
    UT_EXPECT_EQ(fx.last_idx, 3);
    /* A 16-byte name without its NUL still matches exactly. */
    memcpy(fx.servers[1].name, "abcdefghijklmnop", 16);
    UT_EXPECT(strcmp(fx_cmd("server restart abcdefghijklmnop"), "ok" NL) == 0);
    UT_EXPECT_EQ(fx.last_idx, 1);
    UT_EXPECT(has(fx_cmd("server list"), NL "abcdefghijklmnop  running"));
    /* Nameless slots are unused: not listed, never matched. */
    memset(fx.servers[3].name, 0, sizeof(fx.servers[3].name));
    UT_EXPECT(!has(fx_cmd("server list"), "console"));
}

static void debug_badipc_prints_report(void)
{
    fx_setup(true);
    fx.report = "vmm: bad label -> US_ENOTSUP\n\tdevmgr: short -> US_ETRUNC\x01";
    UT_EXPECT(strcmp(fx_cmd("debug badipc"),
                     "vmm: bad label -> US_ENOTSUP" NL " devmgr: short -> US_ETRUNC?" NL) == 0);
    fx.report = "done\n";
    UT_EXPECT(strcmp(fx_cmd("debug badipc"), "done" NL) == 0);
}

static void stats_mem_splits_usage(void)
{
    fx_setup(true);
    /* 1 GiB, 600 MiB free, 40 MiB boot image; the fixture's running and off VMs count
     * (16 MiB + 256 MiB), the empty slot does not. Hypervisor: 424 - 272 - 40 = 112 MiB. */
    fx.mem.total = 1024ull << 20;
    fx.mem.free = 600ull << 20;
    fx.mem.boot_image = 40ull << 20;
    UT_EXPECT(strcmp(fx_cmd("stats mem"), "total 1048576K  free 614400K  guests 278528K  "
                                          "boot image 40960K  hypervisor 114688K" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("stats mem --json"),
                     "{\"mem\":{\"total\":1073741824,\"free\":629145600,\"guests\":285212672,"
                     "\"boot_image\":41943040,\"hypervisor\":117440512}}" NL) == 0);
    /* Figures that do not add up never print a negative (wrapped) hypervisor size. */
    fx.mem.free = fx.mem.total;
    UT_EXPECT(has(fx_cmd("stats mem"), "hypervisor 0K"));
    fx.err_mem = US_ECAP;
    UT_EXPECT(strcmp(fx_cmd("stats mem"), "error: stats mem: US_ECAP" NL) == 0);
    UT_EXPECT(has(fx_cmd("stats mem extra"), "error: usage: stats mem [--json]"));
}

static void debug_ipcbench_checks_n(void)
{
    fx_setup(true);
    UT_EXPECT(strcmp(fx_cmd("debug ipcbench 500"),
                     "ipcbench: calls=500 batches=7 ns_per_call=321" NL) == 0);
    UT_EXPECT_EQ(fx.ipcbench_n, 500);
    fx.ipcbench_n = 0;
    UT_EXPECT(has(fx_cmd("debug ipcbench 0"), "error: usage: debug ipcbench N"));
    UT_EXPECT(has(fx_cmd("debug ipcbench 1000001"), "error: usage: debug ipcbench N"));
    UT_EXPECT(has(fx_cmd("debug ipcbench x"), "error: usage: debug ipcbench N"));
    UT_EXPECT(has(fx_cmd("debug ipcbench"), "error: usage: debug ipcbench N"));
    UT_EXPECT_EQ(fx.ipcbench_n, 0); /* never called with a bad N */
    fx.err_ipcbench = US_EABORT;
    UT_EXPECT(strcmp(fx_cmd("debug ipcbench 1"), "error: debug ipcbench: US_EABORT" NL) == 0);
    /* Not in release builds. */
    fx_setup(false);
    UT_EXPECT(has(fx_cmd("debug ipcbench 5"), "error: unknown command"));
}

static void backend_null_reports_enotsup(void)
{
    struct console_shell_backend be = {.ctx = &fx, .write = fx_write, .debug = true};

    memset(&fx, 0, sizeof(fx));
    UT_EXPECT_EQ(console_shell_init(&sh, &be), US_OK);
    UT_EXPECT(strcmp(fx_cmd("vm list"), "error: vm list: US_ENOTSUP" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("server list --json"), "error: server list: US_ENOTSUP" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("server crash vmm"), "error: server crash vmm: US_ENOTSUP" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("hw list"), "error: hw list: US_ENOTSUP" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("debug badipc"), "error: debug badipc: US_ENOTSUP" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("debug ipcbench 3"), "error: debug ipcbench: US_ENOTSUP" NL) == 0);
}

static void init_rejects_null(void)
{
    struct console_shell_backend be = {.ctx = &fx};

    UT_EXPECT_EQ(console_shell_init(NULL, &be), US_EINVAL);
    UT_EXPECT_EQ(console_shell_init(&sh, NULL), US_EINVAL);
    UT_EXPECT_EQ(console_shell_init(&sh, &be), US_EINVAL); /* no write */
    fx_setup(true);
    UT_EXPECT_EQ(console_shell_input(&sh, NULL, 1), US_EINVAL);
    UT_EXPECT_EQ(console_shell_input(&sh, NULL, 0), US_OK);
    UT_EXPECT_EQ(console_shell_input(NULL, "x", 1), US_EINVAL);
}

static uint32_t fuzz_state;

static uint32_t fuzz_next(void)
{
    fuzz_state = fuzz_state * 1103515245u + 12345u;
    return fuzz_state >> 8;
}

/* Invariants that must hold between any two calls, whatever came in. */
static void fuzz_check(size_t in_total)
{
    UT_EXPECT(sh.line_len <= CONSOLE_SHELL_LINE_MAX);
    UT_EXPECT_EQ(sh.out_len, 0);
    UT_EXPECT(fx.write_max <= CONSOLE_SHELL_RING_SIZE);
    /* Worst case per byte: one command line of a few bytes printing the longest listing. */
    UT_EXPECT(fx.out_total <= 64 * in_total + 4096);
    UT_EXPECT(fx.gin_total <= in_total);
}

static void fuzz_feed(const char *buf, size_t n, size_t *in_total)
{
    *in_total += n;
    UT_EXPECT_EQ(console_shell_input(&sh, buf, n), US_OK);
    if (fuzz_next() % 4 == 0) {
        char g[64];
        size_t i, gn = fuzz_next() % sizeof(g);

        for (i = 0; i < gn; i++) {
            g[i] = (char)fuzz_next();
        }
        *in_total += gn;
        console_shell_guest_output(&sh, fuzz_next() % 12, g, gn);
    }
    fuzz_check(*in_total);
    if (fx.out_len > FX_OUT_CAP / 2) {
        fx_clear_out();
    }
}

static void fuzz_random_bytes_bounded(void)
{
    char buf[97];
    size_t done = 0, in_total = 0;

    fx_setup(true);
    fuzz_state = 0x5eed;
    while (done < 100000) {
        size_t i, n = 1 + fuzz_next() % sizeof(buf);

        for (i = 0; i < n; i++) {
            buf[i] = (char)fuzz_next();
        }
        fuzz_feed(buf, n, &in_total);
        done += n;
    }
    UT_EXPECT(fx.out_total > 0);
}

/*
 * Valid command lines, mutated at random (words replaced, dropped or added, odd separators and
 * control bytes), reach the command and attach paths that random bytes almost never do.
 */
static void fuzz_command_tokens_bounded(void)
{
    static const char *const lines[] = {
        "help",
        "vm list",
        "vm list --json",
        "vm console 0",
        "vm console 1",
        "vm console 7",
        "server list",
        "server list --json",
        "server restart vmm",
        "server crash migrate",
        "hw list",
        "hw list --json",
        "debug badipc",
    };
    static const char *const words[] = {
        "vm",      "list",  "console", "0",          "1",           "5",          "server",
        "restart", "crash", "vmm",     "hw",         "debug",       "badipc",     "help",
        "--json",  "",      "x",       "4294967295", "99999999999", "\t",         "\x03",
        "\x7f",    "\b",    "\x1d",    "\r",         "\n",          "guest text",
    };
    static const char *const ends[] = {"\r", "\n", "\r\n", "\x1d", "\x1d\r", ""};
    char buf[512];
    size_t done = 0, in_total = 0;

    fx_setup(true);
    fuzz_state = 0xc0ffee;
    fx.err_vm_info_slot = 2;
    while (done < 100000) {
        const char *p = lines[fuzz_next() % (sizeof(lines) / sizeof(lines[0]))];
        const char *w;
        size_t len = 0;

        while (*p != '\0') {
            uint32_t r = fuzz_next() % 16;
            size_t wl = strcspn(p, " ");

            w = p;
            p += wl + (p[wl] == ' ');
            if (r == 0) {
                continue; /* dropped */
            }
            if (r == 1) {
                w = words[fuzz_next() % (sizeof(words) / sizeof(words[0]))];
                wl = strlen(w);
            }
            memcpy(buf + len, w, wl);
            len += wl;
            if (r == 2) {
                w = words[fuzz_next() % (sizeof(words) / sizeof(words[0]))];
                buf[len++] = ' ';
                memcpy(buf + len, w, strlen(w));
                len += strlen(w);
            }
            buf[len++] = ' ';
            while (len < 400 && fuzz_next() % 4 == 0) {
                buf[len++] = ' ';
            }
        }
        w = ends[fuzz_next() % (sizeof(ends) / sizeof(ends[0]))];
        memcpy(buf + len, w, strlen(w));
        len += strlen(w);
        if (fuzz_next() % 64 == 0) {
            fx.err_vm_info = fx.err_vm_info == US_OK ? US_EABORT : US_OK;
            fx.err_restart = fx.err_restart == US_OK ? US_EBUSY : US_OK;
            fx.err_guest_input = fx.err_guest_input == US_OK ? US_EBUSY : US_OK;
        }
        fuzz_feed(buf, len, &in_total);
        done += len;
    }
    UT_EXPECT(fx.restart_calls > 0);
    UT_EXPECT(fx.crash_calls > 0);
    UT_EXPECT(fx.gin_total > 0);
}

UT_MAIN({"help_lists_all_commands", help_lists_all_commands},
        {"vm_list_prints_table", vm_list_prints_table}, {"vm_list_json_shape", vm_list_json_shape},
        {"server_list_table_and_json", server_list_table_and_json},
        {"hw_list_table_and_json", hw_list_table_and_json},
        {"json_escapes_strings", json_escapes_strings},
        {"vm_console_routes_input", vm_console_routes_input},
        {"vm_console_replays_buffered_output", vm_console_replays_buffered_output},
        {"vm_console_ring_keeps_last_4k", vm_console_ring_keeps_last_4k},
        {"guest_output_rejects_ninth_vm", guest_output_rejects_ninth_vm},
        {"vm_console_unknown_id", vm_console_unknown_id},
        {"command_unknown_gives_hint", command_unknown_gives_hint},
        {"command_usage_errors", command_usage_errors},
        {"line_backspace_erases", line_backspace_erases},
        {"line_overlong_rejected", line_overlong_rejected},
        {"log_redraws_prompt_and_line", log_redraws_prompt_and_line},
        {"log_before_start_no_prompt", log_before_start_no_prompt},
        {"line_crlf_single_end", line_crlf_single_end},
        {"release_hides_debug_commands", release_hides_debug_commands},
        {"backend_error_prints_name", backend_error_prints_name},
        {"server_restart_calls_backend", server_restart_calls_backend},
        {"debug_badipc_prints_report", debug_badipc_prints_report},
        {"debug_ipcbench_checks_n", debug_ipcbench_checks_n},
        {"stats_mem_splits_usage", stats_mem_splits_usage},
        {"backend_null_reports_enotsup", backend_null_reports_enotsup},
        {"init_rejects_null", init_rejects_null},
        {"fuzz_random_bytes_bounded", fuzz_random_bytes_bounded},
        {"fuzz_command_tokens_bounded", fuzz_command_tokens_bounded})
