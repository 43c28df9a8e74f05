/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for kernel/process.c: starting servers from a boot bundle, and containing the
 * fault of one server so that its clients, its vCPUs and the other servers carry on. */
#include <stdlib.h>
#include <string.h>
#include <understudy/bundle.h>
#include <understudy/slots.h>
#include <understudy/vcpu.h>
#include <us/endpoint.h>
#include <us/klog.h>
#include <us/kmem.h>
#include <us/memobj.h>
#include <us/notification.h>
#include <us/sched.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include "board.h"
#include "kernel_fx.h"
#include "ut.h"

static uint8_t dtb[256] __attribute__((aligned(8)));
static struct kfx_manifest man;

static void *user_ptr(struct process *p, uint64_t va)
{
    paddr_t pa;

    if (arch_aspace_translate(&p->as, va_init(va), false, &pa) != US_OK) {
        return NULL;
    }
    return pa_ptr(pa);
}

static struct cap *slot(struct process *p, us_cap_t h)
{
    return &p->caps.slot[h];
}

/* Boot @m from a fresh bundle. */
static us_err_t boot(const struct kfx_manifest *m)
{
    uint64_t size;
    uint8_t *b = kfx_boot_bundle(m, &size);

    memset(dtb, 0xdb, sizeof(dtb));
    return process_boot_all(b, size, pa_from_ptr(dtb), sizeof(dtb));
}

