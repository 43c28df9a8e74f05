# SPDX-License-Identifier: MIT
# The kernel's generic core (kernel/*.c) built for the host against the fake architecture
# kernel/arch/host, with ASan/UBSan. With -DUS_COVERAGE=ON the core is built with gcov
# instrumentation (tools/coverage.sh, target `coverage`).
#
# The host model's thread frame (kernel/arch/host/frame/<arch>) is aarch64's or x86_64's: the
# tests that link the whole core run under both, so that generic code is checked against
# either architecture's registers and system-call convention (unit.x86_64.<module>.<case>).
set(US_KERNEL_HOST_INC_COMMON ${CMAKE_SOURCE_DIR}/kernel/include
    ${CMAKE_SOURCE_DIR}/kernel/arch/host/include ${CMAKE_SOURCE_DIR}/platform/qemu-virt-aarch64)
set(US_KERNEL_HOST_INC ${US_KERNEL_HOST_INC_COMMON}
    ${CMAKE_SOURCE_DIR}/kernel/arch/host/frame/aarch64)
set(US_KERNEL_HOST_INC_x86 ${US_KERNEL_HOST_INC_COMMON}
    ${CMAKE_SOURCE_DIR}/kernel/arch/host/frame/x86_64)
set(US_KERNEL_DIR ${CMAKE_SOURCE_DIR}/kernel)
set(US_KERNEL_COV_FLAGS)
if(US_COVERAGE)
    set(US_KERNEL_COV_FLAGS --coverage -O0)
endif()

