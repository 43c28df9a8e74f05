/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests of the system configuration parser: the shipped configs and hostile blobs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <libfdt.h>
#include "ut.h"
#include "vmm_config.h"

#ifndef US_CONFIG_DTB_DIR
#error "US_CONFIG_DTB_DIR must name the directory of the dtc-compiled boot/configs"
#endif

#define BUF_SIZE 16384

/* Abort on a libfdt failure while building a test blob: that is a bug in the test. */
static void sw_ok(int ret, const char *what)
{
    if (ret != 0) {
        fprintf(stderr, "building test blob: %s: %s\n", what, fdt_strerror(ret));
        abort();
    }
}

static _Alignas(8) char sw_buf[BUF_SIZE];

/* Root node with the standard header properties, then "vms" opened if @with_vms. */
static void *sw_start(int with_vms)
{
    sw_ok(fdt_create(sw_buf, BUF_SIZE), "create");
    sw_ok(fdt_finish_reservemap(sw_buf), "reservemap");
    sw_ok(fdt_begin_node(sw_buf, ""), "root");
    sw_ok(fdt_property_string(sw_buf, "compatible", VMM_CONFIG_COMPATIBLE), "compatible");
    sw_ok(fdt_property_u32(sw_buf, "understudy,abi", US_ABI_REVISION), "abi");
    if (with_vms) {
        sw_ok(fdt_begin_node(sw_buf, "vms"), "vms");
    }
    return sw_buf;
}

static void sw_vm_begin(const char *name)
{
    sw_ok(fdt_begin_node(sw_buf, name), name);
}

/* The properties of a valid VM; a test adds or replaces some by writing its own instead. */
static void sw_vm_props(int skip_memory, int skip_kernel, int skip_devices)
{
    if (!skip_memory) {
        sw_ok(fdt_property_u64(sw_buf, "memory", 16ull << 20), "memory");
    }
    if (!skip_kernel) {
        sw_ok(fdt_property_string(sw_buf, "kernel", "hello"), "kernel");
    }
    if (!skip_devices) {
        sw_ok(fdt_property_string(sw_buf, "devices", "uart"), "devices");
    }
}

static void sw_vm(const char *name)
{
    sw_vm_begin(name);
    sw_vm_props(0, 0, 0);
    sw_ok(fdt_end_node(sw_buf), "end vm");
}

/* Close "vms" (if open) and the root, and return the blob's size. */
static size_t sw_finish(int with_vms)
{
    if (with_vms) {
        sw_ok(fdt_end_node(sw_buf), "end vms");
    }
    sw_ok(fdt_end_node(sw_buf), "end root");
    sw_ok(fdt_finish(sw_buf), "finish");
    return fdt_totalsize(sw_buf);
}

/* A blob with one VM whose extra property is @prop = @val[@len]; replaces the default @prop. */
static size_t sw_one_vm_with(const char *prop, const void *val, int len)
{
    sw_start(1);
    sw_vm_begin("vm0");
    sw_vm_props(strcmp(prop, "memory") == 0, strcmp(prop, "kernel") == 0,
                strcmp(prop, "devices") == 0);
    sw_ok(fdt_property(sw_buf, prop, val, len), prop);
    sw_ok(fdt_end_node(sw_buf), "end vm");
    return sw_finish(1);
}

static us_err_t parse_one_vm_with(const char *prop, const void *val, int len)
{
    struct vmm_config cfg;
    size_t size = sw_one_vm_with(prop, val, len);

    return vmm_config_parse(sw_buf, size, &cfg);
}

static us_err_t parse_one_vm_with_string(const char *prop, const char *s)
{
    return parse_one_vm_with(prop, s, (int)strlen(s) + 1);
}

static us_err_t parse_one_vm_with_u64(const char *prop, uint64_t v)
{
    fdt64_t be = cpu_to_fdt64(v);

    return parse_one_vm_with(prop, &be, sizeof(be));
}

static us_err_t parse_one_vm_with_u32(const char *prop, uint32_t v)
{
    fdt32_t be = cpu_to_fdt32(v);

    return parse_one_vm_with(prop, &be, sizeof(be));
}

