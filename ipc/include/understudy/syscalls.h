/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Syscall numbers generated from syscalls.def, plus argument constants of the calls. */
#pragma once

#include <stdint.h>

enum us_syscall_nr {
#define US_SYSCALL(nr, argc, name, desc) nr,
#include <understudy/syscalls.def>
#undef US_SYSCALL
    US_SYS_COUNT
};

/* US_SYS_LOG levels. */
#define US_LOG_LEVEL_ERR 0u
#define US_LOG_LEVEL_WARN 1u
#define US_LOG_LEVEL_INFO 2u
#define US_LOG_LEVEL_DBG 3u
#define US_LOG_MAX_LEN 200u

/* US_SYS_SERVER_CTL operations. */
#define US_SERVER_CTL_COUNT 0u /* x1 = number of server slots */
#define US_SERVER_CTL_INFO 1u  /* IPC data = struct us_server_info of slot x2 */
#define US_SERVER_CTL_CRASH                                                                        \
    2u                           /* debug builds: make server x2 fault on its next instruction     \
                                  * (US_EBUSY while it runs on another CPU) */
#define US_SERVER_CTL_RESTART 3u /* reload server x2 from the boot image */
#define US_SERVER_CTL_MEM 4u     /* x1 = memory figure x2: US_MEM_* */
#define US_MEM_FREE_FRAMES 0u    /* 4 KiB frames the kernel has free */
#define US_MEM_TOTAL_FRAMES 1u   /* frames of RAM it manages */
#define US_MEM_BOOT_IMAGE 2u     /* bytes of the boot bundle, kept in place in RAM */
/* Host CPU x2 (US_ERANGE past the last). x3 = US_CPU_COUNTS: x1 = guest entries, x2 = guests'
 * TLB maintenance done there alone, x3 = switches into servers. x3 = US_CPU_TIMES: counter
 * ticks (CNTFRQ) it spent x1 in guests, with the traps the kernel finished for them, x2 in
 * servers, with their system calls, x3 idle. x3 = US_CPU_FAST, what took the fast paths
 * there: x1 = guest traps finished without the kernel lock (fast-MMIO registers that never
 * signal), x2 = IPC legs that switched straight to the thread they woke (no scheduler pass). */
#define US_SERVER_CTL_CPU 5u
#define US_CPU_COUNTS 0u
#define US_CPU_TIMES 1u
#define US_CPU_FAST 2u
/* remove-memory (docs/memory.md): x2 = physical base, x3 = size. OFFLINE withholds the range
 * from allocation; ONLINE gives it back (US_ENOENT: none is withheld); AUDIT: x1 = its frames still
 * in use, x2 = memory objects reaching into it, x3 = its pages any server's space or VM's
 * stage 2 maps, IPC data = up to US_MEM_HOLDERS struct us_mem_holder. */
#define US_SERVER_CTL_MEM_OFFLINE 6u
#define US_SERVER_CTL_MEM_ONLINE 7u
#define US_SERVER_CTL_MEM_AUDIT 8u
/* MOVE: what the hypervisor keeps in the withheld range (servers' memory objects and frames,
 * translation tables, the boot bundle; with US_MEM_MOVE_GUESTS in x2 the guests' RAM, under
 * the guests parked for it) is copied out and every mapping follows; x1 = pages moved, x2 =
 * pages left because a server or vCPU holding them ran on another CPU (ask again). Never
 * moved: memory whose physical address a server asked for (a device may reach it by DMA), the
 * kernel's image and its own tables. */
#define US_SERVER_CTL_MEM_MOVE 9u
#define US_MEM_MOVE_GUESTS 1u /* x2 of MOVE: guests' RAM too, copied under the parked guests */
/* x1 of US_SYS_MEM_INFO: return the physical address in x2 too. The object is pinned from then
 * on: what knows its address may hand it to a device, so it never moves. */
#define US_MEM_INFO_PA 1u
/* ... or US_MEM_INFO_PEEK: the address in x2 as it is now, not pinned (the object may move
 * later): for reports, never for a device. */
#define US_MEM_INFO_PEEK 2u

struct us_mem_holder {
    uint64_t base, size; /* a memory object over RAM */
    uint32_t maps;       /* its mappings: server spaces, stage 2s, fast-MMIO pages */
    uint32_t reserved;
    char holder[16]; /* a server mapping it, "a VM", or "held" (capabilities only) */
};
#define US_MEM_HOLDERS 6u

#define US_SERVER_NAME_LEN 16u
#define US_SERVER_RUNNING 1u
#define US_SERVER_FAULTED 2u

struct us_server_info {
    char name[US_SERVER_NAME_LEN];
    uint32_t state; /* US_SERVER_* */
    uint32_t priority;
    uint32_t restarts;
    uint32_t faults;
    uint64_t fault_addr; /* FAR of the last fault */
    uint64_t fault_esr;  /* syndrome of the last fault */
    uint64_t frames;     /* physical frames the server holds */
    uint64_t reserved;
};
_Static_assert(sizeof(struct us_server_info) == 64, "us_server_info is ABI");

/* US_SYS_MEM_MAP / US_SYS_VM_MAP rights are US_RIGHT_READ|WRITE|EXEC; W and X together are
 * refused for servers (W^X). */
