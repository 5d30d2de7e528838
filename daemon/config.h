/*
 * config.h - the daemon's configuration: one INI file, command-line overrides, cross-field checks.
 *
 * Owns struct config and everything it points to: the defaults (config_init), the file grammar
 * and the syntax of every value (config_load, config_load_string), overrides by "section.key"
 * (config_set: --set and the daemon's specific flags) and the checks that need several keys
 * (config_validate). It opens only the file it is asked to read: addresses are checked for
 * syntax, not resolved or bound; paths for being absolute, not for existing or for their modes.
 * The layers that use them report what the system says.
 *
 * The file: "[section]" headers, "key = value" lines, comments starting with '#' or ';' at the
 * start of a line or after whitespace, indentation ignored, a value may be wrapped in double
 * quotes (removed, no escapes). Sections [daemon], [control], [peer], [tls], [limits] and any
 * number of [device "NAME"]. Unknown sections and keys are errors, so are single-valued keys set
 * twice; list keys (peer.listen, tls.allow, control.allowed_uids) take space-separated items and
 * may be repeated to add more. packaging/vfio-migd.conf.example documents every key.
 *
 * Values: durations "500ms", "5s", "2m", "1h" (a bare number is seconds); sizes in bytes with
 * K, M, G, T or KiB, MiB, GiB, TiB (binary); booleans yes/no, true/false, on/off, 1/0.
 *
 * Errors: every failing call returns -errno and fills struct config_error with one line a user
 * can act on, "FILE:LINE: [section] key: what is wrong (what would be right)".
 *
 * Not thread-safe. The daemon builds a fresh struct config at start, for -n and on SIGHUP, and
 * swaps it in from the event loop.
 */
#ifndef VFIO_MIGD_DAEMON_CONFIG_H
#define VFIO_MIGD_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "log.h"

#define CONFIG_DEFAULT_PATH "/etc/vfio-migd/vfio-migd.conf"
#define CONFIG_FILE_MAX	    (1024 * 1024) /* config_load refuses larger files */
#define CONFIG_NAME_MAX	    63		  /* device names: 1-63 of [A-Za-z0-9._:-] */
#define CONFIG_HOST_MAX	    253		  /* host names and host_identity */

/* One error: the line at fault (0 when none: I/O, config_set, most cross-field checks). */
struct config_error {
	unsigned int line;
	char msg[1024];
};

/* Where log lines go. AUTO: the journal when systemd set JOURNAL_STREAM, stderr otherwise. */
enum config_log_target {
	CONFIG_LOG_AUTO = 0,
	CONFIG_LOG_STDERR = 1,
	CONFIG_LOG_JOURNAL = 2,
};

/* A host and port as written: an IPv4 or IPv6 literal, or a name the peer layer resolves. */
struct config_addr {
	int family;			/* AF_INET, AF_INET6 for literals, AF_UNSPEC for a name */
	uint16_t port;			/* 1-65535; 0 only in an unset address */
	char host[CONFIG_HOST_MAX + 1]; /* no brackets; an IPv6 literal may end in %scope */
};

struct config_addrs {
	struct config_addr *v;
	size_t n;
};

struct config_uids {
	uid_t *v;
	size_t n;
};

enum config_identity_kind {
	CONFIG_ID_DNS = 1,    /* a DNS name in the certificate's subjectAltName */
	CONFIG_ID_URI = 2,    /* a URI in the subjectAltName (SPIFFE ids and the like) */
	CONFIG_ID_SHA256 = 3, /* the SHA-256 of the peer's DER certificate */
};

/* One peer the TLS layer lets in (and connects to). */
struct config_identity {
	enum config_identity_kind kind;
	/*
	 * Canonical, prefix included, as tls/'s allow-list takes it: "dns:NAME" (lower case),
	 * "uri:URI" (as written), "sha256:HEX" (64 lower-case digits, no colons).
	 */
	char *entry;
	uint8_t sha256[32]; /* CONFIG_ID_SHA256 only */
};

struct config_identities {
	struct config_identity *v;
	size_t n;
};

enum config_backend {
	CONFIG_BACKEND_NONE = 0, /* not set yet; config_validate refuses it */
	CONFIG_BACKEND_SIM = 1,
	CONFIG_BACKEND_VFIO = 2,
};

