/* Tries to leave the directory mounted at /data; prints one line per attempt.
 * The test mounts a directory holding `outside_link` (-> ../secret.txt) and
 * `abs_link` (-> an absolute path), with secret.txt beside the mounted directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <wasi/api.h>

static void try_open(const char *path) {
    int fd = open(path, O_RDONLY);
    printf("open %s: %s\n", path, fd >= 0 ? "OPENED" : "refused");
    if (fd >= 0) close(fd);
}

static void raw_open(const char *path) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, 0,
                                        __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    printf("path_open %s: %s\n", path, e == 0 ? "OPENED" : "refused");
}

int main(void) {
    try_open("/data/../secret.txt");
    try_open("/data/sub/../../secret.txt");
    try_open("/data/outside_link");
    try_open("/data/abs_link");
    try_open("/secret.txt");
    raw_open("../secret.txt");
    raw_open("/etc/passwd");
    raw_open("outside_link");
    raw_open("abs_link");
    raw_open("./../data/../secret.txt");
    printf("symlink ../x: %s\n", symlink("../secret.txt", "/data/new_link") == 0 ? "MADE" : "refused");
    printf("symlink abs: %s\n", symlink("/etc/passwd", "/data/new_link2") == 0 ? "MADE" : "refused");
    printf("symlink inside: %s\n", symlink("inside.txt", "/data/ok_link") == 0 ? "made" : "refused");
    printf("mkdir outside: %s\n", mkdir("/data/../newdir", 0755) == 0 ? "MADE" : "refused");
    struct stat st;
    printf("stat outside: %s\n", stat("/data/outside_link", &st) == 0 ? "SEEN" : "refused");
    try_open("/data/ok_link");
    return 0;
}
