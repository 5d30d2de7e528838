/*
 * cmd.h - the commands of vfio-migctl, one function per command, grouped by file:
 * cmd_daemon.c (info, status, events), cmd_device.c (device *), cmd_peer.c (peer *),
 * cmd_migrate.c (prepare, migrate), cmd_job.c (job *). Each takes the arguments after the
 * command name (argv[0] is the command name) and returns an exit code (ctl.h).
 */
#ifndef CMD_H
#define CMD_H

#include "ctl.h"

int cmd_daemon_info(struct ctl *ctl, int argc, char **argv);
int cmd_daemon_status(struct ctl *ctl, int argc, char **argv);
int cmd_daemon_events(struct ctl *ctl, int argc, char **argv);

int cmd_device_list(struct ctl *ctl, int argc, char **argv);
int cmd_device_info(struct ctl *ctl, int argc, char **argv);
int cmd_device_add(struct ctl *ctl, int argc, char **argv);
int cmd_device_remove(struct ctl *ctl, int argc, char **argv);
int cmd_device_set_state(struct ctl *ctl, int argc, char **argv);

int cmd_peer_connect(struct ctl *ctl, int argc, char **argv);
int cmd_peer_list(struct ctl *ctl, int argc, char **argv);

int cmd_migrate_prepare(struct ctl *ctl, int argc, char **argv);
int cmd_migrate_start(struct ctl *ctl, int argc, char **argv);

int cmd_job_list(struct ctl *ctl, int argc, char **argv);
int cmd_job_status(struct ctl *ctl, int argc, char **argv);
int cmd_job_watch(struct ctl *ctl, int argc, char **argv);
int cmd_job_wait(struct ctl *ctl, int argc, char **argv);
int cmd_job_cancel(struct ctl *ctl, int argc, char **argv);
int cmd_job_switchover(struct ctl *ctl, int argc, char **argv);
int cmd_job_resume(struct ctl *ctl, int argc, char **argv);
int cmd_job_bandwidth(struct ctl *ctl, int argc, char **argv);
int cmd_job_metadata(struct ctl *ctl, int argc, char **argv);

#endif
