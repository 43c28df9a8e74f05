/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Builds the hardware inventory from the platform DTB that QEMU (or firmware) handed over. */
#include "devmgr_inventory.h"

#include <stdbool.h>
#include <uslib/fdt_check.h>
#include <uslib/string.h>
#include <libfdt.h>
#include <understudy/abi.h>

/* Interrupt controllers whose specifiers follow the GIC binding (arm,gic.yaml, arm,gic-v3.yaml). */
static const char *const inv_gic_compat[] = {
    "arm,gic-v3", "arm,gic-400", "arm,cortex-a15-gic", "arm,cortex-a9-gic", "arm,cortex-a7-gic",
};

static const char *const inv_timer_compat[] = {
    "arm,armv8-timer",
    "arm,armv7-timer",
};

/* GIC binding: cell 0 is the type, cell 1 the number within it (Arm IHI 0069 2.2 INTID map). */
#define INV_GIC_SPI 0u
#define INV_GIC_PPI 1u
#define INV_SPI_BASE 32u
#define INV_SPI_COUNT 988u /* INTIDs 32..1019 */
#define INV_PPI_BASE 16u
#define INV_PPI_COUNT 16u

struct inv_walk {
    const void *fdt;
    struct us_dev_info *devs;
    uint32_t max;
    uint32_t count;
    int bus[DEVMGR_BUS_DEPTH + 1]; /* bus[0] is the root, bus[depth - 1] the current bus */
    uint32_t depth;
    bool ic_known;       /* ic_phandle was looked up: */
    uint32_t ic_phandle; /* the last interrupt controller's phandle */
    int ic_node;         /* and its node offset (or libfdt's error) */
};

/* Property values are only 4-byte aligned in a DTB, and the target builds -mstrict-align. */
static uint32_t inv_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* A number of 0, 1 or 2 cells; more cannot be a 64-bit address or size. */
static bool inv_cells_value(const uint8_t *p, int cells, uint64_t *v)
{
    switch (cells) {
    case 0:
        *v = 0;
        return true;
    case 1:
        *v = inv_be32(p);
        return true;
    case 2:
        *v = ((uint64_t)inv_be32(p) << 32) | inv_be32(p + 4);
        return true;
    default:
        return false;
    }
}

