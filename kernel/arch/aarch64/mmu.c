/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* aarch64 translation tables, 4 KiB granule, 3 levels (39-bit spaces) for every regime. */
#include <understudy/abi.h>
#include <uslib/string.h>
#include <us/frame.h>
#include <us/kmem.h>
#include <us/log.h>
#include <us/arch/mmu.h>
#include <arch/mmu.h>
#include <arch/sysreg.h>

/* Descriptor bits, Arm ARM D8.3. */
#define BLOCK_SIZE (2ull << 20) /* a level-2 block */
#define PTE_VALID (1ull << 0)
#define PTE_TABLE (1ull << 1) /* table at L0-L2, page at L3 */
#define PTE_ATTR(i) ((uint64_t)(i) << 2)
#define PTE_AP_EL0 (1ull << 6) /* stage 1: EL0 accessible */
#define PTE_AP_RO (1ull << 7)  /* stage 1: read-only */
#define PTE_SH_INNER (3ull << 8)
#define PTE_AF (1ull << 10)
#define PTE_NG (1ull << 11)
#define PTE_PXN (1ull << 53)
#define PTE_UXN (1ull << 54) /* XN at EL2 without VHE and at stage 2 */
/* A software bit (ignored by walkers in table and block descriptors alike): the entry is the
 * kernel's, shared into a server's space with VHE; relocation leaves it alone. */
#define PTE_KERNEL (1ull << 57)
#define PTE_ADDR_MASK 0x0000fffffffff000ull
#define S2_MEMATTR_NORMAL (0xfull << 2)
#define S2_MEMATTR_DEVICE (0x1ull << 2)
#define S2_AP_R (1ull << 6)
#define S2_AP_W (1ull << 7)

/* MAIR indices. */
#define ATTR_NORMAL 0u
#define ATTR_DEVICE 1u
#define MAIR_VALUE 0x04ffull /* attr0 = normal WBWA, attr1 = Device-nGnRE */

static uint64_t early_l1[512] __attribute__((aligned(4096)));
static paddr_t kernel_root; /* the final EL2 map, shared by every CPU */

/* The kernel's part of the address space: [ARCH_KERNEL_VA_LO, ARCH_KERNEL_VA_HI), the GIC and
 * UART blocks of the first GiB and the RAM above it. With VHE, the kernel runs through the
 * server's TTBR0_EL2 and every server's space carries these entries (not EL0-accessible). */
#define KERNEL_L2_FIRST (ARCH_KERNEL_VA_LO / BLOCK_SIZE)
#define KERNEL_L1_END (ARCH_KERNEL_VA_HI >> 30)

/* The kernel's own descriptors. Without VHE (the EL2 regime) AP[1] is RES1 and bit 54 is XN;
 * with VHE (the EL2&0 regime) AP[1] would open the page to EL0, bit 53 is PXN and 54 UXN. */
static uint64_t kernel_attr(bool device, bool ro, bool exec)
{
    uint64_t a = PTE_VALID | PTE_AF | (ro ? PTE_AP_RO : 0) |
                 (device ? PTE_ATTR(ATTR_DEVICE) : PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER);

    if (!arch_vhe) {
        return a | PTE_AP_EL0 | (exec ? 0 : PTE_UXN);
    }
    return a | PTE_UXN | (exec ? 0 : PTE_PXN);
}

extern char _image_start[], _text_end[], _rodata_end[], _image_end[];

static void el2_mmu_on(paddr_t root, bool wxn)
{
    write_sysreg(mair_el2, MAIR_VALUE);
    /* With VHE, the servers' TCR. Without, its T0SZ, cacheability and granule (the low 16
     * bits), RES1 bits 31 and 23, PS = 40 bits. */
    write_sysreg(tcr_el2,
                 arch_vhe ? TCR_SERVER
                          : (TCR_SERVER & 0xffffu) | (2ull << 16) | (1ull << 31) | (1ull << 23));
    write_sysreg(ttbr0_el2, pa_of(root));
    isb();
    tlbi_alle2();
    /* The early map is RWX, so WXN (writable implies execute-never) comes on only with the
     * final map. Without VHE: M, C, SA, I plus RES1 bits 4,5,11,16,18,22,23,28,29. With it,
     * SCTLR_EL1's layout, the servers' EL0 controls included. */
    write_sysreg(sctlr_el2, arch_vhe ? SCTLR_SERVER & ~(wxn ? 0 : SCTLR_WXN)
                                     : (1ull << 0) | (1ull << 2) | (1ull << 3) | (1ull << 12) |
                                           (wxn ? SCTLR_WXN : 0) | 0x30c50830ull);
    isb();
}

