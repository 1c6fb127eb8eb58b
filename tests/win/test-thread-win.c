/*
 * pthread_tryjoin_np on Windows (compat/thread-win.c), as transfer/'s
 * link_accept uses it to reap handshake threads: it may say a thread is
 * joined only once the thread has gone. winpthreads' _pthread_tryjoin
 * says so as soon as the thread's start routine has returned, while the
 * thread still runs its exit (the TLS callbacks of winpthreads, the C
 * runtime and OpenSSL): it then closes the thread's handles and hands
 * its record to the next pthread_create, whose event handle and key
 * table the still-exiting thread closes and frees. A TLS callback here
 * holds each test thread in its exit for a moment, so that window is
 * always open: a join reported before the thread's own handle is
 * signalled fails the test.
 *
 * Built with posix-win.h force-included, as transfer/ is, so it goes
 * through the same pthread_tryjoin_np macro.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <windows.h>

#include "test.h"

static DWORD	slow_slot = TLS_OUT_OF_INDEXES;

/* Our test threads linger in their exit, where winpthreads' race is. */
static void WINAPI
test_slow_exit(PVOID dll, DWORD reason, PVOID reserved)
{
	(void)dll, (void)reserved;
	if (reason == DLL_THREAD_DETACH && slow_slot != TLS_OUT_OF_INDEXES &&
	    TlsGetValue(slow_slot) != NULL)
		Sleep(200);
}

/* Before winpthreads' own callback (.CRT$XLF): the order is by name. */
PIMAGE_TLS_CALLBACK test_slow_exit_cb
    __attribute__((section(".CRT$XLB"), used)) = test_slow_exit;

struct test_thread {
	HANDLE	self;		/* the thread's own handle, kept past join */
};

static void *
test_thread_main(void *arg)
{
	struct test_thread	*tt = arg;

	if (!DuplicateHandle(GetCurrentProcess(), GetCurrentThread(),
	    GetCurrentProcess(), &tt->self, SYNCHRONIZE, FALSE, 0))
		tt->self = NULL;
	TlsSetValue(slow_slot, (void *)1);
	return (tt);
}

int
main(void)
{
	struct test_thread	tt;
	pthread_t		t;
	void			*res;
	int			i, r, tries;

	if ((slow_slot = TlsAlloc()) == TLS_OUT_OF_INDEXES)
		TEST_SKIP("no TLS slot");
	for (i = 0; i < 5; i++) {
		memset(&tt, 0, sizeof tt);
		ASSERT_INT_EQ(pthread_create(&t, NULL, test_thread_main, &tt),
		    0);
		/* Polled as link_accept does, for 10 s at most. */
		for (tries = 0; (r = pthread_tryjoin_np(t, &res)) == EBUSY &&
		    tries < 10000; tries++)
			Sleep(1);
		ASSERT_INT_EQ(r, 0);
		if (r != 0)
			break;
		ASSERT_TRUE(res == &tt);
		ASSERT_TRUE(tt.self != NULL);
		if (tt.self == NULL)
			continue;
		/* Joined means gone: its handle is signalled by then. */
		if (WaitForSingleObject(tt.self, 0) != WAIT_OBJECT_0)
			TEST_FAIL("run %d: pthread_tryjoin_np joined a thread "
			    "that was still exiting", i);
		test_checks++;
		/* Let it go before the next one, whatever was said. */
		WaitForSingleObject(tt.self, INFINITE);
		CloseHandle(tt.self);
	}
	return (TEST_DONE());
}
