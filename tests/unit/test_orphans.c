/*
 * The orphan finder's classes: from what references each file and what each names as its backing
 * file, which files are orphans, which are part of an orphan's chain, and what may be removed.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/orphans.h"
#include "core/model.h"
#include "core/orphans.h"
#include "tap.h"

static st_found *image(st_orphans *o, const char *path, const char *backing)
{
    st_found *f = st_orphans_add(o, path, ST_FILE_IMAGE);
    f->backing = backing ? strdup(backing) : NULL;
    f->bytes = 65536;
    return f;
}

static const st_found *find(const st_orphans *o, const char *path)
{
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->v[i].path, path) == 0)
            return &o->v[i];
    return NULL;
}

START_TEST(classes)
{
    st_orphans o = {0};
    st_found *f = image(&o, "/i/top.qcow2", "/i/base.qcow2");
    st_found_ref(f, "vm vda");
    f->top = f->layer = true;
    f = image(&o, "/i/base.qcow2", NULL);
    st_found_ref(f, "vm vda");
    st_found_ref(f, "vm vda");
    f->layer = true;
    st_found_ref(image(&o, "/i/s1.qcow2", NULL), "snapshot s1 of vm");
    image(&o, "/i/stray.qcow2", "/i/base.qcow2");
    image(&o, "/i/o-top.qcow2", "/i/o-mid.qcow2");
    image(&o, "/i/o-mid.qcow2", "/i/o-base.qcow2");
    image(&o, "/i/o-base.qcow2", NULL);
    st_orphans_add(&o, "/i/old.save", ST_FILE_SAVE)->bytes = 4096;
    st_orphans_add(&o, "/i/half.qcow2", ST_FILE_DAMAGED)->why = strdup("cut");
    st_orphans_classify(&o);
    ck_assert_str_eq(o.v[0].path, "/i/base.qcow2"); /* sorted by path */
    ck_assert_uint_eq(find(&o, "/i/base.qcow2")->n_by, 1);
    ck_assert_int_eq(find(&o, "/i/top.qcow2")->cls, ST_ORPH_IN_USE);
    ck_assert_int_eq(find(&o, "/i/base.qcow2")->cls, ST_ORPH_BACKING);
    ck_assert_int_eq(find(&o, "/i/s1.qcow2")->cls, ST_ORPH_REFERENCED);
    /* An overlay nobody uses on a base in use: an orphan; the base stays what it was. */
    ck_assert_int_eq(find(&o, "/i/stray.qcow2")->cls, ST_ORPH_ORPHAN);
    ck_assert_int_eq(find(&o, "/i/o-top.qcow2")->cls, ST_ORPH_ORPHAN);
    ck_assert_int_eq(find(&o, "/i/o-mid.qcow2")->cls, ST_ORPH_BELOW);
    ck_assert_str_eq(find(&o, "/i/o-mid.qcow2")->above, "/i/o-top.qcow2");
    ck_assert_str_eq(find(&o, "/i/o-base.qcow2")->above, "/i/o-mid.qcow2");
    ck_assert_int_eq(find(&o, "/i/old.save")->cls, ST_ORPH_SAVE);
    ck_assert_int_eq(find(&o, "/i/half.qcow2")->cls, ST_ORPH_LEFTOVER);
    uint64_t bytes;
    ck_assert_uint_eq(st_orphans_removable(&o, &bytes), 6);
    ck_assert_uint_eq(bytes, 4 * 65536 + 4096); /* half.qcow2 occupies nothing here */
    ck_assert(!find(&o, "/i/base.qcow2")->removable);
    st_orphans_clear(&o);
}
END_TEST

/* A file a running QEMU holds is never offered, nor anything its chain needs below it. */
START_TEST(open_files_keep_their_chain)
{
    st_orphans o = {0};
    image(&o, "/i/a.qcow2", "/i/b.qcow2")->open = true;
    image(&o, "/i/b.qcow2", "/i/c.qcow2");
    image(&o, "/i/c.qcow2", NULL);
    st_orphans_classify(&o);
    uint64_t bytes;
    ck_assert_uint_eq(st_orphans_removable(&o, &bytes), 0);
    ck_assert_int_eq(find(&o, "/i/a.qcow2")->cls, ST_ORPH_ORPHAN);
    ck_assert_int_eq(find(&o, "/i/c.qcow2")->cls, ST_ORPH_BELOW);
    st_orphans_clear(&o);
}
END_TEST

