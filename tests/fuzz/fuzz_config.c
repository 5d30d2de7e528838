/*
 * fuzz_config.c - libFuzzer harness for the configuration parser.
 *
 * The input up to its first NUL byte is a configuration file for config_load_string; if a NUL
 * follows, the rest is one "section.key=value" for config_set. Whatever parses is validated,
 * then everything is freed (ASan's leak check runs at exit). Nothing is printed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_error err;
	struct config c;
	char *buf, *set, *eq;
	size_t textlen;

	if (config_init(&c) < 0)
		return 0;
	buf = malloc(size + 2);
	if (!buf)
		goto out;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	textlen = strlen(buf);
	if (config_load_string(&c, buf, "fuzz", &err) == 0)
		config_validate(&c, &err);
	if (textlen < size) {
		set = buf + textlen + 1;
		eq = strchr(set, '=');
		if (eq)
			*eq = '\0';
		if (config_set(&c, set, eq ? eq + 1 : NULL, &err) == 0)
			config_validate(&c, &err);
	}
	free(buf);
out:
	config_free(&c);
	return 0;
}
