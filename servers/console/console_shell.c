/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The operator shell: line editing, command dispatch, and routing to and from guest consoles. */
#include "console_shell.h"
#ifdef US_FREESTANDING
#include <uslib/string.h>
#else
#include <string.h>
#endif
#include <uslib/fmt.h>

#define SHELL_CMD_JSON (1u << 0)  /* accepts --json */
#define SHELL_CMD_DEBUG (1u << 1) /* exists only when be.debug is set */
#define SHELL_CMD_MORE (1u << 2)  /* pos_count is the least number of words, not the number */
#define SHELL_HELP_COL 24u

struct shell_args {
    const char *pos[CONSOLE_SHELL_MAX_WORDS]; /* words after the command name */
    size_t count;
    bool json;
};

struct shell_cmd {
    const char *group;
    const char *sub;  /* NULL: the group word alone is the command */
    const char *args; /* synopsis of the arguments, "" if none */
    const char *help;
    size_t pos_count;
    uint32_t flags;
    void (*run)(struct console_shell *sh, const struct shell_cmd *cmd, const struct shell_args *a);
    void (*print)(struct console_shell *sh, bool json); /* shell_cmd_print: what it prints */
    /* shell_cmd_ext: the command, in another file; false means a usage error. */
    bool (*ext)(struct console_shell *sh, size_t argc, const char *const *argv, bool json);
};

static void shell_cmd_help(struct console_shell *sh, const struct shell_cmd *cmd,
                           const struct shell_args *a);
static void shell_cmd_print(struct console_shell *sh, const struct shell_cmd *cmd,
                            const struct shell_args *a);
static void shell_cmd_ext(struct console_shell *sh, const struct shell_cmd *cmd,
                          const struct shell_args *a);
static void shell_cmd_vm_console(struct console_shell *sh, const struct shell_cmd *cmd,
                                 const struct shell_args *a);
static void shell_cmd_server_op(struct console_shell *sh, const struct shell_cmd *cmd,
                                const struct shell_args *a);
static void shell_cmd_hw_hide(struct console_shell *sh, const struct shell_cmd *cmd,
                              const struct shell_args *a);
static void shell_cmd_debug_badipc(struct console_shell *sh, const struct shell_cmd *cmd,
                                   const struct shell_args *a);
static void shell_cmd_debug_ipcbench(struct console_shell *sh, const struct shell_cmd *cmd,
                                     const struct shell_args *a);

