/*
 * args.c - parsing the values of vfio-migctl's arguments: sizes and rates with binary
 * suffixes, bounded numbers, job ids, device states, SRC=DST pairs, switchover and resume
 * modes, and the small files of --metadata. Pure functions of their input, except
 * args_read_file().
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "args.h"

/* The multiplier of a suffix letter, 0 when it is none. */
static uint64_t args_suffix(char c)
{
	switch (toupper((unsigned char)c)) {
	case 'K':
		return 1ull << 10;
	case 'M':
		return 1ull << 20;
	case 'G':
		return 1ull << 30;
	case 'T':
		return 1ull << 40;
	default:
		return 0;
	}
}

/* The tail after the number: "", "K", "KiB", "KB", "B", each optionally followed by "/s". */
static int args_size_tail(const char *end, uint64_t *mult)
{
	*mult = 1;
	if (*end && args_suffix(*end)) {
		*mult = args_suffix(*end);
		end++;
		if (*end == 'i')
			end++;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (strcmp(end, "/s") == 0)
		end += 2;
	return *end ? -EINVAL : 0;
}

int args_size(const char *s, uint64_t *ret)
{
	unsigned long long v;
	uint64_t mult;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || args_size_tail(end, &mult) < 0)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -EINVAL;
	*ret = v * mult;
	return 0;
}

int args_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int args_u32(const char *s, uint32_t min, uint32_t max, uint32_t *ret)
{
	uint64_t v;

	if (args_u64(s, min, max, &v) < 0)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

int args_job_id(const char *s, uint64_t *ret)
{
	return args_u64(s, 1, UINT64_MAX, ret);
}

int args_state(const char *s, enum vfiomig_device_state *ret)
{
	char buf[32];
	enum vfiomig_device_state st;
	size_t i;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	for (i = 0; s[i]; i++)
		buf[i] = s[i] == '-' ? '_' : s[i];
	buf[i] = '\0';
	if (strcasecmp(buf, "error") == 0 || vfiomig_device_state_parse(buf, &st) < 0)
		return -EINVAL;
	*ret = st;
	return 0;
}

int args_pair(const char *s, char *buf, size_t len, const char **left, const char **right)
{
	char *eq;

	if (strlen(s) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, s);
	eq = strchr(buf, '=');
	if (!eq || eq == buf || !eq[1])
		return -EINVAL;
	*eq = '\0';
	*left = buf;
	*right = eq + 1;
	return 0;
}

int args_switchover(const char *s, enum vfiomig_switchover *ret)
{
	if (strcasecmp(s, "auto") == 0)
		*ret = VFIOMIG_SWITCHOVER_AUTO;
	else if (strcasecmp(s, "manual") == 0)
		*ret = VFIOMIG_SWITCHOVER_MANUAL;
	else
		return -EINVAL;
	return 0;
}

int args_resume(const char *s, enum vfiomig_resume *ret)
{
	if (strcasecmp(s, "auto") == 0)
		*ret = VFIOMIG_RESUME_AUTO;
	else if (strcasecmp(s, "manual") == 0)
		*ret = VFIOMIG_RESUME_MANUAL;
	else
		return -EINVAL;
	return 0;
}

int args_read_file(const char *path, size_t max, void **ret, size_t *ret_len)
{
	char *buf = malloc(max + 1);
	size_t len = 0;
	ssize_t n;
	int fd, r = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto err_free;
	}
	while (len <= max && (n = read(fd, buf + len, max + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto err_close;
		}
		len += (size_t)n;
	}
	if (len > max) {
		r = -EFBIG;
		goto err_close;
	}
	close(fd);
	*ret = buf;
	*ret_len = len;
	return 0;
err_close:
	close(fd);
err_free:
	free(buf);
	return r;
}