void mmu_early_enable(void)
{
    uint64_t i;

    early_l1[0] = kernel_attr(true, false, false);
    for (i = 1; i < 16; i++) {
        early_l1[i] = (i << 30) | kernel_attr(false, false, true);
    }
    el2_mmu_on(pa_from_ptr(early_l1), false);
}

static uint64_t *table_alloc(uint64_t *counter)
{
    paddr_t pa;
    uint64_t *t;
    uint64_t i;

    if (kmem_frames(1, &pa) != US_OK) {
        return NULL;
    }
    t = pa_ptr(pa);
    for (i = 0; i < 512; i++) {
        t[i] = 0;
    }
    if (counter != NULL) {
        (*counter)++;
    }
    return t;
}

/* Walk to the entry for @addr at @target (2 or 3), creating tables when @create. */
static uint64_t *walk_to(uint64_t *l1, uint64_t addr, int target, bool create, uint64_t *counter)
{
    uint64_t *t = l1;
    int level;

    for (level = 1; level < target; level++) {
        uint64_t idx = (addr >> (39 - 9 * level)) & 511u;
        uint64_t e = t[idx];
        if (!(e & PTE_VALID)) {
            uint64_t *n;
            if (!create) {
                return NULL;
            }
            n = table_alloc(counter);
            if (n == NULL) {
                return NULL;
            }
            dsb_ish();
            t[idx] = pa_of(pa_from_ptr(n)) | PTE_VALID | PTE_TABLE;
            e = t[idx];
        } else if (!(e & PTE_TABLE)) {
            return NULL; /* a block: not split here */
        }
        t = pa_ptr(pa_init(e & PTE_ADDR_MASK));
    }
    return &t[(addr >> (39 - 9 * target)) & 511u];
}

/* Walk to the L3 entry for @addr, creating tables when @create. */
static uint64_t *walk(uint64_t *l1, uint64_t addr, bool create, uint64_t *counter)
{
    return walk_to(l1, addr, 3, create, counter);
}

/* The valid leaf entry mapping @addr (a block or a page) and in *@span the size it maps;
 * NULL if nothing maps it. */
static uint64_t *leaf(uint64_t *l1, uint64_t addr, uint64_t *span)
{
    uint64_t *t = l1;
    int level;

    for (level = 1; level <= 3; level++) {
        uint64_t *e = &t[(addr >> (39 - 9 * level)) & 511u];

        if (!(*e & PTE_VALID)) {
            return NULL;
        }
        if (level == 3 || !(*e & PTE_TABLE)) {
            *span = 1ull << (39 - 9 * level);
            return e;
        }
        t = pa_ptr(pa_init(*e & PTE_ADDR_MASK));
    }
    return NULL;
}

/* Whether [va, va + 2 MiB) can be one level-2 block onto pa. */
static bool block_fits(uint64_t va, uint64_t pa, uint64_t left)
{
    return ((va | pa) & (BLOCK_SIZE - 1)) == 0 && left >= BLOCK_SIZE;
}

