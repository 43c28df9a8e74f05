/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* uspack's compiler from the line-based text manifest (boot/manifest.txt) to manifest.h form. */
#include "uspack.h"
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <understudy/abi.h>
#include <understudy/manifest.h>
#include <uslib/manifest_parse.h>

/*
 * Grammar, one statement per line, '#' to end of line is a comment, words separated by blanks:
 *
 *   server NAME priority N [image NAME] [state_pages N] [heap_pages N]
 *   cap SLOT endpoint SERVER [badge N] [RIGHTS...]      default rights: send
 *   cap SLOT notification SERVER [RIGHTS...]            default: send recv
 *   cap SLOT mmio BASE SIZE [RIGHTS...]                 default: rw
 *   cap SLOT ioport BASE COUNT [RIGHTS...]              default: rw; x86_64 only
 *   cap SLOT irq INTID bit N [edge] [RIGHTS...]         default: all
 *   cap SLOT vm_control QUOTA [RIGHTS...]               default: all
 *   cap SLOT shared ID SIZE [RIGHTS...]          default: rw; same ID = same memory
 *   cap SLOT klog|server_ctl|bundle|platform_dtb [RIGHTS...]
 *                                   default: read for klog, bundle, platform_dtb; all otherwise
 *
 * RIGHTS are send, recv, read, write, exec, r, rw, rx, rwx, all. Numbers are decimal or 0x hex.
 * cap lines belong to the server line above them. SERVER names a server of the file, declared
 * before or after, and resolves to its index in declaration order.
 */

#define MANIFEST_MAX_WORDS 24
#define MANIFEST_LINE_MAX 512
#define MANIFEST_NAME_LEN sizeof(((struct us_manifest_server *)0)->name)

struct manifest_ctx {
    const char *path;
    unsigned line;
    unsigned errors;
    uint32_t server_count;
    struct us_manifest_server servers[US_MANIFEST_MAX_SERVERS];
    unsigned server_line[US_MANIFEST_MAX_SERVERS];
    bool has_priority[US_MANIFEST_MAX_SERVERS];
    /* Server names referenced by caps, resolved once the whole file is read. */
    char ref_name[US_MANIFEST_MAX_SERVERS][US_MANIFEST_MAX_CAPS][MANIFEST_NAME_LEN];
    unsigned cap_line[US_MANIFEST_MAX_SERVERS][US_MANIFEST_MAX_CAPS];
};

__attribute__((format(printf, 2, 3))) static void manifest_error(struct manifest_ctx *m,
                                                                 const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s:%u: ", m->path, m->line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    m->errors++;
}

static bool manifest_number(struct manifest_ctx *m, const char *word, const char *what,
                            uint64_t *out)
{
    const char *digits = word;
    int base = 10;
    char *end = NULL;

    if (word == NULL) {
        manifest_error(m, "missing %s", what);
        return false;
    }
    if (word[0] == '0' && (word[1] == 'x' || word[1] == 'X')) {
        digits = word + 2;
        base = 16;
    }
    /* strtoull accepts signs and blanks; a number here is digits only. */
    if (digits[0] == '\0' || digits[strspn(digits, "0123456789abcdefABCDEF")] != '\0' ||
        (base == 10 && digits[strspn(digits, "0123456789")] != '\0')) {
        manifest_error(m, "%s: '%s' is not a number", what, word);
        return false;
    }
    *out = strtoull(digits, &end, base);
    if (*out == UINT64_MAX) {
        manifest_error(m, "%s: '%s' is too large", what, word);
        return false;
    }
    return true;
}

