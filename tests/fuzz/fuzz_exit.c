/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Fuzz target: the vmm's dispatch of vCPU exits (vmm_dispatch -> vmm_exit: MMIO to the PL011,
 * GIC and virtio models, PSCI/SMCCC, trapped system registers) and of its clients' requests,
 * checking every exit reply with us_resume_check as the kernel does. */
#include <stdbool.h>
#include <understudy/slots.h>
#include <understudy/vcpu.h>
#include <uslib/sha256.h>
#include "fuzz_input.h"
#include "fuzz_vmm.h"

#define VMS 2u
#define RAM_SIZE 0x10000u
#define VM_CAP(slot) (10u + (slot))
#define VCPU_CAP(slot, i) (100u + 8u * (slot) + (i))

/*
 * Two VMs (VM 0 with every device and 1 to 8 vCPUs, VM 1 with 1 vCPU), each with 64 KiB of
 * RAM. Input: two setup bytes (vCPU count, fast-MMIO page, NIC, failing kernel calls; which
 * devices each VM has and sees), then operations: an opcode byte (enum op, modulo OP_COUNT)
 * and the operands the case reads (fill_exit() for an exit, request_op() for a request).
 */
enum op { OP_EXIT, OP_REQUEST, OP_FAST_RING, OP_CONSOLE_DRAIN, OP_RAM, OP_COUNT };

static struct vmm_state st;
static struct us_guest_ring rings[VMM_CONFIG_MAX_VMS];
static struct us_fastmmio_page fast;
static bool kernel_fails;  /* vcpu_create/start answer an error */
static uint32_t nic_dummy; /* a NIC is present (vmm_nic.c, which would use it, is not linked) */

/* The kernel and the parts of the vmm not under test. */
void us_logf(uint32_t level, const char *fmt, ...)
{
    (void)level;
    (void)fmt;
}

_Noreturn void us_fatal(const char *what)
{
    fprintf(stderr, "us_fatal: %s\n", what);
    abort();
}

static void check_vcpu_cap(us_cap_t cap)
{
    uint32_t slot = (cap - 100u) / 8u, i = (cap - 100u) % 8u;

    FUZZ_CHECK(cap >= 100u && slot < VMS && i < st.config.vms[slot].vcpu_count);
    FUZZ_CHECK(st.vms[slot].vcpus_created & (1u << i));
}

us_err_t us_vcpu_inject(us_cap_t vcpu, uint32_t intid)
{
    check_vcpu_cap(vcpu);
    FUZZ_CHECK((intid & ~(uint32_t)(US_VIRQ_EOI | US_VIRQ_EXTINT)) <
               US_VIRQ_LIMIT); /* as the kernel checks */
    return US_OK;
}

us_err_t us_vcpu_create(us_cap_t vm, uint32_t index, us_cap_t ep, us_badge_t badge, uint32_t cpu,
                        us_cap_t *vcpu)
{
    uint32_t slot = vm - 10u;

    FUZZ_CHECK(vm >= 10u && slot < VMS && badge == slot && ep == US_SLOT_SELF_EP);
    FUZZ_CHECK(index < st.config.vms[slot].vcpu_count && cpu == 0);
    if (kernel_fails) {
        return US_ENOMEM;
    }
    *vcpu = VCPU_CAP(slot, index);
    return US_OK;
}

us_err_t us_vcpu_start(us_cap_t vcpu, uint64_t pc, uint64_t x0)
{
    (void)pc;
    (void)x0;
    check_vcpu_cap(vcpu);
    return kernel_fails ? US_EBUSY : US_OK;
}

us_err_t us_vcpu_stop(us_cap_t vcpu)
{
    check_vcpu_cap(vcpu);
    return US_OK;
}

us_err_t us_signal(us_cap_t ntfn, uint64_t bits)
{
    (void)ntfn;
    (void)bits;
    return US_OK;
}

us_err_t us_vm_fastmmio(us_cap_t vm, uint64_t ipa, uint32_t kind, us_cap_t mem, uint64_t offset,
                        us_cap_t ntfn)
{
    (void)vm, (void)ipa, (void)kind, (void)mem, (void)offset, (void)ntfn;
    return US_OK;
}

