/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* vmm server: start-up from the system configuration and the request dispatcher. */
#include <understudy/slots.h>
#include <uslib/bundle_parse.h>
#include <uslib/sha256.h>
#include <uslib/string.h>
#include "vmm.h"

#define VMM_MAGIC 0x766d6d31u
/* 2: carry, relay, the sealed configuration; 3: pass-through; 4: the UART's CR is a latch */
#define VMM_VERSION 5u

us_err_t vmm_load_config(struct vmm_state *st)
{
    const struct us_bundle_entry *ent;
    us_err_t e;

    e = bundle_parse_check(st->bundle, st->bundle_size, false);
    if (e != US_OK) {
        US_LOG_ERR("boot bundle unusable: %s", us_err_name(e));
        return e;
    }
    e = bundle_parse_find(st->bundle, st->bundle_size, "config", &ent);
    if (e != US_OK || ent->type != US_BUNDLE_CONFIG) {
        US_LOG_ERR("no system configuration in the bundle");
        return US_ENOENT;
    }
    e = bundle_parse_verify_entry(st->bundle, st->bundle_size, ent);
    if (e != US_OK) {
        US_LOG_ERR("system configuration fails its sha256");
        return e;
    }
    e = vmm_config_parse(bundle_parse_data(st->bundle, ent), (size_t)ent->size, &st->config);
    if (e != US_OK) {
        US_LOG_ERR("system configuration rejected at %s: %s", st->config.err_path, us_err_name(e));
    }
    return e;
}

/* Every guest image in the bundle (kernels, initramfs, disks, application blobs), checked
 * once now, before any guest runs. Hashing tens of MiB takes the single-threaded vmm a
 * noticeable time under emulation: done later, on the first VM created from an image, it
 * stalled every running guest (a maintenance flow's first understudy showed clients a gap
 * of over half a second). One that fails is logged now and refused when asked for. */
static void verify_images(struct vmm_state *st)
{
    const struct us_bundle_entry *e, *found;
    uint64_t bytes = 0;
    uint32_t n = 0;

    for (uint32_t i = 0; bundle_parse_entry(st->bundle, st->bundle_size, i, &e) == US_OK; i++) {
        if (e->type == US_BUNDLE_GUEST_KERNEL || e->type == US_BUNDLE_GUEST_INITRD ||
            e->type == US_BUNDLE_BLOB) {
            (void)vmm_find_image(st, e->name, e->type, &found);
            bytes += e->size;
            n++;
        }
    }
    /* Its time stamp against the kernel's "servers up" is the check's cost (boot_bench.py). */
    US_LOG_INFO("%u guest image(s), %llu KiB, checked", n, (unsigned long long)(bytes >> 10));
}

/* The memory every instance maps first: the bundle, the guest console rings, the agent
 * channels. */
static void map_shared(struct vmm_state *st)
{
    US_CHECK(us_mem_info(US_SLOT_VMM_BUNDLE, &st->bundle_size, NULL) == US_OK);
    US_CHECK(us_mem_map(US_SLOT_VMM_BUNDLE, VMM_BUNDLE_VA, US_RIGHT_READ) == US_OK);
    US_CHECK(us_mem_map(US_SLOT_VMM_GUEST_RINGS, VMM_RINGS_VA, US_RIGHT_READ | US_RIGHT_WRITE) ==
             US_OK);
    st->bundle = (const uint8_t *)(uintptr_t)VMM_BUNDLE_VA;
    st->rings = (struct us_guest_ring *)(uintptr_t)VMM_RINGS_VA;
    US_CHECK(us_mem_map(US_SLOT_VMM_AGENT_CHANS, VMM_AGENT_VA, US_RIGHT_READ | US_RIGHT_WRITE) ==
             US_OK);
    st->agent_chans = (struct us_agent_chan *)(uintptr_t)VMM_AGENT_VA;
    /* The mapping is page-rounded; the bundle says how long it really is. */
    if (st->bundle_size >= sizeof(struct us_bundle_hdr)) {
        uint64_t total = ((const struct us_bundle_hdr *)(const void *)st->bundle)->total_size;
        if (total <= st->bundle_size) {
            st->bundle_size = total;
        }
    }
}

