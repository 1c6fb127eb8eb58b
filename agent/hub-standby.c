/*
 * How a standby hub spends each second it waits for the store's lease
 * (hub-lease.c, issue 17): it says so in its own row of the store's
 * hubs (hub-hubs.c reads them for `ferry status`), on the lease's own
 * connection, and answers its local API, which takes only status from
 * a standby (api-ops.c). A file of its own, below both, so that the
 * API's files and the hubs' do not call each other round a circle.
 */
#include "config.h"

#include "clock.h"
#include "ferryd.h"
#include "store.h"

void
hubs_standby_wait(struct ferryd *d)
{
	int64_t	until = clock_ms() + 1000;

	json_t	*hubs;

	/* Before the first migration there is no table: nothing to say. */
	store_hub_seen(d->lease, d->fp, "standby", clock_now(), NULL);
	/* Where requests are forwarded to (hub-forward-out.c). */
	hubs = hubs_status(d, d->lease);
	pthread_mutex_lock(&d->mu);
	json_decref(d->standby_hubs);
	d->standby_hubs = hubs;
	pthread_mutex_unlock(&d->mu);
	while (!d->stop && clock_ms() < until)
		api_serve_once(d, (int)(until - clock_ms()));
}
