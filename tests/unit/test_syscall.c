/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for kernel/syscall.c through syscall_dispatch(): each call's work, and a negative
 * test for every error it documents (handles, kinds, rights, lengths, ranges). The VM and
 * vCPU calls are in test_vm.c. */
#include <string.h>
#include <understudy/syscalls.h>
#include <us/endpoint.h>
#include <us/irq.h>
#include <us/kmem.h>
#include <us/memobj.h>
#include <us/notification.h>
#include <us/sched.h>
#include <us/vm.h>
#include "kernel_fx.h"
#include "ut.h"

/* a calls b; b receives. Slots of a: */
#define A_EP_B 2u   /* send to b, badge 5 */
#define A_NTFN_B 3u /* signal b */
#define A_CTL 4u    /* VM control, 1 MiB + 2 MiB quota */
#define A_KLOG 5u
#define A_SCTL 6u
#define A_RO_EP 7u /* b's endpoint without rights */
#define A_UART 8u  /* an MMIO window */
/* Slots of b: */
#define B_EP 0u
#define B_NTFN 1u

static struct process *a, *b;
static struct vm_control ctl = {.quota = 3u << 20};

static void setup(void)
{
    static uint32_t token;
    struct memobj *uart;

    kfx_init(1);
    b = kfx_process("b", 20);
    a = kfx_process("a", 10);
    kfx_grant(a, A_EP_B, US_CAPK_ENDPOINT, US_RIGHT_SEND, b->ep, 5);
    kfx_grant(a, A_NTFN_B, US_CAPK_NOTIFICATION, US_RIGHT_SEND, b->ntfn, 0);
    kfx_grant(a, A_CTL, US_CAPK_VM_CONTROL, 0, &ctl, 0);
    kfx_grant(a, A_KLOG, US_CAPK_KLOG, 0, &token, 0);
    kfx_grant(a, A_SCTL, US_CAPK_SERVER_CTL, 0, &token, 0);
    kfx_grant(a, A_RO_EP, US_CAPK_ENDPOINT, 0, b->ep, 0);
    UT_EXPECT_EQ(memobj_create_window(pa_init(0x09000000), PAGE_SIZE, true, &uart), US_OK);
    kfx_grant(a, A_UART, US_CAPK_MEMORY, US_RIGHT_READ | US_RIGHT_WRITE, uart, 0);
    kfx_grant(b, B_EP, US_CAPK_ENDPOINT, US_RIGHT_RECV, b->ep, 0);
    kfx_grant(b, B_NTFN, US_CAPK_NOTIFICATION, US_RIGHT_RECV, b->ntfn, 0);
}

static uint64_t sys(struct process *p, uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    return kfx_sys(&p->thread, nr, a0, a1, a2, 0, 0, 0);
}

/* Map @len bytes of @text into a's space at US_VA_DYNAMIC. */
static void map_text(const char *text, uint64_t len)
{
    uint64_t h;

    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_CTL, PAGE_SIZE, 0), US_OK);
    h = kfx_r(&a->thread, 1);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, h, US_VA_DYNAMIC, US_RIGHT_READ), US_OK);
    memcpy(pa_ptr(((struct memobj *)a->caps.slot[h].obj)->base), text, len);
}

static bool contains(const uint8_t *buf, uint64_t n, const char *s)
{
    uint64_t len = strlen(s);

    for (uint64_t i = 0; i + len <= n; i++) {
        if (memcmp(buf + i, s, len) == 0) {
            return true;
        }
    }
    return false;
}

static void dispatch_rejects_unknown_number(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_COUNT, 0, 0, 0), US_ENOTSUP);
    UT_EXPECT_EQ(sys(a, UINT32_MAX, 0, 0, 0), US_ENOTSUP);
}

static void log_appends_line(void)
{
    setup();
    map_text("hello\nworld", 11);
    UT_EXPECT_EQ(sys(a, US_SYS_LOG, US_VA_DYNAMIC, 11, US_LOG_LEVEL_INFO), US_OK);
    UT_EXPECT(strstr(host_uart, "a| hello world") != NULL);
}

static void log_rejects_long_text(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_LOG, US_VA_DYNAMIC, US_LOG_MAX_LEN + 1, 0), US_ETRUNC);
}

static void log_rejects_bad_level(void)
{
    setup();
    map_text("x", 1);
    UT_EXPECT_EQ(sys(a, US_SYS_LOG, US_VA_DYNAMIC, 1, US_LOG_LEVEL_DBG + 1), US_EINVAL);
}

