/* Whole-file copies (filecopy.h). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/filecopy.h"
#include "base/i18n.h"
#include "base/private_file.h"
#include "base/util.h"

/* Copies every byte of fd `in` to fd `out` from their starts; 0 or an errno. */
static int copy_fd(int in, int out)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            return fsync(out) == 0 ? 0 : errno;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno != EINTR)
                return errno;
            done += w > 0 ? w : 0;
        }
    }
}

/* The failure of a copy (back: of putting a copy back), said; returns -1. */
static int fail(char **err, bool back, const char *from, const char *to, int e)
{
    *err = back ? xasprintf(_("cannot put %s back over %s: %s"), from, to, strerror(e))
                : xasprintf(_("cannot copy %s to %s: %s"), from, to, strerror(e));
    return -1;
}

int st_copy_new_private(const char *from, const char *to, char **err)
{
    struct stat st;
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0 || fstat(in, &st) != 0) {
        int e = errno;
        if (in >= 0)
            close(in);
        return fail(err, false, from, to, e);
    }
    mode_t mode = st_private_mode(st.st_mode, true);
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    int e = out < 0 ? errno : 0;
    if (!e)
        e = fchmod(out, mode) == 0 ? copy_fd(in, out) : errno;
    close(in);
    if (out >= 0 && close(out) != 0 && !e)
        e = errno;
    if (e && out >= 0)
        unlink(to);
    return e ? fail(err, false, from, to, e) : 0;
}

int st_copy_over(const char *from, const char *to, char **err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return fail(err, true, from, to, errno);
    int out = open(to, O_WRONLY | O_TRUNC | O_CLOEXEC);
    int e = out < 0 ? errno : copy_fd(in, out);
    close(in);
    if (out >= 0 && close(out) != 0 && !e)
        e = errno;
    return e ? fail(err, true, from, to, e) : 0;
}