# The fake architecture and board: a static library, so a test that provides a hook itself
# (test_vm_fastmmio) does not pull the fake's.
# The whole generic core is compiled once per frame for every test that links it.
file(GLOB US_KERNEL_CORE_SOURCES ${US_KERNEL_DIR}/*.c)
foreach(frame "" _x86)
    add_library(us_kernel_host_arch${frame} STATIC
        ${US_KERNEL_DIR}/arch/host/boot_host.c ${US_KERNEL_DIR}/arch/host/cpu_host.c
        ${US_KERNEL_DIR}/arch/host/irq_host.c ${US_KERNEL_DIR}/arch/host/klog_host.c
        ${US_KERNEL_DIR}/arch/host/mem_host.c ${US_KERNEL_DIR}/arch/host/mmu_host.c
        ${US_KERNEL_DIR}/arch/host/plat_host.c ${US_KERNEL_DIR}/arch/host/vcpu_host.c
        ${CMAKE_SOURCE_DIR}/platform/qemu-virt-aarch64/mmio.c)
    add_library(us_kernel_core_host${frame} OBJECT ${US_KERNEL_CORE_SOURCES})
    foreach(t us_kernel_host_arch${frame} us_kernel_core_host${frame})
        target_compile_options(${t} PRIVATE ${US_HOST_CFLAGS} ${US_SAN_FLAGS})
        target_compile_definitions(${t} PRIVATE US_DEBUG=1)
        target_include_directories(${t} PRIVATE ${US_KERNEL_HOST_INC${frame}}
            ${CMAKE_SOURCE_DIR}/ipc/include ${CMAKE_SOURCE_DIR}/lib/include)
    endforeach()
endforeach()
target_compile_options(us_kernel_core_host PRIVATE ${US_KERNEL_COV_FLAGS})

set_property(GLOBAL PROPERTY US_KERNEL_UNIT_TARGETS)

# us_kernel_test(MODULE SOURCES src... [CORE] CASES case...): a kernel unit test, labelled
# `kernel`. CORE links the whole generic core and the test fixtures (kernel_fx.c); without it
# SOURCES must name the kernel files it needs.
function(us_kernel_test module)
    cmake_parse_arguments(K "CORE" "" "SOURCES;CASES" ${ARGN})
    set(srcs ${K_SOURCES})
    if(K_CORE)
        list(APPEND srcs ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/kernel_fx.c
             $<TARGET_OBJECTS:us_kernel_core_host>)
    endif()
    us_unit_test(${module} SOURCES ${srcs} INCLUDES ${US_KERNEL_HOST_INC}
        LIBS us_kernel_host_arch us_lib_host LABELS kernel CASES ${K_CASES})
    target_compile_definitions(unit_${module} PRIVATE US_DEBUG=1)
    target_compile_options(unit_${module} PRIVATE ${US_KERNEL_COV_FLAGS})
    target_link_options(unit_${module} PRIVATE ${US_KERNEL_COV_FLAGS})
    set_property(GLOBAL APPEND PROPERTY US_KERNEL_UNIT_TARGETS unit_${module})
    if(K_CORE)
        # The same cases with x86_64's frame.
        us_unit_test(x86_64.${module} SOURCES ${K_SOURCES}
            ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/kernel_fx.c
            $<TARGET_OBJECTS:us_kernel_core_host_x86> INCLUDES ${US_KERNEL_HOST_INC_x86}
            LIBS us_kernel_host_arch_x86 us_lib_host LABELS kernel CASES ${K_CASES})
        target_compile_definitions(unit_x86_64.${module} PRIVATE US_DEBUG=1)
        set_property(GLOBAL APPEND PROPERTY US_KERNEL_UNIT_TARGETS unit_x86_64.${module})
    endif()
endfunction()

us_kernel_test(frame
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_frame.c ${US_KERNEL_DIR}/frame.c
    CASES alloc_returns_distinct_frames alloc_respects_alignment alloc_exhausts_with_enomem
          alloc_rejects_zero_count alloc_rejects_bad_alignment free_rejects_double_free
          free_rejects_out_of_range reserve_clips_to_pool contiguous_after_fragmentation
          random_alloc_free_keeps_counts offline_range_stays_out)

us_kernel_test(cap
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cap.c ${US_KERNEL_DIR}/cap.c
    CASES install_then_lookup lookup_rejects_handle_out_of_range lookup_rejects_empty_slot
          lookup_rejects_wrong_kind lookup_rejects_missing_rights install_rejects_taken_slot
          install_rejects_bad_kind install_rejects_null_object install_rejects_unknown_rights
          alloc_slot_finds_lowest_free alloc_slot_reports_full)

us_kernel_test(sched
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sched.c ${US_KERNEL_DIR}/sched.c
            ${US_KERNEL_DIR}/thread.c
    CASES picks_highest_priority tick_rotates_equal_priority handoff_runs_callee_directly
          handoff_yields_to_queued_higher handoff_waits_for_running_higher
          handoff_dropped_when_blocked handoff_second_wake_is_queued
          handoff_equal_priority_round_robin queue_remove_unlinks_any_position
          wake_remote_queues_and_kicks direct_switch_skips_the_queues
          direct_switch_refused_unless_next_by_the_rules direct_switch_yields_to_later_wake)

us_kernel_test(vm_fastmmio
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vm_fastmmio.c ${US_KERNEL_DIR}/vm.c
    CASES ring_and_word rejects_bad_entries latch_keeps_last_write w1c_reads_and_clears
          bell_sets_queue_bits nolock_takes_only_silent_kinds table_holds_uart_and_four_transports)

us_kernel_test(endpoint CORE
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_endpoint.c
    CASES call_waits_for_receiver recv_waits_for_caller senders_served_in_order
          call_rejects_long_message call_rejects_dead_owner reply_wakes_caller_with_message
          reply_rejects_no_caller reply_rejects_long_message recv_again_aborts_dropped_caller
          recv_takes_bound_notification vcpu_exit_reaches_handler vcpu_exit_finished_in_kernel
          reply_rejects_bad_resume recv_again_stops_dropped_vcpu
          abort_owner_fails_senders_keeps_vcpus vcpu_exit_to_dead_handler_queues
          call_and_reply_recv_switch_directly reply_recv_with_queued_sender_wakes_caller
          copy_is_exact)

us_kernel_test(notification CORE
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_notification.c
    CASES wait_takes_pending_bits signal_wakes_waiter wait_rejects_second_waiter
          signal_wakes_bound_receiver signal_without_waiter_keeps_bits)

us_kernel_test(process CORE
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_process.c
    CASES boot_starts_every_server boot_maps_bundle_in_place boot_copies_unaligned_bundle
          boot_rejects_bad_bundle boot_rejects_missing_manifest boot_rejects_manifest_hash
          boot_rejects_bad_manifest boot_rejects_missing_image boot_rejects_image_hash
          boot_rejects_bad_elf boot_rejects_mmio_over_ram boot_rejects_mmio_over_gic
          boot_rejects_mmio_that_wraps
          boot_rejects_irq_routed_twice boot_rejects_irq_not_spi boot_reports_enomem
          restart_reloads_from_image fault_records_and_stops fault_fails_client_waiting_for_reply fault_fails_queued_callers
          fault_fails_later_calls fault_while_receiving fault_while_calling
          watchdog_restarts_hung_server
          fault_while_queued_as_caller fault_while_waiting_notification fault_requeues_waiting_vcpu
          fault_spares_other_servers)

us_kernel_test(syscall CORE
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_syscall.c
    CASES dispatch_rejects_unknown_number log_appends_line log_rejects_long_text
          log_rejects_bad_level log_rejects_unmapped_text log_rejects_device_memory
          handle_rejects_out_of_range call_delivers_and_reply_recv_answers call_rejects_wrong_kind
          call_rejects_missing_right call_rejects_long_message call_rejects_faulted_server
          reply_recv_rejects_missing_right reply_recv_rejects_long_reply
          reply_recv_without_caller_receives signal_and_wait signal_rejects_missing_right
          wait_rejects_missing_right poll_takes_bits poll_rejects_missing_right
          yield_asks_for_reschedule irq_ack_lets_interrupt_fire_again irq_ack_rejects_wrong_kind
          mem_alloc_returns_memory_cap mem_alloc_aligns_large_blocks mem_alloc_rejects_bad_size
          mem_alloc_rejects_over_quota mem_alloc_rejects_full_table mem_alloc_rejects_wrong_kind
          mem_map_makes_memory_visible mem_map_rejects_bad_rights mem_map_rejects_missing_right
          mem_map_rejects_va_outside_dynamic mem_map_rejects_mapped_va mem_map_rejects_unaligned_va
          mem_info_rejects_wrong_kind server_ctl_counts_and_describes
          server_ctl_reports_memory_and_cpus server_ctl_rejects_bad_index
          server_ctl_rejects_unknown_op server_ctl_rejects_wrong_kind
          server_ctl_crash_makes_server_fault server_ctl_crash_wakes_waiting_server
          klog_read_copies_log klog_read_rejects_wrong_kind)

us_kernel_test(vm CORE
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vm.c
    CASES vm_create_returns_handle_and_vmid vm_create_rejects_wrong_kind
          vm_create_rejects_full_table vm_create_rejects_ninth_vm
          vcpu_create_fills_largest_config
          vm_create_reports_enomem_without_frames vm_map_maps_memory vm_map_rejects_bad_rights
          vm_map_rejects_missing_right vm_map_rejects_bad_ipa vm_map_rejects_mapped_ipa
          vcpu_create_returns_handle vcpu_create_rejects_bad_index vcpu_create_rejects_offline_cpu
          vcpu_create_rejects_send_only_endpoint vcpu_create_rejects_taken_index
          vcpu_create_rejects_full_table vcpu_create_rejects_exhausted_pool vcpu_start_runs_guest
          vcpu_start_rejects_started vcpu_stop_stops_guest vcpu_inject_makes_interrupt_pending
          vcpu_inject_rejects_bad_intid vm_fastmmio_sets_entries vm_fastmmio_rejects_bad_kind_word
          vm_fastmmio_rejects_missing_caps vm_destroy_frees_tables_at_once
          vm_destroy_revokes_every_handle vm_destroy_rejects_wrong_kind
          vm_destroy_drops_pending_exit vm_destroy_unqueues_waiting_exit
          vm_destroy_waits_for_remote_cpu vm_destroy_frees_once_remote_cpu_idles
          vm_destroy_reuses_vcpu_after_settle)

us_kernel_test(mem CORE
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_mem.c
    CASES unmap_removes_mapping unmap_removes_every_mapping unmap_rejects_unmapped
          unmap_rejects_bad_handle map_rejects_full_table vm_map_rejects_full_table
          free_rejects_mapped_in_server free_rejects_mapped_in_vm free_after_fastmmio_removed
          free_waits_for_dying_vm free_returns_frames_and_quota free_revokes_every_handle
          free_rejects_bad_handles slice_maps_part_of_window move_takes_server_object_out
          move_takes_ipc_buffer_out move_waits_for_busy_server
          move_leaves_pinned_and_guest_memory move_takes_guest_ram_under_parked_guest
          parked_guest_released_by_tick)

us_kernel_test(vcpu CORE
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vcpu.c
    CASES start_resets_on_first_run start_rejects_started wfi_sleeps_until_kick
          kick_leaves_running_vcpu tick_wakes_at_deadline tick_wakes_vcpu_in_a_later_slot
          inject_kicks_cpu_running_it
          inject_rejects_bad_intid ended_interrupt_is_reported_once exit_publishes_for_other_cpus reply_resets_vcpu reply_stops_vcpu
          reply_sets_register stop_keeps_remote_registers_until_settled
          local_tlbi_while_vcpus_share_a_cpu)

us_kernel_test(elf CORE
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_elf.c
    CASES loads_segments skips_other_segments maps_flagless_segment_read_only rejects_bad_header
          rejects_bad_segment rejects_entry_outside rejects_overlapping_segments
          rejects_trampoline_page reports_enomem)

us_kernel_test(irq CORE
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_irq.c
    CASES route_signals_until_acked route_rejects_non_spi route_rejects_routed_intid
          route_reports_full_table tick_rearms_and_reschedules tick_wakes_sleeping_vcpu
          vtimer_wakes_its_vcpu kick_and_stray_interrupts_are_deactivated)

us_kernel_test(klog CORE
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_klog.c
    CASES ring_keeps_lines read_past_end_starts_at_end read_of_overwritten_restarts_at_oldest
          reader_takes_over_uart printf_stamps_and_truncates panic_writes_uart_and_stops)

us_kernel_test(kmem CORE
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kmem.c
    CASES frames_come_zeroed_and_aligned pools_run_out pool_object_comes_cleared
          memobj_ram_is_zeroed_frames memobj_ram_rejects_bad_size
          memobj_ram_gives_object_back_without_frames memobj_window_describes_range)

us_kernel_test(main CORE
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_main.c
    CASES kmain_starts_servers_and_cpus kmain_skips_cpu_that_fails_to_start
          kmain_idles_when_image_refused kmain_panics_without_device_tree exit_idles_until_interrupt
          exit_charges_server_and_idle_time
          exit_keeps_current_without_switch)

# The aarch64 translation tables themselves, built for the host: the shim replaces only the
# system-register header.
us_unit_test(mmu_aarch64
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_mmu_aarch64.c ${US_KERNEL_DIR}/arch/aarch64/mmu.c
            ${CMAKE_CURRENT_LIST_DIR}/frames_fx.c
    INCLUDES ${CMAKE_CURRENT_LIST_DIR}/aarch64_shim ${US_KERNEL_DIR}/arch/aarch64/include
             ${US_KERNEL_DIR}/include ${CMAKE_SOURCE_DIR}/platform/qemu-virt-aarch64
    LABELS kernel
    CASES aspace_map_translates aspace_refuses_bad_arguments aspace_translate_refuses_device
          overlap_maps_nothing overlap_with_block_refused enomem_maps_nothing
          block_over_empty_table aligned_ram_uses_blocks stage2_free_drops_tlb aspace_unmap_pages
          aspace_unmap_block aspace_refuses_kernel_part vhe_space_shares_kernel
          relocation_moves_root)
set_property(GLOBAL APPEND PROPERTY US_KERNEL_UNIT_TARGETS unit_mmu_aarch64)

# An aarch64 vCPU's exit message, built for the host the same way.
us_unit_test(exit_msg_aarch64
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_exit_msg_aarch64.c
            ${US_KERNEL_DIR}/arch/aarch64/exit_msg.c
    INCLUDES ${CMAKE_CURRENT_LIST_DIR}/aarch64_shim ${US_KERNEL_DIR}/arch/aarch64/include
             ${US_KERNEL_DIR}/include ${CMAKE_SOURCE_DIR}/platform/qemu-virt-aarch64
    LABELS kernel
    CASES mmio_write_names_register_and_value mmio_read_is_not_a_write
          sysreg_direction_and_register hvc_carries_only_arguments eoi_carries_both_bitmaps)
set_property(GLOBAL APPEND PROPERTY US_KERNEL_UNIT_TARGETS unit_exit_msg_aarch64)

# The x86_64 page tables, on the host with tests/unit/x86_64_shim for CR3 and the TLB. The
# kernel's image bounds are absolute symbols, as the x86_64 kernel's linker script places them
# (text from 1 MiB, a page each), so this binary is not position-independent.
us_unit_test(mmu_x86_64
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_mmu_x86_64.c ${US_KERNEL_DIR}/arch/x86_64/mmu.c
            ${CMAKE_CURRENT_LIST_DIR}/frames_fx.c
    INCLUDES ${CMAKE_CURRENT_LIST_DIR}/x86_64_shim ${US_KERNEL_DIR}/arch/x86_64/include
             ${US_KERNEL_DIR}/include
    LABELS kernel
    CASES kernel_map_is_wx kernel_map_refuses_bad_layout server_space_shares_kernel
          aspace_map_translates aspace_refuses_bad_arguments io_grant_checks_ranges
          stage2_leaf_rights
          overlap_maps_nothing enomem_maps_nothing aligned_ram_uses_large_pages
          aspace_unmap_flushes_pcid relocation_moves_root relocation_moves_guest_page)
target_compile_options(unit_mmu_x86_64 PRIVATE -fno-pie)
target_link_options(unit_mmu_x86_64 PRIVATE -no-pie -Wl,--defsym,_image_start=0x100000
    -Wl,--defsym,_text_end=0x101000 -Wl,--defsym,_rodata_end=0x102000
    -Wl,--defsym,_image_end=0x103000)
set_property(GLOBAL APPEND PROPERTY US_KERNEL_UNIT_TARGETS unit_mmu_x86_64)

# A vCPU's local APIC on x86_64 (vlapic.c): plain logic, the time passed in.
us_unit_test(vlapic
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vlapic.c ${US_KERNEL_DIR}/arch/x86_64/vlapic.c
    INCLUDES ${US_KERNEL_DIR}/arch/x86_64/include ${US_KERNEL_DIR}/include
    LABELS kernel
    CASES starts_in_x2apic_mode priority_and_eoi self_ipis timer_tsc_deadline timer_counts
          refused_accesses icr_destinations xapic_window)
set_property(GLOBAL APPEND PROPERTY US_KERNEL_UNIT_TARGETS unit_vlapic)

# MMIO decoding on x86_64 (insn.c): the guest's page walk and its moves, guest RAM a buffer.
us_unit_test(x86_insn
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_x86_insn.c ${US_KERNEL_DIR}/arch/x86_64/insn.c
    LABELS kernel
    CASES moves_in_long_mode moves_in_other_modes refused long_mode_walks legacy_walks
          fetch_across_pages)
set_property(GLOBAL APPEND PROPERTY US_KERNEL_UNIT_TARGETS unit_x86_insn)

get_property(us_kernel_unit_targets GLOBAL PROPERTY US_KERNEL_UNIT_TARGETS)

# Build only the kernel's unit tests: cmake --build BUILD --target unit_kernel
add_custom_target(unit_kernel DEPENDS ${us_kernel_unit_targets})

# cmake --build BUILD --target coverage: line coverage of kernel/*.c by these tests, from an
# instrumented build in BUILD/coverage.
if(NOT US_COVERAGE)
    add_custom_target(coverage
        COMMAND ${CMAKE_SOURCE_DIR}/tools/coverage.sh ${CMAKE_BINARY_DIR}/coverage
                ${CMAKE_BINARY_DIR}/deps
        USES_TERMINAL VERBATIM)
endif()

# What the x86_64 kernel reads at boot on q35 (platform/qemu-q35-x86_64/pvh.c): start_info,
# the MADT's CPUs, Multiboot2. Not position-independent: its data must lie below 1 GiB, which
# is all the boot code reads.
us_unit_test(pvh
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_pvh.c ${CMAKE_SOURCE_DIR}/platform/qemu-q35-x86_64/pvh.c
    INCLUDES ${CMAKE_SOURCE_DIR}/platform/qemu-q35-x86_64 ${US_KERNEL_DIR}/include
             ${US_KERNEL_DIR}/arch/x86_64/include ${CMAKE_CURRENT_LIST_DIR}/x86_64_shim
    LABELS kernel
    CASES reads_start_info_and_madt cpus_capped bad_tables_leave_boot_cpu bad_entries_end_the_walk
          rsdp_from_bios_area bad_start_info_refused multiboot2_info)
target_compile_options(unit_pvh PRIVATE -fno-pie)
target_link_options(unit_pvh PRIVATE -no-pie)
set_property(GLOBAL APPEND PROPERTY US_KERNEL_UNIT_TARGETS unit_pvh)
