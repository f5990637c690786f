/*
 * The journal's pure parts: the JSON tree (round trips, hostile input), the entry's document, its
 * files (names, modes, atomic writes, reading back newest first, a folder that cannot be used) and
 * the header checksums of a chain read from qemu-img's images.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "core/journal.h"
#include "core/journal_store.h"
#include "core/journal_settle.h"
#include "core/journal_undo.h"
#include "core/json.h"
#include "scratch.h"
#include "tap.h"

static char dir[PATH_MAX];

static void setup(void)
{
    scratch_make(dir, sizeof(dir), "journal");
}

static void teardown(void)
{
    scratch_remove(dir);
}

/* ---- JSON ---- */

START_TEST(test_json_round_trip)
{
    st_json *o = st_json_object();
    st_json_set_str(o, "quote", "a \"b\" \\ c\n\td");
    st_json_set_str(o, "cjk", "快照 ✓");
    st_json_set(o, "max", st_json_u64(UINT64_MAX));
    st_json_set(o, "neg", st_json_i64(-42));
    st_json_set(o, "t", st_json_bool(true));
    st_json_set(o, "none", NULL);
    st_json *a = st_json_array();
    st_json_push(a, st_json_string("x"));
    st_json_push(a, st_json_array());
    st_json_set(o, "list", a);
    char *text = st_json_dump(o);
    ck_assert_ptr_null(strchr(text, '\n'));
    char *why = NULL;
    st_json *back = st_json_parse(text, &why);
    ck_assert_msg(back, "%s", why ? why : "?");
    ck_assert_str_eq(st_json_get_str(back, "quote"), "a \"b\" \\ c\n\td");
    ck_assert_str_eq(st_json_get_str(back, "cjk"), "快照 ✓");
    ck_assert(st_json_get_u64(back, "max", 0) == UINT64_MAX);
    ck_assert_int_eq(st_json_get_i64(back, "neg", 0), -42);
    ck_assert(st_json_get_bool(back, "t", false));
    ck_assert_int_eq(st_json_get(back, "none")->type, ST_JSON_NULL);
    ck_assert_ptr_null(st_json_get_str(back, "none"));
    const st_json *l = st_json_get(back, "list");
    ck_assert_int_eq(l->n, 2);
    ck_assert_str_eq(l->items[0]->text, "x");
    char *again = st_json_dump(back);
    ck_assert_str_eq(again, text);
    free(again);
    free(text);
    st_json_free(back);
    st_json_free(o);
}
END_TEST

START_TEST(test_json_escapes)
{
    char *why = NULL;
    st_json *v = st_json_parse(" {\"s\": \"\\u00e9\\ud83d\\ude00\\/\\ud800x\"} ", &why);
    ck_assert_msg(v, "%s", why ? why : "?");
    ck_assert_str_eq(st_json_get_str(v, "s"), "é😀/\xef\xbf\xbdx");
    st_json_free(v);
}
END_TEST

START_TEST(test_json_hostile)
{
    const char *bad[] = {"",        "{",          "{\"a\":1,}", "[1 2]", "\"abc", "\"\\u0000\"",
                         "\"\\x\"", "{\"a\" 1}",  "nul",        "[1]x",  "{1:2}", "\"a\nb\"",
                         "-",       "[\"\\u12\"]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *why = NULL;
        st_json *v = st_json_parse(bad[i], &why);
        ck_assert_msg(!v, "parsed: %s", bad[i]);
        ck_assert_msg(why && *why, "no reason for: %s", bad[i]);
        free(why);
    }
    /* Deep nesting is refused, not recursed into without end. */
    char deep[1000];
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = '\0';
    char *why = NULL;
    ck_assert_ptr_null(st_json_parse(deep, &why));
    free(why);
}
END_TEST

/* ---- the document ---- */

static st_json *sample_doc(const char *domain, const char *action_path)
{
    st_request req = {0};
    req.kind = ST_REQ_SNAPSHOT_DELETE;
    req.domain = (char *)domain;
    req.snapshot = "s1";
    req.flags = ST_F_METADATA_ONLY | ST_F_NO_JOURNAL;
    req.plan = "What happens:\n  delete s1\n";
    st_journal_who who = {
        .user = "admin", .uid = 1000, .terminal = "/dev/pts/3", .ssh_client = "192.0.2.7"};
    st_json *d = st_journal_begin("qemu:///system", &req, &who, 1796683847);
    st_layer layers[2] = {
        {.path = "/img/top.qcow2",
         .format = "qcow2",
         .backing_name = "base.qcow2",
         .backing_fmt = "qcow2",
         .virtual_size = 1 << 20},
        {.path = "/img/base.qcow2", .format = "qcow2", .virtual_size = 1 << 20},
    };
    char *sums[2] = {"fnv1a64:0000000000000001", NULL};
    st_json *before = st_json_object();
    st_json *chains = st_json_array();
    st_json_push(chains, st_journal_chain("vda", layers, 2, sums, NULL));
    st_json_set(before, "chains", chains);
    st_json_set(d, "before", before);
    st_json *after = st_json_array();
    st_json_push(after, st_journal_chain("vda", action_path ? layers + 1 : layers, 1, NULL, NULL));
    uint64_t moved = 3 << 20;
    st_journal_end(d, true, NULL, "deleted", 1796683850, 2.5, &moved, after);
    return d;
}

