/*
 * The built-in demo lab: an embedded libvirt QEMU driver (qemu:///embed?root=DIR) with tiny TCG
 * domains whose chains and snapshots look like those of the article users try first, so that
 * `virt-snaptree --demo` shows something real without touching the machine's own libvirt.
 *
 * Layers get distinct byte patterns (qemu-io) before any domain starts, so that a commit or pull
 * done in the demo moves real data that can be checked afterwards.
 */
#include "config.h"

#include "demo/demo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/tree.h>
#include <libxml/uri.h>

#include "backend/backend.h"
#include "base/i18n.h"
#include "base/util.h"

extern char **environ;

/* Bump when the lab's content changes: a lab stamped with another version is rebuilt. */
#define DEMO_VERSION 1
#define DEMO_STAMP   "demo.ok"
#define DEMO_LOG     "demo.log"
#define DEMO_SIZE    "64M"
#define QEMU_IO      "qemu-io"

/*
 * The one connection kept to the demo's embedded driver. Only one process may hold an embed
 * root, and the driver lives while a connection to it is open; the frontend opens its own
 * connection to the same root in this process right after st_demo_prepare returns. It is never
 * closed: closing embed connections has crashed libvirt 9.0 at exit (seen with virsh itself, in
 * 2 of 20 open/list/exit cycles, after its output was complete).
 */
static virConnectPtr held_conn;

/* Domains the demo keeps running: started again when found shut off (e.g. after a reboot). */
static const char *const running_domains[] = {"test2", "web02"};

typedef struct demo {
    virConnectPtr conn;
    char *dir, *images, *log_path;
    int log_fd; /* demo.log: output of qemu-img and qemu-io, what failed, libvirt's errors */
    FILE *out;  /* the caller's stream for progress and errors */
    int step;   /* the build's steps said so far (of DEMO_STEPS) */
    char *err;  /* the first failure, for the caller's message */
} demo;

typedef struct demo_disk {
    const char *target;
    const char *file; /* a name in images/ */
    const char *format;
    bool no_snapshot; /* a data disk that snapshots leave out; must be read-only (see db01) */
} demo_disk;

/* ---- where ---- */

char *st_demo_dir(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    /* The XDG spec says a relative value is invalid and must be ignored. */
    if (xdg && xdg[0] == '/')
        return st_path_join(xdg, "virt-snaptree/demo");
    const char *home = getenv("HOME");
    if (!home || home[0] != '/') {
        struct passwd *pw = getpwuid(getuid());
        home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
    }
    return home ? st_path_join(home, ".cache/virt-snaptree/demo") : NULL;
}

/* libvirt decodes %XX in the root parameter, and refuses a URI with spaces or raw UTF-8 in it. */
static char *demo_uri(const char *dir)
{
    xmlChar *esc = xmlURIEscapeStr(BAD_CAST dir, BAD_CAST "/");
    if (!esc)
        abort();
    char *uri = xasprintf("qemu:///embed?root=%s", (const char *)esc);
    xmlFree(esc);
    return uri;
}

/* ---- failures and demo.log ---- */