static void log_rejects_unmapped_text(void)
{
    setup();
    map_text("abc", 3);
    UT_EXPECT_EQ(sys(a, US_SYS_LOG, US_VA_DYNAMIC + PAGE_SIZE - 2, 4, 0), US_ERANGE);
    UT_EXPECT_EQ(sys(a, US_SYS_LOG, 1ull << 50, 1, 0), US_ERANGE);
}

static void log_rejects_device_memory(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_UART, US_VA_DYNAMIC, US_RIGHT_READ), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_LOG, US_VA_DYNAMIC, 1, 0), US_ERANGE);
}

static void handle_rejects_out_of_range(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_CALL, US_CAP_SLOTS, 0, 0), US_ERANGE);
    UT_EXPECT_EQ(sys(a, US_SYS_CALL, 1ull << 32, 0, 0), US_ERANGE); /* not truncated to 0 */
    UT_EXPECT_EQ(sys(a, US_SYS_POLL, UINT64_MAX, 0, 0), US_ERANGE);
}

static void call_delivers_and_reply_recv_answers(void)
{
    setup();
    UT_EXPECT_EQ(sys(b, US_SYS_RECV, B_EP, 0, 0), US_OK);
    UT_EXPECT_EQ(b->thread.state, TS_BLOCKED_RECV);
    kfx_msg(&a->thread, 0x100, 8, 1234);
    sys(a, US_SYS_CALL, A_EP_B, 0, 0);
    UT_EXPECT_EQ(a->thread.state, TS_BLOCKED_REPLY);
    UT_EXPECT_EQ(b->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(kfx_r(&b->thread, 0), US_OK);
    UT_EXPECT_EQ(kfx_r(&b->thread, 1), 5);
    UT_EXPECT_EQ(b->thread.msg->w[0], 1234);

    kfx_msg(&b->thread, 0x101, 8, 4321);
    sys(b, US_SYS_REPLY_RECV, B_EP, 0, 0);
    UT_EXPECT_EQ(a->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(kfx_r(&a->thread, 0), US_OK);
    UT_EXPECT_EQ(a->thread.msg->w[0], 4321);
    UT_EXPECT_EQ(b->thread.state, TS_BLOCKED_RECV);
}

static void call_rejects_wrong_kind(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_CALL, A_NTFN_B, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(a, US_SYS_CALL, 40, 0, 0), US_ECAP); /* empty slot */
}

static void call_rejects_missing_right(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_CALL, A_RO_EP, 0, 0), US_ECAP);
    UT_EXPECT(b->ep->senders.head == NULL);
}

static void call_rejects_long_message(void)
{
    setup();
    kfx_msg(&a->thread, 0x100, US_MSG_MAX_LEN + 1, 0);
    UT_EXPECT_EQ(sys(a, US_SYS_CALL, A_EP_B, 0, 0), US_ETRUNC);
    UT_EXPECT_EQ(a->thread.state, TS_RUNNING);
}

static void call_rejects_faulted_server(void)
{
    setup();
    process_fault(b, 0, 0, 0);
    kfx_msg(&a->thread, 0x100, 0, 0);
    UT_EXPECT_EQ(sys(a, US_SYS_CALL, A_EP_B, 0, 0), US_EABORT);
}

static void reply_recv_rejects_missing_right(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_REPLY_RECV, A_EP_B, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(a, US_SYS_RECV, A_EP_B, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(a, US_SYS_RECV, A_NTFN_B, 0, 0), US_ECAP);
}

static void reply_recv_rejects_long_reply(void)
{
    setup();
    sys(b, US_SYS_RECV, B_EP, 0, 0);
    kfx_msg(&a->thread, 0x100, 0, 0);
    sys(a, US_SYS_CALL, A_EP_B, 0, 0);
    kfx_msg(&b->thread, 0x101, US_MSG_MAX_LEN + 8, 0);
    UT_EXPECT_EQ(sys(b, US_SYS_REPLY_RECV, B_EP, 0, 0), US_ETRUNC);
    UT_EXPECT_EQ(b->thread.state, TS_RUNNING); /* did not go on to receive */
    UT_EXPECT_EQ(a->thread.state, TS_RUNNING); /* its call failed: nobody waits forever */
    UT_EXPECT_EQ(kfx_r(&a->thread, 0), US_EABORT);
}

