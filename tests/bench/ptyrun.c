/*
 * Runs virt-snaptree's interface on a pseudo-terminal and reports when it painted what, and its
 * peak memory. The program writes a line per paint to $VIRT_SNAPTREE_TRACE (src/base/trace.h) with
 * CLOCK_MONOTONIC stamps taken right after curses' refresh() returned, i.e. once the frame was
 * written to the terminal; this runner takes the same clock just before it forks, so a figure is
 * "from exec to a frame on the terminal", with no polling of a screen in between.
 *
 *   ptyrun [--cols N] [--rows N] [--domains N] [--layers N] [--snapshots N] [--stay SECS]
 *          [--refreshes N] [--timeout SECS] [--keys STR] [--key-latency N] [--no-pty]
 *          [--out FILE] [--trace-copy FILE] -- CMD [ARG]...
 *
 * --domains/--layers/--snapshots: the paint that counts as the complete model (all three
 * reached); --stay: keep the program running that long afterwards (refreshes, for memory);
 * --refreshes: and until it has ended that many refreshes in all (a loaded machine refreshes
 * more slowly, and figure 2b needs the periodic ones);
 * --keys: typed once the model is complete (default "q"). --key-latency: before those, N keys
 * (j and k in turn, 0.1 to 0.3 s apart), each timed from its write to the terminal to the end of
 * the first paint after the program read it (key_median_ms, key_max_ms; the program's trace
 * stamps the keys it reads). With --no-pty the command runs with
 * stdout to --out (or /dev/null) and only time and memory are reported. --trace-copy keeps the
 * program's trace in FILE.
 *
 * Prints key=value lines: first_paint_ms (any frame), model_paint_ms (all domains and layers),
 * full_paint_ms (snapshots too), paints, wall_ms, maxrss_kib, status.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static unsigned long field(const char *line, const char *key)
{
    const char *p = strstr(line, key);
    return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

typedef struct state {
    unsigned long want_doms, want_layers, want_snaps;
    int64_t t0, first, model, full;
    unsigned long paints, refreshes;
    int64_t last_paint; /* CLOCK_MONOTONIC of the newest paint */
    int64_t last_key;   /* ... and of the newest key the program read */
    char buf[1 << 16];
    size_t len;
    long off;
} state;

/* Reads the trace lines written since the last call. */
static void read_trace(state *s, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    fseek(f, s->off, SEEK_SET);
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        size_t n = strlen(line);
        if (!n || line[n - 1] != '\n')
            break; /* half written: read it next time */
        s->off += (long)n;
        long long mono = strtoll(line, NULL, 10);
        s->refreshes += strstr(line, " refresh-end ") != NULL;
        if (strstr(line, " key "))
            s->last_key = mono;
        if (!strstr(line, " paint "))
            continue;
        s->paints++;
        s->last_paint = mono;
        int64_t t = mono - s->t0;
        if (!s->first)
            s->first = t;
        bool model =
            field(line, "domains=") >= s->want_doms && field(line, "layers=") >= s->want_layers;
        if (model && !s->model)
            s->model = t;
        if (model && field(line, "snapshots=") >= s->want_snaps && !s->full)
            s->full = t;
    }
    fclose(f);
}

#define KEYS_MAX 256

/* Keys typed one at a time, each waiting for the paint that answers it (--key-latency). */
typedef struct keytimer {
    int want, sent, done;
    int64_t sent_at, next_at;
    double ms[KEYS_MAX];
} keytimer;

