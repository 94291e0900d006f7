// src/migrate/interrupt.hpp — SIGINT / SIGTERM during a migration.
//
// Killing a migration client does not stop its statement: the server runs it
// to its end (seconds on a big table, unbounded on a bigger one) holding
// every lock it took, ACCESS EXCLUSIVE included. While a CancelOnSignal is
// alive, SIGINT and SIGTERM send the connection's cancel request at once
// (libpq's PQcancel, safe in a signal handler), so the server stops the
// statement and the run rolls back; the run then ends with an error. A
// second signal ends the process the default way; a signal that came too
// late to stop the run is raised again once the run is over.
#pragma once

#include <memory>

#include "strata/connection.hpp"

namespace strata::migrate {

class CancelOnSignal {
public:
    // Does nothing for a connection without a canceller (SQLite: a killed
    // process leaves its journal, and the next opener rolls it back).
    explicit CancelOnSignal(Connection& conn);
    ~CancelOnSignal();
    CancelOnSignal(const CancelOnSignal&) = delete;
    CancelOnSignal& operator=(const CancelOnSignal&) = delete;

    // The signal received while this (or another live one) was installed; 0: none.
    int received() const;
    // The run ended on the signal (an error saying so). A signal never
    // handled (it came after the commit) is raised again at destruction,
    // for the program's own handlers.
    void handled();
    // Sends the cancel request again: a statement sent just after the signal
    // was not running when the handler cancelled.
    void cancel_again() const;

private:
    std::unique_ptr<StatementCanceller> canceller_;
    int slot_ = -1;   // in the handler's table of cancellers
    bool handled_ = false;
};

// "SIGINT", "SIGTERM" (or "signal N").
const char* signal_name(int signal);

}  // namespace strata::migrate