static void log_line(demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(demo *d, const char *fmt, ...)
{
    if (d->log_fd < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    /* The same clock format as libvirt's lines in this file, so that the two interleave. */
    struct timespec ts;
    struct tm tm;
    char when[32] = "";
    clock_gettime(CLOCK_REALTIME, &ts);
    if (gmtime_r(&ts.tv_sec, &tm))
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
    dprintf(d->log_fd, "%s.%03ld+0000: %s\n", when, ts.tv_nsec / 1000000, s);
    free(s);
}

static int fail(demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(demo *d, const char *fmt, ...)
{
    if (d->err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    d->err = xvasprintf(fmt, ap);
    va_end(ap);
    log_line(d, "error: %s", d->err);
    return -1;
}

/*
 * fail() with libvirt's last error appended. That error is thread-local and reset by the next
 * libvirt call, even virDomainGetName: the arguments must not call libvirt.
 */
static int fail_virt(demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_virt(demo *d, const char *fmt, ...)
{
    char *why = xstrdup(virGetLastErrorMessage());
    va_list ap;
    va_start(ap, fmt);
    char *what = xvasprintf(fmt, ap);
    va_end(ap);
    fail(d, "%s: %s", what, why);
    free(what);
    free(why);
    return -1;
}

/* ---- files ---- */

/* mkdir -p; folders made here are private (0700), existing ones are left as they are. */
static int make_dirs(demo *d, const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s)
            continue;
        char c = *s;
        *s = '\0';
        struct stat st;
        if (mkdir(p, 0700) != 0 && (errno != EEXIST || stat(p, &st) != 0 || !S_ISDIR(st.st_mode)))
            rc = fail(d, _("cannot create the folder %s: %s"), p, strerror(errno));
        *s = c;
        if (rc || !c)
            break;
    }
    free(p);
    return rc;
}

/* Written beside and renamed over, so that a crash never leaves half a stamp or config. */
static int write_file(demo *d, const char *path, const char *content)
{
    char *tmp = xasprintf("%s.tmp", path);
    size_t len = strlen(content);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    int err = fd < 0 ? errno : 0;
    ssize_t w = err ? 0 : write(fd, content, len);
    if (!err && w != (ssize_t)len)
        err = w < 0 ? errno : EIO;
    if (fd >= 0 && close(fd) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err) {
        fail(d, _("cannot write %s: %s"), path, strerror(err));
        unlink(tmp);
    }
    free(tmp);
    return err ? -1 : 0;
}

static bool stamp_ok(const char *dir)
{
    char *path = st_path_join(dir, DEMO_STAMP);
    char *want = xasprintf("virt-snaptree demo %d\n", DEMO_VERSION);
    char buf[64] = "";
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    bool ok = n > 0 && streq0(buf, want);
    free(path);
    free(want);
    return ok;
}

static int write_stamp(demo *d)
{
    char *path = st_path_join(d->dir, DEMO_STAMP);
    char *content = xasprintf("virt-snaptree demo %d\n", DEMO_VERSION);
    int rc = write_file(d, path, content);
    free(path);
    free(content);
    return rc;
}

/*
 * As root the embedded driver would run QEMU as the packaged qemu user, who cannot read a home
 * folder: run it as root, and do not remember image owners in xattrs (there is nothing to restore
 * from root to root, and after a reboot libvirt warns on the terminal, from a forked child that
 * ignores LIBVIRT_LOG_OUTPUTS, about every stale remembered owner). A normal user's QEMU runs as
 * that user anyway. stdio_handler=file: QEMU's output goes to the domain log without virtlogd,
 * for which an embedded driver has no daemon.
 */
static int write_qemu_conf(demo *d)
{
    char *etc = st_path_join(d->dir, "etc");
    char *path = st_path_join(etc, "qemu.conf");
    const char *conf = getuid() == 0 ? "user = \"root\"\ngroup = \"root\"\nremember_owner = 0\n"
                                       "stdio_handler = \"file\"\n"
                                     : "stdio_handler = \"file\"\n";
    int rc = make_dirs(d, etc) || write_file(d, path, conf) ? -1 : 0;
    free(etc);
    free(path);
    return rc;
}

/*
 * Removes what an older or half-built demo left in images/: regular files and symbolic links
 * only, never following a link, never descending into a folder.
 */
static int remove_images(demo *d)
{
    int fd = open(d->images, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : fail(d, _("cannot open %s: %s"), d->images, strerror(errno));
    DIR *dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return fail(d, _("cannot open %s: %s"), d->images, strerror(errno));
    }
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(dir))) {
        struct stat st;
        if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
            continue;
        log_line(d, "rm %s/%s", d->images, e->d_name);
        if (unlinkat(fd, e->d_name, 0) != 0 && errno != ENOENT)
            rc = fail(d, _("cannot remove %s/%s: %s"), d->images, e->d_name, strerror(errno));
    }
    closedir(dir);
    return rc;
}

/* ---- qemu-img and qemu-io ---- */

/*
 * The program blocks SIGINT, SIGTERM and SIGHUP in every thread while the demo is built (the
 * embedded driver starts threads that must not take them): a Ctrl-C waits as pending, and the
 * build looks for it between steps. The step's own child, in the terminal's process group, gets
 * the SIGINT itself.
 */
static bool quit_pending(void)
{
    sigset_t p;
    sigemptyset(&p);
    return sigpending(&p) == 0 &&
           (sigismember(&p, SIGINT) || sigismember(&p, SIGTERM) || sigismember(&p, SIGHUP));
}

/* Runs a program without a shell; its output goes to demo.log. `what` names the image. */
static int run(demo *d, const char *const argv[], const char *what)
{
    strbuf cmd;
    sb_init(&cmd);
    sb_add(&cmd, "$");
    for (size_t i = 0; argv[i]; i++) {
        sb_add(&cmd, " ");
        sb_add(&cmd, argv[i]);
    }
    log_line(d, "%s", cmd.s);
    sb_free(&cmd);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, d->log_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, d->log_fd, STDERR_FILENO);
    pid_t pid;
    posix_spawnattr_t at;
    st_spawnattr_init(&at);
    int err = posix_spawnp(&pid, argv[0], &fa, &at, (char *const *)argv, environ);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0)
        return fail(d, _("cannot run %s: %s"), argv[0], strerror(err));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return fail(d, _("cannot wait for %s: %s"), argv[0], strerror(errno));
    if (quit_pending())
        return fail(d, "%s", _("interrupted"));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    return fail(d, _("%s failed on %s"), argv[0], what);
}

