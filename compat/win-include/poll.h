/*
 * <poll.h> on Windows: the Windows build force-includes compat/posix-win.h,
 * which has what this header would declare (Winsock, behind compat_win_*).
 */
#ifndef FERRY_WIN_POLL_H
#define FERRY_WIN_POLL_H
#include "posix-win.h"
#endif