us_err_t us_mem_info(us_cap_t mem, uint64_t *size, uint64_t *pa)
{
    (void)mem, (void)size, (void)pa;
    return US_ENOTSUP;
}

us_err_t us_mem_where(us_cap_t mem, uint64_t *pa)
{
    (void)mem;
    *pa = 0;
    return US_ENOTSUP;
}

us_err_t us_mem_map(us_cap_t mem, uint64_t va, uint32_t rights)
{
    (void)mem, (void)va, (void)rights;
    return US_ENOTSUP;
}

/* devmgr is not there: no function is passed through, and asking it fails. */
us_err_t us_ask(us_cap_t ep, bool retry)
{
    (void)ep, (void)retry;
    return US_EABORT;
}

us_err_t us_mem_slice(us_cap_t mem, uint64_t offset, uint64_t size, us_cap_t *slice)
{
    (void)mem, (void)offset, (void)size, (void)slice;
    return US_ENOTSUP;
}

us_err_t us_vm_map(us_cap_t vm, us_cap_t mem, uint64_t ipa, uint32_t rights)
{
    (void)vm, (void)mem, (void)ipa, (void)rights;
    return US_ENOTSUP;
}

/* The PM timer's clock (vmm_pc.c): a counter at 1 GHz that moves with every read. */
uint64_t us_cpu_counter(void)
{
    static uint64_t now;

    return now += 1000u;
}

uint64_t us_cpu_counter_freq(void)
{
    return 1000000000u;
}

void sha256_ce_blocks(uint32_t state[8], const uint8_t *blocks, size_t n, const uint32_t k[64])
{
    (void)state, (void)blocks, (void)n, (void)k;
    abort(); /* only vmm_init() selects it */
}

us_err_t vmm_config_parse(const void *blob, size_t blob_len, struct vmm_config *out)
{
    (void)blob, (void)blob_len, (void)out;
    return US_ENOTSUP; /* vmm_init() only */
}

us_err_t vmm_find_image(struct vmm_state *s, const char *name, uint32_t type,
                        const struct us_bundle_entry **out)
{
    FUZZ_CHECK(s == &st);
    (void)name, (void)type, (void)out;
    return US_ENOENT;
}

us_err_t vmm_boot_vm(struct vmm_state *s, uint32_t slot)
{
    (void)s, (void)slot;
    return US_ENOTSUP; /* vmm_init() only */
}

/* Creating and retiring VMs needs the kernel; here they are refused like a bad request. */
void vmm_vm_create(struct vmm_state *s, struct us_msg *m)
{
    FUZZ_CHECK(s == &st);
    us_msg_reply_err(m, US_ENOTSUP);
}

void vmm_vm_retire(struct vmm_state *s, struct us_msg *m)
{
    FUZZ_CHECK(s == &st);
    us_msg_reply_err(m, US_ENOTSUP);
}

void vmm_carry_init(struct vmm_state *s, bool cold)
{
    (void)s, (void)cold;
}

void vmm_relay_init(struct vmm_state *s, bool cold)
{
    (void)s, (void)cold;
}

void us_sha256_fast(void)
{
}

/* Restarts need the kernel: the fuzzer's vmm is never restarted. */
us_err_t us_recovers(void)
{
    abort(); /* vmm_init() only */
}

void vmm_seal(struct vmm_state *s)
{
    FUZZ_CHECK(s == &st);
}

bool vmm_take_over(struct vmm_state *s, uint32_t magic, uint32_t version)
{
    (void)s, (void)magic, (void)version;
    abort(); /* vmm_init() only */
}

void vmm_took_over(struct vmm_state *s)
{
    (void)s;
    abort(); /* vmm_init() only */
}

void vmm_exhaust(struct us_msg *m)
{
    us_msg_reply_err(m, US_ENOTSUP);
}

void vmm_state_flip(struct vmm_state *s, struct us_msg *m)
{
    FUZZ_CHECK(s == &st);
    us_msg_reply_err(m, US_ENOTSUP);
}

