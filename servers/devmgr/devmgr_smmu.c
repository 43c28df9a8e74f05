/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* devmgr's SMMUv3 driver (Arm IHI 0070): a linear stream table in which every stream ID aborts
 * until devmgr confines it to one window of memory through stage-1 tables; the command queue
 * for invalidations; the event queue for what devices got wrong.
 *
 * Threat model: a device behind the SMMU (and whoever drives it, a guest among them) is
 * hostile. It cannot reach the tables or queues (no stream translates to them) and only
 * decides which events are recorded: those are counted and logged at WARN, a bounded number
 * per interrupt. The SMMU itself is trusted hardware, but is never waited on without a bound.
 * While the SMMU is disabled (before devmgr enables it, and for the moment a cold start after
 * a lost state re-programs it) QEMU 7.2 lets DMA through untranslated: it has no SMMU_GBPA. */
#include "devmgr_smmu.h"

#include <libfdt.h>
#include <understudy/cpu.h>
#include <understudy/slots.h>
#include <uslib/string.h>
#include "devmgr.h"
#include "devmgr_smmu_table.h"

/* Registers (IHI 0070 6.3); all in page 0 but the event queue's indexes, in page 1. */
#define SMMU_IDR0 0x00u
#define SMMU_IDR1 0x04u
#define SMMU_IDR5 0x14u
#define SMMU_CR0 0x20u
#define SMMU_CR0ACK 0x24u
#define SMMU_CR1 0x28u
#define SMMU_CR2 0x2cu
#define SMMU_IRQ_CTRL 0x50u
#define SMMU_IRQ_CTRLACK 0x54u
#define SMMU_GERROR 0x60u
#define SMMU_GERRORN 0x64u
#define SMMU_GERROR_IRQ_CFG0 0x68u /* 64 bits */
#define SMMU_STRTAB_BASE 0x80u     /* 64 bits */
#define SMMU_STRTAB_BASE_CFG 0x88u
#define SMMU_CMDQ_BASE 0x90u /* 64 bits */
#define SMMU_CMDQ_PROD 0x98u
#define SMMU_CMDQ_CONS 0x9cu
#define SMMU_EVENTQ_BASE 0xa0u     /* 64 bits */
#define SMMU_EVENTQ_IRQ_CFG0 0xb0u /* 64 bits */
#define SMMU_EVENTQ_PROD 0x100a8u  /* page 1 */
#define SMMU_EVENTQ_CONS 0x100acu  /* page 1 */

#define IDR0_S1P (1u << 1)
#define IDR0_TTF_AA64 (1u << 3) /* TTF[3:2] = 0b1x: VMSAv8-64 tables */
#define IDR0_COHACC (1u << 4)   /* table and queue accesses are coherent with the CPUs' */
#define IDR0_TTENDIAN(r) ((r) >> 21 & 3u)
#define IDR0_TTENDIAN_BE 3u
#define IDR1_SIDSIZE(r) ((r)&0x3fu)
#define IDR1_EVENTQS(r) ((r) >> 16 & 0x1fu)
#define IDR1_CMDQS(r) ((r) >> 21 & 0x1fu)
#define IDR1_PRESET (3u << 29) /* QUEUES_PRESET, TABLES_PRESET: fixed bases */
#define IDR5_OAS(r) ((r)&7u)
#define IDR5_GRAN4K (1u << 4)
#define OAS_MAX 5u /* 48 bits: what our descriptors' output addresses hold */
#define CR0_SMMUEN (1u << 0)
#define CR0_EVENTQEN (1u << 2)
#define CR0_CMDQEN (1u << 3)
/* CR1: tables and queues inner shareable, inner and outer write-back (SH 0b11, OC/IC 0b01). */
#define CR1_CACHED 0xd75u
#define CR2_RECINVSID (1u << 1) /* record C_BAD_STREAMID */
#define IRQ_CTRL_EVENTQ_IRQEN (1u << 2)
#define GERROR_CMDQ_ERR (1u << 0)
#define BASE_RA (1ull << 62)                   /* read-allocate (STRTAB, CMDQ); WA for EVENTQ */
#define BASE_ADDR_MASK 0x000fffffffffffe0ull   /* queue ADDR[51:5] */
#define STRTAB_ADDR_MASK 0x000fffffffffffc0ull /* ADDR[51:6] */
#define CMDQ_CONS_ERR(r) ((r) >> 24 & 0x7fu)
#define EVENTQ_OVFLG (1u << 31) /* in EVENTQ_PROD; acknowledged by copying it to EVENTQ_CONS */
#define CMDQ_LOG2 8u
#define EVTQ_LOG2 7u
#define STE_BYTES (DEVMGR_SMMU_STE_DWORDS * 8u)
#define CD_BYTES (DEVMGR_SMMU_CD_DWORDS * 8u)
#define CMD_BYTES (DEVMGR_SMMU_CMD_DWORDS * 8u)
#define EVT_BYTES (DEVMGR_SMMU_EVT_DWORDS * 8u)
#define POLL_MAX 1000000u  /* register reads before an acknowledgement counts as lost */
#define FAULT_LOG_LIMIT 8u /* events logged per interrupt; the rest only counted */

