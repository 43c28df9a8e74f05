/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for kernel/main.c: booting from the fake board's facts to the first server,
 * another CPU joining, and the kernel exit that picks, switches to or idles for a thread. */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <understudy/bundle.h>
#include <us/irq.h>
#include <us/kmem.h>
#include <us/lock.h>
#include <us/notification.h>
#include <us/platform.h>
#include <us/sched.h>
#include <us/syscall.h>
#include "kernel_fx.h"
#include "ut.h"

void kmain(uint64_t dtb);
void ksecondary(uint32_t index);

#define RAM_SIZE (8ull << 20)

static jmp_buf env;
static struct arch_regs *entered;
static struct plat_boot_info bi;
static uint8_t *ram;

static void back_to_test(struct arch_regs *regs)
{
    entered = regs;
    longjmp(env, 1);
}

static void idle_back_to_test(void)
{
    longjmp(env, 2);
}

/* RAM as the board reports it: the kernel image at its start, the DTB at 1 MiB, the bundle
 * of @m at 2 MiB (or @m NULL: garbage there), two CPUs. */
static void board(const struct kfx_manifest *m)
{
    uint64_t size = PAGE_SIZE;
    uint8_t *b = NULL;

    ram = aligned_alloc(2ull << 20, RAM_SIZE);
    memset(ram, 0, RAM_SIZE);
    if (m != NULL) {
        b = kfx_boot_bundle(m, &size);
        memcpy(ram + (2u << 20), b, size);
        free(b);
    }
    memset(ram + (1u << 20), 0xdb, 512);
    bi = (struct plat_boot_info){0};
    bi.ram_base = pa_from_ptr(ram);
    bi.ram_size = RAM_SIZE;
    bi.dtb = pa_from_ptr(ram + (1u << 20));
    bi.dtb_size = 512;
    bi.initrd = pa_from_ptr(ram + (2u << 20));
    bi.initrd_size = size;
    bi.cpu_count = 2;
    bi.mpidr[0] = 0;
    bi.mpidr[1] = 1;
    bi.rsv_count = 1;
    bi.rsv_base[0] = pa_from_ptr(ram + (4u << 20));
    bi.rsv_size[0] = PAGE_SIZE;
    host_boot = &bi;
    host_image_start = pa_from_ptr(ram);
    host_image_end = pa_from_ptr(ram + (64u << 10));
    host_enter_first_hook = back_to_test;
    host_wfi_hook = idle_back_to_test;
}

static void kmain_starts_servers_and_cpus(void)
{
    static struct kfx_manifest man;

    kfx_manifest_init(&man, 2);
    board(&man);
    if (setjmp(env) == 0) {
        kmain(0);
    }
    UT_EXPECT(entered == &processes[1].thread.regs); /* the higher priority runs first */
    UT_EXPECT(cpus[0].current == &processes[1].thread);
    UT_EXPECT_EQ(process_count, 2);
    UT_EXPECT(strstr(host_uart, "Understudy hypervisor") != NULL);
    UT_EXPECT(strstr(host_uart, "2 servers up") != NULL);
    UT_EXPECT_EQ(host_cpu_on_calls, 1);
    UT_EXPECT_EQ(cpu_count, 2);
    UT_EXPECT(cpus[0].online);
    UT_EXPECT(host_irq_enabled(HOST_TIMER_INTID));
    UT_EXPECT_EQ(host_timer_armed_us, 10000);
    /* The allocator has RAM but not the image, its bitmap, the DTB, bundle or reserved. */
    UT_EXPECT_EQ(kmem_pool.frame_count, RAM_SIZE / PAGE_SIZE);
    UT_EXPECT(kfx_frame_used(&kmem_pool, pa_from_ptr(ram)));
    UT_EXPECT(kfx_frame_used(&kmem_pool, bi.dtb));
    UT_EXPECT(kfx_frame_used(&kmem_pool, bi.initrd));
    UT_EXPECT(kfx_frame_used(&kmem_pool, bi.rsv_base[0]));
    UT_EXPECT(!kfx_frame_used(&kmem_pool, pa_from_ptr(ram + RAM_SIZE - PAGE_SIZE)));

    /* CPU 1 joins: nothing is placed on it yet, so it idles. */
    if (setjmp(env) == 0) {
        ksecondary(1);
    }
    UT_EXPECT(cpus[1].online);
    UT_EXPECT(cpus[1].current == NULL);
    UT_EXPECT(this_cpu() == &cpus[1]);
    UT_EXPECT(strstr(host_uart, "CPU 1 up") != NULL);
}

