# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Checks of where the guests ran and what took the kernel's fast paths (`stats cpu`)."""

import json

import usqemu


def stall_report(m, vm=0):
    """After a guest's console went quiet: print what the hypervisor says of it, then poke
    the guest (a newline on its console) and say it again. An idle guest exits no more
    between two looks, so the poke is what tells them apart: a guest that stopped makes no
    exits and no output for it; one whose output no longer reaches the console makes exits
    but no output. The caller re-raises its failure; this only adds to its log."""
    def look(n):
        for cmd in ("vm list --json", "stats cpu --json", "server list --json"):
            print("stall report %d: %s: %s" % (n, cmd, usqemu.console_cmd(m, cmd)))

    try:
        m.send("\x1d")
        m.expect(r"detached|us> ", timeout=10)
        look(1)
        m.sendline("vm console %d" % vm)
        m.expect(r"attached to vm %d" % vm, timeout=10)
        since = len(m.output)
        m.send("\r")
        try:
            m.expect_seen(r"\S", timeout=10, since=since)
            print("stall report: the guest answered a newline")
        except usqemu.ExpectTimeout:
            print("stall report: no output for a newline in 10 s")
        m.send("\x1d")
        m.expect(r"detached", timeout=10)
        look(2)
    except Exception as e:  # the machine may be gone too: say so, keep the first failure
        print("stall report: no answer (%s: %s)" % (type(e).__name__, str(e).split("\n")[0]))


def exit_counters(m, vm=0):
    """VM @vm's exits so far and the CPUs' switches into servers, read at the console shell
    from the guest's console (detached, then attached to it again)."""
    m.send("\x1d")
    m.expect(r"detached")
    m.expect(r"us> ")
    n = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"][vm]["exits"]
    cpus = json.loads(usqemu.console_cmd(m, "stats cpu --json"))["cpus"]
    m.sendline("vm console %d" % vm)
    m.expect(r"attached to vm %d " % vm)
    return n, sum(c["to_server"] for c in cpus)


def check_guest_cpus(m, host_cpus, vcpus_of_vm):
    """`stats cpu` lists @host_cpus CPUs, and guests ran exactly on those the vmm's policy
    places their vCPUs on: vCPU n of VM slot s on CPU (s + n + 1) mod CPUs (CPU 0 alone
    with one). Time is charged where it went: guests where they ran, servers on CPU 0.
    @vcpus_of_vm: {slot: vCPUs that ran}. Returns: the CPUs' entries and the CPUs used."""
    cpus = json.loads(usqemu.console_cmd(m, "stats cpu --json"))["cpus"]
    assert [c["cpu"] for c in cpus] == list(range(host_cpus)), cpus
    used = {(s + n + 1) % host_cpus for s, count in vcpus_of_vm.items() for n in range(count)}
    for c in cpus:
        assert (c["guest_entries"] > 0) == (c["cpu"] in used), (used, cpus)
        assert (c["guest_ticks"] > 0) == (c["cpu"] in used), (used, cpus)
        assert c["server_ticks"] > 0 or c["cpu"] != 0, cpus
    return cpus, used


def check_vcpu_placement(m, host_cpus, vcpus_of_vm):
    """check_guest_cpus(), and aarch64's fast paths where they belong. With several CPUs,
    each VM's boot vCPU had its TLB maintenance done on its CPU alone (vm.local_tlbi), without
    the kernel lock, while it was the VM's only vCPU there, as it is until its first CPU_ON;
    with one CPU nothing is trapped for that. @vcpus_of_vm: {slot: vCPUs that ran}."""
    cpus, used = check_guest_cpus(m, host_cpus, vcpus_of_vm)
    boot = {(s + 1) % host_cpus for s in vcpus_of_vm} if host_cpus > 1 else set()
    for c in cpus:
        # Fast-MMIO reads without the kernel lock happen only where guests run (a secondary
        # vCPU may make none: its guest's interrupts go to the boot vCPU).
        assert c["traps_nolock"] == 0 or c["cpu"] in used, (used, cpus)
        assert c["tlbi_local"] > 0 or c["cpu"] not in boot, (boot, cpus)
        assert c["tlbi_local"] == 0 or host_cpus > 1, cpus
        # Those TLB operations never took the kernel lock: each is also a trap without it.
        assert c["traps_nolock"] >= c["tlbi_local"], cpus
    assert sum(c["traps_nolock"] for c in cpus if c["cpu"] in used) > 0, (used, cpus)
    # A guest beside the vmm on CPU 0: its exits and their replies switch directly (IPC's
    # direct switch, sched_direct()).
    assert cpus[0]["ipc_direct"] > 0 or 0 not in used, (used, cpus)