static bool manifest_number32(struct manifest_ctx *m, const char *word, const char *what,
                              uint32_t *out)
{
    uint64_t v;

    if (!manifest_number(m, word, what, &v)) {
        return false;
    }
    if (v > UINT32_MAX) {
        manifest_error(m, "%s: '%s' is too large", what, word);
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static bool manifest_copy_name(struct manifest_ctx *m, char *dst, size_t dst_len, const char *word,
                               const char *what)
{
    if (word == NULL) {
        manifest_error(m, "missing %s", what);
        return false;
    }
    if (strlen(word) >= dst_len) {
        manifest_error(m, "%s '%s' longer than %zu characters", what, word, dst_len - 1);
        return false;
    }
    memset(dst, 0, dst_len);
    memcpy(dst, word, strlen(word));
    return true;
}

static uint32_t manifest_rights_word(const char *w)
{
    static const struct {
        const char *word;
        uint32_t rights;
    } table[] = {
        {"send", US_RIGHT_SEND},
        {"recv", US_RIGHT_RECV},
        {"read", US_RIGHT_READ},
        {"write", US_RIGHT_WRITE},
        {"exec", US_RIGHT_EXEC},
        {"r", US_RIGHT_READ},
        {"rw", US_RIGHT_READ | US_RIGHT_WRITE},
        {"rx", US_RIGHT_READ | US_RIGHT_EXEC},
        {"rwx", US_RIGHT_READ | US_RIGHT_WRITE | US_RIGHT_EXEC},
        {"all", US_RIGHT_ALL},
    };
    size_t i;

    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcmp(w, table[i].word) == 0) {
            return table[i].rights;
        }
    }
    return 0;
}

static void manifest_server_line(struct manifest_ctx *m, char **w, int n)
{
    struct us_manifest_server *s;
    uint32_t idx = m->server_count;
    int i;

    if (idx >= US_MANIFEST_MAX_SERVERS) {
        manifest_error(m, "more than %u servers", US_MANIFEST_MAX_SERVERS);
        return;
    }
    m->server_count++;
    s = &m->servers[idx];
    m->server_line[idx] = m->line;
    if (!manifest_copy_name(m, s->name, sizeof(s->name), n > 1 ? w[1] : NULL, "server name")) {
        return;
    }
    manifest_copy_name(m, s->image, sizeof(s->image), s->name, "image name");
    for (i = 2; i < n; i += 2) {
        const char *val = i + 1 < n ? w[i + 1] : NULL;

        if (strcmp(w[i], "priority") == 0) {
            m->has_priority[idx] = manifest_number32(m, val, "priority", &s->priority);
        } else if (strcmp(w[i], "image") == 0) {
            manifest_copy_name(m, s->image, sizeof(s->image), val, "image name");
        } else if (strcmp(w[i], "state_pages") == 0) {
            manifest_number32(m, val, "state_pages", &s->state_pages);
        } else if (strcmp(w[i], "heap_pages") == 0) {
            manifest_number32(m, val, "heap_pages", &s->heap_pages);
        } else {
            manifest_error(m, "unknown word '%s' in server line", w[i]);
            return;
        }
    }
}

/* Positional arguments of each kind; returns the index of the first optional word. */
static int manifest_cap_args(struct manifest_ctx *m, struct us_manifest_cap *c, char *ref,
                             size_t ref_len, char **w, int n)
{
    const char *a1 = n > 4 ? w[4] : NULL;
    const char *a2 = n > 5 ? w[5] : NULL;

    switch (c->kind) {
    case US_MCAP_ENDPOINT:
    case US_MCAP_NOTIFICATION:
        return manifest_copy_name(m, ref, ref_len, w[3], "server name") ? 4 : -1;
    case US_MCAP_MMIO:
        if (!manifest_number(m, w[3], "mmio base", &c->arg0) ||
            !manifest_number(m, a1, "mmio size", &c->arg1)) {
            return -1;
        }
        return 5;
    case US_MCAP_IRQ:
        if (!manifest_number(m, w[3], "irq number", &c->arg0)) {
            return -1;
        }
        if (a1 == NULL || strcmp(a1, "bit") != 0) {
            manifest_error(m, "expected 'bit N' after the irq number");
            return -1;
        }
        if (!manifest_number(m, a2, "notification bit", &c->arg1)) {
            return -1;
        }
        if (n > 6 && strcmp(w[6], "edge") == 0) {
            c->arg1 |= US_MCAP_IRQ_EDGE; /* a device that pulses its line (QEMU's SMMU) */
            return 7;
        }
        return 6;
    case US_MCAP_VM_CONTROL:
        return manifest_number(m, w[3], "vm quota", &c->arg0) ? 4 : -1;
    case US_MCAP_SHARED:
        if (!manifest_number(m, w[3], "shared region id", &c->arg0) ||
            !manifest_number(m, a1, "shared region size", &c->arg1)) {
            return -1;
        }
        return 5;
    case US_MCAP_IOPORT:
        if (!manifest_number(m, w[3], "first port", &c->arg0) ||
            !manifest_number(m, a1, "port count", &c->arg1)) {
            return -1;
        }
        return 5;
    default:
        return 3;
    }
}

