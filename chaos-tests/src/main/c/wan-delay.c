/*
 * wan-delay: the namespace lab's WAN (dev.edgelink.lab.Wan). This kernel has no netem and nft's `queue` expression
 * is not built, but the xtables NFQUEUE target is: an iptables-nft rule hands every packet crossing the "internet"
 * segment to this program, which gives each one its verdict later. Every packet is either
 *
 *   lost      dropped on arrival with probability LOSS % (a seeded PRNG, so a run can be replayed),
 *   overflow  dropped on arrival because RING packets are already held (the kernel is never kept waiting),
 *   held      put in a FIFO ring and accepted DELAY after it was read from the queue.
 *
 * One delay for every packet means the due times grow with arrival order, so the ring is released from its tail
 * and packets leave in the order they came; a single batch verdict (all ids up to the last due one) releases them.
 *
 *   wan-delay -q QUEUE -d DELAY [-l LOSS_PCT] [-s SEED] [-r RING] [-i REPORT_MS] [-c LOSS_FILE] [-f PRIO]
 *
 *   DELAY      a number with an optional unit: 20, 20ms, 0.5ms, 20000us (no unit: ms)
 *   LOSS_PCT   0..100, fractions allowed (0.5)
 *   RING       packets held at most (default 65536); the kernel queue is given room for a quarter more, so that
 *              our own count, not the kernel's, decides what is dropped while the ring is full
 *   REPORT_MS  print the counters every REPORT_MS ms as well (default 0: only when asked)
 *   LOSS_FILE  SIGHUP re-reads the loss percent from this file
 *   PRIO       run under SCHED_FIFO at this priority (1..99; default 0: not real-time). The kernel forwards the
 *              packets of a verdict in this program's system call, so this program is the WAN's router: on a busy
 *              machine a CPU hog of the ordinary class made releases up to 108 ms late, priority 1 kept them within
 *              a few ms. The kernel's RT throttling (95 % of a CPU) still bounds what a runaway could take. If the
 *              kernel refuses (a cgroup without RT budget), a warning is printed and the program runs without it.
 *
 * Signals: SIGUSR1 prints the counters; SIGHUP reloads LOSS_FILE and prints them; SIGTERM or SIGINT accepts what
 * is still held at once (up to DELAY early: shutdown is the one exception to the exact delay), prints them and
 * exits 0. Every line goes to stdout, one line per event, flushed:
 *
 *   wan-delay: ready queue=7 delay_us=20000 loss_pct=1.000 ring=65536 seed=1234 fifo=1
 *   wan-delay: report=3 reason=signal held=10 released=10 lost=1 overflow=0 enobufs=0 verdict_errors=0
 *              late_max_us=80 late_avg_us=21 loss_pct=1.000 queued=0
 *   wan-delay: exit reason=sigterm flushed=2
 *
 * (the report is one line). `late` is how long after its due time a packet got its verdict: the scheduling error
 * of this program on a loaded machine. Held packets live in the kernel until their verdict: if this program dies,
 * the kernel drops them and, since the rule has no --queue-bypass, everything that crosses the segment after; the
 * lab then fails the test instead of letting traffic through without the delay (see Wan.java).
 *
 * Build: gcc -O2 -Wall -Wextra -o wan-delay wan-delay.c -lnetfilter_queue (the lab does this at first use).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define DEFAULT_RING 65536u
/* messages read per wake-up before the ring is looked at again, so a flood cannot delay releases */
#define READ_BURST 256

struct held_packet {
    uint32_t id;
    uint64_t due_ns;
};

static struct {
    struct held_packet *slots;
    uint32_t size;
    uint64_t head; /* next slot to fill */
    uint64_t tail; /* oldest held packet */
} ring;

static struct {
    uint64_t held, released, lost, overflow, enobufs, verdict_errors, reports;
    uint64_t late_max_ns, late_sum_ns;
} count;

static struct nfq_q_handle *queue;
static uint64_t delay_ns;
static double loss_pct;
static uint64_t rng_state;

static void die(const char *what) {
    fprintf(stdout, "wan-delay: error %s: %s\n", what, strerror(errno));
    exit(1);
}

static void usage(void) {
    fprintf(stderr, "usage: wan-delay -q QUEUE -d DELAY[ms|us] [-l LOSS_PCT] [-s SEED] [-r RING] [-i REPORT_MS]"
            " [-c LOSS_FILE] [-f PRIO]\n");
    exit(2);
}

/* A whole number >= 0, or the usage message. */
static long long number(const char *s) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || v < 0) {
        usage();
    }
    return v;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* splitmix64: tiny, fast, and the same sequence for the same seed on every machine */