_Static_assert(DEVMGR_SMMU_CMDQ_OFF >= (STE_BYTES << DEVMGR_SMMU_SID_BITS), "stream table");
_Static_assert(DEVMGR_SMMU_EVTQ_OFF - DEVMGR_SMMU_CMDQ_OFF >= (CMD_BYTES << CMDQ_LOG2), "cmdq");
_Static_assert(DEVMGR_SMMU_CD_OFF - DEVMGR_SMMU_EVTQ_OFF >= (EVT_BYTES << EVTQ_LOG2), "evtq");
_Static_assert(DEVMGR_SMMU_PT_OFF - DEVMGR_SMMU_CD_OFF >= CD_BYTES * DEVMGR_SMMU_MAX_STREAMS,
               "context descriptors");

static uint32_t rd32(uint32_t off)
{
    return *(volatile uint32_t *)(uintptr_t)(DEVMGR_SMMU_VA + off);
}

static void wr32(uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)(DEVMGR_SMMU_VA + off) = v;
}

static uint64_t rd64(uint32_t off)
{
    return *(volatile uint64_t *)(uintptr_t)(DEVMGR_SMMU_VA + off);
}

static void wr64(uint32_t off, uint64_t v)
{
    *(volatile uint64_t *)(uintptr_t)(DEVMGR_SMMU_VA + off) = v;
}

/* Our writes to the area before what follows (a register write that makes the SMMU read). */
static void wmb(void)
{
    us_cpu_io_wmb();
}

/* A register read before our reads of the area (what the SMMU wrote before the index). */
static void rmb(void)
{
    us_cpu_io_rmb();
}

static void *area(uint64_t off)
{
    return (void *)(uintptr_t)(DEVMGR_SMMU_DMA_VA + off);
}

static struct devmgr_smmu_pool pool_of(struct devmgr_smmu *s)
{
    return (struct devmgr_smmu_pool){area(DEVMGR_SMMU_PT_OFF), s->dma_pa + DEVMGR_SMMU_PT_OFF,
                                     (uint32_t)DEVMGR_SMMU_PT_PAGES, s->pt_owner};
}

static uint64_t cd_pa(const struct devmgr_smmu *s, uint32_t slot)
{
    return s->dma_pa + DEVMGR_SMMU_CD_OFF + (uint64_t)slot * CD_BYTES;
}

/* Write a register that has an acknowledgement register and wait for it to follow. */
static us_err_t write_acked(uint32_t reg, uint32_t ack, uint32_t v)
{
    wr32(reg, v);
    for (uint32_t i = 0; i < POLL_MAX; i++) {
        if (rd32(ack) == v) {
            return US_OK;
        }
    }
    US_LOG_ERR("SMMU: register 0x%x = 0x%x not acknowledged", reg, v);
    return US_ETIMEOUT;
}

/* Stream table entry @sid becomes @ste. Dword 0 holds V and Config: it goes to abort first and
 * to its new value last, so that the SMMU never reads a half-written translating entry. */
static void ste_install(uint32_t sid, const uint64_t ste[DEVMGR_SMMU_STE_DWORDS])
{
    volatile uint64_t *e = area(DEVMGR_SMMU_STRTAB_OFF + (uint64_t)sid * STE_BYTES);
    uint64_t abort[DEVMGR_SMMU_STE_DWORDS];

    devmgr_smmu_ste_abort(abort);
    if (e[0] != ste[0]) {
        e[0] = abort[0];
        wmb();
    }
    for (uint32_t i = 1; i < DEVMGR_SMMU_STE_DWORDS; i++) {
        e[i] = ste[i];
    }
    wmb();
    e[0] = ste[0];
}

