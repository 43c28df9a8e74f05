/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The console shell's test fixture (console_shell_fx.h). */
#include "console_shell_fx.h"
#include <string.h>
#include <understudy/abi.h>
#include "ut.h"

struct fx fx;
struct console_shell sh;

void fx_write(void *ctx, const char *s, size_t n)
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

static us_err_t fx_guest_hide(void *ctx, uint32_t slot, uint32_t mask, bool hide, uint32_t *hidden)
{
    struct fx *f = ctx;

    f->hide_slot = slot;
    f->hide_mask = mask;
    f->hide_on = hide;
    if (f->err_hide != US_OK) {
        return f->err_hide;
    }
    f->hidden[slot % 8] = hide ? f->hidden[slot % 8] | mask : f->hidden[slot % 8] & ~mask;
    *hidden = f->hidden[slot % 8];
    return US_OK;
}

static us_err_t fx_cpu_stats(void *ctx, uint32_t cpu, uint64_t r[8])
{
    struct fx *f = ctx;

    if (cpu >= f->cpus) {
        return f->err_cpu != US_OK ? f->err_cpu : US_ERANGE;
    }
    r[0] = f->cpu_entries[cpu];
    r[1] = f->cpu_entries[cpu] / 2u;
    r[2] = f->cpu_entries[cpu] / 4u;
    r[3] = 600; /* guests, servers, idle: 60%, 25%, 15% */
    r[4] = 250;
    r[5] = 150;
    r[6] = 40;
    r[7] = 70;
    return US_OK;
}

static us_err_t fx_debug_ipcbench(void *ctx, uint32_t n, struct console_ipcbench_result *out)
{
    struct fx *f = ctx;

    f->ipcbench_n = n;
    out->calls = n;
    out->batches = 7;
    out->ns_per_call = 321;
    out->ns_per_ping = 4321;
    return f->err_ipcbench;
}

void fx_vm(uint32_t slot, const char *name, uint32_t vmid, uint32_t state, uint32_t vcpus,
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

void fx_server(uint32_t idx, const char *name, uint32_t state, uint32_t prio, uint32_t restarts,
               uint32_t faults)
{
    struct us_server_info *s = &fx.servers[idx];

    strncpy(s->name, name, sizeof(s->name));
    s->state = state;
    s->priority = prio;
    s->restarts = restarts;
    s->faults = faults;
    s->frames = 8;
}

void fx_dev(uint32_t idx, const char *name, const char *compat, uint64_t base, uint64_t size,
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

void fx_clear_out(void)
{
    fx.out_len = 0;
    fx.out[0] = '\0';
}

/* Fresh fixture and shell; the first prompt is already consumed. */
void fx_setup(bool debug)
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
        .cpu_stats = fx_cpu_stats,
        .guest_hide = fx_guest_hide,
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
const char *fx_run(const char *in)
{
    fx_clear_out();
    UT_EXPECT_EQ(console_shell_input(&sh, in, strlen(in)), US_OK);
    return fx.out;
}

/* The output of command line @cmd, without the echo of the line and without the prompt. */
const char *fx_cmd(const char *cmd)
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

bool has(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (hay = strstr(hay, needle); hay != NULL; hay = strstr(hay + 1, needle)) {
        n++;
    }
    return n;
}