/* The vsock services, registered in the same order by every instance: a connection names its
 * service by index. */
static void offer_services(struct vmm_state *st, bool cold)
{
    vmm_vsock_init();
    vmm_carry_init(st, cold);
    vmm_relay_init(st, cold);
}

/* A first start: every configured VM built and started. */
static void cold_start(struct vmm_state *st)
{
    us_err_t e;

    memset(st, 0, sizeof(*st));
    st->magic = VMM_MAGIC;
    st->version = VMM_VERSION;
    map_shared(st);
    offer_services(st, true);
    e = vmm_load_config(st);
    if (e != US_OK) {
        st->config.vm_count = 0;
        vmm_seal(st);
        return; /* serve requests with no VMs rather than die */
    }
    vmm_seal(st);
    verify_images(st);
    (void)vmm_nic_init(st); /* logs why if it fails; the guests still get their switch */
    for (uint32_t i = 0; i < st->config.vm_count; i++) {
        e = vmm_boot_vm(st, i);
        if (e != US_OK) {
            US_LOG_ERR("%s not started: %s", st->config.vms[i].name, us_err_name(e));
        }
    }
    vmm_seal(st);
    US_LOG_INFO("up: %u VM(s) configured", st->config.vm_count);
}

us_err_t vmm_init(struct vmm_state **out)
{
    struct vmm_state *st = (struct vmm_state *)(uintptr_t)US_VA_STATE;

    US_CHECK(us_bootinfo()->state_size >= sizeof(*st));
    us_sha256_fast(); /* guest images are hashed before they are loaded: tens of MiB */
    *out = st;
    if (us_bootinfo()->restart_count == 0) {
        cold_start(st);
    } else {
        map_shared(st);
        offer_services(st, false);
        if (vmm_take_over(st, VMM_MAGIC, VMM_VERSION)) {
            vmm_took_over(st);
        } else {
            /* Nothing of the old table can be trusted: serve with no VMs (an old vCPU's
             * exit is answered with a stop) rather than start guests over ones still there. */
            memset(st, 0, sizeof(*st));
            st->magic = VMM_MAGIC;
            st->version = VMM_VERSION;
            map_shared(st);
            offer_services(st, true);
            vmm_seal(st);
        }
    }
    (void)us_recovers(); /* from here on the kernel restarts the vmm rather than lose it */
    return US_OK;
}

static void vm_info(struct vmm_state *st, struct us_msg *m)
{
    struct us_vm_info *info = (struct us_vm_info *)(void *)m->w;
    uint64_t slot;

    if (us_msg_check(m, 8, 8) != US_OK) {
        us_msg_reply_err(m, US_ETRUNC);
        return;
    }
    slot = m->w[0];
    if (slot >= st->config.vm_count) {
        us_msg_reply_err(m, US_ENOENT);
        return;
    }
    memset(info, 0, sizeof(*info));
    memcpy(info->name, st->config.vms[slot].name, sizeof(info->name));
    info->vmid = (uint32_t)slot; /* the operator-visible id: the configuration slot */
    info->state = st->vms[slot].state;
    info->vcpu_count = st->config.vms[slot].vcpu_count;
    info->devices = st->vms[slot].visible;
    info->mem_size = st->config.vms[slot].mem_size;
    info->exits = st->vms[slot].exits;
    info->last_fault_ipa = st->vms[slot].last_fault_ipa;
    if (st->vms[slot].mem_cap != 0) {
        (void)us_mem_where(st->vms[slot].mem_cap, &info->ram_pa); /* a report: it may move */
    }
    us_msg_init(m, US_VMM_VM_INFO, sizeof(*info));
}

static void guest_in(struct vmm_state *st, struct us_msg *m)
{
    uint64_t slot, n;
    uint32_t taken;
    us_err_t e;

    if (us_msg_check(m, 16, US_MSG_MAX_LEN) != US_OK) {
        us_msg_reply_err(m, US_ETRUNC);
        return;
    }
    slot = m->w[0];
    n = m->w[1];
    if (n > m->hdr.len - 16u) {
        us_msg_reply_err(m, US_ETRUNC);
        return;
    }
    if (slot >= st->config.vm_count) {
        us_msg_reply_err(m, US_ENOENT);
        return;
    }
    e = vmm_pl011_input(st, (uint32_t)slot, (const uint8_t *)&m->w[2], (uint32_t)n, &taken);
    us_msg_init(m, US_VMM_GUEST_IN, 8);
    m->w[0] = taken; /* the console keeps the rest until US_NTFN_GUEST_IN_ROOM */
    m->hdr.err = (uint32_t)e;
}