void vmm_carry_drop(struct us_msg *m)
{
    us_msg_init(m, US_VMM_CARRY_DROP, 0);
}

void vmm_carry_flip(struct us_msg *m)
{
    us_msg_reply_err(m, US_ENOENT);
}

us_err_t vmm_nic_init(struct vmm_state *s)
{
    (void)s;
    return US_OK;
}

us_err_t vmm_nic_send(struct vmm_state *s, const uint8_t *frame, uint32_t len)
{
    (void)frame;
    FUZZ_CHECK(s == &st && len >= VIO_NET_FRAME_MIN && len <= VIO_NET_FRAME_MAX);
    return US_OK;
}

void vmm_nic_poll(struct vmm_state *s)
{
    FUZZ_CHECK(s == &st);
}

uint32_t vmm_vcpu_cpu(uint32_t slot, uint32_t index)
{
    (void)slot, (void)index;
    return 0;
}

/* vmm_boot.c's reset, without reloading the images: the same reply and vCPU bookkeeping. */
void vmm_reset_vm(struct vmm_state *s, uint32_t slot, struct us_msg *m)
{
    struct vmm_vm *vm = &s->vms[slot];
    uint32_t self = (uint32_t)m->w[US_EXIT_VCPU];

    vmm_stop_others(vm, self);
    vm->vcpus_on = 1u;
    if (self == 0) {
        vmm_resume(m, US_RESUME_RESET);
        m->w[US_RESUME_VALUE] = VMM_RAM_IPA;
        m->w[US_RESUME_X0] = VMM_RAM_IPA + 0x1000u;
        return;
    }
    vmm_resume(m, US_RESUME_STOP);
    (void)us_vcpu_start(vm->vcpu_cap[0], VMM_RAM_IPA, VMM_RAM_IPA + 0x1000u);
}

static void setup(struct fuzz_in *in)
{
    uint8_t cfg = fi_u8(in), devs = fi_u8(in);
    uint8_t *disk = fuzz_vmm_disk();

    memset(&st, 0, sizeof(st));
    memset(rings, 0, sizeof(rings));
    memset(&fast, 0, sizeof(fast));
    kernel_fails = (cfg & 0x80u) != 0;
    st.rings = rings;
    st.config.vm_count = VMS;
    st.nic.regs = (cfg & 0x40u) ? &nic_dummy : NULL;
    for (uint32_t i = 0; i < VMS; i++) {
        struct vmm_vm *vm = &st.vms[i];

        memcpy(st.config.vms[i].name, i == 0 ? "vm0" : "vm1", 4);
        st.config.vms[i].mem_size = RAM_SIZE;
        st.config.vms[i].vcpu_count = i == 0 ? 1u + (cfg & 7u) : 1u;
        st.config.vms[i].devices = i == 0 ? VMM_DEV_ALL : (devs >> 4) & VMM_DEV_ALL;
        vm->visible = st.config.vms[i].devices & (i == 0 ? ~(uint32_t)devs : 0xffu);
        vm->state = US_VM_STATE_RUNNING;
        vm->vm_cap = VM_CAP(i);
        vm->vcpu_cap[0] = VCPU_CAP(i, 0);
        vm->vcpus_created = 1;
        vm->vcpus_on = 1;
        vm->ram = fuzz_vmm_ram(i, RAM_SIZE);
        vm->disk = disk;
        vm->net.mac[0] = 0x02;
        vm->net.mac[5] = (uint8_t)(i + 1);
        vmm_gic_reset(&vm->gic);
        vmm_virtio_reset(&vm->blk, VIO_ID_BLOCK);
        vmm_virtio_reset(&vm->con, VIO_ID_CONSOLE);
        vmm_virtio_reset(&vm->net, VIO_ID_NET);
    }
    st.vms[0].uart_fast = (cfg & 0x08u) ? &fast : NULL;
}

/* Where MMIO exits go: each device's window, guest RAM, or (0) anywhere. */
static const uint64_t mmio_bases[8] = {
    VMM_UART_IPA,       VMM_GICD_IPA,       VMM_GICR_IPA, VMM_VIRTIO_BLK_IPA,
    VMM_VIRTIO_CON_IPA, VMM_VIRTIO_NET_IPA, VMM_RAM_IPA,  0};
