/*
 * Physical pipe reference of the benchmark suite (issue #8): the raw cost of a round trip of a 64-byte message
 * between two processes over pipe(2), nothing else on the wire.
 *
 *   pipe_echo <busy|block> <inflight> <iterations> <warmup>
 *
 * The program creates two pipes and forks. The child echoes every 64-byte message back; the parent sends
 * <warmup> untimed messages, then <iterations> timed ones, keeping <inflight> of them outstanding.
 *   busy:  both sides spin on non-blocking read() (O_NONBLOCK, EAGAIN loop), never sleeping: the floor, no wake-ups.
 *   block: plain blocking read()/write(): what the kernel's wake-ups cost.
 *
 * Output, one line on stdout (times in nanoseconds, per message from its send to its echo, CLOCK_MONOTONIC):
 *   ok <p50_ns> <p99_ns> <mean_ns> <messages_per_second> <iterations>
 * or "error <reason>" on stderr with exit code 1. The child exits on end of file (the parent's write end closed),
 * and on Linux also when its parent dies; the parent kills and reaps it before exiting.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define MSG 64

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Reads exactly MSG bytes, spinning on EAGAIN in busy mode. 1: a message; 0: end of file; -1: error. */
static int read_msg(int fd, unsigned char *buf)
{
    size_t got = 0;
    while (got < MSG) {
        ssize_t n = read(fd, buf + got, MSG - got);
        if (n > 0) {
            got += (size_t)n;
        } else if (n == 0) {
            return 0;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            return -1;
        }
    }
    return 1;
}

/* Writes exactly MSG bytes (atomic on a pipe: MSG <= PIPE_BUF). 1: written; -1: error (EPIPE: the peer is gone). */
static int write_msg(int fd, const unsigned char *buf)
{
    size_t put = 0;
    while (put < MSG) {
        ssize_t n = write(fd, buf + put, MSG - put);
        if (n > 0) {
            put += (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            return -1;
        }
    }
    return 1;
}

static int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static void echo_child(int rfd, int wfd)
{
    unsigned char buf[MSG];
    for (;;) {
        if (read_msg(rfd, buf) <= 0 || write_msg(wfd, buf) < 0) {
            _exit(0);
        }
    }
}

/*
 * Sends count messages, keeping window outstanding, and waits for every echo. lat (count entries, or NULL) gets each
 * message's round trip; elapsed gets the time from the first send to the last echo. 0: done; -1: the channel failed.
 */
static int run(int wfd, int rfd, long count, long window, int64_t *lat, int64_t *elapsed)
{
    unsigned char out[MSG], in[MSG];
    int64_t *sent = malloc((size_t)window * sizeof *sent);
    long next = 0, done = 0;
    int64_t start;
    if (sent == NULL) {
        return -1;
    }
    memset(out, 0xA5, sizeof out);
    start = now_ns();
    while (next < count && next - done < window) {
        uint64_t seq = (uint64_t)next;
        memcpy(out, &seq, sizeof seq);
        sent[next % window] = now_ns();
        if (write_msg(wfd, out) < 0) {
            free(sent);
            return -1;
        }
        next++;
    }
    while (done < count) {
        uint64_t seq;
        int64_t t;
        if (read_msg(rfd, in) <= 0) {
            free(sent);
            return -1;
        }
        t = now_ns();
        memcpy(&seq, in, sizeof seq);
        if (seq != (uint64_t)done) {
            fprintf(stderr, "error echo out of order: got %llu, expected %ld\n", (unsigned long long)seq, done);
            free(sent);
            return -1;
        }
        if (lat != NULL) {
            lat[done] = t - sent[done % window];
        }
        done++;
        if (next < count) {
            seq = (uint64_t)next;
            memcpy(out, &seq, sizeof seq);
            sent[next % window] = now_ns();
            if (write_msg(wfd, out) < 0) {
                free(sent);
                return -1;
            }
            next++;
        }
    }
    *elapsed = now_ns() - start;
    free(sent);
    return 0;
}

static int compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t nearest_rank(const int64_t *sorted, long n, double q)
{
    long rank = (long)((q * (double)n) + 0.999999999);
    if (rank < 1) {
        rank = 1;
    }
    if (rank > n) {
        rank = n;
    }
    return sorted[rank - 1];
}

int main(int argc, char **argv)
{
    int to_child[2], to_parent[2], busy, status = 1;
    long window, iterations, warmup;
    int64_t *lat, elapsed = 0;
    pid_t parent = getpid(), child;

    if (argc != 5 || (strcmp(argv[1], "busy") != 0 && strcmp(argv[1], "block") != 0)) {
        fprintf(stderr, "usage: %s <busy|block> <inflight> <iterations> <warmup>\n", argv[0]);
        return 2;
    }
    busy = strcmp(argv[1], "busy") == 0;
    window = strtol(argv[2], NULL, 10);
    iterations = strtol(argv[3], NULL, 10);
    warmup = strtol(argv[4], NULL, 10);
    if (window < 1 || iterations < 1 || warmup < 0) {
        fprintf(stderr, "error bad arguments\n");
        return 2;
    }
    lat = malloc((size_t)iterations * sizeof *lat);
    if (lat == NULL || pipe(to_child) != 0 || pipe(to_parent) != 0) {
        fprintf(stderr, "error %s\n", strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    fflush(stdout);
    child = fork();
    if (child < 0) {
        fprintf(stderr, "error fork: %s\n", strerror(errno));
        return 1;
    }
    if (child == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        if (getppid() != parent) {
            _exit(0);
        }
        close(to_child[1]);
        close(to_parent[0]);
        if (busy && set_nonblocking(to_child[0]) != 0) {
            _exit(1);
        }
        echo_child(to_child[0], to_parent[1]);
    }

    close(to_child[0]);
    close(to_parent[1]);
    if (busy && set_nonblocking(to_parent[0]) != 0) {
        fprintf(stderr, "error fcntl: %s\n", strerror(errno));
    } else if ((warmup > 0 && run(to_child[1], to_parent[0], warmup, window, NULL, &elapsed) != 0)
               || run(to_child[1], to_parent[0], iterations, window, lat, &elapsed) != 0) {
        fprintf(stderr, "error the echo channel failed\n");
    } else {
        double sum = 0;
        long i;
        for (i = 0; i < iterations; i++) {
            sum += (double)lat[i];
        }
        qsort(lat, (size_t)iterations, sizeof *lat, compare);
        printf("ok %lld %lld %.1f %.1f %ld\n",
               (long long)nearest_rank(lat, iterations, 0.50),
               (long long)nearest_rank(lat, iterations, 0.99),
               sum / (double)iterations,
               (double)iterations * 1e9 / (double)elapsed,
               iterations);
        status = 0;
    }

    /* End of file tells the child to go; the kill makes sure of it, and waitpid reaps it. */
    close(to_child[1]);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    free(lat);
    return status;
}