/* Advances the typing at time t; true once every key is answered (or given up after 5 s). */
static bool keys_step(keytimer *k, const state *s, int master, int64_t t)
{
    /* The paint after the program read the key: one before may have been a refresh's. */
    bool answered = s->last_key > k->sent_at && s->last_paint > s->last_key;
    if (k->sent_at && (answered || t - k->sent_at > 5000000000LL)) {
        k->ms[k->done++] = ((answered ? s->last_paint : t) - k->sent_at) / 1e6;
        k->sent_at = 0;
        k->next_at = t + (100 + rand() % 200) * (int64_t)1000000;
    }
    if (!k->sent_at && k->sent < k->want && t >= k->next_at) {
        k->sent_at = now_ns();
        if (write(master, k->sent % 2 ? "k" : "j", 1) < 0)
            perror("ptyrun: write");
        k->sent++;
    }
    return k->done >= k->want;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void keys_report(keytimer *k)
{
    if (!k->done)
        return;
    qsort(k->ms, (size_t)k->done, sizeof(double), cmp_double);
    double med =
        k->done % 2 ? k->ms[k->done / 2] : (k->ms[k->done / 2 - 1] + k->ms[k->done / 2]) / 2;
    printf("key_median_ms=%.2f\nkey_max_ms=%.2f\nkeys=%d\n", med, k->ms[k->done - 1], k->done);
}

int main(int argc, char **argv)
{
    keytimer kt;
    memset(&kt, 0, sizeof(kt));
    struct winsize ws = {.ws_row = 50, .ws_col = 160};
    state s;
    memset(&s, 0, sizeof(s));
    double stay = 0, timeout = 60;
    unsigned long want_refreshes = 0;
    const char *keys = "q", *out = "/dev/null", *keep_trace = NULL;
    bool pty = true;
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";
        if (!strcmp(a, "--cols"))
            ws.ws_col = (unsigned short)atoi(v), i++;
        else if (!strcmp(a, "--rows"))
            ws.ws_row = (unsigned short)atoi(v), i++;
        else if (!strcmp(a, "--domains"))
            s.want_doms = strtoul(v, NULL, 10), i++;
        else if (!strcmp(a, "--layers"))
            s.want_layers = strtoul(v, NULL, 10), i++;
        else if (!strcmp(a, "--snapshots"))
            s.want_snaps = strtoul(v, NULL, 10), i++;
        else if (!strcmp(a, "--stay"))
            stay = atof(v), i++;
        else if (!strcmp(a, "--refreshes"))
            want_refreshes = strtoul(v, NULL, 10), i++;
        else if (!strcmp(a, "--timeout"))
            timeout = atof(v), i++;
        else if (!strcmp(a, "--keys"))
            keys = v, i++;
        else if (!strcmp(a, "--key-latency"))
            kt.want = atoi(v) < KEYS_MAX ? atoi(v) : KEYS_MAX, i++;
        else if (!strcmp(a, "--out"))
            out = v, i++;
        else if (!strcmp(a, "--trace-copy"))
            keep_trace = v, i++;
        else if (!strcmp(a, "--no-pty"))
            pty = false;
        else {
            fprintf(stderr, "ptyrun: unknown option %s\n", a);
            return 2;
        }
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "usage: ptyrun [OPTIONS] -- CMD [ARG]...\n");
        return 2;
    }
    char **cmd = argv + i + 1;
    char trace[] = "/tmp/ptyrun-trace.XXXXXX";
    int tfd = mkstemp(trace);
    if (tfd < 0)
        return 1;
    close(tfd);
    setenv("VIRT_SNAPTREE_TRACE", trace, 1);

    int master = -1;
    s.t0 = now_ns();
    pid_t pid = pty ? forkpty(&master, NULL, NULL, &ws) : fork();
    if (pid < 0) {
        perror("ptyrun: fork");
        return 1;
    }
    if (pid == 0) {
        if (!pty) {
            int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(fd, STDOUT_FILENO);
        } else {
            setenv("TERM", "xterm-256color", 1);
        }
        execvp(cmd[0], cmd);
        _exit(127);
    }
    int64_t deadline = s.t0 + (int64_t)(timeout * 1e9), quit_at = 0;
    bool sent = false, timed_out = false;
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof(ru));
    for (;;) {
        pid_t r = wait4(pid, &status, WNOHANG, &ru);
        if (r == pid)
            break;
        if (master >= 0) {
            /* Drain the terminal so that the program never blocks on a full pty. */
            struct pollfd p = {master, POLLIN, 0};
            if (poll(&p, 1, 2) > 0) {
                char buf[65536];
                if (read(master, buf, sizeof(buf)) < 0 && errno == EIO)
                    master = -1;
            }
        } else {
            usleep(2000);
        }
        read_trace(&s, trace);
        int64_t t = now_ns();
        if (pty && !quit_at && s.model && s.full)
            quit_at = t + (int64_t)(stay * 1e9);
        if (pty && quit_at && t >= quit_at && s.refreshes >= want_refreshes && !sent &&
            master >= 0 && keys_step(&kt, &s, master, t)) {
            if (write(master, keys, strlen(keys)) < 0)
                perror("ptyrun: write");
            sent = true;
        }
        if (t > deadline) {
            kill(pid, SIGTERM);
            deadline = t + 5 * (int64_t)1000000000;
            fprintf(stderr, "ptyrun: timeout\n");
            timed_out = true;
        }
    }
    int64_t wall = now_ns() - s.t0;
    read_trace(&s, trace);
    if (!keep_trace || rename(trace, keep_trace) != 0)
        unlink(trace);
    printf("first_paint_ms=%.1f\nmodel_paint_ms=%.1f\nfull_paint_ms=%.1f\npaints=%lu\n",
           s.first / 1e6, s.model / 1e6, s.full / 1e6, s.paints);
    printf("wall_ms=%.1f\nmaxrss_kib=%ld\nstatus=%d\ntimeout=%d\n", wall / 1e6, ru.ru_maxrss,
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), timed_out);
    keys_report(&kt);
    return 0;
}
