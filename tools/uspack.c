/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* uspack: builds and checks boot bundles and compiles text manifests (see usage()). */
#include "uspack.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <understudy/bundle.h>
#include <understudy/manifest.h>
#include <uslib/bundle_parse.h>
#include <uslib/manifest_parse.h>
#include <uslib/sha256.h>

#define ELF_MACHINE_AARCH64 183u
#define ELF_MACHINE_X86_64 62u
#define FDT_MAGIC 0xd00dfeedu
#define ARM64_IMAGE_MAGIC_OFFSET 0x38u

/* One component to pack: either a file or bytes already in memory. */
struct pack_item {
    char name[US_BUNDLE_NAME_LEN];
    uint32_t type;
    const char *path; /* NULL for the compiled manifest */
    uint8_t *data;
    size_t size;
};

struct pack_job {
    const char *out_path;
    const char *manifest_path;
    uint32_t machine; /* the servers' ELF machine: --arch */
    uint32_t item_count;
    struct pack_item items[US_BUNDLE_MAX_ENTRIES];
};

static void usage(void)
{
    fputs("usage: uspack bundle -o OUT --manifest MANIFEST.txt [--server NAME=ELF]...\n"
          "                     [--config DTB] [--guest NAME=IMAGE]... [--initrd NAME=FILE]...\n"
          "                     [--blob NAME=FILE]... [--arch aarch64|x86_64]\n"
          "       uspack check BUNDLE\n"
          "       uspack manifest MANIFEST.txt OUT.bin\n",
          stderr);
}

us_err_t uspack_read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t size = 0;
    size_t cap = 0;
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "uspack: %s: cannot open\n", path);
        return US_ENOENT;
    }
    do {
        if (size == cap) {
            uint8_t *bigger;

            cap = cap == 0 ? 65536 : cap * 2;
            /* malloc alignment covers the 8 bytes bundle_parse wants. */
            bigger = realloc(buf, cap);
            if (bigger == NULL) {
                free(buf);
                fclose(f);
                fprintf(stderr, "uspack: %s: out of memory\n", path);
                return US_ENOMEM;
            }
            buf = bigger;
        }
        n = fread(buf + size, 1, cap - size, f);
        size += n;
    } while (n > 0);
    if (ferror(f)) {
        free(buf);
        fclose(f);
        fprintf(stderr, "uspack: %s: read error\n", path);
        return US_ENOENT;
    }
    fclose(f);
    *out = buf;
    *len = size;
    return US_OK;
}

static us_err_t write_file(const char *path, const uint8_t *buf, size_t len)
{
    char tmp[4096];
    FILE *f;
    bool ok;

    /* Write then rename, so a failed run never leaves a half-written bundle behind. */
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        fprintf(stderr, "uspack: %s: path too long\n", path);
        return US_EINVAL;
    }
    f = fopen(tmp, "wb");
    if (f == NULL) {
        fprintf(stderr, "uspack: %s: cannot create\n", tmp);
        return US_ENOENT;
    }
    ok = fwrite(buf, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        fprintf(stderr, "uspack: %s: write failed\n", path);
        return US_ENOENT;
    }
    return US_OK;
}

static us_err_t add_item(struct pack_job *job, const char *name, size_t name_len, uint32_t type,
                         const char *path)
{
    struct pack_item *it;
    uint32_t i;

    if (job->item_count >= US_BUNDLE_MAX_ENTRIES) {
        fprintf(stderr, "uspack: more than %u components\n", US_BUNDLE_MAX_ENTRIES);
        return US_ERANGE;
    }
    if (name_len == 0 || name_len >= US_BUNDLE_NAME_LEN) {
        fprintf(stderr, "uspack: component name '%.*s' must be 1..%u characters\n", (int)name_len,
                name, US_BUNDLE_NAME_LEN - 1);
        return US_EINVAL;
    }
    for (i = 0; i < job->item_count; i++) {
        if (strlen(job->items[i].name) == name_len &&
            memcmp(job->items[i].name, name, name_len) == 0) {
            fprintf(stderr, "uspack: component name '%.*s' given twice\n", (int)name_len, name);
            return US_EEXIST;
        }
    }
    it = &job->items[job->item_count++];
    memcpy(it->name, name, name_len);
    it->type = type;
    it->path = path;
    return US_OK;
}

/* "NAME=PATH" as given to --server, --guest, --initrd and --blob. */
static us_err_t add_named_item(struct pack_job *job, const char *opt, const char *arg,
                               uint32_t type)
{
    const char *eq = arg != NULL ? strchr(arg, '=') : NULL;

    if (eq == NULL || eq[1] == '\0') {
        fprintf(stderr, "uspack: %s wants NAME=PATH\n", opt);
        return US_EINVAL;
    }
    return add_item(job, arg, (size_t)(eq - arg), type, eq + 1);
}

static uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Cheap sanity checks that catch a wrong file passed to an option. */
static us_err_t check_item_format(const struct pack_job *job, const struct pack_item *it)
{
    const uint8_t *d = it->data;

    if (it->type == US_BUNDLE_SERVER) {
        /* ELF header: ident, EI_CLASS = ELFCLASS64, EI_DATA = little endian, e_machine. */
        if (it->size < 64 || memcmp(d, "\177ELF", 4) != 0 || d[4] != 2 || d[5] != 1 ||
            (uint32_t)(d[18] | (d[19] << 8)) != job->machine) {
            fprintf(stderr, "uspack: %s: server '%s' is not an ELF64 %s file\n", it->path, it->name,
                    job->machine == ELF_MACHINE_X86_64 ? "x86_64" : "aarch64");
            return US_EINVAL;
        }
    } else if (it->type == US_BUNDLE_CONFIG) {
        if (it->size < 4 || load_be32(d) != FDT_MAGIC) {
            fprintf(stderr, "uspack: %s: config is not a DTB\n", it->path);
            return US_EINVAL;
        }
    } else if (it->type == US_BUNDLE_GUEST_KERNEL && job->machine == ELF_MACHINE_X86_64) {
        /* An x86_64 guest is a flat image for now (vmm_image_pc.c): anything but empty. */
        if (it->size == 0) {
            fprintf(stderr, "uspack: %s: guest '%s' is empty\n", it->path, it->name);
            return US_EINVAL;
        }
    } else if (it->type == US_BUNDLE_GUEST_KERNEL) {
        if (it->size < ARM64_IMAGE_MAGIC_OFFSET + 4 ||
            memcmp(d + ARM64_IMAGE_MAGIC_OFFSET, "ARM\x64", 4) != 0) {
            fprintf(stderr,
                    "uspack: %s: guest '%s' is not an arm64 Image (no \"ARM\\x64\" magic)\n",
                    it->path, it->name);
            return US_EINVAL;
        }
    }
    return US_OK;
}

static bool job_has_entry(const void *ctx, uint32_t type, const char *name)
{
    const struct pack_job *job = ctx;

    for (uint32_t i = 0; i < job->item_count; i++) {
        if (job->items[i].type == type && strcmp(job->items[i].name, name) == 0) {
            return true;
        }
    }
    return false;
}

/* The configuration, if one is packed, against the rest of the bundle. */
static us_err_t check_config(const struct pack_job *job)
{
    for (uint32_t i = 1; i < job->item_count; i++) {
        if (job->items[i].type == US_BUNDLE_CONFIG) {
            return uspack_config_check(job->items[i].data, job->items[i].size, job->items[0].data,
                                       job_has_entry, job);
        }
    }
    return US_OK;
}

/* Every image the manifest starts must be packed as a server. */
static us_err_t check_manifest_images(const struct pack_job *job, const uint8_t *man)
{
    const struct us_manifest_hdr *hdr = (const struct us_manifest_hdr *)(const void *)man;
    const struct us_manifest_server *s =
        (const struct us_manifest_server *)(const void *)(man + sizeof(*hdr));
    us_err_t err = US_OK;
    uint32_t i, j;

    for (i = 0; i < hdr->server_count; i++) {
        bool found = false;

        for (j = 0; j < job->item_count; j++) {
            found = found || (job->items[j].type == US_BUNDLE_SERVER &&
                              strcmp(job->items[j].name, s[i].image) == 0);
        }
        if (!found) {
            fprintf(stderr, "uspack: %s: server '%s' needs image '%s': pass --server %s=ELF\n",
                    job->manifest_path, s[i].name, s[i].image, s[i].image);
            err = US_ENOENT;
        }
    }
    return err;
}

static uint64_t align_up(uint64_t v)
{
    return (v + US_BUNDLE_ALIGN - 1u) & ~(uint64_t)(US_BUNDLE_ALIGN - 1u);
}