static uint32_t manifest_default_rights(uint32_t kind)
{
    switch (kind) {
    case US_MCAP_ENDPOINT:
        return US_RIGHT_SEND;
    case US_MCAP_NOTIFICATION:
        return US_RIGHT_SEND | US_RIGHT_RECV;
    case US_MCAP_MMIO:
    case US_MCAP_SHARED:
    case US_MCAP_IOPORT:
        return US_RIGHT_READ | US_RIGHT_WRITE;
    case US_MCAP_KLOG:
    case US_MCAP_BUNDLE:
    case US_MCAP_PLATFORM_DTB:
        return US_RIGHT_READ;
    default:
        return US_RIGHT_ALL;
    }
}

static uint32_t manifest_kind(const char *w)
{
    uint32_t k;

    for (k = US_MCAP_ENDPOINT; k <= US_MCAP_IOPORT; k++) {
        if (strcmp(w, manifest_parse_kind_name(k)) == 0) {
            return k;
        }
    }
    return 0;
}

static void manifest_cap_line(struct manifest_ctx *m, char **w, int n)
{
    struct us_manifest_server *s;
    struct us_manifest_cap *c;
    uint32_t si, ci;
    bool has_rights = false;
    int i;

    if (m->server_count == 0) {
        manifest_error(m, "cap before any server line");
        return;
    }
    si = m->server_count - 1;
    s = &m->servers[si];
    if (s->cap_count >= US_MANIFEST_MAX_CAPS) {
        manifest_error(m, "server '%s' has more than %u caps", s->name, US_MANIFEST_MAX_CAPS);
        return;
    }
    ci = s->cap_count++;
    c = &s->caps[ci];
    m->cap_line[si][ci] = m->line;
    if (!manifest_number32(m, n > 1 ? w[1] : NULL, "slot", &c->slot)) {
        return;
    }
    if (n < 3 || (c->kind = manifest_kind(w[2])) == 0) {
        manifest_error(m, "unknown cap kind '%s'", n < 3 ? "" : w[2]);
        return;
    }
    if (n < 4 && (c->kind == US_MCAP_ENDPOINT || c->kind == US_MCAP_NOTIFICATION ||
                  c->kind == US_MCAP_MMIO || c->kind == US_MCAP_IRQ ||
                  c->kind == US_MCAP_VM_CONTROL || c->kind == US_MCAP_IOPORT)) {
        manifest_error(m, "%s cap needs arguments", w[2]);
        return;
    }
    i = manifest_cap_args(m, c, m->ref_name[si][ci], sizeof(m->ref_name[si][ci]), w, n);
    for (; i >= 0 && i < n; i++) {
        uint32_t r = manifest_rights_word(w[i]);

        if (r != 0) {
            c->rights |= r;
            has_rights = true;
        } else if (strcmp(w[i], "badge") == 0 && c->kind == US_MCAP_ENDPOINT) {
            i++;
            if (!manifest_number(m, i < n ? w[i] : NULL, "badge", &c->arg1)) {
                return;
            }
        } else {
            manifest_error(m, "unknown word '%s' in %s cap", w[i], w[2]);
            return;
        }
    }
    if (!has_rights) {
        c->rights = manifest_default_rights(c->kind);
    }
}

static void manifest_statement(struct manifest_ctx *m, char *text)
{
    char *w[MANIFEST_MAX_WORDS];
    int n = 0;
    char *hash = strchr(text, '#');
    char *tok;

    if (hash != NULL) {
        *hash = '\0';
    }
    for (tok = strtok(text, " \t\r\n"); tok != NULL; tok = strtok(NULL, " \t\r\n")) {
        if (n == MANIFEST_MAX_WORDS) {
            manifest_error(m, "more than %d words", MANIFEST_MAX_WORDS);
            return;
        }
        w[n++] = tok;
    }
    if (n == 0) {
        return;
    }
    if (strcmp(w[0], "server") == 0) {
        manifest_server_line(m, w, n);
    } else if (strcmp(w[0], "cap") == 0) {
        manifest_cap_line(m, w, n);
    } else {
        manifest_error(m, "unknown word '%s' (expected server or cap)", w[0]);
    }
}

