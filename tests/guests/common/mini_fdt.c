/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Minimal FDT structure-block walker: enough to find /chosen/bootargs and /memory. */
#include "mini_fdt.h"

#include <stddef.h>

/* Devicetree Specification v0.4, section 5.2 (header) and 5.4 (structure tokens). */
#define FDT_MAGIC 0xd00dfeedu
#define FDT_HDR_SIZE 40u
#define FDT_MIN_VERSION 17u
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u

#define MINI_FDT_MAX_DEPTH 8u

struct path_comp {
    const char *name;
    uint32_t len;
};

/* Callers only pass 4-byte aligned offsets into a 4-byte aligned blob. */
static uint32_t be32_at(const uint8_t *p)
{
    return __builtin_bswap32(*(const uint32_t *)(const void *)p);
}

static uint32_t align4(uint32_t v)
{
    return (v + 3u) & ~3u;
}

/* Returns: the length of the NUL-terminated string at @s, or @max if none within @max. */
static uint32_t bounded_strlen(const uint8_t *s, uint32_t max)
{
    uint32_t n = 0;

    while (n < max && s[n] != '\0') {
        n++;
    }
    return n;
}

bool mini_fdt_open(struct mini_fdt *fdt, uint64_t addr)
{
    const uint8_t *hdr = (const uint8_t *)(uintptr_t)addr;
    uint32_t total;
    uint32_t off_struct;
    uint32_t off_strings;
    uint32_t size_strings;
    uint32_t size_struct;

    if (addr == 0 || (addr & 3u) != 0 || be32_at(hdr) != FDT_MAGIC) {
        return false;
    }
    total = be32_at(hdr + 4);
    off_struct = be32_at(hdr + 8);
    off_strings = be32_at(hdr + 12);
    size_strings = be32_at(hdr + 32);
    size_struct = be32_at(hdr + 36);
    if (be32_at(hdr + 20) < FDT_MIN_VERSION || total < FDT_HDR_SIZE || (off_struct & 3u) != 0) {
        return false;
    }
    if ((uint64_t)off_struct + size_struct > total ||
        (uint64_t)off_strings + size_strings > total) {
        return false;
    }
    fdt->structs = hdr + off_struct;
    fdt->structs_size = size_struct & ~3u;
    fdt->strings = hdr + off_strings;
    fdt->strings_size = size_strings;
    return true;
}

/* Split @path into components. Returns: the count, or -1 if there are too many. */
static int split_path(const char *path, struct path_comp comps[MINI_FDT_MAX_DEPTH])
{
    int count = 0;

    while (*path != '\0') {
        while (*path == '/') {
            path++;
        }
        if (*path == '\0') {
            break;
        }
        if ((uint32_t)count == MINI_FDT_MAX_DEPTH) {
            return -1;
        }
        comps[count].name = path;
        comps[count].len = 0;
        while (*path != '\0' && *path != '/') {
            comps[count].len++;
            path++;
        }
        count++;
    }
    return count;
}

static bool name_matches(const uint8_t *node, uint32_t node_len, const struct path_comp *c)
{
    bool has_unit = false;

    for (uint32_t i = 0; i < c->len; i++) {
        if (c->name[i] == '@') {
            has_unit = true;
        }
    }
    if (node_len < c->len) {
        return false;
    }
    for (uint32_t i = 0; i < c->len; i++) {
        if (node[i] != (uint8_t)c->name[i]) {
            return false;
        }
    }
    return node_len == c->len || (!has_unit && node[c->len] == '@');
}

static bool string_is(const struct mini_fdt *fdt, uint32_t off, const char *name)
{
    uint32_t i = 0;

    if (off >= fdt->strings_size) {
        return false;
    }
    for (; off + i < fdt->strings_size; i++) {
        if (fdt->strings[off + i] != (uint8_t)name[i]) {
            return false;
        }
        if (name[i] == '\0') {
            return true;
        }
    }
    return false;
}

