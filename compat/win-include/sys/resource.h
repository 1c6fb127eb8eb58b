/*
 * <sys/resource.h> on Windows: compat/posix-win.h (force-included) has
 * getrlimit and setrlimit, which have nothing to change there.
 */
#ifndef FERRY_WIN_SYS_RESOURCE_H
#define FERRY_WIN_SYS_RESOURCE_H
#include "posix-win.h"
#endif