static uint64_t next_random(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static int lose_this_one(void) {
    if (loss_pct <= 0) {
        return 0;
    }
    double u = (double)(next_random() >> 11) * 0x1.0p-53; /* uniform in [0, 1) */
    return u * 100.0 < loss_pct;
}

static int parse_loss(const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);
    while (*end == ' ' || *end == '\n' || *end == '\t') {
        end++;
    }
    if (end == s || *end != '\0' || !(v >= 0 && v <= 100)) {
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_delay(const char *s, uint64_t *out) {
    char *end;
    double v = strtod(s, &end);
    double scale = 1e6;
    if (strcmp(end, "us") == 0) {
        scale = 1e3;
    } else if (*end != '\0' && strcmp(end, "ms") != 0) {
        return -1;
    }
    if (end == s || !(v >= 0 && v * scale < 60e9)) {
        return -1;
    }
    *out = (uint64_t)(v * scale + 0.5);
    return 0;
}

static void report(const char *reason) {
    uint64_t late_avg = count.released ? count.late_sum_ns / count.released : 0;
    printf("wan-delay: report=%" PRIu64 " reason=%s held=%" PRIu64 " released=%" PRIu64 " lost=%" PRIu64
           " overflow=%" PRIu64 " enobufs=%" PRIu64 " verdict_errors=%" PRIu64 " late_max_us=%" PRIu64
           " late_avg_us=%" PRIu64 " loss_pct=%.3f queued=%" PRIu64 "\n",
           ++count.reports, reason, count.held, count.released, count.lost, count.overflow, count.enobufs,
           count.verdict_errors, count.late_max_ns / 1000, late_avg / 1000, loss_pct, ring.head - ring.tail);
}

static void verdict_now(uint32_t id, uint32_t verdict) {
    if (nfq_set_verdict(queue, id, verdict, 0, NULL) < 0) {
        count.verdict_errors++;
    }
}

static int on_packet(struct nfq_q_handle *q, struct nfgenmsg *msg, struct nfq_data *data, void *arg) {
    (void)q;
    (void)msg;
    (void)arg;
    struct nfqnl_msg_packet_hdr *hdr = nfq_get_msg_packet_hdr(data);
    if (hdr == NULL) {
        return 0;
    }
    uint32_t id = ntohl(hdr->packet_id);
    if (lose_this_one()) {
        count.lost++;
        verdict_now(id, NF_DROP);
    } else if (ring.head - ring.tail >= ring.size) {
        count.overflow++;
        verdict_now(id, NF_DROP);
    } else {
        struct held_packet *p = &ring.slots[ring.head % ring.size];
        p->id = id;
        p->due_ns = now_ns() + delay_ns;
        ring.head++;
        count.held++;
    }
    return 0;
}

/* Accepts every held packet that is due at `now` (all of them if `all`), with one batch verdict. */
static void release(uint64_t now, int all) {
    uint64_t first = ring.tail;
    while (ring.tail < ring.head) {
        struct held_packet *p = &ring.slots[ring.tail % ring.size];
        if (!all && p->due_ns > now) {
            break;
        }
        if (now > p->due_ns) {
            uint64_t late = now - p->due_ns;
            count.late_sum_ns += late;
            if (late > count.late_max_ns) {
                count.late_max_ns = late;
            }
        }
        ring.tail++;
    }
    if (ring.tail == first) {
        return;
    }
    /* ids grow in queue order and earlier packets already have their verdict: "up to the last due id" is exact */
    uint32_t last = ring.slots[(ring.tail - 1) % ring.size].id;
    if (nfq_set_verdict_batch(queue, last, NF_ACCEPT) < 0) {
        count.verdict_errors++;
    }
    count.released += ring.tail - first;
}

static void load_loss_file(const char *path) {
    FILE *f = fopen(path, "r");
    char line[64] = "";
    double v;
    if (f == NULL || fgets(line, sizeof line, f) == NULL || parse_loss(line, &v) < 0) {
        printf("wan-delay: warning cannot read a loss percent from %s, keeping %.3f\n", path, loss_pct);
    } else {
        loss_pct = v;
    }
    if (f != NULL) {
        fclose(f);
    }
}

/* The timeout until the oldest held packet is due, or until the next periodic report, whichever is first. */
static int next_wakeup(uint64_t now, uint64_t next_report, struct timespec *ts) {
    uint64_t at = next_report;
    if (ring.tail < ring.head) {
        uint64_t due = ring.slots[ring.tail % ring.size].due_ns;
        if (due < at) {
            at = due;
        }
    }
    if (at == UINT64_MAX) {
        return 0;
    }
    uint64_t wait = at > now ? at - now : 0;
    ts->tv_sec = (time_t)(wait / 1000000000u);
    ts->tv_nsec = (long)(wait % 1000000000u);
    return 1;
}

int main(int argc, char **argv) {
    long qnum = -1, fifo = 0;
    uint64_t seed = 0, report_ms = 0;
    int seeded = 0;
    const char *loss_file = NULL;
    ring.size = DEFAULT_RING;
    delay_ns = UINT64_MAX;
    int opt;
    while ((opt = getopt(argc, argv, "q:d:l:s:r:i:c:f:")) != -1) {
        switch (opt) {
        case 'q': qnum = number(optarg); break;
        case 'd': if (parse_delay(optarg, &delay_ns) < 0) usage(); break;
        case 'l': if (parse_loss(optarg, &loss_pct) < 0) usage(); break;
        case 's': seed = (uint64_t)number(optarg); seeded = 1; break;
        case 'r': ring.size = (uint32_t)number(optarg); break;
        case 'i': report_ms = (uint64_t)number(optarg); break;
        case 'c': loss_file = optarg; break;
        case 'f': fifo = number(optarg); break;
        default: usage();
        }
    }
    if (qnum < 0 || qnum > 65535 || delay_ns == UINT64_MAX || ring.size < 1 || ring.size > (1u << 24)
        || fifo > 99 || optind != argc) {
        usage();
    }
    if (!seeded && getrandom(&seed, sizeof seed, 0) != sizeof seed) {
        die("getrandom");
    }
    rng_state = seed;
    setvbuf(stdout, NULL, _IOLBF, 0);
    ring.slots = calloc(ring.size, sizeof *ring.slots);
    if (ring.slots == NULL) {
        die("calloc");
    }
    /* the default 50 us timer slack would be added to every release */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    if (fifo > 0) {
        struct sched_param sp = {.sched_priority = (int)fifo};
        if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0) {
            printf("wan-delay: warning no SCHED_FIFO %ld (%s): releases may be late on a busy machine\n", fifo,
                   strerror(errno));
            fifo = 0;
        }
    }

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGUSR1);
    sigaddset(&signals, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &signals, NULL) < 0) {
        die("sigprocmask");
    }
    int sig_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sig_fd < 0) {
        die("signalfd");
    }

    struct nfq_handle *nfq = nfq_open();
    if (nfq == NULL) {
        die("nfq_open");
    }
    queue = nfq_create_queue(nfq, (uint16_t)qnum, on_packet, NULL);
    if (queue == NULL) {
        die("nfq_create_queue (is another program bound to this queue?)");
    }
    /* metadata only: the verdict never needs the payload */
    if (nfq_set_mode(queue, NFQNL_COPY_META, 0) < 0) {
        die("nfq_set_mode");
    }
    if (nfq_set_queue_maxlen(queue, ring.size + ring.size / 4) < 0) {
        die("nfq_set_queue_maxlen");
    }
    /* Neither FAIL_OPEN (a full kernel queue would let packets through undelayed) nor GSO (the kernel then splits
     * an aggregate into packets before queueing, so loss hits packets, not 64 KiB aggregates). */
    if (nfq_set_queue_flags(queue, NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO, 0) < 0) {
        die("nfq_set_queue_flags");
    }
    int fd = nfq_fd(nfq);
    /* room for bursts; what still does not fit shows as ENOBUFS on recv and is counted */
    int rcvbuf = 32 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0) {
        die("SO_RCVBUFFORCE");
    }

    printf("wan-delay: ready queue=%ld delay_us=%" PRIu64 " loss_pct=%.3f ring=%u seed=%" PRIu64 " fifo=%ld\n",
           qnum, delay_ns / 1000, loss_pct, ring.size, seed, fifo);

    static char buf[65536] __attribute__((aligned));
    uint64_t period_ns = report_ms * 1000000u;
    uint64_t next_report = period_ns ? now_ns() + period_ns : UINT64_MAX;
    const char *stop = NULL;
    while (stop == NULL) {
        struct pollfd fds[2] = {{.fd = fd, .events = POLLIN}, {.fd = sig_fd, .events = POLLIN}};
        struct timespec ts;
        int timed = next_wakeup(now_ns(), next_report, &ts);
        if (ppoll(fds, 2, timed ? &ts : NULL, NULL) < 0 && errno != EINTR) {
            die("ppoll");
        }
        if (fds[0].revents & POLLIN) {
            for (int i = 0; i < READ_BURST; i++) {
                ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n < 0) {
                    if (errno == ENOBUFS) {
                        count.enobufs++; /* the kernel dropped what did not fit; its own counter has them */
                        continue;
                    }
                    if (errno == EAGAIN || errno == EINTR) {
                        break;
                    }
                    die("recv");
                }
                nfq_handle_packet(nfq, buf, (int)n);
            }
        }
        uint64_t now = now_ns();
        release(now, 0);
        if (fds[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sig_fd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGUSR1) {
                    report("signal");
                } else if (si.ssi_signo == SIGHUP) {
                    if (loss_file != NULL) {
                        load_loss_file(loss_file);
                    }
                    report("hup");
                } else {
                    stop = si.ssi_signo == SIGTERM ? "sigterm" : "sigint";
                }
            }
        }
        if (now >= next_report) {
            report("timer");
            next_report = now + period_ns;
        }
    }
    uint64_t flushed = ring.head - ring.tail;
    release(now_ns(), 1);
    report("exit");
    printf("wan-delay: exit reason=%s flushed=%" PRIu64 "\n", stop, flushed);
    nfq_destroy_queue(queue);
    nfq_close(nfq);
    return 0;
}
