/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Output side of the operator shell: staged writes, escaping, and the vm/server/hw listings. */
#include "console_shell.h"
#ifdef US_FREESTANDING
#include <uslib/string.h>
#else
#include <string.h>
#endif
#include <uslib/fmt.h>
#include <understudy/abi.h>

#define FMT_GUTTER "  "

void console_shell_fmt_flush(struct console_shell *sh)
{
    if (sh->out_len > 0) {
        sh->be.write(sh->be.ctx, sh->out, sh->out_len);
        sh->out_len = 0;
    }
}

void console_shell_fmt_out(struct console_shell *sh, const char *s, size_t n)
{
    if (n == 0) {
        return;
    }
    if (n > sizeof(sh->out) - sh->out_len) {
        console_shell_fmt_flush(sh);
    }
    if (n >= sizeof(sh->out)) {
        sh->be.write(sh->be.ctx, s, n);
        return;
    }
    memcpy(sh->out + sh->out_len, s, n);
    sh->out_len += n;
}

void console_shell_fmt_puts(struct console_shell *sh, const char *s)
{
    console_shell_fmt_out(sh, s, strlen(s));
}

size_t console_shell_fmt_field_len(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n] != '\0') {
        n++;
    }
    return n;
}

static bool fmt_is_printable(char c)
{
    return c >= 0x20 && c <= 0x7e;
}

void console_shell_fmt_text(struct console_shell *sh, const char *s, size_t max)
{
    size_t i, n = console_shell_fmt_field_len(s, max);

    for (i = 0; i < n; i++) {
        char c = fmt_is_printable(s[i]) ? s[i] : '?';

        console_shell_fmt_out(sh, &c, 1);
    }
}

void console_shell_fmt_error(struct console_shell *sh, const char *what, const char *arg,
                             us_err_t err)
{
    console_shell_fmt_refusal(sh, what, arg, err, "");
}

/* A table cell: the text (sanitized, at most @max bytes), padded to @width, then the gutter. */
static void fmt_cell(struct console_shell *sh, const char *s, size_t max, size_t width)
{
    size_t n = console_shell_fmt_field_len(s, max);

    console_shell_fmt_text(sh, s, max);
    for (; n < width; n++) {
        console_shell_fmt_out(sh, " ", 1);
    }
    console_shell_fmt_puts(sh, FMT_GUTTER);
}

static void fmt_cell_u64(struct console_shell *sh, uint64_t v, size_t width)
{
    us_snprintf(sh->fmt, sizeof(sh->fmt), "%llu", (unsigned long long)v);
    fmt_cell(sh, sh->fmt, sizeof(sh->fmt), width);
}

/* Sizes read better as 16M than as 16777216; odd sizes stay exact. */
static void fmt_cell_size(struct console_shell *sh, uint64_t v, size_t width)
{
    static const char suffix[] = "KMGT";
    unsigned long long u = (unsigned long long)v;
    size_t i = 0;

    while (u != 0 && (u & 1023u) == 0 && i < sizeof(suffix) - 1) {
        u >>= 10;
        i++;
    }
    if (i == 0) {
        us_snprintf(sh->fmt, sizeof(sh->fmt), "%llu", u);
    } else {
        us_snprintf(sh->fmt, sizeof(sh->fmt), "%llu%c", u, suffix[i - 1]);
    }
    fmt_cell(sh, sh->fmt, sizeof(sh->fmt), width);
}

/* JSON string: quotes, backslashes, control and non-ASCII bytes are escaped (RFC 8259 s7). */
void console_shell_fmt_json_str(struct console_shell *sh, const char *s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, n = console_shell_fmt_field_len(s, max);

    console_shell_fmt_out(sh, "\"", 1);
    for (i = 0; i < n; i++) {
        unsigned char u = (unsigned char)s[i];

        if (u == '"' || u == '\\') {
            char esc[2] = {'\\', (char)u};

            console_shell_fmt_out(sh, esc, sizeof(esc));
        } else if (u < 0x20 || u > 0x7e) {
            char esc[6] = {'\\', 'u', '0', '0', hex[u >> 4], hex[u & 15u]};

            console_shell_fmt_out(sh, esc, sizeof(esc));
        } else {
            console_shell_fmt_out(sh, &s[i], 1);
        }
    }
    console_shell_fmt_out(sh, "\"", 1);
}

