#include "config.h"

#include "core/space.h"

#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/i18n.h"
#include "base/util.h"

/* A file's key: its identity when the header was read here (two spellings, one file), else its
 * path. */
static char *layer_key(const st_layer *l)
{
    if (l->dev || l->ino)
        return xasprintf("i:%llu:%llu", (unsigned long long)l->dev, (unsigned long long)l->ino);
    return xasprintf("p:%s", l->path);
}

static void add_disk(const st_disk *k, st_space_total *t, st_hash *seen)
{
    if (k->n_chain)
        t->virtual_size += k->chain[0].virtual_size;
    for (size_t i = 0; i < k->n_chain; i++) {
        const st_layer *l = &k->chain[i];
        if (!l->path)
            continue;
        char *key = layer_key(l);
        bool again = st_hash_get(seen, key) != NULL;
        if (!again)
            st_hash_put(seen, key, (void *)1);
        free(key);
        if (again)
            continue;
        t->files++;
        t->bytes += l->allocation;
        t->partial |= l->allocation == 0 && !l->broken;
        if (l->n_shared) {
            t->shared_files++;
            t->shared += l->allocation;
        }
    }
}

void st_disk_space(const st_disk *k, st_space_total *t)
{
    memset(t, 0, sizeof(*t));
    st_hash seen;
    st_hash_init(&seen, NULL);
    add_disk(k, t, &seen);
    st_hash_clear(&seen);
}

void st_domain_space(const st_domain *d, st_space_total *t)
{
    memset(t, 0, sizeof(*t));
    st_hash seen;
    st_hash_init(&seen, NULL);
    for (size_t i = 0; i < d->n_disks; i++)
        add_disk(&d->disks[i], t, &seen);
    st_hash_clear(&seen);
}

char *st_space_net_text(uint64_t frees, uint64_t grows)
{
    char n[32];
    st_fmt_bytes(n, sizeof(n), frees >= grows ? frees - grows : grows - frees);
    return frees >= grows ? xasprintf(_("%s freed"), n) : xasprintf(_("%s more used"), n);
}

char *st_layer_merge_text(const st_disk *k, size_t li, bool local)
{
    if (li + 1 >= k->n_chain)
        return NULL;
    const st_layer *l = &k->chain[li];
    const char *below = st_basename(k->chain[li + 1].path ? k->chain[li + 1].path : "?");
    if (!l->merge_known)
        return xasprintf(local ? _("into %s: unknown (the images' maps cannot be read)")
                               : _("into %s: unknown (the images are on a remote host: not read "
                                   "from here)"),
                         below);
    char frees[32], grows[32];
    st_fmt_bytes(grows, sizeof(grows), l->merge_grows);
    /* A file other domains read stays: merging it frees nothing. */
    uint64_t freed = l->n_shared ? 0 : l->allocation;
    if (!l->n_shared && !l->allocation)
        return xasprintf(_("into %s: frees an unknown amount, %s grows by %s"), below, below,
                         grows);
    st_fmt_bytes(frees, sizeof(frees), freed);
    char *net = st_space_net_text(freed, l->merge_grows);
    char *text =
        xasprintf(_("into %s: frees %s, %s grows by %s, net %s"), below, frees, below, grows, net);
    free(net);
    return text;
}

char *st_snapdisk_merge_text(const st_domain *d, const st_snapdisk *sd, bool local)
{
    const st_disk *k = st_domain_find_disk(d, sd->target);
    for (size_t i = 0; k && sd->file && i < k->n_chain; i++) {
        if (!streq0(k->chain[i].path, sd->file))
            continue;
        char *merge = st_layer_merge_text(k, i, local);
        char *text = merge ? xasprintf("%s %s", st_basename(sd->file), merge) : NULL;
        free(merge);
        return text;
    }
    return NULL;
}

char *st_space_text(const st_space_total *t)
{
    char bytes[32], shared[32], virt[32];
    st_fmt_bytes(bytes, sizeof(bytes), t->bytes);
    st_fmt_bytes(shared, sizeof(shared), t->shared);
    st_fmt_bytes(virt, sizeof(virt), t->virtual_size);
    char *files = xasprintf(ngettext("%s%s in %zu file", "%s%s in %zu files", t->files),
                            t->partial ? _("at least ") : "", bytes, t->files);
    char *of_it = t->shared_files
                      ? xasprintf(ngettext(" (%s in %zu shared with other domains, counted once)",
                                           " (%s in %zu shared with other domains, counted once)",
                                           t->shared_files),
                                  shared, t->shared_files)
                      : xstrdup("");
    char *text = xasprintf(_("%s%s; virtual %s"), files, of_it, virt);
    free(files);
    free(of_it);
    return text;
}
