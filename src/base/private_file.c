/* Modes of the files that hold guest data (private_file.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "base/i18n.h"
#include "base/private_file.h"
#include "base/util.h"

mode_t st_private_mode(mode_t from, bool from_known)
{
    if (!from_known)
        return S_IRUSR | S_IWUSR;
    return (from & S_IRUSR) | S_IWUSR;
}

/* The mode `path` must have at most, from the file it derives from. */
static mode_t wanted_mode(const char *from)
{
    struct stat fs;
    if (from && stat(from, &fs) == 0)
        return st_private_mode(fs.st_mode, true);
    return st_private_mode(0, false);
}

int st_make_private(const char *path, const char *from, char **err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        *err = xasprintf(_("cannot check the mode of %s: %s"), path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode))
        return 0;
    mode_t want = wanted_mode(from), now = st.st_mode & 07777;
    if ((now & ~want) == 0)
        return 0;
    if (chmod(path, now & want) != 0 || stat(path, &st) != 0) {
        *err =
            xasprintf(_("cannot make %s readable by its owner alone: %s"), path, strerror(errno));
        return -1;
    }
    if ((st.st_mode & 07777 & ~want) != 0) {
        *err = xasprintf(_("%s is still mode %04o, not %04o"), path, (unsigned)(st.st_mode & 07777),
                         (unsigned)want);
        return -1;
    }
    return 0;
}