/* "key":"value"; the caller places the separating comma. */
static void fmt_json_key_str(struct console_shell *sh, const char *key, const char *s, size_t max)
{
    console_shell_fmt_puts(sh, "\"");
    console_shell_fmt_puts(sh, key);
    console_shell_fmt_puts(sh, "\":");
    console_shell_fmt_json_str(sh, s, max);
}

/* ,"key":number */
static void fmt_json_key_u64(struct console_shell *sh, const char *key, uint64_t v)
{
    us_snprintf(sh->fmt, sizeof(sh->fmt), ",\"%s\":%llu", key, (unsigned long long)v);
    console_shell_fmt_puts(sh, sh->fmt);
}

static void fmt_json_open(struct console_shell *sh, const char *key)
{
    console_shell_fmt_puts(sh, "{\"");
    console_shell_fmt_puts(sh, key);
    console_shell_fmt_puts(sh, "\":[");
}

/* The array is closed even after a backend error, so what was listed still parses. */
static void fmt_list_end(struct console_shell *sh, bool json, const char *what, us_err_t err)
{
    if (json) {
        console_shell_fmt_puts(sh, "]}" CONSOLE_SHELL_NL);
    }
    if (err != US_OK) {
        console_shell_fmt_error(sh, what, NULL, err);
    }
}

static uint32_t fmt_rows(uint32_t count)
{
    return count > CONSOLE_SHELL_MAX_ROWS ? CONSOLE_SHELL_MAX_ROWS : count;
}

static const char *fmt_vm_state(uint32_t state)
{
    switch (state) {
    case US_VM_STATE_RUNNING:
        return "running";
    case US_VM_STATE_OFF:
        return "off";
    case US_VM_STATE_CRASHED:
        return "crashed";
    default:
        return "unknown";
    }
}

static void fmt_vm_row(struct console_shell *sh, const struct us_vm_info *vi, bool json, bool first)
{
    if (json) {
        us_snprintf(sh->fmt, sizeof(sh->fmt), "%s{\"id\":%u,", first ? "" : ",", vi->vmid);
        console_shell_fmt_puts(sh, sh->fmt);
        fmt_json_key_str(sh, "name", vi->name, sizeof(vi->name));
        console_shell_fmt_puts(sh, ",");
        fmt_json_key_str(sh, "state", fmt_vm_state(vi->state), 16);
        fmt_json_key_u64(sh, "vcpus", vi->vcpu_count);
        fmt_json_key_u64(sh, "mem", vi->mem_size);
        fmt_json_key_u64(sh, "ram_pa", vi->ram_pa);
        fmt_json_key_u64(sh, "exits", vi->exits);
        console_shell_fmt_puts(sh, "}");
        return;
    }
    fmt_cell_u64(sh, vi->vmid, 4);
    fmt_cell(sh, vi->name, sizeof(vi->name), US_VM_NAME_LEN);
    fmt_cell(sh, fmt_vm_state(vi->state), 16, 8);
    fmt_cell_u64(sh, vi->vcpu_count, 5);
    fmt_cell_size(sh, vi->mem_size, 6);
    us_snprintf(sh->fmt, sizeof(sh->fmt), "%llu" CONSOLE_SHELL_NL, (unsigned long long)vi->exits);
    console_shell_fmt_puts(sh, sh->fmt);
}

