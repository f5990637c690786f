/*
 * Space told truthfully: what a disk's or a domain's images occupy on the host, every layer of
 * every chain counted, a file that two chains (or two disks) hold counted once, and how much of it
 * other domains' chains also read (it would stay if this domain went). Pure: from the model's
 * layers (their allocation is what each file occupies, du's figure).
 */
#ifndef ST_SPACE_H
#define ST_SPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

typedef struct st_space_total {
    uint64_t bytes; /* what the files occupy, each file once */
    size_t files;
    uint64_t shared; /* of which files other domains also hold */
    size_t shared_files;
    uint64_t virtual_size; /* the disks' guest sizes (their active layers') */
    bool partial;          /* some layer's occupation is not known (0): bytes is a floor */
} st_space_total;

void st_disk_space(const st_disk *k, st_space_total *t);
void st_domain_space(const st_domain *d, st_space_total *t);

/* "1.20 MiB in 3 files (64.0 KiB in 1 shared with other domains, counted once); virtual
 * 64.0 MiB" (translated; malloc'd). */
char *st_space_text(const st_space_total *t);

/* "512 KiB freed" or "1.00 MiB more used": what `frees` less `grows` leaves (translated,
 * malloc'd). */
char *st_space_net_text(uint64_t frees, uint64_t grows);

/*
 * What committing layer li of k into the layer below frees and adds, in words: "into base.qcow2:
 * frees 1.00 MiB, base.qcow2 grows by 512 KiB, net 512 KiB freed" (translated, malloc'd); "unknown"
 * with why when the figures were not read (`local`: the host is this machine). NULL for the base,
 * which has nothing below it.
 */
char *st_layer_merge_text(const st_disk *k, size_t li, bool local);

/*
 * What deleting an external snapshot does to the space of one of its disks: libvirt merges the
 * overlay the snapshot made into the image below it, so "top.qcow2 into base.qcow2: frees …" as
 * st_layer_merge_text says it for that layer. NULL when the overlay is not in the disk's chain.
 */
char *st_snapdisk_merge_text(const st_domain *d, const st_snapdisk *sd, bool local);

#endif