/* Commands of one group stay adjacent: help and usage messages list them in this order. */
static const struct shell_cmd shell_cmds[] = {
    {"help", NULL, "", "list the commands", 0, 0, shell_cmd_help, NULL, NULL},
    {"vm", "list", "[--json]", "list virtual machines", 0, SHELL_CMD_JSON, shell_cmd_print,
     console_shell_fmt_vm_list, NULL},
    {"vm", "console", "N", "attach to the console of vm N (Ctrl-] detaches)", 1, 0,
     shell_cmd_vm_console, NULL, NULL},
    {"vm", "create", "NAME FROM [key=value...] [--json]", "start a VM configured like FROM", 2,
     SHELL_CMD_MORE | SHELL_CMD_JSON, shell_cmd_ext, NULL, console_shell_vm_create},
    {"vm", "retire", "N", "stop vm N and free its memory", 1, 0, shell_cmd_ext, NULL,
     console_shell_vm_retire},
    {"maint", "upgrade-os", "VM [key=value...] [--json]",
     "boot an understudy, move VM's application to it, retire VM", 1,
     SHELL_CMD_MORE | SHELL_CMD_JSON, shell_cmd_ext, NULL, console_shell_maint_upgrade_os},
    {"maint", "upgrade-app", "VM image=NAME [key=value...] [--json]",
     "the understudy runs the new application image; requests cut over", 1,
     SHELL_CMD_MORE | SHELL_CMD_JSON, shell_cmd_ext, NULL, console_shell_maint_upgrade_app},
    {"maint", "remove-device", "DEV [key=value...] [--json]",
     "move the application of the VM holding DEV to one without it; release DEV", 1,
     SHELL_CMD_MORE | SHELL_CMD_JSON, shell_cmd_ext, NULL, console_shell_maint_remove_device},
    {"maint", "remove-memory", "BASE SIZE [key=value...] [--json]",
     "move every VM out of a physical range, then audit it empty", 2,
     SHELL_CMD_MORE | SHELL_CMD_JSON, shell_cmd_ext, NULL, console_shell_maint_remove_memory},
    {"maint", "add-device", "DEV VM [key=value...] [--json]",
     "an understudy of VM given DEV (hot-added, shielded) takes VM's application over", 2,
     SHELL_CMD_MORE | SHELL_CMD_JSON, shell_cmd_ext, NULL, console_shell_maint_add_device},
    {"maint", "reconfigure", "VM [key=value...] [--json]",
     "move VM's application out, remake VM so, move it back", 1, SHELL_CMD_MORE | SHELL_CMD_JSON,
     shell_cmd_ext, NULL, console_shell_maint_reconfigure},
    {"maint", "status", "[--json]", "the running or last maintenance flow", 0, SHELL_CMD_JSON,
     shell_cmd_ext, NULL, console_shell_maint_status},
    {"maint", "abort", "", "undo the running flow before its commit", 0, 0, shell_cmd_ext, NULL,
     console_shell_maint_abort},
    {"server", "list", "[--json]", "list servers, their restarts and faults", 0, SHELL_CMD_JSON,
     shell_cmd_print, console_shell_fmt_server_list, NULL},
    {"server", "restart", "NAME", "reload a server from the boot image", 1, 0, shell_cmd_server_op,
     NULL, NULL},
    {"server", "crash", "NAME", "make a server fault (debug)", 1, SHELL_CMD_DEBUG,
     shell_cmd_server_op, NULL, NULL},
    {"server", "corrupt", "NAME", "flip a byte of its saved state, restart it (debug)", 1,
     SHELL_CMD_DEBUG, shell_cmd_server_op, NULL, NULL},
    {"server", "hang", "NAME", "make a server stop answering: the watchdog restarts it (debug)", 1,
     SHELL_CMD_DEBUG, shell_cmd_server_op, NULL, NULL},
    {"server", "garble", "NAME", "scramble a server's next reply, to whoever (debug)", 1,
     SHELL_CMD_DEBUG, shell_cmd_server_op, NULL, NULL},
    {"server", "exhaust", "NAME", "make a server take all its memory quota (debug)", 1,
     SHELL_CMD_DEBUG, shell_cmd_server_op, NULL, NULL},
    {"server", "ports", "NAME", "make a server touch an I/O port it was not given (debug)", 1,
     SHELL_CMD_DEBUG, shell_cmd_server_op, NULL, NULL},
    {"server", "fpcheck", "NAME",
     "restart the console; its FP registers must survive a call to NAME (debug)", 1,
     SHELL_CMD_DEBUG, shell_cmd_server_op, NULL, NULL},
    {"hw", "list", "[--json]", "list devices and their owners", 0, SHELL_CMD_JSON, shell_cmd_print,
     console_shell_fmt_hw_list, NULL},
    {"hw", "hide", "N DEVICE", "hide a device from vm N's next boot on", 2, 0, shell_cmd_hw_hide,
     NULL, NULL},
    {"hw", "show", "N DEVICE", "give it back from vm N's next boot on", 2, 0, shell_cmd_hw_hide,
     NULL, NULL},
    {"hw", "remove", "DEV", "release a PCIe card, power its slot off for pulling", 1, 0,
     shell_cmd_ext, NULL, console_shell_hw_remove},
    {"hw", "audit", "BASE SIZE [--json]", "what still uses or maps a physical memory range", 2,
     SHELL_CMD_JSON, shell_cmd_ext, NULL, console_shell_hw_audit},
    {"hw", "online", "", "give the memory range maint remove-memory withheld back", 0, 0,
     shell_cmd_ext, NULL, console_shell_hw_online},
    {"stats", "mem", "[--json]", "memory: guests, boot image, hypervisor, free", 0, SHELL_CMD_JSON,
     shell_cmd_print, console_shell_fmt_mem_stats, NULL},
    {"stats", "cpu", "[--json]", "host CPUs and how often guests entered each", 0, SHELL_CMD_JSON,
     shell_cmd_print, console_shell_fmt_cpu_stats, NULL},
    {"debug", "badipc", "", "run the malformed-IPC battery (debug)", 0, SHELL_CMD_DEBUG,
     shell_cmd_debug_badipc, NULL, NULL},
    {"debug", "ipcbench", "N", "time N IPC round trips to migrate, per batch (debug)", 1,
     SHELL_CMD_DEBUG, shell_cmd_debug_ipcbench, NULL, NULL},
};
#define SHELL_CMD_COUNT (sizeof(shell_cmds) / sizeof(shell_cmds[0]))