void console_shell_fmt_vm_list(struct console_shell *sh, bool json)
{
    struct us_vm_info vi;
    uint32_t slot, count = 0;
    bool first = true;
    us_err_t err = sh->be.vm_count(sh->be.ctx, &count);

    if (err != US_OK) {
        console_shell_fmt_error(sh, "vm list", NULL, err);
        return;
    }
    if (json) {
        fmt_json_open(sh, "vms");
    } else {
        fmt_cell(sh, "ID", 2, 4);
        fmt_cell(sh, "NAME", 4, US_VM_NAME_LEN);
        fmt_cell(sh, "STATE", 5, 8);
        fmt_cell(sh, "VCPUS", 5, 5);
        fmt_cell(sh, "MEM", 3, 6);
        console_shell_fmt_puts(sh, "EXITS" CONSOLE_SHELL_NL);
    }
    for (slot = 0; slot < fmt_rows(count); slot++) {
        memset(&vi, 0, sizeof(vi));
        err = sh->be.vm_info(sh->be.ctx, slot, &vi);
        if (err != US_OK) {
            break;
        }
        if (vi.state == US_VM_STATE_EMPTY) {
            continue;
        }
        fmt_vm_row(sh, &vi, json, first);
        first = false;
    }
    fmt_list_end(sh, json, "vm list", err);
}

static const char *fmt_server_state(uint32_t state)
{
    switch (state) {
    case US_SERVER_RUNNING:
        return "running";
    case US_SERVER_FAULTED:
        return "faulted";
    default:
        return "unknown";
    }
}

static void fmt_server_row(struct console_shell *sh, const struct us_server_info *si, bool json,
                           bool first)
{
    if (json) {
        console_shell_fmt_puts(sh, first ? "{" : ",{");
        fmt_json_key_str(sh, "name", si->name, sizeof(si->name));
        console_shell_fmt_puts(sh, ",");
        fmt_json_key_str(sh, "state", fmt_server_state(si->state), 16);
        fmt_json_key_u64(sh, "prio", si->priority);
        fmt_json_key_u64(sh, "restarts", si->restarts);
        fmt_json_key_u64(sh, "faults", si->faults);
        fmt_json_key_u64(sh, "fault_addr", si->fault_addr);
        fmt_json_key_u64(sh, "fault_esr", si->fault_esr);
        fmt_json_key_u64(sh, "frames", si->frames);
        console_shell_fmt_puts(sh, "}");
        return;
    }
    fmt_cell(sh, si->name, sizeof(si->name), US_SERVER_NAME_LEN);
    fmt_cell(sh, fmt_server_state(si->state), 16, 8);
    fmt_cell_u64(sh, si->priority, 4);
    fmt_cell_u64(sh, si->restarts, 8);
    if (si->faults == 0) {
        us_snprintf(sh->fmt, sizeof(sh->fmt), "%u" CONSOLE_SHELL_NL, si->faults);
        console_shell_fmt_puts(sh, sh->fmt);
        return;
    }
    fmt_cell_u64(sh, si->faults, 6);
    us_snprintf(sh->fmt, sizeof(sh->fmt), "far=0x%llx esr=0x%llx" CONSOLE_SHELL_NL,
                (unsigned long long)si->fault_addr, (unsigned long long)si->fault_esr);
    console_shell_fmt_puts(sh, sh->fmt);
}

void console_shell_fmt_server_list(struct console_shell *sh, bool json)
{
    struct us_server_info si;
    uint32_t idx, count = 0;
    bool first = true;
    us_err_t err = sh->be.server_count(sh->be.ctx, &count);

    if (err != US_OK) {
        console_shell_fmt_error(sh, "server list", NULL, err);
        return;
    }
    if (json) {
        fmt_json_open(sh, "servers");
    } else {
        fmt_cell(sh, "NAME", 4, US_SERVER_NAME_LEN);
        fmt_cell(sh, "STATE", 5, 8);
        fmt_cell(sh, "PRIO", 4, 4);
        fmt_cell(sh, "RESTARTS", 8, 8);
        fmt_cell(sh, "FAULTS", 6, 6);
        console_shell_fmt_puts(sh, "LAST FAULT" CONSOLE_SHELL_NL);
    }
    for (idx = 0; idx < fmt_rows(count); idx++) {
        memset(&si, 0, sizeof(si));
        err = sh->be.server_info(sh->be.ctx, idx, &si);
        if (err != US_OK) {
            break;
        }
        if (si.name[0] == '\0') { /* an unused slot */
            continue;
        }
        fmt_server_row(sh, &si, json, first);
        first = false;
    }
    fmt_list_end(sh, json, "server list", err);
}

