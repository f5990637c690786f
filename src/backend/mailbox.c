#include "config.h"

#include "backend/mailbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "backend/worker.h"
#include "base/util.h"

/* ---- the queue ---- */

void st_mailbox_open(st_mailbox *mb)
{
    pthread_mutex_init(&mb->lock, NULL);
    mb->head = mb->tail = NULL;
    if (pipe2(mb->pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        abort();
}

void st_mailbox_close(st_mailbox *mb)
{
    st_msg *m;
    while ((m = st_mailbox_next(mb)))
        st_msg_free(m);
    close(mb->pipe[0]);
    close(mb->pipe[1]);
    pthread_mutex_destroy(&mb->lock);
}

int st_mailbox_fd(const st_mailbox *mb)
{
    return mb->pipe[0];
}

void st_mailbox_put(st_mailbox *mb, st_msg *m)
{
    m->next = NULL;
    pthread_mutex_lock(&mb->lock);
    if (mb->tail)
        mb->tail->next = m;
    else
        mb->head = m;
    mb->tail = m;
    pthread_mutex_unlock(&mb->lock);
}

void st_mailbox_wake(st_mailbox *mb, size_t n)
{
    char c = 1;
    /* The pipe is non-blocking: when it is full the frontend has wake-ups pending anyway. */
    for (size_t i = 0; i < n; i++)
        while (write(mb->pipe[1], &c, 1) < 0 && errno == EINTR)
            ;
}

st_msg *st_mailbox_next(st_mailbox *mb)
{
    pthread_mutex_lock(&mb->lock);
    st_msg *m = mb->head;
    if (m) {
        mb->head = m->next;
        if (!mb->head)
            mb->tail = NULL;
        m->next = NULL;
    }
    pthread_mutex_unlock(&mb->lock);
    if (m) {
        char c;
        while (read(mb->pipe[0], &c, 1) < 0 && errno == EINTR)
            ;
    }
    return m;
}

/* ---- messages ---- */

st_msg *st_msg_new(st_msg_kind kind, size_t host_index, int request_id)
{
    st_msg *m = xcalloc(1, sizeof(*m));
    m->kind = kind;
    m->host_index = host_index;
    m->request_id = request_id;
    return m;
}

st_msg *st_msg_result(size_t host_index, int request_id, bool ok, int detail, char *text)
{
    st_msg *m = st_msg_new(ST_MSG_RESULT, host_index, request_id);
    m->ok = ok;
    m->detail = detail;
    m->text = text;
    return m;
}

void st_msg_free(st_msg *m)
{
    if (!m)
        return;
    st_host_free(m->host);
    for (size_t i = 0; i < m->n_jobs; i++)
        st_job_clear(&m->jobs[i]);
    free(m->jobs);
    free(m->text);
    st_facts_free(m->facts);
    free(m);
}

/* ---- a worker's answers ---- */

void st_post_result(st_worker *w, int id, bool ok, int detail, char *text)
{
    st_worker_post(w, st_msg_result(w->index, id, ok, detail, text));
}

void st_action_result(st_worker *w, int id, bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    st_post_result(w, id, ok, ST_RESULT_PLAIN, text);
}

void st_post_plan(st_worker *w, int id, st_facts *f)
{
    st_msg *m = st_msg_new(ST_MSG_PLAN, w->index, id);
    m->ok = true;
    m->facts = f;
    st_worker_post(w, m);
}
