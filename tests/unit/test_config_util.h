/*
 * test_config_util.h - shared by the config unit tests (test_config_keys.c,
 * test_config_value.c, test_config_file.c): the config under test and its error, a checked
 * fixture that makes and frees them around every test, and one-line loads and overrides that
 * fail the running Check test when they fail.
 *
 * Short unprefixed names, like sim_helpers.h: the vocabulary of the tests, not an API. Each
 * test runs in its own forked process (Check's default), so the globals start fresh.
 */
#ifndef VFIO_MIGD_TEST_CONFIG_UTIL_H
#define VFIO_MIGD_TEST_CONFIG_UTIL_H

/* by its path from the source root: unambiguous, even in a build dir that predates buildinfo.h */
#include "daemon/config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The config under test (config_init() defaults at the start of each test) and its error. */
extern struct config cfg;
extern struct config_error err;

/* Checked fixture: config_init(&cfg) and a cleared err / config_free(&cfg). */
void cfg_setup(void);
void cfg_teardown(void);

/* Loads text as "t.conf" into cfg; config_load_string()'s result. */
int load(const char *text);

/* load(text) that must succeed. */
void load_ok(const char *text);

/* config_set(&cfg, key, value) that must succeed. */
void set_ok(const char *key, const char *value);

#endif
