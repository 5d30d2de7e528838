/*
 * test_config_util.c - the config under test and its fixture and helpers (see
 * test_config_util.h).
 */
#include <check.h>
#include <string.h>

#include "test_config_util.h"

struct config cfg;
struct config_error err;

void cfg_setup(void)
{
	ck_assert_int_eq(config_init(&cfg), 0);
	memset(&err, 0, sizeof(err));
}

void cfg_teardown(void)
{
	config_free(&cfg);
}

int load(const char *text)
{
	return config_load_string(&cfg, text, "t.conf", &err);
}

void load_ok(const char *text)
{
	int r = load(text);

	ck_assert_msg(r == 0, "load: %d %s", r, err.msg);
}

void set_ok(const char *key, const char *value)
{
	int r = config_set(&cfg, key, value, &err);

	ck_assert_msg(r == 0, "set %s=%s: %d %s", key, value, r, err.msg);
}
