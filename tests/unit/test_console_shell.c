/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests of the console operator shell's commands and listings, against the fixture
 * backend of console_shell_fx.h. */
#include "console_shell_fx.h"
#include <stdio.h>
#include <string.h>
#include <understudy/abi.h>
#include "ut.h"

static void help_lists_all_commands(void)
{
    static const char *const forms[] = {
        "help",
        "vm list [--json]",
        "vm console N",
        "server list [--json]",
        "server restart NAME",
        "server crash NAME",
        "server corrupt NAME",
        "server hang NAME",
        "server garble NAME",
        "server exhaust NAME",
        "server ports NAME",
        "server fpcheck NAME",
        "hw list [--json]",
        "hw hide N DEVICE",
        "hw show N DEVICE",
        "hw remove DEV",
        "stats mem [--json]",
        "stats cpu [--json]",
        "debug badipc",
        "debug ipcbench N",
    };
    const char *out;
    size_t i;

    fx_setup(true);
    out = fx_cmd("help");
    UT_EXPECT(strncmp(out, "commands:" NL, 11) == 0);
    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        char line[64];

        snprintf(line, sizeof(line), NL "  %s ", forms[i]);
        if (!has(out, line)) {
            fprintf(stderr, "missing %s in:\n%s\n", forms[i], out);
        }
        UT_EXPECT(has(out, line));
    }
    UT_EXPECT(has(out, "list virtual machines" NL));
}

static void vm_list_prints_table(void)
{
    fx_setup(true);
    UT_EXPECT(strcmp(fx_cmd("vm list"),
                     "ID    NAME              STATE     VCPUS  MEM     EXITS" NL
                     "0     vm0               running   1      16M     123" NL
                     "1     linux             off       2      256M    4567" NL) == 0);
    fx.vms[2].state = US_VM_STATE_CRASHED;
    UT_EXPECT(has(fx_cmd("  vm   list  "), "1     linux             crashed   2"));
}

static void vm_list_json_shape(void)
{
    static const char expect[] =
        "{\"vms\":[{\"id\":0,\"name\":\"vm0\",\"state\":\"running\",\"vcpus\":1,"
        "\"mem\":16777216,\"ram_pa\":0,\"exits\":123},{\"id\":1,\"name\":\"linux\",\"state\":"
        "\"off\","
        "\"vcpus\":2,\"mem\":268435456,\"ram_pa\":0,\"exits\":4567}]}" NL;

    fx_setup(true);
    UT_EXPECT(strcmp(fx_cmd("vm list --json"), expect) == 0);
    UT_EXPECT(strcmp(fx_cmd("--json vm list"), expect) == 0);
    UT_EXPECT(strcmp(fx_cmd("vm --json list"), expect) == 0);
    fx.vms[0].state = US_VM_STATE_EMPTY;
    fx.vms[2].state = US_VM_STATE_EMPTY;
    UT_EXPECT(strcmp(fx_cmd("vm list --json"), "{\"vms\":[]}" NL) == 0);
}

static void server_list_table_and_json(void)
{
    const char *out;

    fx_setup(true);
    out = fx_cmd("server list");
    UT_EXPECT(strcmp(out, "NAME              STATE     PRIO  RESTARTS  FAULTS  LAST FAULT" NL
                          "vmm               running   10    0         0" NL
                          "devmgr            running   8     1         0" NL
                          "migrate           faulted   6     0         2       "
                          "far=0xdead0000 esr=0x92000046" NL
                          "console           running   4     0         0" NL) == 0);
    out = fx_cmd("server list --json");
    UT_EXPECT(strncmp(out,
                      "{\"servers\":[{\"name\":\"vmm\",\"state\":\"running\",\"prio\":10,"
                      "\"restarts\":0,\"faults\":0,\"fault_addr\":0,\"fault_esr\":0,"
                      "\"frames\":8},{\"name\":\"devmgr\",",
                      strlen("{\"servers\":[{\"name\":\"vmm\",\"state\":\"running\",\"prio\":10,"
                             "\"restarts\":0,\"faults\":0,\"fault_addr\":0,\"fault_esr\":0,"
                             "\"frames\":8},{\"name\":\"devmgr\",")) == 0);
    UT_EXPECT(has(out, "{\"name\":\"migrate\",\"state\":\"faulted\",\"prio\":6,\"restarts\":0,"
                       "\"faults\":2,\"fault_addr\":3735879680,\"fault_esr\":2449473606,"));
    UT_EXPECT(has(out, "\"frames\":8}]}" NL));
}

