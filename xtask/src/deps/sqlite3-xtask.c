/*
 * The sqlite recipe compiles this file instead of sqlite3.c (on both targets; all but the last
 * line is for WASI only).
 *
 * On WASI the amalgamation defaults to the "unix-dotfile" VFS: every lock, a reader's shared lock
 * too, is one lock file, so a second connection of the same process cannot read a database while
 * the first holds any lock (CPython's test_sqlite3 TransactionTests fail with "database is
 * locked"). The "unix" VFS would do better, but it takes POSIX record locks with fcntl(F_SETLK),
 * and wasi-libc has none (the call fails and every lock becomes an I/O error).
 *
 * So this file selects the "unix" VFS and routes its fcntl through lock calls that succeed, as
 * emscripten's fcntl does. Between connections of one process sqlite's unix VFS arbitrates by
 * itself, in its per-inode lock table, because POSIX record locks never conflict within a
 * process: those work as on Linux. The record locks only keep other processes out. What is lost:
 * two programs (two wasm instances, or a wasm and a native one) writing the same database at once
 * are not kept apart; with the dotfile VFS they were.
 */
#if defined(__wasi__)
#include <fcntl.h>
#include <stdarg.h>

/* wasi-libc names no record-lock commands; these are the values sqlite itself picks for a
 * 32-bit WASI target when they are missing. */
#ifndef F_RDLCK
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#define F_GETLK 12
#define F_SETLK 13
#define F_SETLKW 14
#endif

static int xtask_wasi_fcntl(int fd, int command, ...) {
    va_list args;
    va_start(args, command);
    int result = 0;
    switch (command) {
    case F_GETLK:
        /* Nobody else holds a lock. */
        va_arg(args, struct flock *)->l_type = F_UNLCK;
        break;
    case F_SETLK:
    case F_SETLKW:
        break;
    case F_GETFD:
    case F_GETFL:
        result = fcntl(fd, command);
        break;
    default:
        result = fcntl(fd, command, va_arg(args, int));
        break;
    }
    va_end(args);
    return result;
}

#define fcntl xtask_wasi_fcntl
#define SQLITE_DEFAULT_UNIX_VFS "unix"
#endif

#include "sqlite3.c"
