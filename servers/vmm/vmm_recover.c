/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The vmm across its restarts (docs/restart.md).
 *
 * Everything a guest depends on lives where the kernel keeps it when the vmm is reloaded:
 * struct vmm_state (the VM table, the device models, the switch, the NIC driver's ring
 * positions) in the state region, which the vmm uses in place, and in memory objects whose
 * capabilities stay in its handle table: each guest's RAM, disk, vsock connections and UART
 * page, the carry service's buffer and the relay's rings. A new instance maps them again at the
 * addresses the pointers in the state already hold, and checks what it found before it trusts
 * it:
 *  - the configuration (names, images, sizes, devices of every VM) is sealed with its SHA-256
 *    after each request that changes it, in a second copy. A restart finds the live copy and
 *    the sealed one; whichever matches the seal is used, and if neither does, the bundle's
 *    configuration is taken again and VMs it does not describe are taken down;
 *  - the device models change on every exit, far too often to hash (a seal would cost more than
 *    the exit itself), so each is checked for what the code relies on: ring positions within
 *    their buffers, queue sizes, connection listeners, memory objects of the right size. A VM
 *    whose models fail is stopped and reported; the others go on.
 * A vCPU whose exit the dead instance was handling sends it again (the kernel queues it back),
 * and frames the switch held for a cut-over are dropped (they lived in the vmm's bss; TCP sends
 * them again). */
#include <understudy/slots.h>
#include <uslib/string.h>
#include "vmm_arch.h"

void vmm_seal(struct vmm_state *st)
{
    if (st->seal_seq != 0 && memcmp(&st->sealed, &st->config, sizeof(st->config)) == 0) {
        return;
    }
    memcpy(&st->sealed, &st->config, sizeof(st->config));
    sha256(&st->sealed, sizeof(st->sealed), st->seal);
    st->seal_seq++;
}

static bool matches_seal(const struct vmm_state *st, const struct vmm_config *c)
{
    uint8_t d[SHA256_DIGEST_LEN];

    sha256(c, sizeof(*c), d);
    return memcmp(d, st->seal, sizeof(d)) == 0;
}

/* Returns false if neither copy of the configuration can be trusted. */
static bool recover_config(struct vmm_state *st)
{
    bool live = matches_seal(st, &st->config), sealed = matches_seal(st, &st->sealed);

    if (sealed && !live) {
        US_LOG_WARN("configuration changed since it was sealed (a request died half done): "
                    "the sealed copy is put back");
        memcpy(&st->config, &st->sealed, sizeof(st->config));
    } else if (!sealed && live) {
        US_LOG_ERR("the sealed copy of the configuration fails its check; the live copy matches "
                   "the seal: kept, and sealed again");
        memcpy(&st->sealed, &st->config, sizeof(st->config));
    }
    return live || sealed;
}

/* Map memory object @cap at @va; checks it is at least @size bytes. */
static bool remap(us_cap_t cap, uint64_t va, uint64_t size, const char *name, const char *what)
{
    uint64_t have = 0;
    us_err_t e = us_mem_info(cap, &have, NULL);

    if (e == US_OK && have < size) {
        e = US_ECORRUPT;
    }
    if (e == US_OK) {
        e = us_mem_map(cap, va, US_RIGHT_READ | US_RIGHT_WRITE);
    }
    if (e != US_OK) {
        US_LOG_ERR("%s: %s (capability %u) unusable after the restart: %s", name, what,
                   (unsigned)cap, us_err_name(e));
    }
    return e == US_OK;
}

static bool virtio_sane(const struct vmm_virtio *v)
{
    for (uint32_t q = 0; q < VMM_VIRTIO_QUEUES; q++) {
        if (v->q[q].num > VMM_VIRTQ_SIZE) {
            return false;
        }
    }
    return true;
}

static bool vsock_sane(const struct vmm_vsock *vs)
{
    if (vs->rst_tail - vs->rst_head > VMM_VSOCK_RSTS || vs->next >= VMM_VSOCK_CONNS) {
        return false;
    }
    for (uint32_t i = 0; i < VMM_VSOCK_CONNS; i++) {
        const struct vmm_vsock_conn *c = &vs->conn[i];

        if (c->open && (c->listener >= VMM_VSOCK_LISTENERS ||
                        c->out_tail - c->out_head > VMM_VSOCK_OUT || c->kept > c->rx_cnt)) {
            return false;
        }
    }
    return true;
}

