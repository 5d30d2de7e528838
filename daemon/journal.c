/*
 * journal.c - the journal log sink (libsystemd's sd_journal_send).
 */
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-journal.h>

#include "journal.h"
#include "log.h"

static void journal_sink(enum log_level level, const char *line, void *userdata)
{
	sd_journal_send("MESSAGE=%s", line, "PRIORITY=%d", (int)level,
			"SYSLOG_IDENTIFIER=vfio-migd", NULL);
}

bool journal_wanted(enum config_log_target target)
{
	if (target == CONFIG_LOG_JOURNAL)
		return true;
	if (target == CONFIG_LOG_STDERR)
		return false;
	/* systemd sets JOURNAL_STREAM when stderr is connected to the journal */
	return getenv("JOURNAL_STREAM") != NULL;
}

void journal_use(bool on)
{
	log_set_sink(on ? journal_sink : NULL, NULL);
}
