#include "config.h"

#include "view/term.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "backend/backend.h"
#include "base/i18n.h"
#include "core/text.h"

static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t quit_signal;
static int saved_stderr = -1;
static int log_fd = -1;
static int curses_on;

static const int quit_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

/* The terminal as it was before curses, for a crash to restore (see on_crash). */
static struct termios saved_tty;
static int have_saved_tty;

/*
 * A crash (ours, or inside a library: libvirt 9.0's RPC client segfaulted after a host hung, see
 * src/backend/sentinel.h) must not leave the admin's terminal on the alternate screen, without echo
 * or cursor. Only async-signal-safe calls: the terminal's own strings for leaving the alternate
 * screen, showing the cursor and plain attributes (read from terminfo while curses started), and
 * the saved modes; then the signal's default action (the core dump).
 */
static char crash_reset[256];
static size_t crash_reset_len;

static void keep_reset_strings(void)
{
    const char *caps[] = {"sgr0", "cnorm", "rmcup"};
    crash_reset_len = 0;
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        const char *s = tigetstr((char *)caps[i]);
        size_t n = s && s != (char *)-1 ? strlen(s) : 0;
        if (n && crash_reset_len + n + 2 < sizeof(crash_reset)) {
            memcpy(crash_reset + crash_reset_len, s, n);
            crash_reset_len += n;
        }
    }
    memcpy(crash_reset + crash_reset_len, "\r\n", 2);
    crash_reset_len += 2;
}

static void on_crash(int sig)
{
    if (curses_on) {
        if (write(STDOUT_FILENO, crash_reset, crash_reset_len) < 0) {
            /* Nothing more can be done for the terminal. */
        }
        if (have_saved_tty)
            tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_crashes(void)
{
    static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    have_saved_tty = tcgetattr(STDIN_FILENO, &saved_tty) == 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_crash;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
        sigaction(crash_signals[i], &sa, NULL);
}

static void on_quit_signal(int sig)
{
    int saved = errno;
    quit_signal = sig;
    char c = (char)sig;
    if (write(sig_pipe[1], &c, 1) < 0) {
        /* The pipe is full: a wake-up is pending anyway. */
    }
    errno = saved;
}

/* The signals only the interface's thread takes: quitting, resizing, and SIGPIPE (ignored, but a
 * write to a closed pipe in a libvirt thread must not even interrupt it). */
static void ui_signals(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < sizeof(quit_signals) / sizeof(quit_signals[0]); i++)
        sigaddset(set, quit_signals[i]);
    sigaddset(set, SIGWINCH);
    sigaddset(set, SIGPIPE);
}

void st_term_block_signals(void)
{
    sigset_t set;
    ui_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void st_term_unblock_signals(void)
{
    sigset_t set;
    ui_signals(&set);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void st_term_prepare(void)
{
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        abort();
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_quit_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(quit_signals) / sizeof(quit_signals[0]); i++)
        sigaction(quit_signals[i], &sa, NULL);
    catch_crashes();

    /* libvirt logs to stderr; on a curses screen that is garbage. Keep it for after. */
    char tmpl[] = "/tmp/virt-snaptree-log.XXXXXX";
    log_fd = mkstemp(tmpl);
    if (log_fd >= 0) {
        unlink(tmpl);
        saved_stderr = dup(STDERR_FILENO);
        fcntl(saved_stderr, F_SETFD, FD_CLOEXEC);
        dup2(log_fd, STDERR_FILENO);
    }
}

/* Says why the terminal cannot be used, on the real stderr, and exits. */
static void refuse_terminal(const char *why)
{
    if (saved_stderr >= 0)
        dup2(saved_stderr, STDERR_FILENO);
    fprintf(stderr, "%s: %s (TERM=%s)\n", PACKAGE, why, getenv("TERM") ? getenv("TERM") : "");
    _exit(1);
}

void st_term_start(void)
{
    if (!newterm(NULL, stdout, stdin))
        refuse_terminal(_("cannot use the terminal"));
    /* A terminal that cannot place the cursor (TERM=dumb) would get every screen on one line. */
    const char *cup = tigetstr("cup");
    if (!cup || cup == (char *)-1) {
        endwin();
        refuse_terminal(_("the terminal cannot move its cursor: set TERM to its real type"));
    }
    curses_on = 1;
    keep_reset_strings();
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    /* Only this thread takes the quit and resize signals: main() blocked them before any
     * backend thread started, and those threads inherited the mask. Curses handles SIGWINCH. */
    st_term_unblock_signals();
}

void st_term_stop(void)
{
    if (!curses_on)
        return;
    curses_on = 0;
    curs_set(1);
    endwin();
    fflush(stdout);
}

int st_term_signal_fd(void)
{
    return sig_pipe[0];
}

void st_term_drain_signals(void)
{
    char buf[64];
    while (read(sig_pipe[0], buf, sizeof(buf)) > 0)
        ;
}

int st_term_quit_signal(void)
{
    return quit_signal;
}

void st_term_show_log(bool utf8)
{
    if (log_fd < 0 || saved_stderr < 0)
        return;
    dup2(saved_stderr, STDERR_FILENO);
    off_t end = lseek(log_fd, 0, SEEK_END);
    if (end <= 0 || quit_signal == SIGHUP)
        return;
    /* The last few KiB are what explains a failure; older lines scrolled away anyway. */
    off_t start = end > 4096 ? end - 4096 : 0;
    char buf[4096];
    ssize_t n = pread(log_fd, buf, sizeof(buf), start);
    if (n <= 0)
        return;
    /* Log lines quote domain names and paths: they must not reach the terminal raw either.
     * Known noise of libvirt's libraries is left out (st_libvirt_log_noise), and with it the
     * heading when nothing else is left. */
    bool said = false;
    char *p = buf, *end_p = buf + n;
    while (p < end_p) {
        char *nl = memchr(p, '\n', (size_t)(end_p - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end_p - p);
        char *line = strndup(p, len);
        if (*line && !st_libvirt_log_noise(line)) {
            if (!said)
                fprintf(stderr, _("%s: libvirt reported while the interface ran:\n"), PACKAGE);
            said = true;
            char *safe = st_text_sanitize(line, utf8);
            fprintf(stderr, "%s\n", safe);
            free(safe);
        }
        free(line);
        p += len + 1;
    }
}
