/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for kernel/endpoint.c: call, receive and reply between server threads and vCPUs,
 * on the host fake architecture. */
#include <string.h>
#include <understudy/vcpu.h>
#include <us/endpoint.h>
#include <us/notification.h>
#include <us/sched.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include "kernel_fx.h"
#include "ut.h"

static struct process *srv, *cli, *cli2;

static void setup(void)
{
    kfx_init(1);
    srv = kfx_process("srv", 20);
    cli = kfx_process("cli", 10);
    cli2 = kfx_process("cli2", 10);
}

/* A started vCPU of a fresh VM whose exits go to srv's endpoint. */
static struct vcpu *make_vcpu(void)
{
    static struct vm_control ctl = {.quota = 1u << 20};
    struct vm *vm;
    struct vcpu *v;

    UT_EXPECT_EQ(vm_create(&ctl, &vm), US_OK);
    UT_EXPECT_EQ(vcpu_create(vm, 0, srv->ep, 5, 0, &v), US_OK);
    UT_EXPECT_EQ(vcpu_start(v, 0x80000, 0), US_OK);
    return v;
}

static void call_waits_for_receiver(void)
{
    setup();
    kfx_msg(&cli->thread, 0x100, 8, 42);
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli->thread, 7), US_OK);
    UT_EXPECT_EQ(cli->thread.state, TS_BLOCKED_SEND);
    UT_EXPECT(cli->thread.wait_ep == srv->ep);
    UT_EXPECT(srv->ep->senders.head == &cli->thread);

    endpoint_recv(srv->ep, &srv->thread);
    UT_EXPECT_EQ(srv->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(kfx_r(&srv->thread, 0), US_OK);
    UT_EXPECT_EQ(kfx_r(&srv->thread, 1), 7); /* the badge */
    UT_EXPECT_EQ(srv->thread.msg->hdr.label, 0x100);
    UT_EXPECT_EQ(srv->thread.msg->w[0], 42);
    UT_EXPECT_EQ(cli->thread.state, TS_BLOCKED_REPLY);
    UT_EXPECT(srv->thread.caller == &cli->thread);
    UT_EXPECT(cli->thread.callee == &srv->thread);
    UT_EXPECT(cli->thread.wait_ep == NULL);
    UT_EXPECT(srv->ep->senders.head == NULL);
}

static void recv_waits_for_caller(void)
{
    setup();
    endpoint_recv(srv->ep, &srv->thread);
    UT_EXPECT_EQ(srv->thread.state, TS_BLOCKED_RECV);
    UT_EXPECT(srv->ep->receivers.head == &srv->thread);

    kfx_msg(&cli->thread, 0x100, 16, 9);
    cli->thread.msg->w[1] = 10;
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli->thread, 3), US_OK);
    UT_EXPECT_EQ(srv->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(srv->thread.msg->w[0], 9);
    UT_EXPECT_EQ(srv->thread.msg->w[1], 10);
    UT_EXPECT_EQ(kfx_r(&srv->thread, 1), 3);
    UT_EXPECT_EQ(cli->thread.state, TS_BLOCKED_REPLY);
    UT_EXPECT(srv->ep->receivers.head == NULL);
}

static void senders_served_in_order(void)
{
    setup();
    kfx_msg(&cli->thread, 0x100, 8, 1);
    kfx_msg(&cli2->thread, 0x100, 8, 2);
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli->thread, 11), US_OK);
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli2->thread, 22), US_OK);
    endpoint_recv(srv->ep, &srv->thread);
    UT_EXPECT_EQ(kfx_r(&srv->thread, 1), 11);
    kfx_msg(&srv->thread, 0x100, 0, 0);
    UT_EXPECT_EQ(kfx_reply(&srv->thread), US_OK);
    endpoint_recv(srv->ep, &srv->thread);
    UT_EXPECT_EQ(kfx_r(&srv->thread, 1), 22);
    UT_EXPECT_EQ(srv->thread.msg->w[0], 2);
}

static void call_rejects_long_message(void)
{
    setup();
    kfx_msg(&cli->thread, 0x100, 0, 0);
    cli->thread.msg->hdr.len = US_MSG_MAX_LEN + 1;
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli->thread, 0), US_ETRUNC);
    UT_EXPECT_EQ(cli->thread.state, TS_RUNNING);
    UT_EXPECT(srv->ep->senders.head == NULL);
}

static void call_rejects_dead_owner(void)
{
    setup();
    srv->state = US_SERVER_FAULTED;
    kfx_msg(&cli->thread, 0x100, 0, 0);
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli->thread, 0), US_EABORT);
    UT_EXPECT_EQ(cli->thread.state, TS_RUNNING);
    UT_EXPECT(srv->ep->senders.head == NULL);
}

