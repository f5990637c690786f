#include "config.h"

#include "core/journal_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/i18n.h"
#include "base/readfile.h"
#include "base/util.h"
#include "core/journal.h"

/* A document larger than this is not read back: no entry of ours comes near it. */
#define JOURNAL_FILE_CAP (64u * 1024 * 1024)

char *st_journal_root(void)
{
    return st_state_path("journal");
}

/* A name as one folder name: bytes other than [A-Za-z0-9_-] (and a leading '.') as %XX. */
static void add_encoded(strbuf *b, const char *name)
{
    const unsigned char *p = (const unsigned char *)(name ? name : "");
    if (!*p)
        sb_add(b, "%00");
    for (; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
                     (*p == '.' && p != (const unsigned char *)name);
        if (plain)
            sb_addc(b, (char)*p);
        else
            sb_printf(b, "%%%02X", *p);
    }
}

char *st_journal_dir(const char *root, const char *host, const char *domain)
{
    strbuf b;
    sb_init(&b);
    sb_add(&b, root);
    sb_addc(&b, '/');
    /* libvirt's default host has no URI of its own here. */
    add_encoded(&b, host ? host : "default");
    if (domain) {
        sb_addc(&b, '/');
        add_encoded(&b, domain);
    }
    return sb_steal(&b);
}

/* mkdir -p, 0700 for what it makes; *why names the folder that failed. */
static int make_dirs(const char *path, char **why)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *s = p + 1; rc == 0; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        struct stat st;
        if (mkdir(p, 0700) != 0 && (errno != EEXIST || stat(p, &st) != 0 || !S_ISDIR(st.st_mode))) {
            if (errno == EEXIST)
                errno = ENOTDIR;
            *why = xasprintf(_("cannot make the journal folder %s: %s"), p, strerror(errno));
            rc = -1;
        }
        *s = c;
        if (!c)
            break;
    }
    free(p);
    return rc;
}

int st_journal_check(const char *root, char **why)
{
    *why = NULL;
    if (!root) {
        *why = xstrdup(_("no folder for the journal: neither XDG_STATE_HOME nor HOME is set"));
        return -1;
    }
    if (make_dirs(root, why) != 0)
        return -1;
    char *probe = xasprintf("%s/.probe-%ld", root, (long)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int err = errno;
    if (fd >= 0) {
        close(fd);
        unlink(probe);
    }
    free(probe);
    if (fd < 0) {
        *why = xasprintf(_("cannot write in the journal folder %s: %s"), root, strerror(err));
        return -1;
    }
    struct statvfs v;
    if (statvfs(root, &v) == 0 && (uint64_t)v.f_bavail * v.f_frsize < ST_JOURNAL_MIN_FREE) {
        char have[32], need[32];
        st_fmt_bytes(have, sizeof(have), (uint64_t)v.f_bavail * v.f_frsize);
        st_fmt_bytes(need, sizeof(need), ST_JOURNAL_MIN_FREE);
        *why = xasprintf(_("the journal folder %s is nearly full: %s free, it wants %s"), root,
                         have, need);
        return -1;
    }
    return 0;
}

char *st_journal_new_path(const char *dir, const struct timespec *when, const char *action)
{
    struct tm tm;
    char stamp[32];
    gmtime_r(&when->tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
    for (unsigned n = 0;; n++) {
        char *p = n ? xasprintf("%s/%s.%09ldZ-%s-%u.json", dir, stamp, when->tv_nsec, action, n)
                    : xasprintf("%s/%s.%09ldZ-%s.json", dir, stamp, when->tv_nsec, action);
        if (access(p, F_OK) != 0)
            return p;
        free(p);
    }
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* fsync of a folder, so that a rename in it survives a crash. */
static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int st_journal_write(const char *path, const char *text, char **why)
{
    *why = NULL;
    char *dir = st_dirname(path);
    if (make_dirs(dir, why) != 0) {
        free(dir);
        return -1;
    }
    char *tmp = xasprintf("%s/.%s.tmp", dir, st_basename(path));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int rc = fd < 0 ? -1 : 0;
    if (rc == 0 &&
        (write_all(fd, text, strlen(text)) != 0 || write_all(fd, "\n", 1) != 0 || fsync(fd) != 0))
        rc = -1;
    int err = errno;
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = -1, err = errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1, err = errno;
    if (rc == 0 && sync_dir(dir) != 0)
        rc = -1, err = errno;
    if (rc != 0) {
        unlink(tmp);
        *why = xasprintf(_("cannot write the journal entry %s: %s"), path, strerror(err));
    }
    free(tmp);
    free(dir);
    return rc;
}

/* ---- reading ---- */

typedef struct file_list {
    st_journal_file *v;
    size_t n, cap;
} file_list;

static bool entry_name(const char *name)
{
    size_t len = strlen(name);
    return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".json") == 0;
}

static void read_entry(file_list *l, char *path)
{
    xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof(st_journal_file));
    st_journal_file *f = &l->v[l->n++];
    f->path = path;
    char *err = NULL;
    size_t len = 0;
    char *text = st_read_regular_file(path, JOURNAL_FILE_CAP, &len, &err);
    if (!text) {
        f->why = err;
        return;
    }
    if (strlen(text) != len)
        f->why = xstrdup(_("the file holds a NUL byte"));
    else
        f->doc = st_json_parse(text, &f->why);
    free(text);
    if (f->doc && !streq0(st_json_get_str(f->doc, "format"), ST_JOURNAL_FORMAT)) {
        st_json_free(f->doc);
        f->doc = NULL;
        f->why = xstrdup(_("not a journal document"));
    }
}

/* The entries of one folder, or of every folder below it (depth 1: domains; 2: hosts too). */
static void scan(file_list *l, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *p = st_path_join(dir, e->d_name);
        struct stat st;
        if (depth > 0 && lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            scan(l, p, depth - 1);
            free(p);
        } else if (depth == 0 && entry_name(e->d_name)) {
            read_entry(l, p);
        } else {
            free(p);
        }
    }
    closedir(d);
}

/* Newest first: names begin with the start time, and the documents' host and domain break ties. */
static int newest_first(const void *a, const void *b)
{
    const st_journal_file *x = a, *y = b;
    int c = strcmp(st_basename(y->path), st_basename(x->path));
    return c ? c : strcmp(y->path, x->path);
}

/* One host's folder: one domain's entries, or every domain's. */
static void scan_host(file_list *l, const char *host_dir, const char *domain)
{
    if (!domain) {
        scan(l, host_dir, 1);
        return;
    }
    strbuf b;
    sb_init(&b);
    sb_add(&b, host_dir);
    sb_addc(&b, '/');
    add_encoded(&b, domain);
    scan(l, b.s, 0);
    sb_free(&b);
}

size_t st_journal_load(const char *root, const char *host, const char *domain,
                       st_journal_file **out)
{
    file_list l = {0};
    DIR *d = root && !host ? opendir(root) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *p = st_path_join(root, e->d_name);
        scan_host(&l, p, domain);
        free(p);
    }
    if (d)
        closedir(d);
    if (root && host) {
        char *dir = st_journal_dir(root, host, NULL);
        scan_host(&l, dir, domain);
        free(dir);
    }
    if (l.n)
        qsort(l.v, l.n, sizeof(st_journal_file), newest_first);
    *out = l.v;
    return l.n;
}

void st_journal_files_free(st_journal_file *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].path);
        st_json_free(v[i].doc);
        free(v[i].why);
    }
    free(v);
}
