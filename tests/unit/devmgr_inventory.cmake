# SPDX-License-Identifier: MIT
# Unit tests of the devmgr inventory, fed the device tree of the QEMU the QEMU tests run.
find_program(US_QEMU_AARCH64 qemu-system-aarch64 REQUIRED)

# QEMU writes the DTB it would give a guest and exits; keep the machine options in sync with
# tests/qemu/usqemu.py.
set(us_virt_dtb ${CMAKE_CURRENT_BINARY_DIR}/virt.dtb)
add_custom_command(OUTPUT ${us_virt_dtb}
    COMMAND ${US_QEMU_AARCH64} -M virt,virtualization=on,gic-version=3,dumpdtb=${us_virt_dtb}
            -cpu cortex-a72 -m 256 -nographic -nodefaults
    COMMENT "Dumping the QEMU virt device tree (unit test input)"
    VERBATIM)
add_custom_target(unit_devmgr_inventory_dtb DEPENDS ${us_virt_dtb})

us_unit_test(devmgr_inventory
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_devmgr_inventory.c
            ${CMAKE_SOURCE_DIR}/servers/devmgr/devmgr_inventory.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/devmgr
    LIBS us_host_libfdt
    CASES
        inventory_lists_qemu_virt
        inventory_reports_overflow
        inventory_rejects_null_args
        inventory_rejects_truncated_blob
        inventory_rejects_bad_magic
        inventory_rejects_old_version
        inventory_rejects_random_corruption
        inventory_translates_buses)
add_dependencies(unit_devmgr_inventory unit_devmgr_inventory_dtb)
target_compile_definitions(unit_devmgr_inventory PRIVATE US_VIRT_DTB="${us_virt_dtb}")

# devmgr's per-VM view of the virtual devices (hw hide / hw show), with malformed asks.
us_unit_test(devmgr_view
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_devmgr_view.c
            ${CMAKE_SOURCE_DIR}/servers/devmgr/devmgr_view.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/devmgr
    LIBS us_lib_host
    CASES view_follows_hide_and_show malformed_asks_change_nothing)