static void cmd_put(struct devmgr_smmu *s, const uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS])
{
    uint32_t n = 1u << s->cmdq_log2;
    uint64_t *q = area(DEVMGR_SMMU_CMDQ_OFF + (uint64_t)(s->cmdq_prod & (n - 1u)) * CMD_BYTES);

    q[0] = cmd[0];
    q[1] = cmd[1];
    s->cmdq_prod = (s->cmdq_prod + 1u) & (2u * n - 1u); /* the wrap bit is bit log2 */
}

/* Append CMD_SYNC, publish the queue and wait until the SMMU has consumed all of it. */
static us_err_t cmd_sync(struct devmgr_smmu *s)
{
    uint32_t n = 1u << s->cmdq_log2, cons = 0;
    uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS];

    devmgr_smmu_cmd_sync(cmd);
    cmd_put(s, cmd);
    wmb();
    wr32(SMMU_CMDQ_PROD, s->cmdq_prod);
    for (uint32_t i = 0; i < POLL_MAX; i++) {
        cons = rd32(SMMU_CMDQ_CONS);
        if ((rd32(SMMU_GERROR) ^ rd32(SMMU_GERRORN)) & GERROR_CMDQ_ERR) {
            /* The SMMU stopped at a command it refused: put a sync there (IHI 0070 7.1) and
             * acknowledge, so that the queue moves again. */
            uint64_t *q = area(DEVMGR_SMMU_CMDQ_OFF + (uint64_t)(cons & (n - 1u)) * CMD_BYTES);

            US_LOG_ERR("SMMU: command 0x%llx refused (CMDQ_CONS.ERR %u)", (unsigned long long)q[0],
                       CMDQ_CONS_ERR(cons));
            q[0] = cmd[0];
            q[1] = cmd[1];
            wmb();
            wr32(SMMU_GERRORN, rd32(SMMU_GERRORN) ^ GERROR_CMDQ_ERR);
            return US_EABORT;
        }
        if ((cons & (2u * n - 1u)) == s->cmdq_prod) {
            return US_OK;
        }
    }
    US_LOG_ERR("SMMU: CMD_SYNC not completed (CMDQ_CONS 0x%x, PROD 0x%x)", cons, s->cmdq_prod);
    return US_ETIMEOUT;
}

/* Invalidate what the SMMU may have cached of stream @sid (translated with @asid). */
static us_err_t invalidate(struct devmgr_smmu *s, uint32_t sid, uint16_t asid)
{
    uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS];

    devmgr_smmu_cmd_cfgi_ste(cmd, sid);
    cmd_put(s, cmd);
    devmgr_smmu_cmd_cfgi_cd(cmd, sid);
    cmd_put(s, cmd);
    devmgr_smmu_cmd_tlbi_asid(cmd, asid);
    cmd_put(s, cmd);
    return cmd_sync(s);
}

static us_err_t invalidate_all(struct devmgr_smmu *s)
{
    uint64_t cmd[DEVMGR_SMMU_CMD_DWORDS];

    devmgr_smmu_cmd_cfgi_all(cmd);
    cmd_put(s, cmd);
    devmgr_smmu_cmd_tlbi_all(cmd);
    cmd_put(s, cmd);
    return cmd_sync(s);
}

/* The first reg window of DTB node @node. */
static bool node_reg(const void *dtb, int node, uint64_t *base, uint64_t *size)
{
    int parent = fdt_parent_offset(dtb, node), len = 0;
    int ac = parent >= 0 ? fdt_address_cells(dtb, parent) : -1;
    int sc = parent >= 0 ? fdt_size_cells(dtb, parent) : -1;
    const uint8_t *p = fdt_getprop(dtb, node, "reg", &len);

    if (p == NULL || ac < 1 || ac > 2 || sc < 1 || sc > 2 || len < 4 * (ac + sc)) {
        return false;
    }
    *base = ac == 2 ? fdt64_ld((const fdt64_t *)p) : fdt32_ld((const fdt32_t *)p);
    p += 4 * ac;
    *size = sc == 2 ? fdt64_ld((const fdt64_t *)p) : fdt32_ld((const fdt32_t *)p);
    return true;
}

