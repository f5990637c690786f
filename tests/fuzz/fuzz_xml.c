/*
 * libFuzzer target for src/backend/xmlutil.c: the same input goes to every parser and to
 * st_xml_set_disk_source, and the results are checked for the promises xmlutil.h makes.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/xmlutil.h"
#include "base/util.h"
#include "core/model.h"

#define NEW_PATH "/fuzz/new image.qcow2"

/* A broken promise is a crash, so that libFuzzer keeps the input. */
static void require(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_xml: broken invariant: %s\n", what);
        abort();
    }
}

static void check_domain(const st_domain *d)
{
    size_t ulen = strlen(d->uuid);
    require(ulen == 0 || ulen == 36, "uuid is empty or canonical");
    for (size_t i = 0; i < d->n_disks; i++) {
        const st_disk *k = &d->disks[i];
        require(k->type && k->device, "disk type and device have defaults");
        require(k->source ? k->n_chain >= 1 : k->n_chain == 0, "chain exactly when a source");
        if (k->n_chain)
            require(strcmp(k->chain[0].path, k->source) == 0, "active layer is the source");
        for (size_t j = 0; j < k->n_chain; j++)
            require(k->chain[j].path != NULL && k->chain[j].backing_index >= -1,
                    "every layer has a path");
    }
}

static void fuzz_domain(const char *xml)
{
    st_domain d = {0};
    char *err = NULL;
    if (st_xml_parse_domain(xml, &d, &err) == 0) {
        require(err == NULL, "no error on success");
        check_domain(&d);
    } else {
        require(err != NULL && d.name == NULL && d.n_disks == 0, "failure sets err, clears out");
    }
    free(err);
    st_domain_clear(&d);
}

static void fuzz_snapshot(const char *xml)
{
    st_snapshot s = {0};
    char *err = NULL;
    if (st_xml_parse_snapshot(xml, &s, &err) == 0) {
        require(!s.current, "current is not in the XML");
        require(!s.memory_file || s.memory, "a memory file means memory");
        for (size_t i = 0; i < s.n_disks; i++)
            require(!streq0(s.disks[i].snapshot, "external") || s.external, "external disk");
    } else {
        require(err != NULL && s.name == NULL, "failure sets err, clears out");
    }
    free(err);
    st_snapshot_clear(&s);
}

static void fuzz_host_xml(const char *xml)
{
    bool ext;
    char *err = NULL, *path = NULL;
    st_volinfo v = {0};
    if (st_xml_parse_caps(xml, &ext, &err) < 0)
        require(err != NULL && !ext, "caps failure");
    free(err);
    err = NULL;
    if (st_xml_parse_volume(xml, &v, &err) < 0)
        require(err != NULL && v.path == NULL, "volume failure");
    st_volinfo_clear(&v);
    free(err);
    err = NULL;
    if (st_xml_parse_pool_path(xml, &path, &err) < 0)
        require(err != NULL && path == NULL, "pool failure");
    free(path);
    free(err);
}

/* What set_disk_source writes must parse back with vda on the new file and no chain below. */
static void fuzz_set_source(const char *xml)
{
    char *err = NULL;
    char *out = st_xml_set_disk_source(xml, "vda", NEW_PATH, "qcow2", &err);
    if (!out) {
        require(err != NULL, "set_disk_source failure sets err");
        free(err);
        return;
    }
    require(err == NULL, "no error on success");
    st_domain d = {0};
    require(st_xml_parse_domain(out, &d, &err) == 0, "edited XML parses");
    const st_disk *k = st_domain_find_disk(&d, "vda");
    require(k != NULL, "vda still there");
    require(streq0(k->type, "file") && streq0(k->source, NEW_PATH) && streq0(k->format, "qcow2") &&
                k->n_chain == 1,
            "vda points at the new file");
    st_domain_clear(&d);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *xml = xmalloc(size + 1);
    memcpy(xml, data, size);
    xml[size] = '\0';
    fuzz_domain(xml);
    fuzz_snapshot(xml);
    fuzz_host_xml(xml);
    fuzz_set_source(xml);
    free(xml);
    return 0;
}
