# SPDX-License-Identifier: MIT
# Warning set shared by every C target, host and cross (CONTRIBUTING.md, "Formatting and flags").
set(US_WARN_FLAGS -Wall -Wextra -Werror -Wshadow -Wconversion -Wsign-conversion
    -Wmissing-prototypes -Wstrict-prototypes -Wswitch-default -Wvla -Wcast-qual)