static void hw_list_table_and_json(void)
{
    fx_setup(true);
    UT_EXPECT(strcmp(fx_cmd("hw list"),
                     "NAME                      COMPATIBLE                BASE          SIZE    "
                     "IRQ   OWNER" NL
                     "pl011@9000000             arm,pl011                 0x09000000    4K      "
                     "33    hyp" NL
                     "virtio_mmio@a000000       virtio,mmio               0x0a000000    512     "
                     "48    guest" NL
                     "psci                      arm,psci-1.0              -             -       "
                     "-     none" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("hw list --json"),
                     "{\"devices\":[{\"name\":\"pl011@9000000\",\"compatible\":\"arm,pl011\","
                     "\"base\":150994944,\"size\":4096,\"irq\":33,\"owner\":\"hyp\"},"
                     "{\"name\":\"virtio_mmio@a000000\",\"compatible\":\"virtio,mmio\","
                     "\"base\":167772160,\"size\":512,\"irq\":48,\"owner\":\"guest\"},"
                     "{\"name\":\"psci\",\"compatible\":\"arm,psci-1.0\",\"base\":0,\"size\":0,"
                     "\"irq\":null,\"owner\":\"none\"}]}" NL) == 0);
}

static void json_escapes_strings(void)
{
    const char *out;

    fx_setup(true);
    memcpy(fx.vms[0].name, "a\"b\\c\n\x01\x7f\xff", 10);
    memcpy(fx.devs[0].compat, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 48); /* no NUL */
    out = fx_cmd("vm list --json");
    UT_EXPECT(has(out, "\"name\":\"a\\\"b\\\\c\\u000a\\u0001\\u007f\\u00ff\","));
    out = fx_cmd("vm list");
    UT_EXPECT(has(out, "0     a\"b\\c????         running"));
    out = fx_cmd("hw list --json");
    UT_EXPECT(has(out, "\"compatible\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\","));
}

static void vm_console_routes_input(void)
{
    const char *out;

    fx_setup(true);
    out = fx_run("vm console 1\r");
    UT_EXPECT(
        strcmp(out, "vm console 1" NL "attached to vm 1 (linux); press Ctrl-] to detach" NL) == 0);
    UT_EXPECT(console_shell_is_attached(&sh));
    out = fx_run("ls -l\r\x7f");
    UT_EXPECT_EQ(fx.out_len, 0); /* no echo: the guest echoes */
    UT_EXPECT_EQ(fx.gin_len, 7);
    UT_EXPECT(memcmp(fx.gin, "ls -l\r\x7f", 7) == 0);
    UT_EXPECT_EQ(fx.gin_vmid, 1);
    out = fx_run("x\x1dhelp");
    UT_EXPECT_EQ(fx.gin_len, 8);
    UT_EXPECT(!console_shell_is_attached(&sh));
    UT_EXPECT(strcmp(out, NL "detached" NL "us> help") == 0);
    out = fx_run("\r");
    UT_EXPECT(has(out, "commands:"));
    UT_EXPECT_EQ(fx.gin_len, 8);
    /* Ctrl-] in command mode is just an ignored control byte. */
    out = fx_run("\x1d");
    UT_EXPECT_EQ(fx.out_len, 0);
}