us_err_t arch_mmu_kernel_map_final(paddr_t ram_base, uint64_t ram_size)
{
    uint64_t *l1 = table_alloc(NULL), *l2;
    uint64_t a, lo, hi;
    uint64_t img_lo = (uint64_t)(uintptr_t)_image_start;
    uint64_t img_hi = align_up((uint64_t)(uintptr_t)_image_end, 2ull << 20);

    if (l1 == NULL) {
        return US_ENOMEM;
    }
    /* Devices (GIC, UART) in the first GiB from 128 MiB: Device-nGnRE, never executable. */
    l2 = table_alloc(NULL);
    if (l2 == NULL) {
        return US_ENOMEM;
    }
    for (a = ARCH_KERNEL_VA_LO; a < (1ull << 30); a += BLOCK_SIZE) {
        l2[a / BLOCK_SIZE] = a | kernel_attr(true, false, false);
    }
    l1[0] = pa_of(pa_from_ptr(l2)) | PTE_VALID | PTE_TABLE;
    lo = align_down(pa_of(ram_base), 2ull << 20);
    hi = align_up(pa_of(ram_base) + ram_size, 2ull << 20);
    for (a = lo; a < hi;) {
        if (a >= img_lo && a < img_hi) {
            /* The kernel image, page by page: text RX, rodata R, the rest RW+XN. */
            uint64_t *pte = walk(l1, a, true, NULL);
            bool text = a < (uint64_t)(uintptr_t)_text_end;
            if (pte == NULL) {
                return US_ENOMEM;
            }
            *pte = a | PTE_TABLE | kernel_attr(false, a < (uint64_t)(uintptr_t)_rodata_end, text);
            a += PAGE_SIZE;
        } else {
            /* 2 MiB blocks of RAM, read-write, never executable. */
            uint64_t idx1 = (a >> 30) & 511u;
            if (!(l1[idx1] & PTE_VALID)) {
                l2 = table_alloc(NULL);
                if (l2 == NULL) {
                    return US_ENOMEM;
                }
                l1[idx1] = pa_of(pa_from_ptr(l2)) | PTE_VALID | PTE_TABLE;
            }
            l2 = pa_ptr(pa_init(l1[idx1] & PTE_ADDR_MASK));
            if (!(l2[(a >> 21) & 511u] & PTE_VALID)) {
                l2[(a >> 21) & 511u] = a | kernel_attr(false, false, false);
            }
            a += 2ull << 20;
        }
    }
    dsb_ish();
    kernel_root = pa_from_ptr(l1);
    el2_mmu_on(kernel_root, true);
    return US_OK;
}

void mmu_secondary_enable(void)
{
    el2_mmu_on(kernel_root, true);
}

static uint64_t s1_attrs(uint32_t flags)
{
    uint64_t attr = PTE_VALID | PTE_TABLE | PTE_AF | PTE_NG | PTE_PXN | PTE_UXN;

    if (flags & MAP_DEVICE) {
        attr |= PTE_ATTR(ATTR_DEVICE);
    } else {
        attr |= PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER;
    }
    if (flags & MAP_EL1_EXEC) {
        return (attr & ~PTE_PXN) | PTE_AP_RO;
    }
    attr |= PTE_AP_EL0;
    if (!(flags & US_RIGHT_WRITE)) {
        attr |= PTE_AP_RO;
    }
    if (flags & US_RIGHT_EXEC) {
        attr &= ~PTE_UXN;
    }
    return attr;
}

/* Whether [va, va + size) meets the kernel's part of servers' spaces. */
static bool in_kernel_part(uint64_t va, uint64_t size)
{
    return va < ARCH_KERNEL_VA_HI && va + size > ARCH_KERNEL_VA_LO;
}

static us_err_t check_map_args(uint64_t va, uint64_t pa, uint64_t size, uint32_t flags,
                               uint64_t limit)
{
    if (!is_aligned(va | pa | size, PAGE_SIZE) || size == 0 ||
        (flags & (US_RIGHT_READ | US_RIGHT_WRITE | US_RIGHT_EXEC | MAP_EL1_EXEC)) == 0) {
        return US_TRACE(US_EINVAL);
    }
    if (va >= limit || size > limit - va) {
        return US_TRACE(US_ERANGE);
    }
    return US_OK;
}

/* Whether [va, ...) is mapped as one level-2 block: it fits, and no level-3 table is there
 * already (an empty one is what a refused mapping may leave behind; its pages are used). */
static bool use_block(uint64_t *root, uint64_t va, uint64_t pa, uint64_t left)
{
    uint64_t *l2;

    if (!block_fits(va, pa, left)) {
        return false;
    }
    l2 = walk_to(root, va, 2, false, NULL);
    return l2 == NULL || (*l2 & (PTE_VALID | PTE_TABLE)) != (PTE_VALID | PTE_TABLE);
}

/* Map [va, va + size) onto pa in three passes, so a refused mapping maps nothing: check that
 * nothing is mapped there (US_EEXIST), create every table the leaves need (US_ENOMEM leaves
 * only empty tables, counted in @counter and freed with the space), then write the leaves,
 * which cannot fail. Each pass makes the same block-or-page choices: the second creates
 * level-3 tables only in 2 MiB stretches mapped page by page. Aligned 2 MiB stretches become
 * level-2 blocks: fewer tables, and far fewer TLB walks for guest RAM and its vmm view. */