static const char *fmt_dev_owner(uint32_t owner)
{
    switch (owner) {
    case US_DEV_OWNER_NONE:
        return "none";
    case US_DEV_OWNER_HYP:
        return "hyp";
    case US_DEV_OWNER_GUEST:
        return "guest";
    default:
        return "unknown";
    }
}

static void fmt_dev_row(struct console_shell *sh, const struct us_dev_info *di, bool json,
                        bool first)
{
    if (json) {
        console_shell_fmt_puts(sh, first ? "{" : ",{");
        fmt_json_key_str(sh, "name", di->name, sizeof(di->name));
        console_shell_fmt_puts(sh, ",");
        fmt_json_key_str(sh, "compatible", di->compat, sizeof(di->compat));
        fmt_json_key_u64(sh, "base", di->base);
        fmt_json_key_u64(sh, "size", di->size);
        if (di->irq == US_INVALID_IRQ) {
            console_shell_fmt_puts(sh, ",\"irq\":null");
        } else {
            fmt_json_key_u64(sh, "irq", di->irq);
        }
        console_shell_fmt_puts(sh, ",");
        fmt_json_key_str(sh, "owner", fmt_dev_owner(di->owner), 16);
        console_shell_fmt_puts(sh, "}");
        return;
    }
    fmt_cell(sh, di->name, sizeof(di->name), 24);
    fmt_cell(sh, di->compat, sizeof(di->compat), 24);
    if (di->base == 0 && di->size == 0) {
        fmt_cell(sh, "-", 1, 12);
        fmt_cell(sh, "-", 1, 6);
    } else {
        us_snprintf(sh->fmt, sizeof(sh->fmt), "0x%08llx", (unsigned long long)di->base);
        fmt_cell(sh, sh->fmt, sizeof(sh->fmt), 12);
        fmt_cell_size(sh, di->size, 6);
    }
    if (di->irq == US_INVALID_IRQ) {
        fmt_cell(sh, "-", 1, 4);
    } else {
        fmt_cell_u64(sh, di->irq, 4);
    }
    console_shell_fmt_puts(sh, fmt_dev_owner(di->owner));
    console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
}

void console_shell_fmt_hw_list(struct console_shell *sh, bool json)
{
    struct us_dev_info di;
    uint32_t idx, count = 0;
    us_err_t err = sh->be.dev_count(sh->be.ctx, &count);

    if (err != US_OK) {
        console_shell_fmt_error(sh, "hw list", NULL, err);
        return;
    }
    if (json) {
        fmt_json_open(sh, "devices");
    } else {
        fmt_cell(sh, "NAME", 4, 24);
        fmt_cell(sh, "COMPATIBLE", 10, 24);
        fmt_cell(sh, "BASE", 4, 12);
        fmt_cell(sh, "SIZE", 4, 6);
        fmt_cell(sh, "IRQ", 3, 4);
        console_shell_fmt_puts(sh, "OWNER" CONSOLE_SHELL_NL);
    }
    for (idx = 0; idx < fmt_rows(count); idx++) {
        memset(&di, 0, sizeof(di));
        err = sh->be.dev_info(sh->be.ctx, idx, &di);
        if (err != US_OK) {
            break;
        }
        fmt_dev_row(sh, &di, json, idx == 0);
    }
    fmt_list_end(sh, json, "hw list", err);
}

/* Guest RAM is what the VMs were given; the hypervisor is what is used besides it and the boot
 * image (kept in place in RAM): kernel, servers, page and stage-2 tables, vCPUs. */