static bool inv_is_compatible(const void *fdt, int node, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (fdt_node_check_compatible(fdt, node, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

static bool inv_is_gic(const void *fdt, int node)
{
    return inv_is_compatible(fdt, node, inv_gic_compat,
                             sizeof(inv_gic_compat) / sizeof(inv_gic_compat[0]));
}

/*
 * Translate a bus address of the current bus up to the root through each simple-bus's
 * "ranges" (DT spec 2.3.8): empty ranges is identity, an absent one means not CPU-visible.
 */
static bool inv_translate(const struct inv_walk *w, uint64_t *addr)
{
    uint32_t level;

    for (level = w->depth - 1; level > 0; level--) {
        int bus = w->bus[level], parent = w->bus[level - 1];
        int ca = fdt_address_cells(w->fdt, bus), sc = fdt_size_cells(w->fdt, bus);
        int pa = fdt_address_cells(w->fdt, parent), len;
        const uint8_t *ranges = fdt_getprop(w->fdt, bus, "ranges", &len);
        size_t entry, off;
        bool found = false;

        if (ranges == NULL) {
            return false;
        }
        if (len == 0) {
            continue;
        }
        if (ca < 1 || ca > 2 || pa < 1 || pa > 2 || sc < 1 || sc > 2) {
            return false;
        }
        entry = (size_t)(ca + pa + sc) * 4;
        for (off = 0; !found && off + entry <= (size_t)len; off += entry) {
            uint64_t child, par, size;

            inv_cells_value(ranges + off, ca, &child);
            inv_cells_value(ranges + off + (size_t)ca * 4, pa, &par);
            inv_cells_value(ranges + off + (size_t)(ca + pa) * 4, sc, &size);
            if (*addr >= child && *addr - child < size) {
                *addr = par + (*addr - child);
                found = true;
            }
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

/* First reg window, in the cells of the node's parent bus. */
static void inv_reg(const struct inv_walk *w, int node, struct us_dev_info *dev)
{
    int bus = w->bus[w->depth - 1], len;
    int ac = fdt_address_cells(w->fdt, bus), sc = fdt_size_cells(w->fdt, bus);
    const uint8_t *reg = fdt_getprop(w->fdt, node, "reg", &len);
    uint64_t base, size;

    if (reg == NULL || ac < 1 || ac > 2 || sc < 0 || sc > 2 || len < (ac + sc) * 4) {
        return;
    }
    inv_cells_value(reg, ac, &base);
    inv_cells_value(reg + (size_t)ac * 4, sc, &size);
    if (inv_translate(w, &base)) {
        dev->base = base;
        dev->size = size;
    }
}

/* The node @phandle names. libfdt searches the whole blob for it, and nearly every device
 * names the same controller: the last answer is kept. */
static int inv_phandle(struct inv_walk *w, uint32_t phandle)
{
    if (!w->ic_known || w->ic_phandle != phandle) {
        w->ic_known = true;
        w->ic_phandle = phandle;
        w->ic_node = fdt_node_offset_by_phandle(w->fdt, phandle);
    }
    return w->ic_node;
}

/* The node's interrupt parent: "interrupt-parent" on it or its nearest ancestor, from the
 * walk's stack of buses (libfdt's fdt_parent_offset() scans the blob from its start). */
static int inv_interrupt_parent(struct inv_walk *w, int node)
{
    const uint8_t *ph;
    uint32_t d = w->depth;
    int len;

    while ((ph = fdt_getprop(w->fdt, node, "interrupt-parent", &len)) == NULL) {
        if (d == 0) {
            return -FDT_ERR_NOTFOUND;
        }
        node = w->bus[--d];
    }
    return len == 4 ? inv_phandle(w, inv_be32(ph)) : -FDT_ERR_BADVALUE;
}

/* First interrupt as a GIC INTID; anything not a GIC SPI or PPI is US_INVALID_IRQ. */
static uint32_t inv_irq(struct inv_walk *w, int node)
{
    const void *fdt = w->fdt;
    const uint8_t *spec, *cells_prop;
    int len, ic, cells_len;
    uint32_t cells, type, n;

    spec = fdt_getprop(fdt, node, "interrupts", &len);
    if (spec != NULL) {
        ic = inv_interrupt_parent(w, node);
    } else {
        spec = fdt_getprop(fdt, node, "interrupts-extended", &len);
        if (spec == NULL || len < 4) {
            return US_INVALID_IRQ;
        }
        ic = inv_phandle(w, inv_be32(spec));
        spec += 4;
        len -= 4;
    }
    if (ic < 0 || !inv_is_gic(fdt, ic)) {
        return US_INVALID_IRQ;
    }
    cells_prop = fdt_getprop(fdt, ic, "#interrupt-cells", &cells_len);
    if (cells_prop == NULL || cells_len != 4) {
        return US_INVALID_IRQ;
    }
    cells = inv_be32(cells_prop);
    if (cells < 3 || cells > 4 || (size_t)len < cells * 4u) {
        return US_INVALID_IRQ;
    }
    type = inv_be32(spec);
    n = inv_be32(spec + 4);
    if (type == INV_GIC_SPI && n < INV_SPI_COUNT) {
        return INV_SPI_BASE + n;
    }
    if (type == INV_GIC_PPI && n < INV_PPI_COUNT) {
        return INV_PPI_BASE + n;
    }
    return US_INVALID_IRQ;
}

static uint32_t inv_owner(const void *fdt, int node, const struct us_dev_info *dev)
{
    if (inv_is_gic(fdt, node) ||
        inv_is_compatible(fdt, node, inv_timer_compat,
                          sizeof(inv_timer_compat) / sizeof(inv_timer_compat[0]))) {
        return US_DEV_OWNER_HYP;
    }
    if (dev->base == DEVMGR_HYP_UART_BASE &&
        fdt_node_check_compatible(fdt, node, "arm,pl011") == 0) {
        return US_DEV_OWNER_HYP;
    }
    if (dev->base == DEVMGR_HYP_NIC_BASE &&
        fdt_node_check_compatible(fdt, node, "virtio,mmio") == 0) {
        return US_DEV_OWNER_HYP; /* granted to the vmm by the boot manifest */
    }
    return US_DEV_OWNER_NONE;
}

/* Copy at most dst_size - 1 bytes of src[len] and terminate. */
static void inv_copy_str(char *dst, size_t dst_size, const char *src, size_t len)
{
    if (len >= dst_size) {
        len = dst_size - 1;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* Record @node if it is a device. */
static us_err_t inv_add(struct inv_walk *w, int node)
{
    const char *compat, *name, *nul;
    struct us_dev_info *dev;
    int clen, nlen;

    compat = fdt_getprop(w->fdt, node, "compatible", &clen);
    if (compat == NULL || clen <= 0) {
        return US_OK;
    }
    if (fdt_getprop(w->fdt, node, "reg", NULL) == NULL &&
        fdt_getprop(w->fdt, node, "interrupts", NULL) == NULL &&
        fdt_getprop(w->fdt, node, "interrupts-extended", NULL) == NULL) {
        return US_OK;
    }
    /* A compatible that does not start with a terminated, non-empty string names nothing. */
    nul = memchr(compat, '\0', (size_t)clen);
    if (nul == NULL || nul == compat) {
        return US_OK;
    }
    name = fdt_get_name(w->fdt, node, &nlen);
    if (name == NULL || nlen < 0) {
        return US_ECORRUPT;
    }
    if (w->count == w->max) {
        return US_ENOMEM;
    }
    dev = &w->devs[w->count];
    memset(dev, 0, sizeof(*dev));
    inv_copy_str(dev->name, sizeof(dev->name), name, (size_t)nlen);
    inv_copy_str(dev->compat, sizeof(dev->compat), compat, (size_t)(nul - compat));
    inv_reg(w, node, dev);
    dev->irq = inv_irq(w, node);
    dev->owner = inv_owner(w->fdt, node, dev);
    w->count++;
    return US_OK;
}

/* Record every device on @bus, descending into simple-bus children. */
static us_err_t inv_walk_bus(struct inv_walk *w, int bus)
{
    int node;
    us_err_t err = US_OK;

    w->bus[w->depth++] = bus;
    fdt_for_each_subnode(node, w->fdt, bus)
    {
        err = inv_add(w, node);
        if (err == US_OK && w->depth <= DEVMGR_BUS_DEPTH &&
            fdt_node_check_compatible(w->fdt, node, "simple-bus") == 0) {
            err = inv_walk_bus(w, node);
        }
        if (err != US_OK) {
            goto out_pop;
        }
    }
    if (node != -FDT_ERR_NOTFOUND) {
        err = US_ECORRUPT;
    }
out_pop:
    w->depth--;
    return err;
}

us_err_t devmgr_inventory_scan(const void *dtb, size_t len, struct us_dev_info *devs, uint32_t max,
                               uint32_t *count)
{
    struct inv_walk w;
    us_err_t err;

    if (count == NULL) {
        return US_EINVAL;
    }
    *count = 0;
    if (dtb == NULL || (devs == NULL && max > 0)) {
        return US_EINVAL;
    }
    err = us_fdt_check_blob(dtb, len);
    if (err != US_OK) {
        return err;
    }

    memset(&w, 0, sizeof(w));
    w.fdt = dtb;
    w.devs = devs;
    w.max = max;
    err = inv_walk_bus(&w, 0);
    *count = w.count;
    return err;
}
