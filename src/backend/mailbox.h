/*
 * The mailbox: messages from the hosts' workers to the frontend, in the order they were posted.
 * The frontend polls its file descriptor (one byte per message queued) next to stdin and takes
 * the messages one by one. Also the one place where messages are built: the answer to a request
 * (RESULT), the facts for a plan (PLAN), a model or the jobs of a host.
 *
 * What is posted, and on whose behalf, is the backend's business (backend.c: a final answer
 * takes its request off the host's pending list; a worker that was taken over posts no news).
 */
#ifndef ST_MAILBOX_H
#define ST_MAILBOX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "backend/backend.h"

struct st_worker;

typedef struct st_mailbox {
    pthread_mutex_t lock; /* head and tail */
    st_msg *head, *tail;
    int pipe[2]; /* one byte per message queued: the frontend polls pipe[0] */
} st_mailbox;

void st_mailbox_open(st_mailbox *mb);
/* Frees the messages still queued. */
void st_mailbox_close(st_mailbox *mb);
int st_mailbox_fd(const st_mailbox *mb);
/*
 * Queues a message, owned by the mailbox from now on. The frontend learns of it from
 * st_mailbox_wake, once per message, which callers holding a lock of their own call after
 * releasing it.
 */
void st_mailbox_put(st_mailbox *mb, st_msg *m);
void st_mailbox_wake(st_mailbox *mb, size_t n);
/* The oldest message or NULL; the caller owns it (st_msg_free). */
st_msg *st_mailbox_next(st_mailbox *mb);

/* A message of a kind, about host `host_index` (and request `request_id`, 0: none). */
st_msg *st_msg_new(st_msg_kind kind, size_t host_index, int request_id);
/* The answer to request `request_id`: done or not, with `text` (taken over) and a detail
 * (ST_RESULT_*) that the frontend can act on. */
st_msg *st_msg_result(size_t host_index, int request_id, bool ok, int detail, char *text);

/* Posts, on behalf of a worker (st_worker_post), the answer to request `id` (text taken over). */
void st_post_result(struct st_worker *w, int id, bool ok, int detail, char *text);
/* The same with a formatted text and no detail. */
void st_action_result(struct st_worker *w, int id, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Posts the facts a plan needs (taken over) as the answer to request `id`. */
void st_post_plan(struct st_worker *w, int id, st_facts *f);

#endif
