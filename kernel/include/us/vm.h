/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* VMs: a stage-2 address space and the vCPUs that run in it. */
#pragma once

#include <understudy/abi.h>
#include <understudy/errors.h>
#include <us/types.h>
#include <arch/mmu.h>

struct vcpu;
struct memobj;
struct notification;
struct us_fastmmio_page;

#define VM_MAX US_VM_MAX
#define VM_MAX_VCPUS US_VM_VCPUS_MAX
#define VM_FASTMMIO_MAX 12u /* a UART's three registers, four virtio transports' two each */
#define VM_MEMS_MAX 16u     /* memory objects vm_map() may map into one VM */

/* One fast-MMIO entry (ipc/include/understudy/vcpu.h). */
struct vm_fastmmio {
    uint64_t ipa;
    uint32_t kind;  /* US_FASTMMIO_*; NONE: a free entry */
    uint64_t bit;   /* RING, BELL: what the notification gets when the ring or word fills */
    uint32_t index; /* W1C, BELL: the word of isr[] or bell[] */
    struct us_fastmmio_page *page;
    struct notification *ntfn;
    struct memobj *mem; /* behind page: it counts as a mapping of it */
};

/* The object behind a US_CAPK_VM_CONTROL capability: a memory quota for VMs. */
struct vm_control {
    uint64_t quota;
    uint64_t used;
};

struct vm {
    uint32_t vmid;
    bool in_use;
    bool dying; /* destroyed, but a CPU may still run one of its vCPUs (vm_reap()) */
    struct stage2 s2;
    struct vm_control *ctl;
    struct vcpu *vcpus[VM_MAX_VCPUS];
    struct vm_fastmmio fast[VM_FASTMMIO_MAX];
    struct memobj *mems[VM_MEMS_MAX]; /* what vm_map() mapped; NULL: a free entry */
    bool parked;                      /* its runnable vCPUs are parked (vm_park()) */
    /* Every vCPU on one host CPU, and more than one CPU up: its TLB maintenance is trapped and
     * done on that CPU alone, where QEMU would stop every CPU for a broadcast one. */
    bool local_tlbi;
    /* The fast-MMIO kinds a vCPU finishes without the kernel lock (vm_fastmmio_nolock()):
     * accesses in flight, and a writer of fast[] or of its pages keeping new ones out. */
    uint32_t fast_users;
    bool fast_frozen;
    uint32_t fast_end; /* past the last entry in use */
};

/** vm_create() - a VM with an empty stage-2 table.
 * Returns: US_OK; US_ENOMEM when VMIDs or frames run out. */
us_err_t vm_create(struct vm_control *ctl, struct vm **out);

/** vm_map() - map all of @m at @ipa with @rights: one or more of US_RIGHT_READ/WRITE/EXEC
 * (the system call has checked them). All or nothing.
 * Returns: US_OK; US_EINVAL for an unaligned IPA; US_ERANGE for an out-of-range one; US_EEXIST
 * if part is mapped; US_ENOMEM, also when @vm maps VM_MEMS_MAX objects already. */
us_err_t vm_map(struct vm *vm, struct memobj *m, ipa_t ipa, uint32_t rights);

/** vm_maps_memobj() - whether a live VM's stage 2 maps @m. */
bool vm_maps_memobj(const struct memobj *m);

/** vm_memobj_moved() - @m was at @from (memrange_move()): fast-MMIO pages in it follow. The
 * kernel reads them only under its lock, which the mover holds. */
void vm_memobj_moved(const struct memobj *m, paddr_t from);

/** vm_at() - VM @i of the pool if it is in use and not dying, else NULL. */
struct vm *vm_at(uint32_t i);

/** vm_running() - whether a CPU is running one of @vm's vCPUs this instant. */
bool vm_running(const struct vm *vm);

/** vm_park() - take @vm's runnable vCPUs off their CPUs (a CPU running one is interrupted)
 * until vm_unpark_all(): its memory can then be copied with nothing of it running. */
void vm_park(struct vm *vm);

/** vm_unpark_all() - every parked vCPU is runnable again. */
void vm_unpark_all(void);

struct relocation;
/** vm_relocate_tables() - move every live VM's stage-2 tables out of @r's range (a VM's leaves
 * are its memory objects, which stay: @r->leaf must return them unchanged), or with @r->probe
 * only show @r->leaf each leaf onto the range. */
void vm_relocate_tables(struct relocation *r);

/** vm_fastmmio_set() - accesses of @vm at @ipa of @kind go through the page at @offset of @m
 * (RING and BELL: @n gets @bit when the ring or the bell word stops being empty; W1C and BELL:
 * @index of the page's isr[] or bell[]); US_FASTMMIO_NONE removes the entry.
 * Returns: US_OK; US_EINVAL for a bad kind or index, a device or too small memory object or
 * an unaligned offset; US_ENOENT to remove what is not there; US_ENOMEM when the table is
 * full. */
us_err_t vm_fastmmio_set(struct vm *vm, uint64_t ipa, uint32_t kind, struct memobj *m,
                         uint64_t offset, struct notification *n, uint64_t bit, uint32_t index);

/** vm_fastmmio_access() - finish a guest access at @ipa here if an entry covers it: a write
 * puts @value's low byte in the ring, a read sets *@value to the word.
 * Returns: whether it was finished (false: no entry, or the ring is full: exit as usual). */
bool vm_fastmmio_access(struct vm *vm, uint64_t ipa, bool write, uint64_t *value);
/** vm_fastmmio_tick() - signal every RING entry whose ring holds bytes (each tick: a ring is
 * otherwise signalled only once it is half full, so a kernel's log is taken in batches). */
void vm_fastmmio_tick(void);
/* What vm_fastmmio_nolock() did. */
enum vm_fast {
    VM_FAST_DONE,   /* finished */
    VM_FAST_LOCKED, /* an entry covers it, but it needs the kernel lock: vm_fastmmio_access() */
    VM_FAST_NONE,   /* no entry covered it when it looked: an exit (the vmm emulates it) */
};

/** vm_fastmmio_nolock() - vm_fastmmio_access() without the kernel lock, for the kinds that
 * never signal (W1C, a WORD read, LATCH). */
enum vm_fast vm_fastmmio_nolock(struct vm *vm, uint64_t ipa, bool write, uint64_t *value);
/** vm_fastmmio_freeze() - (kernel lock held) wait out @vm's accesses without the lock and
 * keep new ones out until vm_fastmmio_thaw(): before changing its entries or their pages. */
void vm_fastmmio_freeze(struct vm *vm);
void vm_fastmmio_thaw(struct vm *vm);

/** vm_destroy() - stop every vCPU of @vm and revoke every capability to it and to them, so
 * no handle reaches the VM again. Its stage-2 tables and vCPU objects are released once no
 * CPU runs any of its vCPUs: at once if none does, else at a later kernel exit (vm_reap()),
 * after the kicks that vcpu_stop() sent have made those CPUs leave; the memory objects
 * it maps lose those mappings then. */
void vm_destroy(struct vm *vm);

/* Set while a destroyed VM waits for its CPUs to leave; kernel_exit() then calls vm_reap(). */
extern bool vm_reap_pending;

/** vm_reap() - release every destroyed VM that no CPU runs any more. */
void vm_reap(void);
