/* Connection URIs read as text: which are local, and where the interface keeps ssh off the tty;
 * and what ssh said when it could not connect, in one line. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/run.h"
#include "base/uri.h"
#include "base/util.h"
#include "core/ssh_reason.h"
#include "tap.h"

START_TEST(local_uris)
{
    ck_assert(st_uri_is_local(NULL));
    ck_assert(st_uri_is_local("qemu:///system"));
    ck_assert(st_uri_is_local("qemu:///embed?root=/tmp/x"));
    ck_assert(st_uri_is_local("qemu+unix:///system?socket=/run/x/libvirt-sock"));
    ck_assert(!st_uri_is_local("qemu+ssh://root@kvm2/system"));
    ck_assert(!st_uri_is_local("qemu+tcp://127.0.0.1:16509/system"));
    ck_assert(!st_uri_is_local("qemu://kvm2/system"));
    ck_assert(!st_uri_is_local("test:///default"));
    ck_assert(!st_uri_is_local("nonsense"));
}
END_TEST

START_TEST(retry_soon)
{
    /* A daemon that is back is found within a second here, within five seconds over a link. */
    ck_assert(st_uri_retry_max(NULL) <= 1.0);
    ck_assert(st_uri_retry_max("qemu+unix:///system?socket=/run/x/libvirt-sock") <= 1.0);
    ck_assert(st_uri_retry_max("qemu+ssh://root@kvm2/system") <= 5.0);
    ck_assert(st_uri_retry_max("qemu+ssh://root@kvm2/system") >= 1.0);
}
END_TEST

/* st_uri_no_tty's answer for `uri`, compared with `want`, then freed. */
static void no_tty_is(const char *uri, const char *want)
{
    char *got = st_uri_no_tty(uri);
    ck_assert_str_eq(got, want);
    ck_assert(st_uri_no_tty_added(uri) == (strcmp(uri, want) != 0));
    free(got);
}

START_TEST(ssh_without_tty)
{
    no_tty_is("qemu+ssh://root@kvm2/system", "qemu+ssh://root@kvm2/system?no_tty=1");
    no_tty_is("qemu+ssh://kvm2/system?keyfile=/k", "qemu+ssh://kvm2/system?keyfile=/k&no_tty=1");
    no_tty_is("qemu+ssh://kvm2/system?", "qemu+ssh://kvm2/system?no_tty=1");
    /* The admin's own choice stands, whatever its value. */
    no_tty_is("qemu+ssh://kvm2/system?no_tty=0", "qemu+ssh://kvm2/system?no_tty=0");
    no_tty_is("qemu+ssh://kvm2/system?a=1&no_tty", "qemu+ssh://kvm2/system?a=1&no_tty");
    /* A parameter that only starts like it is another one. */
    no_tty_is("qemu+ssh://kvm2/system?no_ttyx=1", "qemu+ssh://kvm2/system?no_ttyx=1&no_tty=1");
    /* Other transports never run ssh (libssh and libssh2 ask through libvirt, not the tty). */
    no_tty_is("qemu+libssh2://kvm2/system", "qemu+libssh2://kvm2/system");
    no_tty_is("qemu+tcp://kvm2/system", "qemu+tcp://kvm2/system");
    no_tty_is("qemu:///system", "qemu:///system");
    no_tty_is("test:///default", "test:///default");
    /* "ssh" elsewhere than the transport. */
    no_tty_is("qemu+unix:///system?socket=/tmp/+ssh://x",
              "qemu+unix:///system?socket=/tmp/+ssh://x");
    ck_assert_ptr_null(st_uri_no_tty(NULL));
}
END_TEST

START_TEST(ssh_transport)
{
    ck_assert(st_uri_is_ssh("qemu+ssh://root@kvm2/system"));
    ck_assert(st_uri_is_ssh("qemu+ssh://kvm2/system?no_tty=0"));
    ck_assert(!st_uri_is_ssh("qemu+libssh://kvm2/system"));
    ck_assert(!st_uri_is_ssh("qemu+tcp://kvm2/system"));
    ck_assert(!st_uri_is_ssh("qemu+unix:///system?socket=/tmp/+ssh://x"));
    ck_assert(!st_uri_is_ssh(NULL));
}
END_TEST

