/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The one error vocabulary shared by the kernel, the servers and their clients. */
#pragma once

#include <stdint.h>

/* Values are ABI: they travel in x0 and in us_msg_hdr.err. Append only. */
typedef enum us_err {
    US_OK = 0,
    US_EINVAL,   /* malformed argument */
    US_ECAP,     /* capability missing, wrong type or rights */
    US_ENOMEM,   /* out of frames, slots or quota */
    US_ERANGE,   /* address, size or index out of range */
    US_EBUSY,    /* object is in use or in the wrong state */
    US_EEXIST,   /* already exists */
    US_ENOENT,   /* no such object */
    US_ENOTSUP,  /* unknown label, syscall or operation */
    US_ETRUNC,   /* message shorter (or longer) than the label requires */
    US_ETIMEOUT, /* nothing arrived in time */
    US_EABORT,   /* peer died or was revoked mid-operation */
    US_ECORRUPT, /* image, bundle or blob failed a hash or structure check */
    US_ERR_COUNT /* keep last */
} us_err_t;

/** us_err_name() - stable upper-case name of an error ("US_EINVAL").
 * Returns: a static string; "US_E?" for values outside the enum. */
static inline const char *us_err_name(us_err_t e)
{
    static const char *const names[US_ERR_COUNT] = {
        "US_OK",       "US_EINVAL", "US_ECAP",     "US_ENOMEM",  "US_ERANGE",
        "US_EBUSY",    "US_EEXIST", "US_ENOENT",   "US_ENOTSUP", "US_ETRUNC",
        "US_ETIMEOUT", "US_EABORT", "US_ECORRUPT",
    };
    if ((unsigned)e >= (unsigned)US_ERR_COUNT) {
        return "US_E?";
    }
    return names[e];
}
