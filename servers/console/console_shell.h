/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The operator shell of the console server: line editing, commands and guest console routing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <understudy/devmgr.h>
#include <understudy/errors.h>
#include <understudy/syscalls.h>
#include <understudy/migrate.h>
#include <understudy/vmm.h>

#define CONSOLE_SHELL_PROMPT "us> "
#define CONSOLE_SHELL_NL "\r\n"        /* the UART is a raw terminal: no LF-to-CRLF mapping */
#define CONSOLE_SHELL_LINE_MAX 200u    /* printable characters per command line */
#define CONSOLE_SHELL_DETACH_KEY 0x1d  /* Ctrl-] */
#define CONSOLE_SHELL_RING_COUNT 8u    /* VMs whose unattached output is kept */
#define CONSOLE_SHELL_RING_SIZE 4096u  /* bytes kept per VM: the most recent ones */
#define CONSOLE_SHELL_REPORT_LEN 2048u /* debug badipc report buffer */
#define CONSOLE_SHELL_MAX_ROWS 256u    /* listings stop here whatever a backend's count says */
#define CONSOLE_SHELL_MAX_WORDS 12u
#define CONSOLE_SHELL_OUT_LEN 256u
#define CONSOLE_SHELL_WHY_LEN 128u   /* a server's reason for a refusal */
#define CONSOLE_SHELL_GLINE_MAX 160u /* an attached guest's unfinished line, kept for redraw */

/*
 * What the shell needs from the rest of the system. The console server implements it over IPC
 * (vmm, devmgr, the kernel's server control), unit tests with fixtures. Every function receives
 * ctx unchanged. Any pointer but write may be NULL: the shell then reports US_ENOTSUP.
 */
/* What `debug ipcbench` measured: the median over @batches of @calls round trips each. */
struct console_ipcbench_result {
    uint32_t calls, batches;
    uint64_t ns_per_call; /* virtual ns; one instruction each under QEMU -icount shift=0 */
    uint64_t ns_per_ping; /* the same for a ping, which migrate handles and seals after */
};

#define CONSOLE_MAX_CPUS 8u /* host CPUs `stats cpu` lists */

/* The kernel's memory figures (bytes) behind `stats mem`. */
struct console_mem_stats {
    uint64_t total, free, boot_image;
};

