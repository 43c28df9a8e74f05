/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A physical range taken out of use: withheld from the frame pool, and audited. */
#pragma once

#include <understudy/errors.h>
#include <understudy/syscalls.h>
#include <us/types.h>

/** memrange_offline() - withhold [base, base + size) (page aligned, at most 256 MiB): no
 * allocation takes a frame in it from now on, and frames freed in it stay out.
 * Returns: US_OK; US_EINVAL unaligned; US_ERANGE not the kernel's RAM, or too large;
 * US_ENOMEM the frames in use in it would not fit in the free memory outside it; US_EBUSY
 * another range is withheld. */
us_err_t memrange_offline(uint64_t base, uint64_t size);

/** memrange_online() - the withheld range's frames are free for use again (an abort). */
void memrange_online(void);

/** memrange_audit() - frames of [base, base + size) in use and not withheld (*@used), its
 * pages any server's space or VM's stage 2 maps (*@mapped: whatever the mapping, an object's
 * or not), and up to @max memory objects over RAM that reach into it, into @out.
 * Returns: how many objects. */
uint32_t memrange_audit(uint64_t base, uint64_t size, uint64_t *used, uint64_t *mapped,
                        struct us_mem_holder *out, uint32_t max);

/** memrange_move() - move what the hypervisor keeps in the withheld range out of it: the
 * memory objects of servers (a state region, a heap, the boot bundle), every frame of a
 * server's image, stack, heap and IPC buffer, and the translation tables of servers' spaces and
 * VMs' stage 2s; every mapping follows. With @guests, the guests' RAM too: their VMs are
 * parked (vm_park()) and their RAM copied once none of their vCPUs runs, then they run on.
 * What a server or vCPU running on another CPU this instant holds waits (*@left pages: ask
 * again). Never moved: memory whose physical address was given out (a device may reach it),
 * guests' RAM without @guests, the kernel's image and tables. Returns: pages moved. */
uint64_t memrange_move(bool guests, uint64_t *left);

/** memrange_tick() - the tick: guests parked for a move the mover did not come back for are
 * released. */
void memrange_tick(void);
