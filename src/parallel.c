#include "config.h"

#include "parallel.h"

#include <pthread.h>
#include <stdatomic.h>

static _Thread_local size_t my_slot;

typedef struct par {
    size_t n;
    atomic_size_t next;
    st_par_fn fn;
    void *ctx;
} par;

typedef struct helper {
    par *p;
    size_t slot;
} helper;

static void drain(par *p)
{
    size_t i;
    while ((i = atomic_fetch_add(&p->next, 1)) < p->n)
        p->fn(p->ctx, i);
}

static void *helper_main(void *arg)
{
    helper *h = arg;
    my_slot = h->slot;
    drain(h->p);
    return NULL;
}

size_t st_parallel_slot(void)
{
    return my_slot;
}

void st_parallel_adopt(size_t slot)
{
    my_slot = slot < ST_PAR_MAX ? slot : 0;
}

void st_parallel(size_t n, size_t threads, st_par_fn fn, void *ctx)
{
    par p = {.n = n, .fn = fn, .ctx = ctx};
    atomic_init(&p.next, 0);
    if (threads > n)
        threads = n;
    if (threads > ST_PAR_MAX - 1)
        threads = ST_PAR_MAX - 1; /* the last slot is ST_PAR_SLOT_BACKGROUND's */
    pthread_t tid[ST_PAR_MAX];
    helper hs[ST_PAR_MAX];
    size_t started = 0;
    /* 1 MiB stacks rather than 8: the tasks parse XML and make libvirt calls, nothing deep. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1024 * 1024);
    for (size_t k = 1; k < threads; k++) {
        hs[started] = (helper){&p, k};
        if (pthread_create(&tid[started], &attr, helper_main, &hs[started]) != 0)
            break; /* fewer threads: the work still gets done below */
        started++;
    }
    pthread_attr_destroy(&attr);
    size_t saved = my_slot;
    drain(&p);
    my_slot = saved;
    for (size_t k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
}
