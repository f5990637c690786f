#include "config.h"

#include "base/readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/i18n.h"
#include "base/util.h"

/* What a path is when it is not a regular file, as the refusal says it. */
static const char *file_kind(mode_t m)
{
    if (S_ISDIR(m))
        return _("a folder");
    if (S_ISFIFO(m))
        return _("a named pipe (FIFO)");
    if (S_ISCHR(m) || S_ISBLK(m))
        return _("a device");
    if (S_ISSOCK(m))
        return _("a socket");
    return _("not a regular file");
}

/* Reads at most cap + 1 bytes: one more than allowed says that the file is larger. */
static char *read_bounded(int fd, size_t cap, size_t *len)
{
    size_t have = 0, size = 4096 < cap + 1 ? 4096 : cap + 1;
    char *buf = xmalloc(size + 1);
    for (;;) {
        if (have == size) {
            if (size == cap + 1)
                break;
            size = size * 2 < cap + 1 ? size * 2 : cap + 1;
            buf = xrealloc(buf, size + 1);
        }
        ssize_t n = read(fd, buf + have, size - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(buf);
            return NULL;
        }
        if (n == 0)
            break;
        have += (size_t)n;
    }
    buf[have] = '\0';
    *len = have;
    return buf;
}

char *st_read_regular_file(const char *path, size_t cap, size_t *len, char **err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        *err = xstrdup(strerror(e));
        errno = e;
        return NULL;
    }
    struct stat st;
    char *buf = NULL;
    int e = 0;
    if (fstat(fd, &st) != 0) {
        e = errno;
        *err = xstrdup(strerror(e));
    } else if (!S_ISREG(st.st_mode)) {
        e = EINVAL;
        *err = xasprintf(_("it is %s, not a regular file"), file_kind(st.st_mode));
    } else if (!(buf = read_bounded(fd, cap, len))) {
        e = errno;
        *err = xstrdup(strerror(e));
    } else if (*len > cap) {
        char limit[32];
        st_fmt_bytes(limit, sizeof(limit), cap);
        free(buf);
        buf = NULL;
        e = EFBIG;
        *err = xasprintf(_("it is larger than %s"), limit);
    }
    close(fd);
    errno = e;
    return buf;
}
