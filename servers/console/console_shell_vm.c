/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The shell's commands that create and retire VMs at run time. */
#include "console_shell.h"
#ifdef US_FREESTANDING
#include <uslib/string.h>
#else
#include <string.h>
#endif
#include <uslib/fmt.h>

/* One "key=value" word of `vm create`. Returns false for an unknown key or a bad value. */
static bool create_option(struct us_vm_create *req, const char *w)
{
    const char *v = strchr(w, '=');
    size_t klen;
    uint32_t n;

    if (v == NULL) {
        return false;
    }
    klen = (size_t)(v - w);
    v++;
    if (klen == 6 && strncmp(w, "kernel", 6) == 0) {
        return console_shell_put_field(req->kernel, sizeof(req->kernel), v);
    }
    if (klen == 6 && strncmp(w, "initrd", 6) == 0) {
        return console_shell_put_field(req->initrd, sizeof(req->initrd), v);
    }
    if (klen == 3 && strncmp(w, "mem", 3) == 0) { /* MiB */
        if (!console_shell_parse_u32(v, &n) || n == 0) {
            return false;
        }
        req->mem_size = (uint64_t)n << 20;
        return true;
    }
    if (klen == 5 && strncmp(w, "vcpus", 5) == 0) {
        if (!console_shell_parse_u32(v, &n) || n == 0) {
            return false;
        }
        req->vcpus = n;
        return true;
    }
    if (klen == 6 && strncmp(w, "append", 6) == 0) { /* each one adds a word */
        if (v[0] == '\0' || !console_shell_append_word(req->bootargs, sizeof(req->bootargs), v)) {
            return false;
        }
        req->flags |= US_VM_CREATE_APPEND;
        return true;
    }
    return false;
}

/* vm create NAME FROM [kernel=K] [initrd=I] [mem=MiB] [vcpus=N] [append=WORD]... */
bool console_shell_vm_create(struct console_shell *sh, size_t argc, const char *const *argv,
                             bool json)
{
    struct us_vm_create req;
    char why[CONSOLE_SHELL_WHY_LEN];
    uint32_t slot = 0;
    us_err_t err;

    memset(&req, 0, sizeof(req));
    if (!console_shell_put_field(req.name, sizeof(req.name), argv[0]) ||
        !console_shell_put_field(req.base, sizeof(req.base), argv[1])) {
        return false;
    }
    for (size_t i = 2; i < argc; i++) {
        if (!create_option(&req, argv[i])) {
            return false;
        }
    }
    why[0] = '\0';
    err = sh->be.vm_create(sh->be.ctx, &req, &slot, why, sizeof(why));
    why[sizeof(why) - 1] = '\0';
    if (err != US_OK) {
        console_shell_fmt_refusal(sh, "vm create", argv[0], err, why);
        return true;
    }
    if (json) {
        us_snprintf(sh->fmt, sizeof(sh->fmt), "{\"created\":\"%s\",\"vmid\":%u}", req.name, slot);
    } else {
        us_snprintf(sh->fmt, sizeof(sh->fmt), "created %s as vm %u", req.name, slot);
    }
    console_shell_fmt_puts(sh, sh->fmt);
    console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
    return true;
}

bool console_shell_vm_retire(struct console_shell *sh, size_t argc, const char *const *argv,
                             bool json)
{
    char why[CONSOLE_SHELL_WHY_LEN];
    uint32_t slot;
    us_err_t err;

    (void)json;
    if (argc != 1 || !console_shell_parse_u32(argv[0], &slot)) {
        return false;
    }
    why[0] = '\0';
    err = sh->be.vm_retire(sh->be.ctx, slot, why, sizeof(why));
    why[sizeof(why) - 1] = '\0';
    if (err != US_OK) {
        console_shell_fmt_refusal(sh, "vm retire", argv[0], err, why);
        return true;
    }
    us_snprintf(sh->fmt, sizeof(sh->fmt), "retired vm %u", slot);
    console_shell_fmt_puts(sh, sh->fmt);
    console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
    return true;
}

/* `hw remove DEV`: devmgr releases a PCIe card and powers its slot off. */
bool console_shell_hw_remove(struct console_shell *sh, size_t argc, const char *const *argv,
                             bool json)
{
    char why[CONSOLE_SHELL_WHY_LEN];
    uint32_t n = 0;
    us_err_t err;

    (void)json;
    if (argc != 1) {
        return false;
    }
    why[0] = '\0';
    err = sh->be.hw_remove(sh->be.ctx, argv[0], &n, why, sizeof(why));
    why[sizeof(why) - 1] = '\0';
    if (err != US_OK) {
        console_shell_fmt_refusal(sh, "hw remove", argv[0], err, why);
        return true;
    }
    console_shell_fmt_text(sh, argv[0], CONSOLE_SHELL_LINE_MAX);
    us_snprintf(sh->fmt, sizeof(sh->fmt),
                ": %u function(s) released, slot powered off; it may be pulled", n);
    console_shell_fmt_puts(sh, sh->fmt);
    console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
    return true;
}

