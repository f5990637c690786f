#include "config.h"

#include "backend/offline.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/i18n.h"
#include "base/util.h"

extern char **environ;

bool st_qemu_img_progress(const char *buf, size_t len, double *pct)
{
    bool found = false;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '(')
            continue;
        char tmp[32];
        size_t k = 0;
        for (size_t j = i + 1; j < len && k + 1 < sizeof(tmp) && buf[j] != ')'; j++)
            tmp[k++] = buf[j];
        tmp[k] = '\0';
        char *end;
        double v = strtod(tmp, &end);
        if (end != tmp && strcmp(end, "/100%") == 0 && v >= 0 && v <= 100) {
            *pct = v;
            found = true;
        }
    }
    return found;
}

bool st_qemu_img_feed(st_qemu_img_parser *p, const char *buf, size_t len, double *pct)
{
    strbuf b;
    sb_init(&b);
    sb_addn(&b, p->tail, p->n);
    sb_addn(&b, buf, len);
    bool found = st_qemu_img_progress(b.s, b.len, pct);
    /* Keep an unfinished figure: from the last '(' when no ')' follows it. */
    const char *open = strrchr(b.s, '(');
    p->n = 0;
    if (open && !strchr(open, ')') && (size_t)(b.s + b.len - open) < sizeof(p->tail)) {
        p->n = (size_t)(b.s + b.len - open);
        memcpy(p->tail, open, p->n);
    }
    sb_free(&b);
    return found;
}

uint64_t st_offline_progress(double pct, uint64_t unit, unsigned long bw_mib, double elapsed,
                             bool done)
{
    double limit = bw_mib * 1048576.0;
    double est = pct < 0 ? 0 : pct > 100 ? unit : unit * pct / 100;
    if (limit > 0 && est > limit * elapsed)
        est = limit * elapsed;
    return done ? unit : (uint64_t)est;
}

/* Keeps the tail of the output: progress lines are short, errors come last. */
static void keep_tail(strbuf *b, const char *s, size_t n)
{
    sb_addn(b, s, n);
    if (b->len > 8192) {
        memmove(b->s, b->s + b->len - 4096, 4096);
        b->len = 4096;
        b->s[b->len] = '\0';
    }
}

char *st_qemu_img_last_line(const char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    size_t b = n;
    while (b && s[b - 1] != '\n')
        b--;
    return strndup(s + b, n - b);
}

/* st_qemu_img_exec, with the end of the standard output too when `heard` is not NULL. */
static int exec_qemu_img(char *const argv[], st_progress_fn progress, void *ctx, int *wstatus,
                         char **heard, char **said, char **err)
{
    int out[2], errp[2];
    if (pipe2(out, O_CLOEXEC) != 0)
        return *err = xasprintf("pipe: %s", strerror(errno)), -1;
    if (pipe2(errp, O_CLOEXEC) != 0) {
        close(out[0]);
        close(out[1]);
        return *err = xasprintf("pipe: %s", strerror(errno)), -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    size_t argc = 0;
    while (argv[argc])
        argc++;
    char **av = xcalloc(argc + 1, sizeof(char *));
    av[0] = (char *)QEMU_IMG_PATH;
    for (size_t i = 1; i < argc; i++)
        av[i] = argv[i];
    pid_t pid;
    posix_spawnattr_t at;
    st_spawnattr_init(&at);
    int rc = posix_spawn(&pid, QEMU_IMG_PATH, &fa, &at, av, environ);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    free(av);
    close(out[1]);
    close(errp[1]);
    if (rc != 0) {
        close(out[0]);
        close(errp[0]);
        *err = xasprintf(_("cannot run %s: %s"), QEMU_IMG_PATH, strerror(rc));
        return -1;
    }
    strbuf so, se;
    sb_init(&so);
    sb_init(&se);
    st_qemu_img_parser parser = {.n = 0};
    struct pollfd p[2] = {{out[0], POLLIN, 0}, {errp[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[1024];
            ssize_t n = read(p[i].fd, buf, sizeof(buf));
            if (n <= 0) {
                close(p[i].fd);
                p[i].fd = -1;
                open_fds--;
                continue;
            }
            keep_tail(i == 0 ? &so : &se, buf, (size_t)n);
            double pct;
            if (i == 0 && progress && st_qemu_img_feed(&parser, buf, (size_t)n, &pct))
                progress(ctx, pct);
        }
    }
    *wstatus = 0;
    while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
        ;
    *said = xstrdup(se.s ? se.s : "");
    if (heard)
        *heard = xstrdup(so.s ? so.s : "");
    sb_free(&so);
    sb_free(&se);
    return 0;
}

int st_qemu_img_exec(char *const argv[], st_progress_fn progress, void *ctx, int *wstatus,
                     char **said, char **err)
{
    return exec_qemu_img(argv, progress, ctx, wstatus, NULL, said, err);
}

int st_qemu_img_capture(char *const argv[], int *wstatus, char **heard, char **said, char **err)
{
    return exec_qemu_img(argv, NULL, NULL, wstatus, heard, said, err);
}

int st_qemu_img_outcome(int wstatus, const char *said, char **err)
{
    char *line = st_qemu_img_last_line(said ? said : "");
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        *err = *line ? line : xasprintf(_("qemu-img failed (status %d)"), WEXITSTATUS(wstatus));
        if (!*line)
            free(line);
        return -1;
    }
    if (*line) {
        *err = xasprintf(_("qemu-img ended without an error but said: %s"), line);
        free(line);
        return -1;
    }
    free(line);
    return 0;
}

int st_qemu_img_run(char *const argv[], st_progress_fn progress, void *ctx, char **err)
{
    int wstatus;
    char *said;
    if (st_qemu_img_exec(argv, progress, ctx, &wstatus, &said, err) != 0)
        return -1;
    int r = st_qemu_img_outcome(wstatus, said, err);
    free(said);
    return r;
}
