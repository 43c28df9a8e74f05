/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The operator shell's side of the guests' consoles: the rings that keep what a guest printed
 * while nobody watched, and the attached guest's unfinished line, which a hypervisor log line
 * must not break. */
#include <string.h>

#include "console_shell.h"

static struct console_shell_ring *shell_ring(struct console_shell *sh, uint32_t vmid, bool create)
{
    size_t i;

    for (i = 0; i < CONSOLE_SHELL_RING_COUNT; i++) {
        if (sh->rings[i].used && sh->rings[i].vmid == vmid) {
            return &sh->rings[i];
        }
    }
    if (!create) {
        return NULL;
    }
    for (i = 0; i < CONSOLE_SHELL_RING_COUNT; i++) {
        if (!sh->rings[i].used) {
            sh->rings[i].used = true;
            sh->rings[i].vmid = vmid;
            sh->rings[i].head = 0;
            sh->rings[i].len = 0;
            return &sh->rings[i];
        }
    }
    return NULL;
}

static void shell_ring_push(struct console_shell_ring *r, const char *bytes, size_t n)
{
    size_t tail, first;

    if (n >= CONSOLE_SHELL_RING_SIZE) {
        memcpy(r->buf, bytes + (n - CONSOLE_SHELL_RING_SIZE), CONSOLE_SHELL_RING_SIZE);
        r->head = 0;
        r->len = CONSOLE_SHELL_RING_SIZE;
        return;
    }
    tail = (r->head + r->len) % CONSOLE_SHELL_RING_SIZE;
    first = CONSOLE_SHELL_RING_SIZE - tail;
    first = first < n ? first : n;
    memcpy(r->buf + tail, bytes, first);
    memcpy(r->buf, bytes + first, n - first);
    r->len += (uint32_t)n;
    if (r->len > CONSOLE_SHELL_RING_SIZE) {
        r->head = (r->head + (r->len - CONSOLE_SHELL_RING_SIZE)) % CONSOLE_SHELL_RING_SIZE;
        r->len = CONSOLE_SHELL_RING_SIZE;
    }
}

/*
 * Follow what the attached guest's bytes leave on the terminal's current line: the text since
 * the last line end, without the escape sequences (a cursor position query such as the
 * BusyBox shell's ESC [ 6 n must not be sent twice). A sequence that may move the cursor or
 * erase, a backspace past the start or a line longer than the copy makes the copy unusable;
 * the line is then left as it is and a log line starts below it.
 */
static void guest_line_feed(struct console_shell_gline *g, const char *bytes, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)bytes[i];

        if (g->esc == 1) { /* after ESC: CSI, or a two-byte sequence */
            g->esc = c == '[' ? 2 : 0;
            g->whole = g->whole && c == '[';
        } else if (g->esc == 2) { /* CSI parameters until the final byte */
            if (c >= 0x40 && c <= 0x7e) {
                g->esc = 0;
                /* a status query (n) or colours (m) leave the text alone */
                g->whole = g->whole && (c == 'n' || c == 'm');
            }
        } else if (c == 0x1b) {
            g->esc = 1;
        } else if (c == '\n' || c == '\r') {
            g->len = 0;
            g->open = false;
            g->whole = true;
        } else if (c == '\b') {
            if (g->len > 0) {
                g->len--;
            } else {
                g->whole = false;
            }
        } else if (c == '\t' || (c >= 0x20 && c != 0x7f)) {
            if (g->len < CONSOLE_SHELL_GLINE_MAX) {
                g->text[g->len++] = (char)c;
            } else {
                g->whole = false;
            }
            g->open = true;
        }
    }
}

static void guest_line_reset(struct console_shell_gline *g)
{
    memset(g, 0, sizeof(*g));
    g->whole = true;
}

void console_shell_guest_log_begin(struct console_shell *sh)
{
    struct console_shell_gline *g = &sh->gline;

    if (!g->open) {
        return;
    }
    if (g->whole) {
        console_shell_fmt_puts(sh, "\r\x1b[K"); /* erased, drawn again after the log */
        return;
    }
    console_shell_fmt_puts(sh, CONSOLE_SHELL_NL); /* kept; the rest of it comes below the log */
    guest_line_reset(g);
}

void console_shell_guest_log_end(struct console_shell *sh)
{
    struct console_shell_gline *g = &sh->gline;

    /* The line begin() erased: it has not changed since, as guest output ends the log line. */
    if (g->open && g->whole) {
        console_shell_fmt_out(sh, g->text, g->len);
    }
}

void console_shell_guest_attach(struct console_shell *sh, uint32_t vmid)
{
    struct console_shell_ring *r = shell_ring(sh, vmid, false);
    size_t first;

    sh->attached = true;
    sh->attached_vmid = vmid;
    guest_line_reset(&sh->gline);
    if (r == NULL) {
        return;
    }
    /* Replayed bytes have been seen: the ring starts over so a later attach shows only new
     * ones. */
    first = CONSOLE_SHELL_RING_SIZE - r->head;
    first = first < r->len ? first : r->len;
    console_shell_fmt_out(sh, r->buf + r->head, first);
    console_shell_fmt_out(sh, r->buf, r->len - first);
    guest_line_feed(&sh->gline, r->buf + r->head, first);
    guest_line_feed(&sh->gline, r->buf, r->len - first);
    r->head = 0;
    r->len = 0;
}

us_err_t console_shell_guest_output(struct console_shell *sh, uint32_t vmid, const char *bytes,
                                    size_t n)
{
    struct console_shell_ring *r;

    if (sh == NULL || (bytes == NULL && n > 0)) {
        return US_EINVAL;
    }
    if (n == 0) {
        return US_OK;
    }
    if (sh->attached && sh->attached_vmid == vmid) {
        if (sh->log_open) { /* the log line's end has not come: the guest's bytes go below it */
            console_shell_fmt_puts(sh, CONSOLE_SHELL_NL);
            sh->log_open = false;
        }
        console_shell_fmt_flush(sh);
        sh->be.write(sh->be.ctx, bytes, n);
        guest_line_feed(&sh->gline, bytes, n);
        return US_OK;
    }
    r = shell_ring(sh, vmid, true);
    if (r == NULL) {
        return US_ENOMEM;
    }
    shell_ring_push(r, bytes, n);
    return US_OK;
}
