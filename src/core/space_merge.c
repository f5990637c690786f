#include "config.h"

#include "core/space_merge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/i18n.h"
#include "base/util.h"

/* The fallback granularity of a raw file's allocation: a filesystem block. */
#define RAW_UNIT 4096

/* A raw file maps data where its filesystem holds blocks, and nothing in its holes. */
static bool raw_map(int fd, const struct stat *st, st_qcow2_map *m, char **why)
{
    if (!S_ISREG(st->st_mode)) {
        *why = xstrdup(_("a raw block device: what it holds is not known"));
        return false;
    }
    m->cluster = st->st_blksize > 0 ? (uint64_t)st->st_blksize : RAW_UNIT;
    off_t end = st->st_size, pos = 0;
    while (pos < end) {
        off_t data = lseek(fd, pos, SEEK_DATA);
        if (data < 0 && errno == ENXIO)
            break;
        off_t hole = data < 0 ? -1 : lseek(fd, data, SEEK_HOLE);
        if (data < 0 || hole < 0) {
            *why = xasprintf(_("cannot map its holes: %s"), strerror(errno));
            return false;
        }
        st_extents_add(&m->data, (uint64_t)data, (uint64_t)(hole - data));
        pos = hole;
    }
    return true;
}

void st_layer_map_fd(int fd, const struct stat *st, uint64_t size, const char *format,
                     st_layer_map *m)
{
    memset(m, 0, sizeof(*m));
    if (streq0(format, "qcow2"))
        m->known = st_qcow2_map_read(st_image_fd_read, &fd, size, &m->map, &m->why) == 0;
    else if (streq0(format, "raw"))
        m->known = raw_map(fd, st, &m->map, &m->why);
    else
        m->why = xasprintf(_("a %s image: its map is not read"), format ? format : "?");
    if (!m->known)
        st_qcow2_map_clear(&m->map);
}

void st_layer_map_read(const char *path, const char *fmt, st_layer_map *m)
{
    memset(m, 0, sizeof(*m));
    struct stat st;
    uint64_t size;
    char *why = NULL;
    int fd = path ? st_image_open(path, &st, &size, &why) : -1;
    if (fd < 0) {
        m->why = why ? why : xstrdup(_("no file on this machine"));
        return;
    }
    st_image_info info;
    if (st_image_probe_fd(fd, size, fmt, &info) != 0)
        m->why = xstrdup(info.error ? info.error : "?");
    else
        st_layer_map_fd(fd, &st, size, info.format, m);
    st_image_info_clear(&info);
    close(fd);
}

void st_layer_map_clear(st_layer_map *m)
{
    st_qcow2_map_clear(&m->map);
    free(m->why);
    memset(m, 0, sizeof(*m));
}

/* a = a ∪ b */
static void unite(st_extents *a, const st_extents *b)
{
    st_extents out;
    st_extents_union(a, b, &out);
    st_extents_clear(a);
    *a = out;
}

/* a = a \ b */
static void take_away(st_extents *a, const st_extents *b)
{
    st_extents out;
    st_extents_minus(a, b, &out);
    st_extents_clear(a);
    *a = out;
}

/* a = a widened to whole units */
static void widen(st_extents *a, uint64_t unit)
{
    st_extents out;
    st_extents_align(a, unit, &out);
    st_extents_clear(a);
    *a = out;
}

/* The data the guest reads from the stack of copied layers: each layer's data where no layer
 * above it maps anything (data or zeros). */
static void visible_data(const st_qcow2_map *copied, size_t n, st_extents *vis)
{
    st_extents covered = {0};
    memset(vis, 0, sizeof(*vis));
    for (size_t i = 0; i < n; i++) {
        st_extents mine;
        st_extents_minus(&copied[i].data, &covered, &mine);
        unite(vis, &mine);
        st_extents_clear(&mine);
        unite(&covered, &copied[i].data);
        unite(&covered, &copied[i].zero);
    }
    st_extents_clear(&covered);
}

uint64_t st_merge_growth(const st_qcow2_map *copied, size_t n, const st_qcow2_map *receiver,
                         bool pull)
{
    uint64_t unit = receiver->cluster ? receiver->cluster : RAW_UNIT;
    st_extents lands;
    visible_data(copied, n, &lands);
    if (pull) {
        take_away(&lands, &receiver->data);
        take_away(&lands, &receiver->zero);
    }
    /* A cluster the receiver holds any data of (a subcluster, with extended L2 entries) is
     * already in its file. */
    st_extents held;
    st_extents_align(&receiver->data, unit, &held);
    widen(&lands, unit);
    take_away(&lands, &held);
    uint64_t grows = st_extents_bytes(&lands);
    st_extents_clear(&lands);
    st_extents_clear(&held);
    return grows;
}

bool st_merge_growth_paths(char *const *paths, char *const *fmts, size_t n, bool pull,
                           uint64_t *grows, char **why)
{
    *grows = 0;
    *why = NULL;
    if (n < 2) {
        *why = xstrdup(_("nothing is merged"));
        return false;
    }
    st_layer_map *m = xcalloc(n, sizeof(*m));
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        st_layer_map_read(paths[i], fmts ? fmts[i] : NULL, &m[i]);
        if (!m[i].known) {
            *why = xasprintf(_("%s: %s"), paths[i] ? paths[i] : "?", m[i].why ? m[i].why : "?");
            ok = false;
        }
    }
    if (ok) {
        st_qcow2_map *maps = xcalloc(n, sizeof(*maps));
        for (size_t i = 0; i < n; i++)
            maps[i] = m[i].map;
        *grows = st_merge_growth(maps, n - 1, &maps[n - 1], pull);
        free(maps);
    }
    for (size_t i = 0; i < n; i++)
        st_layer_map_clear(&m[i]);
    free(m);
    return ok;
}