static void vm_console_replays_buffered_output(void)
{
    const char *out;

    fx_setup(true);
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 0, "boot ok\r\n", 9), US_OK);
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 1, "other\r\n", 7), US_OK);
    UT_EXPECT_EQ(fx.out_len, 0);
    out = fx_run("vm console 0\r");
    UT_EXPECT(strcmp(out, "vm console 0" NL "attached to vm 0 (vm0); press Ctrl-] to detach" NL
                          "boot ok\r\n") == 0);
    /* Live output of the attached VM goes straight out; others keep buffering. */
    fx_clear_out();
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 0, "$ ", 2), US_OK);
    UT_EXPECT(strcmp(fx.out, "$ ") == 0);
    fx_clear_out();
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 1, "more\r\n", 6), US_OK);
    UT_EXPECT_EQ(fx.out_len, 0);
    fx_run("\x1d");
    /* Replayed output is not shown twice. */
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 0, "late", 4), US_OK);
    out = fx_run("vm console 0\r");
    UT_EXPECT(has(out, "detach" NL "late"));
    UT_EXPECT(!has(out, "boot ok"));
    fx_run("\x1d");
    out = fx_run("vm console 1\r");
    UT_EXPECT(has(out, "detach" NL "other\r\nmore\r\n"));
}

static void vm_console_ring_keeps_last_4k(void)
{
    static char big[CONSOLE_SHELL_RING_SIZE + 1000];
    const char *out, *hdr = "vm console 0" NL "attached to vm 0 (vm0); press Ctrl-] to detach" NL;
    size_t i;

    fx_setup(true);
    for (i = 0; i < sizeof(big); i++) {
        big[i] = (char)('a' + i % 26);
    }
    /* Odd-sized pieces so the ring wraps at unaligned points. */
    for (i = 0; i < sizeof(big); i += 333) {
        size_t n = sizeof(big) - i < 333 ? sizeof(big) - i : 333;

        UT_EXPECT_EQ(console_shell_guest_output(&sh, 0, big + i, n), US_OK);
    }
    out = fx_run("vm console 0\r");
    UT_EXPECT_EQ(fx.out_len, strlen(hdr) + CONSOLE_SHELL_RING_SIZE);
    UT_EXPECT(memcmp(out + strlen(hdr), big + 1000, CONSOLE_SHELL_RING_SIZE) == 0);
    fx_run("\x1d");
    /* One piece larger than the ring keeps its tail. */
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 0, big, sizeof(big)), US_OK);
    out = fx_run("vm console 0\r");
    UT_EXPECT(memcmp(out + strlen(hdr), big + 1000, CONSOLE_SHELL_RING_SIZE) == 0);
}

static void guest_output_rejects_ninth_vm(void)
{
    uint32_t vmid;

    fx_setup(true);
    for (vmid = 10; vmid < 10 + CONSOLE_SHELL_RING_COUNT; vmid++) {
        UT_EXPECT_EQ(console_shell_guest_output(&sh, vmid, "x", 1), US_OK);
    }
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 99, "x", 1), US_ENOMEM);
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 10, "y", 1), US_OK);
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 10, NULL, 1), US_EINVAL);
    UT_EXPECT_EQ(console_shell_guest_output(&sh, 10, NULL, 0), US_OK);
    UT_EXPECT_EQ(console_shell_guest_output(NULL, 10, "x", 1), US_EINVAL);
    UT_EXPECT_EQ(fx.out_len, 0);
}

static void vm_console_unknown_id(void)
{
    fx_setup(true);
    UT_EXPECT(strcmp(fx_cmd("vm console 7"), "error: vm console 7: US_ENOENT" NL) == 0);
    /* Slot 1 is empty: its stale vmid must not attach. */
    UT_EXPECT(strcmp(fx_cmd("vm console 5"), "error: vm console 5: US_ENOENT" NL) == 0);
    UT_EXPECT(
        strcmp(fx_cmd("vm console 4294967295"), "error: vm console 4294967295: US_ENOENT" NL) == 0);
    UT_EXPECT(!console_shell_is_attached(&sh));
}

static void command_unknown_gives_hint(void)
{
    fx_setup(true);
    UT_EXPECT(strcmp(fx_cmd("xyz"), "error: unknown command 'xyz' (try 'help')" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("xyz vm list"), "error: unknown command 'xyz' (try 'help')" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("vm stop 1"), "error: unknown command 'vm stop' (try 'help')" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("--json"), "error: unknown command '--json' (try 'help')" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("HELP"), "error: unknown command 'HELP' (try 'help')" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd(""), "") == 0);
    UT_EXPECT(strcmp(fx_cmd("    "), "") == 0);
}

