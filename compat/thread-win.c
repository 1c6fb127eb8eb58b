/*
 * pthread_tryjoin_np on Windows (posix-win.h), which transfer/'s
 * link_accept calls to reap its handshake threads while it accepts more.
 *
 * winpthreads' own _pthread_tryjoin is not safe to use there: it joins a
 * thread as soon as its start routine has returned (its "ended" flag),
 * while the thread is still exiting, running the TLS callbacks of
 * winpthreads, the C runtime and OpenSSL. The join closes the thread's
 * handles and puts its record back for the next pthread_create to take;
 * the exiting thread's winpthreads callback then reads that record, now
 * the new thread's, and closes its start event and frees its key table a
 * second time. A handle closed twice closes whatever took its number in
 * between (a socket, a file, the crypto provider's handles) and the
 * double free breaks the heap: ferry-peer.exe under wine failed TLS
 * set-up with "error retrieving entropy" or faulted in OpenSSL's
 * ossl_namemap_stored or in RtlAllocateHeap (docs/windows.md).
 *
 * Here a thread is joined only once its handle is signalled, which
 * Windows does after the thread has gone, its TLS callbacks included.
 */
#define COMPAT_WIN_IMPL
#include "posix-win.h"

#include <windows.h>

int
compat_win_tryjoin(pthread_t t, void **res)
{
	HANDLE	h;

	if ((h = pthread_gethandle(t)) == NULL || h == INVALID_HANDLE_VALUE)
		return (ESRCH);
	switch (WaitForSingleObject(h, 0)) {
	case WAIT_OBJECT_0:
		/* Gone: pthread_join waits for nothing and frees its record. */
		return (pthread_join(t, res));
	case WAIT_TIMEOUT:
		return (EBUSY);
	default:
		return (EINVAL);
	}
}
