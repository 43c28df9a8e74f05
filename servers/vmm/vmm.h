/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The vmm server's private interface: VM table, boot, exit handling and device models. */
#pragma once

#include <stdbool.h>
#include <understudy/console.h>
#include <understudy/migrate.h>
#include <understudy/usys.h>
#include <understudy/vcpu.h>
#include <understudy/vmm.h>
#include <understudy/cpu.h> /* US_GUEST_RAM_BASE; it brings uslib/sha256.h */
#include "virtio_mmio.h"
#include "vmm_config.h"
#include "vmm_pc_state.h"

#define VMM_RAM_IPA US_GUEST_RAM_BASE
#define VMM_UART_IPA 0x09000000ull
#define VMM_UART_SIZE 0x1000ull
#define VMM_UART_SPI 1u                     /* its interrupt: SPI 1 */
#define VMM_UART_INTID (32u + VMM_UART_SPI) /* = INTID 33 */
#define VMM_VIRTIO_BLK_IPA 0x0a000000ull    /* first virtio-mmio slot of QEMU virt's map */
#define VMM_VIRTIO_SIZE 0x200ull
#define VMM_VIRTIO_BLK_SPI 16u
#define VMM_VIRTIO_BLK_INTID (32u + VMM_VIRTIO_BLK_SPI)
#define VMM_VIRTIO_CON_IPA 0x0a001000ull /* its own page: a guest can map one alone */
#define VMM_VIRTIO_CON_SPI 17u
#define VMM_VIRTIO_CON_INTID (32u + VMM_VIRTIO_CON_SPI)
#define VMM_VIRTIO_NET_IPA 0x0a002000ull
#define VMM_VIRTIO_NET_SPI 18u
#define VMM_VIRTIO_NET_INTID (32u + VMM_VIRTIO_NET_SPI)
#define VMM_VIRTIO_VSOCK_IPA 0x0a003000ull
#define VMM_VIRTIO_VSOCK_SPI 19u
#define VMM_VIRTIO_VSOCK_INTID (32u + VMM_VIRTIO_VSOCK_SPI)
/* Every transport's window, whether a given boot sees it or not (vmm_virtio_device() says). */
#define VMM_VIRTIO_WINDOWS                                                                         \
    {                                                                                              \
        VMM_VIRTIO_BLK_IPA, VMM_VIRTIO_CON_IPA, VMM_VIRTIO_NET_IPA, VMM_VIRTIO_VSOCK_IPA           \
    }
#define VMM_VIRTIO_QUEUES 3u /* vsock: receive, transmit, event; console and net use two */
#define VMM_VIRTQ_SIZE 128u
#define VMM_DISK_SIZE (8ull << 20) /* RAM disk behind virtio-blk: survives guest reboots */
#define VMM_DISK_VA(slot) (US_VA_DYNAMIC + 0x100000000ull * ((uint64_t)(slot) + 9u))
#define VMM_PCIE_ECAM_IPA 0x3f000000ull /* the guest's PCIe host bridge: ECAM, buses 0-15 */
#define VMM_PCIE_ECAM_SIZE 0x01000000ull
#define VMM_PCIE_MEM_IPA 0x10000000ull /* its 32-bit memory window */
#define VMM_PCIE_MEM_SIZE 0x2eff0000ull
#define VMM_PT_BDF 0x08u /* a passed-through function is at 00:01.0 of the guest's bridge */
#define VMM_PT_SPI 20u   /* its INTx */
#define VMM_PT_INTID (32u + VMM_PT_SPI)
#define VMM_GICD_IPA 0x08000000ull
#define VMM_GICD_SIZE 0x10000ull
#define VMM_GICR_IPA 0x080a0000ull
#define VMM_GICR_STRIDE 0x20000ull /* RD_base and SGI_base frames of one vCPU */
#define VMM_GIC_INTIDS 128u        /* keep in sync with US_VIRQ_LIMIT */
#define VMM_GIC_WORDS (VMM_GIC_INTIDS / 32u)
#define VMM_BUNDLE_VA US_VA_DYNAMIC
#define VMM_RINGS_VA (US_VA_DYNAMIC + 0xc0000000ull) /* after a bundle of up to 3 GiB */
#define VMM_NIC_REGS_VA (VMM_RINGS_VA + 0x100000ull)
#define VMM_NIC_DMA_VA (VMM_RINGS_VA + 0x200000ull)
#define VMM_FAST_VA(slot) (VMM_RINGS_VA + 0x300000ull + 0x1000ull * (slot)) /* fast-MMIO pages */
#define VMM_AGENT_VA (VMM_RINGS_VA + 0x400000ull) /* the agent channels shared with migrate */
#define VMM_NET_UPLINK VMM_CONFIG_MAX_VMS         /* the switch's port for the node's NIC */
#define VMM_RAM_VA(slot) (US_VA_DYNAMIC + 0x100000000ull * ((uint64_t)(slot) + 1u))
#define VMM_VSOCK_VA(slot) (US_VA_DYNAMIC + 0x100000000ull * ((uint64_t)(slot) + 17u))
#ifndef VMM_CARRY_VA /* host tests put it where their address space has room */
#define VMM_CARRY_VA (US_VA_DYNAMIC + 0x100000000ull * 25u) /* vmm_carry.c's buffer */
#endif
#ifndef VMM_RELAY_VA /* vmm_relay.c's rings, pair @i */
#define VMM_RELAY_VA(i) (US_VA_DYNAMIC + 0x100000000ull * 26u + 0x200000ull * (i))
#endif
#define VMM_DTB_MAX 0x10000u
#define VMM_INPUT_LEN 256u
#define VMM_FAULT_LOG_LIMIT 8u

/* An emulated PL011: just enough of it for early consoles and Linux's amba-pl011 driver. */
struct vmm_pl011 {
    uint8_t in[VMM_INPUT_LEN]; /* bytes typed at the console for this guest */
    uint32_t in_head, in_tail;
    uint32_t imsc;
    uint32_t cr;
    uint32_t lcr_h;
};