static void command_usage_errors(void)
{
    static const char *const cases[][2] = {
        {"help me", "help"},
        {"help --json", "help"},
        {"vm", "vm list [--json] | vm console N | vm create NAME FROM [key=value...] [--json] | "
               "vm retire N"},
        {"vm list 0", "vm list [--json]"},
        {"vm console", "vm console N"},
        {"vm console x1", "vm console N"},
        {"vm console -1", "vm console N"},
        {"vm console 4294967296", "vm console N"},
        {"vm console 1 2", "vm console N"},
        {"vm console 1 --json", "vm console N"},
        {"server", "server list [--json] | server restart NAME | server crash NAME | server "
                   "corrupt NAME | server hang NAME | server garble NAME | server exhaust NAME | "
                   "server ports NAME | server fpcheck NAME"},
        {"server hang", "server hang NAME"},
        {"server garble a b", "server garble NAME"},
        {"server corrupt", "server corrupt NAME"},
        {"server list vmm", "server list [--json]"},
        {"server restart", "server restart NAME"},
        {"server restart a b", "server restart NAME"},
        {"server crash", "server crash NAME"},
        {"server crash vmm --json", "server crash NAME"},
        {"hw", "hw list [--json] | hw hide N DEVICE | hw show N DEVICE | hw remove DEV | "
               "hw audit BASE SIZE [--json] | hw online"},
        {"hw online 0x1000", "hw online"},
        {"hw remove", "hw remove DEV"},
        {"hw hide 0", "hw hide N DEVICE"},
        {"hw list a b c d e f g h i j", "hw list [--json]"},
        {"debug", "debug badipc | debug ipcbench N"},
        {"debug badipc now", "debug badipc"},
    };
    size_t i;

    fx_setup(true);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char expect[256];
        const char *out = fx_cmd(cases[i][0]);

        snprintf(expect, sizeof(expect), "error: usage: %s" NL, cases[i][1]);
        if (strcmp(out, expect) != 0) {
            fprintf(stderr, "'%s' gave '%s'\n", cases[i][0], out);
        }
        UT_EXPECT(strcmp(out, expect) == 0);
    }
    UT_EXPECT_EQ(fx.restart_calls + fx.crash_calls, 0);
    UT_EXPECT(!console_shell_is_attached(&sh));
}

static void release_hides_debug_commands(void)
{
    const char *out;

    fx_setup(false);
    out = fx_cmd("help");
    UT_EXPECT(!has(out, "crash"));
    UT_EXPECT(!has(out, "debug"));
    UT_EXPECT(has(out, "server restart NAME"));
    UT_EXPECT(strcmp(fx_cmd("server crash vmm"),
                     "error: unknown command 'server crash' (try 'help')" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("debug badipc"), "error: unknown command 'debug' (try 'help')" NL) ==
              0);
    UT_EXPECT(strcmp(fx_cmd("debug"), "error: unknown command 'debug' (try 'help')" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("server"),
                     "error: usage: server list [--json] | server restart NAME" NL) == 0);
    UT_EXPECT_EQ(fx.crash_calls, 0);
}

