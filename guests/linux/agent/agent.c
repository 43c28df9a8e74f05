/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The guest agent: the OS instance's side of the maintenance flows (docs/maintenance.md). It
 * starts and supervises the applications (today kvd), and answers the host's requests, one
 * line each, over virtio-vsock to the host (CID 2, port AGENT_PORT), or over stdin/stdout
 * with --stdio (tests):
 *   HEALTH              "HEALTH kvd=up keys=N" or "HEALTH kvd=down"
 *   INVENTORY           "APPS kvd:7000"
 *   QUIESCE kvd         kvd stops serving its clients; their requests wait ("OK frozen")
 *   DRAIN kvd           kvd's TCP clients finish and close first (the switch holds new
 *                       ones), then it freezes ("OK frozen"; "ERR ..." if some stay)
 *   RESUME kvd          it serves them again ("OK")
 *   SNAPSHOT kvd PATH   kvd writes its state to PATH ("SAVED count bytes sha256")
 *   RESTORE kvd PATH    kvd replaces its state with PATH's, all or nothing ("LOADED count")
 *   STOP kvd / START kvd
 *   SEND kvd            kvd saves its state, which goes up to the vmm's carry service
 *                       ("SENT kvd SIZE SHA256"); the caller has quiesced kvd first
 *   FETCH kvd SHA256    that state comes down and kvd loads it ("FETCHED kvd count=N")
 *   SETTLE kvd          wait until no TCP handshake to kvd's port is half done and none
 *                       waits to be accepted, which criu would lose ("SETTLED kvd"); the
 *                       switch holds new connections meanwhile
 *   CHECKPOINT kvd      criu checkpoints the kvd process with its TCP connections (it runs
 *                       on); the images go up ("CHECKPOINTED kvd SIZE SHA256")
 *   CONTINUE kvd        a checkpointed kvd runs on: SIGCONT, should it have been stopped
 *   REVIVE kvd SHA256   this instance's kvd stops; the process comes down and criu restores
 *                       it, connections and all ("REVIVED kvd pid=N")
 *   FOLLOW kvd          (the understudy's) kvd joins the vmm's relay and waits for the first
 *                       instance's state and writes ("FOLLOWING kvd")
 *   REPLICATE kvd       (the first's) kvd streams its state, then each write, to the follower;
 *                       answered once the follower has loaded the state ("REPLICATED kvd BYTES")
 *   HANDOVER kvd        kvd makes the follower the primary and forwards its own clients'
 *                       requests to it from now on ("HANDED kvd")
 *   LINGER kvd SECONDS  wait until kvd's clients have all gone, at most SECONDS
 *                       ("IDLE kvd cut=N": N were still connected at the bound)
 *   ALONE kvd           kvd stops replicating (before a hand-over only)
 * Anything else: "ERR reason". On connecting it says HELLO with the instance's identity; the
 * host's WELCOME and any line of its starting ERR are logged, never answered.
 * With --app-image NAME it first downloads that application image from the firmware bundle
 * through the vmm (sha256-checked at both ends) and runs it as kvd: an upgraded application.
 * Usage: agent [--stdio] [--kvd PROGRAM] [--app-image NAME] [--port TCP_PORT]
 *              [--socket KVD_SOCKET] */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/prctl.h>
#include "carry.h"
#include "ckpt.h"
#include "kv_ask.h"

#define AGENT_PORT 1024u
#define LINE_MAX_LEN 512
#define CARRY_FILE "/run/carry.snap"
#define APP_FILE "/run/app"
#define KVD_PID 5000
#define DRAIN_POLL_US 5000
#define DRAIN_TRIES 2000 /* 10 s */
#define SETTLE_TRIES 400 /* 2 s */
#define SYNC_POLL_US 20000
#define SYNC_TRIES 6000 /* 120 s: a 64 MiB store through the relay */

static const char *kvd_program = "/bin/kvd"; /* NULL: none could be had */
static const char *app_image;
static const char *kvd_socket = "/run/kvd.sock";
static const char *kvd_port = "7000";
static pid_t kvd_pid = -1;

static void kvd_start(void)
{
    FILE *f;
    pid_t pid;

    if (kvd_program == NULL) {
        return;
    }
    /* The same PID in every instance, so that a kvd checkpointed in one can be restored in
     * another (criu keeps PIDs) once this one's has made way (REVIVE). Best effort: it needs
     * root, and another fork may come first. */
    f = fopen("/proc/sys/kernel/ns_last_pid", "w");
    if (f != NULL) {
        fprintf(f, "%d", KVD_PID - 1);
        fclose(f);
    }
    pid = fork();

    if (pid == 0) {
        dup2(2, 1); /* kvd's messages to the log, never into the agent's replies (--stdio) */
        execl(kvd_program, "kvd", "-a", kvd_socket, kvd_port, (char *)NULL);
        perror("agent: exec kvd");
        _exit(127);
    }
    kvd_pid = pid;
}

static void kvd_reap(void)
{
    int status;

    while (kvd_pid > 0 && waitpid(kvd_pid, &status, WNOHANG) == kvd_pid) {
        fprintf(stderr, "agent: kvd exited (status %d)\n", status);
        kvd_pid = -1;
    }
}

/* One command to kvd's local socket; its reply line (without LF) into @out. */
static int kvd_ask(const char *cmd, char *out, size_t cap)
{
    char why[128];
    int r = kv_ask(kvd_socket, cmd, out, cap);

    if (r == -2) {
        size_t n = strnlen(out, sizeof(why) - 1); /* strerror()'s reason */

        memcpy(why, out, n);
        why[n] = '\0';
        snprintf(out, cap, "ERR kvd unreachable: %s", why);
        return -1;
    }
    return r;
}

/* Wait until kvd answers on its socket (at most about 10 s), so HELLO means "the
 * applications are up" and the host's first HEALTH finds kvd serving. */
static void kvd_wait_ready(void)
{
    char reply[LINE_MAX_LEN];

    for (int i = 0; i < 100 && kvd_ask("STATS", reply, sizeof(reply)) != 0; i++) {
        kvd_reap();
        if (kvd_pid <= 0) {
            return; /* it exited: HEALTH will say so */
        }
        usleep(100 * 1000);
    }
}

/* @cmd's argument after "WORD kvd" (the application), or NULL if it names another one. */
static const char *for_kvd(const char *cmd, size_t word)
{
    if (strncmp(cmd + word, " kvd", 4) != 0 || (cmd[word + 4] != '\0' && cmd[word + 4] != ' ')) {
        return NULL;
    }
    return cmd[word + 4] == ' ' ? cmd + word + 5 : "";
}

/* The number after " @name=" in kvd's STATS line @kv, or -1. */
static long stat_of(const char *kv, const char *name)
{
    char key[32];
    const char *p;

    snprintf(key, sizeof(key), " %s=", name);
    p = strstr(kv, key);
    return p != NULL ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* DRAIN kvd: wait until kvd has no TCP client left, then freeze it. A client that keeps its
 * connection would lose it when the instance retires, so the flow stops instead. */
static void drain(char *out, size_t cap)
{
    char kv[LINE_MAX_LEN];
    long left = 0;

    for (int tries = 0; tries < DRAIN_TRIES; tries++) {
        /* Atomic in kvd: no client connected, none waiting to be accepted, then frozen. */
        if (kvd_ask("FREEZE IDLE", kv, sizeof(kv)) == 0) {
            snprintf(out, cap, "%s", kv);
            return;
        }
        if ((left = stat_of(kv, "clients")) < 0) {
            snprintf(out, cap, "ERR kvd does not freeze: %.200s", kv);
            return;
        }
        usleep(DRAIN_POLL_US);
    }
    snprintf(out, cap, "ERR kvd still has %ld clients connected after %d ms", left,
             DRAIN_TRIES * DRAIN_POLL_US / 1000);
}

/* REPLICATE kvd: start the stream, then wait until the follower has the state. */
static void replicate(char *out, size_t cap)
{
    char kv[LINE_MAX_LEN];
    long bytes;

    if (kvd_ask("REPLICATE", kv, sizeof(kv)) != 0 || strncmp(kv, "OK replicating ", 15) != 0) {
        snprintf(out, cap, "ERR kvd did not replicate: %.200s", kv);
        return;
    }
    bytes = strtol(kv + 15, NULL, 10);
    for (int tries = 0; tries < SYNC_TRIES; tries++) {
        if (kvd_ask("STATS", kv, sizeof(kv)) != 0) {
            snprintf(out, cap, "ERR kvd does not answer: %.200s", kv);
            return;
        }
        if (strstr(kv, " role=synced") != NULL) {
            snprintf(out, cap, "REPLICATED kvd %ld", bytes);
            return;
        }
        if (strstr(kv, " role=replicating") == NULL) {
            snprintf(out, cap, "ERR the follower was lost: %.200s", kv);
            return;
        }
        usleep(SYNC_POLL_US);
    }
    (void)kvd_ask("ALONE", kv, sizeof(kv));
    snprintf(out, cap, "ERR the follower did not load the state in %d s",
             SYNC_TRIES * (SYNC_POLL_US / 1000) / 1000);
}

/* LINGER kvd SECONDS: after a hand-over, until the established clients have finished. */
static void linger(const char *arg, char *out, size_t cap)
{
    char kv[LINE_MAX_LEN], *end;
    long secs = strtol(arg, &end, 10), left = -1;

    if (*arg == '\0' || *end != '\0' || secs < 0 || secs > 86400) {
        snprintf(out, cap, "ERR usage: LINGER kvd SECONDS (0 to 86400)");
        return;
    }
    for (long tries = secs * (1000000 / SYNC_POLL_US); tries >= 0; tries--) {
        if (kvd_ask("STATS", kv, sizeof(kv)) != 0) {
            snprintf(out, cap, "ERR kvd does not answer: %.200s", kv);
            return;
        }
        left = stat_of(kv, "clients");
        if (left == 0 && stat_of(kv, "pending") <= 0) {
            break;
        }
        if (tries > 0) {
            usleep(SYNC_POLL_US);
        }
    }
    snprintf(out, cap, "IDLE kvd cut=%ld", left < 0 ? 0 : left);
}

/* One kvd command for an agent verb: @ok on success, else ERR with kvd's reply. */
static void kvd_verb(const char *cmd, const char *ok, char *out, size_t cap)
{
    char kv[LINE_MAX_LEN];

    if (kvd_ask(cmd, kv, sizeof(kv)) != 0) {
        snprintf(out, cap, "ERR kvd %s: %.200s", cmd, kv);
    } else {
        snprintf(out, cap, "%s", ok);
    }
}

/* SETTLE kvd: criu dumps established connections and the listener, not a handshake half
 * done nor a connection kvd has not accepted yet: their client would be reset by the
 * understudy. The switch holds new connections, so these only finish. */
static void settle(char *out, size_t cap)
{
    int left = 0;

    for (int tries = 0; tries < SETTLE_TRIES; tries++) {
        left = ckpt_unsettled((unsigned)strtoul(kvd_port, NULL, 10));
        if (left < 0) {
            snprintf(out, cap, "ERR cannot read /proc/net/tcp");
            return;
        }
        if (left == 0) {
            snprintf(out, cap, "SETTLED kvd");
            return;
        }
        usleep(DRAIN_POLL_US);
    }
    snprintf(out, cap, "ERR %d connection(s) to kvd still opening after %d ms", left,
             SETTLE_TRIES * DRAIN_POLL_US / 1000);
}

/* CHECKPOINT kvd: the process itself, with its connections, up to the vmm. */
static void checkpoint(char *out, size_t cap)
{
    char got[LINE_MAX_LEN];

    kvd_reap();
    if (kvd_pid <= 0) {
        snprintf(out, cap, "ERR kvd is not running");
    } else if (ckpt_dump(kvd_pid, got, sizeof(got)) != 0) {
        snprintf(out, cap, "ERR %.200s", got);
    } else {
        snprintf(out, cap, "CHECKPOINTED kvd %.200s", got);
    }
}

/* REVIVE kvd SHA256: this instance's own kvd makes way (its port, its PID), and the process
 * checkpointed elsewhere is restored here; as a child subreaper the agent adopts it. */
static void revive(const char *hex, char *out, size_t cap)
{
    char got[LINE_MAX_LEN];
    pid_t pid;

    if (kvd_pid > 0) {
        kill(kvd_pid, SIGTERM);
        waitpid(kvd_pid, NULL, 0);
        kvd_pid = -1;
    }
    if (ckpt_restore(hex, &pid, got, sizeof(got)) != 0) {
        snprintf(out, cap, "ERR %.200s", got);
        return;
    }
    kvd_pid = pid;
    snprintf(out, cap, "REVIVED kvd %.200s", got);
}

/* SEND kvd: its snapshot, up to the vmm. */
static void send_state(char *out, size_t cap)
{
    char kv[LINE_MAX_LEN], got[LINE_MAX_LEN];

    if (kvd_ask("SAVE " CARRY_FILE, kv, sizeof(kv)) != 0) {
        snprintf(out, cap, "ERR kvd did not save: %.200s", kv);
    } else if (carry_put(CARRY_FILE, got, sizeof(got)) != 0) {
        snprintf(out, cap, "ERR %.200s", got);
    } else {
        snprintf(out, cap, "SENT kvd %.200s", got);
    }
    unlink(CARRY_FILE);
}

/* FETCH kvd SHA256: that snapshot, down from the vmm and into kvd. */
static void fetch_state(const char *hex, char *out, size_t cap)
{
    char kv[LINE_MAX_LEN], got[LINE_MAX_LEN];

    if (carry_get(hex, CARRY_FILE, got, sizeof(got)) != 0) {
        snprintf(out, cap, "ERR %.200s", got);
        return;
    }
    if (kvd_ask("LOAD " CARRY_FILE, kv, sizeof(kv)) != 0) {
        snprintf(out, cap, "ERR kvd refused the state: %.200s", kv);
    } else {
        snprintf(out, cap, "FETCHED kvd %.200s", kv);
    }
    unlink(CARRY_FILE);
}

/* Run one host request; the reply line (no LF) into @out. */
static void handle(const char *cmd, char *out, size_t cap)
{
    char kv[LINE_MAX_LEN], req[LINE_MAX_LEN + 16];
    const char *arg;

    kvd_reap();
    if (strcmp(cmd, "HEALTH") == 0) {
        if (kvd_ask("STATS", kv, sizeof(kv)) == 0 && strncmp(kv, "STATS keys=", 11) == 0) {
            snprintf(out, cap, "HEALTH kvd=up keys=%lu", strtoul(kv + 11, NULL, 10));
        } else {
            snprintf(out, cap, "HEALTH kvd=down");
        }
    } else if (strcmp(cmd, "INVENTORY") == 0) {
        snprintf(out, cap, "APPS kvd:%s", kvd_port);
    } else if (strncmp(cmd, "QUIESCE", 7) == 0 && (arg = for_kvd(cmd, 7)) && *arg == '\0') {
        kvd_ask("FREEZE", out, cap);
    } else if (strncmp(cmd, "DRAIN", 5) == 0 && (arg = for_kvd(cmd, 5)) && *arg == '\0') {
        drain(out, cap);
    } else if (strncmp(cmd, "RESUME", 6) == 0 && (arg = for_kvd(cmd, 6)) && *arg == '\0') {
        kvd_ask("THAW", out, cap);
    } else if (strncmp(cmd, "SNAPSHOT", 8) == 0 && (arg = for_kvd(cmd, 8)) && *arg == '/') {
        snprintf(req, sizeof(req), "SAVE %s", arg);
        kvd_ask(req, out, cap);
    } else if (strncmp(cmd, "RESTORE", 7) == 0 && (arg = for_kvd(cmd, 7)) && *arg == '/') {
        snprintf(req, sizeof(req), "LOAD %s", arg);
        kvd_ask(req, out, cap);
    } else if (strncmp(cmd, "SEND", 4) == 0 && (arg = for_kvd(cmd, 4)) && *arg == '\0') {
        send_state(out, cap);
    } else if (strncmp(cmd, "FETCH", 5) == 0 && (arg = for_kvd(cmd, 5)) && strlen(arg) == 64) {
        fetch_state(arg, out, cap);
    } else if (strncmp(cmd, "SETTLE", 6) == 0 && (arg = for_kvd(cmd, 6)) && *arg == '\0') {
        settle(out, cap);
    } else if (strncmp(cmd, "CHECKPOINT", 10) == 0 && (arg = for_kvd(cmd, 10)) && *arg == '\0') {
        checkpoint(out, cap);
    } else if (strncmp(cmd, "CONTINUE", 8) == 0 && (arg = for_kvd(cmd, 8)) && *arg == '\0') {
        if (kvd_pid > 0 && kill(kvd_pid, SIGCONT) == 0) {
            snprintf(out, cap, "OK continued");
        } else {
            snprintf(out, cap, "ERR no kvd to continue");
        }
    } else if (strncmp(cmd, "REVIVE", 6) == 0 && (arg = for_kvd(cmd, 6)) && strlen(arg) == 64) {
        revive(arg, out, cap);
    } else if (strncmp(cmd, "FOLLOW", 6) == 0 && (arg = for_kvd(cmd, 6)) && *arg == '\0') {
        kvd_verb("FOLLOW", "FOLLOWING kvd", out, cap);
    } else if (strncmp(cmd, "REPLICATE", 9) == 0 && (arg = for_kvd(cmd, 9)) && *arg == '\0') {
        replicate(out, cap);
    } else if (strncmp(cmd, "HANDOVER", 8) == 0 && (arg = for_kvd(cmd, 8)) && *arg == '\0') {
        kvd_verb("HANDOVER", "HANDED kvd", out, cap);
    } else if (strncmp(cmd, "LINGER", 6) == 0 && (arg = for_kvd(cmd, 6))) {
        linger(arg, out, cap);
    } else if (strncmp(cmd, "ALONE", 5) == 0 && (arg = for_kvd(cmd, 5)) && *arg == '\0') {
        kvd_verb("ALONE", "OK alone", out, cap);
    } else if (strncmp(cmd, "STOP", 4) == 0 && (arg = for_kvd(cmd, 4)) && *arg == '\0') {
        if (kvd_pid > 0) {
            kill(kvd_pid, SIGTERM);
            waitpid(kvd_pid, NULL, 0);
            kvd_pid = -1;
        }
        snprintf(out, cap, "OK stopped");
    } else if (strncmp(cmd, "START", 5) == 0 && (arg = for_kvd(cmd, 5)) && *arg == '\0') {
        if (kvd_pid > 0) {
            snprintf(out, cap, "ERR kvd already running");
        } else if (kvd_program == NULL) {
            snprintf(out, cap, "ERR no kvd program: its image could not be had");
        } else {
            kvd_start();
            snprintf(out, cap, "OK started");
        }
    } else {
        snprintf(out, cap,
                 "ERR unknown request (HEALTH, INVENTORY, QUIESCE|DRAIN|RESUME|STOP|START kvd, "
                 "SNAPSHOT|RESTORE kvd /PATH, SEND kvd, FETCH|REVIVE kvd SHA256, "
                 "SETTLE|CHECKPOINT|CONTINUE kvd, FOLLOW|REPLICATE|HANDOVER|ALONE kvd, "
                 "LINGER kvd SECONDS)");
    }
}

/* Serve requests from @in, replies to @out, until EOF. Returns 0 at EOF, -1 on error. */
static int serve(int in, int out)
{
    char buf[LINE_MAX_LEN + 1], reply[LINE_MAX_LEN];
    size_t len = 0;
    int overflow = 0;

    for (;;) {
        char c;
        ssize_t r = read(in, &c, 1);

        if (r <= 0) {
            return r == 0 ? 0 : -1;
        }
        if (c != '\n') {
            if (len < LINE_MAX_LEN) {
                buf[len++] = c;
            } else {
                overflow = 1;
            }
            continue;
        }
        buf[len] = '\0';
        if (len > 0 && buf[len - 1] == '\r') {
            buf[len - 1] = '\0';
        }
        if (!overflow && (strncmp(buf, "WELCOME", 7) == 0 || strncmp(buf, "ERR", 3) == 0)) {
            /* The host's greeting, or its complaint: logged, never answered (two sides
             * answering each other's errors would never stop). */
            fprintf(stderr, "agent: host: %.120s\n", buf);
            len = 0;
            continue;
        }
        if (overflow) {
            snprintf(reply, sizeof(reply), "ERR line too long");
        } else {
            handle(buf, reply, sizeof(reply));
        }
        len = 0;
        overflow = 0;
        if (dprintf(out, "%s\n", reply) < 0) {
            return -1;
        }
    }
}

/* The instance's identity for HELLO: its host name and the kernel's boot ID. */
static void hello(int fd)
{
    char host[64] = "?", boot[64] = "?";
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

    if (f != NULL) {
        if (fgets(boot, sizeof(boot), f) != NULL) {
            boot[strcspn(boot, "\n")] = '\0';
        }
        fclose(f);
    }
    (void)gethostname(host, sizeof(host));
    dprintf(fd, "HELLO host=%s boot=%s apps=kvd\n", host, boot);
}

int main(int argc, char **argv)
{
    int stdio = 0, warned = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--stdio") == 0) {
            stdio = 1;
        } else if (i + 1 < argc && strcmp(argv[i], "--kvd") == 0) {
            kvd_program = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--app-image") == 0) {
            app_image = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--port") == 0) {
            kvd_port = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--socket") == 0) {
            kvd_socket = argv[++i];
        } else {
            fprintf(stderr, "usage: agent [--stdio] [--kvd PROGRAM] [--app-image NAME] "
                            "[--port PORT] [--socket KVD_SOCKET]\n");
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    /* A process criu restores for us (REVIVE) is orphaned when criu exits: be its parent. */
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (app_image != NULL) {
        char why[LINE_MAX_LEN];

        if (carry_image(app_image, APP_FILE, why, sizeof(why)) != 0) {
            /* Nothing runs: HEALTH says kvd=down, and the flow that wanted it stops. */
            fprintf(stderr, "agent: application image %s: %s\n", app_image, why);
            kvd_program = NULL;
        } else {
            fprintf(stderr, "agent: running application image %s\n", app_image);
            kvd_program = APP_FILE;
        }
    }
    kvd_start();
    kvd_wait_ready();
    if (stdio) {
        int r = serve(0, 1);

        if (kvd_pid > 0) {
            kill(kvd_pid, SIGTERM);
            waitpid(kvd_pid, NULL, 0);
        }
        return r == 0 ? 0 : 1;
    }
    for (;;) {
        int fd = vsock_dial(AGENT_PORT);

        if (fd < 0) {
            if (!warned) {
                fprintf(stderr, "agent: no host channel (vsock CID 2 port %u): %s; retrying\n",
                        AGENT_PORT, strerror(errno));
                warned = 1;
            }
            sleep(5); /* the host may come later (or a restarted vmm): poll gently */
            kvd_reap();
            continue;
        }
        warned = 0;
        hello(fd);
        fprintf(stderr, "agent: connected to the host\n");
        serve(fd, fd);
        close(fd);
        fprintf(stderr, "agent: host channel closed; reconnecting\n");
    }
}