static void reply_recv_without_caller_receives(void)
{
    setup();
    kfx_msg(&b->thread, 0x101, 0, 0);
    sys(b, US_SYS_REPLY_RECV, B_EP, 0, 0);
    UT_EXPECT_EQ(b->thread.state, TS_BLOCKED_RECV);
}

static void signal_and_wait(void)
{
    setup();
    b->ntfn->bound = NULL;
    sys(b, US_SYS_WAIT, B_NTFN, 0, 0);
    UT_EXPECT_EQ(b->thread.state, TS_BLOCKED_NTFN);
    UT_EXPECT_EQ(sys(a, US_SYS_SIGNAL, A_NTFN_B, 0x9, 0), US_OK);
    UT_EXPECT_EQ(b->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(kfx_r(&b->thread, 1), 0x9);
}

static void signal_rejects_missing_right(void)
{
    setup();
    UT_EXPECT_EQ(sys(b, US_SYS_SIGNAL, B_NTFN, 1, 0), US_ECAP);
    UT_EXPECT_EQ(b->ntfn->bits, 0);
}

static void wait_rejects_missing_right(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_WAIT, A_NTFN_B, 0, 0), US_ECAP);
    UT_EXPECT_EQ(a->thread.state, TS_RUNNING);
}

static void poll_takes_bits(void)
{
    setup();
    sys(a, US_SYS_SIGNAL, A_NTFN_B, 0x30, 0);
    UT_EXPECT_EQ(sys(b, US_SYS_POLL, B_NTFN, 0, 0), US_OK);
    UT_EXPECT_EQ(kfx_r(&b->thread, 1), 0x30);
    UT_EXPECT_EQ(sys(b, US_SYS_POLL, B_NTFN, 0, 0), US_OK);
    UT_EXPECT_EQ(kfx_r(&b->thread, 1), 0);
}

static void poll_rejects_missing_right(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_POLL, A_NTFN_B, 0, 0), US_ECAP);
}

static void yield_asks_for_reschedule(void)
{
    setup();
    this_cpu()->resched = false;
    UT_EXPECT_EQ(sys(a, US_SYS_YIELD, 0, 0, 0), US_OK);
    UT_EXPECT(this_cpu()->resched);
}

static void irq_ack_lets_interrupt_fire_again(void)
{
    struct irq_route *r;

    setup();
    UT_EXPECT_EQ(irq_route_create(40, b->ntfn, 0x4, &r), US_OK);
    kfx_grant(b, 9, US_CAPK_IRQ, 0, r, 0);
    host_irq_raise(40);
    UT_EXPECT(!irq_handle());
    UT_EXPECT(r->active);
    UT_EXPECT_EQ(b->ntfn->bits, 0x4);
    UT_EXPECT_EQ(host_irq_deactivations(40), 0);
    UT_EXPECT_EQ(sys(b, US_SYS_IRQ_ACK, 9, 0, 0), US_OK);
    UT_EXPECT(!r->active);
    UT_EXPECT_EQ(host_irq_deactivations(40), 1);
    UT_EXPECT_EQ(sys(b, US_SYS_IRQ_ACK, 9, 0, 0), US_OK); /* idle: harmless */
    UT_EXPECT_EQ(host_irq_deactivations(40), 1);
}

static void irq_ack_rejects_wrong_kind(void)
{
    setup();
    UT_EXPECT_EQ(sys(b, US_SYS_IRQ_ACK, B_NTFN, 0, 0), US_ECAP);
}

static void mem_alloc_returns_memory_cap(void)
{
    struct memobj *m;
    uint64_t h;

    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_CTL, 3 * PAGE_SIZE, 0), US_OK);
    h = kfx_r(&a->thread, 1);
    UT_EXPECT(h >= 16 && h < US_CAP_SLOTS);
    UT_EXPECT_EQ(a->caps.slot[h].kind, US_CAPK_MEMORY);
    m = a->caps.slot[h].obj;
    UT_EXPECT_EQ(m->size, 3 * PAGE_SIZE);
    UT_EXPECT_EQ(ctl.used, 3 * PAGE_SIZE);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_INFO, h, 0, 0), US_OK); /* the size only */
    UT_EXPECT_EQ(kfx_r(&a->thread, 1), 3 * PAGE_SIZE);
    UT_EXPECT_EQ(kfx_r(&a->thread, 2), 0);
    UT_EXPECT(!m->pinned);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_INFO, h, US_MEM_INFO_PA, 0), US_OK); /* where it is, too */
    UT_EXPECT_EQ(kfx_r(&a->thread, 2), pa_of(m->base));
    UT_EXPECT(m->pinned); /* it may be given to a device now: it never moves */
}

