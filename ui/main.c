#include "config.h"

#include <langinfo.h>
#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/offline.h"
#include "base/i18n.h"
#include "base/ssh_share.h"
#include "base/util.h"
#include "complete.h"
#include "core/chain_wire.h"
#include "core/report.h"
#include "core/text.h"
#include "demo/demo.h"
#include "doctor_cli.h"
#include "journal_cli.h"
#include "tui.h"
#include "view/options.h"
#include "view/term.h"

/* The domains named on the command line only; -1 when a name is on no host (each is said). */
static int keep_named_domains(const st_options *o, st_host *const *hosts, size_t n)
{
    bool *found = xcalloc(o->n_domains, sizeof(bool));
    st_report_keep_domains(hosts, n, o->domains, o->n_domains, found);
    int rc = 0;
    for (size_t j = 0; j < o->n_domains; j++) {
        if (found[j])
            continue;
        char *safe = st_text_sanitize(o->domains[j], o->utf8);
        fprintf(stderr, _("%s: no domain named %s\n"), PACKAGE, safe);
        free(safe);
        rc = -1;
    }
    free(found);
    return rc;
}

/* --list, --json, --doctor and --orphans: wait for every host once, print, exit non-zero
 * when a host failed. */
static int run_report(const st_options *o)
{
    st_backend_opts bo = {
        .uris = (const char *const *)o->uris,
        .n_uris = o->n_uris,
        .readonly = o->readonly,
        .interval_ms = 3600 * 1000,
        .events = false,
        .snapshots = true,
        .running_only = o->running_only,
        .inactive_xml = o->doctor || o->orphans,
        .pool_dirs = o->orphans,
    };
    st_backend *b = st_backend_start(&bo);
    /* The backend's threads have inherited the blocked signals: a Ctrl-C ends --list again. */
    st_term_unblock_signals();
    size_t n = st_backend_n_hosts(b);
    st_host **hosts = xcalloc(n, sizeof(st_host *));
    bool complete = st_backend_wait_initial(b, o->timeout_ms);
    st_msg *m;
    while ((m = st_backend_next(b))) {
        if (m->kind == ST_MSG_HOST && m->host_index < n && !hosts[m->host_index]) {
            hosts[m->host_index] = m->host;
            m->host = NULL;
        }
        st_msg_free(m);
    }
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        if (!hosts[i]) {
            const char *uri = st_backend_uri(b, i);
            hosts[i] = st_host_new(uri);
            hosts[i]->error = xasprintf(_("%s did not answer within %g seconds"),
                                        uri ? uri : _("the default host"), o->timeout_ms / 1000.0);
        }
        if (!hosts[i]->reachable || hosts[i]->error) {
            char *safe = st_text_sanitize(hosts[i]->error ? hosts[i]->error : "?", o->utf8);
            fprintf(stderr, "%s: %s\n", PACKAGE, safe);
            free(safe);
            status = 1;
        }
    }
    st_model_mark_shared(hosts, n);
    if (o->n_domains && keep_named_domains(o, hosts, n) != 0)
        status = 1;
    if (o->doctor)
        status = st_doctor_cli(o, complete ? b : NULL, hosts, n, status != 0);
    else if (o->orphans)
        status = st_orphans_cli(o, hosts, n, status != 0);
    else if (o->mode == ST_MODE_JSON)
        st_report_json_named(stdout, hosts, n, n == o->n_uris ? o->labels : NULL,
                             n == o->n_uris ? o->groups : NULL);
    else
        st_report_text(stdout, hosts, n, o->utf8, o->utf8 && !o->ascii);
    fflush(stdout);
    if (complete) {
        st_backend_stop(b);
        st_backend_free(b);
    }
    for (size_t i = 0; i < n; i++)
        st_host_free(hosts[i]);
    free(hosts);
    return status;
}

#ifdef ENABLE_NLS
/*
 * Where the catalogs are: VIRT_SNAPTREE_LOCALEDIR when set (an uninstalled build's tests point
 * it at catalogs of their own, as git does); the build tree's when this is the program built
 * there and not installed; else the installed ones.
 */
static const char *locale_dir(void)
{
    const char *env = getenv("VIRT_SNAPTREE_LOCALEDIR");
    if (env && *env)
        return env;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        if (strcmp(self, BUILD_PROGRAM) == 0)
            return BUILD_LOCALEDIR;
    }
    return LOCALEDIR;
}
#endif

