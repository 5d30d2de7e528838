/*
 * vm_region.c - writes and reads a vmigtest device's content (region 0) from outside any
 * daemon, for the cross-host scenarios (vm-xhost.sh) in the test VM.
 *
 *   vm_region fill UUID SEED   write the pseudo-random pattern of SEED (0: zeros); the
 *                              device must run (the driver refuses writes otherwise)
 *   vm_region sum UUID         read the content back
 *
 * Both print one line: "sha256=HEX zero=0|1 state=NAME size=BYTES" (after fill, of what was
 * written and read back). The device is opened through the project's vfio backend like the
 * daemon does, so this fails with EBUSY while a daemon owns the device (6.1: a group opens
 * once at a time): remove it from the daemon first. Closing leaves the driver's content as it
 * is. Exit status 0 on success, 1 on a device error, 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "digest.h"
#include "fsm.h"
#include "vfio.h"
#include "vm_raw.h"

static int usage(void)
{
	fprintf(stderr, "usage: vm_region fill UUID SEED | vm_region sum UUID\n");
	return 2;
}

/* Prints the result line for the content in buf. */
static int print_sum(const char *uuid, int fd, const unsigned char *buf, size_t len)
{
	uint8_t h[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN];
	uint32_t state = 0;
	size_t i = 0;
	int r;

	r = vm_get_state_raw(fd, &state);
	if (r < 0) {
		fprintf(stderr, "vm_region: %s: reading the migration state failed: %s\n", uuid,
			strerror(-r));
		return 1;
	}
	if (digest_buffer(buf, len, h) < 0) {
		fprintf(stderr, "vm_region: out of memory\n");
		return 1;
	}
	while (i < len && buf[i] == 0)
		i++;
	printf("sha256=%s zero=%d state=%s size=%zu\n", digest_hex(h, hex), i == len,
	       fsm_state_name((int)state), len);
	return 0;
}

/* fill (seed >= 0) or sum (seed < 0) on the open device fd. */
static int region_run(const char *uuid, int fd, long long seed)
{
	uint64_t off, size;
	unsigned char *buf;
	int r, rc = 1;

	r = vm_region(fd, &off, &size);
	if (r < 0) {
		fprintf(stderr, "vm_region: %s: no region 0: %s\n", uuid, strerror(-r));
		return 1;
	}
	buf = calloc(1, size ? size : 1);
	if (!buf) {
		fprintf(stderr, "vm_region: %s: cannot allocate %llu bytes\n", uuid,
			(unsigned long long)size);
		return 1;
	}
	if (seed > 0)
		vm_pattern(buf, size, (uint64_t)seed);
	if (seed >= 0) {
		r = vm_region_write(fd, off, buf, size);
		if (r < 0) {
			fprintf(stderr, "vm_region: %s: writing the region failed: %s\n", uuid,
				strerror(-r));
			goto out;
		}
		memset(buf, 0xa5, size);
	}
	r = vm_region_read(fd, off, buf, size);
	if (r < 0) {
		fprintf(stderr, "vm_region: %s: reading the region failed: %s\n", uuid,
			strerror(-r));
		goto out;
	}
	rc = print_sum(uuid, fd, buf, size);
out:
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	const struct vfio_sys *sys;
	struct backend *b = NULL;
	const char *name;
	long long seed = -1;
	char *end;
	int r, rc;

	if (argc == 4 && strcmp(argv[1], "fill") == 0) {
		errno = 0;
		seed = strtoll(argv[3], &end, 0);
		if (!*argv[3] || *end || errno || seed < 0)
			return usage();
	} else if (argc != 3 || strcmp(argv[1], "sum") != 0) {
		return usage();
	}
	r = vfio_open(argv[2], NULL, &b);
	if (r < 0) {
		fprintf(stderr, "vm_region: %s%s\n", vfio_last_error(),
			r == -EBUSY ? " (is a daemon still holding it?)" : "");
		return 1;
	}
	r = vfio_device_fd(b, &sys, &name);
	rc = r < 0 ? 1 : region_run(argv[2], r, seed);
	backend_free(b);
	return rc;
}
