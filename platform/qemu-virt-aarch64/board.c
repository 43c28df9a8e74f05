/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* QEMU virt board descriptor. */
#include <us/platform.h>
#include "board.h"

const char *plat_name(void)
{
    return PLAT_NAME;
}
