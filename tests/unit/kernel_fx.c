/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Fixtures for the kernel's unit tests on the host fake architecture (kernel_fx.h). */
#include "kernel_fx.h"
#include <stdlib.h>
#include <string.h>
#include <understudy/bundle.h>
#include <uslib/sha256.h>
#include <us/endpoint.h>
#include <us/kmem.h>
#include <us/notification.h>
#include <us/sched.h>
#include <us/syscall.h>
#include "ut.h"

void kfx_init(uint32_t cpu_total)
{
    host_cpus_init(cpu_total);
    host_kmem_init(KFX_FRAMES);
    process_count = 0;
}

struct process *kfx_process(const char *name, uint32_t prio)
{
    struct process *p = &processes[process_count];
    paddr_t ipc;

    memset(p, 0, sizeof(*p));
    strncpy(p->name, name, sizeof(p->name) - 1);
    p->index = process_count++;
    p->ep = kmem_endpoint_alloc();
    p->ntfn = kmem_notification_alloc();
    if (p->ep == NULL || p->ntfn == NULL) {
        abort();
    }
    p->ep->owner = p;
    p->ep->bound = p->ntfn;
    p->ntfn->bound = p->ep;
    p->thread.proc = p;
    p->thread.prio = prio;
    cap_table_init(&p->caps);
    if (arch_aspace_init(&p->as, (uint16_t)(p->index + 1)) != US_OK ||
        kmem_frames(1, &ipc) != US_OK ||
        arch_aspace_map(&p->as, va_init(US_VA_IPC_BUF), ipc, PAGE_SIZE,
                        US_RIGHT_READ | US_RIGHT_WRITE) != US_OK) {
        abort();
    }
    p->thread.msg = pa_ptr(ipc);
    p->state = US_SERVER_RUNNING;
    sched_wake(&p->thread);
    return p;
}

void kfx_grant(struct process *p, us_cap_t h, uint32_t kind, uint32_t rights, void *obj,
               us_badge_t badge)
{
    UT_EXPECT_EQ(cap_install(&p->caps, h, kind, rights, obj, badge), US_OK);
}

uint64_t kfx_sys(struct thread *t, uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                 uint64_t a4, uint64_t a5)
{
    const uint64_t a[6] = {a0, a1, a2, a3, a4, a5};

    for (uint32_t i = 0; i < 6; i++) {
        arch_regs_set(&t->regs, i, a[i]);
    }
    arch_regs_set(&t->regs, ARCH_SYSCALL_NR_REG, nr);
    syscall_dispatch(t);
    return arch_regs_get(&t->regs, 0);
}

us_err_t kfx_reply(struct thread *t)
{
    struct thread *c;
    us_err_t e = endpoint_reply_held(t, &c);

    if (c != NULL) {
        sched_wake(c);
    }
    return e;
}

uint64_t kfx_r(const struct thread *t, uint32_t i)
{
    return arch_regs_get(&t->regs, i);
}

void kfx_msg(struct thread *t, uint32_t label, uint16_t len, uint64_t w0)
{
    us_msg_init(t->msg, label, len);
    t->msg->w[0] = w0;
}

struct kfx_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct kfx_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

uint64_t kfx_elf(uint8_t *out, uint64_t max)
{
    struct kfx_ehdr eh = {{0x7f, 'E', 'L', 'F', 2, 1, 1}, 2, 183, 1, 0x400000, 64, 0, 0, 64,
                          sizeof(struct kfx_phdr),        2, 0,   0, 0};
    struct kfx_phdr ph[2] = {
        {1, 5, 0x1000, 0x400000, 0x400000, 0x10, 0x10, 0x1000},
        {1, 6, 0x1010, 0x401000, 0x401000, 0x80, 0x1000, 0x1000},
    };

    if (max < 0x1090) {
        abort();
    }
    memset(out, 0, 0x1090);
    memcpy(out, &eh, sizeof(eh));
    memcpy(out + 64, ph, sizeof(ph));
    memset(out + 0x1000, 0xd5, 0x10);
    memset(out + 0x1010, 0x5a, 0x80);
    return 0x1090;
}

uint8_t *kfx_bundle(const struct kfx_entry *e, uint32_t n, uint64_t *size)
{
    uint64_t total = US_BUNDLE_ALIGN, off;
    struct us_bundle_hdr *h;
    struct us_bundle_entry *ent;
    uint8_t *b;

    for (uint32_t i = 0; i < n; i++) {
        total += align_up(e[i].size, US_BUNDLE_ALIGN);
    }
    b = aligned_alloc(US_BUNDLE_ALIGN, total);
    if (b == NULL) {
        abort();
    }
    memset(b, 0, total);
    h = (struct us_bundle_hdr *)(void *)b;
    ent = (struct us_bundle_entry *)(void *)(b + sizeof(*h));
    memcpy(h->magic, US_BUNDLE_MAGIC, sizeof(h->magic));
    h->abi_revision = US_ABI_REVISION;
    h->entry_count = n;
    h->total_size = total;
    off = US_BUNDLE_ALIGN;
    for (uint32_t i = 0; i < n; i++) {
        strncpy(ent[i].name, e[i].name, sizeof(ent[i].name) - 1);
        ent[i].type = e[i].type;
        ent[i].offset = off;
        ent[i].size = e[i].size;
        memcpy(b + off, e[i].data, e[i].size);
        sha256(b + off, e[i].size, ent[i].sha256);
        off += align_up(e[i].size, US_BUNDLE_ALIGN);
    }
    sha256(ent, n * sizeof(*ent), h->table_sha256);
    *size = total;
    return b;
}

void kfx_manifest_init(struct kfx_manifest *m, uint32_t count)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->hdr.magic, US_MANIFEST_MAGIC, sizeof(m->hdr.magic));
    m->hdr.abi_revision = US_ABI_REVISION;
    m->hdr.server_count = count;
    for (uint32_t i = 0; i < count; i++) {
        m->srv[i].name[0] = 's';
        m->srv[i].name[1] = (char)('0' + i);
        strcpy(m->srv[i].image, "srv");
        m->srv[i].priority = 10 + i;
    }
}

void kfx_manifest_cap(struct kfx_manifest *m, uint32_t s, uint32_t slot, uint32_t kind,
                      uint32_t rights, uint64_t arg0, uint64_t arg1)
{
    struct us_manifest_server *srv = &m->srv[s];

    srv->caps[srv->cap_count++] = (struct us_manifest_cap){slot, kind, rights, 0, arg0, arg1};
}

uint8_t *kfx_boot_bundle(const struct kfx_manifest *m, uint64_t *size)
{
    static uint8_t elf[0x2000];
    uint64_t elf_size = kfx_elf(elf, sizeof(elf));
    struct kfx_entry e[2] = {
        {"manifest", US_BUNDLE_MANIFEST, m,
         sizeof(m->hdr) + m->hdr.server_count * sizeof(m->srv[0])},
        {"srv", US_BUNDLE_SERVER, elf, elf_size},
    };

    return kfx_bundle(e, 2, size);
}
