/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* us_snprintf: printf-style formatting into a bounded buffer, usable without libc. */
#include <uslib/fmt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

struct fmt_out {
    char *buf;
    size_t size;
    size_t len; /* bytes the output would take untruncated */
};

struct fmt_spec {
    bool left;
    bool zero;
    bool plus;
    bool space;
    bool alt;
    bool has_prec;
    size_t width;
    size_t prec;
};

enum fmt_len { FMT_INT, FMT_CHAR, FMT_SHORT, FMT_LONG, FMT_LLONG, FMT_SIZE, FMT_MAX, FMT_PTRDIFF };

static void fmt_putc(struct fmt_out *o, char c)
{
    if (o->size > 0 && o->len < o->size - 1) {
        o->buf[o->len] = c;
    }
    o->len++;
}

static void fmt_repeat(struct fmt_out *o, char c, size_t n)
{
    while (n > 0) {
        fmt_putc(o, c);
        n--;
    }
}

static void fmt_str(struct fmt_out *o, const struct fmt_spec *sp, const char *s)
{
    size_t n = 0;
    size_t pad;

    if (s == NULL) {
        s = (sp->has_prec && sp->prec < 6) ? "" : "(null)";
    }
    while ((!sp->has_prec || n < sp->prec) && s[n] != '\0') {
        n++;
    }
    pad = sp->width > n ? sp->width - n : 0;
    if (!sp->left) {
        fmt_repeat(o, ' ', pad);
    }
    for (size_t i = 0; i < n; i++) {
        fmt_putc(o, s[i]);
    }
    if (sp->left) {
        fmt_repeat(o, ' ', pad);
    }
}

/* Emit one integer: sign or prefix, zero fill (precision or '0' flag), digits, padding. */
static void fmt_uint(struct fmt_out *o, const struct fmt_spec *sp, uint64_t v, unsigned base,
                     bool upper, const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    size_t n = 0;
    size_t plen = 0;
    size_t zeros = 0;
    size_t total;
    size_t pad;

    if (v != 0 || !sp->has_prec || sp->prec != 0) {
        do {
            tmp[n++] = digits[v % base];
            v /= base;
        } while (v != 0);
    }
    if (base == 8 && sp->alt && (n == 0 || tmp[n - 1] != '0')) {
        tmp[n++] = '0';
    }
    while (prefix[plen] != '\0') {
        plen++;
    }
    if (sp->has_prec && sp->prec > n) {
        zeros = sp->prec - n;
    }
    total = plen + zeros + n;
    pad = sp->width > total ? sp->width - total : 0;
    if (sp->zero && !sp->left && !sp->has_prec) {
        zeros += pad;
        pad = 0;
    }
    if (!sp->left) {
        fmt_repeat(o, ' ', pad);
    }
    for (size_t i = 0; i < plen; i++) {
        fmt_putc(o, prefix[i]);
    }
    fmt_repeat(o, '0', zeros);
    while (n > 0) {
        fmt_putc(o, tmp[--n]);
    }
    if (sp->left) {
        fmt_repeat(o, ' ', pad);
    }
}

static int64_t fmt_arg_signed(va_list *ap, enum fmt_len len)
{
    switch (len) {
    case FMT_CHAR:
        return (signed char)va_arg(*ap, int);
    case FMT_SHORT:
        return (short)va_arg(*ap, int);
    case FMT_LONG:
        return va_arg(*ap, long);
    case FMT_LLONG:
        return va_arg(*ap, long long);
    case FMT_SIZE:
    case FMT_PTRDIFF:
        return va_arg(*ap, ptrdiff_t);
    case FMT_MAX:
        return va_arg(*ap, intmax_t);
    case FMT_INT:
    default:
        return va_arg(*ap, int);
    }
}

static uint64_t fmt_arg_unsigned(va_list *ap, enum fmt_len len)
{
    switch (len) {
    case FMT_CHAR:
        return (unsigned char)va_arg(*ap, unsigned int);
    case FMT_SHORT:
        return (unsigned short)va_arg(*ap, unsigned int);
    case FMT_LONG:
        return va_arg(*ap, unsigned long);
    case FMT_LLONG:
        return va_arg(*ap, unsigned long long);
    case FMT_SIZE:
    case FMT_PTRDIFF:
        return va_arg(*ap, size_t);
    case FMT_MAX:
        return va_arg(*ap, uintmax_t);
    case FMT_INT:
    default:
        return va_arg(*ap, unsigned int);
    }
}

