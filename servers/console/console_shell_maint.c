/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The shell's maintenance commands: start a flow, follow it, abort it. migrate runs the flow
 * and logs each step as it goes (the log shows on this console); these commands return at
 * once. */
#include "console_shell.h"
#ifdef US_FREESTANDING
#include <uslib/string.h>
#else
#include <string.h>
#endif
#include <uslib/fmt.h>

static const char *flow_name(uint32_t f)
{
    static const char *const names[] = {
        "-",          "upgrade-os",   "reconfigure", "upgrade-app", "remove-device",
        "add-device", "remove-memory"};

    return f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}

/* Whether the command line @s has an understudy.app= word (image=NAME was given). */
static bool names_app(const char *s)
{
    for (; *s != '\0'; s++) {
        if (strncmp(s, "understudy.app=", 15) == 0) {
            return true;
        }
    }
    return false;
}

/* One "key=value" word of `maint upgrade-os`. */
static bool option(struct us_maint_req *r, const char *w)
{
    static const char *const via[] = {"restart", "redirect", "criu", "copy"};
    const char *v = strchr(w, '=');
    size_t k;
    uint32_t n;

    if (v == NULL) {
        return false;
    }
    k = (size_t)(v++ - w);
    if (k == 6 && strncmp(w, "kernel", 6) == 0) {
        return console_shell_put_field(r->kernel, sizeof(r->kernel), v);
    }
    if (k == 6 && strncmp(w, "initrd", 6) == 0) {
        return console_shell_put_field(r->initrd, sizeof(r->initrd), v);
    }
    if (k == 3 && strncmp(w, "via", 3) == 0) {
        for (uint32_t i = 0; i < 4; i++) {
            if (strcmp(v, via[i]) == 0) {
                r->via = US_MAINT_VIA_RESTART + i;
                return true;
            }
        }
        return false;
    }
    if (k == 5 && strncmp(w, "fault", 5) == 0) { /* debug builds: migrate refuses it else */
        static const char *const faults[] = {"corrupt", "kill", "stall", "crash"};

        for (uint32_t i = 0; i < 4; i++) {
            if (strcmp(v, faults[i]) == 0) {
                r->fault = US_MAINT_FAULT_CORRUPT + i;
                return true;
            }
        }
        return false;
    }
    if (k == 5 && strncmp(w, "image", 5) == 0) { /* the application's new image */
        char word[64];

        if (v[0] == '\0' || strlen(v) >= 32 || strchr(v, ' ') != NULL) {
            return false;
        }
        us_snprintf(word, sizeof(word), "understudy.app=%s", v);
        return console_shell_append_word(r->append, sizeof(r->append), word);
    }
    if (k == 3 && strncmp(w, "mem", 3) == 0) {
        if (!console_shell_parse_u32(v, &n) || n == 0) {
            return false;
        }
        r->mem_size = (uint64_t)n << 20;
        return true;
    }
    if (k == 5 && strncmp(w, "vcpus", 5) == 0) {
        if (!console_shell_parse_u32(v, &n) || n == 0) {
            return false;
        }
        r->vcpus = n;
        return true;
    }
    if (k == 6 && strncmp(w, "append", 6) == 0) {
        return v[0] != '\0' && console_shell_append_word(r->append, sizeof(r->append), v);
    }
    return false;
}

/* maint upgrade-os|reconfigure|upgrade-app VM, remove-device DEV, add-device DEV VM; then
 * [kernel=K] [initrd=I] [append=W]... [mem=MiB] [vcpus=N] [via=...] */
