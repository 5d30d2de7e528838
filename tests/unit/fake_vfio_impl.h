/*
 * fake_vfio_impl.h - what fake_vfio.c (objects, nodes, fds, the legacy and cdev ioctls) and
 * fake_vfio_mig.c (the feature core, the migration driver, data files) share. Test-only.
 */
#ifndef VFIO_MIGD_TEST_FAKE_VFIO_IMPL_H
#define VFIO_MIGD_TEST_FAKE_VFIO_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fake_vfio.h"
#include "vfio_compat.h"

#define FAKE_DEVS	8
#define FAKE_GROUPS	8
#define FAKE_CONTAINERS 8
#define FAKE_FDS	64
#define FAKE_FILES	16
#define FAKE_REAL	32
#define FAKE_LOG	16384
#define FAKE_IOAS_BASE	100

enum fake_vfio_kind { FK_FREE, FK_CONTAINER, FK_GROUP, FK_DEVICE, FK_IOMMUFD, FK_DATA };

struct fake_vfio_container {
	bool used;
	bool iommu;
	int groups;
};

struct fake_vfio_group {
	int number;
	bool open;	      /* a group fd is open */
	bool busy;	      /* held by another process */
	bool release_pending; /* group fd closed while device fds were open */
	struct fake_vfio_container *container;
};

struct fake_vfio_file {
	bool used;
	struct fake_vfio_dev *dev;
	bool save;
	bool disabled;
	int refs; /* fd + driver */
	size_t filled, pos, init_end;
	bool intact; /* resume: every byte matched the pattern */
};

struct fake_vfio_dev {
	struct fake_vfio_cfg cfg;
	char name[64];
	char type[32];
	struct fake_vfio_group *group;
	int state;
	struct fake_vfio_file *save, *resume;
	int fail_from, fail_to, fail_err, fail_lands;
	int resets;
	bool log_active;
	uint64_t log_page, log_pick;
	unsigned int log_ranges;
	unsigned int resumed;
	bool resumed_intact;
	bool cdev_bound; /* a cdev fd of this device is bound */
};

struct fake_vfio_fd {
	enum fake_vfio_kind kind;
	struct fake_vfio_container *container;
	struct fake_vfio_group *group;
	struct fake_vfio_dev *dev;
	struct fake_vfio_file *file;
	bool cdev;     /* device fd opened from the cdev */
	bool granted;  /* device access granted (group fd, or cdev after BIND) */
	int iommufd;   /* cdev: bound iommufd (fake fd number) */
	int next_ioas; /* iommufd: ids handed out */
};

struct fake_vfio_kernel {
	char root[256], sysfs[300], dev[300];
	bool group_api, cdev_api;
	struct fake_vfio_dev devs[FAKE_DEVS];
	int ndevs;
	struct fake_vfio_group groups[FAKE_GROUPS];
	int ngroups;
	struct fake_vfio_container containers[FAKE_CONTAINERS];
	struct fake_vfio_file files[FAKE_FILES];
	struct fake_vfio_fd fds[FAKE_FDS];
	int real[FAKE_REAL];
	int nreal;
	char log[FAKE_LOG];
	size_t loglen;
	unsigned long fail_request;
	int fail_request_err;
	char fail_open[64];
	int fail_open_err;
	int eintr_reads, eintr_writes;
	struct vfio_sys sys;
};

/* The one fake kernel of this process (defined in fake_vfio.c). */
extern struct fake_vfio_kernel fake_vfio_k;

/* Appends one line to the log. */
void fake_vfio_logf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A free fake fd of this kind (cleared), or -EMFILE. */
int fake_vfio_fd_alloc(enum fake_vfio_kind kind);

/* The fake fd, or NULL for a real or unknown fd. */
struct fake_vfio_fd *fake_vfio_fd_get(int fd);

/* A session file with one reference (the driver's). */
struct fake_vfio_file *fake_vfio_file_new(struct fake_vfio_dev *d, bool save);
void fake_vfio_file_put(struct fake_vfio_file *f);

/* The driver ends the session in *slot: the file reads ENODEV from now on. */
void fake_vfio_disable(struct fake_vfio_file **slot);

/* Data file I/O and VFIO_MIG_GET_PRECOPY_INFO (fake_vfio_mig.c). */
ssize_t fake_vfio_mig_read(struct fake_vfio_file *file, void *buf, size_t len);
ssize_t fake_vfio_mig_write(struct fake_vfio_file *file, const void *buf, size_t len);
int fake_vfio_mig_precopy_info(struct fake_vfio_file *file, struct vfio_precopy_info *info);

/* VFIO_DEVICE_FEATURE on a device with access granted (fake_vfio_mig.c). */
int fake_vfio_mig_feature(struct fake_vfio_dev *d, struct vfio_device_feature *f);

#endif
