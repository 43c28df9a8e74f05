# SPDX-License-Identifier: MIT
# Unit tests of the vmm: its system configuration parser (including the shipped boot/configs)
# and its GIC models.
find_program(US_DTC dtc REQUIRED)

set(us_vmm_config_dtb_dir ${CMAKE_CURRENT_BINARY_DIR}/vmm_config_dtbs)
set(us_vmm_config_dtbs)
foreach(cfg default hello two)
    set(dtb ${us_vmm_config_dtb_dir}/${cfg}.dtb)
    add_custom_command(OUTPUT ${dtb}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${us_vmm_config_dtb_dir}
        COMMAND ${US_DTC} -I dts -O dtb -o ${dtb} ${CMAKE_SOURCE_DIR}/boot/configs/${cfg}.dts
        DEPENDS ${CMAKE_SOURCE_DIR}/boot/configs/${cfg}.dts
        COMMENT "dtc boot/configs/${cfg}.dts (unit test input)"
        VERBATIM)
    list(APPEND us_vmm_config_dtbs ${dtb})
endforeach()
add_custom_target(unit_vmm_config_dtbs DEPENDS ${us_vmm_config_dtbs})

us_unit_test(vmm_config
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_config.c ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_config.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_host_libfdt
    CASES
        config_parses_default
        config_parses_hello
        config_rejects_bad_disk
        config_checks_passthrough
        config_parses_two
        config_parses_all_properties
        config_accepts_empty_vms
        config_rejects_null_args
        config_rejects_unaligned_blob
        config_rejects_truncated_blob
        config_rejects_bad_magic
        config_rejects_old_version
        config_rejects_stuck_tag
        config_rejects_random_corruption
        config_rejects_missing_vms
        config_rejects_bad_memory_size
        config_rejects_bad_vcpus
        config_rejects_too_many_vms
        config_rejects_unknown_device
        config_rejects_long_name
        config_rejects_duplicate_name
        config_rejects_long_strings
        config_rejects_unterminated_string
        config_rejects_missing_property
        config_rejects_unknown_property
        config_rejects_bad_root)
add_dependencies(unit_vmm_config unit_vmm_config_dtbs)

# The configuration of a VM created at run time (US_VMM_VM_CREATE).
us_unit_test(vmm_config_derive
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_config_derive.c
            ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_config.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_host_libfdt
    CASES derive_copies_base derive_passthrough derive_applies_changes derive_refuses_bad_fields
          derive_refuses_long_append)
target_compile_definitions(unit_vmm_config PRIVATE US_CONFIG_DTB_DIR="${us_vmm_config_dtb_dir}")

# The vmm's GICv3 distributor and redistributor models.
us_unit_test(vmm_gic
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_gic.c ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_gic.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_lib_host
    CASES gicd_identifies_v3 gicd_enables_set_and_clear gicd_priorities_bytes gicd_router_64bit
          gic_rejects_bad_size gic_ignores_other_addresses gicr_wake_handshake
          gicr_typer_per_vcpu gicr_sgi_frame_word0_only sgi_targets_list sgi_irm_all_but_self
          sgi_ignores_other_clusters_and_off)

# The vmm's virtio-mmio transport and block device, with hostile queues.
us_unit_test(vmm_virtio
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_virtio.c ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_virtio.c
    ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_input.c
            ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_net.c ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_switch.c
            ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_vsock.c ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_agent.c
            ${CMAKE_SOURCE_DIR}/ipc/lib/ring.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_lib_host
    CASES identifies_block_device driver_suppresses_used_interrupts
          writes_then_reads_sectors rejects_bad_requests_with_status
          hostile_chain_loop_needs_reset hostile_indices_and_rings
          reset_clears_transport_keeps_disk console_transmits_and_receives
          console_bad_tx_queue_needs_reset console_waits_for_ring_room
          notify_work_is_bounded)

# The vmm's virtio-net devices and switch, with a fake NIC and hostile queues.
set(us_vmm_net_test_sources ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_net.c
    ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_switch.c ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_virtio.c
    ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_input.c
    ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_vsock.c ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_agent.c
    ${CMAKE_SOURCE_DIR}/ipc/lib/ring.c)
us_unit_test(vmm_net
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_net.c ${us_vmm_net_test_sources}
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_lib_host
    CASES route_rules identifies_device_and_mac frame_between_guests uplink_and_broadcast
          hostile_frames_and_queues)

# A PC guest's port I/O, CPUID and MSR exits (vmm_pc.c), its I/O APIC and MMIO map
# (vmm_ioapic.c, vmm_board_pc.c).
us_unit_test(vmm_pc
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_pc.c ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_pc.c
            ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_input.c ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_board_pc.c
            ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_ioapic.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_lib_host
    CASES uart_status_reads_idle uart_output_goes_to_console uart_fast_path_gated
          other_ports_open_bus msr_and_cpuid
          uart_interrupt_through_8259 uart_input_interrupts uart_input_full_tells_console
          acpi_fixed_registers
          rtc_counts_from_2000 sipi_starts_vcpu
          ioapic_registers ioapic_delivers_to_its_destination virtio_through_8259)

