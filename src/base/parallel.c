#include "config.h"

#include "base/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

static _Thread_local size_t my_slot;
/* Bit s set: slot s is taken. Slot 0 is everyone's who has none, never handed out. */
static _Atomic uint64_t taken[ST_PAR_MAX / 64] = {1};

static size_t claim(void)
{
    for (size_t w = 0; w < ST_PAR_MAX / 64; w++) {
        uint64_t cur = atomic_load(&taken[w]);
        while (~cur) {
            int bit = __builtin_ctzll(~cur);
            if (atomic_compare_exchange_weak(&taken[w], &cur, cur | (1ull << bit)))
                return w * 64 + (size_t)bit;
        }
    }
    return 0;
}

static void release(size_t s)
{
    if (s)
        atomic_fetch_and(&taken[s / 64], ~(1ull << (s % 64)));
}

void st_parallel_enter(void)
{
    if (!my_slot)
        my_slot = claim();
}

void st_parallel_leave(void)
{
    release(my_slot);
    my_slot = 0;
}

size_t st_parallel_slot(void)
{
    return my_slot;
}

typedef struct par {
    size_t n;
    atomic_size_t next;
    st_par_fn fn;
    void *ctx;
} par;

static void drain(par *p)
{
    size_t i;
    while ((i = atomic_fetch_add(&p->next, 1)) < p->n)
        p->fn(p->ctx, i);
}

static void *helper_main(void *arg)
{
    par *p = arg;
    st_parallel_enter();
    drain(p);
    st_parallel_leave();
    return NULL;
}

void st_parallel(size_t n, size_t threads, st_par_fn fn, void *ctx)
{
    par p = {.n = n, .fn = fn, .ctx = ctx};
    atomic_init(&p.next, 0);
    if (threads > n)
        threads = n;
    if (threads > ST_PAR_MAX)
        threads = ST_PAR_MAX;
    pthread_t tid[ST_PAR_MAX];
    size_t started = 0;
    /* 1 MiB stacks rather than 8: the tasks parse XML and make libvirt calls, nothing deep. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1024 * 1024);
    for (size_t k = 1; k < threads; k++) {
        if (pthread_create(&tid[started], &attr, helper_main, &p) != 0)
            break; /* fewer threads: the work still gets done below */
        started++;
    }
    pthread_attr_destroy(&attr);
    drain(&p);
    for (size_t k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
}