static void boot_starts_every_server(void)
{
    struct us_bootinfo *bi;
    uint8_t *text, *data;

    kfx_init(1);
    kfx_manifest_init(&man, 2);
    man.srv[0].heap_pages = 3;
    man.srv[0].state_pages = 2;
    kfx_manifest_cap(&man, 0, 0, US_MCAP_ENDPOINT, US_RIGHT_RECV, 0, 0);
    kfx_manifest_cap(&man, 0, 2, US_MCAP_ENDPOINT, US_RIGHT_SEND, 1, 9);
    kfx_manifest_cap(&man, 0, 3, US_MCAP_NOTIFICATION, US_RIGHT_SEND, 1, 0);
    kfx_manifest_cap(&man, 0, 4, US_MCAP_MMIO, US_RIGHT_READ, PLAT_UART_BASE, 0x1000);
    kfx_manifest_cap(&man, 0, 5, US_MCAP_IRQ, 0, PLAT_UART_INTID, 4);
    kfx_manifest_cap(&man, 0, 6, US_MCAP_VM_CONTROL, 0, 1u << 20, 0);
    kfx_manifest_cap(&man, 0, 7, US_MCAP_KLOG, 0, 0, 0);
    kfx_manifest_cap(&man, 0, 8, US_MCAP_SERVER_CTL, 0, 0, 0);
    kfx_manifest_cap(&man, 0, 9, US_MCAP_BUNDLE, US_RIGHT_READ, 0, 0);
    kfx_manifest_cap(&man, 0, 10, US_MCAP_PLATFORM_DTB, US_RIGHT_READ, 0, 0);
    kfx_manifest_cap(&man, 0, 11, US_MCAP_SHARED, US_RIGHT_READ, 3, 100);
    kfx_manifest_cap(&man, 1, 6, US_MCAP_SHARED, US_RIGHT_READ, 3, 100);
    UT_EXPECT_EQ(boot(&man), US_OK);

    UT_EXPECT_EQ(process_count, 2);
    for (uint32_t i = 0; i < 2; i++) {
        struct process *p = &processes[i];

        UT_EXPECT_EQ(p->state, US_SERVER_RUNNING);
        UT_EXPECT_EQ(p->thread.state, TS_RUNNING);
        UT_EXPECT_EQ(p->thread.prio, 10 + i);
        UT_EXPECT_EQ(*host_pc(&p->thread.regs), 0x400000);
        UT_EXPECT_EQ(*host_sp(&p->thread.regs), US_VA_STACK_TOP);
        UT_EXPECT_EQ(arch_regs_get(&p->thread.regs, 0), US_VA_BOOTINFO);
        UT_EXPECT(p->thread.msg == user_ptr(p, US_VA_IPC_BUF));
        UT_EXPECT(p->ep->owner == p);
        UT_EXPECT(p->ep->bound == p->ntfn);
    }
    UT_EXPECT(strcmp(processes[1].name, "s1") == 0);
    bi = user_ptr(&processes[0], US_VA_BOOTINFO);
    UT_EXPECT(bi != NULL);
    if (bi != NULL) {
        UT_EXPECT_EQ(bi->abi_revision, US_ABI_REVISION);
        UT_EXPECT_EQ(bi->server_index, 0);
        UT_EXPECT_EQ(bi->cpu_count, 1);
        UT_EXPECT_EQ(bi->state_size, 2 * PAGE_SIZE);
        UT_EXPECT_EQ(bi->heap_size, 3 * PAGE_SIZE);
        UT_EXPECT(user_ptr(&processes[0], bi->heap_base + 2 * PAGE_SIZE) != NULL);
    }
    UT_EXPECT(user_ptr(&processes[0], US_VA_STATE + PAGE_SIZE) != NULL);
    UT_EXPECT(user_ptr(&processes[1], US_VA_STATE) == NULL);
    text = user_ptr(&processes[0], 0x400000);
    data = user_ptr(&processes[0], 0x401000);
    UT_EXPECT(text != NULL && text[0] == 0xd5 && text[15] == 0xd5 && text[16] == 0);
    UT_EXPECT(data != NULL && data[0] == 0x5a && data[0x7f] == 0x5a && data[0x80] == 0);

    UT_EXPECT(slot(&processes[0], 0)->obj == processes[0].ep);
    UT_EXPECT(slot(&processes[0], 2)->obj == processes[1].ep);
    UT_EXPECT_EQ(slot(&processes[0], 2)->badge, 9);
    UT_EXPECT(slot(&processes[0], 3)->obj == processes[1].ntfn);
    UT_EXPECT_EQ(slot(&processes[0], 4)->kind, US_CAPK_MEMORY);
    UT_EXPECT_EQ(pa_of(((struct memobj *)slot(&processes[0], 4)->obj)->base), PLAT_UART_BASE);
    UT_EXPECT(((struct memobj *)slot(&processes[0], 4)->obj)->device);
    UT_EXPECT_EQ(slot(&processes[0], 5)->kind, US_CAPK_IRQ);
    UT_EXPECT(host_irq_enabled(PLAT_UART_INTID));
    UT_EXPECT_EQ(((struct vm_control *)slot(&processes[0], 6)->obj)->quota, 1u << 20);
    UT_EXPECT_EQ(slot(&processes[0], 7)->kind, US_CAPK_KLOG);
    UT_EXPECT_EQ(slot(&processes[0], 8)->kind, US_CAPK_SERVER_CTL);
    UT_EXPECT_EQ(slot(&processes[0], 9)->kind, US_CAPK_MEMORY);
    UT_EXPECT_EQ(((struct memobj *)slot(&processes[0], 10)->obj)->size, PAGE_SIZE);
    UT_EXPECT(memcmp(pa_ptr(((struct memobj *)slot(&processes[0], 10)->obj)->base), dtb,
                     sizeof(dtb)) == 0);
    UT_EXPECT(slot(&processes[0], 11)->obj == slot(&processes[1], 6)->obj);
    UT_EXPECT_EQ(((struct memobj *)slot(&processes[1], 6)->obj)->size, PAGE_SIZE);
    UT_EXPECT_EQ(slot(&processes[1], 0)->kind, US_CAPK_NONE);
}

/* The watchdog: a server seen running on one message for PROCESS_WATCHDOG_TICKS ticks is
 * restarted; one that comes back to wait between ticks, or never said it recovers, is not. */
