/* Connection URIs read as text: which are local, and where the interface keeps ssh off the tty. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/uri.h"
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

int main(void)
{
    Suite *s = suite_create("uri");
    TCase *tc = tcase_create("uri");
    tcase_add_test(tc, local_uris);
    tcase_add_test(tc, ssh_without_tty);
    tcase_add_test(tc, retry_soon);
    suite_add_tcase(s, tc);
    return st_run_suite(s);
}
