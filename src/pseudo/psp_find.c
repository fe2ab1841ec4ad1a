/* psp_find.c — which file a -pseudos name means (see sf_psp_find in pseudo.h).
 *
 * Owns: the search order for a relative pseudopotential name and the folder of the
 * pseudopotentials shipped with strainfield (data/psp), found both from a build tree
 * and after `cmake --install`.  So `strainfield scf -options_file configs/mg_small.opts`
 * works from any working directory, and the absolute path it settled on is what every
 * output records beside the file's md5.
 */
#include "strainfield/core.h"
#include "strainfield/pseudo.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Set by CMakeLists.txt: the installed psp folder relative to the installed binary's
 * folder (e.g. "../share/strainfield/psp"), and the source tree's data/psp for a binary
 * run from its build tree. */
#ifndef SF_PSP_INSTALL_REL
#define SF_PSP_INSTALL_REL "../share/strainfield/psp"
#endif
#ifndef SF_PSP_SOURCE_DIR
#define SF_PSP_SOURCE_DIR ""
#endif
#define SF_PSP_ABINIT_DIR "/usr/share/abinit/psp" /* Debian's abinit-data */

static int is_dir(const char *p)
{
  struct stat st;
  return p[0] && !stat(p, &st) && S_ISDIR(st.st_mode);
}

/* `file` exists: it must be a regular file; its absolute path goes to `path`. */
static int take(const char *file, char *path, size_t len)
{
  SF_CHECK(sf_path_check_regular("-pseudos", file));
  char *real = realpath(file, NULL);
  if (!real) SF_ERROR(SF_ERR_FILE, "-pseudos: cannot resolve %s (%s)", file, strerror(errno));
  size_t n = strlen(real);
  if (n >= len) {
    free(real);
    SF_ERROR(SF_ERR_INPUT, "-pseudos: path of %s too long", file);
  }
  memcpy(path, real, n + 1);
  free(real);
  return SF_OK;
}

int sf_psp_find(const char *name, const char *origin_dir, const char *pp_dirpath, char *path,
                size_t len)
{
  if (!name || !name[0]) SF_ERROR(SF_ERR_INPUT, "-pseudos: empty file name");
  /* a mistyped -pp_dirpath would otherwise only show up as "not found" */
  if (pp_dirpath && pp_dirpath[0] && !is_dir(pp_dirpath))
    SF_ERROR(SF_ERR_FILE, "-pp_dirpath: %s is not a folder", pp_dirpath);
  if (name[0] == '/') return take(name, path, len);
  char cwd[PATH_MAX] = ".", shipped[PATH_MAX];
  if (!origin_dir || !origin_dir[0]) {
    if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, ".");
    origin_dir = cwd;
  }
  sf_path_shipped_dir(SF_PSP_INSTALL_REL, SF_PSP_SOURCE_DIR, shipped, sizeof shipped);
  const char *dirs[4] = {origin_dir, pp_dirpath ? pp_dirpath : "", shipped, SF_PSP_ABINIT_DIR};
  char tried[4 * PATH_MAX] = "";
  for (int i = 0; i < 4; i++) {
    if (!dirs[i][0]) continue;
    char file[2 * PATH_MAX];
    snprintf(file, sizeof file, "%s/%s", dirs[i], name);
    struct stat st;
    if (!stat(file, &st)) return take(file, path, len);
    char *real = realpath(dirs[i], NULL); /* the message names folders absolutely */
    size_t used = strlen(tried);
    snprintf(tried + used, sizeof tried - used, "%s%s", used ? ", " : "", real ? real : dirs[i]);
    free(real);
  }
  SF_ERROR(SF_ERR_FILE, "-pseudos: %s not found in %s (-pp_dirpath adds a folder)", name, tried);
}