us_err_t console_shell_init(struct console_shell *sh, const struct console_shell_backend *be)
{
    struct console_shell_backend *b;

    if (sh == NULL || be == NULL || be->write == NULL) {
        return US_EINVAL;
    }
    memset(sh, 0, sizeof(*sh));
    sh->be = *be;
    b = &sh->be;
    console_shell_backend_defaults(b);
    return US_OK;
}

void console_shell_start(struct console_shell *sh)
{
    sh->started = true;
    console_shell_fmt_puts(sh, CONSOLE_SHELL_PROMPT);
    console_shell_fmt_flush(sh);
}

/* The prompt and the line typed so far, on a fresh line. */
static void shell_redraw(struct console_shell *sh)
{
    console_shell_fmt_puts(sh, CONSOLE_SHELL_PROMPT);
    console_shell_fmt_out(sh, sh->line, sh->line_len);
}

us_err_t console_shell_log(struct console_shell *sh, const char *bytes, size_t n)
{
    size_t i, start = 0;

    if (sh == NULL || (bytes == NULL && n > 0)) {
        return US_EINVAL;
    }
    if (n == 0) {
        return US_OK;
    }
    if (!sh->log_open && sh->attached) {
        console_shell_guest_log_begin(sh);
    } else if (!sh->log_open && sh->started) {
        console_shell_fmt_puts(sh, "\r\x1b[K"); /* carriage return, erase to end of line */
    }
    for (i = 0; i < n; i++) {
        if (bytes[i] == '\n') {
            console_shell_fmt_out(sh, bytes + start, i - start);
            console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
            start = i + 1;
        }
    }
    console_shell_fmt_out(sh, bytes + start, n - start);
    sh->log_open = bytes[n - 1] != '\n';
    if (!sh->log_open && sh->attached) {
        console_shell_guest_log_end(sh);
    } else if (!sh->log_open && sh->started) {
        shell_redraw(sh);
    }
    console_shell_fmt_flush(sh);
    return US_OK;
}

bool console_shell_is_attached(const struct console_shell *sh)
{
    return sh->attached;
}

/* ---- commands ---- */

static bool shell_cmd_visible(const struct console_shell *sh, const struct shell_cmd *c)
{
    return (c->flags & SHELL_CMD_DEBUG) == 0 || sh->be.debug;
}

/* "vm console N" */
static void shell_synopsis(struct console_shell *sh, const struct shell_cmd *c)
{
    console_shell_fmt_puts(sh, c->group);
    if (c->sub != NULL) {
        console_shell_fmt_puts(sh, " ");
        console_shell_fmt_puts(sh, c->sub);
    }
    if (c->args[0] != '\0') {
        console_shell_fmt_puts(sh, " ");
        console_shell_fmt_puts(sh, c->args);
    }
}

static size_t shell_synopsis_len(const struct shell_cmd *c)
{
    size_t n = strlen(c->group);

    if (c->sub != NULL) {
        n += 1 + strlen(c->sub);
    }
    if (c->args[0] != '\0') {
        n += 1 + strlen(c->args);
    }
    return n;
}