/* A VM's GICv3 distributor and (one vCPU's) redistributor state, as the guest programmed it. */
struct vmm_gic {
    uint32_t ctlr;
    uint32_t waker;
    uint32_t group[VMM_GIC_WORDS], enable[VMM_GIC_WORDS];
    uint32_t pending[VMM_GIC_WORDS], active[VMM_GIC_WORDS];
    uint32_t cfg[VMM_GIC_INTIDS / 16u];
    uint8_t prio[VMM_GIC_INTIDS];
    uint64_t router[VMM_GIC_INTIDS - 32u];
};

/* One virtqueue, as the guest programmed it. */
struct vmm_virtq {
    uint32_t num, ready;
    uint64_t desc, driver, device; /* guest-physical ring addresses */
    uint16_t last_avail;           /* next available-ring entry to complete */
};

/* A virtio-mmio transport (virtio-blk: queue 0; virtio-console and virtio-net: 0 receive,
 * 1 transmit; virtio-vsock: 0 receive, 1 transmit, 2 event). */
struct vmm_virtio {
    uint32_t dev_id; /* virtio device ID: 1 net, 2 block, 3 console, 19 vsock */
    uint32_t status, features_sel, queue_sel, isr;
    struct vmm_virtq q[VMM_VIRTIO_QUEUES];
    uint8_t mac[6];     /* net: the guest's address; kept across resets */
    uint64_t guest_cid; /* vsock: the guest's context ID; kept across resets */
};

/* virtio-vsock (vmm_vsock.c): the vmm is the host end of every VM's stream sockets. */
#define VMM_VSOCK_CID_HOST 2u      /* VMADDR_CID_HOST */
#define VMM_VSOCK_CID_OFFSET 2u    /* a guest's CID is its vmid (1, 2, ...) + 2: 3, 4, ... */
#define VMM_VSOCK_CONNS 16u        /* connections per VM */
#define VMM_VSOCK_OUT 2048u        /* bytes a connection may have waiting for the guest */
#define VMM_VSOCK_BUF_ALLOC 65536u /* the receive buffer the vmm advertises per connection */
#define VMM_VSOCK_RSTS 8u          /* RSTs for no connection, waiting for a receive buffer */
#define VMM_VSOCK_PRIV 160u        /* a service's own state per connection */
#define VMM_VSOCK_LISTENERS 4u

/* One stream connection between a guest port and a vmm service's port. */
struct vmm_vsock_conn {
    uint32_t open;                         /* 0: the slot is free */
    uint32_t host_port, guest_port;        /* ours (the listener's) and the guest's */
    uint32_t owed;                         /* control packets to send: VMM_VSOCK_OWE_* */
    uint32_t peer_buf_alloc, peer_fwd_cnt; /* the guest's receive buffer, as it last said */
    uint32_t tx_cnt;                       /* payload bytes sent to the guest */
    uint32_t rx_cnt;                       /* payload bytes received */
    uint32_t kept;                         /* of those, kept by the service, not consumed */
    uint32_t fwd_told;                     /* rx_cnt - kept as the guest last heard it */
    uint32_t listener;                     /* index of the service's listener */
    uint32_t out_head, out_tail;           /* out[]: bytes for the guest, not sent yet */
    uint8_t out[VMM_VSOCK_OUT];
    uint64_t priv[VMM_VSOCK_PRIV / 8u]; /* the service's; zeroed at connect */
};

/* An RST for a packet that has (or no longer has) no connection. */
struct vmm_vsock_rst {
    uint64_t src_cid; /* the address the guest's packet went to */
    uint32_t host_port, guest_port;
};

/* A VM's vsock connections, in memory of their own (VMM_VSOCK_VA). */
struct vmm_vsock {
    struct vmm_vsock_conn conn[VMM_VSOCK_CONNS];
    struct vmm_vsock_rst rst[VMM_VSOCK_RSTS];
    uint32_t rst_head, rst_tail;
    uint32_t next;          /* connection to look at first when filling receive buffers */
    uint32_t warnings;      /* logged so far, up to VMM_FAULT_LOG_LIMIT */
    uint64_t drops, resets; /* packets dropped; connections the vmm reset */
};

struct vmm_state;

/* A service the vmm offers guests on one port. Each callback gets the connection's index;
 * vmm_vsock_priv() is its state. The migrate server will take the agent's port over through
 * IPC: a listener whose callbacks forward to it. */
struct vmm_vsock_ops {
    const char *name;
    /* A guest connected. Returns false to refuse (the guest gets an RST). */
    bool (*on_connect)(struct vmm_state *st, uint32_t slot, uint32_t conn);
    /* @len bytes in order; the vmm consumes them (and credits the guest) when this returns,
     * except those the service keeps (vmm_vsock_keep()) until it says they are consumed. */
    void (*on_data)(struct vmm_state *st, uint32_t slot, uint32_t conn, const uint8_t *b,
                    uint32_t len);
    /* The connection is gone (guest SHUTDOWN or RST, reset, device or VM reset). */
    void (*on_close)(struct vmm_state *st, uint32_t slot, uint32_t conn);
    /* May be NULL. The connection's output has room again (half of VMM_VSOCK_OUT or more):
     * a service that streams queues its next bytes here. */
    void (*on_writable)(struct vmm_state *st, uint32_t slot, uint32_t conn);
};

/* Frame counters of one switch port. */
struct vmm_net_stats {
    uint64_t tx_frames, rx_frames; /* seen from the port's side: tx = sent into the switch */
    uint64_t tx_drops, rx_drops;   /* malformed or spoofed; no buffer or ring space */
    uint32_t warnings;             /* logged so far, up to VMM_FAULT_LOG_LIMIT */
};

