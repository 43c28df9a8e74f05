# SPDX-License-Identifier: MIT
# devmgr's PCI enumeration against a simulated hierarchy (host bridge, root ports, endpoint).
us_unit_test(devmgr_pci
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_devmgr_pci.c
            ${CMAKE_SOURCE_DIR}/servers/devmgr/devmgr_pci.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/devmgr
    LIBS us_lib_host
    CASES pci_enumerates_and_assigns pci_reports_lack_of_room pci_hotplug_slot
          pci_ranges_finds_mem32)
