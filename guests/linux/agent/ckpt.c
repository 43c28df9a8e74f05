/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The agent's use of criu (ckpt.h). The flags are the ones docs/criu.md proved in a guest:
 * --tcp-established keeps the connections, --shell-job because the process's session is the
 * agent's, --network-lock nftables (criu's default needs an iptables binary). The dump leaves
 * the process running: the vmm's switch holds every frame for the address while it moves
 * (US_NET_SVC_HOLD_ALL), so it only answers what it had already received, as the restored
 * copy will, byte for byte (the client's TCP drops the duplicate); and an abort loses
 * nothing. (--leave-stopped would keep its connections locked after a SIGCONT.) */
#include "ckpt.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "carry.h"

#define CRIU "/usr/sbin/criu"
#define DUMP_DIR "/run/ck"
#define DUMP_TAR "/run/ck.tar"
#define RESTORE_DIR "/run/ck-in"
#define RESTORE_TAR "/run/ck-in.tar"
#define PIDFILE "/run/ck-in.pid"

static char dump_dir[] = DUMP_DIR, restore_dir[] = RESTORE_DIR;

/* Run @argv (NULL-terminated) to its end. Returns its exit status, or -1. */
static int run(char *const argv[])
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* What went wrong, from criu's log @path: its first "Error" line (the cause; the last one
 * only says that it failed), cut to fit @out. */
static void criu_error(const char *what, const char *path, char *out, size_t cap)
{
    char line[512], first[512] = "no Error line in its log";
    FILE *f = fopen(path, "r");

    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "Error", 5) == 0 || strncmp(line, "Warn", 4) == 0) {
            fprintf(stderr, "agent: %s", line); /* the whole story, on the guest's console */
        }
        if (strncmp(line, "Error", 5) == 0 && strcmp(first, "no Error line in its log") == 0) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(first, sizeof(first), "%s", line);
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    snprintf(out, cap, "%s: %.80s", what, first);
}

/* @dir, emptied. The agent's own directories only (constants of this file). */
static int fresh_dir(char *dir)
{
    char *const rm[] = {"/bin/rm", "-rf", dir, NULL};

    return run(rm) == 0 && mkdir(dir, 0700) == 0 ? 0 : -1;
}

int ckpt_dump(pid_t pid, char *out, size_t cap)
{
    char pids[16], got[256];
    char *const dump[] = {CRIU,
                          "dump",
                          "-t",
                          pids,
                          "-D",
                          DUMP_DIR,
                          "--tcp-established",
                          "--shell-job",
                          "--network-lock",
                          "nftables",
                          "--leave-running",
                          "-o",
                          "dump.log",
                          NULL};
    char *const tar[] = {"/bin/tar", "cf", DUMP_TAR, "-C", DUMP_DIR, ".", NULL};

    snprintf(pids, sizeof(pids), "%d", (int)pid);
    if (fresh_dir(dump_dir) != 0) {
        snprintf(out, cap, "cannot make %s: %s", DUMP_DIR, strerror(errno));
        return -1;
    }
    if (run(dump) != 0) {
        criu_error("criu dump failed", DUMP_DIR "/dump.log", out, cap);
        return -1;
    }
    if (run(tar) != 0) {
        snprintf(out, cap, "cannot pack the images");
        return -1;
    }
    if (carry_put(DUMP_TAR, got, sizeof(got)) != 0) {
        snprintf(out, cap, "%.200s", got);
        unlink(DUMP_TAR);
        return -1;
    }
    unlink(DUMP_TAR);
    snprintf(out, cap, "%.200s", got);
    return 0;
}

int ckpt_restore(const char *hex, pid_t *pid, char *out, size_t cap)
{
    char got[256];
    char *const tar[] = {"/bin/tar", "xf", RESTORE_TAR, "-C", RESTORE_DIR, NULL};
    char *const restore[] = {
        CRIU, "restore",   "-D",    RESTORE_DIR, "--tcp-established", "--shell-job",
        "-d", "--pidfile", PIDFILE, "-o",        "restore.log",       NULL};
    FILE *f;
    int n = 0;

    if (carry_get(hex, RESTORE_TAR, got, sizeof(got)) != 0) {
        snprintf(out, cap, "%.200s", got);
        return -1;
    }
    if (fresh_dir(restore_dir) != 0 || run(tar) != 0) {
        snprintf(out, cap, "cannot unpack the images");
        unlink(RESTORE_TAR);
        return -1;
    }
    unlink(RESTORE_TAR);
    unlink(PIDFILE);
    if (run(restore) != 0) {
        criu_error("criu restore failed", RESTORE_DIR "/restore.log", out, cap);
        return -1;
    }
    f = fopen(PIDFILE, "r");
    if (f == NULL || fscanf(f, "%d", &n) != 1 || n <= 0) {
        if (f != NULL) {
            fclose(f);
        }
        snprintf(out, cap, "criu restored no process");
        return -1;
    }
    fclose(f);
    *pid = (pid_t)n;
    snprintf(out, cap, "pid=%d", n);
    return 0;
}

/* One table of /proc/net: adds to *@n what ckpt_unsettled() counts. Returns -1 if unreadable. */
static int unsettled_in(const char *path, unsigned port, int *n)
{
    char line[512];
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char local[64];
        unsigned lport, st;
        unsigned long txq, rxq;

        /* "sl local_address rem_address st tx_queue:rx_queue ..."; the heading fails here. */
        if (sscanf(line, " %*[0-9]: %63[0-9A-Fa-f]:%x %*s %x %lx:%lx", local, &lport, &st, &txq,
                   &rxq) != 5 ||
            lport != port) {
            continue;
        }
        if (st == 0x03) { /* SYN_RECV: the client's last ACK has not come */
            (*n)++;
        } else if (st == 0x0a) { /* LISTEN: rx_queue is its accept queue */
            *n += (int)rxq;
        }
    }
    fclose(f);
    return 0;
}

int ckpt_unsettled(unsigned port)
{
    int n = 0, r4 = unsettled_in("/proc/net/tcp", port, &n);
    int r6 = unsettled_in("/proc/net/tcp6", port, &n);

    return r4 != 0 && r6 != 0 ? -1 : n;
}