static void mem_alloc_aligns_large_blocks(void)
{
    struct memobj *m;

    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_CTL, 2u << 20, 0), US_OK);
    m = a->caps.slot[kfx_r(&a->thread, 1)].obj;
    UT_EXPECT(is_aligned(pa_of(m->base), 2u << 20));
}

static void mem_alloc_rejects_bad_size(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_CTL, 0, 0), US_EINVAL);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_CTL, PAGE_SIZE + 1, 0), US_EINVAL);
    UT_EXPECT_EQ(kfx_r(&a->thread, 1), US_INVALID_CAP);
    UT_EXPECT_EQ(ctl.used, 0);
}

static void mem_alloc_rejects_over_quota(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_CTL, ctl.quota + PAGE_SIZE, 0), US_ENOMEM);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_CTL, ctl.quota, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_CTL, PAGE_SIZE, 0), US_ENOMEM);
}

static void mem_alloc_rejects_full_table(void)
{
    uint64_t free_before;

    setup();
    for (us_cap_t h = 16; h < US_CAP_SLOTS; h++) {
        kfx_grant(a, h, US_CAPK_KLOG, 0, &ctl, 0);
    }
    free_before = kmem_pool.free_count;
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_CTL, PAGE_SIZE, 0), US_ENOMEM);
    UT_EXPECT_EQ(kmem_pool.free_count, free_before); /* nothing allocated */
    UT_EXPECT_EQ(ctl.used, 0);
}

static void mem_alloc_rejects_wrong_kind(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_KLOG, PAGE_SIZE, 0), US_ECAP);
}

static void mem_map_makes_memory_visible(void)
{
    paddr_t pa;
    uint64_t h;

    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_CTL, 2 * PAGE_SIZE, 0), US_OK);
    h = kfx_r(&a->thread, 1);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, h, US_VA_DYNAMIC, US_RIGHT_READ | US_RIGHT_WRITE), US_OK);
    UT_EXPECT_EQ(arch_aspace_translate(&a->as, va_init(US_VA_DYNAMIC + PAGE_SIZE + 8), true, &pa),
                 US_OK);
    UT_EXPECT_EQ(pa_of(pa), pa_of(((struct memobj *)a->caps.slot[h].obj)->base) + PAGE_SIZE + 8);
}

static void mem_map_rejects_bad_rights(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_UART, US_VA_DYNAMIC, 0), US_EINVAL);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_UART, US_VA_DYNAMIC, US_RIGHT_SEND), US_EINVAL);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_UART, US_VA_DYNAMIC, US_RIGHT_WRITE | US_RIGHT_EXEC),
                 US_ECAP); /* the window has no EXEC right */
}

static void mem_map_rejects_missing_right(void)
{
    uint64_t h;

    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_CTL, PAGE_SIZE, 0), US_OK);
    h = kfx_r(&a->thread, 1);
    a->caps.slot[h].rights = US_RIGHT_READ;
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, h, US_VA_DYNAMIC, US_RIGHT_WRITE), US_ECAP);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_EP_B, US_VA_DYNAMIC, US_RIGHT_READ), US_ECAP);
}

static void mem_map_rejects_va_outside_dynamic(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_UART, US_VA_IPC_BUF, US_RIGHT_READ), US_ERANGE);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_UART, US_VA_USER_TOP, US_RIGHT_READ), US_ERANGE);
}

static void mem_map_rejects_mapped_va(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_UART, US_VA_DYNAMIC, US_RIGHT_READ), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_UART, US_VA_DYNAMIC, US_RIGHT_READ), US_EEXIST);
}

static void mem_map_rejects_unaligned_va(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_UART, US_VA_DYNAMIC + 8, US_RIGHT_READ), US_EINVAL);
}

static void mem_info_rejects_wrong_kind(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_INFO, A_KLOG, 0, 0), US_ECAP);
}

static void server_ctl_counts_and_describes(void)
{
    struct us_server_info *si;

    setup();
    a->faults = 2;
    UT_EXPECT_EQ(sys(a, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_COUNT, 0), US_OK);
    UT_EXPECT_EQ(kfx_r(&a->thread, 1), 2);
    UT_EXPECT_EQ(sys(a, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_INFO, 1), US_OK);
    si = (struct us_server_info *)(void *)a->thread.msg->w;
    UT_EXPECT_EQ(a->thread.msg->hdr.len, sizeof(*si));
    UT_EXPECT(strcmp(si->name, "a") == 0);
    UT_EXPECT_EQ(si->state, US_SERVER_RUNNING);
    UT_EXPECT_EQ(si->priority, 10);
    UT_EXPECT_EQ(si->faults, 2);
    UT_EXPECT_EQ(si->frames, a->as.table_frames);
}

