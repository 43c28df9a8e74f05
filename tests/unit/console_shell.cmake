# SPDX-License-Identifier: MIT
# The console server's operator shell, built from its sources with a fixture backend.
set(us_console_shell_sources
    ${CMAKE_SOURCE_DIR}/servers/console/console_shell.c
    ${CMAKE_SOURCE_DIR}/servers/console/console_shell_fmt.c
    ${CMAKE_SOURCE_DIR}/servers/console/console_shell_vm.c
    ${CMAKE_SOURCE_DIR}/servers/console/console_shell_backend.c
    ${CMAKE_SOURCE_DIR}/servers/console/console_shell_maint.c
    ${CMAKE_SOURCE_DIR}/servers/console/console_shell_guest.c)
us_unit_test(console_shell
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_console_shell.c ${CMAKE_CURRENT_LIST_DIR}/console_shell_fx.c
            ${us_console_shell_sources}
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/console
    LIBS us_lib_host
    CASES
        help_lists_all_commands
        vm_list_prints_table
        vm_list_json_shape
        server_list_table_and_json
        hw_list_table_and_json
        json_escapes_strings
        vm_console_routes_input
        vm_console_replays_buffered_output
        vm_console_ring_keeps_last_4k
        guest_output_rejects_ninth_vm
        vm_console_unknown_id
        command_unknown_gives_hint
        command_usage_errors
        release_hides_debug_commands
        backend_error_prints_name
        server_restart_calls_backend
        debug_badipc_prints_report
        debug_ipcbench_checks_n
        stats_mem_splits_usage
        stats_cpu_lists_each_cpu
        hw_hide_and_show
        backend_null_reports_enotsup
        init_rejects_null)

us_unit_test(console_shell_input
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_console_shell_input.c
            ${CMAKE_CURRENT_LIST_DIR}/console_shell_fx.c
            ${us_console_shell_sources}
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/console
    LIBS us_lib_host
    CASES
        line_backspace_erases
        line_overlong_rejected
        log_redraws_prompt_and_line
        log_keeps_guest_line_whole
        log_before_start_no_prompt
        line_crlf_single_end
        fuzz_random_bytes_bounded
        fuzz_command_tokens_bounded
)

# `vm create` and `vm retire`.
us_unit_test(console_shell_vm
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_console_shell_vm.c
            ${CMAKE_CURRENT_LIST_DIR}/console_shell_fx.c
            ${us_console_shell_sources}
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/console
    LIBS us_lib_host
    CASES create_builds_request create_and_retire_report_refusals create_usage_errors
          create_without_backend)

# `maint upgrade-os`, `maint status`, `maint abort`.
us_unit_test(console_shell_maint
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_console_shell_maint.c
            ${CMAKE_CURRENT_LIST_DIR}/console_shell_fx.c
            ${us_console_shell_sources}
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/console
    LIBS us_lib_host
    CASES upgrade_os_builds_request hw_audit_reports hw_online_gives_range_back device_flows_build_requests upgrade_app_names_image status_reports abort_reports
          maint_usage_errors
          maint_without_backend)