/* A system register's ISS for EC 0x18 without Rt and direction (Arm ARM D17.2.37). */
#define ISS_SYSREG(op0, op1, crn, crm, op2)                                                        \
    (((op0) << 20) | ((op2) << 17) | ((op1) << 14) | ((crn) << 10) | ((crm) << 1))
static const uint32_t sysregs[] = {
    ISS_SYSREG(3u, 0u, 12u, 11u, 5u), /* ICC_SGI1R_EL1 */
    ISS_SYSREG(2u, 0u, 0u, 2u, 2u),   /* MDSCR_EL1 */
    ISS_SYSREG(2u, 0u, 1u, 0u, 4u),   /* OSLAR_EL1 */
    ISS_SYSREG(2u, 0u, 1u, 1u, 4u),   /* OSLSR_EL1 */
    ISS_SYSREG(2u, 0u, 1u, 3u, 4u),   /* OSDLR_EL1 */
    ISS_SYSREG(2u, 0u, 0u, 0u, 4u),   /* DBGBVR0_EL1 */
    ISS_SYSREG(2u, 0u, 0u, 15u, 7u),  /* DBGWCR15_EL1 */
    ISS_SYSREG(2u, 3u, 0u, 1u, 0u),   /* MDCCSR_EL0 */
    ISS_SYSREG(3u, 0u, 12u, 11u, 6u), /* ICC_ASGI1R_EL1 */
    ISS_SYSREG(3u, 3u, 14u, 0u, 0u),  /* CNTFRQ_EL0 */
};
static const uint32_t psci_fns[8] = {0x80000000u, 0x84000000u, 0x84000002u, 0xc4000003u,
                                     0xc4000004u, 0x84000008u, 0x84000009u, 0x8400000au};

/* An exit message as kernel/arch/aarch64/vcpu_exit.c fills it: the guest chooses the
 * syndrome, addresses, values and registers; the kernel guarantees the access's direction,
 * size and register (0..31) and the vCPU index (below the VM's vCPU count). Reasons 0 and 8,
 * which it never sends, are in too, and x86_64's (kernel/arch/x86_64/vcpu.c: port I/O, CPUID,
 * MSRs), which reach the same vmm. */