const uint8_t *mini_fdt_prop(const struct mini_fdt *fdt, const char *path, const char *name,
                             uint32_t *len)
{
    struct path_comp comps[MINI_FDT_MAX_DEPTH];
    int comp_count = split_path(path, comps);
    uint32_t want;
    uint32_t off = 0;
    uint32_t depth = 0;   /* nodes currently open; the root is depth 1 */
    uint32_t matched = 0; /* leading path components matched by the open nodes */

    if (comp_count < 0) {
        return NULL;
    }
    want = (uint32_t)comp_count;
    while (off + 4u <= fdt->structs_size) {
        uint32_t tok = be32_at(fdt->structs + off);

        off += 4u;
        switch (tok) {
        case FDT_BEGIN_NODE: {
            const uint8_t *node = fdt->structs + off;
            uint32_t node_len = bounded_strlen(node, fdt->structs_size - off);

            if (node_len == fdt->structs_size - off) {
                return NULL;
            }
            off += align4(node_len + 1u);
            depth++;
            /* A node can only extend the match if its parent chain matched so far. */
            if (depth >= 2u && matched == depth - 2u && matched < want &&
                name_matches(node, node_len, &comps[matched])) {
                matched++;
            }
            break;
        }
        case FDT_END_NODE:
            if (depth == 0) {
                return NULL;
            }
            if (depth >= 2u && matched == depth - 1u) {
                matched--;
            }
            depth--;
            if (depth == 0) {
                return NULL;
            }
            break;
        case FDT_PROP: {
            uint32_t plen;
            uint32_t nameoff;

            if (off + 8u > fdt->structs_size) {
                return NULL;
            }
            plen = be32_at(fdt->structs + off);
            nameoff = be32_at(fdt->structs + off + 4u);
            off += 8u;
            if (plen > fdt->structs_size - off) {
                return NULL;
            }
            if (depth == want + 1u && matched == want && string_is(fdt, nameoff, name)) {
                *len = plen;
                return fdt->structs + off;
            }
            off += align4(plen);
            break;
        }
        case FDT_NOP:
            break;
        case FDT_END:
            return NULL;
        default:
            return NULL;
        }
    }
    return NULL;
}

const char *mini_fdt_bootargs(const struct mini_fdt *fdt)
{
    uint32_t len = 0;
    const uint8_t *v = mini_fdt_prop(fdt, "/chosen", "bootargs", &len);

    if (v == NULL || len == 0 || bounded_strlen(v, len) == len) {
        return NULL;
    }
    return (const char *)v;
}

static uint32_t root_cells(const struct mini_fdt *fdt, const char *name, uint32_t dflt)
{
    uint32_t len = 0;
    const uint8_t *v = mini_fdt_prop(fdt, "/", name, &len);

    return (v != NULL && len == 4u) ? be32_at(v) : dflt;
}

/* Read @cells (1 or 2) big-endian cells at @p. */
static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
    uint64_t v = 0;

    for (uint32_t i = 0; i < cells; i++) {
        v = (v << 32) | be32_at(p + 4u * i);
    }
    return v;
}

bool mini_fdt_memory(const struct mini_fdt *fdt, uint64_t *base, uint64_t *size)
{
    /* Devicetree Specification section 2.3.5: defaults are 2 address and 1 size cell. */
    uint32_t acells = root_cells(fdt, "#address-cells", 2u);
    uint32_t scells = root_cells(fdt, "#size-cells", 1u);
    uint32_t len = 0;
    const uint8_t *reg;

    if (acells < 1u || acells > 2u || scells < 1u || scells > 2u) {
        return false;
    }
    reg = mini_fdt_prop(fdt, "/memory", "reg", &len);
    if (reg == NULL || len < 4u * (acells + scells)) {
        return false;
    }
    *base = read_cells(reg, acells);
    *size = read_cells(reg + 4u * acells, scells);
    return true;
}
