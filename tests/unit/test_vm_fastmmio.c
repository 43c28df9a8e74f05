/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for the fast-MMIO table of kernel/vm.c: entries, the ring, the word, and the
 * arguments the system call passes through. Stage 2 and vCPUs are stubbed. */
#include <stdlib.h>
#include <string.h>
#include <understudy/vcpu.h>
#include <us/memobj.h>
#include <us/notification.h>
#include <us/process.h>
#include <us/sched.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include <us/arch/mmu.h>
#include "ut.h"

static unsigned signals;
static uint64_t signalled_bits;

us_err_t arch_stage2_init(struct stage2 *s2, uint16_t vmid)
{
    (void)s2;
    (void)vmid;
    return US_OK;
}

us_err_t arch_stage2_map(struct stage2 *s2, ipa_t ipa, paddr_t pa, uint64_t size, uint32_t flags)
{
    (void)s2, (void)ipa, (void)pa, (void)size, (void)flags;
    return US_OK;
}

void arch_stage2_free(struct stage2 *s2)
{
    (void)s2;
}

void arch_stage2_relocate(struct stage2 *s2, struct relocation *r)
{
    (void)s2, (void)r;
}

void vcpu_stop(struct vcpu *v)
{
    (void)v;
}

void sched_block(struct thread *t, uint32_t state)
{
    t->state = state;
}

void sched_wake(struct thread *t)
{
    t->state = TS_RUNNING;
}

struct cpu cpus[SCHED_MAX_CPUS];
uint32_t cpu_count = 1;

void process_revoke(uint32_t kind, const void *obj)
{
    (void)kind, (void)obj;
}

void notification_signal(struct notification *n, uint64_t bits)
{
    (void)n;
    signals++;
    signalled_bits |= bits;
}

static struct vm_control ctl = {.quota = 1u << 30};
static struct notification *ntfn = (struct notification *)(uintptr_t)0x1000; /* never used */

static struct memobj page_obj(struct us_fastmmio_page *p, uint64_t size, bool device)
{
    struct memobj m = {0};

    m.base = pa_init((uint64_t)(uintptr_t)p);
    m.size = size;
    m.device = device;
    return m;
}

/* A zeroed fast-MMIO page, and a VM with no entries yet. */
static struct us_fastmmio_page *fresh_page(void)
{
    struct us_fastmmio_page *p = aligned_alloc(4096, 4096);

    memset(p, 0, 4096);
    return p;
}

static struct vm *fresh_vm(void)
{
    struct vm *vm = NULL;

    UT_EXPECT_EQ(vm_create(&ctl, &vm), US_OK);
    return vm;
}

static void ring_and_word(void)
{
    struct us_fastmmio_page *p = fresh_page();
    struct memobj m = page_obj(p, 4096, false);
    struct vm *vm = fresh_vm();
    uint64_t v;

    signals = 0;
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0x9000000, US_FASTMMIO_RING, &m, 0, ntfn, 1u << 5, 0), US_OK);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0x9000018, US_FASTMMIO_WORD, &m, 0, NULL, 0, 0), US_OK);
    /* Writes to the ring: no signal per byte; the tick signals a ring that holds bytes. */
    v = 0x141;
    UT_EXPECT(vm_fastmmio_access(vm, 0x9000000, true, &v));
    v = 'B';
    UT_EXPECT(vm_fastmmio_access(vm, 0x9000000, true, &v));
    UT_EXPECT(p->head == 2 && p->ring[0] == 0x41 && p->ring[1] == 'B');
    UT_EXPECT(signals == 0);
    vm_fastmmio_tick();
    UT_EXPECT(signals == 1 && signalled_bits == 1u << 5);
    p->tail = 2; /* drained: the tick has nothing to say */
    vm_fastmmio_tick();
    UT_EXPECT(signals == 1);
    /* Half full: signalled at once, and only on the byte that makes it half. */
    p->head = p->tail = 100;
    for (uint32_t i = 0; i < US_FASTMMIO_RING_BYTES / 2u; i++) {
        UT_EXPECT(vm_fastmmio_access(vm, 0x9000000, true, &v));
        UT_EXPECT(signals == (i + 1u == US_FASTMMIO_RING_BYTES / 2u ? 2 : 1));
    }
    v = 'C';
    UT_EXPECT(vm_fastmmio_access(vm, 0x9000000, true, &v));
    UT_EXPECT(signals == 2);
    /* The word, and the directions an entry does not take. */
    p->word = 0x90;
    UT_EXPECT(vm_fastmmio_access(vm, 0x9000018, false, &v) && v == 0x90);
    UT_EXPECT(!vm_fastmmio_access(vm, 0x9000018, true, &v));
    UT_EXPECT(!vm_fastmmio_access(vm, 0x9000000, false, &v));
    UT_EXPECT(!vm_fastmmio_access(vm, 0x9000004, true, &v)); /* no entry */
    /* A full ring: the access exits as usual, nothing is overwritten. */
    p->tail = 2;
    p->head = 2 + US_FASTMMIO_RING_BYTES;
    v = 'X';
    UT_EXPECT(!vm_fastmmio_access(vm, 0x9000000, true, &v));
    UT_EXPECT(p->head == 2 + US_FASTMMIO_RING_BYTES);
    /* Removed: every access exits. */
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0x9000018, US_FASTMMIO_NONE, NULL, 0, NULL, 0, 0), US_OK);
    UT_EXPECT(!vm_fastmmio_access(vm, 0x9000018, false, &v));
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0x9000018, US_FASTMMIO_NONE, NULL, 0, NULL, 0, 0), US_ENOENT);
    vm_destroy(vm);
    free(p);
}