/* A [device "NAME"] section: a device the daemon owns from the start. */
struct config_device {
	char name[CONFIG_NAME_MAX + 1];
	enum config_backend backend;
	/*
	 * vfio: "0000:3b:00.1" (PCI, lower case, with domain), an mdev UUID (lower case),
	 * "/dev/vfio/N" or "/dev/vfio/N:DEVICE" (group, DEVICE a PCI address or UUID as above), or
	 * "/dev/vfio/devices/vfioN" (cdev). NULL when unset.
	 */
	char *path;
	char *spec;	   /* sim: as written ("size=256M,flags=..."), parsed by the sim backend */
	unsigned int line; /* line of the section header; 0 when made by config_set */
};

struct config {
	char *source; /* the file last given to config_load, for messages; NULL if none */
	struct {
		enum log_level log_level;
		enum config_log_target log_target;
		char *host_identity; /* sent in HELLO; default: gethostname() */
		char *state_dir;
		struct config_addr metrics_listen; /* loopback only; host "": off */
		uint64_t stop_timeout_ms;	   /* SIGTERM: how long running jobs get; 0: none */
	} daemon;
	struct {
		char *socket;
		char *group; /* "" leaves the socket's group alone */
		unsigned int mode;
		unsigned int max_clients;
		struct config_uids allowed_uids; /* empty: whoever the mode and group let in */
	} control;
	struct {
		struct config_addrs listen; /* empty: no peer listener (outgoing links only) */
		uint64_t connect_timeout_ms;
		uint64_t handshake_timeout_ms;	/* TCP accepted to HELLO exchanged */
		uint64_t keepalive_interval_ms; /* PING after this much silence; 0: never */
		unsigned int keepalive_count;	/* unanswered PINGs before the link is closed */
		uint64_t tcp_user_timeout_ms;	/* TCP_USER_TIMEOUT on data streams; 0: kernel's */
		uint64_t tcp_keepalive_idle_ms; /* TCP_KEEPIDLE, whole seconds */
		uint64_t tcp_keepalive_interval_ms; /* TCP_KEEPINTVL, whole seconds */
		unsigned int tcp_keepalive_count;   /* TCP_KEEPCNT */
	} peer;
	struct {
		char *ca, *crl, *cert, *key; /* absolute paths; NULL when unset */
		struct config_identities allow;
		bool ktls;
	} tls;
	struct {
		unsigned int max_jobs;
		uint64_t bandwidth;	 /* bytes per second over all jobs; 0: unlimited */
		uint64_t job_timeout_ms; /* for jobs that do not set their own; 0: none */
		uint64_t finished_job_ttl_ms;
		uint64_t dest_timeout_ms; /* destination: PREPARE to COMMIT at most; 0: none */
		unsigned int max_devices;
	} limits;
	struct config_device *devices; /* in file order */
	size_t n_devices;
};

/*
 * Fills c with the defaults (see the example file). Returns 0 or -ENOMEM (c is then empty and
 * config_free-safe). Every struct config must pass through here before any other call.
 */
int config_init(struct config *c);

/* Frees everything c owns and leaves it empty (not default). NULL-safe. */
void config_free(struct config *c);

/*
 * Reads path (at most CONFIG_FILE_MAX bytes) and applies it on top of c. Returns 0, -EINVAL for
 * a bad file (err says where and why), -EFBIG, -ENOMEM or the -errno of open/read. On failure
 * c holds a mix of old and new values: parse into a fresh config and keep the old one until
 * this returns 0. Does not call config_validate.
 */
int config_load(struct config *c, const char *path, struct config_error *err);

/*
 * config_load on text in memory; origin names it in messages and in c->source (NULL:
 * "<string>"). Returns 0, -EINVAL or -ENOMEM.
 */
int config_load_string(struct config *c, const char *text, const char *origin,
		       struct config_error *err);

/*
 * Sets one key, "section.key" or "device.NAME.key" (the device is added if new), from value
 * with the parser the file uses, e.g. ("peer.listen", "127.0.0.1:7777"). A list key is replaced,
 * not added to; on failure c is unchanged. Messages name the key as "peer.listen: ...".
 * Returns 0, -EINVAL (unknown key or bad value) or -ENOMEM.
 */
int config_set(struct config *c, const char *section_key, const char *value,
	       struct config_error *err);

/*
 * The checks that need more than one key: TLS files and an allow-list whenever peers may
 * connect, device sections complete and within limits.max_devices, host_identity usable.
 * Call after config_load and every config_set. Returns 0 or -EINVAL.
 */
int config_validate(const struct config *c, struct config_error *err);

/*
 * The i-th key config_set accepts, as "section.key" ("device.NAME.key" for device keys), in
 * the example file's order: for --help and for tests. Returns NULL past the last.
 */
const char *config_key_name(size_t i);

#endif
