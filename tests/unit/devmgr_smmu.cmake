# SPDX-License-Identifier: MIT
# devmgr's SMMUv3 structures: STE, CD, command and event encodings, and stage-1 tables built in a
# host buffer at a made-up physical address and walked back.
us_unit_test(devmgr_smmu
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_devmgr_smmu.c
            ${CMAKE_SOURCE_DIR}/servers/devmgr/devmgr_smmu_table.c
    INCLUDES ${CMAKE_SOURCE_DIR}/servers/devmgr
    LIBS us_lib_host
    CASES ste_abort_encoding ste_translate_encoding cd_encoding cmd_encoding
          pt_blocks_when_aligned pt_pages_when_unaligned pt_mixed_and_across_gib
          pt_outside_has_no_descriptor pt_rejects_bad_args pt_rejects_lack_of_room
          pt_free_keeps_the_others event_decode_and_names)