static void reason_is(const char *msg, const char *want, st_ssh_failure want_kind)
{
    st_ssh_failure kind = ST_SSH_AUTH;
    char *got = st_ssh_reason(msg, &kind);
    if (want)
        ck_assert_str_eq(got, want);
    else
        ck_assert_ptr_null(got);
    ck_assert_int_eq(kind, want_kind);
    free(got);
}

/* libvirt 9.0's messages, as ssh's stderr reached them. */
START_TEST(ssh_reasons)
{
    reason_is("Cannot recv data: root@127.0.0.1: Permission denied "
              "(publickey,password,keyboard-interactive).: Connection reset by peer",
              "ssh: root@127.0.0.1: Permission denied (publickey,password,keyboard-interactive).",
              ST_SSH_AUTH);
    reason_is("Cannot recv data: Warning: Identity file /k not accessible: No such file or "
              "directory.\nroot@h: Permission denied (publickey).: Connection reset by peer",
              "ssh: root@h: Permission denied (publickey).", ST_SSH_AUTH);
    reason_is("Cannot recv data: ssh: connect to host 127.0.0.1 port 2222: Connection refused: "
              "Connection reset by peer",
              "ssh: connect to host 127.0.0.1 port 2222: Connection refused", ST_SSH_OTHER);
    reason_is("Cannot recv data: No ED25519 host key is known for [h]:22 and you have requested "
              "strict checking.\r\nHost key verification failed.\r\n: Connection reset by peer",
              "ssh: Host key verification failed.", ST_SSH_UNKNOWN_KEY);
    /* The banner of a changed host key: a dozen lines, one said instead. */
    char *banner = xasprintf(
        "Cannot recv data: %s\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n%s\n"
        "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n"
        "Offending ED25519 key in /k/known_hosts:1\n  remove with:\n"
        "  ssh-keygen -f \"/k/known_hosts\" -R \"[127.0.0.1]:2222\"\n"
        "Host key for [127.0.0.1]:2222 has changed and you have requested strict checking.\n"
        "Host key verification failed.: Connection reset by peer",
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
    st_ssh_failure kind = ST_SSH_OTHER;
    char *got = st_ssh_reason(banner, &kind);
    ck_assert_int_eq(kind, ST_SSH_CHANGED_KEY);
    ck_assert_ptr_null(strchr(got, '\n'));
    ck_assert_ptr_null(strchr(got, '@'));
    ck_assert_ptr_nonnull(strstr(got, "REMOTE HOST IDENTIFICATION HAS CHANGED"));
    ck_assert_ptr_nonnull(strstr(got, "ssh-keygen -R"));
    free(got);
    free(banner);
    /* Nothing of ssh's: libvirt's own message is kept by the caller. */
    reason_is("Cannot recv data: : Connection reset by peer", NULL, ST_SSH_OTHER);
    reason_is("End of file while reading data: Input/output error", NULL, ST_SSH_OTHER);
    reason_is(NULL, NULL, ST_SSH_OTHER);
}
END_TEST

/* The argument vector joined with spaces, for comparing; frees argv. */
static char *joined(char **argv)
{
    strbuf b;
    sb_init(&b);
    for (size_t i = 0; argv && argv[i]; i++)
        sb_printf(&b, "%s%s", i ? " " : "", argv[i]);
    st_argv_free(argv);
    return sb_steal(&b);
}

static void ssh_argv_is(const char *uri, const char *want)
{
    char *got = joined(st_uri_ssh_argv(uri, "virt-snaptree --read-chains"));
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(ssh_command_line)
{
    /* As libvirt's ssh transport reaches the host: same user, port, key and ssh program. */
    ssh_argv_is("qemu+ssh://root@127.0.0.1:2222/system?socket=/run/x/sock&keyfile=/k/c%20key"
                "&command=/lab/ssh",
                "/lab/ssh -p 2222 -l root -i /k/c key -T -e none -o BatchMode=yes -- 127.0.0.1 "
                "virt-snaptree --read-chains");
    ssh_argv_is("qemu+ssh://kvm2/system",
                "ssh -T -e none -o BatchMode=yes -- kvm2 virt-snaptree --read-chains");
    ssh_argv_is("qemu+ssh://admin@[::1]:22/system?no_verify=1&no_tty=1",
                "ssh -p 22 -l admin -T -e none -o BatchMode=yes -o StrictHostKeyChecking=no -- "
                "::1 virt-snaptree --read-chains");
    /* An option only looks like one: the host stays a host after "--". */
    ssh_argv_is("qemu+ssh://-oProxyCommand=x/system",
                "ssh -T -e none -o BatchMode=yes -- -oProxyCommand=x virt-snaptree --read-chains");
    ck_assert_ptr_null(st_uri_ssh_argv("qemu+tcp://kvm2/system", "x"));
    ck_assert_ptr_null(st_uri_ssh_argv("qemu+ssh:///system", "x"));
    ck_assert_ptr_null(st_uri_ssh_argv(NULL, "x"));
    char *h = st_uri_host("qemu+ssh://root@[fe80::1]:22/system");
    ck_assert_str_eq(h, "fe80::1");
    free(h);
    h = st_uri_host("qemu+ssh://root@kvm2:22/system?keyfile=/k");
    ck_assert_str_eq(h, "kvm2");
    free(h);
}
END_TEST

START_TEST(ssh_shared_connection)
{
    /* A run that joins the connection whose master listens on the control socket. */
    char *got = joined(st_uri_ssh_argv_shared("qemu+ssh://root@kvm2:2222/system?command=/lab/ssh",
                                              "virt-snaptree --read-chains", "/run/v/ssh/1-a/c-0"));
    ck_assert_str_eq(got,
                     "/lab/ssh -p 2222 -l root -T -e none -o BatchMode=yes -o ControlMaster=no "
                     "-o ControlPath=/run/v/ssh/1-a/c-0 -- kvm2 virt-snaptree --read-chains");
    free(got);
    char *p = st_uri_ssh_program("qemu+ssh://kvm2/system?command=/opt/my%20ssh&no_tty=1");
    ck_assert_str_eq(p, "/opt/my ssh");
    free(p);
    p = st_uri_ssh_program("qemu+ssh://kvm2/system?command=");
    ck_assert_str_eq(p, "ssh");
    free(p);
}
END_TEST

static void with_command_is(const char *uri, const char *command, const char *want)
{
    char *got = st_uri_with_command(uri, command);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(ssh_command_replaced)
{
    /* The wrapper takes command='s place; every other parameter stays, in its order. */
    with_command_is("qemu+ssh://root@h:22/system?socket=/s&command=/lab/ssh&no_tty=1",
                    "/run/w/ssh-0",
                    "qemu+ssh://root@h:22/system?socket=/s&no_tty=1&command=/run/w/ssh-0");
    with_command_is("qemu+ssh://h/system", "/run/w/ssh-1",
                    "qemu+ssh://h/system?command=/run/w/ssh-1");
    with_command_is("qemu+ssh://h/system?commander=1&command", "/a b&c",
                    "qemu+ssh://h/system?commander=1&command=/a%20b%26c");
    ck_assert_ptr_null(st_uri_with_command("qemu:///system", "/x"));
    /* What the new URI names is what the ssh run reads back. */
    char *u = st_uri_with_command("qemu+ssh://h/system?no_tty=1", "/a b%c");
    char *p = st_uri_ssh_program(u);
    ck_assert_str_eq(p, "/a b%c");
    free(p);
    free(u);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("uri");
    TCase *tc = tcase_create("uri");
    tcase_add_test(tc, local_uris);
    tcase_add_test(tc, ssh_without_tty);
    tcase_add_test(tc, retry_soon);
    tcase_add_test(tc, ssh_transport);
    tcase_add_test(tc, ssh_reasons);
    tcase_add_test(tc, ssh_command_line);
    tcase_add_test(tc, ssh_shared_connection);
    tcase_add_test(tc, ssh_command_replaced);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