/* The vmm's driver of the node's NIC: a virtio-net device, on virtio-mmio or PCI (vmm_arch.h). */
#define VMM_NIC_QN 64u /* entries per queue */
struct vmm_nic {
    volatile uint32_t *regs; /* its registers; NULL: no NIC, the switch joins the guests only */
    struct vmm_nic_pci pci;  /* on a PC, where virtio-pci's structures are (vmm_nic_pci.c) */
    uint8_t *mem;            /* DMA area: two rings, then receive and transmit buffers */
    us_cap_t mem_cap;
    uint64_t mem_pa;
    uint8_t mac[6];
    uint16_t rx_used, tx_used, rx_avail, tx_avail; /* our copies of the ring indices */
    uint16_t tx_free[VMM_NIC_QN];                  /* transmit descriptors not in flight */
    uint32_t tx_free_count;
    struct vmm_net_stats stats;
};

/* The switch's ports as vmm_net_route() sees them: a snapshot taken for each frame. */
struct vmm_net_ports {
    uint8_t mac[VMM_NET_UPLINK][6]; /* each VM port's address; twins share one */
    uint32_t present;               /* bit n: port n exists (running, with virtio-net; NIC) */
    uint32_t standby;               /* bit n: VM port n is a standby twin */
    uint32_t keeps_old;             /* bit n: standby, still serving connections it had */
};

/* Service addresses (vmm_switch.c): the TCP connections the switch saw each port of an address
 * serve, so that they stay on that port across a cut-over; and frames held for an address while
 * its twins change places. Sizes are for all addresses together. */
#define VMM_SWITCH_CONNS 256u               /* 20 bytes each: 5 KiB of vmm_state */
#define VMM_SWITCH_HOLD_FRAMES 128u         /* frames held, up to VIO_NET_FRAME_MAX bytes each */
#define VMM_SWITCH_HOLDS VMM_CONFIG_MAX_VMS /* addresses: no more than there are VMs */
#define VMM_SWITCH_FIN_OUT 1u               /* the serving port sent a FIN */
#define VMM_SWITCH_FIN_IN 2u                /* the remote end sent a FIN */

/* Whether two MAC addresses are the same: the compiler's inline compare, as the switch does it
 * several times a frame. */
static inline bool vmm_mac_eq(const uint8_t *a, const uint8_t *b)
{
    return __builtin_memcmp(a, b, 6) == 0;
}

/* A tracked TCP connection. Addresses and ports are as in the frame (network byte order). */
struct vmm_switch_conn {
    uint8_t mac[6];       /* the service's address */
    uint8_t port;         /* slot + 1 of the VM port serving it; 0: the entry is free */
    uint8_t fin;          /* VMM_SWITCH_FIN_* seen so far */
    uint8_t remote_ip[4]; /* the other end: its address and port */
    uint16_t remote_port;
    uint16_t local_port; /* the service's port */
    uint32_t used;       /* the switch's clock when a frame of it was last seen */
};

/* A service address whose frames from outside are (or were) held. */
struct vmm_switch_hold {
    uint8_t mac[6];
    bool on;          /* holding now (US_NET_SVC_HOLD until US_NET_SVC_RELEASE) */
    bool all;         /* established connections' frames too (US_NET_SVC_HOLD_ALL) */
    bool used;        /* the record is @mac's (kept after release for its count) */
    uint64_t dropped; /* frames dropped because the queue was full */
};

/* A held frame; its bytes are in one of vmm_switch.c's buffers. */
struct vmm_switch_held {
    uint16_t len;
    uint8_t in;   /* the port it entered at: it is routed again from there on release */
    uint8_t buf;  /* which buffer */
    uint8_t hold; /* index in hold[] of its address */
};

struct vmm_switch {
    struct vmm_switch_conn conn[VMM_SWITCH_CONNS];
    uint32_t top;   /* conn[top..] have never been used (vmm_switch.c) */
    uint32_t clock; /* counts frames of tracked connections: the oldest entry is evicted */
    uint32_t queued;
    struct vmm_switch_hold hold[VMM_SWITCH_HOLDS];
    struct vmm_switch_held queue[VMM_SWITCH_HOLD_FRAMES]; /* queue[0..queued): oldest first */
    uint32_t buf_used[VMM_SWITCH_HOLD_FRAMES / 32u];      /* bit n: buffer n holds a frame */
};

/* The carry service's state between a PUT and a GET (vmm_carry.c). */
struct vmm_carry_keep {
    us_cap_t cap;
    uint8_t *buf;
    uint64_t size, have;
    uint8_t digest[SHA256_DIGEST_LEN];
    bool complete;       /* all SIZE bytes came and matched the digest */
    int32_t putter_slot; /* the uploading connection; -1: none */
    int32_t putter_conn;
    struct sha256_ctx ctx;
};

/* One relay pair (vmm_relay.c): end 0 joined first. ring[d] holds what end d sent, not yet
 * passed to end 1 - d. */
#define VMM_RELAY_PAIRS 2u
#define VMM_RELAY_NAME 16u
struct vmm_relay_pair {
    bool used, spliced;
    char name[VMM_RELAY_NAME];
    uint32_t slot[2], conn[2];
    uint32_t head[2], tail[2];
    us_cap_t cap;
    uint8_t *ring[2];
};

/* A host PCI function passed through to a VM (vmm_pt.c). */
struct vmm_pt {
    uint32_t on;
    uint32_t handle;              /* devmgr's name for it */
    uint32_t pin;                 /* its INTx pin, 1-4, or 0 */
    uint32_t intid;               /* the guest's SPI for it */
    us_cap_t bar_cap[US_PT_BARS]; /* slices of the host's PCIe window mapped in the stage 2 */
};