/* Load a dtc-compiled config into an 8-byte aligned heap buffer of exactly its size. */
static void *load_dtb(const char *name, size_t *len)
{
    char path[512];
    FILE *f;
    void *buf;
    long n;

    snprintf(path, sizeof(path), "%s/%s.dtb", US_CONFIG_DTB_DIR, name);
    f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "cannot read %s\n", path);
        abort();
    }
    buf = malloc((size_t)n);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        abort();
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/*
 * Parse @len bytes of @blob twice: from an exact-size heap copy (ASan sees any overread by our
 * code or by libc calls inside libfdt) and from a copy ending at a PROT_NONE page (libfdt.a is
 * not instrumented, so its own loads past the end fault instead). Both must agree.
 */
static us_err_t parse_guarded(const void *blob, size_t len, struct vmm_config *out)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t psz = (size_t)page, span = (len + 8 + psz - 1) / psz * psz;
    struct vmm_config cfg2;
    uint8_t *map, *copy, *heap;
    us_err_t e1, e2;

    heap = malloc(len > 0 ? len : 1);
    if (heap == NULL) {
        abort();
    }
    memcpy(heap, blob, len);
    /* malloc is 16-aligned, so the heap copy is as aligned as libfdt requires. */
    e1 = vmm_config_parse(heap, len, out);
    free(heap);

    map = mmap(NULL, span + psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED || mprotect(map + span, psz, PROT_NONE) != 0) {
        abort();
    }
    /* libfdt needs 8-byte alignment: at most 7 bytes of slack before the guard page. */
    copy = map + ((span - len) & ~(size_t)7);
    memcpy(copy, blob, len);
    e2 = vmm_config_parse(copy, len, &cfg2);
    munmap(map, span + psz);
    UT_EXPECT_EQ(e1, e2);
    return e1;
}

/* What any successful parse must satisfy, whatever the input was. */
static void expect_sane(const struct vmm_config *cfg)
{
    uint32_t i;

    UT_EXPECT(cfg->vm_count <= VMM_CONFIG_MAX_VMS);
    for (i = 0; i < cfg->vm_count && i < VMM_CONFIG_MAX_VMS; i++) {
        const struct vmm_vm_config *vm = &cfg->vms[i];
        UT_EXPECT(memchr(vm->name, 0, sizeof(vm->name)) != NULL && vm->name[0] != '\0');
        UT_EXPECT(memchr(vm->kernel, 0, sizeof(vm->kernel)) != NULL && vm->kernel[0] != '\0');
        UT_EXPECT(memchr(vm->initrd, 0, sizeof(vm->initrd)) != NULL);
        UT_EXPECT(memchr(vm->bootargs, 0, sizeof(vm->bootargs)) != NULL);
        UT_EXPECT(vm->mem_size >= VMM_CONFIG_MEM_MIN && vm->mem_size <= VMM_CONFIG_MEM_MAX);
        UT_EXPECT(vm->mem_size % VMM_CONFIG_MEM_GRANULE == 0);
        UT_EXPECT(vm->vcpu_count >= 1 && vm->vcpu_count <= VMM_CONFIG_MAX_VCPUS);
        UT_EXPECT((vm->devices & ~VMM_DEV_ALL) == 0);
    }
}

/* A shipped configuration with one VM: what its fields must be. */
struct one_vm {
    const char *config, *name, *kernel, *initrd, *bootargs_part;
    uint64_t mem;
    uint32_t devices;
};

static void expect_one_vm(const struct one_vm *want)
{
    struct vmm_config cfg;
    size_t len;
    void *blob = load_dtb(want->config, &len);

    UT_EXPECT_EQ(parse_guarded(blob, len, &cfg), US_OK);
    UT_EXPECT_EQ(cfg.vm_count, 1);
    UT_EXPECT(strcmp(cfg.vms[0].name, want->name) == 0);
    UT_EXPECT_EQ(cfg.vms[0].mem_size, want->mem);
    UT_EXPECT_EQ(cfg.vms[0].vcpu_count, 1);
    UT_EXPECT(strcmp(cfg.vms[0].kernel, want->kernel) == 0);
    UT_EXPECT(strcmp(cfg.vms[0].initrd, want->initrd) == 0);
    UT_EXPECT(strstr(cfg.vms[0].bootargs, want->bootargs_part) != NULL);
    UT_EXPECT_EQ(cfg.vms[0].devices, want->devices);
    UT_EXPECT(strcmp(cfg.err_path, "") == 0);
    free(blob);
}