static int manifest_find_server(const struct manifest_ctx *m, const char *name)
{
    uint32_t i;

    for (i = 0; i < m->server_count; i++) {
        if (strcmp(m->servers[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* Checks that need the whole file: required fields, names, server references, duplicates. */
static void manifest_resolve(struct manifest_ctx *m)
{
    uint32_t si, ci, j;

    if (m->server_count == 0) {
        manifest_error(m, "no servers declared");
    }
    for (si = 0; si < m->server_count; si++) {
        struct us_manifest_server *s = &m->servers[si];

        m->line = m->server_line[si];
        if (!m->has_priority[si]) {
            manifest_error(m, "server '%s' has no priority", s->name);
        }
        for (j = 0; j < si; j++) {
            if (strcmp(s->name, m->servers[j].name) == 0) {
                manifest_error(m, "server '%s' declared twice", s->name);
            }
        }
        for (ci = 0; ci < s->cap_count; ci++) {
            struct us_manifest_cap *c = &s->caps[ci];

            m->line = m->cap_line[si][ci];
            for (j = 0; j < ci; j++) {
                if (s->caps[j].slot == c->slot) {
                    manifest_error(m, "slot %u already used by server '%s'", c->slot, s->name);
                }
            }
            if (c->kind == US_MCAP_ENDPOINT || c->kind == US_MCAP_NOTIFICATION) {
                int ref = manifest_find_server(m, m->ref_name[si][ci]);

                if (ref < 0) {
                    manifest_error(m, "no server named '%s'", m->ref_name[si][ci]);
                } else {
                    c->arg0 = (uint64_t)ref;
                }
            }
        }
    }
}

/* Let lib/manifest_parse have the last word, so uspack never emits what the kernel rejects. */
static void manifest_final_check(struct manifest_ctx *m, const void *buf, size_t len)
{
    struct manifest_parse_diag diag;
    us_err_t err = manifest_parse_check_diag(buf, len, &diag);

    if (err == US_OK) {
        return;
    }
    m->line = 0;
    if (diag.server < m->server_count) {
        m->line = m->server_line[diag.server];
        if (diag.cap < m->servers[diag.server].cap_count) {
            m->line = m->cap_line[diag.server][diag.cap];
        }
    }
    manifest_error(m, "%s (%s)", diag.why, us_err_name(err));
}

us_err_t uspack_manifest_compile(const char *path, uint8_t **out, size_t *len)
{
    struct manifest_ctx *m;
    char text[MANIFEST_LINE_MAX];
    struct us_manifest_hdr *hdr;
    uint8_t *buf = NULL;
    size_t size = 0;
    us_err_t err = US_OK;
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        fprintf(stderr, "%s: cannot open manifest\n", path);
        return US_ENOENT;
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        fclose(f);
        return US_ENOMEM;
    }
    m->path = path;
    while (fgets(text, sizeof(text), f) != NULL) {
        m->line++;
        if (strchr(text, '\n') == NULL && !feof(f)) {
            manifest_error(m, "line longer than %d characters", MANIFEST_LINE_MAX - 2);
            break;
        }
        manifest_statement(m, text);
    }
    fclose(f);
    if (m->errors == 0) {
        manifest_resolve(m);
    }
    if (m->errors == 0) {
        size = sizeof(*hdr) + m->server_count * sizeof(m->servers[0]);
        buf = calloc(1, size);
        if (buf == NULL) {
            err = US_ENOMEM;
            goto out_free_ctx;
        }
        hdr = (struct us_manifest_hdr *)(void *)buf;
        memcpy(hdr->magic, US_MANIFEST_MAGIC, sizeof(hdr->magic));
        hdr->abi_revision = US_ABI_REVISION;
        hdr->server_count = m->server_count;
        memcpy(buf + sizeof(*hdr), m->servers, m->server_count * sizeof(m->servers[0]));
        manifest_final_check(m, buf, size);
    }
    if (m->errors != 0) {
        free(buf);
        err = US_EINVAL;
        goto out_free_ctx;
    }
    *out = buf;
    *len = size;
out_free_ctx:
    free(m);
    return err;
}