/* The SMMU's registers mapped, if the DTB has one and it is the window we were granted. */
static bool map_registers(void)
{
    const void *dtb = (const void *)(uintptr_t)DEVMGR_DTB_VA;
    int node = fdt_node_offset_by_compatible(dtb, -1, "arm,smmu-v3");
    uint64_t base = 0, size = 0, pa = 0, granted = 0;

    if (node < 0) {
        US_LOG_INFO("SMMU: none on this platform (no arm,smmu-v3 node): PCI DMA is not confined");
        return false;
    }
    if (us_mem_info(US_SLOT_DEVMGR_SMMU, &granted, &pa) != US_OK) {
        US_LOG_INFO("SMMU: its registers are not granted: PCI DMA is not confined");
        return false;
    }
    if (!node_reg(dtb, node, &base, &size) || base != pa || granted < DEVMGR_SMMU_REGS_SIZE) {
        US_LOG_ERR("SMMU: the granted window 0x%llx+0x%llx is not the device tree's 0x%llx: "
                   "not used; PCI DMA is not confined",
                   (unsigned long long)pa, (unsigned long long)granted, (unsigned long long)base);
        return false;
    }
    return us_mem_map(US_SLOT_DEVMGR_SMMU, DEVMGR_SMMU_VA, US_RIGHT_READ | US_RIGHT_WRITE) == US_OK;
}

/* What the ID registers say, into @s; false (logged) if it lacks what we need. */
static bool probe(struct devmgr_smmu *s)
{
    uint32_t idr0 = rd32(SMMU_IDR0), idr1 = rd32(SMMU_IDR1), idr5 = rd32(SMMU_IDR5);
    uint32_t sid = IDR1_SIDSIZE(idr1), cq = IDR1_CMDQS(idr1), eq = IDR1_EVENTQS(idr1);

    if (!(idr0 & IDR0_S1P) || !(idr0 & IDR0_TTF_AA64) || !(idr0 & IDR0_COHACC) ||
        IDR0_TTENDIAN(idr0) == IDR0_TTENDIAN_BE || (idr1 & IDR1_PRESET) || !(idr5 & IDR5_GRAN4K)) {
        US_LOG_ERR("SMMU: IDR0 0x%x IDR1 0x%x IDR5 0x%x: no coherent little-endian stage 1 "
                   "with 4 KiB granules and free table bases; not used",
                   idr0, idr1, idr5);
        return false;
    }
    s->sid_bits = sid < DEVMGR_SMMU_SID_BITS ? sid : DEVMGR_SMMU_SID_BITS;
    s->cmdq_log2 = cq < CMDQ_LOG2 ? cq : CMDQ_LOG2;
    s->evtq_log2 = eq < EVTQ_LOG2 ? eq : EVTQ_LOG2;
    s->ips = IDR5_OAS(idr5) < OAS_MAX ? IDR5_OAS(idr5) : OAS_MAX;
    return true;
}

/* The 2 MiB area: a new one, or (the quota spent) the one whose address the SMMU's stream
 * table base still holds, left by an instance whose state was lost. */
static us_err_t find_area(struct devmgr_smmu *s)
{
    uint64_t size = 0, pa = 0, strtab = rd64(SMMU_STRTAB_BASE) & STRTAB_ADDR_MASK;
    us_cap_t cap = US_INVALID_CAP;
    us_err_t e = us_mem_alloc(US_SLOT_DEVMGR_VM_CONTROL, DEVMGR_SMMU_AREA_SIZE, &cap);

    for (us_cap_t h = US_SLOT_DYNAMIC_FIRST; e == US_ENOMEM && h < US_CAP_SLOTS; h++) {
        if (strtab != 0 && us_mem_info(h, &size, &pa) == US_OK && pa == strtab &&
            size == DEVMGR_SMMU_AREA_SIZE) {
            cap = h;
            e = US_OK;
        }
    }
    if (e == US_OK) {
        e = us_mem_info(cap, &size, &s->dma_pa);
    }
    if (e == US_OK) {
        s->dma_cap = cap;
    }
    return e;
}

