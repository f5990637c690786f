#include "config.h"

#include "base/trace.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static pthread_once_t trace_once = PTHREAD_ONCE_INIT;
static int trace_fd = -1;

static void trace_open(void)
{
    const char *path = getenv("VIRT_SNAPTREE_TRACE");
    if (path && *path)
        trace_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

bool st_trace_on(void)
{
    pthread_once(&trace_once, trace_open);
    return trace_fd >= 0;
}

void st_trace(const char *fmt, ...)
{
    if (!st_trace_on())
        return;
    struct timespec mono, real;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    char line[512];
    int n = snprintf(line, sizeof(line), "%lld%09ld %lld%09ld ", (long long)mono.tv_sec,
                     mono.tv_nsec, (long long)real.tv_sec, real.tv_nsec);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (write(trace_fd, line, (size_t)n) < 0) {
        /* A measuring aid: a full disk must not disturb the program. */
    }
}