struct console_shell_backend {
    void *ctx;
    /* Terminal output; n > 0, s not NUL-terminated. Must not call back into the shell. */
    void (*write)(void *ctx, const char *s, size_t n);
    us_err_t (*vm_count)(void *ctx, uint32_t *n);
    us_err_t (*vm_info)(void *ctx, uint32_t slot, struct us_vm_info *out);
    us_err_t (*server_count)(void *ctx, uint32_t *n);
    us_err_t (*server_info)(void *ctx, uint32_t idx, struct us_server_info *out);
    us_err_t (*server_crash)(void *ctx, uint32_t idx);
    us_err_t (*server_restart)(void *ctx, uint32_t idx);
    us_err_t (*server_corrupt)(void *ctx, uint32_t idx); /* debug: flip state, restart */
    us_err_t (*server_fault)(void *ctx, uint32_t idx, uint32_t kind); /* debug: US_FAULT_* */
    us_err_t (*dev_count)(void *ctx, uint32_t *n);
    us_err_t (*dev_info)(void *ctx, uint32_t idx, struct us_dev_info *out);
    us_err_t (*mem_stats)(void *ctx, struct console_mem_stats *out);
    /* Hide (@hide) or show the US_GUEST_DEV_* @mask from VM @slot's next boot on; *@hidden:
     * what is hidden from it now. */
    us_err_t (*guest_hide)(void *ctx, uint32_t slot, uint32_t mask, bool hide, uint32_t *hidden);
    /* Release PCIe card @name and power its slot off (US_DEVMGR_REMOVE): *@n functions; @why
     * as for vm_create. */
    us_err_t (*hw_remove)(void *ctx, const char *name, uint32_t *n, char *why, size_t why_len);
    /* the kernel's audit of a physical range: pages in use, pages mapped, and memory objects
     * reaching in */
    us_err_t (*mem_audit)(void *ctx, uint64_t base, uint64_t size, uint64_t *used, uint64_t *mapped,
                          struct us_mem_holder *out, uint32_t *n);
    /* Give the withheld range back to the allocator; US_ENOENT when none is withheld. */
    us_err_t (*mem_online)(void *ctx);
    /* Host CPU @cpu: guest entries, the guests' TLB maintenance done there alone, switches
     * into servers (r[0..2]); counter ticks in guests, servers and idle (r[3..5]); guest traps
     * finished without the kernel lock (r[6]). US_ERANGE past the last CPU. */
    us_err_t (*cpu_stats)(void *ctx, uint32_t cpu, uint64_t r[8]);
    /* Bytes typed while attached to vmid; any n, the backend splits it into messages. */
    us_err_t (*guest_input)(void *ctx, uint32_t vmid, const char *bytes, size_t n);
    /* Runs the malformed-IPC battery and writes a NUL-terminated, '\n'-separated report. */
    us_err_t (*debug_badipc)(void *ctx, char *report, size_t report_len);
    /* Create a VM (US_VMM_VM_CREATE); *@slot is its id. On failure @why (NUL-terminated,
     * possibly empty) says what the vmm refused. */
    us_err_t (*vm_create)(void *ctx, const struct us_vm_create *req, uint32_t *slot, char *why,
                          size_t why_len);
    /* Retire VM @slot (US_VMM_VM_RETIRE); @why as for vm_create. */
    us_err_t (*vm_retire)(void *ctx, uint32_t slot, char *why, size_t why_len);
    /* Start a maintenance flow (US_MIGRATE_MAINT_START); @why as for vm_create. */
    us_err_t (*maint_start)(void *ctx, const struct us_maint_req *req, char *why, size_t why_len);
    us_err_t (*maint_status)(void *ctx, struct us_maint_status *out);
    us_err_t (*maint_abort)(void *ctx, char *why, size_t why_len);
    /* Times batches of n IPC call round trips to another server (n >= 1). */
    us_err_t (*debug_ipcbench)(void *ctx, uint32_t n, struct console_ipcbench_result *out);
    /* Debug build: offers `server crash` and the `debug` commands; otherwise they do not exist. */
    bool debug;
};

/* The last CONSOLE_SHELL_RING_SIZE bytes a VM printed while nobody was attached to it. */
struct console_shell_ring {
    uint32_t vmid;
    uint32_t head; /* index of the oldest byte */
    uint32_t len;
    bool used;
    char buf[CONSOLE_SHELL_RING_SIZE];
};

/* What the attached guest has printed on the terminal's current line (console_shell_guest.c). */
struct console_shell_gline {
    char text[CONSOLE_SHELL_GLINE_MAX];
    size_t len;
    bool open;   /* the cursor is not at the start of a line */
    bool whole;  /* text is all the line shows: it can be erased and drawn again */
    uint8_t esc; /* 1 after ESC, 2 inside a CSI sequence */
};

/* All shell state, no heap. Treat the fields as private to console_shell*.c. */
struct console_shell {
    struct console_shell_backend be;
    char line[CONSOLE_SHELL_LINE_MAX + 1];
    size_t line_len;
    bool line_too_long; /* characters were dropped: the line is refused at Enter */
    bool skip_lf;       /* the previous byte was CR: a following LF is the same line end */
    bool log_open;      /* a log line is half printed: the prompt is not on screen */
    bool started;       /* console_shell_start() has drawn the first prompt */
    bool attached;
    uint32_t attached_vmid;
    size_t out_len;
    char out[CONSOLE_SHELL_OUT_LEN]; /* staged terminal output, flushed in batches */
    char fmt[CONSOLE_SHELL_OUT_LEN]; /* us_snprintf scratch */
    char report[CONSOLE_SHELL_REPORT_LEN];
    struct console_shell_ring rings[CONSOLE_SHELL_RING_COUNT];
    struct console_shell_gline gline;
};

