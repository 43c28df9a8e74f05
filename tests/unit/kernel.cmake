# SPDX-License-Identifier: MIT
# Kernel core logic built for the host against kernel/arch/host.
set(US_KERNEL_HOST_INC ${CMAKE_SOURCE_DIR}/kernel/include)

us_unit_test(frame
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_frame.c ${CMAKE_SOURCE_DIR}/kernel/frame.c
            ${CMAKE_SOURCE_DIR}/kernel/arch/host/klog_host.c
    INCLUDES ${US_KERNEL_HOST_INC}
    CASES alloc_returns_distinct_frames alloc_respects_alignment alloc_exhausts_with_enomem
          alloc_rejects_zero_count alloc_rejects_bad_alignment free_rejects_double_free
          free_rejects_out_of_range reserve_clips_to_pool contiguous_after_fragmentation
          random_alloc_free_keeps_counts)

us_unit_test(cap
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_cap.c ${CMAKE_SOURCE_DIR}/kernel/cap.c
            ${CMAKE_SOURCE_DIR}/kernel/arch/host/klog_host.c
    INCLUDES ${US_KERNEL_HOST_INC}
    CASES install_then_lookup lookup_rejects_handle_out_of_range lookup_rejects_empty_slot
          lookup_rejects_wrong_kind lookup_rejects_missing_rights install_rejects_taken_slot
          install_rejects_bad_kind install_rejects_null_object install_rejects_unknown_rights
          copy_rejects_wider_rights copy_keeps_badge delete_empties_slot
          alloc_slot_finds_lowest_free alloc_slot_reports_full)

us_unit_test(sched
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_sched.c ${CMAKE_SOURCE_DIR}/kernel/sched.c
            ${CMAKE_SOURCE_DIR}/kernel/thread.c ${CMAKE_SOURCE_DIR}/kernel/arch/host/klog_host.c
            ${CMAKE_SOURCE_DIR}/kernel/arch/host/cpu_host.c
    INCLUDES ${US_KERNEL_HOST_INC} ${CMAKE_SOURCE_DIR}/kernel/arch/host/include
             ${CMAKE_SOURCE_DIR}/kernel/arch/aarch64/include
    CASES picks_highest_priority tick_rotates_equal_priority handoff_runs_callee_directly
          handoff_yields_to_queued_higher handoff_waits_for_running_higher
          handoff_dropped_when_blocked handoff_second_wake_is_queued
          handoff_equal_priority_round_robin)

us_unit_test(vm_fastmmio
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_vm_fastmmio.c ${CMAKE_SOURCE_DIR}/kernel/vm.c
            ${CMAKE_SOURCE_DIR}/kernel/arch/host/klog_host.c
    INCLUDES ${US_KERNEL_HOST_INC} ${CMAKE_SOURCE_DIR}/kernel/arch/host/include
             ${CMAKE_SOURCE_DIR}/kernel/arch/aarch64/include
    LIBS us_lib_host
    CASES ring_and_word rejects_bad_entries)
