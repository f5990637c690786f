/*
 * What the host's libvirt does with snapshots. Every answer comes from what the host itself
 * reported when the worker connected (virConnectGetLibVersion answered by the daemon, and the
 * <externalSnapshot/> feature of its capabilities), never from the libvirt this program was built
 * or runs with: an admin's client is often older or newer than the daemon it talks to.
 *
 * Measured with Debian 12's libvirt 9.0.0 / QEMU 7.2 and Debian 13's libvirt 11.3.0 / QEMU 10.0
 * (tests/lab/lab-snap-native.sh checks the revert and delete rows on whichever stack runs it):
 *
 *   external revert, shut-off or running   9.0: refused ("not supported")   11.3: native
 *     11.3 makes a new overlay <image>.<epoch> on the snapshot's image of each disk, and REMOVES
 *     the files of the snapshot that was current: its <revertDisks> when it has some (the
 *     overlays of an earlier revert to it), else its external disks' overlays. A running domain
 *     is stopped first and stays shut off unless RUNNING or PAUSED is asked for. The target keeps
 *     the new overlays in <revertDisks> when it has children, else they replace its <disks>.
 *     With no current snapshot, 11.3's daemon crashes (NULL dereference) after making the new
 *     overlays.
 *   external delete of a leaf, shut off or running              9.0: yes   11.3: yes
 *   external delete of a non-leaf, running                      9.0: yes   11.3: yes
 *   external delete of a non-leaf, shut off   9.0: "could not find base disk source in disk
 *                                                   source chain"          11.3: yes
 *   external delete with CHILDREN or CHILDREN_ONLY              both refuse: "deletion of
 *                                                   external children disk snapshots not supported"
 *   external delete whose parent snapshot is internal           both refuse
 *   external delete of the current snapshot when it has children (after a revert to it)
 *                           11.3 refuses: "deletion of active external snapshot that is not a leaf"
 *   external delete of a leaf that is not current: no merge; libvirt REMOVES the image the
 *                           snapshot was taken of (the disk source in its saved definition)
 *   memory file of a deleted external snapshot                  9.0: left   11.3: removed
 *   internal snapshot of a guest with pflash (UEFI) firmware    9.0: refused, shut off or
 *                           running   11.3: shut off yes; running only with a qcow2 NVRAM
 *   internal snapshot whose image is no longer the active layer (an external snapshot came
 *                           after it): revert works on both, delete of a running domain fails
 *                           on both ("is not the same as disk image currently used by VM")
 *
 * Where a behaviour changed between the two, the version it changed in is libvirt's own (its
 * release notes, or the release of the change named); a host between them is planned for by that
 * version, and where that guess could be wrong the plan errs toward refusing or toward offering
 * a removal afterwards, never toward removing.
 */
#include "config.h"

#include "core/snapplan_internal.h"

/* Unknown (0) means the host did not say: plan as for the oldest behaviour. */
static bool at_least(const st_host *h, unsigned long v)
{
    return h->libvirt_ver >= v;
}

bool sp_lv_reverts_external(const st_host *h)
{
    return h->external_revert || at_least(h, 9009000);
}

bool sp_lv_deletes_external(const st_host *h)
{
    /* A host that gave no version is not refused what every tested version does. */
    return !h->libvirt_ver || at_least(h, 9000000);
}

/* 9.1 reworked the external delete's preparation (and began removing the memory file). */
bool sp_lv_deletes_offline_nonleaf(const st_host *h)
{
    return at_least(h, 9001000);
}

bool sp_lv_removes_memory_file(const st_host *h)
{
    return at_least(h, 9001000);
}

/* 10.9: internal snapshots of UEFI guests, the NVRAM included when it is qcow2. */
bool sp_lv_internal_pflash(const st_host *h)
{
    return at_least(h, 10009000);
}

const char *sp_lv_name(const st_host *h)
{
    return h->libvirt_version ? h->libvirt_version : "?";
}