/* Lay out, hash and self-check the bundle; *out is malloc'd. */
static us_err_t assemble(const struct pack_job *job, uint8_t **out, size_t *out_len)
{
    struct us_bundle_hdr *hdr;
    struct us_bundle_entry *tab;
    struct bundle_parse_diag diag;
    uint64_t off = align_up(sizeof(*hdr) + job->item_count * sizeof(*tab));
    uint64_t total;
    uint8_t *buf;
    uint32_t i;
    us_err_t err;

    for (i = 0; i < job->item_count; i++) {
        off = align_up(off + job->items[i].size);
    }
    total = off;
    buf = calloc(1, (size_t)total);
    if (buf == NULL) {
        fprintf(stderr, "uspack: out of memory\n");
        return US_ENOMEM;
    }
    hdr = (struct us_bundle_hdr *)(void *)buf;
    tab = (struct us_bundle_entry *)(void *)(buf + sizeof(*hdr));
    memcpy(hdr->magic, US_BUNDLE_MAGIC, sizeof(hdr->magic));
    hdr->abi_revision = US_ABI_REVISION;
    hdr->entry_count = job->item_count;
    hdr->total_size = total;
    off = align_up(sizeof(*hdr) + job->item_count * sizeof(*tab));
    for (i = 0; i < job->item_count; i++) {
        const struct pack_item *it = &job->items[i];

        memcpy(tab[i].name, it->name, sizeof(tab[i].name));
        tab[i].type = it->type;
        tab[i].offset = off;
        tab[i].size = it->size;
        if (it->size > 0) {
            memcpy(buf + off, it->data, it->size);
        }
        sha256(it->data, it->size, tab[i].sha256);
        off = align_up(off + it->size);
    }
    sha256(tab, job->item_count * sizeof(*tab), hdr->table_sha256);
    err = bundle_parse_check_diag(buf, total, true, &diag);
    if (err != US_OK) {
        fprintf(stderr, "uspack: internal error: built bundle fails its check: %s\n", diag.why);
        free(buf);
        return err;
    }
    *out = buf;
    *out_len = (size_t)total;
    return US_OK;
}

static us_err_t parse_bundle_args(struct pack_job *job, int argc, char **argv)
{
    us_err_t err = US_OK;
    int i;

    for (i = 2; i < argc && err == US_OK; i++) {
        const char *opt = argv[i];
        const char *arg = i + 1 < argc ? argv[i + 1] : NULL;

        if (arg == NULL) {
            fprintf(stderr, "uspack: %s needs an argument\n", opt);
            return US_EINVAL;
        }
        i++;
        if (strcmp(opt, "-o") == 0) {
            job->out_path = arg;
        } else if (strcmp(opt, "--manifest") == 0) {
            job->manifest_path = arg;
        } else if (strcmp(opt, "--config") == 0) {
            err = add_item(job, "config", strlen("config"), US_BUNDLE_CONFIG, arg);
        } else if (strcmp(opt, "--server") == 0) {
            err = add_named_item(job, opt, arg, US_BUNDLE_SERVER);
        } else if (strcmp(opt, "--guest") == 0) {
            err = add_named_item(job, opt, arg, US_BUNDLE_GUEST_KERNEL);
        } else if (strcmp(opt, "--initrd") == 0) {
            err = add_named_item(job, opt, arg, US_BUNDLE_GUEST_INITRD);
        } else if (strcmp(opt, "--blob") == 0) {
            err = add_named_item(job, opt, arg, US_BUNDLE_BLOB);
        } else if (strcmp(opt, "--arch") == 0 &&
                   (strcmp(arg, "aarch64") == 0 || strcmp(arg, "x86_64") == 0)) {
            job->machine = strcmp(arg, "x86_64") == 0 ? ELF_MACHINE_X86_64 : ELF_MACHINE_AARCH64;
        } else if (strcmp(opt, "--arch") == 0) {
            fprintf(stderr, "uspack: --arch: '%s' is neither aarch64 nor x86_64\n", arg);
            return US_EINVAL;
        } else {
            fprintf(stderr, "uspack: unknown option '%s'\n", opt);
            return US_EINVAL;
        }
    }
    if (err == US_OK && (job->out_path == NULL || job->manifest_path == NULL)) {
        fprintf(stderr, "uspack: bundle needs -o OUT and --manifest FILE\n");
        err = US_EINVAL;
    }
    return err;
}

static int cmd_bundle(int argc, char **argv)
{
    struct pack_job *job = calloc(1, sizeof(*job));
    uint8_t *bundle = NULL;
    size_t bundle_len = 0;
    us_err_t err;
    uint32_t i;

    if (job == NULL) {
        return 1;
    }
    job->machine = ELF_MACHINE_AARCH64;
    /* The manifest is entry 0 so a reader finds it first. */
    err = add_item(job, "manifest", strlen("manifest"), US_BUNDLE_MANIFEST, NULL);
    if (err == US_OK) {
        err = parse_bundle_args(job, argc, argv);
    }
    if (err == US_OK) {
        err = uspack_manifest_compile(job->manifest_path, &job->items[0].data, &job->items[0].size);
    }
    for (i = 1; i < job->item_count && err == US_OK; i++) {
        err = uspack_read_file(job->items[i].path, &job->items[i].data, &job->items[i].size);
        if (err == US_OK) {
            err = check_item_format(job, &job->items[i]);
        }
    }
    if (err == US_OK) {
        err = check_manifest_images(job, job->items[0].data);
    }
    if (err == US_OK) {
        err = check_config(job);
    }
    if (err == US_OK) {
        err = assemble(job, &bundle, &bundle_len);
    }
    if (err == US_OK) {
        err = write_file(job->out_path, bundle, bundle_len);
    }
    free(bundle);
    for (i = 0; i < job->item_count; i++) {
        free(job->items[i].data);
    }
    free(job);
    return err == US_OK ? 0 : 1;
}

