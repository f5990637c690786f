/* One ssh connection per host, shared, and no ssh left behind at exit (ssh_share.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/kvfile.h"
#include "base/ssh_share.h"
#include "base/uri.h"
#include "base/util.h"

enum {
    /* sun_path holds 108 bytes; ssh binds a temporary name (the path and 17 more) first. */
    CONTROL_PATH_MAX = 108 - 1 - 17,
    END_WAIT_MS = 250, /* how long ssh is given to end on SIGTERM before SIGKILL */
};

static pthread_once_t folder_once = PTHREAD_ONCE_INIT;
static char *folder; /* this process's private folder, or NULL */
static atomic_uint next_share;
static atomic_bool ssh_used; /* an ssh connection was asked for: there may be ssh children */

/* Removes a folder of plain files (wrappers, control sockets left by a killed master). */
static void remove_folder(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    rmdir(dir);
}

/* The folders of processes that are gone (they were killed before they could remove them). */
static void remove_stale(const char *base)
{
    DIR *d = opendir(base);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end = NULL;
        long pid = strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end != '-' || pid == (long)getpid() ||
            !(kill((pid_t)pid, 0) != 0 && errno == ESRCH))
            continue;
        char *dir = st_path_join(base, e->d_name);
        remove_folder(dir);
        free(dir);
    }
    closedir(d);
}

/* Only characters that neither ssh (which expands %-tokens in a ControlPath and splits options on
 * blanks) nor the wrapper's shell read as anything but themselves. */
static bool plain_path(const char *p)
{
    return strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") ==
           strlen(p);
}

static void make_folder(void)
{
    char *err = NULL;
    char *base = st_runtime_dir("ssh", &err);
    free(err);
    if (!base)
        return;
    remove_stale(base);
    char *tmpl = xasprintf("%s/%ld-XXXXXX", base, (long)getpid());
    free(base);
    /* "/c-4294967295" is the longest name a control socket gets in it. */
    if (plain_path(tmpl) && strlen(tmpl) + 13 <= CONTROL_PATH_MAX && mkdtemp(tmpl))
        folder = tmpl;
    else
        free(tmpl);
}

/* Appends s to b as one word of the shell, in single quotes. */
static void add_shell_word(strbuf *b, const char *s)
{
    sb_addc(b, '\'');
    for (; *s; s++)
        sb_add(b, *s == '\'' ? "'\\''" : (char[]){*s, '\0'});
    sb_addc(b, '\'');
}

/* Writes the wrapper `path`: the URI's ssh, master of `control`, with libvirt's arguments. */
static bool write_wrapper(const char *path, const char *program, const char *control)
{
    strbuf b;
    sb_init(&b);
    sb_add(&b, "#!/bin/sh\nexec ");
    add_shell_word(&b, program);
    sb_add(&b, " -o ControlMaster=auto -o ");
    char *opt = xasprintf("ControlPath=%s", control);
    add_shell_word(&b, opt);
    free(opt);
    sb_add(&b, " -o ControlPersist=no \"$@\"\n");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
    bool ok = fd >= 0 && write(fd, b.s, b.len) == (ssize_t)b.len;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok)
        unlink(path);
    sb_free(&b);
    return ok;
}

bool st_ssh_share_make(const char *uri, st_ssh_share *s)
{
    s->uri = s->control = NULL;
    if (!st_uri_is_ssh(uri))
        return false;
    atomic_store(&ssh_used, true);
    pthread_once(&folder_once, make_folder);
    if (!folder)
        return false;
    unsigned n = atomic_fetch_add(&next_share, 1);
    char *wrapper = xasprintf("%s/ssh-%u", folder, n);
    char *control = xasprintf("%s/c-%u", folder, n);
    char *program = st_uri_ssh_program(uri);
    if (write_wrapper(wrapper, program, control)) {
        s->uri = st_uri_with_command(uri, wrapper);
        s->control = control;
        control = NULL;
    }
    free(program);
    free(control);
    free(wrapper);
    return s->uri != NULL;
}

void st_ssh_share_clear(st_ssh_share *s)
{
    free(s->uri);
    free(s->control);
    s->uri = s->control = NULL;
}

/* Whether process `pid` (a child of this one) runs ssh, or runs with our folder in its command
 * line (a wrapper, or the ssh it started under another name). */
static bool runs_ssh(pid_t pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n == 4 && memcmp(buf, "ssh\n", 4) == 0)
        return true;
    if (!folder)
        return false;
    snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
    if (fd >= 0)
        close(fd);
    return n > 0 && memmem(buf, (size_t)n, folder, strlen(folder)) != NULL;
}

/* The parent's pid in /proc/PID/stat, after the command's name (which may hold anything). */
static long parent_of(const char *pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *close_paren = strrchr(buf, ')');
    char state;
    long ppid;
    if (!close_paren || sscanf(close_paren + 1, " %c %ld", &state, &ppid) != 2 || state == 'Z')
        return -1;
    return ppid;
}

/* This process's children that run ssh. */
static size_t ssh_children(pid_t **out)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end = NULL;
        long pid = strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end || parent_of(e->d_name) != (long)getpid() || !runs_ssh((pid_t)pid))
            continue;
        xgrow((void **)out, &cap, n + 1, sizeof(pid_t));
        (*out)[n++] = (pid_t)pid;
    }
    closedir(d);
    return n;
}

/* Drops from pids those that ended (reaped here, or by libvirt's thread that started them). */
static void drop_ended(pid_t *pids, size_t *n)
{
    for (size_t i = 0; i < *n;) {
        pid_t r = waitpid(pids[i], NULL, WNOHANG);
        if (r == pids[i] || (r < 0 && errno == ECHILD))
            pids[i] = pids[--*n];
        else
            i++;
    }
}

/* Signals every pid, then waits until they ended or ms milliseconds passed. */
static void end_all(pid_t *pids, size_t *n, int sig, int ms)
{
    for (size_t i = 0; i < *n; i++)
        kill(pids[i], sig);
    double until = st_now() + ms / 1000.0;
    for (drop_ended(pids, n); *n && st_now() < until; drop_ended(pids, n))
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
}

void st_ssh_end(void)
{
    if (!atomic_load(&ssh_used))
        return;
    pid_t *pids;
    size_t n = ssh_children(&pids);
    /* SIGTERM first: ssh then ends a proxy command it started, and removes its control socket. */
    if (n)
        end_all(pids, &n, SIGTERM, END_WAIT_MS);
    if (n)
        end_all(pids, &n, SIGKILL, END_WAIT_MS);
    free(pids);
    if (folder)
        remove_folder(folder);
}
