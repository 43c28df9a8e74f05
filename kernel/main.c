/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Boot: read the device tree, take over memory, start the servers and the other CPUs, enter
 * the scheduler. */
#include <understudy/abi.h>
#include <us/irq.h>
#include <us/kmem.h>
#include <us/lock.h>
#include <us/log.h>
#include <us/memrange.h>
#include <us/platform.h>
#include <us/process.h>
#include <us/sched.h>
#include <us/syscall.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include <us/arch/boot.h>
#include <us/arch/cpu.h>
#include <us/arch/irq.h>
#include <us/arch/mmu.h>
#include <us/arch/vcpu.h>

#define TICK_US 10000u

uint64_t __stack_chk_guard = 0x595e9fbd94fda766ull;

_Noreturn void __stack_chk_fail(void);
_Noreturn void __stack_chk_fail(void)
{
    klog_panic("kernel stack protector: stack smashing detected");
}

static void handle_tick(bool tick)
{
    if (tick) {
        process_watch(this_cpu()->current);
        sched_tick();
        vcpu_tick(arch_counter());
        memrange_tick();
        vm_fastmmio_tick();
        arch_timer_arm(TICK_US);
    }
}

/* Charge the time since the last change on @c to what ran, and start charging @kind. Only at
 * switches and idling, so a trap the kernel finishes counts for the guest it finished it for. */
static void cpu_charge(struct cpu *c, uint32_t kind)
{
    uint64_t now = arch_counter_relaxed();

    c->ran[c->ran_kind] += now - c->ran_since;
    c->ran_since = now;
    c->ran_kind = kind;
}

/* Nothing to run: idle until something is (out of line: kernel_exit() keeps a small frame). */
static __attribute__((noinline)) struct thread *idle(struct cpu *c)
{
    struct thread *n;

    do {
        c->current = NULL;
        cpu_charge(c, CPU_RAN_IDLE);
        kernel_unlock(); /* a kick or a device wakes the WFI even while it waits */
        arch_wait_for_interrupt();
        kernel_lock();
        handle_tick(irq_handle());
        if (c->settle) {
            arch_cpu_settle();
        }
    } while ((n = sched_next()) == NULL);
    return n;
}

struct arch_regs *kernel_exit(void)
{
    struct cpu *c = this_cpu();
    struct thread *n;

    if (c->settle) {
        arch_cpu_settle();
    }
    if ((n = sched_next()) == NULL) {
        n = idle(c);
    }
    if (n->vcpu != NULL && vcpu_settle(n->vcpu)) {
        c->current = NULL; /* its context was replaced: load it even if it was running */
    }
    if (n != c->current) {
        arch_switch_to(n);
        c->current = n;
        c->to_server += n->vcpu == NULL;
        cpu_charge(c, n->vcpu != NULL ? CPU_RAN_GUEST : CPU_RAN_SERVER);
    } else if (n->vcpu != NULL) {
        arch_vcpu_continue(n->vcpu);
    }
    c->guest_entries += n->vcpu != NULL;
    if (vm_reap_pending) {
        vm_reap(); /* this CPU may just have left a destroyed VM */
    }
    return &n->regs;
}

void kernel_irq(void)
{
    handle_tick(irq_handle());
}

static void take_memory(const struct plat_boot_info *bi)
{
    uint64_t frames = bi->ram_size / PAGE_SIZE;
    paddr_t img_lo = arch_image_start(), img_hi = arch_image_end();
    uint64_t words = frame_pool_bitmap_words(frames);
    uint64_t *bitmap = pa_ptr(img_hi);
    uint32_t i;

    frame_pool_init(&kmem_pool, bi->ram_base, frames, bitmap);
    frame_pool_reserve(&kmem_pool, img_lo, pa_of(img_hi) - pa_of(img_lo) + words * 8u);
    frame_pool_reserve(&kmem_pool, bi->dtb, bi->dtb_size);
    frame_pool_reserve(&kmem_pool, bi->initrd, bi->initrd_size);
    for (i = 0; i < bi->rsv_count; i++) {
        frame_pool_reserve(&kmem_pool, bi->rsv_base[i], bi->rsv_size[i]);
    }
}

