/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Stand-ins for the shell's backend functions a backend leaves NULL: each reports US_ENOTSUP,
 * so the commands need no checks. */
#include "console_shell.h"

static us_err_t shell_nosup_count(void *ctx, uint32_t *n)
{
    (void)ctx;
    (void)n;
    return US_ENOTSUP;
}

static us_err_t shell_nosup_vm_info(void *ctx, uint32_t slot, struct us_vm_info *out)
{
    (void)ctx;
    (void)slot;
    (void)out;
    return US_ENOTSUP;
}

static us_err_t shell_nosup_server_info(void *ctx, uint32_t idx, struct us_server_info *out)
{
    (void)ctx;
    (void)idx;
    (void)out;
    return US_ENOTSUP;
}

static us_err_t shell_nosup_server_op(void *ctx, uint32_t idx)
{
    (void)ctx;
    (void)idx;
    return US_ENOTSUP;
}

static us_err_t shell_nosup_server_fault(void *ctx, uint32_t idx, uint32_t kind)
{
    (void)ctx, (void)idx, (void)kind;
    return US_ENOTSUP;
}

static us_err_t shell_nosup_dev_info(void *ctx, uint32_t idx, struct us_dev_info *out)
{
    (void)ctx;
    (void)idx;
    (void)out;
    return US_ENOTSUP;
}

static us_err_t shell_nosup_mem_stats(void *ctx, struct console_mem_stats *out)
{
    (void)ctx;
    (void)out;
    return US_ENOTSUP;
}

static us_err_t shell_nosup_mem_audit(void *ctx, uint64_t base, uint64_t size, uint64_t *used,
                                      uint64_t *mapped, struct us_mem_holder *out, uint32_t *n)
{
    (void)ctx, (void)base, (void)size, (void)used, (void)mapped, (void)out, (void)n;
    return US_ENOTSUP;
}

static us_err_t shell_nosup_mem_online(void *ctx)
{
    (void)ctx;
    return US_ENOTSUP;
}

static us_err_t shell_nosup_hw_remove(void *ctx, const char *name, uint32_t *n, char *why,
                                      size_t why_len)
{
    (void)ctx, (void)name, (void)why_len;
    *n = 0;
    why[0] = '\0';
    return US_ENOTSUP;
}

static us_err_t shell_nosup_guest_hide(void *ctx, uint32_t slot, uint32_t mask, bool hide,
                                       uint32_t *hidden)
{
    (void)ctx;
    (void)slot;
    (void)mask;
    (void)hide;
    (void)hidden;
    return US_ENOTSUP;
}

static us_err_t shell_nosup_cpu_stats(void *ctx, uint32_t cpu, uint64_t r[8])
{
    (void)ctx;
    (void)cpu;
    (void)r;
    return US_ENOTSUP;
}

static us_err_t shell_nosup_guest_input(void *ctx, uint32_t vmid, const char *bytes, size_t n)
{
    (void)ctx;
    (void)vmid;
    (void)bytes;
    (void)n;
    return US_ENOTSUP;
}

static us_err_t shell_nosup_ipcbench(void *ctx, uint32_t n, struct console_ipcbench_result *out)
{
    (void)ctx;
    (void)n;
    (void)out;
    return US_ENOTSUP;
}

static us_err_t shell_nosup_badipc(void *ctx, char *report, size_t report_len)
{
    (void)ctx;
    (void)report;
    (void)report_len;
    return US_ENOTSUP;
}

static us_err_t nosup_vm_create(void *ctx, const struct us_vm_create *req, uint32_t *slot,
                                char *why, size_t why_len)
{
    (void)ctx;
    (void)req;
    (void)slot;
    (void)why_len;
    why[0] = '\0';
    return US_ENOTSUP;
}

static us_err_t nosup_vm_retire(void *ctx, uint32_t slot, char *why, size_t why_len)
{
    (void)ctx;
    (void)slot;
    (void)why_len;
    why[0] = '\0';
    return US_ENOTSUP;
}

static us_err_t shell_nosup_maint_start(void *ctx, const struct us_maint_req *req, char *why,
                                        size_t why_len)
{
    (void)ctx;
    (void)req;
    (void)why_len;
    why[0] = '\0';
    return US_ENOTSUP;
}

static us_err_t shell_nosup_maint_status(void *ctx, struct us_maint_status *out)
{
    (void)ctx;
    (void)out;
    return US_ENOTSUP;
}

static us_err_t shell_nosup_maint_abort(void *ctx, char *why, size_t why_len)
{
    (void)ctx;
    (void)why_len;
    why[0] = '\0';
    return US_ENOTSUP;
}

void console_shell_backend_defaults(struct console_shell_backend *b)
{
    b->vm_count = b->vm_count ? b->vm_count : shell_nosup_count;
    b->vm_info = b->vm_info ? b->vm_info : shell_nosup_vm_info;
    b->server_count = b->server_count ? b->server_count : shell_nosup_count;
    b->server_info = b->server_info ? b->server_info : shell_nosup_server_info;
    b->server_crash = b->server_crash ? b->server_crash : shell_nosup_server_op;
    b->server_restart = b->server_restart ? b->server_restart : shell_nosup_server_op;
    b->server_corrupt = b->server_corrupt ? b->server_corrupt : shell_nosup_server_op;
    b->server_fault = b->server_fault ? b->server_fault : shell_nosup_server_fault;
    b->dev_count = b->dev_count ? b->dev_count : shell_nosup_count;
    b->dev_info = b->dev_info ? b->dev_info : shell_nosup_dev_info;
    b->mem_stats = b->mem_stats ? b->mem_stats : shell_nosup_mem_stats;
    b->cpu_stats = b->cpu_stats ? b->cpu_stats : shell_nosup_cpu_stats;
    b->guest_hide = b->guest_hide ? b->guest_hide : shell_nosup_guest_hide;
    b->hw_remove = b->hw_remove ? b->hw_remove : shell_nosup_hw_remove;
    b->mem_audit = b->mem_audit ? b->mem_audit : shell_nosup_mem_audit;
    b->mem_online = b->mem_online ? b->mem_online : shell_nosup_mem_online;
    b->guest_input = b->guest_input ? b->guest_input : shell_nosup_guest_input;
    b->debug_badipc = b->debug_badipc ? b->debug_badipc : shell_nosup_badipc;
    b->debug_ipcbench = b->debug_ipcbench ? b->debug_ipcbench : shell_nosup_ipcbench;
    b->vm_create = b->vm_create ? b->vm_create : nosup_vm_create;
    b->vm_retire = b->vm_retire ? b->vm_retire : nosup_vm_retire;
    b->maint_start = b->maint_start ? b->maint_start : shell_nosup_maint_start;
    b->maint_status = b->maint_status ? b->maint_status : shell_nosup_maint_status;
    b->maint_abort = b->maint_abort ? b->maint_abort : shell_nosup_maint_abort;
}
