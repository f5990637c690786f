#include "config.h"

#include "view/options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/number.h"
#include "base/util.h"
#include "core/config_file.h"
#include "core/text.h"

enum {
    OPT_ASCII = 256,
    OPT_NO_COLOR,
    OPT_INTERVAL,
    OPT_LIST,
    OPT_JSON,
    OPT_DEMO,
    OPT_TIMEOUT,
    OPT_RUNNING,
    OPT_DEMO_STOP,
    OPT_CONFIG,
    OPT_GROUP,
    OPT_JOURNAL,
    OPT_DOCTOR,
    OPT_FIX,
    OPT_MAX_DEPTH,
    OPT_ORPHANS,
};

/* Also the words that shell completion offers (ui/complete.c). */
static const struct option longopts[] = {
    {"connect", required_argument, NULL, 'c'},
    {"readonly", no_argument, NULL, 'r'},
    {"ascii", no_argument, NULL, OPT_ASCII},
    {"no-color", no_argument, NULL, OPT_NO_COLOR},
    {"no-colour", no_argument, NULL, OPT_NO_COLOR},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"list", no_argument, NULL, OPT_LIST},
    {"json", no_argument, NULL, OPT_JSON},
    {"running", no_argument, NULL, OPT_RUNNING},
    {"demo", no_argument, NULL, OPT_DEMO},
    {"demo-stop", no_argument, NULL, OPT_DEMO_STOP},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"group", required_argument, NULL, OPT_GROUP},
    {"journal", no_argument, NULL, OPT_JOURNAL},
    {"doctor", no_argument, NULL, OPT_DOCTOR},
    {"fix", no_argument, NULL, OPT_FIX},
    {"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
    {"orphans", no_argument, NULL, OPT_ORPHANS},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

const struct option *st_options_longopts(void)
{
    return longopts;
}

static void usage(FILE *out)
{
    fprintf(out, _("Usage: %s [OPTION]...\n"), PACKAGE);
    fputs(_("Show and reshape libvirt snapshot trees and qcow2 backing chains.\n\n"), out);
    fputs(_("  -c, --connect=URI    connect to the libvirt host URI (may be repeated)\n"
            "  -r, --readonly       open read-only connections; no actions are offered\n"
            "      --ascii          draw with ASCII characters only\n"
            "      --no-color       do not use colour (also when NO_COLOR is set)\n"
            "      --interval=SEC   seconds between statistics refreshes (default 2)\n"
            "      --list           print the tree as text and exit\n"
            "      --json           print the tree as JSON and exit\n"
            "      --timeout=SEC    with --list/--json: how long to wait for a host (default 30)\n"
            "      --demo           build (or reuse) a demo lab and open it\n"
            "  -V, --version        print the version and exit\n"
            "  -h, --help           print this help and exit\n"),
          out);
    /* Each its own string, so that the translations of the block above stay valid. */
    fputs(_("      --demo-stop      stop the demo's running domains (they outlive the program)\n"),
          out);
    fputs(_("      --config=FILE    read the hosts from FILE instead of the configuration file\n"),
          out);
    fputs(_("      --group=NAME     only the hosts of that group of the configuration file\n"),
          out);
    fputs(_("      DOMAIN...        with --list/--json: only the domains of these names\n"), out);
    fputs(_("      --journal [DOMAIN]...  print the journal of what was done (--json: JSON "
            "lines)\n"),
          out);
    fputs(_("      --doctor         check every chain and report (with --json: as JSON); exit\n"
            "                       status 0 healthy, 1 warnings, 2 errors\n"
            "      --fix            with --doctor: offer the safe fixes as a plan, then make them\n"
            "      --max-depth=N    with --doctor: report chains of more than N layers (default "
            "16)\n"),
          out);
    fputs(_("      --orphans        list the image files in the hosts' folders and what they are\n"
            "                       to them (with --json: as JSON); with --fix, offer to remove\n"
            "                       those nothing references\n"),
          out);
    fputs(_("      --running        with --list/--json: only running and paused domains\n\n"), out);
    fputs(_("Without -c, LIBVIRT_DEFAULT_URI when set, else the hosts listed in\n"
            "$XDG_CONFIG_HOME/virt-snaptree/config, else libvirt's default (virsh's order).\n"
            "Press ? in the program for keys.\n"),
          out);
}

static void add_host(st_options *o, const char *uri, const char *label, const char *group)
{
    o->uris = xrealloc(o->uris, (o->n_uris + 1) * sizeof(char *));
    o->labels = xrealloc(o->labels, (o->n_uris + 1) * sizeof(char *));
    o->groups = xrealloc(o->groups, (o->n_uris + 1) * sizeof(char *));
    o->labels[o->n_uris] = label ? xstrdup(label) : NULL;
    o->groups[o->n_uris] = group ? xstrdup(group) : NULL;
    o->uris[o->n_uris++] = xstrdup(uri);
}

/* --interval and --timeout: seconds, at least a tenth, at most an hour. */
static bool parse_seconds(const char *opt, const char *s, int *ms)
{
    double v;
    switch (st_parse_number(s, true, 0.1, 3600, &v)) {
    case ST_NUM_OK:
        *ms = (int)(v * 1000 + 0.5);
        return true;
    case ST_NUM_BAD:
        fprintf(stderr, _("%s: --%s takes a number of seconds (such as 2 or 0.5), not \"%s\"\n"),
                PACKAGE, opt, s);
        return false;
    case ST_NUM_RANGE:
        break;
    }
    fprintf(stderr, _("%s: --%s takes from %s to %s seconds, not %s\n"), PACKAGE, opt, "0.1",
            "3600", s);
    return false;
}

/* --doctor and --orphans: one of them, with --json or alone; --fix and --max-depth only with
 * them. Says what does not fit. */
static bool checks_fit(st_options *o)
{
    const char *bad = NULL;
    if (o->doctor && o->orphans)
        bad = _("--doctor and --orphans are two reports: give one of them");
    else if (o->fix && !o->doctor && !o->orphans)
        bad = _("--fix goes with --doctor or --orphans");
    else if (o->max_depth && !o->doctor)
        bad = _("--max-depth goes with --doctor");
    else if ((o->doctor || o->orphans) && o->mode == ST_MODE_LIST)
        bad = _("--doctor and --orphans report by themselves: give --json or nothing");
    if (bad) {
        fprintf(stderr, "%s: %s\n", PACKAGE, bad);
        return false;
    }
    if ((o->doctor || o->orphans) && o->mode == ST_MODE_TUI)
        o->mode = ST_MODE_LIST;
    return true;
}

int st_options_parse(st_options *o, int argc, char **argv, int *status)
{
    memset(o, 0, sizeof(*o));
    o->interval_ms = 2000;
    o->timeout_ms = 30000;
    const char *nc = getenv("NO_COLOR");
    o->no_color = nc && *nc;
    int c;
    while ((c = getopt_long(argc, argv, "c:rVh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (!*optarg) {
                fprintf(stderr, _("%s: -c needs a URI, not an empty string\n"), PACKAGE);
                *status = 2;
                return -1;
            }
            add_host(o, optarg, NULL, NULL);
            break;
        case 'r':
            o->readonly = true;
            break;
        case OPT_ASCII:
            o->ascii = true;
            break;
        case OPT_NO_COLOR:
            o->no_color = true;
            break;
        case OPT_INTERVAL:
        case OPT_TIMEOUT:
            if (!parse_seconds(c == OPT_INTERVAL ? "interval" : "timeout", optarg,
                               c == OPT_INTERVAL ? &o->interval_ms : &o->timeout_ms)) {
                *status = 2;
                return -1;
            }
            break;
        case OPT_LIST:
            o->mode = ST_MODE_LIST;
            break;
        case OPT_JSON:
            o->mode = ST_MODE_JSON;
            break;
        case OPT_RUNNING:
            o->running_only = true;
            break;
        case OPT_DEMO:
            o->demo = true;
            break;
        case OPT_DEMO_STOP:
            o->demo_stop = true;
            break;
        case OPT_JOURNAL:
            o->journal = true;
            break;
        case OPT_DOCTOR:
            o->doctor = true;
            break;
        case OPT_FIX:
            o->fix = true;
            break;
        case OPT_ORPHANS:
            o->orphans = true;
            break;
        case OPT_MAX_DEPTH: {
            double v;
            if (st_parse_number(optarg, false, 1, 1000, &v) != ST_NUM_OK) {
                fprintf(stderr, _("%s: --max-depth takes a whole number from 1 to 1000, not %s\n"),
                        PACKAGE, optarg);
                *status = 2;
                return -1;
            }
            o->max_depth = (size_t)v;
            break;
        }
        case OPT_CONFIG:
            free(o->config);
            o->config = xstrdup(optarg);
            break;
        case OPT_GROUP:
            free(o->group);
            o->group = xstrdup(optarg);
            break;
        case 'V':
            printf("%s %s\n", PACKAGE, VERSION);
            *status = 0;
            return -1;
        case 'h':
            usage(stdout);
            *status = 0;
            return -1;
        default:
            fprintf(stderr, _("Try '%s --help' for more information.\n"), PACKAGE);
            *status = 2;
            return -1;
        }
    }
    if (!checks_fit(o)) {
        *status = 2;
        return -1;
    }
    /* The interface plans merges, and a plan must see every domain that shares a base image:
     * leaving the shut-off ones out is for reports only. */
    if (o->running_only && o->mode == ST_MODE_TUI) {
        fprintf(stderr, _("%s: --running needs --list or --json\n"), PACKAGE);
        *status = 2;
        return -1;
    }
    if ((o->demo || o->demo_stop) && (o->n_uris || o->readonly || o->config)) {
        fprintf(stderr,
                _("%s: --demo and --demo-stop use the demo's own host: no -c, -r or --config\n"),
                PACKAGE);
        *status = 2;
        return -1;
    }
    if (o->config && o->n_uris) {
        fprintf(stderr, _("%s: -c and --config both name the hosts: give one of them\n"), PACKAGE);
        *status = 2;
        return -1;
    }
    /* Domain names narrow a report; the interface shows every domain, for the same reason as
     * --running. */
    if (o->journal && (o->demo || o->demo_stop || o->running_only || o->mode == ST_MODE_LIST)) {
        fprintf(stderr, _("%s: --journal takes only -c, --config, --json and domain names\n"),
                PACKAGE);
        *status = 2;
        return -1;
    }
    if (optind < argc && o->mode == ST_MODE_TUI && !o->journal) {
        fprintf(stderr, _("%s: unexpected argument: %s (domain names need --list or --json)\n"),
                PACKAGE, argv[optind]);
        *status = 2;
        return -1;
    }
    for (; optind < argc; optind++) {
        o->domains = xrealloc(o->domains, (o->n_domains + 1) * sizeof(char *));
        o->domains[o->n_domains++] = xstrdup(argv[optind]);
    }
    return 0;
}

static char *default_config_path(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    return xdg && *xdg ? xasprintf("%s/virt-snaptree/config", xdg)
           : home      ? xasprintf("%s/.config/virt-snaptree/config", home)
                       : NULL;
}

/* Loads PATH's hosts into o; the reason it could not, in *err (0 on success). */
static int load_config(st_options *o, const char *path, bool named, char **err)
{
    st_config c;
    int rc = st_config_load(&c, path, named, err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < c.n_uris; i++)
        add_host(o, c.uris[i], c.labels[i], c.groups[i]);
    if (!o->max_depth)
        o->max_depth = c.max_depth;
    free(o->config_warning);
    o->config_warning = c.warning;
    c.warning = NULL;
    st_config_clear(&c);
    return 0;
}

/* The file's max-chain-depth, when the hosts come from elsewhere (quietly: it is not read for
 * them). */
static void read_depth_only(st_options *o)
{
    char *path = o->config ? xstrdup(o->config) : default_config_path();
    st_config c;
    char *err = NULL;
    if (path && !o->max_depth && st_config_load(&c, path, false, &err) == 0) {
        o->max_depth = c.max_depth;
        st_config_clear(&c);
    }
    free(err);
    free(path);
}

int st_options_read_config(st_options *o, int *status)
{
    /* An admin who exports LIBVIRT_DEFAULT_URI means that host, as with virsh: no URI here, and
     * libvirt opens it. A file named with --config is meant whatever the environment says. */
    const char *env = getenv("LIBVIRT_DEFAULT_URI");
    if (o->n_uris || (!o->config && env && *env)) {
        read_depth_only(o);
        return 0;
    }
    char *path = o->config ? xstrdup(o->config) : default_config_path();
    if (!path)
        return 0;
    char *err = NULL;
    int rc = load_config(o, path, o->config != NULL, &err);
    free(path);
    if (rc != 0) {
        char *safe = st_text_sanitize(err, o->utf8);
        fprintf(stderr, "%s: %s\n", PACKAGE, safe);
        free(safe);
        free(err);
        *status = 2;
        return -1;
    }
    return 0;
}

/* Whether host i is in `group`. */
static bool in_group(const st_options *o, size_t i, const char *group)
{
    return o->groups && o->groups[i] && strcmp(o->groups[i], group) == 0;
}

/* Drops the hosts not in o->group, keeping the others in order. */
static void keep_group(st_options *o)
{
    size_t kept = 0;
    for (size_t i = 0; i < o->n_uris; i++) {
        if (!in_group(o, i, o->group)) {
            free(o->uris[i]);
            free(o->labels[i]);
            free(o->groups[i]);
            continue;
        }
        o->uris[kept] = o->uris[i];
        o->labels[kept] = o->labels[i];
        o->groups[kept++] = o->groups[i];
    }
    o->n_uris = kept;
}

int st_options_apply_group(st_options *o, int *status)
{
    if (!o->group)
        return 0;
    bool any = false;
    for (size_t i = 0; i < o->n_uris && !any; i++)
        any = in_group(o, i, o->group);
    if (!any) {
        char *safe = st_text_sanitize(o->group, o->utf8);
        fprintf(stderr, _("%s: no host of the configuration file is in the group %s\n"), PACKAGE,
                safe);
        free(safe);
        *status = 2;
        return -1;
    }
    if (o->mode != ST_MODE_TUI)
        keep_group(o);
    return 0;
}

void st_options_read_config_file(st_options *o)
{
    char *path = default_config_path();
    char *err = NULL;
    if (path && load_config(o, path, false, &err) != 0)
        free(err);
    free(path);
}

void st_options_free(st_options *o)
{
    for (size_t i = 0; i < o->n_domains; i++)
        free(o->domains[i]);
    free(o->domains);
    o->domains = NULL;
    o->n_domains = 0;
    free(o->config_warning);
    o->config_warning = NULL;
    free(o->config);
    o->config = NULL;
    for (size_t i = 0; i < o->n_uris; i++) {
        free(o->uris[i]);
        free(o->labels ? o->labels[i] : NULL);
        free(o->groups ? o->groups[i] : NULL);
    }
    free(o->uris);
    free(o->labels);
    free(o->groups);
    free(o->group);
    o->group = NULL;
    o->labels = o->groups = NULL;
    o->uris = NULL;
    o->n_uris = 0;
}