static void reply_wakes_caller_with_message(void)
{
    setup();
    endpoint_recv(srv->ep, &srv->thread);
    kfx_msg(&cli->thread, 0x100, 8, 5);
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli->thread, 0), US_OK);
    kfx_msg(&srv->thread, 0x101, 8, 55);
    UT_EXPECT_EQ(kfx_reply(&srv->thread), US_OK);
    UT_EXPECT_EQ(cli->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(kfx_r(&cli->thread, 0), US_OK);
    UT_EXPECT_EQ(cli->thread.msg->hdr.label, 0x101);
    UT_EXPECT_EQ(cli->thread.msg->w[0], 55);
    UT_EXPECT(srv->thread.caller == NULL);
    UT_EXPECT(cli->thread.callee == NULL);
}

/* ipc_copy() moves the header and exactly hdr.len bytes, at every length: the sender's bytes
 * past them stay its own, and the receiver's stay as they were. */
static void copy_is_exact(void)
{
    static struct us_msg src, dst;

    for (uint32_t len = 0; len <= US_MSG_MAX_LEN; len++) {
        uint32_t bad = 0;

        memset(&src, 0xa5, sizeof(src));
        memset(&dst, 0xee, sizeof(dst));
        src.hdr.len = (uint16_t)len;
        for (uint32_t i = 0; i < len; i++) {
            ((uint8_t *)src.w)[i] = (uint8_t)(i + 1u);
        }
        ipc_copy(&dst, &src);
        bad += memcmp(&dst.hdr, &src.hdr, sizeof(dst.hdr)) != 0;
        for (uint32_t i = 0; i < sizeof(dst.w); i++) {
            bad += ((uint8_t *)dst.w)[i] != (i < len ? (uint8_t)(i + 1u) : 0xee);
        }
        if (bad != 0) {
            UT_EXPECT_EQ(len, UINT32_MAX); /* names the first length that went wrong */
            return;
        }
    }
}

/* The running client calls the waiting server, which answers and waits again: both legs
 * switch directly (sched_direct()), and each thread ends where the slow path leaves it. */
static void call_and_reply_recv_switch_directly(void)
{
    struct thread *held;

    setup();
    endpoint_recv(srv->ep, &srv->thread);
    sched_block(&cli2->thread, TS_BLOCKED_RECV); /* nothing else ready */
    UT_EXPECT(sched_next() == &cli->thread);
    this_cpu()->current = &cli->thread;
    kfx_msg(&cli->thread, 0x100, 8, 5);
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli->thread, 4), US_OK);
    UT_EXPECT(this_cpu()->direct == &srv->thread && !srv->thread.queued);
    UT_EXPECT(sched_next() == &srv->thread);
    UT_EXPECT_EQ(srv->thread.msg->w[0], 5);
    UT_EXPECT_EQ(cli->thread.state, TS_BLOCKED_REPLY);
    this_cpu()->current = &srv->thread;
    kfx_msg(&srv->thread, 0x101, 8, 55);
    UT_EXPECT_EQ(endpoint_reply_held(&srv->thread, &held), US_OK);
    UT_EXPECT(held == &cli->thread && cli->thread.state == TS_BLOCKED_REPLY);
    endpoint_recv_after_reply(srv->ep, &srv->thread, held);
    UT_EXPECT_EQ(srv->thread.state, TS_BLOCKED_RECV);
    UT_EXPECT(srv->ep->receivers.head == &srv->thread);
    UT_EXPECT(sched_next() == &cli->thread);
    UT_EXPECT_EQ(cli->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(cli->thread.msg->w[0], 55);
    UT_EXPECT_EQ(this_cpu()->ipc_direct, 2);
}

/* A server with another call queued takes it at once: the client it answered is woken the
 * ordinary way, no direct switch. */
static void reply_recv_with_queued_sender_wakes_caller(void)
{
    struct thread *held;

    setup();
    endpoint_recv(srv->ep, &srv->thread);
    kfx_msg(&cli->thread, 0x100, 8, 1);
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli->thread, 1), US_OK);
    kfx_msg(&cli2->thread, 0x100, 8, 2);
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli2->thread, 2), US_OK);
    this_cpu()->current = &srv->thread;
    UT_EXPECT_EQ(endpoint_reply_held(&srv->thread, &held), US_OK);
    endpoint_recv_after_reply(srv->ep, &srv->thread, held);
    UT_EXPECT_EQ(srv->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(kfx_r(&srv->thread, 1), 2);
    UT_EXPECT_EQ(cli->thread.state, TS_RUNNING);
    UT_EXPECT(this_cpu()->direct == NULL);
    UT_EXPECT_EQ(this_cpu()->ipc_direct, 0);
}