static void fill_exit(struct fuzz_in *in, struct us_msg *m, uint32_t slot)
{
    uint8_t reason = fi_u8(in) % (US_EXIT_MSR + 1u), how = fi_u8(in);
    uint32_t vcpus = st.config.vms[slot].vcpu_count;

    memset(m, 0, sizeof(*m));
    us_msg_init(m, US_LABEL_VCPU_EXIT, US_EXIT_LEN);
    m->w[US_EXIT_REASON] = reason;
    m->w[US_EXIT_PC] = VMM_RAM_IPA + 4u * fi_u16(in);
    m->w[US_EXIT_CPSR] = 0x3c5u;
    m->w[US_EXIT_VCPU] = fi_u8(in) % vcpus;
    switch (reason) {
    case US_EXIT_MMIO:
    case US_EXIT_ABORT: {
        uint64_t base = mmio_bases[how & 7u];

        m->w[US_EXIT_IPA] = base != 0 ? base + fi_u32(in) % 0x40000u : fi_u64(in);
        m->w[US_EXIT_FAR] = m->w[US_EXIT_IPA];
        m->w[US_EXIT_ESR] = (0x24ull << 26) | (1u << 24) | ((how & 0x30u) << 18) | 0x6u;
        if (reason == US_EXIT_MMIO) {
            m->w[US_EXIT_WRITE] = (how >> 3) & 1u;
            m->w[US_EXIT_SIZE] = 1ull << ((how >> 4) & 3u);
            m->w[US_EXIT_REG] = (how >> 6) | (fi_u8(in) & 0x1cu);
            m->w[US_EXIT_VALUE] = fi_u64(in);
        }
        break;
    }
    case US_EXIT_IO:
        /* how & 7: COM1's eight ports, else any; a byte, word or double word. */
        m->w[US_EXIT_REG] = (how & 8u) ? 0x3f8u + (how & 7u) : fi_u16(in);
        m->w[US_EXIT_SIZE] = 1ull << ((how >> 4) % 3u);
        m->w[US_EXIT_WRITE] = (how >> 6) & 1u;
        m->w[US_EXIT_X0] = fi_u64(in);
        break;
    case US_EXIT_MSR:
        m->w[US_EXIT_REG] = fi_u32(in);
        m->w[US_EXIT_WRITE] = how & 1u;
        m->w[US_EXIT_VALUE] = fi_u64(in);
        break;
    case US_EXIT_HVC:
    case US_EXIT_SMC:
        m->w[US_EXIT_ESR] = (reason == US_EXIT_HVC ? 0x16ull : 0x17ull) << 26;
        m->w[US_EXIT_X0] = (how & 8u) ? fi_u64(in) : psci_fns[how & 7u];
        m->w[US_EXIT_X0 + 1] = (how & 0x10u) ? fi_u64(in) : fi_u8(in) % 10u;
        m->w[US_EXIT_X0 + 2] = (how & 0x20u) ? fi_u64(in) : 0u;
        m->w[US_EXIT_X0 + 3] = fi_u64(in);
        break;
    case US_EXIT_SYSREG: {
        /* how & 3: any ISS; one of the registers the vmm emulates (or a neighbour); any debug
         * register (op0 2); ICC_SGI1R_EL1. how & 0x20: a read (MRS). */
        uint32_t kind = how & 3u, iss, rt;

        if (kind == 1u) {
            iss = sysregs[fi_u8(in) % (sizeof(sysregs) / sizeof(sysregs[0]))];
        } else if (kind == 3u) {
            iss = ISS_SYSREG(3u, 0u, 12u, 11u, 5u);
        } else {
            iss = fi_u32(in) & 0x1ffffffu;
            iss = kind == 2u
                      ? (iss & ~ISS_SYSREG(3u, 0u, 0u, 0u, 0u)) | ISS_SYSREG(2u, 0u, 0u, 0u, 0u)
                      : iss;
        }
        rt = fi_u8(in) & 31u;
        iss = (iss & ~(0x1fu << 5) & ~1u) | rt << 5 | ((how & 0x20u) ? 1u : 0u);
        m->w[US_EXIT_ESR] = (0x18ull << 26) | iss;
        m->w[US_EXIT_WRITE] = (iss & 1u) ? 0u : 1u;
        m->w[US_EXIT_REG] = rt;
        m->w[US_EXIT_VALUE] = fi_u64(in);
        break;
    }
    default:
        m->w[US_EXIT_ESR] = fi_u32(in);
        break;
    }
}

/* What the kernel checks of the reply, and what the vmm's own bookkeeping must keep. */
static void check_exit_reply(const struct us_msg *m, uint32_t slot, bool known_slot)
{
    FUZZ_CHECK(m->hdr.label == US_LABEL_VCPU_EXIT);
    FUZZ_CHECK(us_resume_check(m) == US_OK);
    if (!known_slot) {
        FUZZ_CHECK(m->w[US_RESUME_FLAGS] == US_RESUME_STOP);
        return;
    }
    FUZZ_CHECK((m->w[US_RESUME_FLAGS] & US_RESUME_STOP) == 0 ||
               (m->w[US_RESUME_FLAGS] & ~(uint64_t)US_RESUME_STOP) == 0);
    (void)slot;
}

static void check_state(void)
{
    for (uint32_t i = 0; i < VMS; i++) {
        const struct vmm_vm *vm = &st.vms[i];
        uint32_t all = (1u << st.config.vms[i].vcpu_count) - 1u;

        FUZZ_CHECK((vm->vcpus_on & ~all) == 0 && (vm->vcpus_created & ~all) == 0);
        FUZZ_CHECK(vm->state <= US_VM_STATE_CRASHED);
        FUZZ_CHECK(rings[i].head - rings[i].tail <= US_GUEST_RING_BYTES);
        FUZZ_CHECK(vm->uart.in_head - vm->uart.in_tail <= VMM_INPUT_LEN);
    }
}

