/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* SMMUv3 structures in memory (Arm IHI 0070 chapters 4, 5 and 7) and stage-1 VMSAv8-64
 * translation tables (Arm ARM D8.3), with nothing but a caller's buffer: the host unit tests
 * build them at a made-up physical address. */
#include "devmgr_smmu_table.h"

#include <uslib/string.h>

/* STE (IHI 0070 5.2). Dword 0. */
#define STE0_V 1ull
#define STE0_CONFIG_SHIFT 1u                   /* Config[3:1] */
#define STE0_CONFIG_ABORT 0ull                 /* 0b000: abort, no event */
#define STE0_CONFIG_S1 5ull                    /* 0b101: stage 1 translate, stage 2 bypass */
#define STE0_CTXPTR_MASK 0x000fffffffffffc0ull /* S1ContextPtr[51:6] */
/* Dword 1: how the SMMU fetches the CD (write-back, read-allocate, inner shareable). */
#define STE1_S1CIR_WBRA (1ull << 2)      /* S1CIR[3:2] = 0b01 */
#define STE1_S1COR_WBRA (1ull << 4)      /* S1COR[5:4] = 0b01 */
#define STE1_S1CSH_ISH (3ull << 6)       /* S1CSH[7:6] = 0b11 */
#define STE1_SHCFG_INCOMING (1ull << 44) /* SHCFG[45:44] = 0b01: the transaction's own */

/* CD (IHI 0070 5.4). Dword 0. */
#define CD0_T0SZ(n) ((uint64_t)(n)) /* [5:0] */
#define CD0_TG0_4K 0ull             /* TG0[7:6] = 0b00 */
#define CD0_IR0_WBWA (1ull << 8)    /* IR0[9:8] = 0b01 */
#define CD0_OR0_WBWA (1ull << 10)   /* OR0[11:10] = 0b01 */
#define CD0_SH0_ISH (3ull << 12)    /* SH0[13:12] = 0b11 */
#define CD0_EPD1 (1ull << 30)       /* no walks through TTB1 */
#define CD0_V (1ull << 31)
#define CD0_IPS_SHIFT 32u                   /* IPS[34:32] */
#define CD0_AA64 (1ull << 41)               /* VMSAv8-64 tables */
#define CD0_R (1ull << 45)                  /* record faults in the event queue */
#define CD0_A (1ull << 46)                  /* abort a faulting transaction (no stalls) */
#define CD0_ASET (1ull << 47)               /* the ASID is not shared with a PE's */
#define CD0_ASID_SHIFT 48u                  /* ASID[63:48] */
#define CD1_TTB0_MASK 0x000ffffffffffff0ull /* TTB0[51:4] */
#define CD3_MAIR_NORMAL_WB 0xffull          /* MAIR attribute 0: normal, inner/outer write-back */

/* Command opcodes (IHI 0070 4.1.3) and fields. */
#define CMD_CFGI_STE 0x03ull
#define CMD_CFGI_STE_RANGE 0x04ull /* with Range 31: CMD_CFGI_ALL */
#define CMD_CFGI_CD 0x05ull        /* SubstreamID[31:12] 0: the stream's only CD */
#define CMD_TLBI_NH_ASID 0x11ull
#define CMD_TLBI_NSNH_ALL 0x30ull
#define CMD_SYNC 0x46ull
#define CMD0_SID_SHIFT 32u   /* CFGI_*: StreamID[63:32] */
#define CMD0_ASID_SHIFT 48u  /* TLBI_NH_ASID: ASID[63:48] */
#define CMD1_LEAF 1ull       /* CFGI_STE: only the STE, no L1 descriptor */
#define CMD1_RANGE_ALL 31ull /* CFGI_STE_RANGE: 2^(31+1) stream IDs */

/* Event records (IHI 0070 7.3): type in dword 0 [7:0], StreamID [63:32], the input address in
 * dword 2, a fetch address [51:3] in dword 3. */
#define EVT0_TYPE_MASK 0xffull
#define EVT0_SID_SHIFT 32u
#define EVT3_FETCH_MASK 0x000ffffffffffff8ull