static void print_entry(uint32_t i, const struct us_bundle_entry *e)
{
    unsigned j;

    printf("%3u  %-31s %-12s 0x%08llx %10llu  ", i, e->name, bundle_parse_type_name(e->type),
           (unsigned long long)e->offset, (unsigned long long)e->size);
    for (j = 0; j < 8; j++) {
        printf("%02x", e->sha256[j]);
    }
    printf("...\n");
}

/* The manifest inside a checked bundle: valid, and every image present as a server entry. */
static us_err_t check_bundled_manifest(const char *path, const uint8_t *buf, size_t len)
{
    const struct us_bundle_entry *me;
    const struct us_bundle_entry *img;
    const struct us_manifest_server *s;
    struct manifest_parse_diag diag;
    uint32_t i, count;
    us_err_t err;

    if (bundle_parse_find(buf, len, "manifest", &me) != US_OK || me->type != US_BUNDLE_MANIFEST) {
        fprintf(stderr, "uspack: %s: no entry 'manifest' of type manifest\n", path);
        return US_ENOENT;
    }
    err = manifest_parse_check_diag(bundle_parse_data(buf, me), me->size, &diag);
    if (err != US_OK) {
        fprintf(stderr, "uspack: %s: manifest: server %d cap %d: %s (%s)\n", path, (int)diag.server,
                (int)diag.cap, diag.why, us_err_name(err));
        return err;
    }
    count = ((const struct us_manifest_hdr *)bundle_parse_data(buf, me))->server_count;
    for (i = 0; i < count; i++) {
        manifest_parse_server(bundle_parse_data(buf, me), me->size, i, &s);
        printf("server %u %-15s image %-15s priority %3u state %u heap %u caps %u\n", i, s->name,
               s->image, s->priority, s->state_pages, s->heap_pages, s->cap_count);
        if (bundle_parse_find(buf, len, s->image, &img) != US_OK || img->type != US_BUNDLE_SERVER) {
            fprintf(stderr, "uspack: %s: server '%s' image '%s' is not a server entry\n", path,
                    s->name, s->image);
            return US_ENOENT;
        }
    }
    return US_OK;
}

static int cmd_check(const char *path)
{
    struct bundle_parse_diag diag;
    const struct us_bundle_entry *e;
    uint8_t *buf;
    size_t len;
    uint32_t i, count;
    us_err_t err;

    if (uspack_read_file(path, &buf, &len) != US_OK) {
        return 1;
    }
    err = bundle_parse_check_diag(buf, len, true, &diag);
    if (err != US_OK) {
        if (diag.entry != UINT32_MAX) {
            fprintf(stderr, "uspack: %s: entry %u: %s (%s)\n", path, diag.entry, diag.why,
                    us_err_name(err));
        } else {
            fprintf(stderr, "uspack: %s: %s (%s)\n", path, diag.why, us_err_name(err));
        }
        free(buf);
        return 1;
    }
    count = ((const struct us_bundle_hdr *)(const void *)buf)->entry_count;
    printf("%s: abi %u, %u entries, %llu bytes, hashes ok\n", path, US_ABI_REVISION, count,
           (unsigned long long)((const struct us_bundle_hdr *)(const void *)buf)->total_size);
    printf("%3s  %-31s %-12s %10s %10s  %s\n", "#", "name", "type", "offset", "size", "sha256");
    for (i = 0; i < count; i++) {
        bundle_parse_entry(buf, len, i, &e);
        print_entry(i, e);
    }
    err = check_bundled_manifest(path, buf, len);
    free(buf);
    return err == US_OK ? 0 : 1;
}

static int cmd_manifest(const char *in, const char *out)
{
    uint8_t *buf;
    size_t len;
    us_err_t err = uspack_manifest_compile(in, &buf, &len);

    if (err != US_OK) {
        return 1;
    }
    err = write_file(out, buf, len);
    free(buf);
    return err == US_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "bundle") == 0) {
        return cmd_bundle(argc, argv);
    }
    if (argc == 3 && strcmp(argv[1], "check") == 0) {
        return cmd_check(argv[2]);
    }
    if (argc == 4 && strcmp(argv[1], "manifest") == 0) {
        return cmd_manifest(argv[2], argv[3]);
    }
    usage();
    return 2;
}
