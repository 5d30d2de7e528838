/*
 * tls_allow.c - the peer allow-list: which of the certificates the CA vouches for may talk to us.
 *
 * Entries are parsed once into a normalized form ("dns:" names in lower case, fingerprints as 64
 * lower-case hex digits) and never change afterwards, so a list may be read by any number of
 * threads. A certificate matches an entry through its subjectAltName dNSName or URI or through
 * the SHA-256 of its DER encoding; the subject CN is never looked at, and wildcard names never
 * match (entries cannot contain '*', and names are compared whole).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "tls_int.h"

enum allow_kind {
	ALLOW_DNS,    /* subjectAltName dNSName, case-insensitive */
	ALLOW_URI,    /* subjectAltName URI, exact */
	ALLOW_SHA256, /* SHA-256 of the DER certificate */
};

struct allow_entry {
	enum allow_kind kind;
	char *text;	   /* normalized entry with its prefix, e.g. "dns:hostb.test" */
	const char *value; /* text after the prefix */
};

struct tls_allow {
	size_t n;
	struct allow_entry e[];
};

/* The entry prefixes, in the order error messages list them. */
static const struct {
	const char *prefix;
	enum allow_kind kind;
} allow_prefixes[] = {
	{ "dns:", ALLOW_DNS },
	{ "uri:", ALLOW_URI },
	{ "sha256:", ALLOW_SHA256 },
};

static bool allow_is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

static char allow_lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static int allow_hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = allow_lower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

