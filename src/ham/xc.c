/* xc.c — the libxc wrapper: ABINIT ixc → libxc functionals, the LDA and GGA energy
 * density and its derivatives at each point (the gradients and the divergence of the GGA
 * potential are done on the FFT box by src/ham/xc_gga.c).
 *
 * Owns the ixc mapping (see xc.h) and the per-volume convention: libxc returns the
 * energy per particle ε_xc, the rest of the code wants e_xc = ρ·ε_xc (Ha/Bohr³) so that
 * E_xc = ∫ e_xc dr is a plain grid sum.
 */
#include "strainfield/xc.h"
#include "strainfield/core.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <xc.h>

#define SF_XC_MAXFUNC 2
#define SF_XC_RHO_MIN 1e-14
/* Points are passed to libxc in blocks so the per-particle scratch stays small. */
#define SF_XC_BLOCK 2048

struct sf_xc {
  int ixc;
  int nfunc, gga;
  xc_func_type func[SF_XC_MAXFUNC];
  int family[SF_XC_MAXFUNC];
  char name[128];
};

/* Appends libxc's name for id, upper-cased ("lda_c_pw" → "LDA_C_PW"). */
static void append_name(char *dst, size_t size, int id)
{
  char *nm = xc_functional_get_name(id);
  size_t used = strlen(dst);
  if (used && used + 1 < size) strcat(dst, "+");
  used = strlen(dst);
  for (const char *c = nm ? nm : "?"; *c && used + 1 < size; c++) dst[used++] = (char)toupper((unsigned char)*c);
  dst[used] = '\0';
  free(nm);
}

static int add_func(sf_xc *xc, int ixc, int id)
{
  if (id <= 0) return SF_OK; /* "no exchange" or "no correlation" slot of −XXXCCC */
  if (xc->nfunc >= SF_XC_MAXFUNC) SF_ERROR(SF_ERR_INTERNAL, "too many functionals for ixc %d", ixc);
  xc_func_type *f = &xc->func[xc->nfunc];
  /* Ask for the name first: libxc 5 leaks its info block when xc_func_init fails. */
  char *nm0 = xc_functional_get_name(id);
  int known = nm0 != NULL;
  free(nm0);
  if (!known || xc_func_init(f, id, XC_UNPOLARIZED) != 0)
    SF_ERROR(SF_ERR_INPUT, "-ixc %d: libxc %s does not know functional id %d", ixc,
             xc_version_string(), id);
  int family = xc_func_info_get_family(f->info);
  const char *why = NULL;
  if (family == XC_FAMILY_MGGA) why = "a meta-GGA";
  else if (family == XC_FAMILY_HYB_GGA || family == XC_FAMILY_HYB_MGGA || family == XC_FAMILY_HYB_LDA)
    why = "a hybrid (needs exact exchange)";
  else if (family != XC_FAMILY_LDA && family != XC_FAMILY_GGA) why = "not an LDA or GGA";
  else if (xc_func_info_get_flags(f->info) & XC_FLAGS_VV10) why = "a nonlocal (VV10) functional";
  if (why) {
    char *nm = xc_functional_get_name(id);
    int code = sf_error_set(SF_ERR_INPUT, __FILE__, __LINE__, __func__,
                            "-ixc %d: libxc functional %d (%s) is %s; only LDA and GGA functionals are "
                            "supported (" SF_IXC_LIST ")",
                            ixc, id, nm ? nm : "?", why);
    free(nm);
    xc_func_end(f);
    return code;
  }
  xc->family[xc->nfunc] = family;
  xc->gga |= family == XC_FAMILY_GGA;
  xc->nfunc++;
  append_name(xc->name, sizeof xc->name, id);
  return SF_OK;
}

int sf_xc_create(int ixc, sf_xc **out)
{
  sf_xc *xc = NULL;
  int xid = 0, cid = 0;
  *out = NULL;
  if (ixc == 7) { xid = XC_LDA_X; cid = XC_LDA_C_PW; }          /* ABINIT: ixc 7 ≡ −1012 */
  else if (ixc == 1) { cid = XC_LDA_XC_TETER93; }                /* ABINIT: ixc 1 ≡ −20 */
  else if (ixc == 2) { xid = XC_LDA_X; cid = XC_LDA_C_PZ; }      /* ABINIT: ixc 2 ≡ −1009 */
  else if (ixc == 11) { xid = XC_GGA_X_PBE; cid = XC_GGA_C_PBE; } /* ABINIT: ixc 11 ≡ −101130 */
  else if (ixc < 0) {
    if (ixc < -999999) SF_ERROR(SF_ERR_INPUT, "-ixc %d is not of the form -XXXCCC (" SF_IXC_LIST ")", ixc);
    xid = (-ixc) / 1000;
    cid = (-ixc) % 1000;
  } else if (ixc != 0) {
    /* ixc 3-6, 8-9 are ABINIT's own LDA variants and ixc 12-42 its own GGAs and beyond
     * (revPBE, RPBE, HCTH, ...); we do not claim to reproduce those, so say so rather
     * than silently substitute (their libxc forms are accepted as -XXXCCC). */
    SF_ERROR(SF_ERR_INPUT, "-ixc %d is not supported (" SF_IXC_LIST ")", ixc);
  }
  SF_CHECK(sf_calloc((void **)&xc, 1, sizeof *xc));
  xc->ixc = ixc;
  int st = SF_OK;
  SF_CHECK_GOTO(add_func(xc, ixc, xid));
  SF_CHECK_GOTO(add_func(xc, ixc, cid));
  if (xc->nfunc == 0) strcpy(xc->name, "none");
  *out = xc;
  xc = NULL;
cleanup:
  sf_xc_destroy(&xc);
  return st;
}

