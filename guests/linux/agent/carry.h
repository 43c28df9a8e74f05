/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The agent's side of the vmm's carry service (servers/vmm/vmm_carry.c): an application's
 * state file goes up from one instance and down into another, checked by its SHA-256. */
#pragma once

#include <stddef.h>

#define CARRY_PORT 1025u

/** vsock_dial() - a stream connection to the host (the vmm, CID 2) on vsock @port.
 * Returns: the socket; -1 with errno set. */
int vsock_dial(unsigned port);

/**
 * carry_put() - upload the file @path to the vmm. On success @out holds "SIZE SHA256HEX".
 * Returns: 0; -1 with the reason in @out.
 */
int carry_put(const char *path, char *out, size_t cap);

/**
 * carry_get() - download the state whose SHA-256 is @hex into @path, and check it.
 * On success @out holds its size. Returns: 0; -1 with the reason in @out (@path removed).
 */
int carry_get(const char *hex, const char *path, char *out, size_t cap);

/**
 * carry_image() - download application image @name from the firmware bundle (the vmm checks
 * it against the bundle's sha256, and this again on arrival) into @path, executable.
 * Returns: 0; -1 with the reason in @out (@path removed).
 */
int carry_image(const char *name, const char *path, char *out, size_t cap);