static void config_parses_default(void)
{
    static const struct one_vm want = {"default",
                                       "kvd0",
                                       "linux",
                                       "initramfs",
                                       "understudy.ip=10.0.2.15/24",
                                       192ull << 20,
                                       VMM_DEV_UART | VMM_DEV_VIRTIO_BLK | VMM_DEV_VIRTIO_NET |
                                           VMM_DEV_VIRTIO_VSOCK};

    expect_one_vm(&want);
}

static void config_parses_hello(void)
{
    static const struct one_vm want = {"hello",    "vm0",       "hello",     "",
                                       "vm0 echo", 16ull << 20, VMM_DEV_UART};

    expect_one_vm(&want);
}

static void config_parses_two(void)
{
    struct vmm_config cfg;
    size_t len;
    void *blob = load_dtb("two", &len);

    UT_EXPECT_EQ(parse_guarded(blob, len, &cfg), US_OK);
    UT_EXPECT_EQ(cfg.vm_count, 2);
    UT_EXPECT(strcmp(cfg.vms[0].name, "vm0") == 0);
    UT_EXPECT(strcmp(cfg.vms[1].name, "vm1") == 0);
    UT_EXPECT(strcmp(cfg.vms[0].bootargs, "vm0 echo") == 0);
    UT_EXPECT(strcmp(cfg.vms[1].bootargs, "vm1 echo") == 0);
    UT_EXPECT(strcmp(cfg.vms[1].kernel, "hello") == 0);
    UT_EXPECT_EQ(cfg.vms[1].mem_size, 16u << 20);
    UT_EXPECT_EQ(cfg.vms[1].devices, VMM_DEV_UART);
    free(blob);
}

/* Every property at a non-default value, memory as one cell; optional ones default. */
static void config_parses_all_properties(void)
{
    static const char devs[] = "virtio-net\0uart\0virtio-blk\0virtio-console\0virtio-vsock\0pcie";
    struct vmm_config cfg;
    size_t size;

    sw_start(1);
    sw_vm_begin("web_1-A");
    sw_ok(fdt_property_u32(sw_buf, "memory", 0x200000), "memory");
    sw_ok(fdt_property_u32(sw_buf, "vcpus", VMM_CONFIG_MAX_VCPUS), "vcpus");
    sw_ok(fdt_property_string(sw_buf, "kernel", "linux/Image-6.1"), "kernel");
    sw_ok(fdt_property_string(sw_buf, "initrd", "initramfs.cpio"), "initrd");
    sw_ok(fdt_property_string(sw_buf, "bootargs", "console=ttyAMA0 rdinit=/init"), "bootargs");
    sw_ok(fdt_property(sw_buf, "devices", devs, sizeof(devs)), "devices");
    sw_ok(fdt_property_string(sw_buf, "disk", "seed.tar"), "disk");
    sw_ok(fdt_end_node(sw_buf), "end vm");
    sw_vm_begin("minimal");
    sw_ok(fdt_property_u64(sw_buf, "memory", 4ull << 30), "memory");
    sw_ok(fdt_property_string(sw_buf, "kernel", "k"), "kernel");
    sw_ok(fdt_end_node(sw_buf), "end vm");
    size = sw_finish(1);

    UT_EXPECT_EQ(parse_guarded(sw_buf, size, &cfg), US_OK);
    UT_EXPECT_EQ(cfg.vm_count, 2);
    UT_EXPECT(strcmp(cfg.vms[0].name, "web_1-A") == 0);
    UT_EXPECT_EQ(cfg.vms[0].mem_size, 2u << 20);
    UT_EXPECT_EQ(cfg.vms[0].vcpu_count, VMM_CONFIG_MAX_VCPUS);
    UT_EXPECT(strcmp(cfg.vms[0].kernel, "linux/Image-6.1") == 0);
    UT_EXPECT(strcmp(cfg.vms[0].initrd, "initramfs.cpio") == 0);
    UT_EXPECT(strcmp(cfg.vms[0].bootargs, "console=ttyAMA0 rdinit=/init") == 0);
    UT_EXPECT_EQ(cfg.vms[0].devices, VMM_DEV_ALL);
    UT_EXPECT(strcmp(cfg.vms[0].disk, "seed.tar") == 0);
    UT_EXPECT(strcmp(cfg.vms[1].disk, "") == 0);
    UT_EXPECT_EQ(cfg.vms[1].mem_size, 4ull << 30);
    UT_EXPECT_EQ(cfg.vms[1].vcpu_count, 1);
    UT_EXPECT(strcmp(cfg.vms[1].initrd, "") == 0);
    UT_EXPECT(strcmp(cfg.vms[1].bootargs, "") == 0);
    UT_EXPECT_EQ(cfg.vms[1].devices, 0);
    UT_EXPECT(strcmp(vmm_config_device_name(VMM_DEV_VIRTIO_BLK), "virtio-blk") == 0);
    UT_EXPECT(vmm_config_device_name(VMM_DEV_UART | VMM_DEV_VIRTIO_NET) == NULL);
}

