#include "config.h"

#include "base/kvfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/i18n.h"
#include "base/readfile.h"

void st_kv_put(strbuf *b, const char *key, const char *v)
{
    if (!v)
        return;
    sb_printf(b, "%s=", key);
    for (const char *p = v; *p; p++) {
        if (*p == '\\')
            sb_add(b, "\\\\");
        else if (*p == '\n')
            sb_add(b, "\\n");
        else
            sb_addc(b, *p);
    }
    sb_addc(b, '\n');
}

int st_kv_write(const char *path, const strbuf *b, char **err)
{
    char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, b->s, b->len) == (ssize_t)b->len;
    ok = fd >= 0 && close(fd) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        *err = xasprintf(_("cannot write the record %s: %s"), path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}

static char *unescape(const char *v)
{
    strbuf b;
    sb_init(&b);
    for (const char *p = v; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            sb_addc(&b, *p == 'n' ? '\n' : *p);
        } else {
            sb_addc(&b, *p);
        }
    }
    return sb_steal(&b);
}

/* Far above any record (a chain of 256 layers with long paths): a bound, not a size. */
#define RECORD_MAX (16 * 1024 * 1024)

int st_kv_read(const char *path, st_kv_take_fn take, void *ctx, char **err)
{
    size_t len;
    char *why = NULL;
    /* A record is a regular file we wrote: anything else there is not read (nor waited on). */
    char *text = st_read_regular_file(path, RECORD_MAX, &len, &why);
    if (!text) {
        *err = xasprintf(_("cannot read the record %s: %s"), path, why);
        free(why);
        return -1;
    }
    for (char *line = text, *next; line < text + len; line = next) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        next = nl ? nl + 1 : text + len;
        if (nl)
            *nl = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        take(ctx, line, unescape(eq + 1));
    }
    free(text);
    return 0;
}

/* mkdir -p with mode 0700 for what it creates; the folder itself must be ours, not a link. */
static int make_private_dir(const char *path, char **err)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            break;
        *s = '/';
    }
    int rc = mkdir(p, 0700) == 0 || errno == EEXIST ? 0 : -1;
    struct stat st;
    if (rc == 0 && (lstat(p, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()))
        rc = -1, errno = EPERM;
    if (rc != 0)
        *err = xasprintf(_("cannot use the folder %s for records: %s"), p, strerror(errno));
    free(p);
    return rc;
}

char *st_runtime_dir(const char *sub, char **err)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    char *dir;
    if (xdg && xdg[0] == '/')
        dir = xasprintf("%s/virt-snaptree/%s", xdg, sub);
    else if (geteuid() == 0)
        dir = xasprintf("/run/virt-snaptree/%s", sub);
    else
        dir = xasprintf("/tmp/virt-snaptree-%u/%s", (unsigned)geteuid(), sub);
    if (make_private_dir(dir, err) != 0) {
        free(dir);
        return NULL;
    }
    return dir;
}