/* Like every action of the program, the demo never creates a file over an existing one, even in
 * its own folder. */
static int check_new(demo *d, const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0)
        return fail(d, _("%s exists already"), path);
    return 0;
}

/* A fresh image of DEMO_SIZE, or (qcow2 only) an overlay on `backing`, whose size it takes. */
static int make_image(demo *d, const char *name, const char *format, const char *backing)
{
    char *path = st_path_join(d->images, name);
    char *bpath = backing ? st_path_join(d->images, backing) : NULL;
    const char *argv[12];
    size_t n = 0;
    argv[n++] = QEMU_IMG_PATH;
    argv[n++] = "create";
    argv[n++] = "-f";
    argv[n++] = format;
    if (bpath) {
        argv[n++] = "-b";
        argv[n++] = bpath;
        argv[n++] = "-F";
        argv[n++] = "qcow2";
    }
    argv[n++] = path;
    if (!bpath)
        argv[n++] = DEMO_SIZE;
    argv[n] = NULL;
    int rc = check_new(d, path) || run(d, argv, name) ? -1 : 0;
    free(path);
    free(bpath);
    return rc;
}

/* Fills [off, off+len) of the top layer of `name` with the byte `pattern`. */
static int write_pattern(demo *d, const char *name, const char *format, unsigned pattern,
                         const char *off, const char *len)
{
    char *path = st_path_join(d->images, name);
    char *cmd = xasprintf("write -P 0x%02x %s %s", pattern, off, len);
    const char *argv[] = {QEMU_IO, "-f", format, "-c", cmd, path, NULL};
    int rc = run(d, argv, name);
    free(cmd);
    free(path);
    return rc;
}

/* ---- XML, built with libxml2 so that names and paths are always escaped ---- */

static xmlNodePtr add(xmlNodePtr parent, const char *name, const char *text)
{
    return xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST text);
}

static void set(xmlNodePtr node, const char *attr, const char *value)
{
    xmlSetProp(node, BAD_CAST attr, BAD_CAST value);
}

static xmlNodePtr new_doc(const char *root_name, xmlDocPtr *doc)
{
    *doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = xmlNewNode(NULL, BAD_CAST root_name);
    if (!*doc || !root)
        abort();
    xmlDocSetRootElement(*doc, root);
    return root;
}

