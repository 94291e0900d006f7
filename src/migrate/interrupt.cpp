// src/migrate/interrupt.cpp — the signal handler that cancels running migration statements.
#include "migrate/interrupt.hpp"

#include <atomic>
#include <csignal>
#include <mutex>

namespace strata::migrate {

namespace {

// What the handler may touch: lock-free atomics only (no locks, no allocation).
constexpr int kSlots = 16;
std::atomic<StatementCanceller*> g_cancellers[kSlots];
volatile std::sig_atomic_t g_received = 0;
std::atomic<int> g_in_handler{0};   // handlers between reading a canceller and done with it

// Installing and restoring the handlers, counted across runs of one process.
std::mutex g_install_mutex;
int g_installed = 0;
struct sigaction g_previous_int, g_previous_term;

extern "C" void on_signal(int signal) {
    if (g_received != 0) {   // a second signal: end now, the default way
        std::signal(signal, SIG_DFL);
        std::raise(signal);
        return;
    }
    g_received = signal;
    ++g_in_handler;
    for (auto& slot : g_cancellers)
        if (StatementCanceller* c = slot.load()) c->cancel();
    --g_in_handler;
}

void install() {
    std::lock_guard<std::mutex> lock(g_install_mutex);
    if (g_installed++ > 0) return;
    g_received = 0;
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &g_previous_int);
    sigaction(SIGTERM, &action, &g_previous_term);
}

// True when this was the last run with the handlers in.
bool uninstall() {
    std::lock_guard<std::mutex> lock(g_install_mutex);
    if (--g_installed > 0) return false;
    sigaction(SIGINT, &g_previous_int, nullptr);
    sigaction(SIGTERM, &g_previous_term, nullptr);
    return true;
}

}  // namespace

CancelOnSignal::CancelOnSignal(Connection& conn) : canceller_(conn.canceller()) {
    if (!canceller_) return;
    for (int i = 0; i < kSlots && slot_ < 0; ++i) {
        StatementCanceller* empty = nullptr;
        if (g_cancellers[i].compare_exchange_strong(empty, canceller_.get())) slot_ = i;
    }
    if (slot_ < 0) return;   // more runs at once than slots: this one is not cancelled by a signal
    install();
}

CancelOnSignal::~CancelOnSignal() {
    if (slot_ < 0) return;
    const int pending = handled_ ? 0 : static_cast<int>(g_received);
    const bool last = uninstall();
    g_cancellers[slot_].store(nullptr);
    while (g_in_handler.load() > 0) {   // a handler on another thread may still hold our canceller
    }
    // A signal the run did not end on (it came after the commit): the
    // program's own handling gets it now, as if strata had not been there.
    if (pending && last) std::raise(pending);
}

int CancelOnSignal::received() const { return slot_ < 0 ? 0 : static_cast<int>(g_received); }

void CancelOnSignal::handled() { handled_ = true; }

void CancelOnSignal::cancel_again() const {
    if (canceller_) canceller_->cancel();
}

const char* signal_name(int signal) {
    switch (signal) {
        case SIGINT: return "SIGINT";
        case SIGTERM: return "SIGTERM";
        default: return "a signal";
    }
}

}  // namespace strata::migrate
