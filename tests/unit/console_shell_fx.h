/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The console shell's test fixture: a backend with 2 VMs (and an empty slot), 4 servers and 3
 * devices, whose output and guest input are recorded (console_shell_fx.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "console_shell.h"

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
    uint32_t cpus;           /* host CPUs the fake kernel reports */
    uint64_t cpu_entries[8]; /* guest entries on each */
    us_err_t err_cpu;        /* instead of US_ERANGE past the last CPU */
    uint32_t hidden[8];      /* the fake devmgr's hidden sets */
    uint32_t hide_slot, hide_mask;
    bool hide_on;
    us_err_t err_hide;
};

extern struct fx fx;
extern struct console_shell sh;

/* The backend's terminal output: appended to fx.out. */
void fx_write(void *ctx, const char *s, size_t n);
void fx_clear_out(void);
void fx_vm(uint32_t slot, const char *name, uint32_t vmid, uint32_t state, uint32_t vcpus,
           uint64_t mem, uint64_t exits);
void fx_server(uint32_t idx, const char *name, uint32_t state, uint32_t prio, uint32_t restarts,
               uint32_t faults);
void fx_dev(uint32_t idx, const char *name, const char *compat, uint64_t base, uint64_t size,
            uint32_t irq, uint32_t owner);
/* Fresh fixture and shell (debug commands when @debug); the first prompt is consumed. */
void fx_setup(bool debug);
/* Feed @in and return everything the shell wrote in response. */
const char *fx_run(const char *in);
/* The output of command line @cmd, without the echo of the line and without the prompt. */
const char *fx_cmd(const char *cmd);
bool has(const char *hay, const char *needle);
size_t count(const char *hay, const char *needle);