static void backend_error_prints_name(void)
{
    const char *out;

    fx_setup(true);
    fx.err_vm_count = US_EABORT;
    UT_EXPECT(strcmp(fx_cmd("vm list"), "error: vm list: US_EABORT" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("vm list --json"), "error: vm list: US_EABORT" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("vm console 0"), "error: vm console 0: US_EABORT" NL) == 0);
    fx.err_vm_count = US_OK;
    fx.err_vm_info = US_ETIMEOUT;
    fx.err_vm_info_slot = 2;
    out = fx_cmd("vm list --json");
    UT_EXPECT(strcmp(out, "{\"vms\":[{\"id\":0,\"name\":\"vm0\",\"state\":\"running\",\"vcpus\":1,"
                          "\"mem\":16777216,\"ram_pa\":0,\"exits\":123}]}" NL
                          "error: vm list: US_ETIMEOUT" NL) == 0);
    fx.err_server_count = US_ECAP;
    UT_EXPECT(strcmp(fx_cmd("server list"), "error: server list: US_ECAP" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("server restart vmm"), "error: server restart vmm: US_ECAP" NL) == 0);
    fx.err_server_count = US_OK;
    fx.err_restart = US_EBUSY;
    UT_EXPECT(strcmp(fx_cmd("server restart vmm"), "error: server restart vmm: US_EBUSY" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("server restart nope"), "error: server restart nope: US_ENOENT" NL) ==
              0);
    /* A prefix of a name is not the name. */
    UT_EXPECT(strcmp(fx_cmd("server restart vm"), "error: server restart vm: US_ENOENT" NL) == 0);
    fx.err_crash = US_ENOTSUP;
    UT_EXPECT(strcmp(fx_cmd("server crash devmgr"), "error: server crash devmgr: US_ENOTSUP" NL) ==
              0);
    fx.err_dev_count = US_ENOMEM;
    UT_EXPECT(strcmp(fx_cmd("hw list --json"), "error: hw list: US_ENOMEM" NL) == 0);
    fx.err_guest_input = US_EBUSY;
    fx_run("vm console 0\r");
    out = fx_run("q");
    UT_EXPECT(strcmp(out, NL "error: guest input: US_EBUSY" NL) == 0);
    UT_EXPECT(console_shell_is_attached(&sh));
    fx.err_badipc = US_EABORT;
    fx_run("\x1d");
    UT_EXPECT(strcmp(fx_cmd("debug badipc"), "error: debug badipc: US_EABORT" NL) == 0);
}

static void server_restart_calls_backend(void)
{
    fx_setup(true);
    UT_EXPECT(strcmp(fx_cmd("server restart migrate"), "ok" NL) == 0);
    UT_EXPECT_EQ(fx.restart_calls, 1);
    UT_EXPECT_EQ(fx.last_idx, 2);
    UT_EXPECT(strcmp(fx_cmd("server crash console"), "ok" NL) == 0);
    UT_EXPECT_EQ(fx.crash_calls, 1);
    UT_EXPECT_EQ(fx.last_idx, 3);
    /* A 16-byte name without its NUL still matches exactly. */
    memcpy(fx.servers[1].name, "abcdefghijklmnop", 16);
    UT_EXPECT(strcmp(fx_cmd("server restart abcdefghijklmnop"), "ok" NL) == 0);
    UT_EXPECT_EQ(fx.last_idx, 1);
    UT_EXPECT(has(fx_cmd("server list"), NL "abcdefghijklmnop  running"));
    /* Nameless slots are unused: not listed, never matched. */
    memset(fx.servers[3].name, 0, sizeof(fx.servers[3].name));
    UT_EXPECT(!has(fx_cmd("server list"), "console"));
}

static void debug_badipc_prints_report(void)
{
    fx_setup(true);
    fx.report = "vmm: bad label -> US_ENOTSUP\n\tdevmgr: short -> US_ETRUNC\x01";
    UT_EXPECT(strcmp(fx_cmd("debug badipc"),
                     "vmm: bad label -> US_ENOTSUP" NL " devmgr: short -> US_ETRUNC?" NL) == 0);
    fx.report = "done\n";
    UT_EXPECT(strcmp(fx_cmd("debug badipc"), "done" NL) == 0);
}

static void stats_mem_splits_usage(void)
{
    fx_setup(true);
    /* 1 GiB, 600 MiB free, 40 MiB boot image; the fixture's running and off VMs count
     * (16 MiB + 256 MiB), the empty slot does not. Hypervisor: 424 - 272 - 40 = 112 MiB. */
    fx.mem.total = 1024ull << 20;
    fx.mem.free = 600ull << 20;
    fx.mem.boot_image = 40ull << 20;
    UT_EXPECT(strcmp(fx_cmd("stats mem"), "total 1048576K  free 614400K  guests 278528K  "
                                          "boot image 40960K  hypervisor 114688K" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("stats mem --json"),
                     "{\"mem\":{\"total\":1073741824,\"free\":629145600,\"guests\":285212672,"
                     "\"boot_image\":41943040,\"hypervisor\":117440512}}" NL) == 0);
    /* Figures that do not add up never print a negative (wrapped) hypervisor size. */
    fx.mem.free = fx.mem.total;
    UT_EXPECT(has(fx_cmd("stats mem"), "hypervisor 0K"));
    fx.err_mem = US_ECAP;
    UT_EXPECT(strcmp(fx_cmd("stats mem"), "error: stats mem: US_ECAP" NL) == 0);
    UT_EXPECT(has(fx_cmd("stats mem extra"), "error: usage: stats mem [--json]"));
}