START_TEST(test_document)
{
    st_json *d = sample_doc("web01", "x");
    ck_assert_str_eq(st_json_get_str(d, "format"), ST_JOURNAL_FORMAT);
    ck_assert_str_eq(st_json_get_str(d, "action"), "snapshot-delete");
    ck_assert_str_eq(st_json_get_str(d, "started"), "2026-12-07T22:50:47Z");
    const st_json *req = st_json_get(d, "request");
    ck_assert_str_eq(st_json_get_str(req, "snapshot"), "s1");
    const st_json *flags = st_json_get(req, "flags");
    ck_assert_int_eq(flags->n, 2);
    ck_assert_str_eq(flags->items[0]->text, "metadata-only");
    ck_assert_str_eq(flags->items[1]->text, "no-journal");
    const st_json *who = st_json_get(d, "who");
    ck_assert_str_eq(st_json_get_str(who, "ssh_client"), "192.0.2.7");
    const st_json *after = st_json_get(d, "after");
    ck_assert_str_eq(st_json_get_str(after, "outcome"), "done");
    ck_assert(st_json_get_u64(after, "bytes_moved", 0) == 3 << 20);
    const st_json *layer =
        st_json_get(st_json_get(st_json_get(d, "before"), "chains")->items[0], "layers")->items[0];
    ck_assert_str_eq(st_json_get_str(layer, "backing_name"), "base.qcow2");
    ck_assert_str_eq(st_json_get_str(layer, "header_sum"), "fnv1a64:0000000000000001");
    /* A second end replaces the first: one "after" member. */
    st_journal_end(d, false, "failed", "no", 1796683851, 3, NULL, NULL);
    size_t afters = 0;
    for (size_t i = 0; i < d->n; i++)
        afters += strcmp(d->keys[i], "after") == 0;
    ck_assert_int_eq(afters, 1);
    ck_assert_str_eq(st_json_get_str(st_json_get(d, "after"), "outcome"), "failed");
    st_json_free(d);
}
END_TEST

static char *print_to_string(const st_json *d, int columns)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    st_journal_print(f, d, true, columns);
    long len = ftell(f);
    rewind(f);
    char *buf = xcalloc(1, (size_t)len + 1);
    ck_assert_int_eq(fread(buf, 1, (size_t)len, f), len);
    fclose(f);
    return buf;
}

START_TEST(test_print)
{
    st_json *d = sample_doc("web01", "x");
    char *narrow = print_to_string(d, 0);
    ck_assert_msg(strstr(narrow, "snapshot-delete  web01  qemu:///system  by admin on /dev/pts/3 "
                                 "from 192.0.2.7  done in 2.5 s, 3.00 MiB moved"),
                  "%s", narrow);
    ck_assert_msg(strstr(narrow, "    before:\n      /img/top.qcow2 (qcow2)\n      "
                                 "/img/base.qcow2 (qcow2)\n    after:\n      /img/base.qcow2"),
                  "%s", narrow);
    char *wide = print_to_string(d, 100);
    ck_assert_msg(strstr(wide, "    /img/top.qcow2 (qcow2)"), "%s", wide);
    /* Side by side: the first layer before and the first after share a line. */
    const char *row = strstr(wide, "/img/top.qcow2 (qcow2)");
    ck_assert_ptr_nonnull(row);
    const char *eol = strchr(row, '\n');
    const char *after = strstr(row, "/img/base.qcow2 (qcow2)");
    ck_assert_msg(after && after < eol, "%s", wide);
    free(narrow);
    free(wide);
    st_json_free(d);
}
END_TEST

/* ---- files ---- */

START_TEST(test_dir_names)
{
    char *p = st_journal_dir("/j", "qemu+ssh://root@kvm2/system", "../évil/x");
    ck_assert_str_eq(p, "/j/qemu%2Bssh%3A%2F%2Froot%40kvm2%2Fsystem/%2E.%2F%C3%A9vil%2Fx");
    free(p);
    p = st_journal_dir("/j", NULL, "");
    ck_assert_str_eq(p, "/j/default/%00");
    free(p);
}
END_TEST