static void reply_rejects_no_caller(void)
{
    setup();
    kfx_msg(&srv->thread, 0x101, 0, 0);
    UT_EXPECT_EQ(kfx_reply(&srv->thread), US_ENOENT);
}

static void reply_rejects_long_message(void)
{
    setup();
    endpoint_recv(srv->ep, &srv->thread);
    kfx_msg(&cli->thread, 0x100, 0, 0);
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli->thread, 0), US_OK);
    kfx_msg(&srv->thread, 0x101, 0, 0);
    srv->thread.msg->hdr.len = US_MSG_MAX_LEN + 8;
    UT_EXPECT_EQ(kfx_reply(&srv->thread), US_ETRUNC);
    /* Nobody waits for a reply that will not come: the call fails, the client may retry. */
    UT_EXPECT_EQ(cli->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(kfx_r(&cli->thread, 0), US_EABORT);
    UT_EXPECT(srv->thread.caller == NULL);
}

static void recv_again_aborts_dropped_caller(void)
{
    setup();
    endpoint_recv(srv->ep, &srv->thread);
    kfx_msg(&cli->thread, 0x100, 0, 0);
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli->thread, 0), US_OK);
    endpoint_recv(srv->ep, &srv->thread); /* no reply */
    UT_EXPECT_EQ(cli->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(kfx_r(&cli->thread, 0), US_EABORT);
    UT_EXPECT(cli->thread.callee == NULL);
    UT_EXPECT(srv->thread.caller == NULL);
    UT_EXPECT_EQ(srv->thread.state, TS_BLOCKED_RECV);
}