static void config_accepts_empty_vms(void)
{
    struct vmm_config cfg;
    size_t size;

    sw_start(1);
    size = sw_finish(1);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_OK);
    UT_EXPECT_EQ(cfg.vm_count, 0);
}

static void config_rejects_null_args(void)
{
    struct vmm_config cfg;
    size_t len;
    void *blob = load_dtb("default", &len);

    UT_EXPECT_EQ(vmm_config_parse(NULL, len, &cfg), US_EINVAL);
    UT_EXPECT_EQ(vmm_config_parse(blob, len, NULL), US_EINVAL);
    free(blob);
}

static void config_rejects_unaligned_blob(void)
{
    struct vmm_config cfg;
    size_t len;
    void *blob = load_dtb("default", &len);
    uint8_t *buf = malloc(len + 4);

    memcpy(buf + 4, blob, len);
    UT_EXPECT_EQ(vmm_config_parse(buf + 4, len, &cfg), US_EINVAL);
    free(buf);
    free(blob);
}

/* Every prefix of a valid blob fails, both as-is and with totalsize claiming the prefix. */
static void config_rejects_truncated_blob(void)
{
    struct vmm_config cfg;
    size_t len, n;
    uint8_t *blob = load_dtb("two", &len);
    uint8_t *copy = malloc(len);

    for (n = 0; n < len; n++) {
        UT_EXPECT(parse_guarded(blob, n, &cfg) != US_OK);
        UT_EXPECT_EQ(cfg.vm_count, 0);
        if (n >= sizeof(struct fdt_header)) {
            memcpy(copy, blob, n);
            fdt_set_totalsize(copy, (uint32_t)n);
            UT_EXPECT(parse_guarded(copy, n, &cfg) != US_OK);
        }
    }
    /* A buffer shorter than the header's totalsize, even by one byte. */
    UT_EXPECT_EQ(parse_guarded(blob, len - 1, &cfg), US_ECORRUPT);
    UT_EXPECT_EQ(parse_guarded(blob, len, &cfg), US_OK);
    free(copy);
    free(blob);
}

/* Every header version below 17 is refused before libfdt walks the blob: Debian 12's
 * fdt_check_full() reads through NULL on the older layouts (no size_dt_strings). */
static void config_rejects_old_version(void)
{
    struct vmm_config cfg;
    size_t len;
    uint8_t *blob = load_dtb("default", &len);

    for (uint32_t v = 1; v < 17; v++) {
        fdt_set_version(blob, v);
        UT_EXPECT_EQ(parse_guarded(blob, len, &cfg), US_ECORRUPT);
        UT_EXPECT_EQ(cfg.vm_count, 0);
    }
    fdt_set_version(blob, 17);
    UT_EXPECT_EQ(parse_guarded(blob, len, &cfg), US_OK);
    free(blob);
}

/* A property length of -12 makes Debian 12's fdt_next_tag() return the offset it was given,
 * and fdt_check_full() loop forever (found by fuzz_config): refused before that. */
static void config_rejects_stuck_tag(void)
{
    struct vmm_config cfg;
    size_t len;
    uint8_t *blob = load_dtb("default", &len);
    int prop = fdt_first_property_offset(blob, 0);

    UT_EXPECT(prop >= 0);
    *(fdt32_t *)(void *)(blob + fdt_off_dt_struct(blob) + (uint32_t)prop + 4) =
        cpu_to_fdt32(0xfffffff4u);
    UT_EXPECT_EQ(parse_guarded(blob, len, &cfg), US_ECORRUPT);
    UT_EXPECT_EQ(cfg.vm_count, 0);
    free(blob);
}

