#include "config.h"

#include "view/groups.h"

#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/util.h"

const char *st_host_group(const st_app *a, size_t i)
{
    const st_options *o = a->opt;
    return o->groups && i < o->n_uris ? o->groups[i] : NULL;
}

/* Shows `group`'s hosts only (a string that outlives the app: the options'), NULL: all. */
static void show_group(st_app *a, const char *group)
{
    a->group = group;
    for (size_t i = 0; i < a->n_hosts; i++) {
        const char *g = st_host_group(a, i);
        a->host_hidden[i] = group && !(g && strcmp(g, group) == 0);
    }
    a->search_stale = true;
    st_app_rebuild(a);
}

void st_groups_init(st_app *a)
{
    a->host_hidden = xcalloc(a->n_hosts ? a->n_hosts : 1, sizeof(bool));
    a->tree.hidden = a->host_hidden;
    a->search_all.hidden = a->host_hidden;
    const char *want = a->opt->group;
    for (size_t i = 0; want && i < a->n_hosts; i++)
        if (st_host_group(a, i) && strcmp(st_host_group(a, i), want) == 0) {
            show_group(a, st_host_group(a, i));
            return;
        }
}

/* The first host whose group is `g` (g non-NULL). */
static size_t first_of_group(const st_app *a, const char *g)
{
    for (size_t i = 0; i < a->n_hosts; i++)
        if (st_host_group(a, i) && strcmp(st_host_group(a, i), g) == 0)
            return i;
    return a->n_hosts;
}

void st_groups_next(st_app *a)
{
    /* Groups in order of their first host: the one after the shown group's first host whose
     * group is new. */
    size_t from = a->group ? first_of_group(a, a->group) + 1 : 0;
    for (size_t i = from; i < a->n_hosts; i++) {
        const char *g = st_host_group(a, i);
        if (g && first_of_group(a, g) == i) {
            show_group(a, g);
            st_app_status(a, false, _("hosts of the group %s only (f: the next group)"), g);
            return;
        }
    }
    bool any = false;
    for (size_t i = 0; i < a->n_hosts && !any; i++)
        any = st_host_group(a, i) != NULL;
    show_group(a, NULL);
    st_app_status(a, false, "%s",
                  any ? _("every host")
                      : _("no host has a group (group=NAME in the configuration file)"));
}

void st_groups_free(st_app *a)
{
    free(a->host_hidden);
    a->host_hidden = NULL;
}