/* Serialises and frees the document. */
static char *dump_doc(xmlDocPtr doc)
{
    xmlChar *buf = NULL;
    int len = 0;
    xmlDocDumpMemoryEnc(doc, &buf, &len, "UTF-8");
    xmlFreeDoc(doc);
    if (!buf)
        abort();
    char *s = xstrdup((const char *)buf);
    xmlFree(buf);
    return s;
}

static void add_disk(const demo *d, xmlNodePtr devices, const demo_disk *disk)
{
    char *path = st_path_join(d->images, disk->file);
    xmlNodePtr n = add(devices, "disk", NULL);
    set(n, "type", "file");
    set(n, "device", "disk");
    if (disk->no_snapshot)
        set(n, "snapshot", "no");
    xmlNodePtr c = add(n, "driver", NULL);
    set(c, "name", "qemu");
    set(c, "type", disk->format);
    set(add(n, "source", NULL), "file", path);
    c = add(n, "target", NULL);
    set(c, "dev", disk->target);
    set(c, "bus", "virtio");
    if (disk->no_snapshot)
        add(n, "readonly", NULL);
    free(path);
}

/* A TCG guest with no OS: it starts in well under a second and sits in the BIOS. */
static char *domain_xml(const demo *d, const char *name, const demo_disk *disks, size_t n)
{
    xmlDocPtr doc;
    xmlNodePtr root = new_doc("domain", &doc);
    set(root, "type", "qemu");
    add(root, "name", name);
    set(add(root, "memory", "64"), "unit", "MiB");
    add(root, "vcpu", "1");
    xmlNodePtr type = add(add(root, "os", NULL), "type", "hvm");
    set(type, "arch", "x86_64");
    set(type, "machine", "pc");
    add(root, "on_crash", "destroy");
    xmlNodePtr devices = add(root, "devices", NULL);
    for (size_t i = 0; i < n; i++)
        add_disk(d, devices, &disks[i]);
    set(add(devices, "serial", NULL), "type", "pty");
    set(add(devices, "console", NULL), "type", "pty");
    return dump_doc(doc);
}

/*
 * <domainsnapshot> as `virsh snapshot-create-as --disk-only --diskspec DISK,snapshot=external,
 * file=FILE` writes it; without `file` the snapshot takes libvirt's default (internal here).
 */
static char *snapshot_xml(const demo *d, const char *name, const char *desc, const char *disk,
                          const char *file)
{
    xmlDocPtr doc;
    xmlNodePtr root = new_doc("domainsnapshot", &doc);
    add(root, "name", name);
    if (desc)
        add(root, "description", desc);
    if (file) {
        char *path = st_path_join(d->images, file);
        xmlNodePtr n = add(add(root, "disks", NULL), "disk", NULL);
        set(n, "name", disk);
        set(n, "snapshot", "external");
        set(add(n, "source", NULL), "file", path);
        free(path);
    }
    return dump_doc(doc);
}

/* ---- libvirt steps ---- */

static virDomainPtr define(demo *d, const char *name, const demo_disk *disks, size_t n)
{
    char *xml = domain_xml(d, name, disks, n);
    log_line(d, "define %s", name);
    virDomainPtr dom = virDomainDefineXML(d->conn, xml);
    if (!dom)
        fail_virt(d, _("cannot define %s"), name);
    free(xml);
    return dom;
}

static int start(demo *d, virDomainPtr dom)
{
    const char *name = virDomainGetName(dom);
    log_line(d, "start %s", name);
    return virDomainCreate(dom) == 0 ? 0 : fail_virt(d, _("cannot start %s"), name);
}

/* External (file given: DISK_ONLY|ATOMIC, as the article) or internal (no file, no flags). */
static int snapshot(demo *d, virDomainPtr dom, const char *name, const char *desc, const char *disk,
                    const char *file)
{
    char *xml = snapshot_xml(d, name, desc, disk, file);
    unsigned flags =
        file ? VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC : 0;
    log_line(d, "snapshot %s of %s%s%s", name, virDomainGetName(dom), file ? " -> " : "",
             file ? file : "");
    virDomainSnapshotPtr snap = virDomainSnapshotCreateXML(dom, xml, flags);
    free(xml);
    if (!snap)
        return fail_virt(d, _("cannot take the snapshot %s"), name);
    virDomainSnapshotFree(snap);
    return 0;
}