static void kmain_skips_cpu_that_fails_to_start(void)
{
    static struct kfx_manifest man;

    kfx_manifest_init(&man, 1);
    board(&man);
    host_cpu_on_result = US_EINVAL;
    if (setjmp(env) == 0) {
        kmain(0);
    }
    UT_EXPECT_EQ(host_cpu_on_calls, 1);
    UT_EXPECT_EQ(cpu_count, 1);
    UT_EXPECT(entered == &processes[0].thread.regs);
}

static void kmain_idles_when_image_refused(void)
{
    board(NULL);
    if (setjmp(env) == 0) {
        kmain(0);
    }
    UT_EXPECT(entered == NULL); /* nothing to enter: it waits */
    UT_EXPECT_EQ(host_wfis, 1);
    UT_EXPECT(strstr(host_uart, "boot image refused") != NULL);
}

static void kmain_panics_without_device_tree(void)
{
    board(NULL);
    host_fdt_result = US_ENOENT;
    if (setjmp(env) == 0) {
        kmain(0);
    }
    UT_EXPECT(strstr(host_uart, "PANIC: boot data (device tree, start_info) at 0x0 unusable") !=
              NULL);
    UT_EXPECT(entered == NULL);
}

static struct process *srv;

static void raise_route(void)
{
    host_irq_raise(40);
}

static void exit_idles_until_interrupt(void)
{
    struct irq_route *r;
    struct arch_regs *regs;

    kfx_init(1);
    srv = kfx_process("srv", 20);
    UT_EXPECT_EQ(irq_route_create(40, srv->ntfn, 1, &r), US_OK);
    srv->ntfn->bound = NULL;
    notification_wait(srv->ntfn, &srv->thread);
    host_wfi_hook = raise_route;
    kernel_lock();
    regs = kernel_exit();
    kernel_unlock();
    UT_EXPECT_EQ(host_wfis, 1);
    UT_EXPECT(regs == &srv->thread.regs);
    UT_EXPECT(cpus[0].current == &srv->thread);
    UT_EXPECT_EQ(cpus[0].guest_entries, 0);
}

static void idle_then_route(void)
{
    host_counter += 50; /* the CPU sleeps 50 ticks, then the device interrupts */
    host_irq_raise(40);
}

/* Time is charged at switches and idling: to the server that ran, and to idle. */
static void exit_charges_server_and_idle_time(void)
{
    struct irq_route *r;

    host_counter = 1000; /* the CPU joins at 1000 */
    kfx_init(1);
    srv = kfx_process("srv", 20);
    UT_EXPECT_EQ(irq_route_create(40, srv->ntfn, 1, &r), US_OK);
    srv->ntfn->bound = NULL;
    host_wfi_hook = idle_then_route;
    for (int i = 0; i < 2; i++) {
        notification_wait(srv->ntfn, &srv->thread);
        kernel_lock();
        UT_EXPECT(kernel_exit() == &srv->thread.regs);
        kernel_unlock();
        host_counter += 30; /* the server runs 30 ticks before it waits again */
    }
    UT_EXPECT_EQ(cpus[0].ran[CPU_RAN_IDLE], 100);
    UT_EXPECT_EQ(cpus[0].ran[CPU_RAN_SERVER], 30); /* the second 30 is not charged yet */
    UT_EXPECT_EQ(cpus[0].ran[CPU_RAN_GUEST], 0);
}

static void exit_keeps_current_without_switch(void)
{
    kfx_init(1);
    srv = kfx_process("srv", 20);
    UT_EXPECT(kernel_exit() == &srv->thread.regs);
    UT_EXPECT_EQ(host_switches, 1);
    UT_EXPECT(kernel_exit() == &srv->thread.regs);
    UT_EXPECT_EQ(host_switches, 1); /* still current: nothing to load */
}

UT_MAIN({"kmain_starts_servers_and_cpus", kmain_starts_servers_and_cpus},
        {"kmain_skips_cpu_that_fails_to_start", kmain_skips_cpu_that_fails_to_start},
        {"kmain_idles_when_image_refused", kmain_idles_when_image_refused},
        {"kmain_panics_without_device_tree", kmain_panics_without_device_tree},
        {"exit_idles_until_interrupt", exit_idles_until_interrupt},
        {"exit_charges_server_and_idle_time", exit_charges_server_and_idle_time},
        {"exit_keeps_current_without_switch", exit_keeps_current_without_switch})