/* Program the SMMU from scratch over the mapped area: every stream aborts. */
static us_err_t setup(struct devmgr_smmu *s)
{
    uint64_t ste[DEVMGR_SMMU_STE_DWORDS];
    us_err_t e;

    e = write_acked(SMMU_CR0, SMMU_CR0ACK, 0); /* the queues' bases change only while off */
    memset(area(0), 0, DEVMGR_SMMU_AREA_SIZE);
    memset(s->streams, 0, sizeof(s->streams));
    memset(s->pt_owner, 0, sizeof(s->pt_owner));
    devmgr_smmu_ste_abort(ste);
    for (uint32_t sid = 0; sid < (1u << s->sid_bits); sid++) {
        memcpy(area(DEVMGR_SMMU_STRTAB_OFF + (uint64_t)sid * STE_BYTES), ste, sizeof(ste));
    }
    wmb();
    s->cmdq_prod = 0;
    s->evtq_cons = 0;
    wr32(SMMU_CR1, CR1_CACHED);
    wr32(SMMU_CR2, CR2_RECINVSID);
    wr64(SMMU_STRTAB_BASE, BASE_RA | ((s->dma_pa + DEVMGR_SMMU_STRTAB_OFF) & STRTAB_ADDR_MASK));
    wr32(SMMU_STRTAB_BASE_CFG, s->sid_bits); /* FMT[17:16] 0: linear; LOG2SIZE[5:0] */
    wr64(SMMU_CMDQ_BASE,
         BASE_RA | ((s->dma_pa + DEVMGR_SMMU_CMDQ_OFF) & BASE_ADDR_MASK) | s->cmdq_log2);
    wr32(SMMU_CMDQ_PROD, 0);
    wr32(SMMU_CMDQ_CONS, 0);
    wr64(SMMU_EVENTQ_BASE,
         BASE_RA | ((s->dma_pa + DEVMGR_SMMU_EVTQ_OFF) & BASE_ADDR_MASK) | s->evtq_log2);
    wr32(SMMU_EVENTQ_PROD, 0);
    wr32(SMMU_EVENTQ_CONS, 0);
    wr64(SMMU_EVENTQ_IRQ_CFG0, 0); /* wired interrupts, no MSIs */
    wr64(SMMU_GERROR_IRQ_CFG0, 0);
    if (e == US_OK) {
        e = write_acked(SMMU_CR0, SMMU_CR0ACK, CR0_CMDQEN);
    }
    if (e == US_OK) {
        e = invalidate_all(s); /* nothing cached survives from before */
    }
    wr32(SMMU_GERRORN, rd32(SMMU_GERROR)); /* old global errors acknowledged */
    if (e == US_OK) {
        e = write_acked(SMMU_IRQ_CTRL, SMMU_IRQ_CTRLACK, IRQ_CTRL_EVENTQ_IRQEN);
    }
    if (e == US_OK) {
        e = write_acked(SMMU_CR0, SMMU_CR0ACK, CR0_CMDQEN | CR0_EVENTQEN);
    }
    if (e == US_OK) {
        e = write_acked(SMMU_CR0, SMMU_CR0ACK, CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN);
    }
    return e;
}

/* After a restart: the stream table and CDs rewritten from @s (a confine or release the last
 * instance did not finish is undone); the queues' indexes taken from the SMMU. */
static us_err_t reconcile(struct devmgr_smmu *s)
{
    uint64_t ste[DEVMGR_SMMU_STE_DWORDS];
    uint32_t changed = 0;

    s->cmdq_prod = rd32(SMMU_CMDQ_PROD) & ((2u << s->cmdq_log2) - 1u);
    s->evtq_cons = rd32(SMMU_EVENTQ_CONS) & ((2u << s->evtq_log2) - 1u);
    for (uint32_t sid = 0; sid < (1u << s->sid_bits); sid++) {
        const uint64_t *cur = area(DEVMGR_SMMU_STRTAB_OFF + (uint64_t)sid * STE_BYTES);

        devmgr_smmu_ste_abort(ste);
        for (uint32_t k = 0; k < DEVMGR_SMMU_MAX_STREAMS; k++) {
            if (s->streams[k].used && s->streams[k].sid == sid) {
                devmgr_smmu_cd_make(area(DEVMGR_SMMU_CD_OFF + (uint64_t)k * CD_BYTES),
                                    s->streams[k].ttb0, (uint16_t)(k + 1u), s->ips);
                devmgr_smmu_ste_translate(ste, cd_pa(s, k));
            }
        }
        if (memcmp(cur, ste, sizeof(ste)) != 0) {
            ste_install(sid, ste);
            changed++;
        }
    }
    wmb();
    return changed != 0 ? invalidate_all(s) : cmd_sync(s);
}

