/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* devmgr's SMMUv3 driver: the DMA of the host's PCI functions confined per stream ID. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <understudy/errors.h>

#define DEVMGR_SMMU_NTFN_BIT 4u          /* the event queue's interrupt (US_SLOT_DEVMGR_SMMU_IRQ) */
#define DEVMGR_SMMU_MAX_STREAMS 8u       /* streams confined at once */
#define DEVMGR_SMMU_REGS_SIZE 0x20000ull /* register pages 0 and 1 */
/* The 2 MiB area of tables and queues (US_SLOT_DEVMGR_VM_CONTROL's quota), 2 MiB aligned. */
#define DEVMGR_SMMU_AREA_SIZE 0x200000ull
#define DEVMGR_SMMU_SID_BITS 12u        /* a linear stream table of 4096 entries: PCI buses 0-15 */
#define DEVMGR_SMMU_STRTAB_OFF 0x0ull   /* 4096 * 64 bytes, aligned to its size */
#define DEVMGR_SMMU_CMDQ_OFF 0x40000ull /* 256 commands of 16 bytes */
#define DEVMGR_SMMU_EVTQ_OFF 0x41000ull /* 128 events of 32 bytes */
#define DEVMGR_SMMU_CD_OFF 0x42000ull   /* one 64-byte context descriptor per stream slot */
#define DEVMGR_SMMU_PT_OFF 0x43000ull   /* the rest: translation table pages */
#define DEVMGR_SMMU_PT_PAGES ((DEVMGR_SMMU_AREA_SIZE - DEVMGR_SMMU_PT_OFF) / 0x1000ull)

/* Lives in devmgr's state region: survives a devmgr restart. */
struct devmgr_smmu {
    uint32_t present; /* 1 once the SMMU is enabled by us */
    uint32_t dma_cap; /* capability handle of the 2 MiB area, kept for a restart */
    uint64_t dma_pa;
    uint32_t cmdq_prod, evtq_cons; /* with the wrap bit above the index */
    uint64_t faults;               /* events reported so far */
    uint32_t last_sid;             /* the latest fault */
    uint64_t last_addr;
    uint32_t last_type;
    uint32_t sid_bits;  /* the stream table covers stream IDs below 1 << sid_bits */
    uint32_t cmdq_log2; /* queue sizes as programmed (entries, log2) */
    uint32_t evtq_log2;
    uint32_t ips; /* CD.IPS: the output address size, from IDR5.OAS */
    struct {
        uint32_t sid, used;
        uint64_t iova, pa, size;
        uint64_t ttb0; /* its level 1 table */
    } streams[DEVMGR_SMMU_MAX_STREAMS];
    uint8_t pt_owner[DEVMGR_SMMU_PT_PAGES]; /* 0: free page, else stream slot + 1 */
};

/**
 * devmgr_smmu_attach() - take up the SMMUv3. At a @cold start: map its registers and the DMA
 * area (allocated, or found again by the stream table's address if an earlier instance that
 * lost its state had it), build a stream table in which every stream ID aborts (no device
 * DMAs anywhere until confined), set up the command and event queues, enable the SMMU with
 * the event queue's interrupt and invalidate its caches. After a restart (@cold false): map
 * again what @s names, make the stream table agree with @s, and report the events that
 * arrived meanwhile. The platform DTB must be mapped at DEVMGR_DTB_VA.
 * Returns: US_OK; US_ENOTSUP (@s->present 0, one log line) if the DTB has no "arm,smmu-v3"
 * node, the register window is not granted or not the node's, or the SMMU lacks what this
 * driver needs; US_ENOMEM if there is no DMA area at a cold start, US_ECORRUPT if the one
 * @s names is not there after a restart (either: logged, @s->present 0); US_ETIMEOUT if the
 * SMMU does not acknowledge its enabling; US_EABORT if it refuses a command.
 */
us_err_t devmgr_smmu_attach(struct devmgr_smmu *s, bool cold);

/**
 * devmgr_smmu_confine() - stream @sid's DMA to input addresses [@iova, @iova + @size) is
 * translated to [@pa, @pa + @size) (stage 1, 4 KiB granule, 2 MiB blocks where both are
 * aligned, read/write, normal cacheable memory); any other address faults and is reported in
 * the event queue. The STE is written, then CMD_CFGI_STE, CMD_CFGI_CD, CMD_TLBI_NH_ASID and a
 * CMD_SYNC whose completion is awaited.
 * Returns: US_OK; US_ENOTSUP if there is no SMMU; US_EINVAL for a stream ID beyond the table,
 * a size of 0, an argument not 4 KiB aligned or a range past 39 input or the SMMU's output
 * address bits; US_EBUSY if @sid is confined already (release it first); US_ENOMEM if every
 * stream slot or too much table memory is in use; US_ETIMEOUT if the sync does not complete,
 * US_EABORT if the SMMU refuses a command (the stream is then recorded as confined).
 */
us_err_t devmgr_smmu_confine(struct devmgr_smmu *s, uint32_t sid, uint64_t iova, uint64_t pa,
                             uint64_t size);

/**
 * devmgr_smmu_release() - stream @sid aborts again: its STE back to abort, invalidated and
 * synced; then its tables' memory and slot are free for reuse.
 * Returns: US_OK; US_ENOTSUP if there is no SMMU; US_EINVAL for a stream ID beyond the table;
 * US_ENOENT if @sid is not confined; US_ETIMEOUT or US_EABORT as devmgr_smmu_confine() (the
 * STE aborts, but the stream stays recorded until a release completes).
 */
us_err_t devmgr_smmu_release(struct devmgr_smmu *s, uint32_t sid);

/**
 * devmgr_smmu_interrupt() - the event queue's interrupt: drain every event, log each at WARN
 * ("SMMU: DMA fault by stream 0x%04x at 0x%llx: <event name>", a bounded number per
 * interrupt), count it and remember the latest; report a global error or an overflow; then
 * acknowledge the interrupt.
 */
void devmgr_smmu_interrupt(struct devmgr_smmu *s);
