/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests of the console shell's line input: editing, log lines around the prompt, and
 * random input, against the fixture backend of console_shell_fx.h. */
#include "console_shell_fx.h"
#include <stdio.h>
#include <string.h>
#include <understudy/abi.h>
#include "ut.h"

static void line_backspace_erases(void)
{
    const char *out;

    fx_setup(true);
    out = fx_run("hw lisx\x7f");
    UT_EXPECT(strcmp(out, "hw lisx\b \b") == 0);
    out = fx_run("\bt\r");
    UT_EXPECT(strncmp(out, "\b \bt" NL "error: unknown command 'hw lit' (try",
                      strlen("\b \bt" NL "error: unknown command 'hw lit' (try")) == 0);
    out = fx_run("\b\x7f\b");
    UT_EXPECT_EQ(fx.out_len, 0); /* nothing to erase */
    out = fx_run("vm lisz\x08t\r");
    UT_EXPECT(has(out, "vm lisz\b \bt" NL "ID    NAME"));
    /* Other control bytes and non-ASCII are neither echoed nor kept. */
    out = fx_run("he\tl\x01\x1b\x80\xffp");
    UT_EXPECT(strcmp(out, "help") == 0);
    out = fx_run("\n");
    UT_EXPECT(has(out, "commands:"));
}

/* Feed @in as hypervisor log and return what the shell wrote. */
static const char *fx_log(const char *in)
{
    fx_clear_out();
    UT_EXPECT_EQ(console_shell_log(&sh, in, strlen(in)), US_OK);
    return fx.out;
}

static void log_redraws_prompt_and_line(void)
{
    const char *out;

    fx_setup(true);
    out = fx_run("vm li");
    /* A whole line: prompt erased, line printed with CRLF, prompt and typed text redrawn. */
    out = fx_log("[ 1.0] INFO vmm| a\n");
    UT_EXPECT(strcmp(out, "\r\x1b[K[ 1.0] INFO vmm| a" NL "us> vm li") == 0);
    /* Two lines in one chunk. */
    out = fx_log("b\nc\n");
    UT_EXPECT(strcmp(out, "\r\x1b[Kb" NL "c" NL "us> vm li") == 0);
    /* A line split across chunks: no redraw in between, no second erase. */
    out = fx_log("par");
    UT_EXPECT(strcmp(out, "\r\x1b[Kpar") == 0);
    out = fx_log("t\n");
    UT_EXPECT(strcmp(out, "t" NL "us> vm li") == 0);
    /* Keys while a log line is open: the line is ended and the prompt comes back first. */
    (void)fx_log("open");
    out = fx_run("s");
    UT_EXPECT(strcmp(out, NL "us> vm lis") == 0);
    out = fx_run("t\r");
    UT_EXPECT(has(out, "t" NL "ID    NAME"));
    /* Attached, the guest at the start of a line: log bytes pass through with CRLF. */
    (void)fx_run("vm console 0\r");
    out = fx_log("x\ny\n");
    UT_EXPECT(strcmp(out, "x" NL "y" NL) == 0);
    UT_EXPECT_EQ(console_shell_log(&sh, "", 0), US_OK);
    UT_EXPECT_EQ(console_shell_log(NULL, "x", 1), US_EINVAL);
    UT_EXPECT_EQ(console_shell_log(&sh, NULL, 1), US_EINVAL);
}

/* Feed @in as the attached guest's (vm 0) output and return what the shell wrote. */
static const char *fx_guest(const char *in)
{
    fx_clear_out();
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 0, in, strlen(in)), US_OK);
    return fx.out;
}