static void config_rejects_bad_magic(void)
{
    struct vmm_config cfg;
    size_t len;
    uint8_t *blob = load_dtb("default", &len);

    blob[0] ^= 0x01;
    UT_EXPECT_EQ(parse_guarded(blob, len, &cfg), US_ECORRUPT);
    memset(blob, 0, 4);
    UT_EXPECT_EQ(parse_guarded(blob, len, &cfg), US_ECORRUPT);
    free(blob);
}

static uint32_t prng_state = 0x5eed1234u;

/* xorshift32 (Marsaglia 2003): fixed seed, so a failure reproduces. */
static uint32_t prng_next(void)
{
    prng_state ^= prng_state << 13;
    prng_state ^= prng_state >> 17;
    prng_state ^= prng_state << 5;
    return prng_state;
}

static void corrupt_and_parse(const uint8_t *blob, size_t len, uint8_t *copy)
{
    struct vmm_config cfg;

    if (parse_guarded(copy, len, &cfg) == US_OK) {
        expect_sane(&cfg);
    }
    memcpy(copy, blob, len);
}

static void fuzz_blob(const uint8_t *blob, size_t len)
{
    static const uint8_t values[] = {0x00, 0xff, 0x01, 0x80, 0x7f};
    uint8_t *copy = malloc(len);
    size_t off, v;
    int round, k;

    memcpy(copy, blob, len);
    /* Each byte set to boundary values and with single bits flipped. */
    for (off = 0; off < len; off++) {
        for (v = 0; v < sizeof(values); v++) {
            copy[off] = values[v];
            corrupt_and_parse(blob, len, copy);
        }
        for (k = 0; k < 8; k += 3) {
            copy[off] ^= (uint8_t)(1u << k);
            corrupt_and_parse(blob, len, copy);
        }
    }
    /* Several random bytes at once. */
    for (round = 0; round < 3000; round++) {
        int flips = 1 + (int)(prng_next() % 4);
        for (k = 0; k < flips; k++) {
            copy[prng_next() % len] ^= (uint8_t)(1 + prng_next() % 255);
        }
        corrupt_and_parse(blob, len, copy);
    }
    free(copy);
}

static void config_rejects_random_corruption(void)
{
    size_t len, size;
    uint8_t *blob = load_dtb("two", &len);
    uint8_t *built;

    fuzz_blob(blob, len);
    free(blob);

    sw_start(1);
    sw_vm("a");
    sw_vm_begin("b");
    sw_vm_props(0, 0, 1);
    sw_ok(fdt_property(sw_buf, "devices", "uart\0virtio-net", 16), "devices");
    sw_ok(fdt_property_string(sw_buf, "bootargs", "x y z"), "bootargs");
    sw_ok(fdt_end_node(sw_buf), "end vm");
    size = sw_finish(1);
    built = malloc(size);
    memcpy(built, sw_buf, size);
    fuzz_blob(built, size);
    free(built);
}

static void config_rejects_missing_vms(void)
{
    struct vmm_config cfg;
    size_t size;

    sw_start(0);
    size = sw_finish(0);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_ENOENT);
    UT_EXPECT(strcmp(cfg.err_path, "/vms") == 0);
}

static void config_rejects_bad_memory_size(void)
{
    struct vmm_config cfg;
    size_t size;

    UT_EXPECT_EQ(parse_one_vm_with_u64("memory", VMM_CONFIG_MEM_MIN - VMM_CONFIG_MEM_GRANULE),
                 US_ERANGE);
    UT_EXPECT_EQ(parse_one_vm_with_u64("memory", 0), US_ERANGE);
    UT_EXPECT_EQ(parse_one_vm_with_u64("memory", VMM_CONFIG_MEM_MAX + VMM_CONFIG_MEM_GRANULE),
                 US_ERANGE);
    UT_EXPECT_EQ(parse_one_vm_with_u64("memory", UINT64_MAX), US_ERANGE);
    UT_EXPECT_EQ(parse_one_vm_with_u64("memory", (16ull << 20) + 4096), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with("memory", "\0\0\0\0\0\x10", 6), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with("memory", "", 0), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with_u64("memory", VMM_CONFIG_MEM_MAX), US_OK);
    UT_EXPECT_EQ(parse_one_vm_with_u32("memory", (uint32_t)VMM_CONFIG_MEM_MIN), US_OK);

    size = sw_one_vm_with("memory", "\0\0\0\0\0\0\0\x01", 8);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_ERANGE);
    UT_EXPECT(strcmp(cfg.err_path, "/vms/vm0/memory") == 0);
}

