/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* SHA-256 block compression with the ARMv8 Cryptographic Extension (SHA256H, SHA256H2,
 * SHA256SU0, SHA256SU1): a sha256_blocks_fn for CPUs whose ID_AA64ISAR0_EL1.SHA2 is set.
 * x0: state a..h (8 words), x1: n 64-byte blocks, x2: n (> 0), x3: the 64 round constants.
 * Four rounds per step; v4..v7 hold the message schedule as a ring of four quad-words. */
    .arch armv8-a+crypto
    .text

/* One step of four rounds on quad-word w (and schedule update from w..w+3 when upd). */
    .macro quad, i, w0, w1, w2, w3, upd
    add v16.4s, \w0\().4s, v\i\().4s
    .if \upd
    sha256su0 \w0\().4s, \w1\().4s
    .endif
    mov v18.16b, v0.16b
    sha256h q0, q1, v16.4s
    sha256h2 q1, q18, v16.4s
    .if \upd
    sha256su1 \w0\().4s, \w2\().4s, \w3\().4s
    .endif
    .endm

    .global sha256_ce_blocks
sha256_ce_blocks:
    ld1 {v0.4s, v1.4s}, [x0]
    ld1 {v20.4s, v21.4s, v22.4s, v23.4s}, [x3], #64
    ld1 {v24.4s, v25.4s, v26.4s, v27.4s}, [x3], #64
    ld1 {v28.4s, v29.4s, v30.4s, v31.4s}, [x3], #64
    /* v8..v11 are callee-saved (low 64 bits): keep them, then load the last constants. */
    stp d8, d9, [sp, #-32]!
    stp d10, d11, [sp, #16]
    ld1 {v8.4s, v9.4s, v10.4s, v11.4s}, [x3]
1:  ld1 {v4.16b, v5.16b, v6.16b, v7.16b}, [x1], #64
    rev32 v4.16b, v4.16b
    rev32 v5.16b, v5.16b
    rev32 v6.16b, v6.16b
    rev32 v7.16b, v7.16b
    mov v2.16b, v0.16b
    mov v3.16b, v1.16b
    quad 20, v4, v5, v6, v7, 1
    quad 21, v5, v6, v7, v4, 1
    quad 22, v6, v7, v4, v5, 1
    quad 23, v7, v4, v5, v6, 1
    quad 24, v4, v5, v6, v7, 1
    quad 25, v5, v6, v7, v4, 1
    quad 26, v6, v7, v4, v5, 1
    quad 27, v7, v4, v5, v6, 1
    quad 28, v4, v5, v6, v7, 1
    quad 29, v5, v6, v7, v4, 1
    quad 30, v6, v7, v4, v5, 1
    quad 31, v7, v4, v5, v6, 1
    quad 8, v4, v5, v6, v7, 0
    quad 9, v5, v6, v7, v4, 0
    quad 10, v6, v7, v4, v5, 0
    quad 11, v7, v4, v5, v6, 0
    add v0.4s, v0.4s, v2.4s
    add v1.4s, v1.4s, v3.4s
    subs x2, x2, #1
    b.ne 1b
    st1 {v0.4s, v1.4s}, [x0]
    ldp d10, d11, [sp, #16]
    ldp d8, d9, [sp], #32
    ret
