/*
 * A TCP proxy that delays every byte by a fixed one-way time in each direction: a slow link for
 * the benchmarks where the kernel has no netem (sch_netem is a module many cloud kernels lack).
 *
 *   delayproxy LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT ONE_WAY_MS
 *
 * Data read from one side is written to the other ONE_WAY_MS later, in order, so a request and
 * its reply cost one round trip of 2 × ONE_WAY_MS, as over netem. The client's TCP handshake
 * with the proxy is instant on loopback, while over a real link it costs a round trip before the
 * first byte can leave: the first chunk a client sends is therefore held for one round trip
 * more. Bandwidth is not limited (the figures are about round trips). Single-threaded: one poll()
 * loop; it runs until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 512
#define CHUNK     65536

typedef struct chunk {
    int64_t due_ns;
    size_t len, off;
    bool eof; /* the sender closed: shut the receiver's write side when due */
    struct chunk *next;
    char data[];
} chunk;

/* One direction of a connection: bytes read from `from`, waiting to be written to `to`. */
typedef struct pipe_dir {
    int from, to;
    chunk *head, *tail;
    size_t queued;
    bool read_eof, done;
    bool first_sent; /* for the handshake round trip */
} pipe_dir;

typedef struct conn {
    bool used;
    pipe_dir up, down; /* client → server, server → client */
} conn;

static conn conns[MAX_CONNS];
static int64_t one_way_ns;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void push(pipe_dir *p, const char *data, size_t len, bool eof, bool handshake)
{
    chunk *c = malloc(sizeof(*c) + len);
    if (!c)
        abort();
    c->due_ns = now_ns() + one_way_ns + (handshake ? 2 * one_way_ns : 0);
    c->len = len;
    c->off = 0;
    c->eof = eof;
    c->next = NULL;
    memcpy(c->data, data, len);
    /* Keep order: a chunk is never due before the one ahead of it. */
    if (p->tail && c->due_ns < p->tail->due_ns)
        c->due_ns = p->tail->due_ns;
    if (p->tail)
        p->tail->next = c;
    else
        p->head = c;
    p->tail = c;
    p->queued += len;
}

static void pop(pipe_dir *p)
{
    chunk *c = p->head;
    p->head = c->next;
    if (!p->head)
        p->tail = NULL;
    p->queued -= c->len;
    free(c);
}

static void close_conn(conn *c)
{
    while (c->up.head)
        pop(&c->up);
    while (c->down.head)
        pop(&c->down);
    close(c->up.from);
    close(c->up.to);
    memset(c, 0, sizeof(*c));
}

/* Reads what is there; false when the connection is to be dropped. */
static bool do_read(pipe_dir *p, bool model_handshake)
{
    char buf[CHUNK];
    ssize_t n = read(p->from, buf, sizeof(buf));
    if (n > 0) {
        push(p, buf, (size_t)n, false, model_handshake && !p->first_sent);
        p->first_sent = true;
        return true;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        p->read_eof = true;
        push(p, "", 0, true, false);
    }
    return true;
}

/* Writes the chunks that are due; false on a write error. */
static bool do_write(pipe_dir *p, int64_t now)
{
    while (p->head && p->head->due_ns <= now) {
        chunk *c = p->head;
        if (c->eof) {
            shutdown(p->to, SHUT_WR);
            p->done = true;
            pop(p);
            continue;
        }
        ssize_t n = write(p->to, c->data + c->off, c->len - c->off);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR;
        c->off += (size_t)n;
        if (c->off < c->len)
            return true;
        pop(p);
    }
    return true;
}

static int listen_on(const char *addr, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 128) != 0) {
        perror("delayproxy: listen");
        exit(1);
    }
    set_nonblock(fd);
    return fd;
}

static int connect_to(const char *addr, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, addr, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    set_nonblock(fd);
    return fd;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT ONE_WAY_MS\n",
                argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int lfd = listen_on(argv[1], atoi(argv[2]));
    const char *taddr = argv[3];
    int tport = atoi(argv[4]);
    one_way_ns = (int64_t)(atof(argv[5]) * 1e6);
    struct pollfd fds[1 + 2 * MAX_CONNS];
    for (;;) {
        int64_t now = now_ns(), next = INT64_MAX;
        size_t nf = 0;
        fds[nf++] = (struct pollfd){lfd, POLLIN, 0};
        for (int i = 0; i < MAX_CONNS; i++) {
            conn *c = &conns[i];
            if (!c->used)
                continue;
            pipe_dir *dirs[2] = {&c->up, &c->down};
            for (int k = 0; k < 2; k++) {
                pipe_dir *p = dirs[k];
                short ev = 0;
                /* Stop reading while a lot waits: the kernel's buffers then push back. */
                if (!p->read_eof && p->queued < 16 * CHUNK)
                    ev |= POLLIN;
                fds[nf++] = (struct pollfd){p->from, ev, 0};
                if (p->head) {
                    if (p->head->due_ns <= now)
                        fds[nf++] = (struct pollfd){p->to, POLLOUT, 0};
                    else if (p->head->due_ns < next)
                        next = p->head->due_ns;
                }
            }
        }
        int timeout = -1;
        if (next != INT64_MAX)
            timeout = (int)((next - now + 999999) / 1000000);
        if (poll(fds, nf, timeout) < 0 && errno != EINTR)
            return 1;
        if (fds[0].revents & POLLIN) {
            int cfd;
            while ((cfd = accept(lfd, NULL, NULL)) >= 0) {
                int sfd = connect_to(taddr, tport);
                int slot = -1;
                for (int i = 0; i < MAX_CONNS && slot < 0; i++)
                    if (!conns[i].used)
                        slot = i;
                if (sfd < 0 || slot < 0) {
                    close(cfd);
                    if (sfd >= 0)
                        close(sfd);
                    continue;
                }
                set_nonblock(cfd);
                conn *c = &conns[slot];
                memset(c, 0, sizeof(*c));
                c->used = true;
                c->up = (pipe_dir){.from = cfd, .to = sfd};
                c->down = (pipe_dir){.from = sfd, .to = cfd};
            }
        }
        now = now_ns();
        for (int i = 0; i < MAX_CONNS; i++) {
            conn *c = &conns[i];
            if (!c->used)
                continue;
            bool ok = true;
            /* Reading is cheap to attempt: non-blocking, EAGAIN when nothing is there. */
            if (!c->up.read_eof)
                ok = do_read(&c->up, true);
            if (ok && !c->down.read_eof)
                ok = do_read(&c->down, false);
            if (ok)
                ok = do_write(&c->up, now) && do_write(&c->down, now);
            if (!ok || (c->up.done && c->down.done))
                close_conn(c);
        }
    }
}