bool console_shell_parse_range(const char *const *argv, uint64_t *base, uint64_t *size)
{
    return console_shell_parse_u64(argv[0], base) && console_shell_parse_u64(argv[1], size) &&
           *size != 0 && *base + *size > *base;
}

bool console_shell_hw_audit(struct console_shell *sh, size_t argc, const char *const *argv,
                            bool json)
{
    struct us_mem_holder h[US_MEM_HOLDERS];
    uint64_t base, size, used = 0, mapped = 0;
    uint32_t n = 0;
    us_err_t err;

    if (argc != 2 || !console_shell_parse_range(argv, &base, &size)) {
        return false;
    }
    err = sh->be.mem_audit(sh->be.ctx, base, size, &used, &mapped, h, &n);
    if (err != US_OK) {
        console_shell_fmt_error(sh, "hw audit", NULL, err);
        return true;
    }
    us_snprintf(sh->fmt, sizeof(sh->fmt),
                json ? "{\"base\":%llu,\"size\":%llu,\"pages_in_use\":%llu,\"pages_mapped\":%llu,"
                       "\"holders\":["
                     : "memory 0x%llx+0x%llx: %llu page(s) in use, %llu mapped, ",
                (unsigned long long)base, (unsigned long long)size, (unsigned long long)used,
                (unsigned long long)mapped);
    console_shell_fmt_puts(sh, sh->fmt);
    if (!json) {
        us_snprintf(sh->fmt, sizeof(sh->fmt), "%u memory object(s) reach into it%s", n,
                    n == 0 && used == 0 && mapped == 0 ? ": nothing maps it" CONSOLE_SHELL_NL
                                                       : CONSOLE_SHELL_NL);
        console_shell_fmt_puts(sh, sh->fmt);
    }
    for (uint32_t i = 0; i < n && i < US_MEM_HOLDERS; i++) {
        h[i].holder[sizeof(h[i].holder) - 1] = '\0';
        if (json) {
            us_snprintf(sh->fmt, sizeof(sh->fmt),
                        "%s{\"base\":%llu,\"size\":%llu,\"maps\":%u,\"holder\":", i == 0 ? "" : ",",
                        (unsigned long long)h[i].base, (unsigned long long)h[i].size, h[i].maps);
        } else {
            us_snprintf(sh->fmt, sizeof(sh->fmt), "  0x%llx+0x%llx  mapped %u time(s), by ",
                        (unsigned long long)h[i].base, (unsigned long long)h[i].size, h[i].maps);
        }
        console_shell_fmt_puts(sh, sh->fmt);
        if (json) {
            console_shell_fmt_json_str(sh, h[i].holder, sizeof(h[i].holder));
            console_shell_fmt_puts(sh, "}");
        } else {
            console_shell_fmt_text(sh, h[i].holder, sizeof(h[i].holder));
            console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
        }
    }
    if (json) {
        console_shell_fmt_puts(sh, "]}" CONSOLE_SHELL_NL);
    }
    return true;
}

bool console_shell_hw_online(struct console_shell *sh, size_t argc, const char *const *argv,
                             bool json)
{
    struct us_maint_status st;
    us_err_t err;

    (void)argv, (void)json;
    if (argc != 0) {
        return false;
    }
    /* A flow in progress owns its range: its abort gives it back, its end keeps it out. */
    if (sh->be.maint_status(sh->be.ctx, &st) == US_OK && st.phase != US_MAINT_IDLE &&
        st.phase != US_MAINT_DONE && st.phase != US_MAINT_ABORTED) {
        console_shell_fmt_refusal(sh, "hw online", NULL, US_EBUSY,
                                  "a maintenance flow is running: maint abort gives its range "
                                  "back");
        return true;
    }
    err = sh->be.mem_online(sh->be.ctx);
    if (err != US_OK) {
        console_shell_fmt_refusal(sh, "hw online", NULL, err,
                                  err == US_ENOENT ? "no memory range is withheld" : "");
        return true;
    }
    console_shell_fmt_puts(sh, "the withheld memory range is in use again" CONSOLE_SHELL_NL);
    return true;
}