/* VMSAv8-64 descriptors, 4 KiB granule (Arm ARM D8.3.1-D8.3.2). */
#define PT_VALID 1ull
#define PT_TABLE 2ull            /* levels 0-2: a table; level 3: a page (a block otherwise) */
#define PT_ATTRIDX0 0ull         /* AttrIndx[4:2] = 0: MAIR attribute 0 */
#define PT_AP_RW_ANY (1ull << 6) /* AP[7:6] = 0b01: read/write, unprivileged accesses too */
#define PT_SH_ISH (3ull << 8)    /* SH[9:8] */
#define PT_AF (1ull << 10)
#define PT_NG (1ull << 11)
#define PT_PXN (1ull << 53)
#define PT_UXN (1ull << 54)
#define PT_OA_MASK 0x0000fffffffff000ull /* output address [47:12] */
#define PT_LEAF_ATTRS (PT_ATTRIDX0 | PT_AP_RW_ANY | PT_SH_ISH | PT_AF | PT_NG | PT_PXN | PT_UXN)
#define PT_ENTRIES 512u
#define PT_FIRST_LEVEL 1u /* with 39 input bits */
#define PT_OA_LIMIT (1ull << 48)

void devmgr_smmu_ste_abort(uint64_t ste[DEVMGR_SMMU_STE_DWORDS])
{
    memset(ste, 0, DEVMGR_SMMU_STE_DWORDS * sizeof(ste[0]));
    ste[0] = STE0_V | STE0_CONFIG_ABORT << STE0_CONFIG_SHIFT;
}

void devmgr_smmu_ste_translate(uint64_t ste[DEVMGR_SMMU_STE_DWORDS], uint64_t cd_pa)
{
    memset(ste, 0, DEVMGR_SMMU_STE_DWORDS * sizeof(ste[0]));
    /* S1Fmt = 0 and S1CDMax = 0: one CD, no substreams. */
    ste[0] = STE0_V | STE0_CONFIG_S1 << STE0_CONFIG_SHIFT | (cd_pa & STE0_CTXPTR_MASK);
    ste[1] = STE1_S1CIR_WBRA | STE1_S1COR_WBRA | STE1_S1CSH_ISH | STE1_SHCFG_INCOMING;
}

void devmgr_smmu_cd_make(uint64_t cd[DEVMGR_SMMU_CD_DWORDS], uint64_t ttb0, uint16_t asid,
                         uint32_t ips)
{
    memset(cd, 0, DEVMGR_SMMU_CD_DWORDS * sizeof(cd[0]));
    cd[0] = CD0_T0SZ(64u - DEVMGR_SMMU_IAS) | CD0_TG0_4K | CD0_IR0_WBWA | CD0_OR0_WBWA |
            CD0_SH0_ISH | CD0_EPD1 | CD0_V | (uint64_t)(ips & 7u) << CD0_IPS_SHIFT | CD0_AA64 |
            CD0_R | CD0_A | CD0_ASET | (uint64_t)asid << CD0_ASID_SHIFT;
    cd[1] = ttb0 & CD1_TTB0_MASK;
    cd[3] = CD3_MAIR_NORMAL_WB;
}

void devmgr_smmu_cmd_cfgi_ste(uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS], uint32_t sid)
{
    cmd[0] = CMD_CFGI_STE | (uint64_t)sid << CMD0_SID_SHIFT;
    cmd[1] = CMD1_LEAF;
}

void devmgr_smmu_cmd_cfgi_cd(uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS], uint32_t sid)
{
    cmd[0] = CMD_CFGI_CD | (uint64_t)sid << CMD0_SID_SHIFT;
    cmd[1] = CMD1_LEAF;
}

void devmgr_smmu_cmd_cfgi_all(uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS])
{
    cmd[0] = CMD_CFGI_STE_RANGE;
    cmd[1] = CMD1_RANGE_ALL;
}

void devmgr_smmu_cmd_tlbi_asid(uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS], uint16_t asid)
{
    cmd[0] = CMD_TLBI_NH_ASID | (uint64_t)asid << CMD0_ASID_SHIFT;
    cmd[1] = 0;
}

void devmgr_smmu_cmd_tlbi_all(uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS])
{
    cmd[0] = CMD_TLBI_NSNH_ALL;
    cmd[1] = 0;
}

void devmgr_smmu_cmd_sync(uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS])
{
    cmd[0] = CMD_SYNC; /* CS[13:12] = 0b00: SIG_NONE */
    cmd[1] = 0;
}

static uint32_t level_shift(uint32_t level)
{
    return 12u + 9u * (3u - level); /* 4 KiB granule: 9 bits of index per level */
}

static uint32_t pt_index(uint64_t iova, uint32_t level)
{
    return (uint32_t)(iova >> level_shift(level)) & (PT_ENTRIES - 1u);
}