static void log_keeps_guest_line_whole(void)
{
    char long_line[CONSOLE_SHELL_GLINE_MAX + 2];
    const char *out;

    fx_setup(true);
    /* Printed before the attach: replayed, and its unfinished line is known. */
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 0, "boot\r\nguest# \x1b[6n", 17), US_OK);
    (void)fx_run("vm console 0\r");
    /* The prompt is erased, the log printed, the prompt drawn again without its query. */
    out = fx_log("[ 1.0] INFO vmm| a\n");
    UT_EXPECT(strcmp(out, "\r\x1b[K[ 1.0] INFO vmm| a" NL "guest# ") == 0);
    /* A line the guest has half printed comes back whole below the log (here a daemon's
     * line after the prompt, as in a boot script run in the background). */
    (void)fx_guest("kvd: listening on port 70");
    out = fx_log("b\nc\n");
    UT_EXPECT(strcmp(out, "\r\x1b[Kb" NL "c" NL "guest# kvd: listening on port 70") == 0);
    (void)fx_guest("00\r\n");
    UT_EXPECT(strcmp(fx_log("d\n"), "d" NL) == 0); /* at a line start: nothing to redo */
    /* A log line split across chunks: the guest line comes back after its end only. */
    (void)fx_guest("ab\bc");
    UT_EXPECT(strcmp(fx_log("par"), "\r\x1b[Kpar") == 0);
    UT_EXPECT(strcmp(fx_log("t\n"), "t" NL "ac") == 0);
    /* Guest bytes while a log line is unfinished: they start below it. */
    (void)fx_guest("\r\n");
    (void)fx_log("open");
    UT_EXPECT(strcmp(fx_guest("g"), NL "g") == 0);
    UT_EXPECT(strcmp(fx_log("rest\n"), "\r\x1b[Krest" NL "g") == 0);
    /* What cannot be drawn again (cursor moves, overlong lines) stays; the log goes below. */
    (void)fx_guest("\r\nxy\x1b[2D");
    UT_EXPECT(strcmp(fx_log("e\n"), NL "e" NL) == 0);
    UT_EXPECT(strcmp(fx_log("f\n"), "f" NL) == 0);
    memset(long_line, 'z', sizeof(long_line) - 1);
    long_line[sizeof(long_line) - 1] = '\0';
    (void)fx_guest("\r\n");
    (void)fx_guest(long_line);
    UT_EXPECT(strcmp(fx_log("g\n"), NL "g" NL) == 0);
}

static void log_before_start_no_prompt(void)
{
    struct console_shell fresh;
    struct console_shell_backend be = {.ctx = &fx, .write = fx_write};

    memset(&fx, 0, sizeof(fx));
    UT_EXPECT_EQ(console_shell_init(&fresh, &be), US_OK);
    UT_EXPECT_EQ(console_shell_log(&fresh, "early\n", 6), US_OK);
    UT_EXPECT(strcmp(fx.out, "early" NL) == 0);
    console_shell_start(&fresh);
    UT_EXPECT(strcmp(fx.out, "early" NL "us> ") == 0);
}