/**
 * console_shell_init() - reset @sh and bind it to a copy of @be. Prints nothing.
 * Returns: US_OK; US_EINVAL if @sh, @be or @be->write is NULL.
 */
us_err_t console_shell_init(struct console_shell *sh, const struct console_shell_backend *be);

/**
 * console_shell_start() - print the first prompt. Call once, after console_shell_init().
 */
void console_shell_start(struct console_shell *sh);

/**
 * console_shell_input() - feed @n bytes received from the operator's UART.
 * In command mode the bytes are edited into a line (CR or LF ends it, BS/DEL erases, other
 * control bytes are ignored) and each complete line runs as a command. While attached to a VM
 * the bytes go to the backend's guest_input, except Ctrl-], which detaches.
 * Returns: US_OK; US_EINVAL if @sh is NULL, or @bytes is NULL with @n > 0.
 */
us_err_t console_shell_input(struct console_shell *sh, const char *bytes, size_t n);

/**
 * console_shell_guest_output() - @n bytes a guest printed on its console.
 * Written to the terminal when attached to @vmid; otherwise the last CONSOLE_SHELL_RING_SIZE
 * bytes are kept (for up to CONSOLE_SHELL_RING_COUNT VMs) and replayed on the next attach.
 * Returns: US_OK; US_EINVAL if @sh is NULL, or @bytes is NULL with @n > 0; US_ENOMEM if every
 * ring already belongs to another VM (the bytes are dropped).
 */
us_err_t console_shell_guest_output(struct console_shell *sh, uint32_t vmid, const char *bytes,
                                    size_t n);

/**
 * console_shell_log() - @n bytes of the hypervisor log (LF line ends).
 * In command mode the prompt line is erased, the log is printed, and the prompt with the
 * half-typed line is drawn again, so log lines never break into a command or its output.
 * While attached a log line never breaks into the guest's unfinished line either: the line is
 * erased and drawn again below the log (or, if it cannot be drawn again, the log starts on
 * the next line).
 * Returns: US_OK; US_EINVAL if @sh is NULL, or @bytes is NULL with @n > 0.
 */
us_err_t console_shell_log(struct console_shell *sh, const char *bytes, size_t n);

/** console_shell_is_attached() - whether input currently goes to a guest. */
bool console_shell_is_attached(const struct console_shell *sh);

/*
 * Internal to console_shell.c and console_shell_fmt.c: output staging, escaping and the
 * listing commands. Output is staged in sh->out and reaches be.write on flush or when full.
 */
/* Attach the terminal to @vmid and replay what it printed meanwhile (console_shell_guest.c). */
void console_shell_guest_attach(struct console_shell *sh, uint32_t vmid);
/* Around a log chunk while attached: make room for it on the guest's line, then restore. */
void console_shell_guest_log_begin(struct console_shell *sh);
void console_shell_guest_log_end(struct console_shell *sh);
/* Length of a fixed-size name field that may lack its NUL. */
size_t console_shell_fmt_field_len(const char *s, size_t max);
void console_shell_fmt_out(struct console_shell *sh, const char *s, size_t n);
void console_shell_fmt_puts(struct console_shell *sh, const char *s);
void console_shell_fmt_flush(struct console_shell *sh);
/* Up to @max bytes of a fixed-size field, stopping at NUL; non-printables become '?'. */
void console_shell_fmt_text(struct console_shell *sh, const char *s, size_t max);
/* A JSON string, quotes included: up to @max bytes of @s, escaped (RFC 8259 s7). */
void console_shell_fmt_json_str(struct console_shell *sh, const char *s, size_t max);
/* "error: <what> <arg>: <why> (US_EXXX)", a server's refusal with its reason (@arg may be
 * NULL; without a reason, as console_shell_fmt_error()). */