/* Whether the chunk at @iova -> @pa with @left bytes to go is one 2 MiB block. */
static bool is_block(uint64_t iova, uint64_t pa, uint64_t left)
{
    return ((iova | pa) & (DEVMGR_SMMU_BLOCK - 1u)) == 0 && left >= DEVMGR_SMMU_BLOCK;
}

static bool range_ok(uint64_t iova, uint64_t pa, uint64_t size)
{
    return size != 0 && ((iova | pa | size) & (DEVMGR_SMMU_PAGE - 1u)) == 0 &&
           iova < (1ull << DEVMGR_SMMU_IAS) && size <= (1ull << DEVMGR_SMMU_IAS) - iova &&
           pa < PT_OA_LIMIT && size <= PT_OA_LIMIT - pa;
}

uint32_t devmgr_smmu_pt_pages(uint64_t iova, uint64_t pa, uint64_t size)
{
    uint64_t gib = UINT64_MAX, l3 = UINT64_MAX, off = 0;
    uint32_t n = 1; /* the level 1 table */

    if (!range_ok(iova, pa, size)) {
        return 0;
    }
    /* The chunks go up in address: a new GiB or 2 MiB region is one not seen yet. */
    while (off < size) {
        uint64_t v = iova + off;
        bool block = is_block(v, pa + off, size - off);

        if (v >> level_shift(1) != gib) {
            gib = v >> level_shift(1);
            n++;
        }
        if (!block && v >> level_shift(2) != l3) {
            l3 = v >> level_shift(2);
            n++;
        }
        off += block ? DEVMGR_SMMU_BLOCK : DEVMGR_SMMU_PAGE;
    }
    return n;
}

/* The table at physical @pa as this program sees it, or NULL outside the pool. */
static uint64_t *table_at(const struct devmgr_smmu_pool *pool, uint64_t pa)
{
    if (pa < pool->pa || pa - pool->pa >= (uint64_t)pool->pages * DEVMGR_SMMU_PAGE ||
        (pa & (DEVMGR_SMMU_PAGE - 1u)) != 0) {
        return NULL;
    }
    return (uint64_t *)((uintptr_t)pool->va + (uintptr_t)(pa - pool->pa));
}

static uint32_t free_pages(const struct devmgr_smmu_pool *pool)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < pool->pages; i++) {
        n += pool->owner[i] == 0 ? 1u : 0u;
    }
    return n;
}

/* A zeroed page for @owner; the caller made sure there is one. Returns its physical address. */
static uint64_t page_alloc(struct devmgr_smmu_pool *pool, uint8_t owner)
{
    uint32_t i = 0;

    while (pool->owner[i] != 0) {
        i++;
    }
    pool->owner[i] = owner;
    memset((void *)((uintptr_t)pool->va + (uintptr_t)i * DEVMGR_SMMU_PAGE), 0, DEVMGR_SMMU_PAGE);
    return pool->pa + (uint64_t)i * DEVMGR_SMMU_PAGE;
}

/* The table entry @e points to, made (a fresh page) if @e is empty. */
static uint64_t *next_table(struct devmgr_smmu_pool *pool, uint8_t owner, uint64_t *e)
{
    if ((*e & PT_VALID) == 0) {
        *e = page_alloc(pool, owner) | PT_TABLE | PT_VALID;
    }
    return table_at(pool, *e & PT_OA_MASK);
}

us_err_t devmgr_smmu_pt_map(struct devmgr_smmu_pool *pool, uint8_t owner, uint64_t iova,
                            uint64_t pa, uint64_t size, uint64_t *ttb0)
{
    uint64_t *l1, off = 0;

    if (owner == 0 || !range_ok(iova, pa, size)) {
        return US_EINVAL;
    }
    if (free_pages(pool) < devmgr_smmu_pt_pages(iova, pa, size)) {
        return US_ENOMEM;
    }
    *ttb0 = page_alloc(pool, owner);
    l1 = table_at(pool, *ttb0);
    while (off < size) {
        uint64_t v = iova + off, p = pa + off;
        uint64_t *l2 = next_table(pool, owner, &l1[pt_index(v, 1)]);

        if (is_block(v, p, size - off)) {
            l2[pt_index(v, 2)] = p | PT_LEAF_ATTRS | PT_VALID; /* a block: bit 1 clear */
            off += DEVMGR_SMMU_BLOCK;
        } else {
            uint64_t *l3 = next_table(pool, owner, &l2[pt_index(v, 2)]);

            l3[pt_index(v, 3)] = p | PT_LEAF_ATTRS | PT_TABLE | PT_VALID; /* a page */
            off += DEVMGR_SMMU_PAGE;
        }
    }
    return US_OK;
}