static void line_overlong_rejected(void)
{
    char line[CONSOLE_SHELL_LINE_MAX + 51];
    const char *out;
    size_t i, beeps = 0;

    fx_setup(true);
    memset(line, 'a', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    out = fx_run(line);
    for (i = 0; i < fx.out_len; i++) {
        beeps += out[i] == '\a';
    }
    UT_EXPECT_EQ(beeps, 50);
    UT_EXPECT_EQ(fx.out_len, CONSOLE_SHELL_LINE_MAX + 50);
    out = fx_run("\r");
    UT_EXPECT(strcmp(out, NL "error: line too long (max 200 characters)" NL "us> ") == 0);
    UT_EXPECT(has(fx_cmd("help"), "commands:"));
    /* Exactly the maximum is accepted. */
    line[CONSOLE_SHELL_LINE_MAX] = '\0';
    out = fx_cmd(line);
    UT_EXPECT(has(out, "error: unknown command 'aaaa"));
}

static void line_crlf_single_end(void)
{
    const char *out;

    fx_setup(true);
    out = fx_run("help\r\n");
    UT_EXPECT(has(out, "commands:"));
    UT_EXPECT_EQ(count(out, "us> "), 1);
    out = fx_run("\r\r");
    UT_EXPECT(strcmp(out, NL "us> " NL "us> ") == 0);
    out = fx_run("\n\n");
    UT_EXPECT(strcmp(out, NL "us> ") == 0); /* the first LF pairs with the last CR */
    /* The LF of the line that attaches must not reach the guest, even in the next chunk. */
    fx_run("vm console 0\r");
    fx_run("\nab\n");
    UT_EXPECT_EQ(fx.gin_len, 3);
    UT_EXPECT(memcmp(fx.gin, "ab\n", 3) == 0);
}

static uint32_t fuzz_state;

static uint32_t fuzz_next(void)
{
    fuzz_state = fuzz_state * 1103515245u + 12345u;
    return fuzz_state >> 8;
}

/* Invariants that must hold between any two calls, whatever came in. */
static void fuzz_check(size_t in_total)
{
    UT_EXPECT(sh.line_len <= CONSOLE_SHELL_LINE_MAX);
    UT_EXPECT_EQ(sh.out_len, 0);
    UT_EXPECT(fx.write_max <= CONSOLE_SHELL_RING_SIZE);
    /* Worst case per byte: one command line of a few bytes printing the longest listing. */
    UT_EXPECT(fx.out_total <= 64 * in_total + 4096);
    UT_EXPECT(fx.gin_total <= in_total);
}

static void fuzz_feed(const char *buf, size_t n, size_t *in_total)
{
    *in_total += n;
    UT_EXPECT_EQ(console_shell_input(&sh, buf, n), US_OK);
    if (fuzz_next() % 4 == 0) {
        char g[64];
        size_t i, gn = fuzz_next() % sizeof(g);

        for (i = 0; i < gn; i++) {
            g[i] = (char)fuzz_next();
        }
        *in_total += gn;
        console_shell_guest_output(&sh, fuzz_next() % 12, g, gn);
    }
    fuzz_check(*in_total);
    if (fx.out_len > FX_OUT_CAP / 2) {
        fx_clear_out();
    }
}

static void fuzz_random_bytes_bounded(void)
{
    char buf[97];
    size_t done = 0, in_total = 0;

    fx_setup(true);
    fuzz_state = 0x5eed;
    while (done < 100000) {
        size_t i, n = 1 + fuzz_next() % sizeof(buf);

        for (i = 0; i < n; i++) {
            buf[i] = (char)fuzz_next();
        }
        fuzz_feed(buf, n, &in_total);
        done += n;
    }
    UT_EXPECT(fx.out_total > 0);
}

/*
 * Valid command lines, mutated at random (words replaced, dropped or added, odd separators and
 * control bytes), reach the command and attach paths that random bytes almost never do.
 */
static void fuzz_command_tokens_bounded(void)
{
    static const char *const lines[] = {
        "help",
        "vm list",
        "vm list --json",
        "vm console 0",
        "vm console 1",
        "vm console 7",
        "server list",
        "server list --json",
        "server restart vmm",
        "server crash migrate",
        "hw list",
        "hw list --json",
        "debug badipc",
    };
    static const char *const words[] = {
        "vm",      "list",  "console", "0",          "1",           "5",          "server",
        "restart", "crash", "vmm",     "hw",         "debug",       "badipc",     "help",
        "--json",  "",      "x",       "4294967295", "99999999999", "\t",         "\x03",
        "\x7f",    "\b",    "\x1d",    "\r",         "\n",          "guest text",
    };
    static const char *const ends[] = {"\r", "\n", "\r\n", "\x1d", "\x1d\r", ""};
    char buf[512];
    size_t done = 0, in_total = 0;

    fx_setup(true);
    fuzz_state = 0xc0ffee;
    fx.err_vm_info_slot = 2;
    while (done < 100000) {
        const char *p = lines[fuzz_next() % (sizeof(lines) / sizeof(lines[0]))];
        const char *w;
        size_t len = 0;

        while (*p != '\0') {
            uint32_t r = fuzz_next() % 16;
            size_t wl = strcspn(p, " ");

            w = p;
            p += wl + (p[wl] == ' ');
            if (r == 0) {
                continue; /* dropped */
            }
            if (r == 1) {
                w = words[fuzz_next() % (sizeof(words) / sizeof(words[0]))];
                wl = strlen(w);
            }
            memcpy(buf + len, w, wl);
            len += wl;
            if (r == 2) {
                w = words[fuzz_next() % (sizeof(words) / sizeof(words[0]))];
                buf[len++] = ' ';
                memcpy(buf + len, w, strlen(w));
                len += strlen(w);
            }
            buf[len++] = ' ';
            while (len < 400 && fuzz_next() % 4 == 0) {
                buf[len++] = ' ';
            }
        }
        w = ends[fuzz_next() % (sizeof(ends) / sizeof(ends[0]))];
        memcpy(buf + len, w, strlen(w));
        len += strlen(w);
        if (fuzz_next() % 64 == 0) {
            fx.err_vm_info = fx.err_vm_info == US_OK ? US_EABORT : US_OK;
            fx.err_restart = fx.err_restart == US_OK ? US_EBUSY : US_OK;
            fx.err_guest_input = fx.err_guest_input == US_OK ? US_EBUSY : US_OK;
        }
        fuzz_feed(buf, len, &in_total);
        done += len;
    }
    UT_EXPECT(fx.restart_calls > 0);
    UT_EXPECT(fx.crash_calls > 0);
    UT_EXPECT(fx.gin_total > 0);
}

UT_MAIN({"line_backspace_erases", line_backspace_erases},
        {"line_overlong_rejected", line_overlong_rejected},
        {"log_redraws_prompt_and_line", log_redraws_prompt_and_line},
        {"log_keeps_guest_line_whole", log_keeps_guest_line_whole},
        {"log_before_start_no_prompt", log_before_start_no_prompt},
        {"line_crlf_single_end", line_crlf_single_end},
        {"fuzz_random_bytes_bounded", fuzz_random_bytes_bounded},
        {"fuzz_command_tokens_bounded", fuzz_command_tokens_bounded})