/* One line: every visible form of @cmd's group when @group is set, else just @cmd. */
static void shell_usage(struct console_shell *sh, const struct shell_cmd *cmd, bool group)
{
    size_t i;
    bool first = true;

    console_shell_fmt_puts(sh, "error: usage: ");
    for (i = 0; i < SHELL_CMD_COUNT; i++) {
        const struct shell_cmd *c = &shell_cmds[i];

        if (c == cmd || (group && strcmp(c->group, cmd->group) == 0 && shell_cmd_visible(sh, c))) {
            console_shell_fmt_puts(sh, first ? "" : " | ");
            shell_synopsis(sh, c);
            first = false;
        }
    }
    console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
}

static void shell_unknown(struct console_shell *sh, const char *w0, const char *w1)
{
    console_shell_fmt_puts(sh, "error: unknown command '");
    console_shell_fmt_text(sh, w0, CONSOLE_SHELL_LINE_MAX);
    if (w1 != NULL) {
        console_shell_fmt_puts(sh, " ");
        console_shell_fmt_text(sh, w1, CONSOLE_SHELL_LINE_MAX);
    }
    console_shell_fmt_puts(sh, "' (try 'help')" CONSOLE_SHELL_NL);
}

static void shell_cmd_help(struct console_shell *sh, const struct shell_cmd *cmd,
                           const struct shell_args *a)
{
    size_t i, n;

    (void)cmd;
    (void)a;
    console_shell_fmt_puts(sh, "commands:" CONSOLE_SHELL_NL);
    for (i = 0; i < SHELL_CMD_COUNT; i++) {
        const struct shell_cmd *c = &shell_cmds[i];

        if (!shell_cmd_visible(sh, c)) {
            continue;
        }
        console_shell_fmt_puts(sh, "  ");
        shell_synopsis(sh, c);
        for (n = shell_synopsis_len(c); n < SHELL_HELP_COL; n++) {
            console_shell_fmt_out(sh, " ", 1);
        }
        console_shell_fmt_puts(sh, c->help);
        console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
    }
}

/* The listing commands: their print function does the work, as a table or as JSON. */
static void shell_cmd_print(struct console_shell *sh, const struct shell_cmd *cmd,
                            const struct shell_args *a)
{
    cmd->print(sh, a->json);
}

static void shell_cmd_ext(struct console_shell *sh, const struct shell_cmd *cmd,
                          const struct shell_args *a)
{
    if (!cmd->ext(sh, a->count, a->pos, a->json)) {
        shell_usage(sh, cmd, false);
    }
}

/* Decimal only, no sign, must fit in 32 bits. */
bool console_shell_parse_u64(const char *s, uint64_t *out)
{
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    uint64_t v = 0, base = hex ? 16u : 10u;
    size_t i = hex ? 2u : 0u;

    if (s[i] == '\0') {
        return false;
    }
    for (; s[i] != '\0'; i++) {
        char c = s[i];
        uint64_t d = c >= '0' && c <= '9'          ? (uint64_t)(c - '0')
                     : hex && c >= 'a' && c <= 'f' ? (uint64_t)(c - 'a' + 10)
                     : hex && c >= 'A' && c <= 'F' ? (uint64_t)(c - 'A' + 10)
                                                   : 16u;

        if (d >= base || v > (UINT64_MAX - d) / base) {
            return false;
        }
        v = v * base + d;
    }
    *out = v;
    return true;
}

bool console_shell_parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;

    if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] == 'x') ||
        !console_shell_parse_u64(s, &v) || v > UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

/* The VM whose id is @vmid. Returns: US_OK; US_ENOENT if none; or the backend's error. */
static us_err_t shell_vm_find(struct console_shell *sh, uint32_t vmid, struct us_vm_info *vi)
{
    uint32_t slot, count = 0;
    us_err_t err = sh->be.vm_count(sh->be.ctx, &count);

    if (err != US_OK) {
        return err;
    }
    for (slot = 0; slot < count && slot < CONSOLE_SHELL_MAX_ROWS; slot++) {
        memset(vi, 0, sizeof(*vi));
        err = sh->be.vm_info(sh->be.ctx, slot, vi);
        if (err != US_OK) {
            return err;
        }
        if (vi->state != US_VM_STATE_EMPTY && vi->vmid == vmid) {
            return US_OK;
        }
    }
    return US_ENOENT;
}