us_unit_test(vmm_board_arm64
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_board_arm64.c
            ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_board_arm64.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_lib_host
    CASES uart_window_reaches_pl011 hidden_uart_is_unmapped gic_answers_first
          virtio_raises_enabled_line pcie_last_then_unmapped)

# An x86_64 guest's kernel placed and told of its machine (vmm_image_pc.c).
us_unit_test(vmm_image_pc
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_image_pc.c
            ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_image_pc.c ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_pc.c
            ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_input.c
            ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_board_pc.c
            ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_ioapic.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_lib_host
    CASES flat_image_at_1mib bzimage_boot_params bad_images_refused)

# The vmm's driver of the node's NIC (vmm_nic.c), the device played by the test.
us_unit_test(vmm_nic
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_nic.c ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_nic.c
            ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_nic_mmio.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_lib_host
    CASES rings_start send_reclaims_without_interrupt poll_switches_and_refills hostile_device
          no_nic)

# The NIC's transport on a PC (vmm_nic_pci.c): virtio-mmio's registers as virtio-pci's fields.
us_unit_test(vmm_nic_pci
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_nic_pci.c ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_nic_pci.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_lib_host
    CASES writes_reach_fields reads_come_from_fields doorbells no_nic)

# The switch's service addresses (vmm_switch.c): twins, connection tracking, hold and release,
# cut-over, and US_VMM_NET_SERVICE with hostile frames and requests.
us_unit_test(vmm_switch
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_switch.c ${CMAKE_CURRENT_LIST_DIR}/vmm_switch_fx.c
            ${us_vmm_net_test_sources}
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_lib_host
    CASES switch_twin_routing switch_standby_sends_nothing switch_learns_syn_ack
          switch_cutover_keeps_connections switch_learns_old_connections switch_rst_ends
          switch_fin_both_ways_ends switch_evicts_oldest switch_cutover_keeps_old
          switch_tracks_below_high_water)
us_unit_test(vmm_switch_hold
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_switch_hold.c
            ${CMAKE_CURRENT_LIST_DIR}/vmm_switch_fx.c ${us_vmm_net_test_sources}
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_lib_host
    CASES switch_hold_release_in_order switch_hold_queue_full switch_forget switch_status
          switch_service_errors switch_hostile_headers switch_forget_slot_on_retire
          switch_hold_all_holds_established)

# The vmm's virtio-vsock device and its connections, with hostile packets; and the agent port
# (vmm_agent.c) with its channel to migrate. Both use the fixture vmm_vsock_fx.c.
set(us_vsock_test_sources ${CMAKE_CURRENT_LIST_DIR}/vmm_vsock_fx.c
    ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_vsock.c ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_agent.c
    ${CMAKE_SOURCE_DIR}/ipc/lib/ring.c ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_virtio.c
    ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_input.c
    ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_net.c ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_switch.c)
us_unit_test(vmm_vsock
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_vsock.c ${us_vsock_test_sources}
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_lib_host
    CASES vsock_identifies_device_and_cid
          vsock_unlisted_port_gets_rst vsock_spoofed_cid_dropped vsock_respects_guest_credit
          vsock_queued_until_rx_buffers vsock_shutdown_and_rst_free_slot vsock_table_full_rst
          vsock_malformed_packets vsock_guest_past_credit_reset vsock_credit_request_answered
          vsock_reset_drops_connections vsock_driver_suppresses_rx_interrupts
          vsock_hidden_or_absent)
us_unit_test(vmm_vsock_agent
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_vsock_agent.c ${us_vsock_test_sources}
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_lib_host
    CASES vsock_agent_lines_reach_migrate vsock_agent_channel_full_resets)

# The carry service (vmm_carry.c) on the same fixture.
us_unit_test(vmm_carry
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_carry.c ${us_vsock_test_sources}
            ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_carry.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_lib_host
    CASES carry_refuses_bad_requests carry_put_then_get)
# The relay between an instance and its understudy (vmm_relay.c), from one VM.
us_unit_test(vmm_relay
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vmm_relay.c ${us_vsock_test_sources}
            ${CMAKE_SOURCE_DIR}/servers/vmm/vmm_relay.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/vmm
    LIBS us_lib_host
    CASES relay_refuses_bad_requests relay_join_waits_for_a_twin)
# The state's fixed address, moved to where a sanitized host process may map (the vmm's own
# lies in ASan's shadow gap).
target_compile_definitions(unit_vmm_carry PRIVATE VMM_CARRY_VA=0x200000000000ull)