static void rejects_bad_entries(void)
{
    struct us_fastmmio_page *p = aligned_alloc(4096, 8192);
    struct memobj m = page_obj(p, 8192, false), dev = page_obj(p, 8192, true);
    struct memobj small = page_obj(p, 2048, false);
    struct vm *vm;

    UT_EXPECT_EQ(vm_create(&ctl, &vm), US_OK);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0, 6, &m, 0, ntfn, 1, 0), US_EINVAL); /* kind */
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0, US_FASTMMIO_W1C, &m, 0, NULL, 0, US_FASTMMIO_ISRS),
                 US_EINVAL); /* index */
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0, US_FASTMMIO_BELL, &m, 0, NULL, 0, 0), US_EINVAL);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0, US_FASTMMIO_WORD, &dev, 0, NULL, 0, 0),
                 US_EINVAL); /* MMIO */
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0, US_FASTMMIO_WORD, &small, 0, NULL, 0, 0), US_EINVAL);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0, US_FASTMMIO_WORD, &m, 100, NULL, 0, 0), US_EINVAL);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0, US_FASTMMIO_WORD, &m, 8192, NULL, 0, 0), US_EINVAL);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0, US_FASTMMIO_RING, &m, 0, NULL, 1, 0), US_EINVAL);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0, US_FASTMMIO_RING, &m, 0, ntfn, 0, 0), US_EINVAL);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0, US_FASTMMIO_WORD, NULL, 0, NULL, 0, 0), US_EINVAL);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0, US_FASTMMIO_WORD, &m, 4096, NULL, 0, 0), US_OK);
    /* A full table, then the same IPA again replaces its entry. */
    for (uint64_t i = 1; i < VM_FASTMMIO_MAX; i++) {
        UT_EXPECT_EQ(vm_fastmmio_set(vm, i * 4, US_FASTMMIO_WORD, &m, 0, NULL, 0, 0), US_OK);
    }
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0x100, US_FASTMMIO_WORD, &m, 0, NULL, 0, 0), US_ENOMEM);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0, US_FASTMMIO_RING, &m, 0, ntfn, 2, 0), US_OK);
    vm_destroy(vm);
    free(p);
}

/* A latch: the guest's writes stay in the page, its reads see the last one, and the vmm's
 * value (say at reset) is what a read sees first. */
static void latch_keeps_last_write(void)
{
    struct us_fastmmio_page *p = fresh_page();
    struct memobj m = page_obj(p, 4096, false);
    struct vm *vm = fresh_vm();
    uint64_t v = 0;

    p->latch = 0x300;
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0x9000030, US_FASTMMIO_LATCH, &m, 0, NULL, 0, 0), US_OK);
    UT_EXPECT(vm_fastmmio_access(vm, 0x9000030, false, &v) && v == 0x300);
    v = 0x301;
    UT_EXPECT(vm_fastmmio_access(vm, 0x9000030, true, &v));
    UT_EXPECT_EQ(p->latch, 0x301);
    v = 0;
    UT_EXPECT(vm_fastmmio_access(vm, 0x9000030, false, &v) && v == 0x301);
    UT_EXPECT(p->head == 0 && p->word == 0); /* nothing else in the page moved */
    vm_destroy(vm);
    free(p);
}

/* A virtio transport's interrupt status and acknowledgement: reads at the entry's IPA see the
 * page's isr word the vmm set, writes at it or the next word clear the bits written; the other
 * words of the transport still exit. */