struct vmm_vm {
    uint32_t state; /* US_VM_STATE_* */
    uint32_t vmid;
    us_cap_t vm_cap;
    us_cap_t mem_cap;
    us_cap_t vcpu_cap[VMM_CONFIG_MAX_VCPUS];
    uint32_t vcpus_created; /* bit n: vcpu_cap[n] is valid */
    uint32_t vcpus_on;      /* bit n: vCPU n runs (PSCI AFFINITY_INFO) */
    uint32_t visible;       /* VMM_DEV_* this boot may see (devmgr's view of its devices) */
    uint8_t *ram;           /* the guest's RAM mapped in the vmm */
    uint64_t exits;
    uint64_t last_fault_ipa;
    uint32_t faults_logged;
    struct vmm_pl011 uart;
    struct vmm_gic gic;
    struct vmm_virtio blk;
    struct vmm_virtio con;
    struct vmm_virtio net;
    struct vmm_virtio vsock;
    struct vmm_net_stats net_stats;
    us_cap_t vsock_cap;
    struct vmm_vsock *vsock_conns; /* NULL without a virtio-vsock device */
    us_cap_t disk_cap;
    uint8_t *disk; /* VMM_DISK_SIZE bytes, NULL without a virtio-blk device */
    us_cap_t fast_cap;
    struct us_fastmmio_page *uart_fast; /* UARTDR writes and UARTFR reads the kernel finishes */
    uint32_t dbg_mdscr[VMM_CONFIG_MAX_VCPUS]; /* each vCPU's emulated MDSCR_EL1 */
    uint32_t dbg_oslk;                        /* bit n: vCPU n's emulated OS lock is set */
    uint32_t agent_conn;                      /* its agent's vsock connection + 1; 0: none */
    uint32_t net_twin;  /* slot + 1 of the VM whose network address it shares; 0: its own */
    bool net_standby;   /* a twin not serving its address (see US_VMM_NET_SERVICE) */
    bool net_keeps_old; /* standby since a cut-over that left it its older connections */
    struct vmm_pt pt;
    struct vmm_pc pc; /* a PC guest's chipset (x86_64) */
};

struct vmm_state {
    uint32_t magic;
    uint32_t version;
    const uint8_t *bundle;
    uint64_t bundle_size;
    struct us_guest_ring *rings;
    struct us_agent_chan *agent_chans; /* NULL only in host tests */
    struct vmm_config config;
    struct vmm_vm vms[VMM_CONFIG_MAX_VMS];
    struct vmm_nic nic;
    uint64_t images_verified; /* bit n: bundle entry n passed its sha256 check */
    struct vmm_switch sw;     /* service addresses: connection tracking and held frames */
    struct vmm_carry_keep carry;
    struct vmm_relay_pair relay[VMM_RELAY_PAIRS];
    /* The configuration as the last request left it, sealed for a restart (vmm_recover.c). */
    struct vmm_config sealed;
    uint8_t seal[SHA256_DIGEST_LEN];
    uint64_t seal_seq; /* sealings so far */
    uint64_t restarts; /* restarts this state has lived through */
};

/** vmm_init() - map the bundle, read the system configuration, build and start every VM.
 * A VM that cannot be built is logged and left empty; the others still start. */
us_err_t vmm_init(struct vmm_state **st);

/** vmm_load_config() - the system configuration from the bundle into st->config.
 * Returns: US_OK; the bundle's or the parser's error (logged). */
us_err_t vmm_load_config(struct vmm_state *st);

/** vmm_seal() - after a request: a changed configuration copied to st->sealed, sealed. */
void vmm_seal(struct vmm_state *st);

/** vmm_take_over() - a restarted vmm takes up the state the last instance left: checks the
 * header (@magic, @version) and the configuration against its seal, maps every VM's memory
 * again and checks its device models (a VM that fails is taken down, and logged).
 * Returns: false if the state cannot be used at all. */
bool vmm_take_over(struct vmm_state *st, uint32_t magic, uint32_t version);

/** vmm_took_over() - once the services are offered again: what arrived while no vmm ran
 * (UART bytes, agent lines, NIC frames) is handled. */
void vmm_took_over(struct vmm_state *st);

/** vmm_state_flip() - US_LABEL_STATE_FLIP (debug builds): flip a byte of the sealed
 * configuration, for the fault tests; US_ENOTSUP in release builds. */
void vmm_state_flip(struct vmm_state *st, struct us_msg *m);

/** vmm_exhaust() - US_LABEL_FAULT with US_FAULT_EXHAUST (debug builds): take the whole of the
 * vmm's memory quota in objects nothing records, as a leak would; the reply's w[0] says how
 * much. A restart gives it back. US_ENOTSUP in release builds. */
void vmm_exhaust(struct us_msg *m);

/** vmm_vm_teardown() - take VM @slot down and give back all it holds, whatever stage its
 * creation reached; its slot is free again. */
void vmm_vm_teardown(struct vmm_state *st, uint32_t slot);

/** vmm_dispatch() - one message: a vCPU exit (badge has US_BADGE_VCPU) or a client request;
 * the reply replaces it. */
void vmm_dispatch(struct vmm_state *st, us_badge_t badge, struct us_msg *m);

/** vmm_boot_vm() - create VM @slot from its configuration and start its boot vCPU.
 * Returns: US_OK; US_ENOENT for a missing image; US_ECORRUPT for a bad image or hash;
 * US_ENOMEM; or the kernel's error. */
us_err_t vmm_boot_vm(struct vmm_state *st, uint32_t slot);

/** vmm_vm_create() - US_VMM_VM_CREATE in @m: derive the configuration, take a free slot,
 * build and start the VM; on any failure give back everything it took. The reply carries the
 * slot, or the error with a line saying why. */
void vmm_vm_create(struct vmm_state *st, struct us_msg *m);

/** vmm_vm_retire() - US_VMM_VM_RETIRE in @m: stop VM w[0], destroy it and give its memory
 * back to the free pool; its slot is free again. */
void vmm_vm_retire(struct vmm_state *st, struct us_msg *m);

/** vmm_find_image() - bundle entry @name of @type, checked against its sha256 (once: the
 * bundle is read-only). Returns: US_OK; US_ENOENT (logged) if there is none of that type;
 * the check's error (logged) if it fails. */