void sf_xc_destroy(sf_xc **xc)
{
  if (!xc || !*xc) return;
  for (int i = 0; i < (*xc)->nfunc; i++) xc_func_end(&(*xc)->func[i]);
  sf_free(*xc);
  *xc = NULL;
}


int sf_xc_is_gga(const sf_xc *xc) { return xc && xc->gga; }

/* One block of nb points (nb <= SF_XC_BLOCK): the sums over the functionals; sigma and
 * vsigma NULL for an LDA-only xc.  Tiny or negative densities (FFT noise, vacuum) give no
 * contribution: libxc would otherwise return its own threshold-dependent values or NaN
 * for ρ < 0. */
static void eval_block(const sf_xc *xc, int nb, const double *rho, const double *sigma, double *exc, double *vrho,
                       double *vsigma)
{
  double r[SF_XC_BLOCK], zk[SF_XC_BLOCK], vr[SF_XC_BLOCK], vs[SF_XC_BLOCK];
  for (int i = 0; i < nb; i++) {
    r[i] = rho[i] > SF_XC_RHO_MIN ? rho[i] : SF_XC_RHO_MIN;
    exc[i] = vrho[i] = 0.0;
    if (vsigma) vsigma[i] = 0.0;
  }
  for (int f = 0; f < xc->nfunc; f++) {
    if (xc->family[f] == XC_FAMILY_GGA) xc_gga_exc_vxc(&xc->func[f], (size_t)nb, r, sigma, zk, vr, vs);
    else xc_lda_exc_vxc(&xc->func[f], (size_t)nb, r, zk, vr);
    for (int i = 0; i < nb; i++) {
      exc[i] += r[i] * zk[i];
      vrho[i] += vr[i];
      if (xc->family[f] == XC_FAMILY_GGA) vsigma[i] += vs[i];
    }
  }
  for (int i = 0; i < nb; i++)
    if (!(rho[i] > SF_XC_RHO_MIN)) {
      exc[i] = vrho[i] = 0.0;
      if (vsigma) vsigma[i] = 0.0;
    }
}

int sf_xc_eval(const sf_xc *xc, int n, const double *rho, double *exc, double *vxc)
{
  if (!xc) SF_ERROR(SF_ERR_INTERNAL, "sf_xc_eval on a NULL functional");
  if (xc->gga) SF_ERROR(SF_ERR_INTERNAL, "sf_xc_eval on the GGA %s (needs the gradient: sf_xc_eval_gga)", xc->name);
  if (n < 0) SF_ERROR(SF_ERR_INTERNAL, "sf_xc_eval with n=%d", n);
  for (int i0 = 0; i0 < n; i0 += SF_XC_BLOCK)
    eval_block(xc, n - i0 < SF_XC_BLOCK ? n - i0 : SF_XC_BLOCK, rho + i0, NULL, exc + i0, vxc + i0, NULL);
  return SF_OK;
}

int sf_xc_eval_gga(const sf_xc *xc, int n, const double *rho, const double *sigma, double *exc, double *vrho,
                   double *vsigma)
{
  if (!xc) SF_ERROR(SF_ERR_INTERNAL, "sf_xc_eval_gga on a NULL functional");
  if (n < 0) SF_ERROR(SF_ERR_INTERNAL, "sf_xc_eval_gga with n=%d", n);
  for (int i0 = 0; i0 < n; i0 += SF_XC_BLOCK)
    eval_block(xc, n - i0 < SF_XC_BLOCK ? n - i0 : SF_XC_BLOCK, rho + i0, sigma + i0, exc + i0, vrho + i0,
               vsigma + i0);
  return SF_OK;
}

const char *sf_xc_name(const sf_xc *xc) { return xc ? xc->name : "(null)"; }
