/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* remove-device and add-device (docs/pci.md): what migrate asks devmgr around the legs that
 * migrate_maint.c runs: who holds a device, whether it is free, and its release at the end. */
#include <understudy/devmgr.h>
#include <understudy/vmm.h>
#include <uslib/fmt.h>
#include <uslib/string.h>
#include "migrate.h"

static us_err_t devmgr_call(struct us_msg *m, uint32_t label, const char *name)
{
    us_err_t e;

    memset(m, 0, sizeof(*m));
    us_msg_init(m, label, (uint16_t)(strlen(name) + 1u));
    memcpy(m->w, name, strlen(name) + 1u);
    e = migrate_devmgr_call(m);
    return e != US_OK ? e : (us_err_t)m->hdr.err;
}

void migrate_reason(const struct us_msg *m, const char *fallback, char *why, size_t why_len)
{
    size_t n = m->hdr.len < why_len ? m->hdr.len : why_len - 1u;

    memcpy(why, m->w, n);
    why[n] = '\0';
    if (why[0] == '\0') {
        us_snprintf(why, why_len, "%s", fallback);
    }
}

us_err_t migrate_device_holder(struct us_maint_req *req, bool *released, char *why, size_t why_len)
{
    struct us_vm_info info;
    struct us_msg call;
    us_err_t e;

    *released = false;
    e = devmgr_call(&call, US_DEVMGR_PT_HOLDER, req->device);
    if (e == US_ERANGE) {
        e = devmgr_call(&call, US_DEVMGR_REMOVE, req->device);
        *released = e == US_OK;
    }
    if (e != US_OK || *released) {
        migrate_reason(&call, "devmgr refused", why, why_len);
        return e;
    }
    if (!migrate_vm_info((uint32_t)call.w[0], &info)) {
        us_snprintf(why, why_len, "the VM holding %s is not the vmm's", req->device);
        return US_ENOENT;
    }
    if (!(info.devices & US_GUEST_DEV_VIRTIO_NET)) {
        us_snprintf(why, why_len,
                    "%.15s reaches the network only through it: no understudy "
                    "could serve",
                    info.name);
        return US_EBUSY;
    }
    memcpy(req->vm, info.name, sizeof(req->vm));
    return US_OK;
}

us_err_t migrate_device_free(const struct us_maint_req *req, char *why, size_t why_len)
{
    struct us_msg call;
    us_err_t e = devmgr_call(&call, US_DEVMGR_PT_HOLDER, req->device);

    if (e == US_ERANGE) {
        return US_OK; /* no VM holds it */
    }
    if (e == US_OK) {
        us_snprintf(why, why_len, "a VM holds it already (slot %u)", (uint32_t)call.w[0]);
        return US_EBUSY;
    }
    migrate_reason(&call, "devmgr refused", why, why_len);
    return e;
}

us_err_t migrate_device_remove(const char *name, char *why, size_t why_len)
{
    struct us_msg call;
    us_err_t e = devmgr_call(&call, US_DEVMGR_REMOVE, name);

    if (e != US_OK) {
        migrate_reason(&call, "devmgr refused", why, why_len);
    }
    return e;
}