us_err_t devmgr_smmu_attach(struct devmgr_smmu *s, bool cold)
{
    uint64_t size = 0, pa = 0;
    uint32_t confined = 0;
    us_err_t e;

    if (!cold && !s->present) {
        return US_ENOTSUP; /* as the last instance found it; it said so */
    }
    if (!map_registers()) {
        s->present = 0;
        return US_ENOTSUP;
    }
    if (cold) {
        s->present = 0;
        if (!probe(s)) {
            return US_ENOTSUP;
        }
        e = find_area(s);
    } else {
        e = us_mem_info(s->dma_cap, &size, &pa) == US_OK && pa == s->dma_pa ? US_OK : US_ECORRUPT;
    }
    if (e == US_OK) {
        e = us_mem_map(s->dma_cap, DEVMGR_SMMU_DMA_VA, US_RIGHT_READ | US_RIGHT_WRITE);
    }
    if (e != US_OK) {
        US_LOG_ERR("SMMU: no memory for its tables (%s): not used", us_err_name(e));
        s->present = 0;
        return e;
    }
    if (!cold && (rd32(SMMU_CR0ACK) & CR0_SMMUEN) &&
        (rd64(SMMU_STRTAB_BASE) & STRTAB_ADDR_MASK) == s->dma_pa) {
        e = reconcile(s);
        for (uint32_t k = 0; k < DEVMGR_SMMU_MAX_STREAMS; k++) {
            confined += s->streams[k].used ? 1u : 0u;
        }
        US_LOG_INFO("SMMU: recovered, not re-initialised: %u stream(s) confined, %llu DMA "
                    "fault(s) so far",
                    confined, (unsigned long long)s->faults);
        devmgr_smmu_interrupt(s); /* what arrived while devmgr was down */
        return e;
    }
    if (!cold) {
        US_LOG_WARN("SMMU: not as the last instance left it: set up again");
    }
    e = setup(s);
    if (e != US_OK) {
        US_LOG_ERR("SMMU: not enabled (%s)", us_err_name(e));
        return e;
    }
    s->present = 1;
    US_LOG_INFO("SMMU: enabled, %u stream IDs, every stream aborts until confined (tables at "
                "0x%llx)",
                1u << s->sid_bits, (unsigned long long)s->dma_pa);
    return US_OK;
}

static int32_t slot_of(const struct devmgr_smmu *s, uint32_t sid)
{
    for (uint32_t k = 0; k < DEVMGR_SMMU_MAX_STREAMS; k++) {
        if (s->streams[k].used && s->streams[k].sid == sid) {
            return (int32_t)k;
        }
    }
    return -1;
}

us_err_t devmgr_smmu_confine(struct devmgr_smmu *s, uint32_t sid, uint64_t iova, uint64_t pa,
                             uint64_t size)
{
    static const uint32_t oas_bits[] = {32, 36, 40, 42, 44, 48}; /* IDR5.OAS, CD.IPS */
    struct devmgr_smmu_pool pool;
    uint64_t ste[DEVMGR_SMMU_STE_DWORDS], ttb0 = 0;
    uint32_t k = 0;
    us_err_t e;

    if (!s->present) {
        return US_ENOTSUP;
    }
    if (sid >= (1u << s->sid_bits) || devmgr_smmu_pt_pages(iova, pa, size) == 0 ||
        pa + size > (1ull << oas_bits[s->ips])) {
        return US_EINVAL;
    }
    if (slot_of(s, sid) >= 0) {
        return US_EBUSY;
    }
    while (k < DEVMGR_SMMU_MAX_STREAMS && s->streams[k].used) {
        k++;
    }
    if (k == DEVMGR_SMMU_MAX_STREAMS) {
        return US_ENOMEM;
    }
    pool = pool_of(s);
    e = devmgr_smmu_pt_map(&pool, (uint8_t)(k + 1u), iova, pa, size, &ttb0);
    if (e != US_OK) {
        return e;
    }
    devmgr_smmu_cd_make(area(DEVMGR_SMMU_CD_OFF + (uint64_t)k * CD_BYTES), ttb0, (uint16_t)(k + 1u),
                        s->ips);
    wmb(); /* tables and CD before the STE that points at them */
    devmgr_smmu_ste_translate(ste, cd_pa(s, k));
    ste_install(sid, ste);
    s->streams[k].sid = sid;
    s->streams[k].used = 1;
    s->streams[k].iova = iova;
    s->streams[k].pa = pa;
    s->streams[k].size = size;
    s->streams[k].ttb0 = ttb0;
    e = invalidate(s, sid, (uint16_t)(k + 1u));
    US_LOG_INFO("SMMU: stream 0x%04x confined: 0x%llx+0x%llx -> 0x%llx%s", sid,
                (unsigned long long)iova, (unsigned long long)size, (unsigned long long)pa,
                e == US_OK ? "" : " (not synced)");
    return e;
}

