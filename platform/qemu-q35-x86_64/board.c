/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* QEMU q35 facts for the x86_64 kernel (docs/x86_64.md). */
#include <us/platform.h>
#include "board.h"

const char *plat_name(void)
{
    return "QEMU q35 (x86_64)";
}
