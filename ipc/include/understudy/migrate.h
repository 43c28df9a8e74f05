/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Protocol of the migrate server. At this stage it answers US_LABEL_PING only. */
#pragma once

#include <understudy/msg.h>

#define US_MIGRATE_STATUS (US_LABEL_PROTO_BASE + 0x30u) /* reply w[0] = migrations done */