void devmgr_smmu_pt_free(struct devmgr_smmu_pool *pool, uint8_t owner)
{
    for (uint32_t i = 0; i < pool->pages; i++) {
        if (pool->owner[i] == owner) {
            pool->owner[i] = 0;
        }
    }
}

uint32_t devmgr_smmu_pt_walk(const struct devmgr_smmu_pool *pool, uint64_t ttb0, uint64_t iova,
                             uint64_t *pa, uint64_t *desc)
{
    uint64_t table = ttb0 & PT_OA_MASK;

    if (iova >= (1ull << DEVMGR_SMMU_IAS)) {
        return 0;
    }
    for (uint32_t level = PT_FIRST_LEVEL; level <= 3u; level++) {
        const uint64_t *t = table_at(pool, table);
        uint64_t d, span = 1ull << level_shift(level);

        if (t == NULL) {
            return 0;
        }
        d = t[pt_index(iova, level)];
        if ((d & PT_VALID) == 0 || (level == 3u && (d & PT_TABLE) == 0)) {
            return 0; /* invalid, or reserved at level 3 */
        }
        if (level == 3u || (d & PT_TABLE) == 0) {
            if (pa != NULL) {
                *pa = (d & PT_OA_MASK & ~(span - 1u)) + (iova & (span - 1u));
            }
            if (desc != NULL) {
                *desc = d;
            }
            return level;
        }
        table = d & PT_OA_MASK;
    }
    return 0;
}

void devmgr_smmu_event_decode(const uint64_t rec[DEVMGR_SMMU_EVT_DWORDS],
                              struct devmgr_smmu_event *ev)
{
    ev->type = (uint32_t)(rec[0] & EVT0_TYPE_MASK);
    ev->sid = (uint32_t)(rec[0] >> EVT0_SID_SHIFT);
    if (ev->type == DEVMGR_SMMU_EVT_F_STE_FETCH || ev->type == DEVMGR_SMMU_EVT_F_CD_FETCH) {
        ev->addr = rec[3] & EVT3_FETCH_MASK;
    } else {
        ev->addr = rec[2];
    }
}

const char *devmgr_smmu_event_name(uint32_t type)
{
    static const struct {
        uint32_t type;
        const char *name;
    } names[] = {
        {DEVMGR_SMMU_EVT_F_UUT, "F_UUT"},
        {DEVMGR_SMMU_EVT_C_BAD_STREAMID, "C_BAD_STREAMID"},
        {DEVMGR_SMMU_EVT_F_STE_FETCH, "F_STE_FETCH"},
        {DEVMGR_SMMU_EVT_C_BAD_STE, "C_BAD_STE"},
        {DEVMGR_SMMU_EVT_F_STREAM_DISABLED, "F_STREAM_DISABLED"},
        {DEVMGR_SMMU_EVT_F_TRANSL_FORBIDDEN, "F_TRANSL_FORBIDDEN"},
        {DEVMGR_SMMU_EVT_C_BAD_SUBSTREAMID, "C_BAD_SUBSTREAMID"},
        {DEVMGR_SMMU_EVT_F_CD_FETCH, "F_CD_FETCH"},
        {DEVMGR_SMMU_EVT_C_BAD_CD, "C_BAD_CD"},
        {DEVMGR_SMMU_EVT_F_WALK_EABT, "F_WALK_EABT"},
        {DEVMGR_SMMU_EVT_F_TRANSLATION, "F_TRANSLATION"},
        {DEVMGR_SMMU_EVT_F_ADDR_SIZE, "F_ADDR_SIZE"},
        {DEVMGR_SMMU_EVT_F_ACCESS, "F_ACCESS"},
        {DEVMGR_SMMU_EVT_F_PERMISSION, "F_PERMISSION"},
        {DEVMGR_SMMU_EVT_F_TLB_CONFLICT, "F_TLB_CONFLICT"},
        {DEVMGR_SMMU_EVT_F_CFG_CONFLICT, "F_CFG_CONFLICT"},
    };

    for (uint32_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].type == type) {
            return names[i].name;
        }
    }
    return NULL;
}