/* The build's steps: the four parts of the lab, then the host's facts (warm_host). */
#define DEMO_STEPS 5

static void progress(demo *d, const char *name, const char *what)
{
    fprintf(d->out, _("  [%d/%d] %s: %s\n"), ++d->step, DEMO_STEPS, name, what);
    fflush(d->out);
}

/* ---- the four parts of the lab ---- */

/*
 * The article's chain: centos.qcow2 (base image) ← test2.qcow2, the domain running on it, then
 * four external disk-only snapshots taken live exactly as the article takes them, each adding
 * images/test2_<name>.qcow2 on top (state disk-snapshot, the article's mark of an external one).
 */
static int build_test2(demo *d)
{
    static const char *const snaps[] = {"test", "nmap", "net-tools", "lsof"};
    static const demo_disk disk = {"vda", "test2.qcow2", "qcow2", false};
    progress(d, "test2", _("the article's chain, four external snapshots, running"));
    if (make_image(d, "centos.qcow2", "qcow2", NULL) ||
        write_pattern(d, "centos.qcow2", "qcow2", 0xc0, "0", "8M") ||
        make_image(d, "test2.qcow2", "qcow2", "centos.qcow2") ||
        write_pattern(d, "test2.qcow2", "qcow2", 0x72, "4M", "2M"))
        return -1;
    virDomainPtr dom = define(d, "test2", &disk, 1);
    if (!dom)
        return -1;
    int rc = start(d, dom);
    for (size_t i = 0; !rc && i < sizeof(snaps) / sizeof(snaps[0]); i++) {
        char *file = xasprintf("test2_%s.qcow2", snaps[i]);
        rc = snapshot(d, dom, snaps[i], NULL, "vda", file);
        free(file);
    }
    virDomainFree(dom);
    return rc;
}

/* One golden image shared by two domains: the base nobody may commit into. */
static int build_web(demo *d)
{
    static const demo_disk disk1 = {"vda", "web01.qcow2", "qcow2", false};
    static const demo_disk disk2 = {"vda", "web02.qcow2", "qcow2", false};
    progress(d, "web01, web02", _("two domains on one shared golden image"));
    if (make_image(d, "golden-debian12.qcow2", "qcow2", NULL) ||
        write_pattern(d, "golden-debian12.qcow2", "qcow2", 0xde, "0", "8M") ||
        make_image(d, "web01.qcow2", "qcow2", "golden-debian12.qcow2") ||
        write_pattern(d, "web01.qcow2", "qcow2", 0x01, "8M", "1M") ||
        make_image(d, "web02.qcow2", "qcow2", "golden-debian12.qcow2") ||
        write_pattern(d, "web02.qcow2", "qcow2", 0x02, "8M", "1M"))
        return -1;
    virDomainPtr web01 = define(d, "web01", &disk1, 1);
    if (!web01)
        return -1;
    /* Taken shut off (libvirt ≥ 9.0 can); the overlay then gets "the upgrade" written into it. */
    int rc = snapshot(d, web01, "pre-upgrade", _("Before the upgrade to the new release"), "vda",
                      "web01_pre-upgrade.qcow2");
    virDomainFree(web01);
    if (rc || write_pattern(d, "web01_pre-upgrade.qcow2", "qcow2", 0x03, "9M", "1M"))
        return -1;
    virDomainPtr web02 = define(d, "web02", &disk2, 1);
    if (!web02)
        return -1;
    rc = start(d, web02);
    virDomainFree(web02);
    return rc;
}

/*
 * Internal snapshots of a shut-off domain (libvirt runs qemu-img snapshot -c). A raw image cannot
 * hold an internal snapshot, so the data disk is left out with snapshot='no'; libvirt 9.0 only
 * allows leaving out a read-only disk ("internal and full system snapshots require all disks to be
 * selected"), hence <readonly/>: reference data the database reads.
 */
