/*
 * What-if experiment only (never for a real deployment): an LD_PRELOAD shim
 * that turns fsync/fdatasync into no-ops, so a bench server measures what
 * its SQLite commits cost *without* waiting for the disk. The difference to
 * a normal run bounds what group commit or `synchronous = NORMAL` could gain.
 *
 *   cc -shared -fPIC -O2 -o /tmp/nofsync.so bench/tools/nofsync.c
 *   BENCH_SERVER_PRELOAD=/tmp/nofsync.so node --import tsx bench/run.ts --only=throughput
 */
int fsync(int fd) { (void)fd; return 0; }
int fdatasync(int fd) { (void)fd; return 0; }
