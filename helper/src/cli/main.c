#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("ecs-rollout %s\n", ECSR_VERSION);
        return 0;
    }
    fprintf(stderr, "ecs-rollout: not implemented yet\n");
    return 2;
}
