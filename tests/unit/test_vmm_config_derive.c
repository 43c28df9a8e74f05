/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* vmm_config_derive(): the configuration of a VM created at run time from a running one's,
 * with every field of the request (another server's message) checked. */
#include "ut.h"
#include "vmm_config.h"

static struct vmm_config cfg;

static void setup(void)
{
    memset(&cfg, 0, sizeof(cfg));
    cfg.vm_count = 3; /* slot 1 is free (a retired VM's) */
    strcpy(cfg.vms[0].name, "kvd0");
    strcpy(cfg.vms[0].kernel, "linux");
    strcpy(cfg.vms[0].initrd, "initramfs");
    strcpy(cfg.vms[0].bootargs, "console=ttyAMA0 quiet");
    strcpy(cfg.vms[0].disk, "seed");
    strcpy(cfg.vms[0].passthrough, "pci-01:00.0");
    cfg.vms[0].mem_size = 192ull << 20;
    cfg.vms[0].vcpu_count = 1;
    cfg.vms[0].devices = VMM_DEV_UART | VMM_DEV_VIRTIO_NET;
    strcpy(cfg.vms[2].name, "other");
}

static struct us_vm_create req(const char *name, const char *base)
{
    struct us_vm_create r;

    memset(&r, 0, sizeof(r));
    strcpy(r.name, name);
    strcpy(r.base, base);
    return r;
}

static us_err_t derive(const struct us_vm_create *r, struct vmm_vm_config *out)
{
    const char *why = NULL;
    us_err_t e = vmm_config_derive(&cfg, r, out, &why);

    UT_EXPECT((e == US_OK) == (why == NULL)); /* every refusal says why */
    return e;
}

static void derive_copies_base(void)
{
    struct us_vm_create r;
    struct vmm_vm_config c;

    setup();
    r = req("kvd1", "kvd0");
    UT_EXPECT_EQ(derive(&r, &c), US_OK);
    UT_EXPECT(strcmp(c.name, "kvd1") == 0);
    UT_EXPECT(strcmp(c.kernel, "linux") == 0 && strcmp(c.initrd, "initramfs") == 0);
    UT_EXPECT(strcmp(c.bootargs, "console=ttyAMA0 quiet") == 0 && strcmp(c.disk, "seed") == 0);
    UT_EXPECT_EQ(c.mem_size, 192ull << 20);
    UT_EXPECT_EQ(c.vcpu_count, 1);
    UT_EXPECT_EQ(c.devices, VMM_DEV_UART | VMM_DEV_VIRTIO_NET);
    UT_EXPECT(c.passthrough[0] == '\0'); /* kvd0 holds it */
    UT_EXPECT_EQ(vmm_config_find(&cfg, "other"), 2);
    UT_EXPECT_EQ(vmm_config_find(&cfg, ""), -1); /* a free slot is nobody's */
}

static void derive_applies_changes(void)
{
    struct us_vm_create r;
    struct vmm_vm_config c;

    setup();
    r = req("kvd1", "kvd0");
    strcpy(r.kernel, "linux-next");
    strcpy(r.initrd, "initramfs-next");
    r.mem_size = 256ull << 20;
    r.vcpus = 2;
    strcpy(r.bootargs, "understudy.ip=10.0.2.16/24");
    r.flags = US_VM_CREATE_APPEND;
    UT_EXPECT_EQ(derive(&r, &c), US_OK);
    UT_EXPECT(strcmp(c.kernel, "linux-next") == 0 && strcmp(c.initrd, "initramfs-next") == 0);
    UT_EXPECT_EQ(c.mem_size, 256ull << 20);
    UT_EXPECT_EQ(c.vcpu_count, 2);
    UT_EXPECT(strcmp(c.bootargs, "console=ttyAMA0 quiet understudy.ip=10.0.2.16/24") == 0);
    r.flags = 0; /* replace */
    UT_EXPECT_EQ(derive(&r, &c), US_OK);
    UT_EXPECT(strcmp(c.bootargs, "understudy.ip=10.0.2.16/24") == 0);
}

static void derive_refuses_bad_fields(void)
{
    struct us_vm_create r;
    struct vmm_vm_config c;

    setup();
    r = req("kvd0", "kvd0");
    UT_EXPECT_EQ(derive(&r, &c), US_EEXIST);
    r = req("kvd1", "nosuch");
    UT_EXPECT_EQ(derive(&r, &c), US_ENOENT);
    r = req("kvd1", "");
    UT_EXPECT_EQ(derive(&r, &c), US_ENOENT);
    r = req("", "kvd0");
    UT_EXPECT_EQ(derive(&r, &c), US_EINVAL);
    r = req("bad.name", "kvd0");
    UT_EXPECT_EQ(derive(&r, &c), US_EINVAL);
    r = req("kvd1", "kvd0");
    memset(r.name, 'a', sizeof(r.name)); /* no NUL in the field */
    UT_EXPECT_EQ(derive(&r, &c), US_EINVAL);
    r = req("kvd1", "kvd0");
    memset(r.kernel, 'k', sizeof(r.kernel));
    UT_EXPECT_EQ(derive(&r, &c), US_EINVAL);
    r = req("kvd1", "kvd0");
    strcpy(r.initrd, "has space");
    UT_EXPECT_EQ(derive(&r, &c), US_EINVAL);
    r = req("kvd1", "kvd0");
    strcpy(r.bootargs, "tab\there");
    UT_EXPECT_EQ(derive(&r, &c), US_EINVAL);
    r = req("kvd1", "kvd0");
    memset(r.bootargs, 'b', sizeof(r.bootargs));
    UT_EXPECT_EQ(derive(&r, &c), US_EINVAL);
    r = req("kvd1", "kvd0");
    r.flags = 4; /* no such flag */
    UT_EXPECT_EQ(derive(&r, &c), US_EINVAL);
    r = req("kvd1", "kvd0");
    r.mem_size = (1ull << 20) + 4096u;
    UT_EXPECT_EQ(derive(&r, &c), US_ERANGE);
    r.mem_size = 1ull << 20;
    UT_EXPECT_EQ(derive(&r, &c), US_ERANGE);
    r.mem_size = 8ull << 30;
    UT_EXPECT_EQ(derive(&r, &c), US_ERANGE);
    r = req("kvd1", "kvd0");
    r.vcpus = 9;
    UT_EXPECT_EQ(derive(&r, &c), US_ERANGE);
}

static void derive_refuses_long_append(void)
{
    struct us_vm_create r;
    struct vmm_vm_config c;

    setup();
    memset(cfg.vms[0].bootargs, 'x', 200);
    cfg.vms[0].bootargs[200] = '\0';
    r = req("kvd1", "kvd0");
    memset(r.bootargs, 'y', 90);
    r.flags = US_VM_CREATE_APPEND;
    UT_EXPECT_EQ(derive(&r, &c), US_ERANGE);
    UT_EXPECT(c.name[0] == '\0'); /* nothing half made */
    r.bootargs[54] = '\0';        /* 200 + ' ' + 54 = 255 characters: fits */
    UT_EXPECT_EQ(derive(&r, &c), US_OK);
    UT_EXPECT_EQ(strlen(c.bootargs), 255);
}

/* The new VM may be given a host PCI function (add-device), if the base has a PCIe bridge. */
static void derive_passthrough(void)
{
    struct us_vm_create r;
    struct vmm_vm_config c;

    setup();
    r = req("kvd1", "kvd0");
    strcpy(r.passthrough, "pci-02:00.0");
    UT_EXPECT_EQ(derive(&r, &c), US_EINVAL); /* kvd0 has no bridge */
    cfg.vms[0].devices |= VMM_DEV_PCIE;
    strcpy(r.passthrough, "pci 02");
    UT_EXPECT_EQ(derive(&r, &c), US_EINVAL);
    strcpy(r.passthrough, "pci-02:00.0");
    UT_EXPECT_EQ(derive(&r, &c), US_OK);
    UT_EXPECT(strcmp(c.passthrough, "pci-02:00.0") == 0);
}

UT_MAIN({"derive_copies_base", derive_copies_base}, {"derive_passthrough", derive_passthrough},
        {"derive_applies_changes", derive_applies_changes},
        {"derive_refuses_bad_fields", derive_refuses_bad_fields},
        {"derive_refuses_long_append", derive_refuses_long_append})