void console_shell_fmt_mem_stats(struct console_shell *sh, bool json)
{
    struct console_mem_stats ms;
    struct us_vm_info vi;
    uint64_t guests = 0, used, hyp;
    uint32_t slot, count = 0;
    us_err_t err = sh->be.mem_stats(sh->be.ctx, &ms);

    if (err == US_OK) {
        err = sh->be.vm_count(sh->be.ctx, &count);
    }
    for (slot = 0; err == US_OK && slot < count; slot++) {
        err = sh->be.vm_info(sh->be.ctx, slot, &vi);
        if (err == US_OK && vi.state != US_VM_STATE_EMPTY) {
            guests += vi.mem_size;
        }
    }
    if (err != US_OK) {
        console_shell_fmt_error(sh, "stats mem", NULL, err);
        return;
    }
    used = ms.total > ms.free ? ms.total - ms.free : 0;
    hyp = used > guests + ms.boot_image ? used - guests - ms.boot_image : 0;
    if (json) {
        us_snprintf(sh->fmt, sizeof(sh->fmt),
                    "{\"mem\":{\"total\":%llu,\"free\":%llu,\"guests\":%llu,"
                    "\"boot_image\":%llu,\"hypervisor\":%llu}}",
                    (unsigned long long)ms.total, (unsigned long long)ms.free,
                    (unsigned long long)guests, (unsigned long long)ms.boot_image,
                    (unsigned long long)hyp);
    } else {
        us_snprintf(sh->fmt, sizeof(sh->fmt),
                    "total %lluK  free %lluK  guests %lluK  boot image %lluK  hypervisor %lluK",
                    (unsigned long long)(ms.total >> 10), (unsigned long long)(ms.free >> 10),
                    (unsigned long long)(guests >> 10), (unsigned long long)(ms.boot_image >> 10),
                    (unsigned long long)(hyp >> 10));
    }
    console_shell_fmt_puts(sh, sh->fmt);
    console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
}

/* @part of @whole in whole percent, rounded down; 0 of nothing. */
static unsigned fmt_percent(uint64_t part, uint64_t whole)
{
    return whole == 0 ? 0u : (unsigned)(part / (whole / 100u + (whole < 100u)));
}

/* One line (or JSON object) per host CPU: how often the kernel entered a guest on it, how many
 * of the guests' TLB maintenance operations it did there alone, how often it switched into a
 * server, and where its time went (guests with the traps the kernel finished for them, servers,
 * idle). */
void console_shell_fmt_cpu_stats(struct console_shell *sh, bool json)
{
    uint64_t entries[CONSOLE_MAX_CPUS][8];
    uint32_t cpu, count = 0;
    us_err_t err;

    while (count < CONSOLE_MAX_CPUS &&
           (err = sh->be.cpu_stats(sh->be.ctx, count, entries[count])) == US_OK) {
        count++;
    }
    if (count == 0) {
        console_shell_fmt_error(sh, "stats cpu", NULL, err);
        return;
    }
    if (json) {
        console_shell_fmt_puts(sh, "{\"cpus\":[");
    }
    for (cpu = 0; cpu < count; cpu++) {
        if (json) {
            us_snprintf(sh->fmt, sizeof(sh->fmt),
                        "%s{\"cpu\":%u,\"guest_entries\":%llu,\"tlbi_local\":%llu,"
                        "\"to_server\":%llu,\"guest_ticks\":%llu,\"server_ticks\":%llu,"
                        "\"idle_ticks\":%llu,\"traps_nolock\":%llu,\"ipc_direct\":%llu}",
                        cpu > 0 ? "," : "", cpu, (unsigned long long)entries[cpu][0],
                        (unsigned long long)entries[cpu][1], (unsigned long long)entries[cpu][2],
                        (unsigned long long)entries[cpu][3], (unsigned long long)entries[cpu][4],
                        (unsigned long long)entries[cpu][5], (unsigned long long)entries[cpu][6],
                        (unsigned long long)entries[cpu][7]);
        } else {
            uint64_t all = entries[cpu][3] + entries[cpu][4] + entries[cpu][5];

            us_snprintf(sh->fmt, sizeof(sh->fmt),
                        "cpu %u  guest entries %llu  local TLBI %llu  to servers %llu  "
                        "traps without the lock %llu  direct IPC %llu  "
                        "time: guests %u%%  servers %u%%  idle %u%%" CONSOLE_SHELL_NL,
                        cpu, (unsigned long long)entries[cpu][0],
                        (unsigned long long)entries[cpu][1], (unsigned long long)entries[cpu][2],
                        (unsigned long long)entries[cpu][6], (unsigned long long)entries[cpu][7],
                        fmt_percent(entries[cpu][3], all), fmt_percent(entries[cpu][4], all),
                        fmt_percent(entries[cpu][5], all));
        }
        console_shell_fmt_puts(sh, sh->fmt);
    }
    if (json) {
        console_shell_fmt_puts(sh, "]}" CONSOLE_SHELL_NL);
    }
}