static void hw_hide_and_show(void)
{
    fx_setup(true);
    UT_EXPECT(strcmp(fx_cmd("hw hide 1 virtio-blk"),
                     "vm 1: virtio-blk hidden from its next boot; hidden: virtio-blk" NL) == 0);
    UT_EXPECT(fx.hide_slot == 1 && fx.hide_mask == US_GUEST_DEV_VIRTIO_BLK && fx.hide_on);
    UT_EXPECT(strcmp(fx_cmd("hw hide 1 uart"),
                     "vm 1: uart hidden from its next boot; hidden: uart virtio-blk" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("hw show 1 uart"),
                     "vm 1: uart shown from its next boot; hidden: virtio-blk" NL) == 0);
    UT_EXPECT(!fx.hide_on);
    UT_EXPECT(strcmp(fx_cmd("hw show 1 virtio-blk"),
                     "vm 1: virtio-blk shown from its next boot; hidden: none" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("hw show 0 floppy"),
                     "error: usage: hw show N DEVICE" NL
                     "devices: uart virtio-console virtio-blk virtio-net" NL) == 0);
    UT_EXPECT(has(fx_cmd("hw hide x virtio-blk"), "error: usage: hw hide N DEVICE"));
    fx.err_hide = US_ENOENT;
    UT_EXPECT(strcmp(fx_cmd("hw hide 9 virtio-net"), "error: hw hide 9: US_ENOENT" NL) == 0);
}

static void stats_cpu_lists_each_cpu(void)
{
    fx_setup(true);
    fx.cpus = 2;
    fx.cpu_entries[0] = 12;
    fx.cpu_entries[1] = 3400;
    UT_EXPECT(strcmp(fx_cmd("stats cpu"),
                     "cpu 0  guest entries 12  local TLBI 6  to servers 3  "
                     "traps without the lock 40  direct IPC 70  "
                     "time: guests 60%  servers 25%  idle 15%" NL
                     "cpu 1  guest entries 3400  local TLBI 1700  to servers 850  "
                     "traps without the lock 40  direct IPC 70  "
                     "time: guests 60%  servers 25%  idle 15%" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("stats cpu --json"),
                     "{\"cpus\":[{\"cpu\":0,\"guest_entries\":12,\"tlbi_local\":6,\"to_server\":3,"
                     "\"guest_ticks\":600,\"server_ticks\":250,\"idle_ticks\":150,\"traps_nolock\":"
                     "40,\"ipc_direct\":70},"
                     "{\"cpu\":1,\"guest_entries\":3400,\"tlbi_local\":1700,\"to_server\":850,"
                     "\"guest_ticks\":600,\"server_ticks\":250,\"idle_ticks\":150,\"traps_nolock\":"
                     "40,\"ipc_direct\":70}]"
                     "}" NL) == 0);
    fx.cpus = 0;
    fx.err_cpu = US_ECAP;
    UT_EXPECT(strcmp(fx_cmd("stats cpu"), "error: stats cpu: US_ECAP" NL) == 0);
    UT_EXPECT(has(fx_cmd("stats cpu 1"), "error: usage: stats cpu [--json]"));
}