void console_shell_fmt_refusal(struct console_shell *sh, const char *what, const char *arg,
                               us_err_t err, const char *why);
/* Copy @s into the field @dst[@size]; false if it is empty or does not fit with its NUL. */
bool console_shell_put_field(char *dst, size_t size, const char *s);
/* Add @word to the space-separated words in @dst[@size]; false if it does not fit. */
bool console_shell_append_word(char *dst, size_t size, const char *word);
/* "error: <what> <arg>: US_EXXX" (arg may be NULL). */
void console_shell_fmt_error(struct console_shell *sh, const char *what, const char *arg,
                             us_err_t err);
void console_shell_fmt_vm_list(struct console_shell *sh, bool json);
void console_shell_fmt_server_list(struct console_shell *sh, bool json);
void console_shell_fmt_hw_list(struct console_shell *sh, bool json);
void console_shell_fmt_mem_stats(struct console_shell *sh, bool json);
void console_shell_fmt_cpu_stats(struct console_shell *sh, bool json);
/* `hw hide` / `hw show` of device @dev for VM @slot, through the backend, and its report.
 * Returns false, having printed nothing, if @dev is not a device name. */
bool console_shell_fmt_hw_hide(struct console_shell *sh, uint32_t slot, const char *dev, bool hide);
/* Decimal only, no sign, must fit in 32 bits. */
bool console_shell_parse_u32(const char *s, uint32_t *out);
/** console_shell_parse_u64() - @s, all of it, as a decimal or 0x-hexadecimal number. */
bool console_shell_parse_u64(const char *s, uint64_t *out);

/* console_shell_vm.c: `vm create` and `vm retire`. Each returns false on a usage error,
 * having printed nothing. */
bool console_shell_hw_remove(struct console_shell *sh, size_t argc, const char *const *argv,
                             bool json);
bool console_shell_vm_create(struct console_shell *sh, size_t argc, const char *const *argv,
                             bool json);
bool console_shell_vm_retire(struct console_shell *sh, size_t argc, const char *const *argv,
                             bool json);
/* console_shell_maint.c: `maint upgrade-os`, `maint reconfigure`, `maint status`,
 * `maint abort`; false on a
 * usage error, having printed nothing. */
bool console_shell_maint_upgrade_os(struct console_shell *sh, size_t argc, const char *const *argv,
                                    bool json);
bool console_shell_maint_remove_device(struct console_shell *sh, size_t argc,
                                       const char *const *argv, bool json);
/** console_shell_parse_range() - argv[0] and argv[1] as a physical range's base and size
 * (decimal or 0x-hex), not empty and not wrapping. */
bool console_shell_parse_range(const char *const *argv, uint64_t *base, uint64_t *size);
bool console_shell_hw_audit(struct console_shell *sh, size_t argc, const char *const *argv,
                            bool json);
bool console_shell_hw_online(struct console_shell *sh, size_t argc, const char *const *argv,
                             bool json);
bool console_shell_maint_remove_memory(struct console_shell *sh, size_t argc,
                                       const char *const *argv, bool json);
bool console_shell_maint_add_device(struct console_shell *sh, size_t argc, const char *const *argv,
                                    bool json);
bool console_shell_maint_upgrade_app(struct console_shell *sh, size_t argc, const char *const *argv,
                                     bool json);
bool console_shell_maint_reconfigure(struct console_shell *sh, size_t argc, const char *const *argv,
                                     bool json);
bool console_shell_maint_status(struct console_shell *sh, size_t argc, const char *const *argv,
                                bool json);
bool console_shell_maint_abort(struct console_shell *sh, size_t argc, const char *const *argv,
                               bool json);
/* console_shell_backend.c: stand-ins (US_ENOTSUP) for the functions @b leaves NULL. */
void console_shell_backend_defaults(struct console_shell_backend *b);
