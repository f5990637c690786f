/*
 * Our own locks on the images of an offline merge, so that two merges confirmed at the same
 * instant (two interfaces, or the helper started twice) never both run: QEMU's image locks
 * would stop the second only half way, with qemu-img's last line as the only word. One lock
 * file per image in the records folder, named by the image's device and inode (every name of
 * one file is one lock); flock, so a lock goes with the process that holds it, however it ends.
 * The images a merge writes are locked exclusively, the ones it only reads shared.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/offline_internal.h"
#include "base/i18n.h"
#include "base/util.h"

typedef struct want {
    const char *path;
    dev_t dev;
    ino_t ino;
    bool exclusive;
} want;

/* Whether the merge writes layer i (or removes it): the receiver, the layers merged, and for a
 * commit the top (qemu-img opens it to write) and the layer above it (rebased). */
static bool writes(const st_offline_state *s, size_t i)
{
    if (s->pull)
        return i < s->base;
    return i + 1 >= s->top && i <= s->base;
}

/* Where the merge's data lands: the base of a commit, the active layer of a pull. */
static size_t receiver(const st_offline_state *s)
{
    return s->pull ? 0 : s->base;
}

/* The images to lock, each once: the receiver first, so that of two merges into one image the
 * refused one names it; then the chain's order, the same in every process. An image that cannot
 * be looked at is not locked: the merge fails on it anyway. */
static size_t wanted(const st_offline_state *s, want *v)
{
    size_t n = 0;
    for (size_t j = 0; j <= s->n_chain; j++) {
        size_t i = j == 0 ? receiver(s) : j - 1;
        struct stat st;
        if ((j > 0 && i == receiver(s)) || i >= s->n_chain || !s->chain[i].path ||
            stat(s->chain[i].path, &st) != 0)
            continue;
        bool dup = false;
        for (size_t k = 0; k < n && !dup; k++)
            if (v[k].dev == st.st_dev && v[k].ino == st.st_ino) {
                v[k].exclusive = v[k].exclusive || writes(s, i);
                dup = true;
            }
        if (!dup)
            v[n++] = (want){s->chain[i].path, st.st_dev, st.st_ino, writes(s, i)};
    }
    return n;
}

/* The holder's pid and start in its lock file; false while it says nothing. */
static bool read_holder(int fd, long *pid, double *started)
{
    char buf[64] = "";
    ssize_t got = pread(fd, buf, sizeof(buf) - 1, 0);
    buf[got > 0 ? got : 0] = '\0';
    return sscanf(buf, "%ld %lf", pid, started) == 2 && *pid > 0;
}

/* " (pid 123, started 14:05)" from a lock file; "" when its holder does not say. A holder
 * marks it a moment after it took the lock (once its helper is forked): that moment is waited
 * for, briefly. */
static char *holder_of(int fd)
{
    long pid = 0;
    double started = 0;
    bool known = false;
    for (int i = 0; i < 40 && !(known = read_holder(fd, &pid, &started)); i++)
        usleep(25 * 1000);
    if (!known)
        return xstrdup("");
    time_t t = (time_t)started;
    struct tm tm;
    char hm[16] = "?";
    if (localtime_r(&t, &tm))
        strftime(hm, sizeof(hm), "%H:%M", &tm);
    return xasprintf(_(" (pid %ld, started %s)"), pid, hm);
}

/* Writes who holds the lock of `fd`. Should it fail, a refusal names no holder or an earlier
 * one; the lock holds all the same. */
static bool say_holder(int fd, const char *line)
{
    size_t len = strlen(line);
    return ftruncate(fd, 0) == 0 && pwrite(fd, line, len, 0) == (ssize_t)len;
}

/* Takes one lock; -1 with *err when another process holds it. */
static int take(const char *dir, const want *x, int *fd_out, char **err)
{
    char *path =
        xasprintf("%s/%llx-%llu.lock", dir, (unsigned long long)x->dev, (unsigned long long)x->ino);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(path);
    if (fd < 0) {
        *err = xasprintf(_("cannot lock %s for the merge: %s"), x->path, strerror(errno));
        return -1;
    }
    if (flock(fd, (x->exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
        int e = errno;
        char *who = e == EWOULDBLOCK ? holder_of(fd) : NULL;
        *err = who ? xasprintf(_("%s is being merged by another virt-snaptree%s"), x->path, who)
                   : xasprintf(_("cannot lock %s for the merge: %s"), x->path, strerror(e));
        free(who);
        close(fd);
        return -1;
    }
    /* Whoever held it before is not who holds it now: said once the helper is forked. */
    say_holder(fd, "");
    *fd_out = fd;
    return 0;
}

int st_offline_lock(const st_offline_state *s, st_offline_locks *out, char **err)
{
    memset(out, 0, sizeof(*out));
    char *dir = st_offline_dir(err);
    if (!dir)
        return -1;
    want *v = s->n_chain ? xcalloc(s->n_chain, sizeof(want)) : NULL;
    size_t n = wanted(s, v);
    out->fds = n ? xcalloc(n, sizeof(int)) : NULL;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if ((rc = take(dir, &v[i], &out->fds[out->n], err)) == 0)
            out->n++;
    if (rc != 0)
        st_offline_unlock(out);
    free(v);
    free(dir);
    return rc;
}

void st_offline_lock_mark(const st_offline_locks *l, long pid, double started)
{
    char line[64];
    snprintf(line, sizeof(line), "%ld %.0f\n", pid, started);
    for (size_t i = 0; i < l->n; i++)
        say_holder(l->fds[i], line);
}

void st_offline_unlock(st_offline_locks *l)
{
    for (size_t i = 0; i < l->n; i++)
        close(l->fds[i]);
    free(l->fds);
    memset(l, 0, sizeof(*l));
}
