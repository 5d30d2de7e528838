/*
 * settings.c - turns a parsed configuration into what the layers need, checking everything
 * that can be checked without touching devices or sockets: the TLS material (a real context is
 * built), every sim device spec, and the overrides. Shared by start-up, -n and SIGHUP, so the
 * three agree on what a usable configuration is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "sim.h"
#include "tls.h"

/* Builds the TLS context the [tls] section describes. Returns 0 or -errno with err filled. */
static int settings_tls(const struct config *c, struct tls_ctx **ret, char *err, size_t errlen)
{
	const struct config_identities *ids = &c->tls.allow;
	struct tls_config tc = {
		.ca_file = c->tls.ca,
		.crl_file = c->tls.crl,
		.cert_file = c->tls.cert,
		.key_file = c->tls.key,
		.n_allow = ids->n,
		.ktls = c->tls.ktls,
	};
	const char **allow = calloc(ids->n ? ids->n : 1, sizeof(*allow));
	int r;

	if (!allow) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* config keeps each entry in the "dns:NAME" form tls/ takes */
	for (size_t i = 0; i < ids->n; i++)
		allow[i] = ids->v[i].entry;
	tc.allow = allow;
	r = tls_ctx_new(&tc, ret, err, errlen);
	free(allow);
	return r;
}

/* True when the configuration names any TLS file. */
static bool settings_has_tls(const struct config *c)
{
	return c->tls.cert || c->tls.key || c->tls.ca;
}

/* Each sim device's spec must parse now, not when the daemon is already half started. */
static int settings_check_devices(const struct config *c, struct config_error *err)
{
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct config_device *d = &c->devices[i];
		struct sim_config sc;
		const char *why = NULL;

		if (d->backend != CONFIG_BACKEND_SIM)
			continue;
		sim_config_init(&sc);
		if (sim_config_parse(d->spec ? d->spec : "", &sc, &why) < 0) {
			err->line = d->line;
			snprintf(err->msg, sizeof(err->msg), "%s:%u: [device \"%s\"] spec: %s",
				 c->source ? c->source : "<overrides>", d->line, d->name, why);
			return -EINVAL;
		}
	}
	return 0;
}

/* Applies "section.key=value" strings in order. */
static int settings_overrides(struct config *c, char *const *over, size_t n,
			      struct config_error *err)
{
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(over[i], '='), *key;
		int r;

		if (!eq || eq == over[i]) {
			snprintf(
				err->msg, sizeof(err->msg),
				"--set %s: expected SECTION.KEY=VALUE (e.g. peer.listen=[::]:7790)",
				over[i]);
			return -EINVAL;
		}
		key = strndup(over[i], (size_t)(eq - over[i]));
		if (!key)
			return -ENOMEM;
		r = config_set(c, key, eq + 1, err);
		free(key);
		if (r < 0)
			return r;
	}
	return 0;
}

int settings_load(const char *path, char *const *over, size_t n_over, struct config *ret,
		  struct tls_ctx **ret_tls, struct config_error *err)
{
	struct tls_ctx *ctx = NULL;
	struct config c;
	int r;

	memset(err, 0, sizeof(*err));
	r = config_init(&c);
	if (r < 0)
		return r;
	if (path)
		r = config_load(&c, path, err);
	if (r == 0)
		r = settings_overrides(&c, over, n_over, err);
	if (r == 0)
		r = config_validate(&c, err);
	if (r == 0)
		r = settings_check_devices(&c, err);
	if (r == 0 && settings_has_tls(&c)) {
		char why[512];

		r = settings_tls(&c, &ctx, why, sizeof(why));
		if (r < 0)
			snprintf(err->msg, sizeof(err->msg), "%s: [tls]: %s",
				 c.source ? c.source : "<overrides>", why);
	}
	if (r < 0) {
		config_free(&c);
		return r;
	}
	*ret = c;
	if (ret_tls)
		*ret_tls = ctx;
	else
		tls_ctx_unref(ctx);
	return 0;
}