START_TEST(reports)
{
    st_orphans o = {0};
    st_found *f = image(&o, "/i/x\x1b]0;t\a.qcow2", NULL);
    f->mtime = 1000;
    st_orphans_note(&o, "far: its images are not on this machine");
    o.n_folders = 1;
    st_orphans_classify(&o);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    st_orphans_report_text(out, &o, 1000 + 2 * 86400 + 5, true);
    fclose(out);
    ck_assert_str_eq(buf, "orphan: /i/x\xef\xbf\xbd]0;t\xef\xbf\xbd.qcow2  64.0 KiB, 2 days old, "
                          "nothing references it\n"
                          "not scanned: far: its images are not on this machine\n"
                          "1 file found in 1 folder: 1 could be removed (64.0 KiB)\n");
    free(buf);
    out = open_memstream(&buf, &len);
    st_orphans_report_json(out, &o, 1000 + 86399);
    fclose(out);
    ck_assert_str_eq(buf, "{\"folders\":1,\"removable\":1,\"removable_bytes\":65536,\"files\":[\n"
                          "{\"path\":\"/i/x\\u001b]0;t\\u0007.qcow2\",\"class\":\"orphan\","
                          "\"bytes\":65536,\"mtime\":1000,\"age_days\":0,\"open\":false,"
                          "\"removable\":true,\"below\":null,\"why\":null,\"host\":null,"
                          "\"referenced_by\":[]}],"
                          "\"not_scanned\":[\"far: its images are not on this machine\"]}\n");
    free(buf);
    st_orphans_clear(&o);
}
END_TEST

/* A remote host's pool volume: classified like a file here, never removable from here, its host
 * said in place of an age it does not have. */
START_TEST(remote_volumes)
{
    st_orphans o = {0};
    image(&o, "/p/lone.qcow2", NULL)->host = strdup("far");
    image(&o, "/p/base.qcow2", NULL)->host = strdup("far");
    image(&o, "/p/top.qcow2", "/p/base.qcow2")->host = strdup("far");
    st_orphans_classify(&o);
    ck_assert_int_eq(find(&o, "/p/lone.qcow2")->cls, ST_ORPH_ORPHAN);
    ck_assert_int_eq(find(&o, "/p/base.qcow2")->cls, ST_ORPH_BELOW);
    uint64_t bytes;
    ck_assert_uint_eq(st_orphans_removable(&o, &bytes), 0);
    char *line = st_found_line(find(&o, "/p/lone.qcow2"), 10 * 86400);
    ck_assert_str_eq(line,
                     "orphan: /p/lone.qcow2  64.0 KiB, a volume of far, nothing references it");
    free(line);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    st_orphans_report_json(out, &o, 10 * 86400);
    fclose(out);
    ck_assert_ptr_nonnull(strstr(buf,
                                 "{\"path\":\"/p/lone.qcow2\",\"class\":\"orphan\",\"bytes\":65536,"
                                 "\"mtime\":0,\"age_days\":null,\"open\":false,"
                                 "\"removable\":false,\"below\":null,\"why\":null,"
                                 "\"host\":\"far\",\"referenced_by\":[]}"));
    free(buf);
    st_orphans_clear(&o);
}
END_TEST

/* A remote host's model: its pool volumes are what is classified, when the pools were listed; an
 * interface's model, whose pools were not, says only that nothing of the host was seen. */
START_TEST(remote_host_models)
{
    st_host *h = st_host_new("qemu+tcp://far/system");
    h->name = strdup("far");
    h->reachable = true;
    h->n_doms = 1;
    h->doms = calloc(1, sizeof(st_domain));
    h->doms[0].name = strdup("d");
    h->doms[0].n_disks = 1;
    h->doms[0].disks = calloc(1, sizeof(st_disk));
    h->doms[0].disks[0].target = strdup("vda");
    h->doms[0].disks[0].n_chain = 1;
    h->doms[0].disks[0].chain = calloc(1, sizeof(st_layer));
    h->doms[0].disks[0].chain[0].path = strdup("/p/top.qcow2");
    h->n_pool_vols = 2;
    h->pool_vols = calloc(2, sizeof(st_layer));
    h->pool_vols[0].path = strdup("/p/top.qcow2");
    h->pool_vols[1].path = strdup("/p/lone.qcow2");
    h->pool_vols[1].allocation = 4096;
    st_orphans o = {0};
    st_orphans_find(&h, 1, &o);
    ck_assert_uint_eq(o.n, 0);
    ck_assert_uint_eq(o.n_unscanned, 1);
    ck_assert_str_eq(o.unscanned[0], "far: its images are not on this machine");
    st_orphans_clear(&o);
    h->pools_read = true;
    st_orphans_find(&h, 1, &o);
    ck_assert_uint_eq(o.n, 2);
    ck_assert_str_eq(o.v[0].path, "/p/lone.qcow2");
    ck_assert_int_eq(o.v[0].cls, ST_ORPH_ORPHAN);
    ck_assert_uint_eq(o.v[0].bytes, 4096);
    ck_assert_str_eq(o.v[0].host, "far");
    ck_assert(!o.v[0].removable);
    ck_assert_int_eq(o.v[1].cls, ST_ORPH_IN_USE);
    ck_assert_str_eq(o.v[1].by[0], "d vda");
    st_orphans_clear(&o);
    st_host_free(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("orphans");
    TCase *tc = tcase_create("orphans");
    tcase_add_test(tc, classes);
    tcase_add_test(tc, open_files_keep_their_chain);
    tcase_add_test(tc, reports);
    tcase_add_test(tc, remote_volumes);
    tcase_add_test(tc, remote_host_models);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