us_err_t devmgr_smmu_release(struct devmgr_smmu *s, uint32_t sid)
{
    struct devmgr_smmu_pool pool;
    uint64_t ste[DEVMGR_SMMU_STE_DWORDS];
    int32_t k;
    us_err_t e;

    if (!s->present) {
        return US_ENOTSUP;
    }
    if (sid >= (1u << s->sid_bits)) {
        return US_EINVAL;
    }
    k = slot_of(s, sid);
    if (k < 0) {
        return US_ENOENT;
    }
    devmgr_smmu_ste_abort(ste);
    ste_install(sid, ste);
    e = invalidate(s, sid, (uint16_t)(k + 1));
    if (e != US_OK) {
        return e; /* the SMMU may still walk the tables: they stay */
    }
    pool = pool_of(s);
    devmgr_smmu_pt_free(&pool, (uint8_t)(k + 1));
    memset(area(DEVMGR_SMMU_CD_OFF + (uint64_t)k * CD_BYTES), 0, CD_BYTES);
    memset(&s->streams[k], 0, sizeof(s->streams[k]));
    US_LOG_INFO("SMMU: stream 0x%04x released: it aborts again", sid);
    return US_OK;
}

void devmgr_smmu_interrupt(struct devmgr_smmu *s)
{
    uint32_t n, wrap, prod, logged = 0, gerr;

    if (!s->present) {
        return; /* no SMMU of ours: not its interrupt, nothing to acknowledge */
    }
    n = 1u << s->evtq_log2;
    wrap = 2u * n - 1u;
    prod = rd32(SMMU_EVENTQ_PROD);
    rmb();
    /* At most one queue's worth: a device faulting without pause cannot keep devmgr here. */
    for (uint32_t i = 0; i < n && (s->evtq_cons & wrap) != (prod & wrap); i++) {
        const uint64_t *rec =
            area(DEVMGR_SMMU_EVTQ_OFF + (uint64_t)(s->evtq_cons & (n - 1u)) * EVT_BYTES);
        struct devmgr_smmu_event ev;
        const char *name;

        devmgr_smmu_event_decode(rec, &ev);
        s->faults++;
        s->last_sid = ev.sid;
        s->last_addr = ev.addr;
        s->last_type = ev.type;
        name = devmgr_smmu_event_name(ev.type);
        if (logged < FAULT_LOG_LIMIT && name != NULL) {
            US_LOG_WARN("SMMU: DMA fault by stream 0x%04x at 0x%llx: %s", ev.sid,
                        (unsigned long long)ev.addr, name);
        } else if (logged < FAULT_LOG_LIMIT) {
            US_LOG_WARN("SMMU: DMA fault by stream 0x%04x at 0x%llx: event 0x%x", ev.sid,
                        (unsigned long long)ev.addr, ev.type);
        }
        logged++;
        s->evtq_cons = (s->evtq_cons + 1u) & wrap;
    }
    if (logged > FAULT_LOG_LIMIT) {
        US_LOG_WARN("SMMU: %u more DMA fault(s) not logged (%llu in all)", logged - FAULT_LOG_LIMIT,
                    (unsigned long long)s->faults);
    }
    if ((prod ^ rd32(SMMU_EVENTQ_CONS)) & EVENTQ_OVFLG) {
        US_LOG_WARN("SMMU: the event queue overflowed: some faults were not recorded");
    }
    wr32(SMMU_EVENTQ_CONS, s->evtq_cons | (prod & EVENTQ_OVFLG));
    gerr = rd32(SMMU_GERROR) ^ rd32(SMMU_GERRORN);
    if (gerr != 0) {
        US_LOG_ERR("SMMU: global error(s) 0x%x acknowledged", gerr);
        wr32(SMMU_GERRORN, rd32(SMMU_GERROR));
    }
    (void)us_irq_ack(US_SLOT_DEVMGR_SMMU_IRQ);
}