static void w1c_reads_and_clears(void)
{
    struct us_fastmmio_page *p = fresh_page();
    struct memobj m = page_obj(p, 4096, false);
    struct vm *vm = fresh_vm();
    uint64_t v = 0;

    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0xa002060, US_FASTMMIO_W1C, &m, 0, NULL, 0, 2), US_OK);
    p->isr[2] = 3; /* the vmm raised "used buffer" and "configuration changed" */
    UT_EXPECT(vm_fastmmio_access(vm, 0xa002060, false, &v) && v == 3);
    v = 1;
    UT_EXPECT(vm_fastmmio_access(vm, 0xa002064, true, &v)); /* InterruptACK */
    UT_EXPECT_EQ(p->isr[2], 2);
    UT_EXPECT(vm_fastmmio_access(vm, 0xa002060, false, &v) && v == 2);
    UT_EXPECT(!vm_fastmmio_access(vm, 0xa002050, true, &v)); /* QueueNotify exits */
    UT_EXPECT(!vm_fastmmio_access(vm, 0xa002068, false, &v));
    UT_EXPECT(!vm_fastmmio_access(vm, 0xa002062, false, &v)); /* unaligned: the vmm decides */
    UT_EXPECT(p->isr[0] == 0 && p->isr[1] == 0 && p->isr[3] == 0 && p->head == 0);
    vm_destroy(vm);
    free(p);
}

/* A virtio QueueNotify as a doorbell: the queue's bit is set in the page's bell word and the
 * vmm is signalled when the word was clear; reads and values past 31 still exit. */
static void bell_sets_queue_bits(void)
{
    struct us_fastmmio_page *p = fresh_page();
    struct memobj m = page_obj(p, 4096, false);
    struct vm *vm = fresh_vm();
    uint64_t v;

    signals = 0;
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0xa002050, US_FASTMMIO_BELL, &m, 0, NULL, 0, 2), US_EINVAL);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0xa002050, US_FASTMMIO_BELL, &m, 0, ntfn, 1u << 6, 2), US_OK);
    v = 1;
    UT_EXPECT(vm_fastmmio_access(vm, 0xa002050, true, &v));
    UT_EXPECT(p->bell[2] == 2 && signals == 1 && signalled_bits == 1u << 6);
    v = 0;
    UT_EXPECT(vm_fastmmio_access(vm, 0xa002050, true, &v)); /* the vmm has not taken it yet */
    UT_EXPECT(p->bell[2] == 3 && signals == 1);
    v = 32;
    UT_EXPECT(!vm_fastmmio_access(vm, 0xa002050, true, &v)); /* the vmm says what that is */
    UT_EXPECT(!vm_fastmmio_access(vm, 0xa002050, false, &v));
    UT_EXPECT(!vm_fastmmio_access(vm, 0xa002054, true, &v));
    p->bell[2] = 0; /* taken: the next ring signals again */
    v = 1;
    UT_EXPECT(vm_fastmmio_access(vm, 0xa002050, true, &v) && signals == 2);
    UT_EXPECT(p->bell[0] == 0 && p->bell[1] == 0 && p->bell[3] == 0 && p->isr[2] == 0);
    vm_destroy(vm);
    free(p);
}

/* The kinds that never signal are finished without the kernel lock; the others, and any access
 * while a writer has the VM's entries frozen, are left to the locked path. */