static bool maint_start(struct console_shell *sh, uint32_t flow, size_t argc,
                        const char *const *argv, bool json)
{
    const char *name = flow_name(flow);
    bool device = flow == US_MAINT_REMOVE_DEVICE || flow == US_MAINT_ADD_DEVICE;
    size_t first = 1; /* the first key=value word */
    struct us_maint_req r;
    char why[CONSOLE_SHELL_WHY_LEN], what[32];
    us_err_t err;

    memset(&r, 0, sizeof(r));
    r.flow = flow;
    r.via = flow == US_MAINT_REMOVE_MEMORY ? US_MAINT_VIA_COPY : US_MAINT_VIA_RESTART;

    if (flow != US_MAINT_REMOVE_MEMORY &&
        !console_shell_put_field(device ? r.device : r.vm, device ? sizeof(r.device) : sizeof(r.vm),
                                 argv[0])) {
        return false;
    }
    if (flow == US_MAINT_REMOVE_MEMORY) { /* remove-memory BASE SIZE */
        if (argc < 2 || !console_shell_parse_range(argv, &r.base, &r.mem_size)) {
            return false;
        }
        first = 2;
    }
    if (flow == US_MAINT_ADD_DEVICE) { /* add-device DEV VM */
        if (argc < 2 || strchr(argv[1], '=') != NULL ||
            !console_shell_put_field(r.vm, sizeof(r.vm), argv[1])) {
            return false;
        }
        first = 2;
    }
    for (size_t i = first; i < argc; i++) {
        if (!option(&r, argv[i])) {
            return false;
        }
    }
    if (flow == US_MAINT_UPGRADE_APP && !names_app(r.append)) {
        return false; /* upgrade-app needs image=NAME */
    }
    why[0] = '\0';
    err = sh->be.maint_start(sh->be.ctx, &r, why, sizeof(why));
    why[sizeof(why) - 1] = '\0';
    if (err != US_OK) {
        us_snprintf(what, sizeof(what), "maint %s", name);
        console_shell_fmt_refusal(sh, what, NULL, err, why);
        return true;
    }
    if (json) { /* started, or done at once: then why says what migrate did */
        us_snprintf(sh->fmt, sizeof(sh->fmt), "{\"%s\":\"%s\",\"%s\":\"%s\"",
                    why[0] != '\0' ? "done" : "started", name,
                    flow == US_MAINT_REMOVE_MEMORY ? "base"
                    : device                       ? "device"
                                                   : "vm",
                    argv[0]);
        console_shell_fmt_puts(sh, sh->fmt);
        if (why[0] != '\0') {
            console_shell_fmt_puts(sh, ",\"why\":");
            console_shell_fmt_json_str(sh, why, sizeof(why));
        }
        console_shell_fmt_puts(sh, "}" CONSOLE_SHELL_NL);
        return true;
    }
    if (why[0] != '\0') { /* done at once: what migrate did */
        us_snprintf(sh->fmt, sizeof(sh->fmt), "%s of %s: ", name, argv[0]);
        console_shell_fmt_puts(sh, sh->fmt);
        console_shell_fmt_text(sh, why, sizeof(why));
        console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
        return true;
    }
    us_snprintf(sh->fmt, sizeof(sh->fmt),
                "%s of %s started; its steps follow in the log (maint status)", name, argv[0]);
    console_shell_fmt_puts(sh, sh->fmt);
    console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
    return true;
}

bool console_shell_maint_remove_device(struct console_shell *sh, size_t argc,
                                       const char *const *argv, bool json)
{
    return maint_start(sh, US_MAINT_REMOVE_DEVICE, argc, argv, json);
}

bool console_shell_maint_remove_memory(struct console_shell *sh, size_t argc,
                                       const char *const *argv, bool json)
{
    return maint_start(sh, US_MAINT_REMOVE_MEMORY, argc, argv, json);
}

bool console_shell_maint_add_device(struct console_shell *sh, size_t argc, const char *const *argv,
                                    bool json)
{
    return maint_start(sh, US_MAINT_ADD_DEVICE, argc, argv, json);
}

bool console_shell_maint_upgrade_os(struct console_shell *sh, size_t argc, const char *const *argv,
                                    bool json)
{
    return maint_start(sh, US_MAINT_UPGRADE_OS, argc, argv, json);
}

