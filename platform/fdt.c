/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The kernel's boot-time reading of the platform device tree, on top of libfdt. */
#include <libfdt.h>
#include <us/platform.h>

static uint64_t read_cells(const fdt32_t *p, int cells)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < cells; i++) {
        v = (v << 32) | fdt32_to_cpu(p[i]);
    }
    return v;
}

static us_err_t parse_memory(const void *fdt, struct plat_boot_info *out)
{
    int ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0);
    int node, len;
    const fdt32_t *reg;

    if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
        return US_ECORRUPT;
    }
    node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", sizeof("memory"));
    if (node < 0) {
        return US_ENOENT;
    }
    reg = fdt_getprop(fdt, node, "reg", &len);
    if (reg == NULL || len < (ac + sc) * 4) {
        return US_ECORRUPT;
    }
    out->ram_base = pa_init(read_cells(reg, ac));
    out->ram_size = read_cells(reg + ac, sc);
    return US_OK;
}

static us_err_t parse_chosen(const void *fdt, struct plat_boot_info *out)
{
    int node = fdt_path_offset(fdt, "/chosen"), len1, len2;
    const fdt32_t *s, *e;
    uint64_t start, end;

    if (node < 0) {
        return US_ENOENT;
    }
    s = fdt_getprop(fdt, node, "linux,initrd-start", &len1);
    e = fdt_getprop(fdt, node, "linux,initrd-end", &len2);
    if (s == NULL || e == NULL) {
        return US_ENOENT;
    }
    if ((len1 != 4 && len1 != 8) || (len2 != 4 && len2 != 8)) {
        return US_ECORRUPT;
    }
    start = read_cells(s, len1 / 4);
    end = read_cells(e, len2 / 4);
    if (end <= start) {
        return US_ECORRUPT;
    }
    out->initrd = pa_init(start);
    out->initrd_size = end - start;
    return US_OK;
}

/* A cpu node's reg: its MPIDR affinity fields, in one or two cells. */
static uint64_t cpu_affinity(const void *fdt, int node)
{
    int len;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

    if (reg == NULL || len < 4) {
        return 0;
    }
    return len >= 8 ? ((uint64_t)fdt32_to_cpu(reg[0]) << 32) | fdt32_to_cpu(reg[1])
                    : fdt32_to_cpu(reg[0]);
}

us_err_t plat_boot_parse(paddr_t dtb, struct plat_boot_info *out)
{
    const void *fdt = pa_ptr(dtb);
    int cpus, node, i, n;
    us_err_t e;

    if (fdt_check_header(fdt) != 0) {
        return US_ECORRUPT;
    }
    out->dtb = dtb;
    out->dtb_size = fdt_totalsize(fdt);
    e = parse_memory(fdt, out);
    if (e != US_OK) {
        return e;
    }
    e = parse_chosen(fdt, out);
    if (e != US_OK) {
        return e;
    }
    out->cpu_count = 0;
    cpus = fdt_path_offset(fdt, "/cpus");
    if (cpus >= 0) {
        fdt_for_each_subnode(node, fdt, cpus)
        {
            const char *t = fdt_getprop(fdt, node, "device_type", NULL);
            if (t != NULL && t[0] == 'c' && t[1] == 'p' && t[2] == 'u' && t[3] == '\0' &&
                out->cpu_count < PLAT_MAX_CPUS) {
                out->mpidr[out->cpu_count++] = cpu_affinity(fdt, node);
            }
        }
    }
    if (out->cpu_count == 0) {
        out->cpu_count = 1;
        out->mpidr[0] = 0;
    }
    n = fdt_num_mem_rsv(fdt);
    out->rsv_count = 0;
    for (i = 0; i < n && out->rsv_count < 8; i++) {
        uint64_t a, s;
        if (fdt_get_mem_rsv(fdt, i, &a, &s) == 0 && s != 0) {
            out->rsv_base[out->rsv_count] = pa_init(a);
            out->rsv_size[out->rsv_count] = s;
            out->rsv_count++;
        }
    }
    return US_OK;
}