static void server_ctl_reports_memory_and_cpus(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_MEM, US_MEM_FREE_FRAMES), US_OK);
    UT_EXPECT_EQ(kfx_r(&a->thread, 1), kmem_pool.free_count);
    UT_EXPECT_EQ(sys(a, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_MEM, US_MEM_TOTAL_FRAMES), US_OK);
    UT_EXPECT_EQ(kfx_r(&a->thread, 1), KFX_FRAMES);
    UT_EXPECT_EQ(sys(a, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_MEM, US_MEM_BOOT_IMAGE), US_OK);
    cpus[0].guest_entries = 17;
    UT_EXPECT_EQ(sys(a, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_CPU, 0), US_OK);
    UT_EXPECT_EQ(kfx_r(&a->thread, 1), 17);
    cpus[0].ran[CPU_RAN_GUEST] = 5;
    cpus[0].ran[CPU_RAN_SERVER] = 6;
    cpus[0].ran[CPU_RAN_IDLE] = 7;
    UT_EXPECT_EQ(
        kfx_sys(&a->thread, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_CPU, 0, US_CPU_TIMES, 0, 0),
        US_OK);
    UT_EXPECT(kfx_r(&a->thread, 1) == 5 && kfx_r(&a->thread, 2) == 6 && kfx_r(&a->thread, 3) == 7);
    UT_EXPECT_EQ(
        kfx_sys(&a->thread, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_CPU, 0, US_CPU_FAST + 1, 0, 0),
        US_EINVAL);
    cpus[0].nolock = 9;
    cpus[0].ipc_direct = 4;
    UT_EXPECT_EQ(
        kfx_sys(&a->thread, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_CPU, 0, US_CPU_FAST, 0, 0),
        US_OK);
    UT_EXPECT(kfx_r(&a->thread, 1) == 9 && kfx_r(&a->thread, 2) == 4);
}

static void server_ctl_rejects_bad_index(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_INFO, 2), US_ERANGE);
    UT_EXPECT_EQ(sys(a, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_MEM, US_MEM_BOOT_IMAGE + 1),
                 US_ERANGE);
    UT_EXPECT_EQ(sys(a, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_CPU, 1), US_ERANGE);
}

static void server_ctl_rejects_unknown_op(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_SERVER_CTL, A_SCTL, 99, 0), US_ENOTSUP);
    UT_EXPECT_EQ(sys(a, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_RESTART, 0), US_ENOTSUP);
}

static void server_ctl_rejects_wrong_kind(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_SERVER_CTL, A_KLOG, US_SERVER_CTL_COUNT, 0), US_ECAP);
}

static void server_ctl_crash_makes_server_fault(void)
{
    setup();
    sys(b, US_SYS_RECV, B_EP, 0, 0);
    b->ntfn->bound = NULL;
    UT_EXPECT_EQ(sys(a, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_CRASH, 0), US_OK);
    UT_EXPECT(host_faulting == &b->thread);
    UT_EXPECT_EQ(b->thread.state, TS_RUNNING); /* runs into its fault */
    UT_EXPECT(b->ep->receivers.head == NULL);
    process_fault(b, 0, 0, *host_pc(&b->thread.regs));
    UT_EXPECT_EQ(sys(a, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_CRASH, 0), US_EBUSY);
}

static void server_ctl_crash_wakes_waiting_server(void)
{
    setup();
    b->ntfn->bound = NULL;
    sys(b, US_SYS_WAIT, B_NTFN, 0, 0);
    UT_EXPECT_EQ(sys(a, US_SYS_SERVER_CTL, A_SCTL, US_SERVER_CTL_CRASH, 0), US_OK);
    UT_EXPECT(b->ntfn->waiter == NULL);
    UT_EXPECT_EQ(b->thread.state, TS_RUNNING);
}