us_err_t vmm_find_image(struct vmm_state *st, const char *name, uint32_t type,
                        const struct us_bundle_entry **out);

/** vmm_vcpu_cpu() - the host CPU vCPU @index of VM @slot runs on (the placement policy). */
uint32_t vmm_vcpu_cpu(uint32_t slot, uint32_t index);

/** vmm_reset_vm() - PSCI SYSTEM_RESET from vCPU w[US_EXIT_VCPU] of @m: reload the images,
 * reset the GIC and UART models, and restart vCPU 0 at the kernel's entry (the others wait
 * for CPU_ON again). The reply in @m resets or stops the caller. */
void vmm_reset_vm(struct vmm_state *st, uint32_t slot, struct us_msg *m);

/** vmm_fdt_build() - write the guest's device tree, with the VMM_DEV_* @devices, into @buf;
 * @pt: a function passed through (at 00:01.0, its INTx mapped), or NULL.
 * Returns: US_OK; US_ENOMEM if it does not fit. */
us_err_t vmm_fdt_build(const struct vmm_vm_config *c, uint32_t devices, const struct vmm_pt *pt,
                       void *buf, uint32_t size, uint64_t initrd_ipa, uint64_t initrd_size);

/** vmm_pt_attach() - VM @slot being built: if its configuration passes a host PCI function
 * through, have devmgr assign it and map its BARs into the stage 2. Returns: US_OK; the
 * refusal's error (logged with devmgr's reason). */
us_err_t vmm_pt_attach(struct vmm_state *st, uint32_t slot);

/** vmm_pt_detach() - VM @slot is gone: devmgr stops its function and takes it back. */
void vmm_pt_detach(struct vmm_state *st, uint32_t slot);

/** vmm_pt_config() - a configuration access of VM @slot to function @bdf of its bridge: if it
 * is the passed-through one, forwarded to devmgr (*@result: what it read). Returns: whether it
 * was. The IPC buffer is used: the caller must have taken what it needs of the exit. */
bool vmm_pt_config(struct vmm_state *st, uint32_t slot, uint32_t bdf, uint32_t off, uint32_t size,
                   bool write, uint64_t value, uint64_t *result);

/** vmm_pt_interrupts() - US_NTFN_PCI: devmgr has functions that interrupted; inject each
 * into its VM, asking for the guest's end. */
void vmm_pt_interrupts(struct vmm_state *st);

/** vmm_pt_recover() - after a restart: no function is left masked for an interrupt this
 * instance never heard of. */
void vmm_pt_recover(struct vmm_state *st);

/** vmm_pt_eoi() - a US_EXIT_EOI exit of VM @slot in @m: the guest ended its function's
 * interrupt, devmgr unmasks it; the reply resumes the vCPU. */
void vmm_pt_eoi(struct vmm_state *st, uint32_t slot, struct us_msg *m);

/** vmm_pcie_access() - an MMIO access at @ipa, if it falls in VM @slot's PCIe ECAM window:
 * every configuration read gets all-ones (no function is there for it: the host's functions
 * are hidden until one is passed through), writes are ignored. Returns: false if @ipa is not
 * in the window or the VM has no PCIe. */
bool vmm_pcie_access(struct vmm_state *st, uint32_t slot, uint64_t ipa, uint32_t size, bool write,
                     uint64_t value, uint64_t *result);

/** vmm_gic_access() - an MMIO access of @size bytes at @ipa, if it falls in VM @slot's GIC
 * distributor or redistributors. Returns: true and *@result (the value of a read) if it was
 * the GIC's and well formed; false otherwise (the caller injects an abort). */
bool vmm_gic_access(struct vmm_state *st, uint32_t slot, uint64_t ipa, uint32_t size, bool write,
                    uint64_t value, uint64_t *result);

/** vmm_gic_deliverable() - whether the guest has enabled @intid (and its group). */
bool vmm_gic_deliverable(const struct vmm_gic *g, uint32_t intid);

/** vmm_pl011_irq_line() - whether VM @slot's UART interrupt is raised and deliverable. A
 * level-triggered line: the vmm re-asserts it after every UART access while it stays high. */
bool vmm_pl011_irq_line(struct vmm_state *st, uint32_t slot);

/** vmm_virtio_access() - an MMIO access to one of VM @slot's virtio transports, if @ipa is in
 * one the VM has. *@irq: the INTID to raise because requests completed, or 0.
 * Returns: true and *@result (the value of a read) if it was a device's and 32 bits wide;
 * false otherwise (the caller injects an abort). */
bool vmm_virtio_access(struct vmm_state *st, uint32_t slot, uint64_t ipa, uint32_t size, bool write,
                       uint64_t v, uint64_t *result, uint32_t *irq);

/* vmm_virtio_access()'s answer by value. */
struct vmm_virtio_hit {
    uint64_t value; /* *@result */
    uint32_t irq;   /* *@irq */
    bool hit;       /* its return */
};

/** vmm_virtio_mmio() - vmm_virtio_access() for the boards' MMIO exits. Out of line, with the
 * answer by value: were its out-parameters the exit path's locals, every MMIO exit (the GIC's
 * and the I/O APIC's too) would pay a stack guard. */
struct vmm_virtio_hit vmm_virtio_mmio(struct vmm_state *st, uint32_t slot, uint64_t ipa,
                                      uint32_t size, bool write, uint64_t v);

/** vmm_net_tx() - virtio-net transmit handler (queue 1): one frame into the switch. */
int64_t vmm_net_tx(struct vmm_state *st, uint32_t slot, const struct vring_desc *chain, uint32_t n);

/** vmm_net_route() - the ports a frame of @len bytes entering the switch at port @in goes
 * to, as a mask (bit VMM_NET_UPLINK for the NIC). @p: the ports and their addresses; @sw: the
 * tracked connections (NULL: none). A frame too short for an Ethernet header, or from a VM
 * with a source address not its own (spoofing), goes nowhere; so does a standby port's frame
 * unless it is TCP/IPv4 of a connection tracked to that port. Of the ports sharing the
 * destination address, a TCP/IPv4 frame of a tracked connection goes to the port serving it
 * and anything else to the active one. Broadcast and multicast skip standby ports.
 * Changes nothing: the caller learns connections (vmm_switch_learn()). */