/* VM @slot's memory mapped again and its models checked. Returns why it cannot go on, or NULL. */
static const char *resume_vm(struct vmm_state *st, uint32_t slot)
{
    struct vmm_vm *vm = &st->vms[slot];
    const struct vmm_vm_config *c = &st->config.vms[slot];

    if (vm->state > US_VM_STATE_CRASHED || vm->vm_cap == 0) {
        return "its table entry is malformed";
    }
    if (!remap(vm->mem_cap, VMM_RAM_VA(slot), c->mem_size, c->name, "RAM") ||
        vm->ram != (uint8_t *)(uintptr_t)VMM_RAM_VA(slot)) {
        return "its RAM cannot be mapped again";
    }
    if (!remap(vm->fast_cap, VMM_FAST_VA(slot), sizeof(struct us_fastmmio_page), c->name,
               "UART page") ||
        vm->uart_fast != (struct us_fastmmio_page *)(uintptr_t)VMM_FAST_VA(slot)) {
        return "its UART page cannot be mapped again";
    }
    if (vm->disk_cap != 0 &&
        !remap(vm->disk_cap, VMM_DISK_VA(slot), VMM_DISK_SIZE, c->name, "disk")) {
        return "its disk cannot be mapped again";
    }
    if (vm->vsock_cap != 0 &&
        !remap(vm->vsock_cap, VMM_VSOCK_VA(slot), sizeof(struct vmm_vsock), c->name, "vsock")) {
        return "its vsock table cannot be mapped again";
    }
    if (vm->uart.in_head - vm->uart.in_tail > VMM_INPUT_LEN || !virtio_sane(&vm->blk) ||
        !virtio_sane(&vm->con) || !virtio_sane(&vm->net) || !virtio_sane(&vm->vsock) ||
        (vm->vsock_conns != NULL && !vsock_sane(vm->vsock_conns)) ||
        vm->agent_conn > VMM_VSOCK_CONNS || vm->net_twin > VMM_CONFIG_MAX_VMS) {
        return "its device models fail their checks";
    }
    return NULL;
}

/* The service memory (NIC rings, carry buffer, relay rings) mapped again. */
static void resume_services(struct vmm_state *st)
{
    if (st->nic.regs != NULL &&
        (!vmm_nic_bus_remap(&st->nic) ||
         !remap(st->nic.mem_cap, VMM_NIC_DMA_VA, US_PAGE_SIZE, "NIC", "rings"))) {
        st->nic.regs = NULL; /* the switch joins the guests only */
    }
    if (st->carry.cap != 0 &&
        !remap(st->carry.cap, VMM_CARRY_VA, st->carry.size, "carry", "kept state")) {
        memset(&st->carry, 0, sizeof(st->carry));
        st->carry.putter_slot = -1;
    }
    for (uint32_t i = 0; i < VMM_RELAY_PAIRS; i++) {
        struct vmm_relay_pair *p = &st->relay[i];

        if (p->cap != 0 &&
            !remap(p->cap, VMM_RELAY_VA(i), 2u * VMM_VSOCK_BUF_ALLOC, "relay", "rings")) {
            memset(p, 0, sizeof(*p)); /* its ends' next bytes find no pair: they are reset */
        }
    }
    if (st->sw.queued != 0) {
        US_LOG_WARN("%u frame(s) held for a cut-over dropped with the old instance", st->sw.queued);
    }
    st->sw.queued = 0;
    memset(st->sw.buf_used, 0, sizeof(st->sw.buf_used));
}

/* Whether memory object @h is one the state holds. */
static bool accounted(const struct vmm_state *st, us_cap_t h)
{
    if (h == st->nic.mem_cap || h == st->carry.cap) {
        return true;
    }
    for (uint32_t i = 0; i < VMM_RELAY_PAIRS; i++) {
        if (h == st->relay[i].cap) {
            return true;
        }
    }
    for (uint32_t slot = 0; slot < VMM_CONFIG_MAX_VMS; slot++) {
        const struct vmm_vm *vm = &st->vms[slot];

        if (h == vm->mem_cap || h == vm->fast_cap || h == vm->disk_cap || h == vm->vsock_cap) {
            return true;
        }
        for (uint32_t i = 0; i < US_PT_BARS; i++) {
            if (h == vm->pt.bar_cap[i]) {
                return true;
            }
        }
    }
    return false;
}

/* Memory objects in the capability slots the kernel hands out that no state accounts for:
 * taken by a request that died half done, or leaked. Given back to the quota. */
