/*
 * <pwd.h> on Windows: compat/posix-win.h (force-included) has struct
 * passwd and a getpwuid that finds no one (Windows has no uids).
 */
#ifndef FERRY_WIN_PWD_H
#define FERRY_WIN_PWD_H
#include "posix-win.h"
#endif