static int build_db01(demo *d)
{
    static const demo_disk disks[] = {
        {"vda", "db01.qcow2", "qcow2", false},
        {"vdb", "db01-data.raw", "raw", true},
    };
    progress(d, "db01", _("two disks, two internal snapshots, shut off"));
    if (make_image(d, "db01.qcow2", "qcow2", NULL) ||
        write_pattern(d, "db01.qcow2", "qcow2", 0xdb, "0", "4M") ||
        make_image(d, "db01-data.raw", "raw", NULL) ||
        write_pattern(d, "db01-data.raw", "raw", 0xda, "0", "2M"))
        return -1;
    virDomainPtr dom = define(d, "db01", disks, 2);
    if (!dom)
        return -1;
    int rc = snapshot(d, dom, "before-migration", _("Database before the schema migration"), "vda",
                      NULL);
    if (!rc)
        rc = write_pattern(d, "db01.qcow2", "qcow2", 0xd2, "4M", "1M");
    if (!rc)
        rc = snapshot(d, dom, "after-migration", _("Schema migrated, data checked"), "vda", NULL);
    virDomainFree(dom);
    return rc;
}

/*
 * Names, files and a description in Chinese: the TUI must measure and sanitise them right. The
 * third layer comes from an external snapshot, so the chain and the snapshot name the same file.
 */
static int build_chinese(demo *d)
{
    static const demo_disk disk = {"vda", "测试-overlay.qcow2", "qcow2", false};
    progress(d, "测试虚拟机", _("Chinese names, a three-layer chain, shut off"));
    if (make_image(d, "测试-base.qcow2", "qcow2", NULL) ||
        write_pattern(d, "测试-base.qcow2", "qcow2", 0x51, "0", "4M") ||
        make_image(d, "测试-overlay.qcow2", "qcow2", "测试-base.qcow2") ||
        write_pattern(d, "测试-overlay.qcow2", "qcow2", 0x52, "2M", "2M"))
        return -1;
    virDomainPtr dom = define(d, "测试虚拟机", &disk, 1);
    if (!dom)
        return -1;
    int rc = snapshot(d, dom, "快照1", "安装中文输入法之前的状态", "vda", "测试-快照1.qcow2");
    virDomainFree(dom);
    if (!rc)
        rc = write_pattern(d, "测试-快照1.qcow2", "qcow2", 0x53, "3M", "1M");
    return rc;
}

/* ---- teardown, build, reuse ---- */

/*
 * Right after the root is opened, a domain can still read as running while libvirt's reconnect
 * thread finds its QEMU gone (seen with libvirt 9.0's embedded driver). virDomainDestroy waits
 * for that thread (it needs the domain's job) and only then checks: "not running" is success,
 * not a reason to look at a stale state first. Other failures (a monitor dying under us) get a
 * few retries.
 */
static int destroy(demo *d, virDomainPtr dom, const char *name)
{
    for (int i = 0;; i++) {
        if (virDomainDestroy(dom) == 0 || virGetLastErrorCode() == VIR_ERR_OPERATION_INVALID)
            return 0;
        if (i == 5)
            return fail_virt(d, _("cannot stop %s"), name);
        nanosleep(&(struct timespec){.tv_nsec = 200 * 1000 * 1000}, NULL);
    }
}

/* Every domain in the demo's root is the demo's: an older lab's, or a half-built one's. */
static int remove_domains(demo *d)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(d->conn, &doms, 0);
    if (n < 0)
        return fail_virt(d, _("cannot list the domains in %s"), d->dir);
    const unsigned flags = VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                           VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA |
                           VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_NVRAM;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = virDomainGetName(doms[i]);
        if (!rc) {
            log_line(d, "remove %s", name);
            rc = destroy(d, doms[i], name);
        }
        if (!rc && virDomainUndefineFlags(doms[i], flags) != 0)
            rc = fail_virt(d, _("cannot undefine %s"), name);
        virDomainFree(doms[i]);
    }
    free(doms);
    return rc;
}