static void exit_op(struct fuzz_in *in)
{
    static struct us_msg m;
    uint8_t sel = fi_u8(in);
    uint32_t slot = (sel & 0x80u) ? fi_u8(in) : sel & 1u;
    bool known = slot < VMS;

    fill_exit(in, &m, known ? slot : 0);
    if (sel & 0x40u) {
        m.hdr.label = fi_u32(in); /* not the kernel's: still answered with a stop */
        known = known && m.hdr.label == US_LABEL_VCPU_EXIT;
    }
    vmm_dispatch(&st, US_BADGE_VCPU | slot, &m);
    check_exit_reply(&m, slot, known);
    if (known && slot == 0 && st.vms[0].uart_fast != NULL) {
        FUZZ_CHECK(fast.tail == fast.head); /* bytes written before the exit went out first */
    }
}

/* A client's request (console, or anyone with the vmm's endpoint): any label and length. */
static void request_op(struct fuzz_in *in)
{
    static const uint32_t labels[6] = {US_LABEL_PING,  US_LABEL_NOTIFY, US_VMM_VM_COUNT,
                                       US_VMM_VM_INFO, US_VMM_GUEST_IN, US_LABEL_VCPU_EXIT};
    static struct us_msg m;
    uint8_t sel = fi_u8(in);
    us_badge_t badge = (sel & 0x40u) ? fi_u8(in) : 1u;
    uint32_t label = (sel & 0x80u) ? fi_u32(in) : labels[(sel & 0x3fu) % 6u];

    memset(&m, 0, sizeof(m));
    m.hdr.label = label;
    m.hdr.len = fi_u8(in);
    m.hdr.flags = fi_u16(in);
    m.hdr.err = fi_u32(in);
    m.hdr.cap = fi_u32(in);
    fi_bytes(in, m.w, m.hdr.len < sizeof(m.w) ? m.hdr.len : sizeof(m.w));
    vmm_dispatch(&st, badge, &m);
    FUZZ_CHECK(m.hdr.label == label && m.hdr.len <= US_MSG_MAX_LEN);
    FUZZ_CHECK(m.hdr.err < US_ERR_COUNT && m.hdr.flags == 0 && m.hdr.cap == US_INVALID_CAP);
    if (label == US_VMM_VM_INFO && m.hdr.err == US_OK) {
        const struct us_vm_info *info = (const struct us_vm_info *)(const void *)m.w;

        FUZZ_CHECK(m.hdr.len == sizeof(*info) && memchr(info->name, 0, sizeof(info->name)));
    }
}

/* The kernel queued UARTDR bytes in the fast-MMIO page (or its head is simply wrong). */
static void fast_ring_op(struct fuzz_in *in)
{
    uint8_t n = fi_u8(in);

    if (n & 0x80u) {
        fast.head = fi_u32(in);
        return;
    }
    for (uint8_t i = 0; i < n; i++) {
        fast.ring[fast.head++ % US_FASTMMIO_RING_BYTES] = fi_u8(in);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};

    setup(&in);
    while (fi_left(&in) > 0) {
        switch (fi_u8(&in) % OP_COUNT) {
        case OP_EXIT:
            exit_op(&in);
            break;
        case OP_REQUEST:
            request_op(&in);
            break;
        case OP_FAST_RING:
            fast_ring_op(&in);
            if (fi_u8(&in) & 1u) {
                vmm_pl011_drain(&st, 0);
            }
            break;
        case OP_CONSOLE_DRAIN: {
            uint32_t slot = fi_u8(&in) & 1u;

            rings[slot].tail = rings[slot].head; /* the console took everything */
            rings[slot].want_room = 0;
            break;
        }
        case OP_RAM: {
            uint32_t slot = fi_u8(&in) & 1u, off = fi_u16(&in), n = fi_u8(&in);
            uint8_t bytes[256];

            fi_bytes(&in, bytes, n);
            n = n < RAM_SIZE - off ? n : RAM_SIZE - off;
            memcpy(st.vms[slot].ram + off, bytes, n);
            break;
        }
        default:
            break;
        }
        check_state();
    }
    return 0;
}