static void nolock_takes_only_silent_kinds(void)
{
    struct us_fastmmio_page *p = fresh_page();
    struct memobj m = page_obj(p, 4096, false);
    struct vm *vm = fresh_vm();
    uint64_t v;

    signals = 0;
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0xa000060, US_FASTMMIO_W1C, &m, 0, NULL, 0, 1), US_OK);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0x9000018, US_FASTMMIO_WORD, &m, 0, NULL, 0, 0), US_OK);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0x9000030, US_FASTMMIO_LATCH, &m, 0, NULL, 0, 0), US_OK);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0xa000050, US_FASTMMIO_BELL, &m, 0, ntfn, 1u << 6, 1), US_OK);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0x9000000, US_FASTMMIO_RING, &m, 0, ntfn, 1u << 5, 0), US_OK);
    UT_EXPECT(!vm->fast_frozen && vm->fast_users == 0); /* set froze and thawed */
    p->isr[1] = 5;
    UT_EXPECT(vm_fastmmio_nolock(vm, 0xa000060, false, &v) == VM_FAST_DONE && v == 5);
    v = 1;
    UT_EXPECT(vm_fastmmio_nolock(vm, 0xa000064, true, &v) == VM_FAST_DONE && p->isr[1] == 4);
    p->word = 0x90;
    UT_EXPECT(vm_fastmmio_nolock(vm, 0x9000018, false, &v) == VM_FAST_DONE && v == 0x90);
    UT_EXPECT(vm_fastmmio_nolock(vm, 0x9000018, true, &v) == VM_FAST_LOCKED);
    v = 0x301;
    UT_EXPECT(vm_fastmmio_nolock(vm, 0x9000030, true, &v) == VM_FAST_DONE && p->latch == 0x301);
    UT_EXPECT(vm_fastmmio_nolock(vm, 0x9000030, false, &v) == VM_FAST_DONE && v == 0x301);
    v = 0; /* a doorbell may have to signal, a ring byte may fill the ring: under the lock */
    UT_EXPECT(vm_fastmmio_nolock(vm, 0xa000050, true, &v) == VM_FAST_LOCKED && p->bell[1] == 0);
    UT_EXPECT(vm_fastmmio_nolock(vm, 0x9000000, true, &v) == VM_FAST_LOCKED && p->head == 0);
    UT_EXPECT(vm_fastmmio_nolock(vm, 0x9000100, false, &v) == VM_FAST_NONE); /* no entry */
    vm_fastmmio_freeze(vm); /* a writer: nothing goes without the lock until it thaws */
    UT_EXPECT(vm_fastmmio_nolock(vm, 0xa000060, false, &v) == VM_FAST_LOCKED &&
              vm->fast_users == 0);
    vm_fastmmio_thaw(vm);
    UT_EXPECT(vm_fastmmio_nolock(vm, 0xa000060, false, &v) == VM_FAST_DONE && v == 4);
    UT_EXPECT(signals == 0);
    vm_destroy(vm);
    free(p);
}

/* A UART's three registers and four virtio transports' status and doorbell fit (kvd0's
 * virtio-console was refused with eight entries); the look without the lock stops past the
 * last entry in use and still finds one behind removed ones. */
static void table_holds_uart_and_four_transports(void)
{
    struct us_fastmmio_page *p = fresh_page();
    struct memobj m = page_obj(p, 4096, false);
    struct vm *vm = fresh_vm();
    uint64_t v;

    UT_EXPECT_EQ(vm->fast_end, 0);
    UT_EXPECT(vm_fastmmio_nolock(vm, 0x9000018, false, &v) == VM_FAST_NONE);
    for (uint32_t i = 0; i < 3; i++) {
        UT_EXPECT_EQ(vm_fastmmio_set(vm, 0x9000000 + 0x18 * i, US_FASTMMIO_WORD, &m, 0, NULL, 0, 0),
                     US_OK);
    }
    for (uint32_t t = 0; t < 4; t++) {
        UT_EXPECT_EQ(vm_fastmmio_set(vm, 0xa000060 + 0x200 * t, US_FASTMMIO_W1C, &m, 0, NULL, 0, t),
                     US_OK);
        UT_EXPECT_EQ(
            vm_fastmmio_set(vm, 0xa000050 + 0x200 * t, US_FASTMMIO_BELL, &m, 0, ntfn, 2, t), US_OK);
    }
    UT_EXPECT_EQ(vm->fast_end, 11);
    p->isr[3] = 7;
    UT_EXPECT(vm_fastmmio_nolock(vm, 0xa000660, false, &v) == VM_FAST_DONE && v == 7);
    for (uint32_t i = 0; i < 3; i++) { /* the UART's, at the front, go */
        UT_EXPECT_EQ(
            vm_fastmmio_set(vm, 0x9000000 + 0x18 * i, US_FASTMMIO_NONE, NULL, 0, NULL, 0, 0),
            US_OK);
    }
    UT_EXPECT_EQ(vm->fast_end, 11);
    UT_EXPECT(vm_fastmmio_nolock(vm, 0xa000660, false, &v) == VM_FAST_DONE && v == 7);
    UT_EXPECT_EQ(vm_fastmmio_set(vm, 0xa000650, US_FASTMMIO_NONE, NULL, 0, NULL, 0, 0), US_OK);
    UT_EXPECT_EQ(vm->fast_end, 10); /* the last one went: the look stops earlier */
    UT_EXPECT(vm_fastmmio_nolock(vm, 0xa000650, true, &v) == VM_FAST_NONE);
    vm_destroy(vm);
    free(p);
}

UT_MAIN({"ring_and_word", ring_and_word},
        {"table_holds_uart_and_four_transports", table_holds_uart_and_four_transports},
        {"nolock_takes_only_silent_kinds", nolock_takes_only_silent_kinds},
        {"bell_sets_queue_bits", bell_sets_queue_bits},
        {"rejects_bad_entries", rejects_bad_entries},
        {"latch_keeps_last_write", latch_keeps_last_write},
        {"w1c_reads_and_clears", w1c_reads_and_clears})