uint32_t vmm_net_route(const struct vmm_net_ports *p, const struct vmm_switch *sw, uint32_t in,
                       const uint8_t *frame, uint32_t len);

/** vmm_net_switch() - a frame entering the switch at port @in (a VM slot or VMM_NET_UPLINK):
 * deliver it to every port vmm_net_route() picks, counting and logging what is dropped. */
void vmm_net_switch(struct vmm_state *st, uint32_t in, const uint8_t *frame, uint32_t len);

/** vmm_net_twins() - whether VMs @a and @b are network twins: two running instances sharing
 * one address (an instance and its understudy). */
bool vmm_net_twins(const struct vmm_state *st, uint64_t a, uint64_t b);

/** vmm_net_service() - US_VMM_NET_SERVICE in @m (US_NET_SVC_* in w[0]); the reply replaces it.
 * Replies: US_OK (STATUS: w[0] frames held for the slot's address, w[1] connections tracked
 * to the slot, w[2] frames dropped while held); US_ETRUNC for a malformed message; US_EINVAL
 * for an unknown operation, or a CUTOVER whose B is not a standby twin of an active A;
 * US_ENOENT for a slot with no running VM with a virtio-net device; US_ENOMEM from
 * vmm_switch_hold_start(). */
void vmm_net_service(struct vmm_state *st, struct us_msg *m);

/** vmm_net_forget_slot() - VM @slot is being retired (before or after its struct vmm_vm is
 * cleared): drop the connections tracked to it, and the frames held for an address that no
 * other running VM has. */
void vmm_net_forget_slot(struct vmm_state *st, uint32_t slot);

/* A TCP/IPv4 frame's addresses, ports (network byte order) and flags. */
struct vmm_switch_tcp {
    uint8_t src_ip[4], dst_ip[4];
    uint16_t src_port, dst_port;
    uint8_t flags; /* VMM_TCP_* */
};
#define VMM_TCP_FIN 0x01u
#define VMM_TCP_SYN 0x02u
#define VMM_TCP_RST 0x04u
#define VMM_TCP_ACK 0x10u

/** vmm_switch_parse_tcp() - whether the @len-byte frame is a well-formed, unfragmented (or
 * first-fragment) Ethernet II + IPv4 + TCP frame; if so, its fields in *@t. Reads nothing
 * past @len. */
bool vmm_switch_parse_tcp(const uint8_t *frame, uint32_t len, struct vmm_switch_tcp *t);

/** vmm_switch_find() - the port (slot + 1) serving the connection of address @mac with the
 * remote end @remote_ip:@remote_port at local port @local_port; 0 if it is not tracked. */
uint32_t vmm_switch_find(const struct vmm_switch *sw, const uint8_t *mac, const uint8_t *remote_ip,
                         uint16_t remote_port, uint16_t local_port);

/** vmm_switch_learn() - before routing: VM port @in sends the frame (its source address
 * checked). Tracks its connection if the address is shared by twins and the frame is a
 * SYN+ACK, or the port is active and the connection not tracked yet. */
void vmm_switch_learn(struct vmm_switch *sw, const struct vmm_net_ports *p, uint32_t in,
                      const uint8_t *frame, uint32_t len);

/** vmm_switch_seen() - after routing an accepted frame from port @in: note FINs, and end a
 * connection on RST or on the ACK after FINs both ways. @delivered: false if the frame was
 * held (its receiving side is noted when it is released). */
void vmm_switch_seen(struct vmm_switch *sw, const struct vmm_net_ports *p, uint32_t in,
                     const uint8_t *frame, uint32_t len, bool delivered);

/** vmm_switch_hold_frame() - whether the frame, routed to @out, is for the active port of an
 * address being held; if so it is queued (or counted as dropped if the queue is full). */
bool vmm_switch_hold_frame(struct vmm_state *st, const struct vmm_net_ports *p, uint32_t in,
                           uint32_t out, const uint8_t *frame, uint32_t len);

/** vmm_switch_hold_start() - hold frames for address @mac from now on: of new connections
 * only, or with @all of established ones too (a process moves with its connections).
 * Returns: US_OK; US_ENOMEM if every hold record is taken by another address (cannot happen:
 * there is one record per VM slot, and a VM's address is made from a slot number). */
us_err_t vmm_switch_hold_start(struct vmm_switch *sw, const uint8_t *mac, bool all);

/** vmm_switch_release() - stop holding @mac and route its held frames again, oldest first.
 * Returns: how many were released. */
uint32_t vmm_switch_release(struct vmm_state *st, const uint8_t *mac);

/** vmm_switch_forget() - drop every connection tracked to port @slot. Returns: how many. */
uint32_t vmm_switch_forget(struct vmm_switch *sw, uint32_t slot);

/** vmm_switch_status() - for address @mac and port @slot: *@held frames held, *@conns
 * connections tracked to the port, *@dropped frames dropped while held. */
void vmm_switch_status(const struct vmm_switch *sw, const uint8_t *mac, uint32_t slot,
                       uint64_t *held, uint64_t *conns, uint64_t *dropped);

/** vmm_switch_drop_orphans() - drop the frames held for, and stop holding, any address that
 * no port in @p has. */
void vmm_switch_drop_orphans(struct vmm_switch *sw, const struct vmm_net_ports *p);

/** vmm_nic_init() - find and start the node's NIC, its receive queue filled; without one the
 * switch joins the guests only. Returns: US_OK, also with no NIC; US_ENOTSUP; US_ENOMEM. */
us_err_t vmm_nic_init(struct vmm_state *st);

