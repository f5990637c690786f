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
#include <sys/stat.h>
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
static char *folder;   /* this process's private folder, or NULL */
static char *self_exe; /* this program, which the wrappers link to */
static atomic_uint next_share;
static atomic_bool ssh_used; /* an ssh connection was asked for: there may be ssh children */

/* Removes a folder and what it holds (the shares' folders, their files and control sockets
 * left by a master that was killed): two levels at most. */
static void remove_folder(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0 || errno != EISDIR || depth <= 0)
            continue;
        char *sub = st_path_join(dir, e->d_name);
        remove_folder(sub, depth - 1);
        free(sub);
    }
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
        remove_folder(dir, 1);
        free(dir);
    }
    closedir(d);
}

/* Only characters that ssh (which expands %-tokens in a ControlPath and splits options on blanks)
 * reads as themselves. */
static bool plain_path(const char *p)
{
    return strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") ==
           strlen(p);
}

static void make_folder(void)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return;
    self[n] = '\0';
    char *err = NULL;
    char *base = st_runtime_dir("ssh", &err);
    free(err);
    if (!base)
        return;
    remove_stale(base);
    char *tmpl = xasprintf("%s/%ld-XXXXXX", base, (long)getpid());
    free(base);
    /* "/4294967295/control" is the longest a control socket's name gets in it. */
    if (plain_path(tmpl) && strlen(tmpl) + 19 <= CONTROL_PATH_MAX && mkdtemp(tmpl)) {
        folder = tmpl;
        self_exe = xstrdup(self);
    } else {
        free(tmpl);
    }
}

/* Writes the file `path` whole (mode 0600); false when it could not. */
static bool write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    size_t len = strlen(text);
    bool ok = fd >= 0 && write(fd, text, len) == (ssize_t)len;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    return ok;
}

/*
 * Makes the share's folder: the wrapper (this program, by a link whose name tells main() to act
 * as the wrapper; a link, not a script, because the runtime folder is often mounted noexec), the
 * ssh program it runs, and the control socket's name.
 */
static char *make_share_folder(const char *program)
{
    char *dir = xasprintf("%s/%u", folder, atomic_fetch_add(&next_share, 1));
    char *wrapper = st_path_join(dir, ST_SSH_WRAPPER);
    char *prog = st_path_join(dir, "program");
    bool ok = mkdir(dir, 0700) == 0 && symlink(self_exe, wrapper) == 0 && write_file(prog, program);
    free(prog);
    free(wrapper);
    if (!ok) {
        remove_folder(dir, 0);
        free(dir);
        return NULL;
    }
    return dir;
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
    char *program = st_uri_ssh_program(uri);
    char *dir = make_share_folder(program);
    free(program);
    if (!dir)
        return false;
    char *wrapper = st_path_join(dir, ST_SSH_WRAPPER);
    s->uri = st_uri_with_command(uri, wrapper);
    s->control = st_path_join(dir, "control");
    free(wrapper);
    free(dir);
    return true;
}

void st_ssh_share_clear(st_ssh_share *s)
{
    free(s->uri);
    free(s->control);
    s->uri = s->control = NULL;
}

int st_ssh_wrapper_main(int argc, char **argv)
{
    char *dir = st_dirname(argv[0]);
    char *prog_file = st_path_join(dir, "program");
    char *program = NULL;
    size_t len = 0;
    errno = 0;
    FILE *f = fopen(prog_file, "re");
    if (!f || getline(&program, &len, f) <= 0) {
        fprintf(stderr, "%s: %s: %s\n", argv[0], prog_file, strerror(errno ? errno : EINVAL));
        return 255;
    }
    fclose(f);
    char *control = xasprintf("ControlPath=%s/control", dir);
    char **args = xcalloc((size_t)argc + 8, sizeof(char *));
    size_t n = 0;
    args[n++] = program;
    const char *opts[] = {"ControlMaster=auto", control, "ControlPersist=no"};
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        args[n++] = "-o";
        args[n++] = (char *)opts[i];
    }
    for (int i = 1; i < argc; i++)
        args[n++] = argv[i];
    execvp(program, args);
    fprintf(stderr, "%s: %s: %s\n", argv[0], program, strerror(errno));
    return 255;
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
        remove_folder(folder, 1);
}
