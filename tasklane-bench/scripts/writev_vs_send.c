/*
 * What one small response costs the kernel, written four ways on a loopback
 * TCP connection: the measurement behind `GATHER_WRITE_MAX`
 * (src/net/settings.rs).
 *
 *   cc -O2 -o /tmp/writev_vs_send tasklane-bench/scripts/writev_vs_send.c -lpthread
 *   /tmp/writev_vs_send 500000 13      # calls per way, body bytes
 *
 * Each call sends a 76-byte head and a body (hyper's hello-world response is
 * 76 + 13 bytes):
 *   writev x2   writev(2) of two buffers (what Tokio does for hyper),
 *   sendmsg x2  sendmsg(2) of the same two buffers,
 *   writev x1   writev(2) of one buffer holding both,
 *   send        both copied into one buffer, then send(2) (what tasklane does
 *               up to GATHER_WRITE_MAX bytes).
 * A second thread drains the other end. The figure is the writing thread's
 * CPU time per call (CLOCK_THREAD_CPUTIME_ID), which includes the loopback
 * delivery the kernel does in the sender's context. The four ways take
 * turns in blocks of 10,000 calls, so machine noise hits each alike.
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#define HEAD 76
#define BLOCK 10000

static int ends[2];

static void *drain(void *arg) {
    (void)arg;
    static char b[1 << 16];
    while (recv(ends[1], b, sizeof b, 0) > 0) {
    }
    return 0;
}

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s CALLS BODY_BYTES\n", argv[0]);
        return 2;
    }
    int calls = atoi(argv[1]), body_len = atoi(argv[2]);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t addr_len = sizeof addr;
    if (bind(listener, (void *)&addr, sizeof addr) || listen(listener, 1) ||
        getsockname(listener, (void *)&addr, &addr_len)) {
        perror("listen");
        return 1;
    }
    ends[0] = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(ends[0], (void *)&addr, sizeof addr)) {
        perror("connect");
        return 1;
    }
    ends[1] = accept(listener, 0, 0);
    int one = 1;
    setsockopt(ends[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_t reader;
    pthread_create(&reader, 0, drain, 0);

    char head[HEAD];
    memset(head, 'h', HEAD);
    char *body = malloc(body_len), *gathered = malloc(HEAD + body_len);
    memset(body, 'b', body_len);
    memcpy(gathered, head, HEAD);
    memcpy(gathered + HEAD, body, body_len);
    double spent[4] = {0};
    int blocks = calls / BLOCK;
    for (int b = 0; b < blocks; b++) {
        double t0 = cpu_seconds();
        for (int i = 0; i < BLOCK; i++) {
            struct iovec v[2] = {{head, HEAD}, {body, body_len}};
            writev(ends[0], v, 2);
        }
        double t1 = cpu_seconds();
        for (int i = 0; i < BLOCK; i++) {
            struct iovec v[2] = {{head, HEAD}, {body, body_len}};
            struct msghdr m = {.msg_iov = v, .msg_iovlen = 2};
            sendmsg(ends[0], &m, MSG_NOSIGNAL);
        }
        double t2 = cpu_seconds();
        for (int i = 0; i < BLOCK; i++) {
            struct iovec v[1] = {{gathered, HEAD + body_len}};
            writev(ends[0], v, 1);
        }
        double t3 = cpu_seconds();
        for (int i = 0; i < BLOCK; i++) {
            memcpy(gathered, head, HEAD);
            memcpy(gathered + HEAD, body, body_len);
            send(ends[0], gathered, HEAD + body_len, MSG_NOSIGNAL);
        }
        double t4 = cpu_seconds();
        spent[0] += t1 - t0;
        spent[1] += t2 - t1;
        spent[2] += t3 - t2;
        spent[3] += t4 - t3;
    }
    double n = (double)blocks * BLOCK;
    printf("ns per call: writev x2 %.0f  sendmsg x2 %.0f  writev x1 %.0f  send %.0f\n",
           spent[0] / n * 1e9, spent[1] / n * 1e9, spent[2] / n * 1e9, spent[3] / n * 1e9);
    return 0;
}