static void config_rejects_bad_vcpus(void)
{
    UT_EXPECT_EQ(parse_one_vm_with_u32("vcpus", 0), US_ERANGE);
    UT_EXPECT_EQ(parse_one_vm_with_u32("vcpus", VMM_CONFIG_MAX_VCPUS + 1), US_ERANGE);
    UT_EXPECT_EQ(parse_one_vm_with_u64("vcpus", 1), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with_u32("vcpus", 2), US_OK);
}

static void config_rejects_too_many_vms(void)
{
    struct vmm_config cfg;
    char name[8];
    size_t size;
    uint32_t i;

    sw_start(1);
    for (i = 0; i < VMM_CONFIG_MAX_VMS; i++) {
        snprintf(name, sizeof(name), "vm%u", i);
        sw_vm(name);
    }
    size = sw_finish(1);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_OK);
    UT_EXPECT_EQ(cfg.vm_count, VMM_CONFIG_MAX_VMS);

    sw_start(1);
    for (i = 0; i <= VMM_CONFIG_MAX_VMS; i++) {
        snprintf(name, sizeof(name), "vm%u", i);
        sw_vm(name);
    }
    size = sw_finish(1);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_ERANGE);
    UT_EXPECT_EQ(cfg.vm_count, 0);
    UT_EXPECT(strcmp(cfg.err_path, "/vms/vm8") == 0);
}

static void config_rejects_unknown_device(void)
{
    UT_EXPECT_EQ(parse_one_vm_with_string("devices", "uart0"), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with_string("devices", "virtio"), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with("devices", "uart\0pci", 9), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with("devices", "uart\0uart", 10), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with("devices", "uart\0\0", 6), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with("devices", "", 0), US_OK);
}

/* A disk's contents for a VM without a virtio-blk disk, or a bad entry name. */
static void config_rejects_bad_disk(void)
{
    struct vmm_config cfg;
    size_t size;

    sw_start(1);
    sw_vm_begin("vm0");
    sw_ok(fdt_property_u32(sw_buf, "memory", 0x200000), "memory");
    sw_ok(fdt_property_string(sw_buf, "kernel", "k"), "kernel");
    sw_ok(fdt_property_string(sw_buf, "devices", "uart"), "devices");
    sw_ok(fdt_property_string(sw_buf, "disk", "seed"), "disk");
    sw_ok(fdt_end_node(sw_buf), "end vm");
    size = sw_finish(1);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_EINVAL);
    UT_EXPECT(strcmp(cfg.err_path, "/vms/vm0/disk") == 0);
    UT_EXPECT_EQ(parse_one_vm_with_string("disk", "bad name"), US_EINVAL);
}

/* "passthrough" names a host PCI function: only on a VM with a PCIe bridge, no spaces. */
static void config_checks_passthrough(void)
{
    struct vmm_config cfg;
    size_t size;

    for (int with_pcie = 0; with_pcie < 2; with_pcie++) {
        sw_start(1);
        sw_vm_begin("vm0");
        sw_ok(fdt_property_u32(sw_buf, "memory", 0x200000), "memory");
        sw_ok(fdt_property_string(sw_buf, "kernel", "k"), "kernel");
        sw_ok(fdt_property_string(sw_buf, "devices", with_pcie ? "pcie" : "uart"), "devices");
        sw_ok(fdt_property_string(sw_buf, "passthrough", "pci-01:00.0"), "passthrough");
        sw_ok(fdt_end_node(sw_buf), "end vm");
        size = sw_finish(1);
        UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), with_pcie ? US_OK : US_EINVAL);
        if (with_pcie) {
            UT_EXPECT(strcmp(cfg.vms[0].passthrough, "pci-01:00.0") == 0);
        } else {
            UT_EXPECT(strcmp(cfg.err_path, "/vms/vm0/passthrough") == 0);
        }
    }
    UT_EXPECT_EQ(parse_one_vm_with_string("passthrough", "pci 01"), US_EINVAL);
}

