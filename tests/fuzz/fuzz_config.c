/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Fuzz target: the vmm's system-configuration parser (vmm_config_parse) on arbitrary blobs. */
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz_input.h"
#include "vmm_config.h"

#define GUARD_SPAN (1u << 20) /* inputs up to 1 MiB end at a guard page; longer ones don't */

static uint8_t *guard_map;
static size_t guard_page;

/*
 * A copy of the input whose last byte sits at most 7 bytes (libfdt's 8-byte alignment) before
 * an inaccessible page: Debian's libfdt is not instrumented, so an overread in it faults here
 * rather than going unseen.
 */
static uint8_t *guarded_copy(const uint8_t *data, size_t size)
{
    if (guard_map == NULL) {
        guard_page = (size_t)sysconf(_SC_PAGESIZE);
        guard_map = mmap(NULL, GUARD_SPAN + guard_page, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        FUZZ_CHECK(guard_map != MAP_FAILED);
        FUZZ_CHECK(mprotect(guard_map + GUARD_SPAN, guard_page, PROT_NONE) == 0);
    }
    if (size > GUARD_SPAN) {
        return NULL;
    }
    uint8_t *copy = guard_map + ((GUARD_SPAN - size) & ~(size_t)7);
    if (size > 0) {
        memcpy(copy, data, size);
    }
    return copy;
}

static bool str_ok(const char *s, size_t field, bool nonempty)
{
    return memchr(s, '\0', field) != NULL && (!nonempty || s[0] != '\0');
}

/* What every successful parse must satisfy (vmm_config.h). */
static void check_config(const struct vmm_config *cfg)
{
    FUZZ_CHECK(cfg->vm_count <= VMM_CONFIG_MAX_VMS);
    FUZZ_CHECK(cfg->err_path[0] == '\0');
    for (uint32_t i = 0; i < cfg->vm_count; i++) {
        const struct vmm_vm_config *vm = &cfg->vms[i];

        FUZZ_CHECK(str_ok(vm->name, sizeof(vm->name), true));
        for (const char *c = vm->name; *c != '\0'; c++) {
            FUZZ_CHECK((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                       (*c >= '0' && *c <= '9') || *c == '_' || *c == '-');
        }
        for (uint32_t j = 0; j < i; j++) {
            FUZZ_CHECK(strcmp(cfg->vms[j].name, vm->name) != 0);
        }
        FUZZ_CHECK(str_ok(vm->kernel, sizeof(vm->kernel), true));
        FUZZ_CHECK(str_ok(vm->initrd, sizeof(vm->initrd), false));
        FUZZ_CHECK(str_ok(vm->bootargs, sizeof(vm->bootargs), false));
        FUZZ_CHECK(str_ok(vm->disk, sizeof(vm->disk), false));
        for (const char *c = vm->bootargs; *c != '\0'; c++) {
            FUZZ_CHECK(*c >= ' ' && *c <= '~');
        }
        FUZZ_CHECK(vm->mem_size >= VMM_CONFIG_MEM_MIN && vm->mem_size <= VMM_CONFIG_MEM_MAX);
        FUZZ_CHECK(vm->mem_size % VMM_CONFIG_MEM_GRANULE == 0);
        FUZZ_CHECK(vm->vcpu_count >= 1 && vm->vcpu_count <= VMM_CONFIG_MAX_VCPUS);
        FUZZ_CHECK((vm->devices & ~VMM_DEV_ALL) == 0);
        for (uint32_t bit = 1; bit <= VMM_DEV_ALL; bit <<= 1) {
            FUZZ_CHECK(!(vm->devices & bit) || vmm_config_device_name(bit) != NULL);
        }
        FUZZ_CHECK(vm->disk[0] == '\0' || (vm->devices & VMM_DEV_VIRTIO_BLK));
    }
}

/* A failed parse leaves no VM behind, and a path for the log that fits its field. */
static void check_failure(const struct vmm_config *cfg)
{
    static const struct vmm_vm_config zero;

    FUZZ_CHECK(cfg->vm_count == 0);
    for (uint32_t i = 0; i < VMM_CONFIG_MAX_VMS; i++) {
        FUZZ_CHECK(memcmp(&cfg->vms[i], &zero, sizeof(zero)) == 0);
    }
    FUZZ_CHECK(memchr(cfg->err_path, '\0', sizeof(cfg->err_path)) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vmm_config cfg, again;
    uint8_t *heap, *guarded;
    us_err_t err, err2;

    /* Exactly @size bytes on the heap: ASan sees any read past them in the parser itself. */
    heap = malloc(size > 0 ? size : 1);
    FUZZ_CHECK(heap != NULL && ((uintptr_t)heap & 7u) == 0);
    if (size > 0) {
        memcpy(heap, data, size);
    }
    err = vmm_config_parse(heap, size, &cfg);
    FUZZ_CHECK((unsigned)err < US_ERR_COUNT);
    if (err == US_OK) {
        check_config(&cfg);
    } else {
        check_failure(&cfg);
    }

    /* The same bytes against the guard page: the same answer, to the last byte. */
    guarded = guarded_copy(data, size);
    if (guarded != NULL) {
        err2 = vmm_config_parse(guarded, size, &again);
        FUZZ_CHECK(err2 == err);
        FUZZ_CHECK(memcmp(&cfg, &again, sizeof(cfg)) == 0);
    }

    /* Misaligned, a blob is refused whatever it holds. */
    if (size >= 4) {
        uint8_t *odd = malloc(size + 4);

        FUZZ_CHECK(odd != NULL);
        memcpy(odd + 4, data, size);
        FUZZ_CHECK(vmm_config_parse(odd + 4, size, &again) != US_OK);
        free(odd);
    }

    /* A NULL output is refused before anything is read. */
    FUZZ_CHECK(vmm_config_parse(heap, size, NULL) == US_EINVAL);
    free(heap);
    return 0;
}