static void shell_cmd_vm_console(struct console_shell *sh, const struct shell_cmd *cmd,
                                 const struct shell_args *a)
{
    struct us_vm_info vi;
    uint32_t vmid;
    us_err_t err;

    if (!console_shell_parse_u32(a->pos[0], &vmid)) {
        shell_usage(sh, cmd, false);
        return;
    }
    err = shell_vm_find(sh, vmid, &vi);
    if (err != US_OK) {
        console_shell_fmt_error(sh, "vm console", a->pos[0], err);
        return;
    }
    us_snprintf(sh->fmt, sizeof(sh->fmt), "attached to vm %u (", vmid);
    console_shell_fmt_puts(sh, sh->fmt);
    console_shell_fmt_text(sh, vi.name, sizeof(vi.name));
    console_shell_fmt_puts(sh, "); press Ctrl-] to detach" CONSOLE_SHELL_NL);
    console_shell_guest_attach(sh, vmid);
}

/* The server slot named @name. Returns: US_OK; US_ENOENT if none; or the backend's error. */
static us_err_t shell_server_find(struct console_shell *sh, const char *name, uint32_t *idx)
{
    struct us_server_info si;
    uint32_t i, count = 0;
    size_t len = strlen(name);
    us_err_t err = sh->be.server_count(sh->be.ctx, &count);

    if (err != US_OK) {
        return err;
    }
    for (i = 0; i < count && i < CONSOLE_SHELL_MAX_ROWS; i++) {
        memset(&si, 0, sizeof(si));
        err = sh->be.server_info(sh->be.ctx, i, &si);
        if (err != US_OK) {
            return err;
        }
        if (len > 0 && console_shell_fmt_field_len(si.name, sizeof(si.name)) == len &&
            strncmp(si.name, name, len) == 0) {
            *idx = i;
            return US_OK;
        }
    }
    return US_ENOENT;
}

/* server restart|crash|corrupt|hang|garble NAME */
static void shell_cmd_server_op(struct console_shell *sh, const struct shell_cmd *cmd,
                                const struct shell_args *a)
{
    uint32_t idx = 0;
    us_err_t err = shell_server_find(sh, a->pos[0], &idx);

    if (err == US_OK) {
        if (strcmp(cmd->sub, "crash") == 0) {
            err = sh->be.server_crash(sh->be.ctx, idx);
        } else if (strcmp(cmd->sub, "corrupt") == 0) {
            err = sh->be.server_corrupt(sh->be.ctx, idx);
        } else if (strcmp(cmd->sub, "hang") == 0) {
            err = sh->be.server_fault(sh->be.ctx, idx, US_FAULT_HANG);
        } else if (strcmp(cmd->sub, "garble") == 0) {
            err = sh->be.server_fault(sh->be.ctx, idx, US_FAULT_GARBLE);
        } else if (strcmp(cmd->sub, "exhaust") == 0) {
            err = sh->be.server_fault(sh->be.ctx, idx, US_FAULT_EXHAUST);
        } else if (strcmp(cmd->sub, "ports") == 0) {
            err = sh->be.server_fault(sh->be.ctx, idx, US_FAULT_PORTS);
        } else if (strcmp(cmd->sub, "fpcheck") == 0) {
            err = sh->be.server_fault(sh->be.ctx, idx, US_FAULT_FP);
        } else {
            err = sh->be.server_restart(sh->be.ctx, idx);
        }
    }
    if (err != US_OK) {
        char what[24];

        us_snprintf(what, sizeof(what), "server %s", cmd->sub);
        console_shell_fmt_error(sh, what, a->pos[0], err);
        return;
    }
    console_shell_fmt_puts(sh, "ok" CONSOLE_SHELL_NL);
}

/* `hw hide N DEVICE` / `hw show N DEVICE`: devmgr takes the device out of (or puts it back
 * into) the VM's view; the guest that runs now keeps what it booted with. */
