# SPDX-License-Identifier: MIT
# Unit tests of lib/ (sha256, fmt, stats, bundle and manifest parsers) and of the uspack CLI.
us_unit_test(sha256
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sha256.c
    LIBS us_lib_host
    CASES hashes_empty hashes_abc hashes_448_bits hashes_896_bits hashes_million_a
          split_updates_match pads_boundaries)

# A server's state region across restarts (lib/state.c).
us_unit_test(state
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_state.c
    LIBS us_lib_host
    CASES state_cold_start_zeroes state_restart_gets_last_commit state_corrupt_refused
          state_region_sizes state_crash_mid_commit_keeps_live)

us_unit_test(fmt
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fmt.c
    LIBS us_lib_host
    CASES formats_integers formats_width_precision formats_strings_and_pointers
          prints_null_like_glibc truncates handles_zero_size)

us_unit_test(bundle
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_bundle.c
    LIBS us_lib_host
    CASES accepts_valid find_rejects_missing_name rejects_bad_magic rejects_wrong_abi
          rejects_truncated rejects_bad_entry_count rejects_total_below_table
          rejects_entry_past_end rejects_offset_overflow rejects_misaligned_offset
          rejects_offset_in_table rejects_overlap rejects_unterminated_name
          rejects_bad_name_padding rejects_duplicate_name rejects_unknown_type
          rejects_flipped_component_byte rejects_flipped_table_byte rejects_misaligned_buffer
          diag_names_entry)

us_unit_test(manifest
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_manifest.c
    LIBS us_lib_host
    CASES accepts_valid rejects_bad_magic rejects_wrong_abi rejects_bad_length
          rejects_misaligned_buffer rejects_bad_server_count rejects_too_many_caps
          rejects_bad_names rejects_duplicate_server_name rejects_bad_priority
          rejects_slot_out_of_range rejects_duplicate_slot rejects_unknown_kind
          rejects_bad_ioport
          rejects_unknown_rights rejects_bad_shared rejects_endpoint_server_out_of_range
          rejects_notification_server_out_of_range rejects_kernel_badge rejects_bad_mmio
          rejects_bad_irq rejects_bad_vm_quota diag_names_cap)

# The uspack command line, end to end (tools/test_uspack.py).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
foreach(c manifest_rejects_unknown_word manifest_rejects_bad_references
          manifest_compiles_default bundle_roundtrip bundle_rejects_bad_inputs bundle_arch)
    add_test(NAME unit.uspack.${c}
        COMMAND Python3::Interpreter ${CMAKE_SOURCE_DIR}/tools/test_uspack.py
                --uspack $<TARGET_FILE:uspack> --manifest ${CMAKE_SOURCE_DIR}/boot/manifest.txt
                --work ${CMAKE_CURRENT_BINARY_DIR}/uspack_test ${c})
    set_tests_properties(unit.uspack.${c} PROPERTIES LABELS unit TIMEOUT 60)
endforeach()

us_unit_test(stats
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_stats.c
    LIBS us_lib_host
    CASES median_odd_even_empty median_no_overflow ticks_to_ns_exact)

# The IPC contract itself (ipc/include/understudy): header-only, so no library.
us_unit_test(ipc
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ipc.c
    INCLUDES ${CMAKE_SOURCE_DIR}/ipc/include
    CASES msg_init_sets_every_header_field msg_layout_is_abi msg_check_accepts_bounds
          msg_check_rejects_short msg_check_rejects_long_for_label msg_check_rejects_oversized
          resume_check_accepts_each_flag resume_check_rejects_wrong_label
          resume_check_rejects_short resume_check_rejects_unknown_flags
          resume_check_rejects_bad_register resume_check_rejects_bad_virq
          err_names_unique_and_bounded syscall_table_dense)

# The shared record rings of ipc/lib (ring.c): vmm <-> migrate agent channels.
us_unit_test(ring
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ring.c ${CMAKE_SOURCE_DIR}/ipc/lib/ring.c
    INCLUDES ${CMAKE_SOURCE_DIR}/ipc/include
    CASES records_round_trip_and_wrap full_ring_refuses_whole_record partial_record_waits)

# The server loop of ipc/lib (serve.c) with the kernel's answers scripted.
us_unit_test(serve
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_serve.c ${CMAKE_SOURCE_DIR}/ipc/lib/serve.c
    INCLUDES ${CMAKE_SOURCE_DIR}/ipc/include
    CASES accepted_reply_takes_next_message refused_reply_waits_afresh
          garble_waits_for_a_reply_to_someone)
target_compile_definitions(unit_serve PRIVATE US_DEBUG=1) # the fault injector is built

# The Linux guests' key-value service protocol (guests/linux/kvd), compiled for the host.
us_unit_test(kv_proto
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kv_proto.c ${CMAKE_SOURCE_DIR}/guests/linux/kvd/kv_proto.c
            ${CMAKE_SOURCE_DIR}/lib/sha256.c
    INCLUDES ${CMAKE_SOURCE_DIR}/guests/linux/kvd
    CASES set_get_del bad_requests_change_nothing store_full_then_room_after_delete
          million_keys random_ops_match_model snapshot_round_trip restore_refuses_corruption
          snapshot_reports_write_failure)

# migrate's side of the agent channels (servers/migrate/migrate.c).
us_unit_test(migrate_agents
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_migrate_agents.c
            ${CMAKE_SOURCE_DIR}/servers/migrate/migrate.c
            ${CMAKE_SOURCE_DIR}/servers/migrate/migrate_maint.c
            ${CMAKE_SOURCE_DIR}/servers/migrate/migrate_memory.c
            ${CMAKE_SOURCE_DIR}/servers/migrate/migrate_device.c ${CMAKE_SOURCE_DIR}/ipc/lib/ring.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/migrate
    LIBS us_lib_host
    CASES agent_session bad_calls_refused full_channel_refused lines_released_after_commit)

# migrate's maintenance transaction (servers/migrate/migrate_maint.c), with a fake vmm.
us_unit_test(migrate_maint
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_migrate_maint.c
            ${CMAKE_SOURCE_DIR}/servers/migrate/migrate.c
            ${CMAKE_SOURCE_DIR}/servers/migrate/migrate_maint.c
            ${CMAKE_SOURCE_DIR}/servers/migrate/migrate_memory.c
            ${CMAKE_SOURCE_DIR}/servers/migrate/migrate_device.c ${CMAKE_SOURCE_DIR}/ipc/lib/ring.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/migrate
    LIBS us_lib_host
    CASES restart_flow_happy_path refusals crash_before_seal remove_device_flow remove_device_aborted
          add_device_flow remove_memory_flow remove_memory_aborted
          abort_in_prepare abort_in_transfer
          understudy_lost_in_transfer bad_state_refused injected_faults reconfigure_two_legs
          understudy_app_down criu_flow redirect_flow)
target_compile_definitions(unit_migrate_maint PRIVATE US_DEBUG=1) # fault injection is built

# lib/string.c's memcpy and memset (the host's libc serves everything else), under other names.
us_unit_test(string
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_string.c
    CASES memcpy_every_alignment memset_every_alignment)
