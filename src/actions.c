#include "config.h"

#include "actions.h"

#include <stdarg.h>
#include <stdlib.h>

#include "i18n.h"
#include "util.h"
#include "worker.h"

void st_action_result(st_worker *w, int id, bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    st_msg *m = xcalloc(1, sizeof(*m));
    m->kind = ST_MSG_RESULT;
    m->host_index = w->index;
    m->request_id = id;
    m->ok = ok;
    m->text = xvasprintf(fmt, ap);
    va_end(ap);
    st_backend_post(w->b, m);
}

void st_action_run(st_worker *w, int id, const st_request *req)
{
    if (w->readonly && req->kind != ST_REQ_FACTS) {
        st_action_result(w, id, false, "%s", _("read-only connection: no actions"));
        return;
    }
    st_action_result(w, id, false, "%s", _("this action is not available yet"));
}