static us_err_t map_range(uint64_t *root, uint64_t va, uint64_t pa, uint64_t size, uint64_t attr,
                          uint64_t *counter)
{
    uint64_t off, span;
    bool block;

    for (off = 0; off < size; off += block ? BLOCK_SIZE : PAGE_SIZE) {
        block = use_block(root, va + off, pa + off, size - off);
        if (leaf(root, va + off, &span) != NULL) {
            return US_TRACE(US_EEXIST);
        }
    }
    for (off = 0; off < size; off += block ? BLOCK_SIZE : PAGE_SIZE) {
        block = use_block(root, va + off, pa + off, size - off);
        if (walk_to(root, va + off, block ? 2 : 3, true, counter) == NULL) {
            return US_ENOMEM;
        }
    }
    for (off = 0; off < size; off += block ? BLOCK_SIZE : PAGE_SIZE) {
        block = use_block(root, va + off, pa + off, size - off);
        *walk_to(root, va + off, block ? 2 : 3, false, NULL) =
            (pa + off) | (block ? attr & ~PTE_TABLE : attr);
    }
    dsb_ish();
    return US_OK;
}

/* With VHE, the kernel's entries in a server's root: its own table for the first GiB holding
 * the kernel's device blocks, and the kernel's RAM tables (shared, never changed after boot). */
static us_err_t share_kernel(uint64_t *root, uint64_t *counter)
{
    const uint64_t *k1 = pa_ptr(kernel_root), *k2;
    uint64_t *l2 = table_alloc(counter);

    if (l2 == NULL) {
        return US_ENOMEM;
    }
    k2 = pa_ptr(pa_init(k1[0] & PTE_ADDR_MASK));
    for (uint64_t i = KERNEL_L2_FIRST; i < 512; i++) {
        l2[i] = k2[i] | PTE_KERNEL;
    }
    root[0] = pa_of(pa_from_ptr(l2)) | PTE_VALID | PTE_TABLE;
    for (uint64_t i = 1; i < KERNEL_L1_END; i++) {
        root[i] = k1[i] != 0 ? k1[i] | PTE_KERNEL : 0;
    }
    dsb_ish();
    return US_OK;
}

us_err_t arch_aspace_init(struct aspace *as, uint16_t asid)
{
    extern char el1_trampoline[];
    uint64_t *root;

    as->table_frames = 0;
    root = table_alloc(&as->table_frames);
    if (root == NULL) {
        return US_ENOMEM;
    }
    as->root = pa_from_ptr(root);
    as->asid = asid;
    if (arch_vhe) {
        return share_kernel(root, &as->table_frames);
    }
    return arch_aspace_map(as, va_init(ARCH_TRAMPOLINE_VA), pa_from_ptr(el1_trampoline), PAGE_SIZE,
                           MAP_EL1_EXEC);
}

us_err_t arch_aspace_map(struct aspace *as, vaddr_t va, paddr_t pa, uint64_t size, uint32_t flags)
{
    us_err_t e = check_map_args(va_of(va), pa_of(pa), size, flags, 1ull << ARCH_USER_VA_BITS);

    if (e != US_OK) {
        return e;
    }
    if (in_kernel_part(va_of(va), size)) {
        return US_TRACE(US_ERANGE);
    }
    if ((flags & US_RIGHT_WRITE) && (flags & (US_RIGHT_EXEC | MAP_EL1_EXEC))) {
        return US_TRACE(US_EINVAL); /* W^X */
    }
    return map_range(pa_ptr(as->root), va_of(va), pa_of(pa), size, s1_attrs(flags),
                     &as->table_frames);
}

/* Drop a server space's TLB entries on every CPU. Without VHE, servers' entries carry VMID 0
 * (switch_to_server()), and TLBI by ASID acts on the VMID in VTTBR_EL2. With VHE, a TLBI of
 * the EL1 kind acts on the EL2&0 regime while HCR_EL2.TGE is set. */