/** vmm_nic_rings_init() - @n's rings as they start: receive buffers posted, none in flight. */
void vmm_nic_rings_init(struct vmm_nic *n);

/** vmm_nic_send() - queue one frame on the NIC. Returns: US_OK; US_EBUSY if its transmit
 * queue is full (the frame is dropped, like a real NIC's would be); US_ENOENT without NIC. */
us_err_t vmm_nic_send(struct vmm_state *st, const uint8_t *frame, uint32_t len);

/** vmm_nic_poll() - the NIC interrupted: pass received frames to the switch, take back
 * finished transmissions, refill, and re-enable the interrupt. */
void vmm_nic_poll(struct vmm_state *st);

/** vmm_virtio_fast() - hand the interrupt status and acknowledgement of VM @slot's virtio
 * transports to the kernel (US_FASTMMIO_W1C), their words in its fast-MMIO page, cleared. */
void vmm_virtio_fast(struct vmm_state *st, uint32_t slot);

/** vmm_virtio_device() - VM @slot's transport behind @ipa, if this boot of it may see one: the
 * offset in its window in *@off, its interrupt in *@intid. NULL otherwise. */
struct vmm_virtio *vmm_virtio_device(struct vmm_state *st, uint32_t slot, uint64_t ipa,
                                     uint64_t *off, uint32_t *intid);

/** vmm_virtio_bells_rung() - serve the queues whose doorbells are rung in VM @slot's
 * fast-MMIO page @p (US_FASTMMIO_BELL), as if the driver had written each QueueNotify, and
 * raise the interrupts due. */
void vmm_virtio_bells_rung(struct vmm_state *st, uint32_t slot, struct us_fastmmio_page *p);

/** vmm_virtio_rung() - whether any doorbell of fast-MMIO page @p is rung. Inline: every exit
 * looks, and nearly always none is. */
static inline bool vmm_virtio_rung(const struct us_fastmmio_page *p)
{
    return (__atomic_load_n(&p->bell[0], __ATOMIC_RELAXED) |
            __atomic_load_n(&p->bell[1], __ATOMIC_RELAXED) |
            __atomic_load_n(&p->bell[2], __ATOMIC_RELAXED) |
            __atomic_load_n(&p->bell[3], __ATOMIC_RELAXED)) != 0;
}

/** vmm_virtio_bells() - vmm_virtio_bells_rung() if any doorbell of VM @slot is rung. */
static inline void vmm_virtio_bells(struct vmm_state *st, uint32_t slot)
{
    struct us_fastmmio_page *p = st->vms[slot].uart_fast;

    if (p != NULL && vmm_virtio_rung(p)) {
        vmm_virtio_bells_rung(st, slot, p);
    }
}

/** vmm_virtio_isr_index() - transport @d of @vm: its word in the fast-MMIO page's isr[]. */
uint32_t vmm_virtio_isr_index(const struct vmm_vm *vm, const struct vmm_virtio *d);

/** vmm_virtio_name() - "virtio-blk", "virtio-net" and so on, for the log. */
const char *vmm_virtio_name(const struct vmm_virtio *d);

/** vmm_virtio_reset() - a transport for device @dev_id after a reset (a disk keeps its data). */
void vmm_virtio_reset(struct vmm_virtio *d, uint32_t dev_id);

/** vmm_virtio_console_ready() - whether VM @slot's virtio console takes input now. */
bool vmm_virtio_console_ready(const struct vmm_state *st, uint32_t slot);

/** vmm_virtio_console_rx() - move waiting operator input into the console's receive buffers.
 * Returns: whether any moved (the caller raises VMM_VIRTIO_CON_INTID). */
bool vmm_virtio_console_rx(struct vmm_state *st, uint32_t slot);

/** vmm_virtio_console_retry() - the console ring of VM @slot has room again: take the
 * transfers held back, and interrupt the guest if any completed. */
void vmm_virtio_console_retry(struct vmm_state *st, uint32_t slot);

/** vmm_console_room() - bytes VM @slot's console ring can take now; if fewer than @want,
 * the console is asked to signal US_NTFN_RING_ROOM once it has drained the ring. */
uint32_t vmm_console_room(struct vmm_state *st, uint32_t slot, uint64_t want);

/** vmm_console_out() - @n bytes VM @slot printed, to its console ring (PL011 or virtio). */
void vmm_console_out(struct vmm_state *st, uint32_t slot, const uint8_t *b, uint64_t n);

/** vmm_gic_reset() - the state of a GIC at power-on (redistributor asleep). */
void vmm_gic_reset(struct vmm_gic *g);

/** vmm_resume() - start the reply to an exit in @m: label, length, @flags, other words 0. */
void vmm_resume(struct us_msg *m, uint64_t flags);

/** vmm_psci() - a PSCI or SMCCC call (HVC, or SMC when @smc) of VM @slot; reply in @m. */
void vmm_psci(struct vmm_state *st, uint32_t slot, struct us_msg *m, bool smc);

/** vmm_stop_others() - stop every running vCPU of @vm but @self (which an exit reply will
 * stop or restart); afterwards no vCPU counts as on. */
void vmm_stop_others(struct vmm_vm *vm, uint32_t self);

/** vmm_stop_vm() - stop every vCPU of VM @slot (the caller's through the reply in @m) and
 * leave the VM in @state. */
void vmm_stop_vm(struct vmm_state *st, uint32_t slot, uint32_t state, struct us_msg *m);

/** vmm_gic_sgi() - the guest wrote @value to ICC_SGI1R_EL1 from vCPU @self: make the SGI
 * pending in each target vCPU that runs. */
void vmm_gic_sgi(struct vmm_state *st, uint32_t slot, uint32_t self, uint64_t value);

/** vmm_exit() - handle one exit of VM @slot; fill the resume reply in @m. */
void vmm_exit(struct vmm_state *st, uint32_t slot, struct us_msg *m);

