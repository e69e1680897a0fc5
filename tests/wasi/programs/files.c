/* File I/O in the directory mounted at /data: create, write, append, seek, stat,
 * rename, readdir, mkdir, unlink, rmdir. Prints what it sees; leaves out.txt behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void list(const char *path) {
    DIR *d = opendir(path);
    if (!d) { printf("opendir %s: %s\n", path, strerror(errno)); return; }
    char *names[64]; int n = 0; struct dirent *e;
    while ((e = readdir(d)) && n < 64) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    printf("ls %s:", path);
    for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
    printf("\n");
}

int main(void) {
    FILE *in = fopen("/data/input.txt", "r");
    if (!in) { printf("open input: %s\n", strerror(errno)); return 1; }
    char line[256]; int lines = 0;
    while (fgets(line, sizeof line, in)) lines++;
    fclose(in);
    printf("input lines=%d\n", lines);

    FILE *f = fopen("/data/out.txt", "w");
    for (int i = 0; i < 100; i++) fprintf(f, "line %d\n", i);
    fclose(f);
    f = fopen("/data/out.txt", "a");
    fputs("appended\n", f);
    fclose(f);

    int fd = open("/data/out.txt", O_RDWR);
    off_t end = lseek(fd, 0, SEEK_END);
    lseek(fd, 5, SEEK_SET);
    char buf[16] = {0};
    read(fd, buf, 6);
    pwrite(fd, "LINE", 4, 0);
    char pbuf[5] = {0};
    pread(fd, pbuf, 4, 0);
    struct stat st;
    fstat(fd, &st);
    printf("size=%lld end=%lld read=[%s] pread=[%s] regular=%d\n", (long long)st.st_size,
           (long long)end, buf, pbuf, S_ISREG(st.st_mode));
    ftruncate(fd, 20);
    fstat(fd, &st);
    printf("truncated size=%lld\n", (long long)st.st_size);
    close(fd);

    printf("mkdir=%d\n", mkdir("/data/sub", 0755));
    printf("mkdir again=%d errno=%s\n", mkdir("/data/sub", 0755), strerror(errno));
    f = fopen("/data/sub/a.txt", "w"); fputs("a", f); fclose(f);
    printf("rename=%d\n", rename("/data/sub/a.txt", "/data/sub/b.txt"));
    list("/data/sub");
    printf("stat missing=%d errno=%s\n", stat("/data/nope", &st), strerror(errno));
    printf("rmdir nonempty=%d errno=%s\n", rmdir("/data/sub"), strerror(errno));
    printf("unlink=%d\n", unlink("/data/sub/b.txt"));
    printf("rmdir=%d\n", rmdir("/data/sub"));
    list("/data");
    chdir("/data");
    f = fopen("input.txt", "r");
    printf("relative open=%s\n", f ? "ok" : strerror(errno));
    if (f) fclose(f);
    return 0;
}
