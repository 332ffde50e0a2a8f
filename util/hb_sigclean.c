#define _POSIX_C_SOURCE 200809L
#include "hb_sigclean.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define HB__SC_SLOTS 32
#define HB__SC_PATH 4096

enum { HB__SC_FREE, HB__SC_CLAIMED, HB__SC_USED };

/* Set from signal handlers or read by them: the only mutable file-scope state, as signals
 * require. Lock-free atomics are async-signal-safe, a mutex would not be. */
static atomic_int hb__sc_state[HB__SC_SLOTS];
static char hb__sc_path[HB__SC_SLOTS][HB__SC_PATH];
static atomic_int hb__sc_holds;
static atomic_flag hb__sc_installed = ATOMIC_FLAG_INIT;
static volatile sig_atomic_t hb__sc_signal;

/* unlink and rmdir are async-signal-safe: this runs in the handler as well. */
static void hb__sc_remove_all(void) {
    for (int i = 0; i < HB__SC_SLOTS; i++) {
        if (atomic_load(&hb__sc_state[i]) == HB__SC_USED) {
            if (unlink(hb__sc_path[i]) != 0) {
                rmdir(hb__sc_path[i]);
            }
        }
    }
}

static void hb__sc_die(int sig) {
    hb__sc_remove_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void hb__sc_on_signal(int sig) {
    hb__sc_signal = sig;
    if (atomic_load(&hb__sc_holds) == 0) {
        hb__sc_die(sig);
    }
}

static void hb__sc_install(void) {
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) ||
            old.sa_handler != SIG_DFL) {
            continue;
        }
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = hb__sc_on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0; /* no SA_RESTART: a wait for a child returns, and sees the signal */
        sigaction(sigs[i], &sa, NULL);
    }
}

void hb_sigclean_add(const char *path) {
    size_t n = strlen(path);
    if (n == 0 || n >= HB__SC_PATH) {
        return;
    }
    if (!atomic_flag_test_and_set(&hb__sc_installed)) {
        hb__sc_install();
    }
    for (int i = 0; i < HB__SC_SLOTS; i++) {
        int expect = HB__SC_FREE;
        if (atomic_compare_exchange_strong(&hb__sc_state[i], &expect, HB__SC_CLAIMED)) {
            memcpy(hb__sc_path[i], path, n + 1);
            atomic_store(&hb__sc_state[i], HB__SC_USED); /* the path is complete before this */
            return;
        }
    }
}

void hb_sigclean_drop(const char *path) {
    for (int i = 0; i < HB__SC_SLOTS; i++) {
        if (atomic_load(&hb__sc_state[i]) == HB__SC_USED && strcmp(hb__sc_path[i], path) == 0) {
            atomic_store(&hb__sc_state[i], HB__SC_FREE);
            return;
        }
    }
}

void hb_sigclean_hold(void) {
    atomic_fetch_add(&hb__sc_holds, 1);
}

void hb_sigclean_release(void) {
    if (atomic_fetch_sub(&hb__sc_holds, 1) == 1 && hb__sc_signal != 0) {
        hb__sc_die(hb__sc_signal);
    }
}

int hb_sigclean_pending(void) {
    return hb__sc_signal;
}