static void reclaim(const struct vmm_state *st)
{
    uint64_t bytes = 0, size;
    uint32_t n = 0;

    for (us_cap_t h = US_SLOT_DYNAMIC_FIRST; h < US_CAP_SLOTS; h++) {
        if (us_mem_info(h, &size, NULL) != US_OK || accounted(st, h)) {
            continue;
        }
        (void)us_mem_unmap(h);
        if (us_mem_free(h) == US_OK) {
            n++;
            bytes += size;
        }
    }
    if (n != 0) {
        US_LOG_WARN("gave back %u memory object(s), %llu KiB, that no state accounts for", n,
                    (unsigned long long)(bytes >> 10));
    }
}

void vmm_exhaust(struct us_msg *m)
{
#ifdef US_DEBUG
    uint64_t size = 1ull << 30, taken = 0;
    uint32_t n = 0;
    us_cap_t cap;

    while (size >= US_PAGE_SIZE) {
        if (us_mem_alloc(US_SLOT_VMM_VM_CONTROL, size, &cap) == US_OK) {
            taken += size;
            n++;
        } else {
            size /= 2u;
        }
    }
    US_LOG_WARN("took %u memory object(s), %llu KiB, that nothing records (fault injection)", n,
                (unsigned long long)(taken >> 10));
    us_msg_init(m, US_LABEL_FAULT, 8);
    m->w[0] = taken;
#else
    us_msg_reply_err(m, US_ENOTSUP);
#endif
}

bool vmm_take_over(struct vmm_state *st, uint32_t magic, uint32_t version)
{
    const char *why;

    if (st->magic != magic || st->version != version) {
        US_LOG_ERR("state region refused after restart %u: magic or layout version wrong; the "
                   "VMs the last instance ran are lost",
                   us_bootinfo()->restart_count);
        return false;
    }
    if (!recover_config(st)) {
        US_LOG_ERR("configuration refused after restart %u: neither copy matches its seal; "
                   "taken again from the bundle",
                   us_bootinfo()->restart_count);
        if (vmm_load_config(st) != US_OK) {
            return false;
        }
    }
    st->restarts++;
    for (uint32_t slot = 0; slot < VMM_CONFIG_MAX_VMS; slot++) {
        struct vmm_vm *vm = &st->vms[slot];
        bool configured = slot < st->config.vm_count && st->config.vms[slot].name[0] != '\0';

        if (vm->vm_cap == 0 && vm->state == US_VM_STATE_EMPTY) {
            continue;
        }
        why = configured ? resume_vm(st, slot) : "no configuration describes it";
        if (why == NULL) {
            continue;
        }
        US_LOG_ERR("VM slot %u after the vmm's restart: %s; taken down", slot, why);
        vmm_vm_teardown(st, slot);
    }
    resume_services(st);
    reclaim(st);
    vmm_seal(st);
    US_LOG_INFO("state recovered after restart %u: %u VM slot(s), sealed configuration #%llu",
                us_bootinfo()->restart_count, st->config.vm_count,
                (unsigned long long)st->seal_seq);
    return true;
}

void vmm_took_over(struct vmm_state *st)
{
    for (uint32_t slot = 0; slot < st->config.vm_count; slot++) {
        if (st->vms[slot].state == US_VM_STATE_RUNNING && st->vms[slot].uart_fast != NULL) {
            vmm_pl011_drain(st, slot); /* what the guest wrote while no vmm ran */
            /* A doorbell the last instance took but had not served yet is lost: every queue
             * is served once (a notification more is harmless to a virtio driver). */
            for (uint32_t i = 0; i < US_FASTMMIO_ISRS; i++) {
                (void)__atomic_fetch_or(&st->vms[slot].uart_fast->bell[i], 7u, __ATOMIC_ACQ_REL);
            }
            vmm_virtio_bells(st, slot);
        }
    }
    vmm_agent_pump(st);
    if (st->nic.regs != NULL) {
        vmm_nic_poll(st);
    }
    vmm_pt_recover(st);
}

void vmm_state_flip(struct vmm_state *st, struct us_msg *m)
{
#ifdef US_DEBUG
    uint64_t r = us_bootinfo()->restart_count * 2654435761u + st->seal_seq * 40503u + 17u;

    ((uint8_t *)&st->sealed)[r % sizeof(st->sealed)] ^= (uint8_t)(1u << (r % 8u));
    US_LOG_WARN("a byte of the sealed configuration flipped (fault injection)");
    us_msg_init(m, US_LABEL_STATE_FLIP, 0);
#else
    (void)st;
    us_msg_reply_err(m, US_ENOTSUP);
#endif
}