static void config_rejects_long_name(void)
{
    struct vmm_config cfg;
    size_t size;

    sw_start(1);
    sw_vm("abcdefghijklmno"); /* 15: the longest allowed */
    size = sw_finish(1);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_OK);
    UT_EXPECT(strcmp(cfg.vms[0].name, "abcdefghijklmno") == 0);

    sw_start(1);
    sw_vm("abcdefghijklmnop");
    size = sw_finish(1);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_ERANGE);

    sw_start(1);
    sw_vm("vm@0");
    size = sw_finish(1);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_EINVAL);
}

static void config_rejects_duplicate_name(void)
{
    struct vmm_config cfg;
    size_t size;

    sw_start(1);
    sw_vm("vm0");
    sw_vm("vm0");
    size = sw_finish(1);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_EEXIST);
}

static void config_rejects_long_strings(void)
{
    char s[VMM_CONFIG_BOOTARGS_LEN + 1];

    memset(s, 'k', sizeof(s));
    s[VMM_CONFIG_IMAGE_LEN - 1] = '\0';
    UT_EXPECT_EQ(parse_one_vm_with_string("kernel", s), US_OK);
    s[VMM_CONFIG_IMAGE_LEN - 1] = 'k';
    s[VMM_CONFIG_IMAGE_LEN] = '\0';
    UT_EXPECT_EQ(parse_one_vm_with_string("kernel", s), US_ERANGE);
    UT_EXPECT_EQ(parse_one_vm_with_string("initrd", s), US_ERANGE);
    memset(s, 'b', sizeof(s));
    s[VMM_CONFIG_BOOTARGS_LEN - 1] = '\0';
    UT_EXPECT_EQ(parse_one_vm_with_string("bootargs", s), US_OK);
    s[VMM_CONFIG_BOOTARGS_LEN - 1] = 'b';
    s[VMM_CONFIG_BOOTARGS_LEN] = '\0';
    UT_EXPECT_EQ(parse_one_vm_with_string("bootargs", s), US_ERANGE);
}

static void config_rejects_unterminated_string(void)
{
    UT_EXPECT_EQ(parse_one_vm_with("kernel", "hello", 5), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with("bootargs", "vm0 echo", 8), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with("devices", "uart", 4), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with("devices", "uart\0virtio-blk", 15), US_EINVAL);
    /* Two strings where one is expected, an empty value, control characters. */
    UT_EXPECT_EQ(parse_one_vm_with("kernel", "a\0b", 4), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with("kernel", "", 0), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with_string("kernel", ""), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with_string("kernel", "he llo"), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with_string("bootargs", "a\nb"), US_EINVAL);
    UT_EXPECT_EQ(parse_one_vm_with_string("bootargs", ""), US_OK);
}

static void config_rejects_missing_property(void)
{
    struct vmm_config cfg;
    size_t size;

    sw_start(1);
    sw_vm_begin("vm0");
    sw_vm_props(1, 0, 0);
    sw_ok(fdt_end_node(sw_buf), "end vm");
    size = sw_finish(1);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_ENOENT);
    UT_EXPECT(strcmp(cfg.err_path, "/vms/vm0/memory") == 0);

    sw_start(1);
    sw_vm_begin("vm0");
    sw_vm_props(0, 1, 0);
    sw_ok(fdt_end_node(sw_buf), "end vm");
    size = sw_finish(1);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_ENOENT);
    UT_EXPECT(strcmp(cfg.err_path, "/vms/vm0/kernel") == 0);
}