static const char *const fmt_guest_devs[] = US_GUEST_DEV_NAMES;
#define FMT_GUEST_DEVS (sizeof(fmt_guest_devs) / sizeof(fmt_guest_devs[0]))

bool console_shell_fmt_hw_hide(struct console_shell *sh, uint32_t slot, const char *dev, bool hide)
{
    uint32_t bit, hidden = 0;
    char slot_text[12];
    us_err_t err;

    for (bit = 0; bit < FMT_GUEST_DEVS && strcmp(dev, fmt_guest_devs[bit]) != 0; bit++) {
    }
    if (bit == FMT_GUEST_DEVS) {
        return false;
    }
    err = sh->be.guest_hide(sh->be.ctx, slot, 1u << bit, hide, &hidden);
    if (err != US_OK) {
        us_snprintf(slot_text, sizeof(slot_text), "%u", slot);
        console_shell_fmt_error(sh, hide ? "hw hide" : "hw show", slot_text, err);
        return true;
    }
    us_snprintf(sh->fmt, sizeof(sh->fmt), "vm %u: %s %s from its next boot; hidden:", slot,
                fmt_guest_devs[bit], hide ? "hidden" : "shown");
    console_shell_fmt_puts(sh, sh->fmt);
    for (bit = 0; bit < FMT_GUEST_DEVS; bit++) {
        if (hidden & (1u << bit)) {
            console_shell_fmt_puts(sh, " ");
            console_shell_fmt_puts(sh, fmt_guest_devs[bit]);
        }
    }
    console_shell_fmt_puts(sh, hidden == 0 ? " none" CONSOLE_SHELL_NL : CONSOLE_SHELL_NL);
    return true;
}

void console_shell_fmt_refusal(struct console_shell *sh, const char *what, const char *arg,
                               us_err_t err, const char *why)
{
    console_shell_fmt_puts(sh, "error: ");
    console_shell_fmt_puts(sh, what);
    if (arg != NULL) {
        console_shell_fmt_puts(sh, " ");
        console_shell_fmt_text(sh, arg, CONSOLE_SHELL_LINE_MAX);
    }
    console_shell_fmt_puts(sh, ": ");
    if (why[0] == '\0') {
        console_shell_fmt_puts(sh, us_err_name(err));
        console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
        return;
    }
    console_shell_fmt_text(sh, why, CONSOLE_SHELL_WHY_LEN);
    console_shell_fmt_puts(sh, " (");
    console_shell_fmt_puts(sh, us_err_name(err));
    console_shell_fmt_puts(sh, ")" CONSOLE_SHELL_NL);
}

bool console_shell_put_field(char *dst, size_t size, const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= size) {
        return false;
    }
    memcpy(dst, s, n + 1);
    return true;
}

bool console_shell_append_word(char *dst, size_t size, const char *word)
{
    size_t have = strlen(dst), n = strlen(word);

    if (have + 1 + n >= size) {
        return false;
    }
    if (have > 0) {
        dst[have++] = ' ';
    }
    memcpy(dst + have, word, n + 1);
    return true;
}