static void recv_takes_bound_notification(void)
{
    setup();
    notification_signal(srv->ntfn, 0x6);
    endpoint_recv(srv->ep, &srv->thread);
    UT_EXPECT_EQ(srv->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(srv->thread.msg->hdr.label, US_LABEL_NOTIFY);
    UT_EXPECT_EQ(kfx_r(&srv->thread, 1), 0x6);
    UT_EXPECT_EQ(srv->ntfn->bits, 0);
}

static void vcpu_exit_reaches_handler(void)
{
    struct vcpu *v;

    setup();
    v = make_vcpu();
    endpoint_recv(srv->ep, &srv->thread);
    v->exit_esr = US_EXIT_HVC;
    *host_pc(&v->thread.regs) = 0x1234;
    vcpu_handle_exit(v);
    UT_EXPECT_EQ(v->exits, 1);
    UT_EXPECT_EQ(v->thread.state, TS_BLOCKED_REPLY);
    UT_EXPECT_EQ(srv->thread.msg->hdr.label, US_LABEL_VCPU_EXIT);
    UT_EXPECT_EQ(srv->thread.msg->w[US_EXIT_REASON], US_EXIT_HVC);
    UT_EXPECT_EQ(srv->thread.msg->w[US_EXIT_PC], 0x1234);
    UT_EXPECT_EQ(kfx_r(&srv->thread, 1), 5 | US_BADGE_VCPU);

    us_msg_init(srv->thread.msg, US_LABEL_VCPU_EXIT, US_RESUME_LEN);
    memset(srv->thread.msg->w, 0, US_RESUME_LEN);
    srv->thread.msg->w[US_RESUME_FLAGS] = US_RESUME_ADVANCE_PC | US_RESUME_SET_X0_3;
    srv->thread.msg->w[US_RESUME_X0] = 77;
    UT_EXPECT_EQ(kfx_reply(&srv->thread), US_OK);
    UT_EXPECT_EQ(v->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(*host_pc(&v->thread.regs), 0x1238);
    UT_EXPECT_EQ(arch_regs_get(&v->thread.regs, 0), 77);
}

static void vcpu_exit_finished_in_kernel(void)
{
    struct vcpu *v;

    setup();
    v = make_vcpu();
    endpoint_recv(srv->ep, &srv->thread);
    v->exit_esr = HOST_ESR_IN_KERNEL;
    vcpu_handle_exit(v);
    UT_EXPECT_EQ(v->exits, 0);
    UT_EXPECT_EQ(v->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(srv->thread.state, TS_BLOCKED_RECV);
}

static void reply_rejects_bad_resume(void)
{
    struct vcpu *v;

    setup();
    v = make_vcpu();
    endpoint_recv(srv->ep, &srv->thread);
    v->exit_esr = US_EXIT_MMIO;
    vcpu_handle_exit(v);
    us_msg_init(srv->thread.msg, US_LABEL_VCPU_EXIT, US_RESUME_LEN);
    memset(srv->thread.msg->w, 0, US_RESUME_LEN);
    srv->thread.msg->w[US_RESUME_FLAGS] = 1u << 15; /* unknown flag */
    UT_EXPECT_EQ(kfx_reply(&srv->thread), US_EINVAL);
    /* The exit is queued again, whole: the server's next receive gets it once more. */
    UT_EXPECT_EQ(v->thread.state, TS_BLOCKED_SEND);
    UT_EXPECT(srv->thread.caller == NULL);
    endpoint_recv(srv->ep, &srv->thread);
    UT_EXPECT(srv->thread.caller == &v->thread);
    UT_EXPECT_EQ(srv->thread.msg->hdr.label, US_LABEL_VCPU_EXIT);
    us_msg_init(srv->thread.msg, US_LABEL_VCPU_EXIT, 8); /* too short */
    UT_EXPECT_EQ(kfx_reply(&srv->thread), US_ETRUNC);
    UT_EXPECT_EQ(v->thread.state, TS_BLOCKED_SEND);
}

static void recv_again_stops_dropped_vcpu(void)
{
    struct vcpu *v;

    setup();
    v = make_vcpu();
    endpoint_recv(srv->ep, &srv->thread);
    v->exit_esr = US_EXIT_MMIO;
    vcpu_handle_exit(v);
    endpoint_recv(srv->ep, &srv->thread);
    UT_EXPECT_EQ(v->thread.state, TS_STOPPED);
    UT_EXPECT(!v->started);
    UT_EXPECT(v->thread.callee == NULL);
}

static void abort_owner_fails_senders_keeps_vcpus(void)
{
    struct vcpu *v;

    setup();
    v = make_vcpu();
    kfx_msg(&cli->thread, 0x100, 0, 0);
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli->thread, 0), US_OK);
    v->exit_esr = US_EXIT_MMIO;
    vcpu_handle_exit(v); /* queued behind cli */
    kfx_msg(&cli2->thread, 0x100, 0, 0);
    UT_EXPECT_EQ(endpoint_call(srv->ep, &cli2->thread, 0), US_OK);

    endpoint_abort_owner(srv->ep);
    UT_EXPECT_EQ(cli->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(kfx_r(&cli->thread, 0), US_EABORT);
    UT_EXPECT(cli->thread.wait_ep == NULL);
    UT_EXPECT_EQ(cli2->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(kfx_r(&cli2->thread, 0), US_EABORT);
    UT_EXPECT_EQ(v->thread.state, TS_BLOCKED_SEND);
    UT_EXPECT(srv->ep->senders.head == &v->thread);
    UT_EXPECT(srv->ep->senders.tail == &v->thread);
}

static void vcpu_exit_to_dead_handler_queues(void)
{
    struct vcpu *v;

    setup();
    v = make_vcpu();
    srv->state = US_SERVER_FAULTED;
    v->exit_esr = US_EXIT_MMIO;
    vcpu_handle_exit(v);
    UT_EXPECT_EQ(v->thread.state, TS_BLOCKED_SEND); /* a restarted server sees it */
    UT_EXPECT(srv->ep->senders.head == &v->thread);
}

UT_MAIN({"call_waits_for_receiver", call_waits_for_receiver}, {"copy_is_exact", copy_is_exact},
        {"call_and_reply_recv_switch_directly", call_and_reply_recv_switch_directly},
        {"reply_recv_with_queued_sender_wakes_caller", reply_recv_with_queued_sender_wakes_caller},
        {"recv_waits_for_caller", recv_waits_for_caller},
        {"senders_served_in_order", senders_served_in_order},
        {"call_rejects_long_message", call_rejects_long_message},
        {"call_rejects_dead_owner", call_rejects_dead_owner},
        {"reply_wakes_caller_with_message", reply_wakes_caller_with_message},
        {"reply_rejects_no_caller", reply_rejects_no_caller},
        {"reply_rejects_long_message", reply_rejects_long_message},
        {"recv_again_aborts_dropped_caller", recv_again_aborts_dropped_caller},
        {"recv_takes_bound_notification", recv_takes_bound_notification},
        {"vcpu_exit_reaches_handler", vcpu_exit_reaches_handler},
        {"vcpu_exit_finished_in_kernel", vcpu_exit_finished_in_kernel},
        {"reply_rejects_bad_resume", reply_rejects_bad_resume},
        {"recv_again_stops_dropped_vcpu", recv_again_stops_dropped_vcpu},
        {"abort_owner_fails_senders_keeps_vcpus", abort_owner_fails_senders_keeps_vcpus},
        {"vcpu_exit_to_dead_handler_queues", vcpu_exit_to_dead_handler_queues})
