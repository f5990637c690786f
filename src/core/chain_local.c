#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/i18n.h"
#include "base/util.h"
#include "core/model.h"
#include "core/qcow2.h"
#include "core/qcow2_tables.h"
#include "core/space_merge.h"
#include "core/text.h"

/* The walk so far: the layers built and the identity of every image opened. */
typedef struct walk {
    st_layer *layers;
    size_t n, cap;
    struct seen {
        dev_t dev;
        ino_t ino;
    } * seen;
    size_t n_seen, cap_seen;
    bool figures;       /* each layer's merge figures are wanted */
    st_layer_map upper; /* the map of the layer above the one read (figures) */
} walk;

static st_layer *add_layer(walk *w, char *path)
{
    xgrow((void **)&w->layers, &w->cap, w->n + 1, sizeof(*w->layers));
    st_layer *l = &w->layers[w->n++];
    memset(l, 0, sizeof(*l));
    l->backing_index = -1;
    l->path = path;
    return l;
}

/* Remembers st's file; false when it was met before, which makes the chain a loop. */
static bool first_visit(walk *w, const struct stat *st)
{
    for (size_t i = 0; i < w->n_seen; i++)
        if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
            return false;
    xgrow((void **)&w->seen, &w->cap_seen, w->n_seen + 1, sizeof(*w->seen));
    w->seen[w->n_seen++] = (struct seen){st->st_dev, st->st_ino};
    return true;
}

/*
 * qemu's rule: a ':' before the first '/' names a protocol ("nbd://…", "rbd:pool/img",
 * "json:{…}"). Copies the protocol name into proto (empty when it is too long to be one).
 */
static bool has_protocol(const char *name, char *proto, size_t protosz)
{
    size_t n = strcspn(name, ":/");
    if (name[n] != ':')
        return false;
    snprintf(proto, protosz, "%.*s", n < protosz ? (int)n : 0, name);
    return true;
}

/* Where qemu looks for `name` named by the image at `parent`: relative to the parent's folder. */
static char *resolve(const char *parent, const char *name)
{
    if (name[0] == '/' || !strchr(parent, '/'))
        return xstrdup(name);
    char *dir = st_dirname(parent);
    char *path = st_path_join(dir, name);
    free(dir);
    return path;
}

/* A lower layer's declared format that the header contradicts: say who declared it. */
static void explain_mismatch(st_image_info *info, const char *hint)
{
    if (!hint || !info->format[0] || strcmp(info->format, hint) == 0)
        return;
    free(info->error);
    info->error = xasprintf(_("header says %s, backing format says %s"), info->format, hint);
}

/* What the active layer's qcow2 tables say of its content (since.h judges from it). */
static void read_tables(st_layer *l, int fd, uint64_t size)
{
    st_qcow2_tables t;
    st_qcow2_tables_fd(fd, size, &t);
    if (!t.known)
        return;
    l->content = t.holds_data ? ST_CONTENT_DATA : ST_CONTENT_EMPTY;
    l->at_snapshots = t.at;
    l->n_at_snapshots = t.n_at;
}

/*
 * Reads the map of the image just opened (format NULL: not to be read), and with it and the map
 * of the layer above fills that layer's merge figures: what committing it here adds.
 */
static void merge_figure(walk *w, int fd, const struct stat *st, uint64_t size, const char *format)
{
    st_layer_map m = {0};
    if (format)
        st_layer_map_fd(fd, st, size, format, &m);
    st_layer *above = w->n > 1 ? &w->layers[w->n - 2] : NULL;
    if (above && w->upper.known && m.known) {
        above->merge_known = true;
        above->merge_grows = st_merge_growth(&w->upper.map, 1, &m.map, false);
    }
    st_layer_map_clear(&w->upper);
    w->upper = m;
}

/*
 * Reads the image at l->path into l. Returns true when its header names a backing file to read
 * next; false when the chain ends here (l->broken says why, or it is the base).
 */
