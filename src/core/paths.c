/* paths.c — checks on file paths made before any work starts (see core.h).
 *
 * Owns: "is this a regular file we may read", "may this output be written", "is
 * this output the same file as one of the inputs", and where a folder shipped with
 * strainfield (the pseudopotentials, the figures tool) is, from a build tree or an
 * installed tree.  Every subcommand calls these on
 * all its outputs up front, so a missing folder or an output that would overwrite an
 * input is found in the first second, not after hours of training or a campaign.
 */
#include "strainfield/core.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sf_path_check_regular(const char *option, const char *path)
{
  struct stat st;
  if (stat(path, &st)) SF_ERROR(SF_ERR_FILE, "%s: cannot open %s (%s)", option, path, strerror(errno));
  /* A device (/dev/zero), FIFO or folder would be read forever or not at all. */
  if (!S_ISREG(st.st_mode)) SF_ERROR(SF_ERR_FILE, "%s: %s is not a regular file", option, path);
  return SF_OK;
}

/* Same file: same device and inode (catches ./a, a, links and other spellings). */
static int same_file(const char *a, const char *b)
{
  struct stat sa, sb;
  if (stat(a, &sa) || stat(b, &sb)) return 0;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int sf_path_check_output(const char *option, const char *path, const sf_path_input *inputs,
                         int ninputs)
{
  if (!path || !path[0]) SF_ERROR(SF_ERR_INPUT, "%s: empty output path", option);
  for (int i = 0; i < ninputs; i++) {
    if (!inputs[i].path || !inputs[i].path[0]) continue;
    if (!strcmp(path, inputs[i].path) || same_file(path, inputs[i].path))
      SF_ERROR(SF_ERR_INPUT, "%s %s is the same file as the input %s %s; choose another output",
               option, path, inputs[i].option, inputs[i].path);
  }
  struct stat st;
  if (!stat(path, &st) && S_ISDIR(st.st_mode))
    SF_ERROR(SF_ERR_INPUT, "%s: %s is a folder, not a file", option, path);
  char copy[4096];
  if (strlen(path) >= sizeof copy) SF_ERROR(SF_ERR_INPUT, "%s: path too long", option);
  strcpy(copy, path);
  const char *dir = dirname(copy);
  if (stat(dir, &st) || !S_ISDIR(st.st_mode))
    SF_ERROR(SF_ERR_FILE, "%s %s: folder %s does not exist", option, path, dir);
  if (access(dir, W_OK | X_OK))
    SF_ERROR(SF_ERR_FILE, "%s %s: folder %s is not writable (%s)", option, path, dir, strerror(errno));
  return SF_OK;
}

static int is_dir(const char *p)
{
  struct stat st;
  return p[0] && !stat(p, &st) && S_ISDIR(st.st_mode);
}

void sf_path_shipped_dir(const char *install_rel, const char *source_dir, char *out, size_t len)
{
  char exe[PATH_MAX], cand[PATH_MAX + 256];
  out[0] = '\0';
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    snprintf(cand, sizeof cand, "%s/%s", exe, install_rel);
    char *real = realpath(cand, NULL);
    if (real && is_dir(real)) snprintf(out, len, "%s", real);
    free(real);
    if (out[0]) return;
  }
  if (is_dir(source_dir)) snprintf(out, len, "%s", source_dir);
}