bool tls_allow_dns_valid(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (name[i] == '.' || name[i] == '\0') {
			if (label == 0 || label > 63 || name[i - 1] == '-')
				return false;
			label = 0;
		} else if (allow_is_alnum(name[i]) || (name[i] == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

/* RFC 3986 scheme, ':', then at least one more printable, non-space ASCII character. */
static bool allow_uri_valid(const char *uri)
{
	size_t i = 0;

	if (!((uri[0] >= 'a' && uri[0] <= 'z') || (uri[0] >= 'A' && uri[0] <= 'Z')))
		return false;
	while (allow_is_alnum(uri[i]) || uri[i] == '+' || uri[i] == '-' || uri[i] == '.')
		i++;
	if (uri[i] != ':' || uri[i + 1] == '\0')
		return false;
	for (; uri[i]; i++)
		if (uri[i] < 0x21 || uri[i] > 0x7e)
			return false;
	return i < TLS_IDENTITY_MAX - sizeof("uri:");
}

/* 64 hex digits, or 32 pairs separated by ':'; writes 64 lower-case digits + NUL to out. */
static bool allow_sha256_parse(const char *s, char out[TLS_FINGERPRINT_HEX_LEN])
{
	size_t len = strlen(s), step = len == 95 ? 3 : 2;

	if (len != 64 && len != 95)
		return false;
	for (size_t i = 0, o = 0; i < len; i += step, o += 2) {
		if (allow_hex_value(s[i]) < 0 || allow_hex_value(s[i + 1]) < 0)
			return false;
		if (step == 3 && i + 2 < len && s[i + 2] != ':')
			return false;
		out[o] = allow_lower(s[i]);
		out[o + 1] = allow_lower(s[i + 1]);
	}
	out[64] = '\0';
	return true;
}

/* Why an entry of each kind was refused, indexed by enum allow_kind. */
static const char *const allow_syntax[] = {
	[ALLOW_DNS] = ("not a host name (letters, digits and '-' in dot-separated labels, no "
		       "wildcards, no trailing dot)"),
	[ALLOW_URI] = "not a URI (scheme:rest, printable ASCII without spaces)",
	[ALLOW_SHA256] = "not a SHA-256 fingerprint (64 hex digits, or 32 colon-separated pairs)",
};

/* Normalizes entry into e. Returns 0, -EINVAL (*why says why) or -ENOMEM. */
static int allow_parse(const char *entry, struct allow_entry *e, const char **why)
{
	char norm[TLS_IDENTITY_MAX];
	const char *v;
	size_t plen;
	bool ok;

	*why = "unknown kind: entries start with dns:, uri: or sha256:";
	for (size_t k = 0; k < sizeof(allow_prefixes) / sizeof(allow_prefixes[0]); k++) {
		plen = strlen(allow_prefixes[k].prefix);
		if (strncmp(entry, allow_prefixes[k].prefix, plen) != 0)
			continue;
		e->kind = allow_prefixes[k].kind;
		v = entry + plen;
		*why = allow_syntax[e->kind];
		if (strlen(entry) >= sizeof(norm))
			return -EINVAL;
		memcpy(norm, entry, plen);
		ok = e->kind == ALLOW_SHA256 ? allow_sha256_parse(v, norm + plen)
		     : e->kind == ALLOW_DNS  ? tls_allow_dns_valid(v)
					     : allow_uri_valid(v);
		if (!ok)
			return -EINVAL;
		if (e->kind != ALLOW_SHA256)
			strcpy(norm + plen, v);
		for (size_t i = plen; e->kind == ALLOW_DNS && norm[i]; i++)
			norm[i] = allow_lower(norm[i]);
		e->text = strdup(norm);
		e->value = e->text ? e->text + plen : NULL;
		*why = "out of memory";
		return e->text ? 0 : -ENOMEM;
	}
	return -EINVAL;
}

int tls_allow_new(const char *const *entries, size_t n, struct tls_allow **ret, char *err,
		  size_t errlen)
{
	struct tls_allow *a;
	const char *why;
	int r;

	if (n == 0 || !entries) {
		tls_err_set(err, errlen,
			    "allow-list: empty; name every peer that may connect (dns:NAME, "
			    "uri:URI or sha256:FINGERPRINT), the CA alone authorizes nobody");
		return -EINVAL;
	}
	a = calloc(1, sizeof(*a) + n * sizeof(a->e[0]));
	if (!a)
		return -ENOMEM;
	for (a->n = 0; a->n < n; a->n++) {
		why = "missing";
		r = entries[a->n] ? allow_parse(entries[a->n], &a->e[a->n], &why) : -EINVAL;
		if (r < 0) {
			tls_err_set(err, errlen, "allow-list entry %zu \"%.80s\": %s", a->n + 1,
				    entries[a->n] ? entries[a->n] : "(null)", why);
			tls_allow_free(a);
			return r;
		}
	}
	*ret = a;
	return 0;
}

void tls_allow_free(struct tls_allow *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->e[i].text);
	free(a);
}

/* ASN1 string s equals value: same length (so no embedded NUL), bytes equal (ASCII case
 * folded if nocase). */
static bool allow_str_eq(const ASN1_STRING *s, const char *value, bool nocase)
{
	const unsigned char *d = ASN1_STRING_get0_data(s);
	size_t len = strlen(value);

	if ((size_t)ASN1_STRING_length(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (nocase ? allow_lower((char)d[i]) != value[i] : (char)d[i] != value[i])
			return false;
	return true;
}

static bool allow_entry_matches(const struct allow_entry *e, const GENERAL_NAMES *names,
				const char *fp)
{
	int type = e->kind == ALLOW_DNS ? GEN_DNS : GEN_URI;

	if (e->kind == ALLOW_SHA256)
		return strcmp(e->value, fp) == 0;
	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);

		if (g->type == type && allow_str_eq(g->d.ia5, e->value, e->kind == ALLOW_DNS))
			return true;
	}
	return false;
}

int tls_allow_match(const struct tls_allow *a, X509 *cert, const char *fp, char *ident, size_t len)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	int r = -ENOENT;

	for (size_t i = 0; i < a->n && r < 0; i++) {
		if (allow_entry_matches(&a->e[i], names, fp)) {
			tls_err_set(ident, len, "%s", a->e[i].text);
			r = 0;
		}
	}
	GENERAL_NAMES_free(names);
	return r;
}

void tls_allow_fingerprint(X509 *cert, char out[TLS_FINGERPRINT_HEX_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (!X509_digest(cert, EVP_sha256(), md, &n) || n != 32)
		return;
	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/* Appends " prefix:value" (no leading space on an empty buffer) if it fits. */
static void allow_append(char *buf, size_t len, const char *prefix, const unsigned char *v,
			 int vlen)
{
	size_t used = strlen(buf);

	if (used + 2 + strlen(prefix) + (size_t)vlen < len)
		snprintf(buf + used, len - used, "%s%s%.*s", used ? " " : "", prefix, vlen,
			 (const char *)v);
}

void tls_allow_describe(X509 *cert, const char *fp, char *buf, size_t len)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);

	if (!len)
		return;
	buf[0] = '\0';
	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		const ASN1_STRING *s = g->d.ia5;

		if (g->type != GEN_DNS && g->type != GEN_URI)
			continue;
		if (memchr(ASN1_STRING_get0_data(s), '\0', (size_t)ASN1_STRING_length(s)))
			continue;
		allow_append(buf, len,
			     g->type == GEN_DNS ? "dns:" : "uri:", ASN1_STRING_get0_data(s),
			     ASN1_STRING_length(s));
	}
	allow_append(buf, len, "sha256:", (const unsigned char *)fp, (int)strlen(fp));
	GENERAL_NAMES_free(names);
}