static void debug_ipcbench_checks_n(void)
{
    fx_setup(true);
    UT_EXPECT(strcmp(fx_cmd("debug ipcbench 500"),
                     "ipcbench: calls=500 batches=7 ns_per_call=321 ns_per_ping=4321" NL) == 0);
    UT_EXPECT_EQ(fx.ipcbench_n, 500);
    fx.ipcbench_n = 0;
    UT_EXPECT(has(fx_cmd("debug ipcbench 0"), "error: usage: debug ipcbench N"));
    UT_EXPECT(has(fx_cmd("debug ipcbench 1000001"), "error: usage: debug ipcbench N"));
    UT_EXPECT(has(fx_cmd("debug ipcbench x"), "error: usage: debug ipcbench N"));
    UT_EXPECT(has(fx_cmd("debug ipcbench"), "error: usage: debug ipcbench N"));
    UT_EXPECT_EQ(fx.ipcbench_n, 0); /* never called with a bad N */
    fx.err_ipcbench = US_EABORT;
    UT_EXPECT(strcmp(fx_cmd("debug ipcbench 1"), "error: debug ipcbench: US_EABORT" NL) == 0);
    /* Not in release builds. */
    fx_setup(false);
    UT_EXPECT(has(fx_cmd("debug ipcbench 5"), "error: unknown command"));
}

static void backend_null_reports_enotsup(void)
{
    struct console_shell_backend be = {.ctx = &fx, .write = fx_write, .debug = true};

    memset(&fx, 0, sizeof(fx));
    UT_EXPECT_EQ(console_shell_init(&sh, &be), US_OK);
    UT_EXPECT(strcmp(fx_cmd("vm list"), "error: vm list: US_ENOTSUP" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("server list --json"), "error: server list: US_ENOTSUP" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("server crash vmm"), "error: server crash vmm: US_ENOTSUP" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("hw list"), "error: hw list: US_ENOTSUP" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("debug badipc"), "error: debug badipc: US_ENOTSUP" NL) == 0);
    UT_EXPECT(strcmp(fx_cmd("debug ipcbench 3"), "error: debug ipcbench: US_ENOTSUP" NL) == 0);
}

static void init_rejects_null(void)
{
    struct console_shell_backend be = {.ctx = &fx};

    UT_EXPECT_EQ(console_shell_init(NULL, &be), US_EINVAL);
    UT_EXPECT_EQ(console_shell_init(&sh, NULL), US_EINVAL);
    UT_EXPECT_EQ(console_shell_init(&sh, &be), US_EINVAL); /* no write */
    fx_setup(true);
    UT_EXPECT_EQ(console_shell_input(&sh, NULL, 1), US_EINVAL);
    UT_EXPECT_EQ(console_shell_input(&sh, NULL, 0), US_OK);
    UT_EXPECT_EQ(console_shell_input(NULL, "x", 1), US_EINVAL);
}

UT_MAIN({"help_lists_all_commands", help_lists_all_commands},
        {"stats_cpu_lists_each_cpu", stats_cpu_lists_each_cpu},
        {"hw_hide_and_show", hw_hide_and_show}, {"vm_list_prints_table", vm_list_prints_table},
        {"vm_list_json_shape", vm_list_json_shape},
        {"server_list_table_and_json", server_list_table_and_json},
        {"hw_list_table_and_json", hw_list_table_and_json},
        {"json_escapes_strings", json_escapes_strings},
        {"vm_console_routes_input", vm_console_routes_input},
        {"vm_console_replays_buffered_output", vm_console_replays_buffered_output},
        {"vm_console_ring_keeps_last_4k", vm_console_ring_keeps_last_4k},
        {"guest_output_rejects_ninth_vm", guest_output_rejects_ninth_vm},
        {"vm_console_unknown_id", vm_console_unknown_id},
        {"command_unknown_gives_hint", command_unknown_gives_hint},
        {"command_usage_errors", command_usage_errors},
        {"release_hides_debug_commands", release_hides_debug_commands},
        {"backend_error_prints_name", backend_error_prints_name},
        {"server_restart_calls_backend", server_restart_calls_backend},
        {"debug_badipc_prints_report", debug_badipc_prints_report},
        {"debug_ipcbench_checks_n", debug_ipcbench_checks_n},
        {"stats_mem_splits_usage", stats_mem_splits_usage},
        {"backend_null_reports_enotsup", backend_null_reports_enotsup},
        {"init_rejects_null", init_rejects_null})