START_TEST(test_write_modes)
{
    char *root = xasprintf("%s/state/journal", dir);
    char *d = st_journal_dir(root, "qemu:///system", "web01");
    struct timespec ts = {.tv_sec = 1796683847, .tv_nsec = 5};
    char *path = st_journal_new_path(d, &ts, "commit");
    ck_assert_str_eq(st_basename(path), "20261207T225047.000000005Z-commit.json");
    char *why = NULL;
    ck_assert_int_eq(st_journal_write(path, "{\"a\":1}", &why), 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(stat(d, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    ck_assert_int_eq(stat(root, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    /* Rewritten whole; no temporary file is left beside it. */
    ck_assert_int_eq(st_journal_write(path, "{\"a\":2}", &why), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *f = fopen(path, "r");
    ck_assert_int_eq(getdelim(&text, &len, '\0', f) > 0, 1);
    fclose(f);
    ck_assert_str_eq(text, "{\"a\":2}\n");
    char *tmp = xasprintf("%s/.%s.tmp", d, st_basename(path));
    ck_assert_int_ne(access(tmp, F_OK), 0);
    /* A second entry in the same nanosecond gets a name of its own. */
    char *next = st_journal_new_path(d, &ts, "commit");
    ck_assert_str_ne(next, path);
    free(next);
    free(tmp);
    free(text);
    free(path);
    free(d);
    free(root);
}
END_TEST

START_TEST(test_check_unusable)
{
    char *why = NULL;
    char *root = xasprintf("%s/journal", dir);
    ck_assert_int_eq(st_journal_check(root, &why), 0);
    ck_assert_ptr_null(why);
    /* A file where a folder should be. */
    char *blocker = xasprintf("%s/state", dir);
    FILE *f = fopen(blocker, "w");
    fclose(f);
    char *under = xasprintf("%s/virt-snaptree/journal", blocker);
    ck_assert_int_eq(st_journal_check(under, &why), -1);
    ck_assert_msg(strstr(why, blocker) && strstr(why, "Not a directory"), "%s", why);
    free(why);
    ck_assert_int_eq(st_journal_check(NULL, &why), -1);
    ck_assert_ptr_nonnull(why);
    free(why);
    free(under);
    free(blocker);
    free(root);
}
END_TEST

static void put_entry(const char *root, const char *host, const char *domain, time_t t,
                      const char *text)
{
    char *d = st_journal_dir(root, host, domain);
    struct timespec ts = {.tv_sec = t};
    char *path = st_journal_new_path(d, &ts, "revert");
    char *why = NULL;
    ck_assert_int_eq(st_journal_write(path, text, &why), 0);
    free(path);
    free(d);
}

START_TEST(test_load_newest_first)
{
    char *root = xasprintf("%s/journal", dir);
    st_json *a = sample_doc("web01", NULL), *b = sample_doc("web02", NULL);
    char *ta = st_json_dump(a), *tb = st_json_dump(b);
    put_entry(root, "qemu:///system", "web01", 100, ta);
    put_entry(root, "qemu:///system", "web02", 300, tb);
    put_entry(root, "qemu+ssh://kvm2/system", "web01", 200, ta);
    put_entry(root, "qemu:///system", "web01", 400, "{not json");
    st_journal_file *v = NULL;
    size_t n = st_journal_load(root, NULL, NULL, &v);
    ck_assert_int_eq(n, 4);
    ck_assert_ptr_null(v[0].doc); /* the newest, damaged: said, not skipped */
    ck_assert_ptr_nonnull(v[0].why);
    ck_assert_str_eq(st_json_get_str(v[1].doc, "domain"), "web02");
    ck_assert_ptr_nonnull(strstr(v[2].path, "kvm2"));
    ck_assert_ptr_nonnull(strstr(v[3].path, "/qemu%3A%2F%2F%2Fsystem/web01/"));
    st_journal_files_free(v, n);
    n = st_journal_load(root, NULL, "web01", &v);
    ck_assert_int_eq(n, 3);
    st_journal_files_free(v, n);
    n = st_journal_load(root, "qemu:///system", "web01", &v);
    ck_assert_int_eq(n, 2);
    st_journal_files_free(v, n);
    n = st_journal_load(root, "qemu:///system", NULL, &v);
    ck_assert_int_eq(n, 3);
    st_journal_files_free(v, n);
    n = st_journal_load(root, "qemu:///nowhere", NULL, &v);
    ck_assert_int_eq(n, 0);
    st_journal_files_free(v, n);
    free(ta);
    free(tb);
    st_json_free(a);
    st_json_free(b);
    free(root);
}
END_TEST

/* ---- chains read here ---- */

/* Runs a shell command in the scratch folder; the test fails unless it succeeds. */
static void sh(const char *cmd)
{
    char *full = xasprintf("cd '%s' && %s", dir, cmd);
    ck_assert_msg(system(full) == 0, "failed: %s", full);
    free(full);
}

START_TEST(test_chain_local_sums)
{
    if (system("command -v qemu-img >/dev/null") != 0)
        return;
    sh("qemu-img create -q -f qcow2 base.qcow2 1M");
    sh("qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2 1M");
    char *top = xasprintf("%s/top.qcow2", dir);
    st_json *c = st_journal_chain_local("vda", top, "qcow2");
    const st_json *layers = st_json_get(c, "layers");
    ck_assert_int_eq(layers->n, 2);
    ck_assert_str_eq(st_json_get_str(layers->items[0], "backing_name"), "base.qcow2");
    ck_assert(st_json_get_u64(layers->items[0], "virtual_size", 0) == 1 << 20);
    const char *sum_top = st_json_get_str(layers->items[0], "header_sum");
    const char *sum_base = st_json_get_str(layers->items[1], "header_sum");
    ck_assert_ptr_nonnull(sum_top);
    ck_assert_ptr_nonnull(sum_base);
    ck_assert_str_ne(sum_top, sum_base);
    ck_assert_int_eq(strlen(sum_top), strlen("fnv1a64:") + 16);
    /* Guest data does not change the header; a new backing name does. */
    char *why = NULL;
    sh("qemu-io -f qcow2 -c 'write -P 0x5a 0 64k' top.qcow2 >/dev/null");
    char *same = st_journal_header_sum_path(top, &why);
    ck_assert_str_eq(same, sum_top);
    sh("qemu-img rebase -u -F qcow2 -b ./base.qcow2 top.qcow2");
    char *changed = st_journal_header_sum_path(top, &why);
    ck_assert_str_ne(changed, sum_top);
    free(changed);
    free(same);
    /* A raw image has no header to sum: said, not guessed. */
    sh("qemu-img create -q -f raw raw.img 1M");
    char *raw = xasprintf("%s/raw.img", dir);
    ck_assert_ptr_null(st_journal_header_sum_path(raw, &why));
    ck_assert_ptr_nonnull(why);
    free(why);
    free(raw);
    st_json_free(c);
    free(top);
}
END_TEST

/* ---- undo ---- */

/* An entry as the recorder writes it: action, flags, outcome, snapshots and one chain. */
static st_json *undo_doc(const char *action, const char *flag, bool ok, const char *top_sum)
{
    st_json *d = st_json_object();
    st_json_set_str(d, "action", action);
    st_json_set_str(d, "domain", "vm");
    st_json *req = st_json_object();
    st_json *flags = st_json_array();
    if (flag)
        st_json_push(flags, st_json_string(flag));
    st_json_set(req, "flags", flags);
    st_json_set(d, "request", req);
    st_json *before = st_json_object();
    st_json_set_str(before, "xml_inactive", "<domain/>");
    st_json *snaps = st_json_array();
    const char *names[] = {"s1", "s2"};
    for (int i = 0; i < 2; i++) {
        st_json *s = st_json_object();
        st_json_set_str(s, "name", names[i]);
        st_json_set(s, "current", st_json_bool(i == 1));
        char *xml = xasprintf("<domainsnapshot><name>%s</name></domainsnapshot>", names[i]);
        st_json_set_str(s, "xml", xml);
        free(xml);
        st_json_push(snaps, s);
    }
    st_json_set(before, "snapshots", snaps);
    st_layer layers[2] = {{.path = "/img/top.qcow2"}, {.path = "/img/base.qcow2"}};
    char *sums[2] = {(char *)top_sum, "fnv1a64:00000000000000bb"};
    st_json *chains = st_json_array();
    st_json_push(chains, st_journal_chain("vda", layers, 2, sums, NULL));
    st_json_set(before, "chains", chains);
    st_json_set(d, "before", before);
    st_journal_end(d, ok, NULL, NULL, 0, 1, NULL, NULL);
    return d;
}

/* The host as the tests see it: s1 defined or not, files there or not, headers as recorded. */
static bool t_has_s1;
static const char *t_gone;
static bool t_has_snap(const char *name, void *ctx)
{
    (void)ctx;
    return t_has_s1 && strcmp(name, "s1") == 0;
}
static char *t_snap_missing(const char *xml, void *ctx)
{
    (void)xml, (void)ctx;
    return t_gone ? xstrdup(t_gone) : NULL;
}
static char *t_sum(const char *path, bool *missing, void *ctx)
{
    (void)ctx;
    *missing = t_gone && strcmp(path, t_gone) == 0;
    if (*missing)
        return NULL;
    return xstrdup(strstr(path, "top") ? "fnv1a64:00000000000000aa" : "fnv1a64:00000000000000bb");
}
/* The identity of every image now: as recorded, unless t_written names one written since. */
static const char *t_written;
static st_json *t_ident(const char *path, void *ctx)
{
    (void)ctx;
    st_json *id = st_json_object();
    st_json_set(id, "size", st_json_u64(4096));
    st_json_set_str(id, "mtime_ns", streq0(path, t_written) ? "2000" : "1000");
    st_json_set_str(id, "meta_sum", "fnv1a64:00000000000000cc");
    return id;
}
static const st_undo_host t_host = {t_has_snap, t_snap_missing, t_sum, NULL, t_ident};

START_TEST(test_undo_snapshots)
{
    t_has_s1 = true, t_gone = NULL;
    st_json *d = undo_doc("snapshot-delete", "metadata-only", true, NULL);
    st_undo_plan *p = st_undo_plan_make(d, false, &t_host);
    ck_assert_int_eq(p->kind, ST_UNDO_REDEFINE_SNAPS);
    ck_assert_ptr_null(p->why);
    ck_assert_int_eq(p->n_snaps, 1); /* s1 is still defined: only s2 comes back */
    ck_assert_str_eq(p->snap_names[0], "s2");
    ck_assert(p->snap_current[0]);
    ck_assert_str_eq(p->steps[0],
                     "virDomainSnapshotCreateXML(dom, <s2>, REDEFINE | REDEFINE_CURRENT)");
    st_undo_plan_free(p);
    /* A delete that was not metadata-only: only while the files are still there. */
    st_json_free(d);
    d = undo_doc("snapshot-delete", NULL, true, NULL);
    t_gone = "/img/s2.qcow2";
    p = st_undo_plan_make(d, false, &t_host);
    ck_assert(p->stale);
    ck_assert_str_eq(p->why, "the files of snapshot s2 changed since: /img/s2.qcow2 is gone");
    st_undo_plan_free(p);
    t_has_s1 = false, t_gone = NULL;
    p = st_undo_plan_make(d, false, &t_host);
    ck_assert_int_eq(p->n_snaps, 2);
    ck_assert_str_eq(p->snap_names[0], "s1"); /* parents first, as recorded */
    st_undo_plan_free(p);
    st_json_free(d);
}
END_TEST

START_TEST(test_undo_revert)
{
    t_has_s1 = true, t_gone = NULL;
    st_json *d = undo_doc("revert", "branch", true, "fnv1a64:00000000000000aa");
    st_undo_plan *p = st_undo_plan_make(d, false, &t_host);
    ck_assert_int_eq(p->kind, ST_UNDO_REDEFINE_DOMAIN);
    ck_assert_ptr_null(p->why);
    ck_assert_str_eq(p->domain_xml, "<domain/>");
    ck_assert_str_eq(p->steps[1], "vda is on /img/top.qcow2 again");
    ck_assert_ptr_nonnull(strstr(p->current_xml, "s2"));
    st_undo_plan_free(p);
    p = st_undo_plan_make(d, true, &t_host);
    ck_assert_ptr_nonnull(strstr(p->why, "the domain runs"));
    ck_assert(!p->stale);
    st_undo_plan_free(p);
    st_json_free(d);
    /* Stale: a header changed, an image is gone; each difference is named. */
    d = undo_doc("revert", "branch", true, "fnv1a64:0000000000000001");
    t_gone = "/img/base.qcow2";
    p = st_undo_plan_make(d, false, &t_host);
    ck_assert(p->stale);
    ck_assert_str_eq(p->why, "the images changed since the entry: the header of /img/top.qcow2 "
                             "changed (fnv1a64:00000000000000aa, was fnv1a64:0000000000000001); "
                             "/img/base.qcow2 is gone");
    st_undo_plan_free(p);
    st_json_free(d);
}
END_TEST

START_TEST(test_undo_refused)
{
    t_has_s1 = false, t_gone = NULL;
    const char *actions[] = {"commit", "pull", "pivot", "snapshot-create", "save"};
    const char *why[] = {"a merge moved data", "a merge moved data", "a pivot cannot be taken back",
                         "a new snapshot is undone by deleting it", "it changed the guest's state"};
    for (size_t i = 0; i < 5; i++) {
        st_json *d = undo_doc(actions[i], NULL, true, NULL);
        st_undo_plan *p = st_undo_plan_make(d, false, &t_host);
        ck_assert_int_eq(p->kind, ST_UNDO_NONE);
        ck_assert_msg(strstr(p->why, why[i]), "%s: %s", actions[i], p->why);
        st_undo_plan_free(p);
        st_json_free(d);
    }
    st_json *d = undo_doc("snapshot-delete", NULL, false, NULL);
    st_undo_plan *p = st_undo_plan_make(d, false, &t_host);
    ck_assert_str_eq(p->why, "the action did not succeed: there is nothing to give back");
    st_undo_plan_free(p);
    st_json_free(d);
}
END_TEST

/* An offline commit of the active layer top into base, files kept: the domain moved to base. */
static st_json *merge_doc(bool with_identity)
{
    st_json *d = undo_doc("commit", NULL, true, "fnv1a64:00000000000000aa");
    st_json *before = (st_json *)st_json_get(d, "before");
    st_json_set_str(before, "state", "shut off");
    st_json *req = (st_json *)st_json_get(d, "request");
    st_json_set_str(req, "disk", "vda");
    st_layer left[1] = {{.path = "/img/base.qcow2"}};
    st_json *chains = st_json_array();
    st_json *c = st_journal_chain("vda", left, 1, NULL, NULL);
    st_json_push(chains, c);
    if (with_identity) {
        st_json *id = st_json_object();
        st_json_set(id, "size", st_json_u64(4096));
        st_json_set_str(id, "mtime_ns", "1000");
        st_json_set_str(id, "meta_sum", "fnv1a64:00000000000000cc");
        st_json_set(st_json_get(c, "layers")->items[0], "identity", id);
    }
    st_journal_end(d, true, "completed", NULL, 0, 1, NULL, chains);
    return d;
}

START_TEST(test_undo_offline_merge)
{
    t_has_s1 = true, t_gone = NULL, t_written = NULL;
    st_json *d = merge_doc(true);
    st_undo_plan *p = st_undo_plan_make(d, false, &t_host);
    ck_assert_int_eq(p->kind, ST_UNDO_REDEFINE_DOMAIN);
    ck_assert_msg(!p->why, "%s", p->why);
    ck_assert_str_eq(p->steps[1], "vda is on /img/top.qcow2 again");
    ck_assert_str_eq(p->steps[p->n_steps - 1],
                     "checked: /img/base.qcow2 was not written since the merge (size, "
                     "modification time, L1 and refcount tables)");
    st_undo_plan_free(p);
    /* The merge's target written since: refused, naming it and what changed. */
    t_written = "/img/base.qcow2";
    p = st_undo_plan_make(d, false, &t_host);
    ck_assert(p->stale);
    ck_assert_str_eq(p->why, "the images changed since the entry: /img/base.qcow2 was written "
                             "since the merge: modified at 2000 ns since the epoch, was 1000");
    st_undo_plan_free(p);
    t_written = NULL;
    /* The merged file removed: gone. */
    t_gone = "/img/top.qcow2";
    p = st_undo_plan_make(d, false, &t_host);
    ck_assert(p->stale);
    ck_assert_str_eq(p->why, "the images changed since the entry: /img/top.qcow2 is gone");
    st_undo_plan_free(p);
    t_gone = NULL;
    st_json_free(d);
    /* No identity recorded (an entry of an older version): not known, so refused. */
    d = merge_doc(false);
    p = st_undo_plan_make(d, false, &t_host);
    ck_assert_ptr_nonnull(strstr(p->why, "recorded no identity of /img/base.qcow2"));
    st_undo_plan_free(p);
    st_json_free(d);
}
END_TEST

START_TEST(test_identity_meta)
{
    /* An image's identity: a new cluster changes its tables, an overwrite only its mtime. */
    char *img = xasprintf("%s/i.qcow2", dir);
    char *cmd = xasprintf("qemu-img create -q -f qcow2 %s 16M", img);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    char *why = NULL;
    st_json *a = st_journal_identity_path(img, &why);
    ck_assert_msg(a, "%s", why);
    cmd = xasprintf("qemu-io -f qcow2 -c 'write -P 7 1M 64k' %s >/dev/null", img);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    st_json *b = st_journal_identity_path(img, &why);
    ck_assert(!streq0(st_json_get_str(a, "meta_sum"), st_json_get_str(b, "meta_sum")));
    ck_assert(!streq0(st_json_get_str(a, "mtime_ns"), st_json_get_str(b, "mtime_ns")));
    st_json *c = st_journal_identity_path(img, &why);
    ck_assert_str_eq(st_json_get_str(b, "meta_sum"), st_json_get_str(c, "meta_sum"));
    ck_assert_ptr_null(st_journal_identity_path("/nonexistent.qcow2", &why));
    free(why);
    st_json_free(a);
    st_json_free(b);
    st_json_free(c);
    free(img);
}
END_TEST

/* ---- entries a later run completes ---- */

/* A merge's entry left "started": chain top → mid → base (paths /img/NAME.qcow2). */
static st_json *started_doc(const char *action, const char *top, const char *base)
{
    st_request req = {.kind = streq0(action, "pull") ? ST_REQ_PULL : ST_REQ_COMMIT,
                      .domain = "vm",
                      .disk = "vda",
                      .top = (char *)top,
                      .base = (char *)base};
    st_journal_who who = {.user = "root"};
    st_json *d = st_journal_begin("qemu:///system", &req, &who, 1000);
    st_json *before = st_json_object();
    st_layer layers[3] = {
        {.path = "/img/top.qcow2"}, {.path = "/img/mid.qcow2"}, {.path = "/img/base.qcow2"}};
    st_json *chains = st_json_array();
    st_json_push(chains, st_journal_chain("vda", layers, 3, NULL, NULL));
    st_json_set(before, "chains", chains);
    st_json_set(d, "before", before);
    st_journal_end(d, true, "started", NULL, 1001, 0.5, NULL, NULL);
    return d;
}

static char *expected(const st_json *d)
{
    char **v = NULL;
    size_t n = st_journal_expected_chain(d, &v);
    strbuf b;
    sb_init(&b);
    for (size_t i = 0; i < n; i++) {
        sb_printf(&b, "%s%s", i ? " " : "", v[i]);
        free(v[i]);
    }
    free(v);
    return sb_steal(&b);
}

START_TEST(test_settle_expected_chain)
{
    const struct {
        const char *action, *top, *base, *want;
    } cases[] = {
        {"commit", "/img/mid.qcow2", "/img/base.qcow2", "/img/top.qcow2 /img/base.qcow2"},
        {"commit", "/img/top.qcow2", "/img/base.qcow2", "/img/base.qcow2"}, /* active */
        {"commit", "/img/top.qcow2", NULL, "/img/base.qcow2"},              /* to the bottom */
        {"commit", "/img/top.qcow2", "/img/mid.qcow2", "/img/mid.qcow2 /img/base.qcow2"},
        {"pull", NULL, "/img/base.qcow2", "/img/top.qcow2 /img/base.qcow2"},
        {"pull", NULL, NULL, "/img/top.qcow2"},
        {"commit", "/img/gone.qcow2", "/img/base.qcow2", ""}, /* not in the chain: not known */
        {"commit", "/img/base.qcow2", "/img/mid.qcow2", ""},  /* upside down */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        st_json *d = started_doc(cases[i].action, cases[i].top, cases[i].base);
        ck_assert(st_journal_unsettled(d));
        char *got = expected(d);
        ck_assert_msg(streq0(got, cases[i].want), "case %zu: %s", i, got);
        free(got);
        st_json_free(d);
    }
}
END_TEST

static void judge(const st_json *d, char *const *now, size_t n, st_settle *s)
{
    st_settle_facts f = {.now = now, .n_now = n};
    st_settle_judge(d, &f, s);
}

START_TEST(test_settle_judge)
{
    st_json *d = started_doc("commit", "/img/mid.qcow2", "/img/base.qcow2");
    char *done[] = {"/img/top.qcow2", "/img/base.qcow2"};
    char *same[] = {"/img/top.qcow2", "/img/mid.qcow2", "/img/base.qcow2"};
    char *other[] = {"/img/other.qcow2"};
    st_settle s;
    judge(d, done, 2, &s);
    ck_assert_str_eq(s.outcome, "completed");
    ck_assert(s.ok && !s.wait && !s.bytes_known);
    ck_assert(s.duration < 0 && s.finished == 0); /* no interface saw the end */
    ck_assert_str_eq(s.source, "chain");
    st_settle_clear(&s);
    judge(d, same, 3, &s);
    ck_assert_str_eq(s.outcome, "unknown");
    ck_assert(!s.ok);
    ck_assert_ptr_nonnull(strstr(s.message, "whether it failed or was cancelled is not known"));
    st_settle_clear(&s);
    judge(d, other, 1, &s);
    ck_assert_str_eq(s.outcome, "unknown");
    ck_assert_ptr_nonnull(strstr(s.message, "neither as it was nor"));
    st_settle_clear(&s);
    judge(d, NULL, 0, &s);
    ck_assert_ptr_nonnull(strstr(s.message, "cannot be read now"));
    st_settle_clear(&s);
    /* A job still running: nothing is judged. */
    st_settle_facts running = {.job_running = true, .now = same, .n_now = 3};
    st_settle_judge(d, &running, &s);
    ck_assert(s.wait);
    st_settle_clear(&s);
    /* An offline merge's record: its end, from the entry's start; its data moved. */
    st_job rec = {.phase = ST_PHASE_COMPLETED, .cur = 4096};
    st_settle_facts rf = {.rec = &rec, .rec_ended = 1012.5};
    st_settle_judge(d, &rf, &s);
    ck_assert_str_eq(s.outcome, "completed");
    ck_assert(s.bytes_known && s.bytes == 4096);
    ck_assert(s.duration > 12.4 && s.duration < 12.6);
    ck_assert_int_eq(s.finished, 1012);
    ck_assert_str_eq(s.source, "job record");
    st_journal_who later = {.user = "admin", .uid = 1000, .terminal = "/dev/pts/3"};
    st_journal_settle_end(d, &s, &later, 2000, NULL);
    st_settle_clear(&s);
    ck_assert(!st_journal_unsettled(d));
    const st_json *by = st_json_get(st_json_get(d, "after"), "completed_by");
    ck_assert_str_eq(st_json_get_str(by, "user"), "admin");
    ck_assert_str_eq(st_json_get_str(by, "at"), "1970-01-01T00:33:20Z");
    ck_assert_str_eq(st_json_get_str(by, "from"), "job record");
    ck_assert_str_eq(st_json_get_str(st_json_get(d, "after"), "finished"), "1970-01-01T00:16:52Z");
    char *text = st_journal_details(d, true, 0);
    ck_assert_ptr_nonnull(strstr(text, "completed by a later run: admin on /dev/pts/3 at "
                                       "1970-01-01T00:33:20Z, from the offline merge's record"));
    free(text);
    rec.phase = ST_PHASE_FAILED;
    rec.error = "qemu-img said no";
    st_settle_judge(d, &rf, &s);
    ck_assert_str_eq(s.outcome, "failed");
    ck_assert_str_eq(s.message, "the offline merge's record says it failed: qemu-img said no");
    st_settle_clear(&s);
    st_json_free(d);
    /* Unknown duration: the head line says no time. */
    d = started_doc("commit", "/img/mid.qcow2", "/img/base.qcow2");
    judge(d, done, 2, &s);
    st_journal_settle_end(d, &s, &later, 2000, NULL);
    st_settle_clear(&s);
    char *head = st_journal_headline(d);
    ck_assert_msg(strstr(head, "  completed") && !strstr(head, " in "), "%s", head);
    free(head);
    ck_assert_int_eq(st_json_get(st_json_get(d, "after"), "duration")->type, ST_JSON_NULL);
    st_json_free(d);
}
END_TEST

static Suite *journal_suite(void)
{
    Suite *s = suite_create("journal");
    TCase *tj = tcase_create("json");
    tcase_add_test(tj, test_json_round_trip);
    tcase_add_test(tj, test_json_escapes);
    tcase_add_test(tj, test_json_hostile);
    suite_add_tcase(s, tj);
    TCase *td = tcase_create("document");
    tcase_add_test(td, test_document);
    tcase_add_test(td, test_print);
    suite_add_tcase(s, td);
    TCase *tf = tcase_create("files");
    tcase_add_checked_fixture(tf, setup, teardown);
    tcase_set_timeout(tf, 60);
    tcase_add_test(tf, test_dir_names);
    tcase_add_test(tf, test_write_modes);
    tcase_add_test(tf, test_check_unusable);
    tcase_add_test(tf, test_load_newest_first);
    tcase_add_test(tf, test_chain_local_sums);
    tcase_add_test(tf, test_identity_meta);
    suite_add_tcase(s, tf);
    TCase *tu = tcase_create("undo");
    tcase_add_test(tu, test_undo_snapshots);
    tcase_add_test(tu, test_undo_revert);
    tcase_add_test(tu, test_undo_refused);
    tcase_add_test(tu, test_undo_offline_merge);
    suite_add_tcase(s, tu);
    TCase *ts = tcase_create("settle");
    tcase_add_test(ts, test_settle_expected_chain);
    tcase_add_test(ts, test_settle_judge);
    suite_add_tcase(s, ts);
    return s;
}

int main(void)
{
    return st_run_suite(journal_suite());
}
