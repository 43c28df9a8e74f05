/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Loading static ELF64 executables of this architecture (the servers) into a server space. */
#pragma once

#include <understudy/errors.h>
#include <us/types.h>
#include <arch/mmu.h>

/** elf_load() - validate the image and map every PT_LOAD segment into @as in fresh frames.
 * @limit: segments must end below this VA. *entry gets e_entry, *frames the frames used.
 * Returns: US_OK; US_ECORRUPT for a malformed or hostile image (bad magic, class, machine,
 * type, header bounds, segment bounds, W+X segment); US_EEXIST for overlapping segments;
 * US_ENOMEM. */
us_err_t elf_load(const void *img, uint64_t size, struct aspace *as, uint64_t limit,
                  uint64_t *entry, uint64_t *frames);

/** elf_reload() - put the writable PT_LOAD segments of the image elf_load() loaded into @as
 * back as the image has them (data copied, bss zeroed), in the frames already mapped there;
 * the other segments the process could not write. *entry gets e_entry.
 * Returns: US_OK; US_ECORRUPT for a malformed image or one that does not match @as. */
us_err_t elf_reload(const void *img, uint64_t size, struct aspace *as, uint64_t limit,
                    uint64_t *entry);
