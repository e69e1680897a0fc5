/* printf, malloc, argv and the environment; `basics exit N` exits with N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    for (char **e = environ; *e; e++)
        printf("env %s\n", *e);
    const char *greeting = getenv("GREETING");
    printf("GREETING=%s\n", greeting ? greeting : "(unset)");
    size_t n = 1 << 20;
    unsigned *block = malloc(n * sizeof *block);
    unsigned long long sum = 0;
    for (size_t i = 0; i < n; i++) block[i] = (unsigned)(i * 2654435761u);
    for (size_t i = 0; i < n; i++) sum += block[i] >> 7;
    free(block);
    char *s = strdup("heap string");
    printf("%s %llu %.3f %x\n", s, sum, 3.14159, 0xbeef);
    free(s);
    fprintf(stderr, "to stderr\n");
    if (argc > 2 && strcmp(argv[1], "exit") == 0) return atoi(argv[2]);
    return 0;
}