/** vmm_pl011_access() - an MMIO access at @off in the UART window; a read's value, or 0. */
uint64_t vmm_pl011_access(struct vmm_state *st, uint32_t slot, uint64_t off, bool write,
                          uint64_t value);

/** vmm_pl011_fast() - hand VM @slot's UARTDR and UARTFR to the kernel, or take them back. */
void vmm_pl011_fast(struct vmm_state *st, uint32_t slot);

/** vmm_pl011_drain() - take the UARTDR bytes the kernel queued for VM @slot, in order (before
 * anything else of that VM is handled). */
void vmm_pl011_drain(struct vmm_state *st, uint32_t slot);

/** vmm_pl011_publish() - refresh the UARTFR word the kernel returns for VM @slot. */
void vmm_pl011_publish(struct vmm_state *st, uint32_t slot);

/** vmm_pl011_input() - queue as many of @n console bytes for VM @slot as fit (*@taken).
 * Returns: US_OK; US_ENOENT for an empty slot; an interrupt's injection error. */
us_err_t vmm_pl011_input(struct vmm_state *st, uint32_t slot, const uint8_t *b, uint32_t n,
                         uint32_t *taken);
/** vmm_input_take() - the guest reads its next console byte (UART or virtio console). */
uint8_t vmm_input_take(struct vmm_state *st, uint32_t slot);

/** vmm_agent_pump() - deliver the lines migrate has put on the agent channels to the agents
 * (US_NTFN_AGENT_DOWN); a line for a VM whose agent is not connected is dropped. */
void vmm_agent_pump(struct vmm_state *st);

/** vmm_carry_init() - offer the carry service (vmm_carry.c): the port through which one
 * guest agent uploads an application's state and another downloads it. */
void vmm_carry_init(struct vmm_state *st, bool cold);

/** vmm_carry_drop() - US_VMM_CARRY_DROP in @m: give back the kept state's memory.
 * US_EBUSY while an upload is under way. */
void vmm_carry_drop(struct us_msg *m);

/** vmm_carry_flip() - US_VMM_CARRY_FLIP in @m (debug builds): corrupt the kept state, so a
 * test sees the receiving side refuse it. US_ENOENT with no state kept; US_ENOTSUP in
 * release builds. */
void vmm_carry_flip(struct us_msg *m);

/** vmm_agents_resync() - US_VMM_AGENTS_RESYNC: an open record for every connected agent
 * (vmm_agent.c); the reply replaces @m. */
void vmm_agents_resync(struct vmm_state *st, struct us_msg *m);

/** vmm_relay_init() - offer the relay between an instance and its understudy on vsock port
 * 1026 (vmm_relay.c). */
void vmm_relay_init(struct vmm_state *st, bool cold);

/** vmm_vsock_init() - register the vmm's own vsock services (the agent port, vmm_agent.c). */
void vmm_vsock_init(void);

/** vmm_vsock_listen() - offer service @ops on vsock port @port of every VM.
 * Returns: US_OK; US_EEXIST if the port is taken; US_ENOMEM if the table is full. */
us_err_t vmm_vsock_listen(uint32_t port, const struct vmm_vsock_ops *ops);

/** vmm_vsock_send() - queue @len bytes for the guest on connection @conn of VM @slot: all or
 * none. They go out as the guest's credit and receive buffers allow.
 * Returns: US_OK; US_ENOENT for a closed connection; US_ENOMEM if they do not fit. */
us_err_t vmm_vsock_send(struct vmm_state *st, uint32_t slot, uint32_t conn, const uint8_t *b,
                        uint32_t len);

/** vmm_vsock_take_line() - a service's request line: gather bytes of @b (@len) from *@at on
 * into @line (@cap bytes with its NUL; *@line_len gathered so far) up to an LF, and move *@at
 * past what was taken.
 * Returns: 1 when the line is complete (NUL-terminated, without its LF); 0 when @b ran out
 * first; -1 when it does not fit @cap. */
int vmm_vsock_take_line(char *line, uint32_t *line_len, uint32_t cap, const uint8_t *b,
                        uint32_t len, uint32_t *at);

/** vmm_vsock_room() - how many bytes vmm_vsock_send() would take now on connection @conn of
 * VM @slot (0 for a closed one). */
uint32_t vmm_vsock_room(struct vmm_state *st, uint32_t slot, uint32_t conn);

/** vmm_vsock_keep() - from on_data: the service keeps @len of the bytes it was just given in
 * its own buffer rather than consuming them, so the guest is not credited for them yet; its
 * credit then bounds what the service must buffer (VMM_VSOCK_BUF_ALLOC). */
void vmm_vsock_keep(struct vmm_state *st, uint32_t slot, uint32_t conn, uint32_t len);

/** vmm_vsock_consumed() - @len kept bytes are consumed: the guest gets their credit back. */
void vmm_vsock_consumed(struct vmm_state *st, uint32_t slot, uint32_t conn, uint32_t len);

/** vmm_vsock_flush() - outside a guest exit: put what waits for VM @slot into the receive
 * buffers it posted, and interrupt it if any were used. */
void vmm_vsock_flush(struct vmm_state *st, uint32_t slot);

/** vmm_vsock_close() - the vmm ends connection @conn of VM @slot: the guest gets an RST. */
void vmm_vsock_close(struct vmm_state *st, uint32_t slot, uint32_t conn, const char *why);

/** vmm_vsock_priv() - the service's state of connection @conn of VM @slot. */
void *vmm_vsock_priv(struct vmm_state *st, uint32_t slot, uint32_t conn);

/** vmm_vsock_reset() - drop every connection of VM @slot (device or VM reset). */
void vmm_vsock_reset(struct vmm_state *st, uint32_t slot);

/** vmm_vsock_notify() - the guest notified queue @qi of VM @slot's vsock device: take its
 * transmitted packets and fill its receive buffers, one pass each.
 * Returns: whether any buffer was used (the caller interrupts the guest). */
bool vmm_vsock_notify(struct vmm_state *st, uint32_t slot, uint32_t qi);
