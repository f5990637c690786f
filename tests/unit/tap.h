/* Runs a Check suite and reports every test case as a TAP line on stdout. */
#ifndef ST_TESTS_TAP_H
#define ST_TESTS_TAP_H

#include <check.h>
#include <stdlib.h>

static inline int st_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