static void config_rejects_unknown_property(void)
{
    struct vmm_config cfg;
    size_t size;

    UT_EXPECT_EQ(parse_one_vm_with_u32("vcpu", 1), US_EINVAL);
    size = sw_one_vm_with("name", "vm0", 4);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_EINVAL);
    UT_EXPECT(strcmp(cfg.err_path, "/vms/vm0/name") == 0);

    /* An unknown node at the root or inside a VM, and a property on /vms. */
    sw_start(0);
    sw_ok(fdt_begin_node(sw_buf, "chosen"), "chosen");
    sw_ok(fdt_end_node(sw_buf), "end chosen");
    size = sw_finish(0);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_EINVAL);

    sw_start(1);
    sw_vm_begin("vm0");
    sw_vm_props(0, 0, 0);
    sw_ok(fdt_begin_node(sw_buf, "uart"), "sub");
    sw_ok(fdt_end_node(sw_buf), "end sub");
    sw_ok(fdt_end_node(sw_buf), "end vm");
    size = sw_finish(1);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_EINVAL);

    sw_start(1);
    sw_ok(fdt_property_u32(sw_buf, "count", 1), "count");
    size = sw_finish(1);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_EINVAL);
}

static void config_rejects_bad_root(void)
{
    struct vmm_config cfg;
    size_t size;

    /* Wrong ABI revision, then wrong compatible, then none. */
    sw_ok(fdt_create(sw_buf, BUF_SIZE), "create");
    sw_ok(fdt_finish_reservemap(sw_buf), "reservemap");
    sw_ok(fdt_begin_node(sw_buf, ""), "root");
    sw_ok(fdt_property_string(sw_buf, "compatible", VMM_CONFIG_COMPATIBLE), "compatible");
    sw_ok(fdt_property_u32(sw_buf, "understudy,abi", US_ABI_REVISION + 1), "abi");
    size = sw_finish(0);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_ENOTSUP);

    sw_ok(fdt_create(sw_buf, BUF_SIZE), "create");
    sw_ok(fdt_finish_reservemap(sw_buf), "reservemap");
    sw_ok(fdt_begin_node(sw_buf, ""), "root");
    sw_ok(fdt_property_string(sw_buf, "compatible", "linux,dummy-virt"), "compatible");
    sw_ok(fdt_property_u32(sw_buf, "understudy,abi", US_ABI_REVISION), "abi");
    size = sw_finish(0);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_EINVAL);

    sw_ok(fdt_create(sw_buf, BUF_SIZE), "create");
    sw_ok(fdt_finish_reservemap(sw_buf), "reservemap");
    sw_ok(fdt_begin_node(sw_buf, ""), "root");
    sw_ok(fdt_property_u32(sw_buf, "understudy,abi", US_ABI_REVISION), "abi");
    size = sw_finish(0);
    UT_EXPECT_EQ(vmm_config_parse(sw_buf, size, &cfg), US_ENOENT);
    UT_EXPECT(strcmp(cfg.err_path, "/compatible") == 0);
}

UT_MAIN({"config_parses_default", config_parses_default},
        {"config_parses_hello", config_parses_hello}, {"config_parses_two", config_parses_two},
        {"config_rejects_bad_disk", config_rejects_bad_disk},
        {"config_checks_passthrough", config_checks_passthrough},
        {"config_parses_all_properties", config_parses_all_properties},
        {"config_accepts_empty_vms", config_accepts_empty_vms},
        {"config_rejects_null_args", config_rejects_null_args},
        {"config_rejects_unaligned_blob", config_rejects_unaligned_blob},
        {"config_rejects_truncated_blob", config_rejects_truncated_blob},
        {"config_rejects_bad_magic", config_rejects_bad_magic},
        {"config_rejects_old_version", config_rejects_old_version},
        {"config_rejects_stuck_tag", config_rejects_stuck_tag},
        {"config_rejects_random_corruption", config_rejects_random_corruption},
        {"config_rejects_missing_vms", config_rejects_missing_vms},
        {"config_rejects_bad_memory_size", config_rejects_bad_memory_size},
        {"config_rejects_bad_vcpus", config_rejects_bad_vcpus},
        {"config_rejects_too_many_vms", config_rejects_too_many_vms},
        {"config_rejects_unknown_device", config_rejects_unknown_device},
        {"config_rejects_long_name", config_rejects_long_name},
        {"config_rejects_duplicate_name", config_rejects_duplicate_name},
        {"config_rejects_long_strings", config_rejects_long_strings},
        {"config_rejects_unterminated_string", config_rejects_unterminated_string},
        {"config_rejects_missing_property", config_rejects_missing_property},
        {"config_rejects_unknown_property", config_rejects_unknown_property},
        {"config_rejects_bad_root", config_rejects_bad_root})
