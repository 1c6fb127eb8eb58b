/*
 * <netinet/in.h> on Windows: the Windows build force-includes compat/posix-win.h,
 * which has what this header would declare (Winsock, behind compat_win_*).
 */
#ifndef FERRY_WIN_NETINET_IN_H
#define FERRY_WIN_NETINET_IN_H
#include "posix-win.h"
#endif