/* Where each CPU joins: its own EL2 setup, interrupt controller and tick, then the
 * scheduler, which gives it the vCPUs placed on it. */
static void cpu_join(struct cpu *c, uint64_t mpidr)
{
    arch_irq_init_cpu(mpidr);
    arch_vgic_init();
    arch_timer_arm(TICK_US);
    arch_irq_enable(arch_timer_intid());
    c->ran_since = arch_counter_relaxed(); /* charged to idle until a thread runs */
    c->ran_kind = CPU_RAN_IDLE;
    c->online = true;
}

void ksecondary(uint32_t index);
void ksecondary(uint32_t index)
{
    struct cpu *c = &cpus[index];
    struct arch_regs *r;

    arch_secondary_init(c);
    kernel_lock();
    cpu_join(c, arch_cpu_affinity());
    US_LOG_INFO("CPU %u up (hardware ID 0x%llx)", index, (unsigned long long)arch_cpu_affinity());
    r = kernel_exit();
    kernel_unlock();
    arch_enter_first(r);
}

/* Start every other CPU the device tree lists; each joins once the kernel lock is free. */
static void start_secondaries(const struct plat_boot_info *bi)
{
    uint64_t self = arch_cpu_affinity();

    for (uint32_t i = 0; i < bi->cpu_count && cpu_count < SCHED_MAX_CPUS; i++) {
        if (bi->mpidr[i] == self) {
            continue;
        }
        cpus[cpu_count].index = cpu_count;
        if (plat_cpu_on(bi->mpidr[i], arch_secondary_entry(), cpu_count) == US_OK) {
            cpu_count++;
        }
    }
}

void kmain(uint64_t dtb);
void kmain(uint64_t dtb)
{
    struct plat_boot_info bi;
    struct arch_regs *r;
    us_err_t e;

    cpus[0].index = 0;
    arch_early_init(&cpus[0]);
    kernel_lock();
    __stack_chk_guard ^= arch_counter() * 0x9e3779b97f4a7c15ull;
    US_LOG_INFO("Understudy hypervisor (ABI %u) on %s, entered %s", US_ABI_REVISION, plat_name(),
                arch_cpu_mode());
    e = plat_boot_parse(pa_init(dtb), &bi);
    if (e != US_OK) {
        klog_panic("boot data (device tree, start_info) at 0x%llx unusable: %s",
                   (unsigned long long)dtb, us_err_name(e));
    }
    US_LOG_INFO("RAM 0x%llx+0x%llx, %u CPU(s), bundle 0x%llx+0x%llx",
                (unsigned long long)pa_of(bi.ram_base), (unsigned long long)bi.ram_size,
                bi.cpu_count, (unsigned long long)pa_of(bi.initrd),
                (unsigned long long)bi.initrd_size);
    if (pa_of(bi.ram_base) + bi.ram_size > arch_ram_end()) {
        US_LOG_WARN("RAM above 0x%llx left unused: the kernel cannot map it",
                    (unsigned long long)arch_ram_end());
        bi.ram_size = arch_ram_end() - pa_of(bi.ram_base);
    }
    take_memory(&bi);
    e = arch_mmu_kernel_map_final(bi.ram_base, bi.ram_size);
    if (e != US_OK) {
        klog_panic("cannot build the kernel map: %s", us_err_name(e));
    }
    arch_irq_init();
    cpu_join(&cpus[0], arch_cpu_affinity());
    start_secondaries(&bi); /* they wait for the lock: servers get placed first */
    /* The servers' images hash with the SHA-256 instructions: no thread's FP state is live yet. */
    sha256_use_blocks(arch_sha256_blocks());
    e = process_boot_all(pa_ptr(bi.initrd), bi.initrd_size, bi.dtb, bi.dtb_size);
    sha256_use_blocks(NULL); /* from here on the FP registers are the threads' */
    if (e != US_OK) {
        US_LOG_ERR("boot image refused (%s): no server started; fix the image and reboot",
                   us_err_name(e));
    } else {
        US_LOG_INFO("%u servers up, %llu free frames", process_count,
                    (unsigned long long)kmem_pool.free_count);
    }
    r = kernel_exit();
    kernel_unlock();
    arch_enter_first(r);
}