static void flush_aspace(const void *space)
{
    const struct aspace *as = space;
    uint64_t saved;

    if (arch_vhe) {
        saved = read_sysreg(hcr_el2);
        write_sysreg(hcr_el2, saved | HCR_TGE);
        isb();
        tlbi_aside1is(as->asid);
        write_sysreg(hcr_el2, saved);
        isb();
        return;
    }
    saved = read_sysreg(vttbr_el2);
    write_sysreg(vttbr_el2, 0);
    isb();
    tlbi_aside1is(as->asid);
    write_sysreg(vttbr_el2, saved);
    isb();
}

void arch_aspace_unmap(struct aspace *as, vaddr_t va, uint64_t size)
{
    uint64_t off, span = 0, *pte;

    for (off = 0; off < size; off += span) {
        pte = leaf(pa_ptr(as->root), va_of(va) + off, &span);
        US_ASSERT(pte != NULL && is_aligned(va_of(va) + off, span) && span <= size - off);
        *pte = 0;
    }
    dsb_ish(); /* walkers see the entries gone before any TLB forgets them */
    flush_aspace(as);
}

us_err_t arch_io_grant(struct aspace *as, uint64_t base, uint64_t count)
{
    return (void)as, (void)base, (void)count, US_TRACE(US_ENOTSUP); /* no port space */
}

us_err_t arch_aspace_translate(const struct aspace *as, vaddr_t va, bool write, paddr_t *out)
{
    uint64_t *pte, span;

    if (va_of(va) >= (1ull << ARCH_USER_VA_BITS)) {
        return US_ERANGE;
    }
    pte = leaf(pa_ptr(as->root), va_of(va), &span);
    if (pte == NULL || !(*pte & PTE_AP_EL0) || (write && (*pte & PTE_AP_RO))) {
        return US_ERANGE;
    }
    /* The kernel reads and writes only a server's RAM for it: a device register behind a
     * user VA would be read through EL2's map as if it were memory. */
    if ((*pte & PTE_ATTR(7u)) == PTE_ATTR(ATTR_DEVICE)) {
        return US_ERANGE;
    }
    *out = pa_init((*pte & PTE_ADDR_MASK & ~(span - 1)) | (va_of(va) & (span - 1)));
    return US_OK;
}

us_err_t arch_stage2_init(struct stage2 *s2, uint16_t vmid)
{
    uint64_t *root;

    s2->table_frames = 0;
    root = table_alloc(&s2->table_frames);
    if (root == NULL) {
        return US_ENOMEM;
    }
    s2->root = pa_from_ptr(root);
    s2->vmid = vmid;
    return US_OK;
}

us_err_t arch_stage2_map(struct stage2 *s2, ipa_t ipa, paddr_t pa, uint64_t size, uint32_t flags)
{
    uint64_t attr = PTE_VALID | PTE_TABLE | PTE_AF;
    us_err_t e = check_map_args(ipa_of(ipa), pa_of(pa), size, flags, 1ull << ARCH_IPA_BITS);

    if (e != US_OK) {
        return e;
    }
    attr |= (flags & MAP_DEVICE) ? S2_MEMATTR_DEVICE : (S2_MEMATTR_NORMAL | PTE_SH_INNER);
    if (flags & US_RIGHT_READ) {
        attr |= S2_AP_R;
    }
    if (flags & US_RIGHT_WRITE) {
        attr |= S2_AP_W;
    }
    if (!(flags & US_RIGHT_EXEC)) {
        attr |= PTE_UXN;
    }
    return map_range(pa_ptr(s2->root), ipa_of(ipa), pa_of(pa), size, attr, &s2->table_frames);
}

/* A leaf broken by relocate() and to be made again: invalid, so bits 2-63 are ignored by the
 * walkers and carry its new value meanwhile (58 is one of the software bits). */
#define PTE_MOVING (1ull << 58)

static bool in_range(const struct relocation *r, uint64_t pa, uint64_t span)
{
    return pa < r->hi && pa + span > r->lo;
}