int main(int argc, char **argv)
{
    /* libvirt's ssh for a shared connection (ssh_share.h): nothing of the program's own set-up,
     * whose blocked signals ssh would inherit. */
    if (argc > 0 && strcmp(st_basename(argv[0]), ST_SSH_WRAPPER) == 0)
        return st_ssh_wrapper_main(argc, argv);
    /* glibc gives each thread that allocates an arena of its own (up to 8 per core), and memory
     * freed in one is not reused by the others: with discovery's helper threads that costs about
     * a megabyte of resident memory for nothing. The threads mostly wait on libvirt; two arenas
     * are plenty. */
    mallopt(M_ARENA_MAX, 2);
    /* Before any thread exists (libvirt's, the demo's embedded driver, the backend's), so that
     * they all inherit it: only the interface's thread takes SIGINT, SIGTERM, SIGHUP, SIGWINCH. */
    st_term_block_signals();
    setlocale(LC_ALL, "");
    /* The charset decides how text is made safe (and whether our own "…" can be shown). */
    bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    st_i18n_set_utf8(utf8);
#ifdef ENABLE_NLS
    /* An uninstalled build (the tests) can point this at catalogs of its own, as git does. */
    bindtextdomain(PACKAGE, locale_dir());
    textdomain(PACKAGE);
#endif
    /* The detached helper of an offline merge (src/backend/offline_helper.c), not for people. */
    if (argc == 3 && strcmp(argv[1], "--offline-job") == 0)
        return st_offline_helper_main(argv[2]);
    /* The chains of this host, asked over ssh by the program on another one (chain_wire.h). */
    if (argc == 2 && strcmp(argv[1], "--read-chains") == 0)
        return st_wire_serve(stdin, stdout);
    /* Shell completion (ui/complete.c), asked by the bash completion script. */
    if (argc >= 2 && strcmp(argv[1], "--complete") == 0)
        return st_complete_main(argc - 2, argv + 2);
    st_options o;
    int status = 0;
    if (st_options_parse(&o, argc, argv, &status) < 0) {
        st_options_free(&o);
        return status;
    }
    o.utf8 = utf8;
    if (o.demo_stop) {
        st_options_free(&o);
        status = st_demo_stop(stderr) == 0 ? 0 : 1;
        fflush(NULL);
        _exit(status);
    }
    /* Before the demo starts its domains: nothing is started for a session that cannot open. */
    if (o.mode == ST_MODE_TUI && !o.journal && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
        fprintf(stderr, _("%s: the interactive mode needs a terminal (try --list or --json)\n"),
                PACKAGE);
        st_options_free(&o);
        return 2;
    }
    if (o.demo) {
        char *uri = NULL;
        if (st_demo_prepare(&uri, stderr) != 0) {
            st_options_free(&o);
            return 1;
        }
        st_options_free(&o);
        o.uris = xcalloc(1, sizeof(char *));
        o.uris[0] = uri;
        o.n_uris = 1;
    } else if (st_options_read_config(&o, &status) < 0 || st_options_apply_group(&o, &status) < 0) {
        st_options_free(&o);
        return status;
    }
    if (o.config_warning && o.mode != ST_MODE_TUI) {
        char *safe = st_text_sanitize(o.config_warning, utf8);
        fprintf(stderr, "%s: %s\n", PACKAGE, safe);
        free(safe);
    }
    /* libvirt logs what it also returns through the API (and warnings such as "tainted:
     * high-privileges") to stderr; every error reaches the admin through the model instead. */
    setenv("LIBVIRT_LOG_OUTPUTS", "4:file:/dev/null", 0);
    status = o.journal               ? st_journal_cli(&o)
             : o.mode == ST_MODE_TUI ? st_tui_run(&o)
                                     : run_report(&o);
    if (o.demo)
        fprintf(stderr,
                _("%s: the demo's running domains keep running (QEMU runs them, not this "
                  "program); %s --demo-stop stops them.\n"),
                PACKAGE, PACKAGE);
    st_options_free(&o);
    /* A connection left stuck on a hung host keeps its ssh waiting for that host: not after us. */
    st_ssh_end();
    /* Do not run libvirt's teardown of embedded drivers at exit: libvirt 9.0's can crash there. */
    fflush(NULL);
    _exit(status);
}