/*
 * The first time an embedded driver is asked for its version or capabilities it works out the
 * host's (its CPU, every emulator's machines): seconds, which the interface's first connection
 * would otherwise spend with an empty tree, saying only "connecting" and soon "not responding".
 * Done here, where the build says so. Nothing depends on the answer.
 */
static void warm_host(demo *d)
{
    progress(d, "libvirt", _("reading the host's capabilities, once"));
    char *caps = virConnectGetCapabilities(d->conn);
    unsigned long v;
    if (!caps || virConnectGetVersion(d->conn, &v) < 0)
        log_line(d, "host capabilities: %s", virGetLastErrorMessage());
    free(caps);
    virResetLastError();
}

static int build(demo *d)
{
    /* The stamp goes first and comes back last: a build that stops half-way is redone. */
    char *stamp = st_path_join(d->dir, DEMO_STAMP);
    unlink(stamp);
    free(stamp);
    if (remove_domains(d) || remove_images(d) || make_dirs(d, d->images))
        return -1;
    if (build_test2(d) || build_web(d) || build_db01(d) || build_chinese(d))
        return -1;
    warm_host(d);
    return write_stamp(d);
}

/*
 * The machine may have rebooted since: the domains that belong running are started again. As in
 * destroy(), the state read right after opening can be stale, so every one of them is started and
 * "already running" (also paused: the user's choice) is fine.
 */
static void restart(demo *d)
{
    for (size_t i = 0; i < sizeof(running_domains) / sizeof(running_domains[0]); i++) {
        virDomainPtr dom = virDomainLookupByName(d->conn, running_domains[i]);
        if (!dom)
            continue; /* removed in the demo by the user: their lab, their choice */
        if (virDomainCreate(dom) == 0)
            fprintf(d->out, _("Started %s again.\n"), running_domains[i]);
        else if (virGetLastErrorCode() != VIR_ERR_OPERATION_INVALID)
            fprintf(d->out, _("Could not start %s: %s\n"), running_domains[i],
                    virGetLastErrorMessage());
        virDomainFree(dom);
    }
}

/*
 * The embedded driver is this process's libvirt daemon, and like a daemon it logs errors that are
 * no error for the demo (no dmidecode, no access manager, cgroup files of a container): they go
 * to demo.log, not the terminal. Only effective before libvirt initialises; a setting the user
 * made is kept (main.c sets its own default only after the demo is prepared). The value is
 * space-separated, so a folder with a space keeps the default.
 */
static void log_libvirt_to_file(const demo *d)
{
    const char *cur = getenv("LIBVIRT_LOG_OUTPUTS");
    if (cur || strchr(d->log_path, ' '))
        return;
    char *outputs = xasprintf("4:file:%s", d->log_path);
    setenv("LIBVIRT_LOG_OUTPUTS", outputs, 1);
    free(outputs);
}

/*
 * Only one process may hold an embed root: libvirt keeps a lock on run/qemu/driver.pid while it
 * does. Naming that process tells the user which window to close. 0 when none is found.
 */
static long root_holder(const demo *d, char *comm, size_t commsz)
{
    char *path = st_path_join(d->dir, "run/qemu/driver.pid");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    free(path);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    long pid = fd >= 0 && fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK ? fl.l_pid : 0;
    if (fd >= 0)
        close(fd);
    snprintf(comm, commsz, "?");
    char *proc = xasprintf("/proc/%ld/comm", pid);
    FILE *f = pid > 0 ? fopen(proc, "re") : NULL;
    if (f && fgets(comm, (int)commsz, f))
        comm[strcspn(comm, "\n")] = '\0';
    if (f)
        fclose(f);
    free(proc);
    return pid;
}