/* Parse flags, width and precision at *pp; '*' arguments come from ap. */
static void fmt_parse_spec(const char **pp, va_list *ap, struct fmt_spec *sp)
{
    const char *p = *pp;

    for (;; p++) {
        if (*p == '-') {
            sp->left = true;
        } else if (*p == '0') {
            sp->zero = true;
        } else if (*p == '+') {
            sp->plus = true;
        } else if (*p == ' ') {
            sp->space = true;
        } else if (*p == '#') {
            sp->alt = true;
        } else {
            break;
        }
    }
    if (*p == '*') {
        int w = va_arg(*ap, int);

        if (w < 0) {
            sp->left = true;
            sp->width = (size_t)(0u - (unsigned int)w);
        } else {
            sp->width = (size_t)w;
        }
        p++;
    } else {
        while (*p >= '0' && *p <= '9') {
            sp->width = sp->width * 10u + (size_t)(*p - '0');
            p++;
        }
    }
    if (*p == '.') {
        p++;
        sp->has_prec = true;
        if (*p == '*') {
            int pr = va_arg(*ap, int);

            sp->has_prec = pr >= 0;
            sp->prec = pr >= 0 ? (size_t)pr : 0;
            p++;
        } else {
            while (*p >= '0' && *p <= '9') {
                sp->prec = sp->prec * 10u + (size_t)(*p - '0');
                p++;
            }
        }
    }
    *pp = p;
}

static enum fmt_len fmt_parse_len(const char **pp)
{
    const char *p = *pp;
    enum fmt_len len = FMT_INT;

    if (p[0] == 'h' && p[1] == 'h') {
        len = FMT_CHAR;
        p += 2;
    } else if (p[0] == 'h') {
        len = FMT_SHORT;
        p++;
    } else if (p[0] == 'l' && p[1] == 'l') {
        len = FMT_LLONG;
        p += 2;
    } else if (p[0] == 'l') {
        len = FMT_LONG;
        p++;
    } else if (p[0] == 'z') {
        len = FMT_SIZE;
        p++;
    } else if (p[0] == 'j') {
        len = FMT_MAX;
        p++;
    } else if (p[0] == 't') {
        len = FMT_PTRDIFF;
        p++;
    }
    *pp = p;
    return len;
}

static void fmt_signed(struct fmt_out *o, const struct fmt_spec *sp, int64_t v)
{
    const char *prefix = "";
    uint64_t mag;

    if (v < 0) {
        prefix = "-";
        mag = 0u - (uint64_t)v;
    } else {
        mag = (uint64_t)v;
        if (sp->plus) {
            prefix = "+";
        } else if (sp->space) {
            prefix = " ";
        }
    }
    fmt_uint(o, sp, mag, 10, false, prefix);
}

/* Handle one conversion starting just after '%'; returns the position after it. */
static const char *fmt_one(struct fmt_out *o, const char *p, va_list *ap)
{
    const char *start = p - 1;
    struct fmt_spec sp = {0};
    enum fmt_len len;
    uint64_t u;

    fmt_parse_spec(&p, ap, &sp);
    len = fmt_parse_len(&p);
    switch (*p) {
    case 'd':
    case 'i':
        fmt_signed(o, &sp, fmt_arg_signed(ap, len));
        break;
    case 'u':
        fmt_uint(o, &sp, fmt_arg_unsigned(ap, len), 10, false, "");
        break;
    case 'o':
        fmt_uint(o, &sp, fmt_arg_unsigned(ap, len), 8, false, "");
        break;
    case 'x':
    case 'X':
        u = fmt_arg_unsigned(ap, len);
        fmt_uint(o, &sp, u, 16, *p == 'X', (sp.alt && u != 0) ? (*p == 'X' ? "0X" : "0x") : "");
        break;
    case 'p':
        u = (uint64_t)(uintptr_t)va_arg(*ap, void *);
        if (u == 0) {
            sp.has_prec = false;
            fmt_str(o, &sp, "(nil)");
        } else {
            fmt_uint(o, &sp, u, 16, false, "0x");
        }
        break;
    case 'c': {
        char c[2] = {(char)va_arg(*ap, int), '\0'};
        size_t pad = sp.width > 1 ? sp.width - 1 : 0;

        if (!sp.left) {
            fmt_repeat(o, ' ', pad);
        }
        fmt_putc(o, c[0]);
        if (sp.left) {
            fmt_repeat(o, ' ', pad);
        }
        break;
    }
    case 's':
        fmt_str(o, &sp, va_arg(*ap, const char *));
        break;
    case '%':
        fmt_putc(o, '%');
        break;
    case '\0':
        /* A lone trailing '%': copy it and stop. */
        while (start < p) {
            fmt_putc(o, *start++);
        }
        return p;
    default:
        while (start <= p) {
            fmt_putc(o, *start++);
        }
        break;
    }
    return p + 1;
}

int us_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct fmt_out o = {buf, size, 0};
    const char *p = fmt;
    va_list aq;

    va_copy(aq, ap);
    while (*p != '\0') {
        if (*p != '%') {
            fmt_putc(&o, *p++);
            continue;
        }
        p = fmt_one(&o, p + 1, &aq);
    }
    va_end(aq);
    if (size > 0) {
        buf[o.len < size ? o.len : size - 1] = '\0';
    }
    return o.len > (size_t)INT_MAX ? INT_MAX : (int)o.len;
}

int us_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = us_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
