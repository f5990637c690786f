/*
 * Whole-file copies for the small files a snapshot keeps beside the disks (a UEFI guest's NVRAM):
 * a new private copy that never replaces an existing file, and putting a copy back in place.
 */
#ifndef ST_FILECOPY_H
#define ST_FILECOPY_H

/*
 * Copies `from` into the new file `to` (never over an existing one), readable by its owner alone
 * (private_file.h), and syncs it. On failure nothing is left at `to`; returns -1 with *err
 * (malloc'd).
 */
int st_copy_new_private(const char *from, const char *to, char **err);

/*
 * Writes the content of `from` over the file `to` in place: `to` keeps its inode, owner, mode and
 * security labels, which libvirt set for the domain. Returns 0 or -1 with *err (malloc'd).
 */
int st_copy_over(const char *from, const char *to, char **err);

#endif