static void watchdog_restarts_hung_server(void)
{
    struct process *p = &processes[0];
    uint32_t i;

    kfx_init(1);
    kfx_manifest_init(&man, 2);
    kfx_manifest_cap(&man, 0, 0, US_MCAP_ENDPOINT, US_RIGHT_RECV, 0, 0);
    UT_EXPECT_EQ(boot(&man), US_OK);
    for (i = 0; i < 2u * PROCESS_WATCHDOG_TICKS; i++) {
        process_watch(&p->thread); /* it never said it recovers */
    }
    UT_EXPECT_EQ(p->restarts, 0);
    p->recovers = true;
    p->served = true;
    for (i = 0; i < 2u * PROCESS_WATCHDOG_TICKS; i++) {
        p->recv_epoch++; /* busy, but answering */
        process_watch(&p->thread);
    }
    UT_EXPECT_EQ(p->restarts, 0);
    process_watch(NULL); /* an idle CPU */
    for (i = 0; i < PROCESS_WATCHDOG_TICKS; i++) {
        process_watch(&p->thread);
    }
    UT_EXPECT_EQ(p->restarts, 1);
    UT_EXPECT_EQ(p->hangs, 1);
    UT_EXPECT_EQ(p->state, US_SERVER_RUNNING);
    UT_EXPECT(!p->served); /* a hang before its next reply waits for the operator */
    for (i = 0; i < 2u * PROCESS_WATCHDOG_TICKS; i++) {
        process_watch(&p->thread);
    }
    UT_EXPECT_EQ(p->restarts, 1);
}

/* A restart reloads the server in place: data from the image, bss, stack, heap and IPC buffer
 * zeroed, its own mappings gone, its capabilities and state region kept. */
