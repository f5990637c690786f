/* Running another program with a deadline and bounded output (run.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/run.h"
#include "base/util.h"

extern char **environ;

enum { ERR_MAX = 4096 };

/* The pipes' ends: in[1], out[0] and err[0] are the parent's. */
typedef struct run_fds {
    int in[2], out[2], err[2];
} run_fds;

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int spawn(char *const argv[], run_fds *f, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, f->in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, f->out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, f->err[1], 2);
    posix_spawnattr_init(&at);
    /* The calling threads block the interface's signals (and SIGPIPE): the child must not. */
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setflags(&at,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

/* Reads what fd has into b (at most `room` bytes kept); false at its end. */
static bool drain(int fd, strbuf *b, size_t room, bool *over)
{
    char chunk[8192];
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n == 0)
        return false;
    size_t keep = (size_t)n;
    if (b->len + keep > room) {
        keep = room > b->len ? room - b->len : 0;
        *over = true;
    }
    sb_addn(b, chunk, keep);
    return true;
}

/* Feeds input, collects output, until both outputs end, the deadline passes or out overflows. */
static void pump(run_fds *f, const char *input, size_t in_len, double deadline, size_t max_out,
                 st_run_result *r, strbuf *out, strbuf *err)
{
    size_t sent = 0;
    bool err_over = false;
    if (in_len == 0)
        close_fd(&f->in[1]);
    while (f->out[0] >= 0 || f->err[0] >= 0) {
        int left = (int)((deadline - st_now()) * 1000);
        if (left <= 0) {
            r->timed_out = true;
            return;
        }
        struct pollfd p[3] = {
            {f->out[0], POLLIN, 0}, {f->err[0], POLLIN, 0}, {f->in[1], POLLOUT, 0}};
        if (poll(p, 3, left) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (p[0].revents && !drain(f->out[0], out, max_out, &r->too_much))
            close_fd(&f->out[0]);
        if (r->too_much)
            return;
        if (p[1].revents && !drain(f->err[0], err, ERR_MAX, &err_over))
            close_fd(&f->err[0]);
        if (p[2].revents) {
            ssize_t n = write(f->in[1], input + sent, in_len - sent);
            if (n > 0)
                sent += (size_t)n;
            if ((n < 0 && errno != EINTR && errno != EAGAIN) || sent == in_len)
                close_fd(&f->in[1]);
        }
    }
}

int st_run_bounded(char *const argv[], const char *input, size_t in_len, double timeout_s,
                   size_t max_out, st_run_result *r)
{
    memset(r, 0, sizeof(*r));
    r->status = -1;
    run_fds f = {{-1, -1}, {-1, -1}, {-1, -1}};
    pid_t pid = -1;
    int rc = -1;
    if (pipe2(f.in, O_CLOEXEC) != 0 || pipe2(f.out, O_CLOEXEC) != 0 ||
        pipe2(f.err, O_CLOEXEC) != 0 || (rc = spawn(argv, &f, &pid)) != 0) {
        r->err = xasprintf("%s: %s", argv[0], strerror(rc > 0 ? rc : errno));
        for (int i = 0; i < 2; i++) {
            close_fd(&f.in[i]);
            close_fd(&f.out[i]);
            close_fd(&f.err[i]);
        }
        return -1;
    }
    close_fd(&f.in[0]);
    close_fd(&f.out[1]);
    close_fd(&f.err[1]);
    fcntl(f.in[1], F_SETFL, O_NONBLOCK);
    strbuf out, err;
    sb_init(&out);
    sb_init(&err);
    pump(&f, input, in_len, st_now() + timeout_s, max_out, r, &out, &err);
    close_fd(&f.in[1]);
    close_fd(&f.out[0]);
    close_fd(&f.err[0]);
    int ws = 0;
    if (r->timed_out || r->too_much) {
        /* It leads a session of its own: its group holds whatever it started. */
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    if (!r->timed_out && !r->too_much && WIFEXITED(ws))
        r->status = WEXITSTATUS(ws);
    r->out_len = out.len;
    r->out = sb_steal(&out);
    r->err = sb_steal(&err);
    return 0;
}

void st_run_result_clear(st_run_result *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}

void st_argv_free(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}
