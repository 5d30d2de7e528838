/*
 * journal.h - sends the daemon's log lines to the systemd journal with their priority, as
 * structured entries (PRIORITY, MESSAGE, SYSLOG_IDENTIFIER), instead of stderr.
 */
#ifndef VFIO_MIGD_DAEMON_JOURNAL_H
#define VFIO_MIGD_DAEMON_JOURNAL_H

#include <stdbool.h>

#include "config.h"

/* True when target (AUTO resolved through JOURNAL_STREAM) means the journal. */
bool journal_wanted(enum config_log_target target);

/* Routes log lines to the journal (true) or back to stderr (false). */
void journal_use(bool on);

#endif
