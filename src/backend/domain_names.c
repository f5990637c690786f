#include "config.h"

#include "backend/domain_names.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "base/uri.h"
#include "base/util.h"

static void ignore_error(void *data, virErrorPtr err) {}

/*
 * The child: a session of its own, so that it has no controlling terminal (an SSH transport
 * cannot ask for a password or a host key there) and the parent can kill it with everything it
 * started (ssh) as one process group. Writes one name per line, host by host.
 */
static void list_in_child(const char *const *uris, size_t n_uris, int out, int timeout_ms)
{
    setsid();
    /* Its own bound too, in case the parent is gone (a ^C on the shell). */
    alarm((unsigned)(timeout_ms / 1000) + 1);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDERR_FILENO);
    }
    setenv("SSH_ASKPASS_REQUIRE", "never", 1);
    setenv("LIBVIRT_LOG_OUTPUTS", "4:file:/dev/null", 1);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    virSetErrorFunc(NULL, ignore_error);
    FILE *f = fdopen(out, "w");
    if (!f)
        _exit(1);
    for (size_t i = 0; i < n_uris; i++) {
        /* Batch mode for ssh as well, should a terminal still be found. */
        char *uri = st_uri_no_tty(uris[i]);
        virConnectPtr conn = virConnectOpenReadOnly(uri);
        free(uri);
        if (!conn)
            continue;
        virDomainPtr *doms = NULL;
        int n = virConnectListAllDomains(conn, &doms, 0);
        for (int j = 0; j < n; j++) {
            fprintf(f, "%s\n", virDomainGetName(doms[j]));
            virDomainFree(doms[j]);
        }
        free(doms);
        fflush(f);
        virConnectClose(conn);
    }
    fclose(f);
    _exit(0);
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* Passes on the complete lines of buf and keeps the rest (a line cut by the deadline is lost). */
static size_t emit_lines(strbuf *buf, void (*emit)(const char *, void *), void *data)
{
    size_t n = 0, start = 0;
    for (char *nl; (nl = memchr(buf->s + start, '\n', buf->len - start));) {
        *nl = '\0';
        const char *name = buf->s + start;
        if (*name && printable(name)) {
            emit(name, data);
            n++;
        }
        start = (size_t)(nl - buf->s) + 1;
    }
    memmove(buf->s, buf->s + start, buf->len - start + 1);
    buf->len -= start;
    return n;
}

size_t st_domain_names(const char *const *uris, size_t n_uris, int timeout_ms,
                       void (*emit)(const char *name, void *data), void *data)
{
    int p[2];
    if (!n_uris || pipe2(p, O_CLOEXEC) != 0)
        return 0;
    /* Before any thread of this process exists: the completion runs nothing else. */
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        list_in_child(uris, n_uris, p[1], timeout_ms);
    }
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return 0;
    }
    strbuf buf;
    sb_init(&buf);
    size_t n = 0;
    double deadline = st_now() + timeout_ms / 1000.0;
    for (;;) {
        int left = (int)((deadline - st_now()) * 1000);
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        if (left <= 0 || (poll(&pfd, 1, left) < 0 && errno != EINTR))
            break;
        char chunk[4096];
        ssize_t r = pfd.revents ? read(p[0], chunk, sizeof(chunk)) : 0;
        if (pfd.revents && r <= 0 && !(r < 0 && errno == EINTR))
            break;
        if (r > 0) {
            sb_addn(&buf, chunk, (size_t)r);
            n += emit_lines(&buf, emit, data);
        }
    }
    close(p[0]);
    sb_free(&buf);
    /* Done or out of time: either way nothing of it may linger. */
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return n;
}