/* First pass: move the tables below @t in the range, break the leaves that move. */
static void relocate_break(uint64_t *t, int level, uint64_t va, struct relocation *r)
{
    for (uint64_t i = 0; i < 512; i++) {
        uint64_t e = t[i], pa = e & PTE_ADDR_MASK, span = 1ull << (39 - 9 * level);
        paddr_t to;

        if (!(e & PTE_VALID) || (e & PTE_KERNEL)) {
            continue;
        }
        if (level < 3 && (e & PTE_TABLE)) {
            relocate_break(pa_ptr(pa_init(pa)), level + 1, va + i * span, r);
            if (r->probe) {
                continue;
            }
            if (in_range(r, pa, PAGE_SIZE) && kmem_frames(1, &to) == US_OK) {
                /* The copy translates as the original: walkers may use either until the
                 * flush. The original stays withheld, so it cannot be reused before. */
                memcpy(pa_ptr(to), pa_ptr(pa_init(pa)), PAGE_SIZE);
                t[i] = pa_of(to) | (e & ~PTE_ADDR_MASK);
                kmem_free_frames(pa_init(pa), 1);
                r->moved++;
            } else if (in_range(r, pa, PAGE_SIZE)) {
                r->left++;
            }
            continue;
        }
        if (in_range(r, pa, span)) {
            to = r->leaf(r, va + i * span, pa_init(pa), span);
            if (pa_of(to) != pa) {
                t[i] = (pa_of(to) | (e & ~PTE_ADDR_MASK) | PTE_MOVING) & ~PTE_VALID;
            }
        }
    }
}

/* Second pass, after the flush: make the broken leaves again at their new address. */
static void relocate_make(uint64_t *t, int level)
{
    for (uint64_t i = 0; i < 512; i++) {
        if ((t[i] & (PTE_VALID | PTE_MOVING)) == PTE_MOVING) {
            t[i] = (t[i] & ~PTE_MOVING) | PTE_VALID;
        } else if (level < 3 &&
                   (t[i] & (PTE_VALID | PTE_TABLE | PTE_KERNEL)) == (PTE_VALID | PTE_TABLE)) {
            relocate_make(pa_ptr(pa_init(t[i] & PTE_ADDR_MASK)), level + 1);
        }
    }
}

/* Relocate the tables under *@root; @flush drops the space's TLB entries and walk caches. */
static void relocate(paddr_t *root, struct relocation *r, void (*flush)(const void *),
                     const void *space)
{
    paddr_t to;

    relocate_break(pa_ptr(*root), 1, 0, r);
    if (r->probe) {
        return;
    }
    if (in_range(r, pa_of(*root), PAGE_SIZE)) {
        if (r->root && kmem_frames(1, &to) == US_OK) {
            memcpy(pa_ptr(to), pa_ptr(*root), PAGE_SIZE);
            kmem_free_frames(*root, 1);
            *root = to;
            r->moved++;
            r->roots++;
        } else {
            r->left++;
        }
    }
    dsb_ish();
    flush(space);
    relocate_make(pa_ptr(*root), 1);
    dsb_ish();
}

void arch_aspace_relocate(struct aspace *as, struct relocation *r)
{
    paddr_t old = as->root;
    uint64_t ttbr = pa_of(old) | ((uint64_t)as->asid << 48);

    relocate(&as->root, r, flush_aspace, as);
    if (pa_of(as->root) != pa_of(old)) {
        arch_space_root_moved(ttbr, pa_of(as->root) | ((uint64_t)as->asid << 48));
    }
}

/* Drop a VM's TLB entries on every CPU: TLBI by VMID needs that VMID current in VTTBR_EL2. */
static void flush_stage2(const void *space)
{
    const struct stage2 *s2 = space;
    uint64_t saved = read_sysreg(vttbr_el2);

    write_sysreg(vttbr_el2, ((uint64_t)s2->vmid << 48) | pa_of(s2->root));
    isb();
    tlbi_vmalls12e1is();
    write_sysreg(vttbr_el2, saved);
    isb();
}

void arch_stage2_relocate(struct stage2 *s2, struct relocation *r)
{
    relocate(&s2->root, r, flush_stage2, s2);
}

static void free_tables(uint64_t *t, int level)
{
    uint64_t i;
    if (level < 3) {
        for (i = 0; i < 512; i++) {
            if ((t[i] & (PTE_VALID | PTE_TABLE)) == (PTE_VALID | PTE_TABLE)) {
                free_tables(pa_ptr(pa_init(t[i] & PTE_ADDR_MASK)), level + 1);
            }
        }
    }
    kmem_free_frames(pa_from_ptr(t), 1);
}

void arch_stage2_free(struct stage2 *s2)
{
    flush_stage2(s2);
    free_tables(pa_ptr(s2->root), 1);
    s2->table_frames = 0;
}
