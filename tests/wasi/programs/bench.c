/* bench/wasi.py's program: writes argv[1] (default 100000) short lines, one fd_write each. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    char line[32];
    for (int i = 0; i < n; i++) {
        int k = 0, v = i;
        char digits[12]; int d = 0;
        do { digits[d++] = '0' + v % 10; v /= 10; } while (v);
        memcpy(line, "line ", 5); k = 5;
        while (d) line[k++] = digits[--d];
        line[k++] = '\n';
        write(1, line, k);
    }
    return 0;
}