static void restart_reloads_from_image(void)
{
    struct process *p = &processes[0];
    struct memobj *shared_mem;
    struct us_bootinfo *bi;
    uint8_t *data, *stack, *heap, *state, *ipc;
    uint64_t cursor, uart_len;

    kfx_init(1);
    kfx_manifest_init(&man, 2);
    man.srv[0].heap_pages = 1;
    man.srv[0].state_pages = 1;
    kfx_manifest_cap(&man, 0, 0, US_MCAP_ENDPOINT, US_RIGHT_RECV, 0, 0);
    kfx_manifest_cap(&man, 0, 11, US_MCAP_SHARED, US_RIGHT_READ, 3, 100);
    UT_EXPECT_EQ(boot(&man), US_OK);
    UT_EXPECT_EQ(process_restart(p), US_ENOTSUP); /* it never said it recovers */
    data = user_ptr(p, 0x401000);
    stack = user_ptr(p, US_VA_STACK_TOP - PAGE_SIZE);
    state = user_ptr(p, US_VA_STATE);
    ipc = user_ptr(p, US_VA_IPC_BUF);
    bi = user_ptr(p, US_VA_BOOTINFO);
    heap = bi != NULL ? user_ptr(p, bi->heap_base) : NULL;
    UT_EXPECT(data && stack && state && ipc && bi && heap);
    if (!(data && stack && state && ipc && bi && heap)) {
        return;
    }
    memset(data, 0x11, PAGE_SIZE); /* what the first instance did to its memory */
    memset(stack, 0x22, PAGE_SIZE);
    memset(heap, 0x33, PAGE_SIZE);
    memset(ipc, 0x44, PAGE_SIZE);
    memset(state, 0x55, PAGE_SIZE);
    shared_mem = slot(p, 11)->obj;
    UT_EXPECT_EQ(process_map(p, shared_mem, va_init(US_VA_DYNAMIC), US_RIGHT_READ), US_OK);
    UT_EXPECT(user_ptr(p, US_VA_DYNAMIC) != NULL);
    *host_pc(&p->thread.regs) = 0x400abc;
    p->recovers = true;

    /* Runnable, maybe in the middle of a message: it restarts when it next waits for one. */
    UT_EXPECT_EQ(process_restart(p), US_OK);
    UT_EXPECT(p->restart_due && p->restarts == 0);
    UT_EXPECT(process_waits(p));
    UT_EXPECT(!p->restart_due);
    UT_EXPECT(data[0] == 0x5a && data[0x7f] == 0x5a && data[0x80] == 0 && data[0xfff] == 0);
    UT_EXPECT(stack[0] == 0 && heap[0] == 0 && ipc[0] == 0);
    UT_EXPECT(state[0] == 0x55 && state[PAGE_SIZE - 1] == 0x55); /* kept */
    UT_EXPECT(user_ptr(p, US_VA_DYNAMIC) == NULL && shared_mem->maps == 0);
    UT_EXPECT(slot(p, 11)->obj == shared_mem && slot(p, 0)->obj == p->ep);
    UT_EXPECT_EQ(bi->restart_count, 1);
    UT_EXPECT_EQ(p->restarts, 1);
    UT_EXPECT_EQ(p->state, US_SERVER_RUNNING);
    UT_EXPECT_EQ(p->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(*host_pc(&p->thread.regs), 0x400000);
    UT_EXPECT_EQ(arch_regs_get(&p->thread.regs, 0), US_VA_BOOTINFO);
    UT_EXPECT(strstr(host_uart, "server s0 restarted from the boot image (restart 1)") != NULL);

    /* A fault restarts it once it has served; before that, it stays stopped. It reads the
     * kernel's log (as the console does): another server's fault leaves the UART to it. */
    klog_set_reader(p->ntfn, 1);
    (void)klog_read(UINT64_MAX, (char *)ipc, 64, &cursor);
    uart_len = host_uart_len;
    process_fault(&processes[1], 0, 0, 0);
    UT_EXPECT_EQ(host_uart_len, uart_len);
    process_fault(p, 0, 0, 0);
    UT_EXPECT_EQ(p->state, US_SERVER_FAULTED);
    UT_EXPECT_EQ(p->restarts, 1);
    /* The reader stays down: the kernel writes the UART itself again. */
    UT_EXPECT(strstr(host_uart, "server s0 faulted") != NULL);
    UT_EXPECT(strstr(host_uart, "faulted before serving a request") != NULL);
    UT_EXPECT_EQ(process_restart(p), US_OK);           /* the operator may */
    (void)klog_read(cursor, (char *)ipc, 64, &cursor); /* the new instance reads on */
    uart_len = host_uart_len;
    p->served = true;
    process_fault(p, 0, 0, 0);
    UT_EXPECT_EQ(p->state, US_SERVER_RUNNING);
    UT_EXPECT_EQ(p->restarts, 3);
    UT_EXPECT_EQ(bi->restart_count, 3);
    UT_EXPECT_EQ(host_uart_len, uart_len); /* restarted: it shows what it missed itself */
    klog_set_reader(NULL, 0);
}

static void boot_maps_bundle_in_place(void)
{
    uint64_t size;
    uint8_t *b;
    struct memobj *m;

    kfx_init(1);
    kfx_manifest_init(&man, 1);
    kfx_manifest_cap(&man, 0, 7, US_MCAP_BUNDLE, US_RIGHT_READ, 0, 0);
    b = kfx_boot_bundle(&man, &size);
    UT_EXPECT_EQ(process_boot_all(b, size, pa_from_ptr(dtb), sizeof(dtb)), US_OK);
    m = slot(&processes[0], 7)->obj;
    UT_EXPECT(pa_ptr(m->base) == b);
    UT_EXPECT_EQ(m->size, size);
    UT_EXPECT_EQ(process_boot_bundle_size(), size);
}

static void boot_copies_unaligned_bundle(void)
{
    uint64_t size;
    uint8_t *b, *shifted;
    struct memobj *m;

    kfx_init(1);
    kfx_manifest_init(&man, 1);
    kfx_manifest_cap(&man, 0, 7, US_MCAP_BUNDLE, US_RIGHT_READ, 0, 0);
    b = kfx_boot_bundle(&man, &size);
    shifted = aligned_alloc(PAGE_SIZE, size + PAGE_SIZE);
    memcpy(shifted + 8, b, size);
    UT_EXPECT_EQ(process_boot_all(shifted + 8, size, pa_from_ptr(dtb), sizeof(dtb)), US_OK);
    m = slot(&processes[0], 7)->obj;
    UT_EXPECT(is_aligned(pa_of(m->base), PAGE_SIZE));
    UT_EXPECT(pa_ptr(m->base) != shifted + 8);
    UT_EXPECT(memcmp(pa_ptr(m->base), b, size) == 0);
    UT_EXPECT_EQ(processes[0].state, US_SERVER_RUNNING);
    free(shifted);
    free(b);
}

static void boot_rejects_bad_bundle(void)
{
    uint64_t size;
    uint8_t *b;

    kfx_init(1);
    kfx_manifest_init(&man, 1);
    b = kfx_boot_bundle(&man, &size);
    b[64] ^= 1; /* the first entry's name: the table hash no longer matches */
    UT_EXPECT_EQ(process_boot_all(b, size, pa_from_ptr(dtb), sizeof(dtb)), US_ECORRUPT);
    UT_EXPECT_EQ(process_count, 0);
}

static void boot_rejects_missing_manifest(void)
{
    static uint8_t elf[0x2000];
    struct kfx_entry e = {"srv", US_BUNDLE_SERVER, elf, kfx_elf(elf, sizeof(elf))};
    uint64_t size;
    uint8_t *b = kfx_bundle(&e, 1, &size);

    kfx_init(1);
    UT_EXPECT_EQ(process_boot_all(b, size, pa_from_ptr(dtb), sizeof(dtb)), US_ECORRUPT);
    UT_EXPECT_EQ(process_count, 0);
}

static void boot_rejects_manifest_hash(void)
{
    uint64_t size;
    uint8_t *b;

    kfx_init(1);
    kfx_manifest_init(&man, 1);
    b = kfx_boot_bundle(&man, &size);
    b[US_BUNDLE_ALIGN + 20] ^= 1; /* manifest bytes, after their hash was taken */
    UT_EXPECT_EQ(process_boot_all(b, size, pa_from_ptr(dtb), sizeof(dtb)), US_ECORRUPT);
    UT_EXPECT_EQ(process_count, 0);
}

static void boot_rejects_bad_manifest(void)
{
    kfx_init(1);
    kfx_manifest_init(&man, 1);
    man.srv[0].priority = 0;
    UT_EXPECT_EQ(boot(&man), US_ERANGE);
    UT_EXPECT_EQ(process_count, 0);
}

static void boot_rejects_missing_image(void)
{
    kfx_init(1);
    kfx_manifest_init(&man, 2);
    strcpy(man.srv[1].image, "nothing");
    UT_EXPECT_EQ(boot(&man), US_ECORRUPT);
    UT_EXPECT(processes[0].state != US_SERVER_RUNNING); /* nothing starts */
}

static void boot_rejects_image_hash(void)
{
    uint64_t size;
    uint8_t *b;

    kfx_init(1);
    kfx_manifest_init(&man, 1);
    b = kfx_boot_bundle(&man, &size);
    b[2 * US_BUNDLE_ALIGN + 0x1000] ^= 1; /* the server's text */
    UT_EXPECT_EQ(process_boot_all(b, size, pa_from_ptr(dtb), sizeof(dtb)), US_ECORRUPT);
    UT_EXPECT(processes[0].state != US_SERVER_RUNNING);
}

static void boot_rejects_bad_elf(void)
{
    static uint8_t elf[0x2000];
    struct kfx_entry e[2];
    uint64_t size, elf_size = kfx_elf(elf, sizeof(elf));
    uint8_t *b;

    kfx_init(1);
    kfx_manifest_init(&man, 1);
    elf[18] = 62; /* e_machine: x86-64 */
    e[0] = (struct kfx_entry){"manifest", US_BUNDLE_MANIFEST, &man,
                              sizeof(man.hdr) + sizeof(man.srv[0])};
    e[1] = (struct kfx_entry){"srv", US_BUNDLE_SERVER, elf, elf_size};
    b = kfx_bundle(e, 2, &size);
    UT_EXPECT_EQ(process_boot_all(b, size, pa_from_ptr(dtb), sizeof(dtb)), US_ECORRUPT);
    UT_EXPECT(processes[0].state != US_SERVER_RUNNING);
}

static void boot_rejects_mmio_over_ram(void)
{
    kfx_init(1);
    kfx_manifest_init(&man, 1);
    kfx_manifest_cap(&man, 0, 6, US_MCAP_MMIO, US_RIGHT_READ, PLAT_RAM_BASE - 0x1000, 0x2000);
    UT_EXPECT_EQ(boot(&man), US_ERANGE);
    UT_EXPECT(processes[0].state != US_SERVER_RUNNING);
}

static void boot_rejects_mmio_over_gic(void)
{
    kfx_init(1);
    kfx_manifest_init(&man, 1);
    kfx_manifest_cap(&man, 0, 6, US_MCAP_MMIO, US_RIGHT_READ, PLAT_GICD_BASE, 0x1000);
    UT_EXPECT_EQ(boot(&man), US_ERANGE);
}

/* A window that wraps past the top of the address space ends "below" where it starts, and a
 * board's rule (plat_mmio_allowed()) would take it for high I/O: the manifest's own check
 * refuses it first, which is why the boards may assume windows do not wrap. */
static void boot_rejects_mmio_that_wraps(void)
{
    kfx_init(1);
    kfx_manifest_init(&man, 1);
    kfx_manifest_cap(&man, 0, 6, US_MCAP_MMIO, US_RIGHT_READ, 0xfffffffffffff000ull, 0x2000);
    UT_EXPECT_EQ(boot(&man), US_ERANGE);
    UT_EXPECT(processes[0].state != US_SERVER_RUNNING);
}

static void boot_rejects_irq_routed_twice(void)
{
    kfx_init(1);
    kfx_manifest_init(&man, 2);
    kfx_manifest_cap(&man, 0, 6, US_MCAP_IRQ, 0, 40, 1);
    kfx_manifest_cap(&man, 1, 6, US_MCAP_IRQ, 0, 40, 1);
    UT_EXPECT_EQ(boot(&man), US_EEXIST);
    UT_EXPECT(processes[0].state != US_SERVER_RUNNING);
}

static void boot_rejects_irq_not_spi(void)
{
    kfx_init(1);
    kfx_manifest_init(&man, 1);
    kfx_manifest_cap(&man, 0, 6, US_MCAP_IRQ, 0, 27, 1); /* a PPI: the kernel's */
    UT_EXPECT_EQ(boot(&man), US_ERANGE);
}

static void boot_reports_enomem(void)
{
    uint64_t size;
    uint8_t *b;

    kfx_init(1);
    kfx_manifest_init(&man, 1);
    man.srv[0].heap_pages = KFX_FRAMES; /* more than all RAM */
    b = kfx_boot_bundle(&man, &size);
    UT_EXPECT_EQ(process_boot_all(b, size, pa_from_ptr(dtb), sizeof(dtb)), US_ENOMEM);
    UT_EXPECT(processes[0].state != US_SERVER_RUNNING);
}

/* Fault containment: srv faults while the others use it. */
static struct process *srv, *cli, *cli2, *other;

static void setup_servers(void)
{
    kfx_init(1);
    srv = kfx_process("srv", 20);
    cli = kfx_process("cli", 10);
    cli2 = kfx_process("cli2", 10);
    other = kfx_process("other", 30);
}

static void call(struct process *from, struct process *to)
{
    kfx_msg(&from->thread, 0x100, 8, from->index);
    UT_EXPECT_EQ(endpoint_call(to->ep, &from->thread, from->index), US_OK);
}

static void fault_records_and_stops(void)
{
    setup_servers();
    process_fault(srv, 0x96000045, 0xdead0000, 0x400123);
    UT_EXPECT_EQ(srv->state, US_SERVER_FAULTED);
    UT_EXPECT_EQ(srv->faults, 1);
    UT_EXPECT_EQ(srv->fault_esr, 0x96000045);
    UT_EXPECT_EQ(srv->fault_addr, 0xdead0000);
    UT_EXPECT_EQ(srv->fault_pc, 0x400123);
    UT_EXPECT_EQ(srv->thread.state, TS_FAULTED);
    UT_EXPECT(!srv->thread.queued);
    UT_EXPECT(strstr(host_uart, "server srv faulted") != NULL);
    for (struct thread *t; (t = sched_next()) != NULL;) {
        UT_EXPECT(t != &srv->thread);
        this_cpu()->current = t;
        sched_block(t, TS_BLOCKED_RECV);
    }
}

static void fault_fails_client_waiting_for_reply(void)
{
    setup_servers();
    endpoint_recv(srv->ep, &srv->thread);
    call(cli, srv);
    UT_EXPECT_EQ(cli->thread.state, TS_BLOCKED_REPLY);
    process_fault(srv, 0, 0, 0);
    UT_EXPECT_EQ(cli->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(kfx_r(&cli->thread, 0), US_EABORT);
    UT_EXPECT(cli->thread.callee == NULL);
    UT_EXPECT(srv->thread.caller == NULL);
}

static void fault_fails_queued_callers(void)
{
    setup_servers();
    call(cli, srv);
    call(cli2, srv);
    process_fault(srv, 0, 0, 0);
    UT_EXPECT_EQ(kfx_r(&cli->thread, 0), US_EABORT);
    UT_EXPECT_EQ(kfx_r(&cli2->thread, 0), US_EABORT);
    UT_EXPECT_EQ(cli->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(cli2->thread.state, TS_RUNNING);
    UT_EXPECT(srv->ep->senders.head == NULL);
}

static void fault_fails_later_calls(void)
{
    setup_servers();
    process_fault(srv, 0, 0, 0);
    kfx_msg(&cli->thread, 0x100, 0, 0);
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli->thread, 0), US_EABORT);
    UT_EXPECT_EQ(cli->thread.state, TS_RUNNING);
}

static void fault_while_receiving(void)
{
    setup_servers();
    endpoint_recv(srv->ep, &srv->thread);
    process_fault(srv, 0, 0, 0);
    UT_EXPECT(srv->ep->receivers.head == NULL);
    UT_EXPECT(srv->thread.wait_ep == NULL);
    kfx_msg(&cli->thread, 0x100, 0, 0);
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli->thread, 0), US_EABORT);
    UT_EXPECT_EQ(srv->thread.state, TS_FAULTED); /* not handed the message */
}