static void klog_read_copies_log(void)
{
    struct us_ipc_buf *buf;
    uint64_t next;

    setup();
    map_text("marker", 6);
    sys(a, US_SYS_LOG, US_VA_DYNAMIC, 6, US_LOG_LEVEL_INFO);
    UT_EXPECT_EQ(sys(a, US_SYS_KLOG_READ, A_KLOG, 0, UINT64_MAX), US_OK);
    next = kfx_r(&a->thread, 1);
    UT_EXPECT(next > 0);
    UT_EXPECT_EQ(kfx_r(&a->thread, 2), next);
    buf = (struct us_ipc_buf *)(void *)a->thread.msg;
    UT_EXPECT(contains(buf->data, next, "a| marker"));
    UT_EXPECT_EQ(sys(a, US_SYS_KLOG_READ, A_KLOG, next, 16), US_OK);
    UT_EXPECT_EQ(kfx_r(&a->thread, 2), 0);
}

static void klog_read_rejects_wrong_kind(void)
{
    setup();
    UT_EXPECT_EQ(sys(a, US_SYS_KLOG_READ, A_SCTL, 0, 16), US_ECAP);
}

UT_MAIN({"dispatch_rejects_unknown_number", dispatch_rejects_unknown_number},
        {"log_appends_line", log_appends_line}, {"log_rejects_long_text", log_rejects_long_text},
        {"log_rejects_bad_level", log_rejects_bad_level},
        {"log_rejects_unmapped_text", log_rejects_unmapped_text},
        {"log_rejects_device_memory", log_rejects_device_memory},
        {"handle_rejects_out_of_range", handle_rejects_out_of_range},
        {"call_delivers_and_reply_recv_answers", call_delivers_and_reply_recv_answers},
        {"call_rejects_wrong_kind", call_rejects_wrong_kind},
        {"call_rejects_missing_right", call_rejects_missing_right},
        {"call_rejects_long_message", call_rejects_long_message},
        {"call_rejects_faulted_server", call_rejects_faulted_server},
        {"reply_recv_rejects_missing_right", reply_recv_rejects_missing_right},
        {"reply_recv_rejects_long_reply", reply_recv_rejects_long_reply},
        {"reply_recv_without_caller_receives", reply_recv_without_caller_receives},
        {"signal_and_wait", signal_and_wait},
        {"signal_rejects_missing_right", signal_rejects_missing_right},
        {"wait_rejects_missing_right", wait_rejects_missing_right},
        {"poll_takes_bits", poll_takes_bits},
        {"poll_rejects_missing_right", poll_rejects_missing_right},
        {"yield_asks_for_reschedule", yield_asks_for_reschedule},
        {"irq_ack_lets_interrupt_fire_again", irq_ack_lets_interrupt_fire_again},
        {"irq_ack_rejects_wrong_kind", irq_ack_rejects_wrong_kind},
        {"mem_alloc_returns_memory_cap", mem_alloc_returns_memory_cap},
        {"mem_alloc_aligns_large_blocks", mem_alloc_aligns_large_blocks},
        {"mem_alloc_rejects_bad_size", mem_alloc_rejects_bad_size},
        {"mem_alloc_rejects_over_quota", mem_alloc_rejects_over_quota},
        {"mem_alloc_rejects_full_table", mem_alloc_rejects_full_table},
        {"mem_alloc_rejects_wrong_kind", mem_alloc_rejects_wrong_kind},
        {"mem_map_makes_memory_visible", mem_map_makes_memory_visible},
        {"mem_map_rejects_bad_rights", mem_map_rejects_bad_rights},
        {"mem_map_rejects_missing_right", mem_map_rejects_missing_right},
        {"mem_map_rejects_va_outside_dynamic", mem_map_rejects_va_outside_dynamic},
        {"mem_map_rejects_mapped_va", mem_map_rejects_mapped_va},
        {"mem_map_rejects_unaligned_va", mem_map_rejects_unaligned_va},
        {"mem_info_rejects_wrong_kind", mem_info_rejects_wrong_kind},
        {"server_ctl_counts_and_describes", server_ctl_counts_and_describes},
        {"server_ctl_reports_memory_and_cpus", server_ctl_reports_memory_and_cpus},
        {"server_ctl_rejects_bad_index", server_ctl_rejects_bad_index},
        {"server_ctl_rejects_unknown_op", server_ctl_rejects_unknown_op},
        {"server_ctl_rejects_wrong_kind", server_ctl_rejects_wrong_kind},
        {"server_ctl_crash_makes_server_fault", server_ctl_crash_makes_server_fault},
        {"server_ctl_crash_wakes_waiting_server", server_ctl_crash_wakes_waiting_server},
        {"klog_read_copies_log", klog_read_copies_log},
        {"klog_read_rejects_wrong_kind", klog_read_rejects_wrong_kind})
