#include "config.h"

#include "backend/offline_verify.h"

#include <stdlib.h>
#include <sys/wait.h>

#include "backend/offline.h"
#include "base/i18n.h"
#include "base/util.h"
#include "core/qcow2.h"

/* qemu-img check's exit codes that leave the data whole: clean, leaked clusters, no check. */
#define CHECK_CLEAN  0
#define CHECK_LEAKS  3
#define CHECK_NONE   63
#define CHECK_ERRORS 2

void st_offline_involved(const st_offline_state *s, size_t *from, size_t *to)
{
    if (s->pull) {
        *from = 0;
        *to = s->base < s->n_chain ? s->base : s->n_chain;
    } else {
        *from = s->top;
        *to = s->base + 1;
    }
}

static int check_image(const st_layer *l, char **err)
{
    char *av[8];
    size_t k = 0;
    av[k++] = "qemu-img";
    av[k++] = "check";
    av[k++] = "-q";
    if (l->format) {
        av[k++] = "-f";
        av[k++] = l->format;
    }
    av[k++] = l->path;
    av[k] = NULL;
    int wst;
    char *said;
    if (st_qemu_img_exec(av, NULL, NULL, &wst, &said, err) != 0)
        return -1;
    int code = WIFEXITED(wst) ? WEXITSTATUS(wst) : -1;
    char *line = st_qemu_img_last_line(said);
    free(said);
    int rc = -1;
    if (code == CHECK_ERRORS)
        *err = xasprintf(_("qemu-img check found errors in %s (%s): nothing was merged"), l->path,
                         *line ? line : "?");
    else if (code != CHECK_CLEAN && code != CHECK_LEAKS && code != CHECK_NONE)
        *err = xasprintf(_("qemu-img check could not check %s (%s): nothing was merged"), l->path,
                         *line ? line : "?");
    else
        rc = 0;
    free(line);
    return rc;
}

int st_offline_check_images(const st_offline_state *s, char **err)
{
    size_t from, to;
    st_offline_involved(s, &from, &to);
    for (size_t i = from; i < to; i++)
        if (check_image(&s->chain[i], err) != 0)
            return -1;
    return 0;
}

size_t st_offline_kept(const st_offline_state *s, size_t *keep)
{
    size_t n = 0;
    for (size_t i = 0; i < (s->pull ? 1 : s->top); i++)
        keep[n++] = i;
    for (size_t i = s->base; i < s->n_chain; i++)
        keep[n++] = i;
    return n;
}

static bool same_file(const st_layer *a, const st_layer *b)
{
    return a->ino && a->dev == b->dev && a->ino == b->ino;
}

/* What differs between the chain read now and the planned one; NULL: nothing. */
static char *difference(const st_offline_state *s, const size_t *keep, size_t n,
                        const st_layer *before, const st_layer *now, size_t got)
{
    for (size_t i = 0; i < got; i++) {
        if (now[i].broken)
            return xasprintf(_("%s is broken (%s)"), now[i].path, now[i].broken);
        if (i == n)
            return xasprintf(_("it goes on below %s, to %s"), s->chain[keep[n - 1]].path,
                             now[i].path);
        if (!same_file(&now[i], &before[keep[i]]))
            return xasprintf(_("layer %zu is %s, not %s"), i, now[i].path, s->chain[keep[i]].path);
    }
    if (got < n)
        return xasprintf(_("it ends at %s, above %s"), now[got - 1].path, s->chain[keep[got]].path);
    return NULL;
}

int st_offline_verify_chain(const st_offline_state *s, const st_layer *before, char **err)
{
    size_t *keep = xcalloc(s->n_chain, sizeof(size_t));
    size_t n = st_offline_kept(s, keep);
    const st_layer *first = &s->chain[keep[0]];
    st_layer *now = NULL;
    size_t got = st_chain_read_local(first->path, first->format, &now);
    char *why = difference(s, keep, n, before, now, got);
    if (why)
        *err = xasprintf(_("the chain after the merge is not the one planned: %s. Check it "
                           "(qemu-img info --backing-chain %s) before using the domain"),
                         why, first->path);
    int rc = why ? -1 : 0;
    free(why);
    for (size_t i = 0; i < got; i++)
        st_layer_clear(&now[i]);
    free(now);
    free(keep);
    return rc;
}