static void fault_while_calling(void)
{
    setup_servers();
    endpoint_recv(other->ep, &other->thread);
    call(srv, other); /* srv waits for other's reply */
    process_fault(srv, 0, 0, 0);
    UT_EXPECT(other->thread.caller == NULL);
    UT_EXPECT(srv->thread.callee == NULL);
    kfx_msg(&other->thread, 0x101, 0, 0);
    UT_EXPECT_EQ(kfx_reply(&other->thread), US_ENOENT);
    UT_EXPECT_EQ(srv->thread.state, TS_FAULTED);
}

static void fault_while_queued_as_caller(void)
{
    setup_servers();
    call(srv, other); /* other is not receiving: srv is queued */
    process_fault(srv, 0, 0, 0);
    UT_EXPECT(other->ep->senders.head == NULL);
    endpoint_recv(other->ep, &other->thread);
    UT_EXPECT_EQ(other->thread.state, TS_BLOCKED_RECV); /* nobody to take */
}

static void fault_while_waiting_notification(void)
{
    setup_servers();
    srv->ntfn->bound = NULL;
    notification_wait(srv->ntfn, &srv->thread);
    process_fault(srv, 0, 0, 0);
    UT_EXPECT(srv->ntfn->waiter == NULL);
    UT_EXPECT(srv->thread.wait_ntfn == NULL);
    notification_signal(srv->ntfn, 1);
    UT_EXPECT_EQ(srv->thread.state, TS_FAULTED);
    UT_EXPECT_EQ(srv->ntfn->bits, 1);
}

