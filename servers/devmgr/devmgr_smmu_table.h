/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The SMMUv3's in-memory structures as pure functions: stream table entries, context
 * descriptors, commands, event records and stage-1 translation tables (Arm IHI 0070). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <understudy/errors.h>

#define DEVMGR_SMMU_STE_DWORDS 8u /* a stream table entry is 64 bytes (IHI 0070 5.2) */
#define DEVMGR_SMMU_CD_DWORDS 8u  /* a context descriptor is 64 bytes (5.4) */
#define DEVMGR_SMMU_CMD_DWORDS 2u /* a command is 16 bytes (4.1) */
#define DEVMGR_SMMU_EVT_DWORDS 4u /* an event record is 32 bytes (7.3) */
#define DEVMGR_SMMU_PAGE 0x1000ull
#define DEVMGR_SMMU_BLOCK 0x200000ull /* a level 2 block with the 4 KiB granule */
#define DEVMGR_SMMU_IAS 39u /* input address bits (CD.T0SZ = 25): the walk starts at level 1 */

/* Event types (IHI 0070 7.3) devmgr names in its log. */
#define DEVMGR_SMMU_EVT_F_UUT 0x01u
#define DEVMGR_SMMU_EVT_C_BAD_STREAMID 0x02u
#define DEVMGR_SMMU_EVT_F_STE_FETCH 0x03u
#define DEVMGR_SMMU_EVT_C_BAD_STE 0x04u
#define DEVMGR_SMMU_EVT_F_STREAM_DISABLED 0x06u
#define DEVMGR_SMMU_EVT_F_TRANSL_FORBIDDEN 0x07u
#define DEVMGR_SMMU_EVT_C_BAD_SUBSTREAMID 0x08u
#define DEVMGR_SMMU_EVT_F_CD_FETCH 0x09u
#define DEVMGR_SMMU_EVT_C_BAD_CD 0x0au
#define DEVMGR_SMMU_EVT_F_WALK_EABT 0x0bu
#define DEVMGR_SMMU_EVT_F_TRANSLATION 0x10u
#define DEVMGR_SMMU_EVT_F_ADDR_SIZE 0x11u
#define DEVMGR_SMMU_EVT_F_ACCESS 0x12u
#define DEVMGR_SMMU_EVT_F_PERMISSION 0x13u
#define DEVMGR_SMMU_EVT_F_TLB_CONFLICT 0x20u
#define DEVMGR_SMMU_EVT_F_CFG_CONFLICT 0x21u

/* Where translation tables are built: @pages 4 KiB pages at @va (as this program sees them)
 * and @pa (as the SMMU does); @owner[i] is 0 for a free page, else the stream slot + 1 whose
 * tables use page i. */
struct devmgr_smmu_pool {
    void *va;
    uint64_t pa;
    uint32_t pages;
    uint8_t *owner;
};

/* One event record, decoded. */
struct devmgr_smmu_event {
    uint32_t type;
    uint32_t sid;
    uint64_t addr; /* the input address, or the fetch address of an F_*_FETCH */
};

/** devmgr_smmu_ste_abort() - @ste: valid, Config = abort: the stream's transactions are
 * terminated with an abort and no event is recorded. */
void devmgr_smmu_ste_abort(uint64_t ste[DEVMGR_SMMU_STE_DWORDS]);

/** devmgr_smmu_ste_translate() - @ste: valid, Config = stage-1 translate through the one
 * context descriptor at physical @cd_pa (64-byte aligned; S1CDMax = 0). */
void devmgr_smmu_ste_translate(uint64_t ste[DEVMGR_SMMU_STE_DWORDS], uint64_t cd_pa);

/** devmgr_smmu_cd_make() - @cd: valid AArch64 context descriptor translating through the
 * tables at physical @ttb0 (DEVMGR_SMMU_IAS bits of input, 4 KiB granule, TT1 disabled),
 * output size @ips (CD.IPS encoding, e.g. 4: 44 bits), @asid, faults recorded and aborted. */
void devmgr_smmu_cd_make(uint64_t cd[DEVMGR_SMMU_CD_DWORDS], uint64_t ttb0, uint16_t asid,
                         uint32_t ips);

/* Commands (IHI 0070 4.3-4.7). */
void devmgr_smmu_cmd_cfgi_ste(uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS], uint32_t sid);
void devmgr_smmu_cmd_cfgi_cd(uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS], uint32_t sid);
void devmgr_smmu_cmd_cfgi_all(uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS]);
void devmgr_smmu_cmd_tlbi_asid(uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS], uint16_t asid);
void devmgr_smmu_cmd_tlbi_all(uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS]);
/** devmgr_smmu_cmd_sync() - CMD_SYNC without a signal: completion is seen as CMDQ_CONS
 * passing it. */
void devmgr_smmu_cmd_sync(uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS]);

/**
 * devmgr_smmu_pt_pages() - how many pool pages devmgr_smmu_pt_map() takes to map
 * [@iova, @iova + @size): the level 1 table, a level 2 table per GiB touched, a level 3 table
 * per 2 MiB not covered by one block. Arguments as devmgr_smmu_pt_map() checks them.
 */
uint32_t devmgr_smmu_pt_pages(uint64_t iova, uint64_t pa, uint64_t size);

/**
 * devmgr_smmu_pt_map() - build stage-1 tables for slot @owner (1..255) in @pool that map input
 * [@iova, @iova + @size) to output [@pa, @pa + @size): read/write, normal write-back
 * cacheable memory (MAIR attribute 0), inner shareable, access flag set; 2 MiB blocks where
 * @iova and @pa are 2 MiB aligned, 4 KiB pages elsewhere. Every other input address has no
 * valid descriptor. The level 1 table's physical address goes to @ttb0.
 * Returns: US_OK; US_EINVAL for a size of 0, an unaligned (4 KiB) argument, a range past
 * DEVMGR_SMMU_IAS bits or wrapping, or @owner 0; US_ENOMEM if the pool has fewer free pages
 * than devmgr_smmu_pt_pages() (the pool is then unchanged).
 */
us_err_t devmgr_smmu_pt_map(struct devmgr_smmu_pool *pool, uint8_t owner, uint64_t iova,
                            uint64_t pa, uint64_t size, uint64_t *ttb0);

/** devmgr_smmu_pt_free() - every page slot @owner's tables use is free again. */
void devmgr_smmu_pt_free(struct devmgr_smmu_pool *pool, uint8_t owner);

/**
 * devmgr_smmu_pt_walk() - walk the tables at @ttb0 as the SMMU would for input @iova.
 * Returns: the level (1-3) of the leaf descriptor found, its output address for @iova in @pa
 * and its descriptor in @desc (either may be NULL); 0 if there is no valid descriptor, or a
 * table lies outside @pool.
 */
uint32_t devmgr_smmu_pt_walk(const struct devmgr_smmu_pool *pool, uint64_t ttb0, uint64_t iova,
                             uint64_t *pa, uint64_t *desc);

/** devmgr_smmu_event_decode() - the type, stream and address of event record @rec. */
void devmgr_smmu_event_decode(const uint64_t rec[DEVMGR_SMMU_EVT_DWORDS],
                              struct devmgr_smmu_event *ev);

/** devmgr_smmu_event_name() - "F_TRANSLATION" and the like; NULL for a type it does not
 * know. */
const char *devmgr_smmu_event_name(uint32_t type);
