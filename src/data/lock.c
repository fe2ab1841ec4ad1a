/* lock.c — one campaign at a time per dataset: an fcntl write lock on DATASET.parts/lock,
 * held by world rank 0 for the whole campaign, with the holder's host and pid written in
 * the file so that a refused second campaign can say who holds it.
 *
 * Why: a -resume started while the same campaign was still running (its shell gone,
 * mpirun alive) counted the running campaign's parts as "done earlier", ran the rest a
 * second time, and died in HDF5 when the first one removed the folder.  The kernel drops
 * an fcntl lock when its process dies, so a campaign killed by SIGKILL never leaves a
 * stale lock behind. */
#include "strainfield/core.h"
#include "strainfield/dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void lock_path(const char *dir, char *path, size_t len) { snprintf(path, len, "%s/lock", dir); }

/* What the holder wrote, for the refusal message. */
static void read_holder(int fd, char *who, size_t len)
{
  ssize_t n = pread(fd, who, len - 1, 0);
  who[n > 0 ? n : 0] = 0;
  who[strcspn(who, "\n")] = 0;
  if (!who[0]) snprintf(who, len, "an unknown process");
}

int sf_campaign_lock(const char *dir, int *fd_out, int *created_dir)
{
  char path[1200];
  lock_path(dir, path, sizeof path);
  *fd_out = -1;
  *created_dir = 0;
  /* bounded: a finishing campaign may remove the folder between our mkdir and open */
  for (int attempt = 0; attempt < 5; attempt++) {
    if (mkdir(dir, 0777) == 0) *created_dir = 1;
    else if (errno != EEXIST) SF_ERROR(SF_ERR_FILE, "cannot create %s: %s", dir, strerror(errno));
    int fd = open(path, O_RDWR | O_CREAT, 0666);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      SF_ERROR(SF_ERR_FILE, "cannot open the lock file %s: %s", path, strerror(errno));
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    if (fcntl(fd, F_SETLK, &fl)) {
      int e = errno;
      char who[256];
      read_holder(fd, who, sizeof who);
      close(fd);
      if (e == EACCES || e == EAGAIN)
        SF_ERROR(SF_ERR_INPUT, "%s is in use by a running campaign (%s): wait for it to end, or stop that "
                 "process before -resume", dir, who);
      SF_ERROR(SF_ERR_FILE, "cannot lock %s: %s", path, strerror(e));
    }
    /* the file we locked must still be the one at `path` (not unlinked by a finishing
     * campaign after our open) */
    struct stat a, b;
    if (fstat(fd, &a) || stat(path, &b) || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
      close(fd);
      continue;
    }
    char host[256] = "?", who[400];
    gethostname(host, sizeof host - 1);
    int n = snprintf(who, sizeof who, "pid %ld on host %s\n", (long)getpid(), host);
    if (ftruncate(fd, 0) || pwrite(fd, who, (size_t)n, 0) != n) {
      close(fd);
      SF_ERROR(SF_ERR_FILE, "cannot write the lock file %s: %s", path, strerror(errno));
    }
    *fd_out = fd;
    return SF_OK;
  }
  SF_ERROR(SF_ERR_FILE, "cannot take the lock %s: the folder keeps disappearing (another campaign finishing?)", path);
}

void sf_campaign_unlock(const char *dir, int fd, int remove_dir)
{
  if (fd < 0) return;
  if (remove_dir) {
    char path[1200];
    lock_path(dir, path, sizeof path);
    unlink(path);
    rmdir(dir); /* fails, harmlessly, when anything else is in it */
  }
  close(fd); /* releases the lock */
}