/* Opens the root once per process and keeps the connection (see held_conn). */
static int open_root(demo *d, const char *uri)
{
    if (held_conn) {
        char *held = virConnectGetURI(held_conn);
        bool same = held && streq0(held, uri);
        free(held);
        if (!same)
            return fail(d, _("another demo root is open in this process"));
        d->conn = held_conn;
        return 0;
    }
    log_libvirt_to_file(d);
    st_libvirt_init();
    held_conn = virConnectOpen(uri);
    if (held_conn) {
        d->conn = held_conn;
        return 0;
    }
    char *err = xstrdup(virGetLastErrorMessage());
    char comm[64];
    long pid = root_holder(d, comm, sizeof(comm));
    if (pid > 0)
        fail(d, _("process %ld (%s) is using the demo; close it first"), pid, comm);
    else
        fail(d, _("cannot open %s: %s"), uri, err);
    free(err);
    return -1;
}

static int prepare(demo *d, const char *uri)
{
    bool reuse = stamp_ok(d->dir);
    if (!reuse && make_dirs(d, d->dir))
        return -1;
    if (!reuse) {
        /* O_APPEND: libvirt appends to the same file (log_libvirt_to_file). */
        d->log_fd = open(d->log_path,
                         O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (d->log_fd < 0)
            return fail(d, _("cannot write %s: %s"), d->log_path, strerror(errno));
        fprintf(d->out, _("Building the demo lab in %s, in %d steps (the first start only)…\n"),
                d->dir, DEMO_STEPS);
    }
    if (write_qemu_conf(d) || open_root(d, uri))
        return -1;
    if (reuse) {
        restart(d);
        return 0;
    }
    double t0 = st_now();
    if (build(d))
        return -1;
    fprintf(d->out, _("The demo lab is ready (%.1f s).\n"), st_now() - t0);
    return 0;
}

/* Where the demo lives; -1 (told to `log`) when no folder can be found. */
static int demo_init(demo *d, FILE *log)
{
    *d = (demo){.log_fd = -1, .out = log};
    d->dir = st_demo_dir();
    if (!d->dir) {
        fprintf(log, _("Cannot find a folder for the demo: set HOME or XDG_CACHE_HOME.\n"));
        return -1;
    }
    d->images = st_path_join(d->dir, "images");
    d->log_path = st_path_join(d->dir, DEMO_LOG);
    return 0;
}

static void demo_clear(demo *d)
{
    if (d->log_fd >= 0)
        close(d->log_fd);
    free(d->err);
    free(d->dir);
    free(d->images);
    free(d->log_path);
}

int st_demo_prepare(char **uri, FILE *log)
{
    demo d;
    if (demo_init(&d, log))
        return -1;
    char *u = demo_uri(d.dir);
    int rc = prepare(&d, u);
    if (rc == 0) {
        *uri = u;
    } else {
        if (d.log_fd >= 0)
            fprintf(log, _("The demo could not be built: %s\nDetails are in %s\n"), d.err,
                    d.log_path);
        else
            fprintf(log, _("The demo could not be prepared: %s\n"), d.err);
        free(u);
    }
    demo_clear(&d);
    return rc;
}

/* Destroys the running domains of the open root, naming each. */
static int stop_running(demo *d)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(d->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    if (n < 0)
        return fail_virt(d, _("cannot list the domains in %s"), d->dir);
    if (n == 0)
        fprintf(d->out, "%s", _("No demo domain is running.\n"));
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char *name = xstrdup(virDomainGetName(doms[i]));
        if (!rc)
            rc = destroy(d, doms[i], name);
        if (!rc)
            fprintf(d->out, _("Stopped %s.\n"), name);
        free(name);
        virDomainFree(doms[i]);
    }
    free(doms);
    return rc;
}

int st_demo_stop(FILE *log)
{
    demo d;
    if (demo_init(&d, log))
        return -1;
    int rc = 0;
    if (!stamp_ok(d.dir)) {
        fprintf(log, _("There is no demo lab in %s.\n"), d.dir);
    } else {
        char *u = demo_uri(d.dir);
        rc = open_root(&d, u) || stop_running(&d) ? -1 : 0;
        if (rc)
            fprintf(log, _("The demo could not be stopped: %s\n"), d.err);
        free(u);
    }
    demo_clear(&d);
    return rc;
}