static void shell_cmd_hw_hide(struct console_shell *sh, const struct shell_cmd *cmd,
                              const struct shell_args *a)
{
    uint32_t slot;

    if (!console_shell_parse_u32(a->pos[0], &slot) ||
        !console_shell_fmt_hw_hide(sh, slot, a->pos[1], strcmp(cmd->sub, "hide") == 0)) {
        shell_usage(sh, cmd, false);
        console_shell_fmt_puts(
            sh, "devices: uart virtio-console virtio-blk virtio-net" CONSOLE_SHELL_NL);
    }
}

static void shell_cmd_debug_badipc(struct console_shell *sh, const struct shell_cmd *cmd,
                                   const struct shell_args *a)
{
    size_t i;
    bool at_line_start = true;
    us_err_t err;

    (void)cmd;
    (void)a;
    memset(sh->report, 0, sizeof(sh->report));
    err = sh->be.debug_badipc(sh->be.ctx, sh->report, sizeof(sh->report));
    sh->report[sizeof(sh->report) - 1] = '\0';
    for (i = 0; sh->report[i] != '\0'; i++) {
        char c = sh->report[i];

        if (c == '\n') {
            console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
            at_line_start = true;
            continue;
        }
        if (c == '\r') {
            continue;
        }
        console_shell_fmt_text(sh, c == '\t' ? " " : &c, 1);
        at_line_start = false;
    }
    if (!at_line_start) {
        console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
    }
    if (err != US_OK) {
        console_shell_fmt_error(sh, "debug badipc", NULL, err);
    }
}

#define SHELL_IPCBENCH_MAX 1000000u

static void shell_cmd_debug_ipcbench(struct console_shell *sh, const struct shell_cmd *cmd,
                                     const struct shell_args *a)
{
    struct console_ipcbench_result r;
    uint32_t n;
    us_err_t err;

    if (!console_shell_parse_u32(a->pos[0], &n) || n == 0 || n > SHELL_IPCBENCH_MAX) {
        shell_usage(sh, cmd, false); /* N is 1..SHELL_IPCBENCH_MAX */
        return;
    }
    memset(&r, 0, sizeof(r));
    err = sh->be.debug_ipcbench(sh->be.ctx, n, &r);
    if (err != US_OK) {
        console_shell_fmt_error(sh, "debug ipcbench", NULL, err);
        return;
    }
    us_snprintf(sh->fmt, sizeof(sh->fmt),
                "ipcbench: calls=%u batches=%u ns_per_call=%llu ns_per_ping=%llu", r.calls,
                r.batches, (unsigned long long)r.ns_per_call, (unsigned long long)r.ns_per_ping);
    console_shell_fmt_puts(sh, sh->fmt);
    console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
}

/* Split @line in place on spaces; --json anywhere is a flag, not a word. */
static void shell_exec(struct console_shell *sh, char *line)
{
    const char *words[CONSOLE_SHELL_MAX_WORDS];
    const struct shell_cmd *cmd = NULL;
    struct shell_args a;
    size_t i, word_count = 0, used;
    bool group_known = false;
    char *p = line;

    memset(&a, 0, sizeof(a));
    for (;;) {
        char *w;

        while (*p == ' ') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        w = p;
        while (*p != '\0' && *p != ' ') {
            p++;
        }
        if (*p != '\0') {
            *p++ = '\0';
        }
        if (strcmp(w, "--json") == 0) {
            a.json = true;
        } else if (word_count < CONSOLE_SHELL_MAX_WORDS) {
            words[word_count++] = w;
        } else {
            word_count = CONSOLE_SHELL_MAX_WORDS + 1; /* too many for any command */
            break;
        }
    }
    if (word_count == 0) {
        if (a.json) {
            shell_unknown(sh, "--json", NULL);
        }
        return;
    }
    for (i = 0; i < SHELL_CMD_COUNT; i++) {
        const struct shell_cmd *c = &shell_cmds[i];

        if (strcmp(c->group, words[0]) != 0 || !shell_cmd_visible(sh, c)) {
            continue;
        }
        group_known = true;
        if (c->sub == NULL || (word_count >= 2 && strcmp(c->sub, words[1]) == 0)) {
            cmd = c;
            break;
        }
        if (word_count < 2) {
            shell_usage(sh, c, true);
            return;
        }
    }
    if (cmd == NULL) {
        shell_unknown(sh, words[0], group_known ? words[1] : NULL);
        return;
    }
    used = cmd->sub == NULL ? 1 : 2;
    a.count = word_count - used;
    if (word_count > CONSOLE_SHELL_MAX_WORDS ||
        (cmd->flags & SHELL_CMD_MORE ? a.count < cmd->pos_count : a.count != cmd->pos_count) ||
        (a.json && (cmd->flags & SHELL_CMD_JSON) == 0)) {
        shell_usage(sh, cmd, false);
        return;
    }
    for (i = 0; i < a.count; i++) {
        a.pos[i] = words[used + i];
    }
    cmd->run(sh, cmd, &a);
}