/* A client's request or a notification. */
static void request(struct vmm_state *st, us_badge_t badge, struct us_msg *m)
{
    if (m->hdr.len > US_MSG_MAX_LEN) {
        us_msg_reply_err(m, US_ETRUNC);
        return;
    }
    switch (m->hdr.label) {
    case US_LABEL_PING:
        us_msg_init(m, US_LABEL_PING, 8);
        memcpy(m->w, "vmm", 4);
        return;
    case US_LABEL_NOTIFY:
        if (badge & US_NTFN_NIC) {
            vmm_nic_poll(st);
        }
        if (badge & US_NTFN_PCI) {
            vmm_pt_interrupts(st);
        }
        if (badge & (1ull << US_NTFN_FASTMMIO)) {
            for (uint32_t slot = 0; slot < st->config.vm_count; slot++) {
                vmm_pl011_drain(st, slot);
            }
        }
        if (badge & (1ull << US_NTFN_BELL)) {
            for (uint32_t slot = 0; slot < st->config.vm_count; slot++) {
                vmm_virtio_bells(st, slot);
            }
        }
        if (badge & US_NTFN_AGENT_DOWN) {
            vmm_agent_pump(st);
        }
        if (badge & US_NTFN_RING_ROOM) {
            for (uint32_t slot = 0; slot < st->config.vm_count; slot++) {
                vmm_virtio_console_retry(st, slot);
            }
        }
        us_msg_init(m, US_LABEL_NOTIFY, 0);
        return;
    case US_VMM_VM_COUNT:
        us_msg_init(m, US_VMM_VM_COUNT, 8);
        m->w[0] = st->config.vm_count;
        return;
    case US_VMM_VM_INFO:
        vm_info(st, m);
        return;
    case US_VMM_GUEST_IN:
        guest_in(st, m);
        return;
    case US_VMM_VM_CREATE:
        vmm_vm_create(st, m);
        return;
    case US_VMM_VM_RETIRE:
        vmm_vm_retire(st, m);
        return;
    case US_VMM_CARRY_FLIP:
        vmm_carry_flip(m);
        return;
    case US_VMM_CARRY_DROP:
        vmm_carry_drop(m);
        return;
    case US_VMM_AGENTS_RESYNC:
        vmm_agents_resync(st, m);
        return;
    case US_VMM_NET_SERVICE:
        vmm_net_service(st, m);
        return;
    case US_LABEL_STATE_FLIP:
        vmm_state_flip(st, m);
        return;
    case US_LABEL_FAULT: /* the runtime passes on only US_FAULT_EXHAUST */
        vmm_exhaust(m);
        return;
    default:
        us_msg_reply_err(m, US_ENOTSUP);
        return;
    }
}

void vmm_dispatch(struct vmm_state *st, us_badge_t badge, struct us_msg *m)
{
    uint32_t label;

    if (badge & US_BADGE_VCPU) {
        uint32_t slot = (uint32_t)(badge & 0xffu);
        if (m->hdr.label == US_LABEL_VCPU_EXIT && slot < st->config.vm_count) {
            vmm_exit(st, slot, m);
            return;
        }
        US_LOG_ERR("exit from unknown vCPU badge 0x%llx", (unsigned long long)badge);
        us_msg_init(m, US_LABEL_VCPU_EXIT, US_RESUME_LEN);
        memset(m->w, 0, US_RESUME_LEN);
        m->w[US_RESUME_FLAGS] = US_RESUME_STOP;
        return;
    }
    label = m->hdr.label;
    request(st, badge, m);
    if (label != US_LABEL_NOTIFY && label != US_LABEL_STATE_FLIP) {
        vmm_seal(st); /* a request that changed the configuration: sealed as of its end */
    }
}