bool console_shell_maint_reconfigure(struct console_shell *sh, size_t argc, const char *const *argv,
                                     bool json)
{
    return maint_start(sh, US_MAINT_RECONFIGURE, argc, argv, json);
}

bool console_shell_maint_upgrade_app(struct console_shell *sh, size_t argc, const char *const *argv,
                                     bool json)
{
    return maint_start(sh, US_MAINT_UPGRADE_APP, argc, argv, json);
}

static const char *phase_name(uint32_t p)
{
    static const char *const names[] = {"idle", "prepare", "transfer", "commit", "done", "aborted"};

    return p < sizeof(names) / sizeof(names[0]) ? names[p] : "?";
}

static const char *via_name(uint32_t v)
{
    static const char *const names[] = {"-", "restart", "redirect", "criu", "copy"};

    return v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

bool console_shell_maint_status(struct console_shell *sh, size_t argc, const char *const *argv,
                                bool json)
{
    struct us_maint_status s;
    us_err_t err;

    (void)argc;
    (void)argv;
    memset(&s, 0, sizeof(s));
    err = sh->be.maint_status(sh->be.ctx, &s);
    if (err != US_OK) {
        console_shell_fmt_error(sh, "maint status", NULL, err);
        return true;
    }
    s.first[sizeof(s.first) - 1] = '\0';
    s.understudy[sizeof(s.understudy) - 1] = '\0';
    s.step[sizeof(s.step) - 1] = '\0';
    if (json) {
        us_snprintf(sh->fmt, sizeof(sh->fmt),
                    "{\"maint\":{\"phase\":\"%s\",\"flow\":\"%s\",\"via\":\"%s\","
                    "\"result\":\"%s\",\"bytes\":%llu,\"first\":",
                    phase_name(s.phase), flow_name(s.flow), via_name(s.via),
                    us_err_name((us_err_t)s.result), (unsigned long long)s.bytes);
        console_shell_fmt_puts(sh, sh->fmt);
        console_shell_fmt_json_str(sh, s.first, sizeof(s.first));
        console_shell_fmt_puts(sh, ",\"understudy\":");
        console_shell_fmt_json_str(sh, s.understudy, sizeof(s.understudy));
        console_shell_fmt_puts(sh, ",\"step\":");
        console_shell_fmt_json_str(sh, s.step, sizeof(s.step));
        console_shell_fmt_puts(sh, "}}" CONSOLE_SHELL_NL);
        return true;
    }
    if (s.phase == US_MAINT_IDLE) {
        console_shell_fmt_puts(sh, "no maintenance flow since migrate started" CONSOLE_SHELL_NL);
        return true;
    }
    us_snprintf(sh->fmt, sizeof(sh->fmt),
                "%s: %s via %s, %s -> %s, %llu bytes moved: ", phase_name(s.phase),
                flow_name(s.flow), via_name(s.via), s.first, s.understudy,
                (unsigned long long)s.bytes);
    console_shell_fmt_puts(sh, sh->fmt);
    console_shell_fmt_text(sh, s.step, sizeof(s.step));
    console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
    return true;
}

bool console_shell_maint_abort(struct console_shell *sh, size_t argc, const char *const *argv,
                               bool json)
{
    char why[CONSOLE_SHELL_WHY_LEN];
    us_err_t err;

    (void)argc;
    (void)argv;
    (void)json;
    why[0] = '\0';
    err = sh->be.maint_abort(sh->be.ctx, why, sizeof(why));
    why[sizeof(why) - 1] = '\0';
    if (err != US_OK) {
        console_shell_fmt_refusal(sh, "maint abort", NULL, err, why);
        return true;
    }
    console_shell_fmt_puts(sh, "aborted: the first instance serves" CONSOLE_SHELL_NL);
    return true;
}