/* ---- input ---- */

static void shell_end_line(struct console_shell *sh)
{
    console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
    sh->line[sh->line_len] = '\0';
    if (sh->line_too_long) {
        us_snprintf(sh->fmt, sizeof(sh->fmt), "error: line too long (max %u characters)",
                    CONSOLE_SHELL_LINE_MAX);
        console_shell_fmt_puts(sh, sh->fmt);
        console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
    } else {
        shell_exec(sh, sh->line);
    }
    sh->line_len = 0;
    sh->line_too_long = false;
    if (!sh->attached) {
        console_shell_fmt_puts(sh, CONSOLE_SHELL_PROMPT);
    }
}

static void shell_key(struct console_shell *sh, char c)
{
    if (c == '\r' || c == '\n') {
        sh->skip_lf = c == '\r';
        shell_end_line(sh);
    } else if (c == '\b' || c == 0x7f) {
        if (sh->line_len > 0) {
            sh->line_len--;
            console_shell_fmt_puts(sh, "\b \b");
        }
    } else if (c < 0x20 || c > 0x7e) {
        /* other control bytes and non-ASCII: ignored */
    } else if (sh->line_len >= CONSOLE_SHELL_LINE_MAX) {
        sh->line_too_long = true;
        console_shell_fmt_puts(sh, "\a");
    } else {
        sh->line[sh->line_len++] = c;
        console_shell_fmt_out(sh, &c, 1);
    }
}

static void shell_detach(struct console_shell *sh)
{
    sh->attached = false;
    console_shell_fmt_puts(sh, CONSOLE_SHELL_NL "detached" CONSOLE_SHELL_NL CONSOLE_SHELL_PROMPT);
}

static void shell_guest_input(struct console_shell *sh, const char *bytes, size_t n)
{
    us_err_t err = sh->be.guest_input(sh->be.ctx, sh->attached_vmid, bytes, n);

    if (err != US_OK) {
        console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
        console_shell_fmt_error(sh, "guest input", NULL, err);
    }
}

us_err_t console_shell_input(struct console_shell *sh, const char *bytes, size_t n)
{
    size_t i = 0;

    if (sh == NULL || (bytes == NULL && n > 0)) {
        return US_EINVAL;
    }
    if (n > 0 && sh->started && sh->log_open && !sh->attached) {
        /* Keys while a log line is unfinished: finish it on screen and show the prompt. */
        sh->log_open = false;
        console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
        shell_redraw(sh);
    }
    while (i < n) {
        if (sh->skip_lf) {
            sh->skip_lf = false;
            if (bytes[i] == '\n') { /* CR LF is one line end, even across an attach */
                i++;
                continue;
            }
        }
        if (sh->attached) {
            size_t end = i;

            while (end < n && bytes[end] != CONSOLE_SHELL_DETACH_KEY) {
                end++;
            }
            if (end > i) {
                shell_guest_input(sh, bytes + i, end - i);
            }
            if (end < n) {
                shell_detach(sh);
                end++;
            }
            i = end;
        } else {
            shell_key(sh, bytes[i]);
            i++;
        }
    }
    console_shell_fmt_flush(sh);
    return US_OK;
}
