/*
 * semihost - a picolibc program using RISC-V semihosting for its console and exit status:
 * printf/puts go out through SYS_WRITE/SYS_WRITEC, and exit(7) ends the run with status 7
 * (SYS_EXIT_EXTENDED). Built with picolibc's own crt0 and linker script, not common/.
 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("hello from picolibc over semihosting\n");
    puts("puts works");
    printf("printf %d %x %s %c\n", -42, 0xbeefu, "str", 'c');
    fflush(stdout);
    exit(7);
}