static bool read_layer(walk *w, st_layer *l, const char *hint, bool lower)
{
    struct stat st;
    uint64_t size = 0;
    int fd = st_image_open(l->path, &st, &size, &l->broken);
    if (fd < 0)
        return false;
    if (!first_visit(w, &st)) {
        close(fd);
        l->broken = xstrdup(_("loop: this image is already in the chain"));
        return false;
    }
    l->physical = size;
    l->allocation = S_ISREG(st.st_mode) ? (uint64_t)st.st_blocks * 512 : 0;
    l->dev = (uint64_t)st.st_dev;
    l->ino = (uint64_t)st.st_ino;

    st_image_info info;
    int r = st_image_probe_fd(fd, size, hint, &info);
    if (r == 0 && !lower && strcmp(info.format, "qcow2") == 0)
        read_tables(l, fd, size);
    /* A block device has no blocks of its own to count: a qcow2 on it takes up to the end of
     * its last used cluster, and the rest of the device is the room it has to grow. */
    uint64_t end;
    if (r == 0 && S_ISBLK(st.st_mode) && strcmp(info.format, "qcow2") == 0 &&
        st_qcow2_end_offset_fd(fd, size, &end) == 0)
        l->allocation = end;
    if (w->figures)
        merge_figure(w, fd, &st, size,
                     r == 0 && !info.refused && !info.damaged ? info.format : NULL);
    close(fd);
    if (r < 0 && lower)
        explain_mismatch(&info, hint);
    l->format = info.format[0] ? xstrdup(info.format) : NULL;
    l->virtual_size = info.virtual_size;
    l->backing_name = info.backing_name;
    l->backing_fmt = info.backing_fmt;
    info.backing_name = info.backing_fmt = NULL;
    if (r < 0)
        l->broken = xstrdup(info.error);
    else if (info.refused)
        l->broken = xstrdup(info.warning);
    else if (info.damaged)
        l->broken = xstrdup(info.damaged);
    st_image_info_clear(&info);
    return r == 0 && l->backing_name;
}

/* The layer below `upper` at `path`, which this walk does not read. */
static void add_unread(walk *w, char *path, const char *why)
{
    const st_layer *upper = &w->layers[w->n - 1];
    char *fmt = xstrdup0(upper->backing_fmt);
    st_layer *l = add_layer(w, path);
    l->format = fmt;
    l->broken = xstrdup(why);
}

/* Appends the image the last layer names; false when that layer is not to be read. */
static bool add_backing(walk *w)
{
    const st_layer *upper = &w->layers[w->n - 1];
    const char *name = upper->backing_name;
    char proto[32];
    if (has_protocol(name, proto, sizeof(proto))) {
        if (strcmp(proto, "file") != 0) {
            char *why = proto[0] ? xasprintf(_("network backing (%s) not read"), proto)
                                 : xstrdup(_("network backing not read"));
            add_unread(w, xstrdup(name), why);
            free(why);
            return false;
        }
        name += strlen("file:");
    }
    char *path = resolve(upper->path, name);
    if (w->n == ST_CHAIN_MAX_DEPTH) {
        char why[160];
        snprintf(why, sizeof(why), _("chain deeper than %d images, not read"), ST_CHAIN_MAX_DEPTH);
        add_unread(w, path, why);
        return false;
    }
    add_layer(w, path);
    return true;
}

/*
 * libvirt's XML and QMP are UTF-8 only: libvirt 9.0 cannot name such a file in a domain or a
 * block job, and fails to start a domain whose chain holds one ("failed to convert virJSONValue
 * to yajl data"). The layer is read all the same (what is below it too), but nothing may be
 * planned through it.
 */
static void check_name(st_layer *l)
{
    if (!l->broken && l->path && !st_utf8_valid(l->path)) {
        l->broken = xstrdup(_("name is not valid UTF-8: libvirt cannot address this file "
                              "(it cannot start the domain either)"));
        l->name_only = true;
    }
}

static size_t read_chain(const char *path, const char *fmt, bool figures, st_layer **out)
{
    walk w = {.figures = figures};
    add_layer(&w, xstrdup(path));
    for (;;) {
        /* A lower layer's format is what its overlay's header declares, else probed. */
        bool lower = w.n > 1;
        const char *hint = lower ? w.layers[w.n - 2].backing_fmt : fmt;
        bool more = read_layer(&w, &w.layers[w.n - 1], hint, lower);
        check_name(&w.layers[w.n - 1]);
        if (!more || !add_backing(&w))
            break;
    }
    free(w.seen);
    st_layer_map_clear(&w.upper);
    /* Cached between refreshes: no room for layers that never come. */
    if (w.cap > w.n)
        w.layers = xrealloc(w.layers, w.n * sizeof(*w.layers));
    *out = w.layers;
    return w.n;
}

size_t st_chain_read_local(const char *path, const char *fmt, st_layer **out)
{
    return read_chain(path, fmt, false, out);
}

size_t st_chain_read_local_figures(const char *path, const char *fmt, st_layer **out)
{
    return read_chain(path, fmt, true, out);
}