static void fault_requeues_waiting_vcpu(void)
{
    static struct vm_control ctl = {.quota = 1u << 20};
    struct vm *vm;
    struct vcpu *v;

    setup_servers();
    UT_EXPECT_EQ(vm_create(&ctl, &vm), US_OK);
    UT_EXPECT_EQ(vcpu_create(vm, 0, srv->ep, 1, 0, &v), US_OK);
    UT_EXPECT_EQ(vcpu_start(v, 0, 0), US_OK);
    endpoint_recv(srv->ep, &srv->thread);
    v->exit_esr = US_EXIT_MMIO;
    vcpu_handle_exit(v);
    UT_EXPECT_EQ(v->thread.state, TS_BLOCKED_REPLY);
    call(cli, srv); /* queued behind */
    process_fault(srv, 0, 0, 0);
    UT_EXPECT_EQ(v->thread.state, TS_BLOCKED_SEND); /* kept for a restarted server */
    UT_EXPECT(v->thread.wait_ep == srv->ep);
    UT_EXPECT(srv->ep->senders.head == &v->thread);
    UT_EXPECT(v->started);
    UT_EXPECT_EQ(kfx_r(&cli->thread, 0), US_EABORT);
}

static void fault_spares_other_servers(void)
{
    setup_servers();
    endpoint_recv(srv->ep, &srv->thread);
    call(cli, srv);
    endpoint_recv(other->ep, &other->thread);
    call(cli2, other);
    process_fault(srv, 0, 0, 0);
    UT_EXPECT_EQ(other->state, US_SERVER_RUNNING);
    UT_EXPECT_EQ(cli2->thread.state, TS_BLOCKED_REPLY);
    kfx_msg(&other->thread, 0x101, 8, 77);
    UT_EXPECT_EQ(kfx_reply(&other->thread), US_OK);
    UT_EXPECT_EQ(cli2->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(kfx_r(&cli2->thread, 0), US_OK);
    UT_EXPECT_EQ(cli2->thread.msg->w[0], 77);
}

UT_MAIN({"boot_starts_every_server", boot_starts_every_server},
        {"boot_maps_bundle_in_place", boot_maps_bundle_in_place},
        {"boot_copies_unaligned_bundle", boot_copies_unaligned_bundle},
        {"boot_rejects_bad_bundle", boot_rejects_bad_bundle},
        {"boot_rejects_missing_manifest", boot_rejects_missing_manifest},
        {"boot_rejects_manifest_hash", boot_rejects_manifest_hash},
        {"boot_rejects_bad_manifest", boot_rejects_bad_manifest},
        {"boot_rejects_missing_image", boot_rejects_missing_image},
        {"boot_rejects_image_hash", boot_rejects_image_hash},
        {"boot_rejects_bad_elf", boot_rejects_bad_elf},
        {"boot_rejects_mmio_over_ram", boot_rejects_mmio_over_ram},
        {"boot_rejects_mmio_that_wraps", boot_rejects_mmio_that_wraps},
        {"boot_rejects_mmio_over_gic", boot_rejects_mmio_over_gic},
        {"boot_rejects_irq_routed_twice", boot_rejects_irq_routed_twice},
        {"boot_rejects_irq_not_spi", boot_rejects_irq_not_spi},
        {"boot_reports_enomem", boot_reports_enomem},
        {"restart_reloads_from_image", restart_reloads_from_image},
        {"watchdog_restarts_hung_server", watchdog_restarts_hung_server},
        {"fault_records_and_stops", fault_records_and_stops},
        {"fault_fails_client_waiting_for_reply", fault_fails_client_waiting_for_reply},
        {"fault_fails_queued_callers", fault_fails_queued_callers},
        {"fault_fails_later_calls", fault_fails_later_calls},
        {"fault_while_receiving", fault_while_receiving},
        {"fault_while_calling", fault_while_calling},
        {"fault_while_queued_as_caller", fault_while_queued_as_caller},
        {"fault_while_waiting_notification", fault_while_waiting_notification},
        {"fault_requeues_waiting_vcpu", fault_requeues_waiting_vcpu},
        {"fault_spares_other_servers", fault_spares_other_servers})
