/* pseudo.h — norm-conserving pseudopotentials: reading and reciprocal-space tables.
 *
 * Owns: the readers of ABINIT's pspcod 1 (TM, e.g. 12mg.pspnc), pspcod 5 (the paper's
 * mg.pseu) and pspcod 8 (PseudoDojo psp8), and the radial Fourier transforms every
 * Hamiltonian term needs, tabulated once on a uniform q grid and interpolated by cubic
 * splines.  Kleinman-Bylander form V_nl = Σ_{l,i} |χ_li⟩ ekb_li ⟨χ_li|.
 *
 * Conventions (Hartree atomic units).  q = |k+G| is a wavevector magnitude in Bohr^-1,
 * 2π included.  For atom at τ in a cell of volume Ω:
 *   local:     V_loc(G) = (1/Ω) Σ_atoms e^{-iG·τ} [ vloc_short(|G|) − 4π zion/|G|² ]   (G≠0)
 *              vloc_short(q) = 4π ∫ r² (V_loc(r) + zion/r) j0(qr) dr,  vloc_short(0) = epsatm
 *   projector: ⟨k+G|χ_lmi,τ⟩ = (1/√Ω) (−i)^l proj_li(|k+G|) Y_lm(k+G) e^{−i(k+G)·τ},
 *              proj_li(q) = 4π ∫ r² j_l(qr) χ_li(r) dr, Y_lm real spherical harmonics
 *              normalised to 1 on the sphere
 *   core:      ρ_core(G) = (1/Ω) Σ_atoms e^{−iG·τ} core_q(|G|), core_q(q) = 4π ∫ r² ρc(r) j0(qr) dr
 *              ABINIT itself builds ρ_core on the real-space FFT grid from the radial
 *              function ("model core charge treated in real-space"); core_r tabulates
 *              ρc(r) on 0..core_rmax (ρc = 0 for r > core_rmax) for callers that want to do the same.
 * With these, E_nl = Σ_k w_k Σ_n f_n Σ_{atoms,l,m,i} ekb_li |⟨χ_lmi|ψ_nk⟩|², and the
 * psp-core energy is (Σ_atoms epsatm) · N_electrons / Ω as in ABINIT.
 *
 * Projector normalisation (ABINIT's conventions, so ekb matches ABINIT's printout):
 *   pspcod 1/5: χ_l(r) = ΔV_l(r) u_l(r) / (r √D), ΔV_l = V_l − V_loc, u_l = r R_l the
 *     reference pseudo-wavefunction, D = ∫ (ΔV_l u_l)² dr, so ∫ χ_l² r² dr = 1, and
 *     ekb_l = D / ∫ u_l² ΔV_l dr (Kleinman-Bylander energy; its sign is the sign of
 *     ⟨φ|ΔV|φ⟩, it can be negative).  Then |χ_lm⟩ ekb_l ⟨χ_lm| is exactly the KB
 *     operator ΔV|φ_lm⟩⟨φ_lm|ΔV / ⟨φ_lm|ΔV|φ_lm⟩.
 *   pspcod 8: χ_li(r) = p_li(r)/r with p the projector columns of the file (which hold
 *     r·β), not normalised; ekb_li is taken from the file.
 *   The local channel (l = lloc) has nproj = 0 and ekb = 0.
 * epsatm = 4π ∫ r² (V_loc(r) + zion/r) dr is computed with ABINIT's quadrature for each
 * mesh (it agrees with ABINIT's printed value to all printed digits).
 * Tables: q_j = j·dq with dq = 0.005 Bohr^-1, j = 0..n-1, qmax rounded up and a few
 * points of margin added; psp->qmax (>= the requested qmax) is the end of the tables.
 */
#ifndef STRAINFIELD_PSEUDO_H
#define STRAINFIELD_PSEUDO_H

#include <stddef.h>

#define SF_PSP_LMAX 3  /* l = 0..3 */
#define SF_PSP_NPROJ 2 /* projectors per l */

typedef struct {
  int n;      /* number of points, q_j = j*dq */
  double dq;
  double *y;  /* values */
  double *y2; /* spline second derivatives */
} sf_qtable;

typedef struct {
  char path[1024];
  char md5[33];
  int pspcod, pspxc, lmax, lloc;
  double zatom, zion;
  int nproj[SF_PSP_LMAX + 1];                     /* 0 for the local channel */
  double ekb[SF_PSP_LMAX + 1][SF_PSP_NPROJ];      /* Ha */
  int has_core;                                   /* nonlinear core correction */
  double epsatm;                                  /* Ha·Bohr^3 */
  double qmax;                                    /* tables cover 0..qmax */
  sf_qtable vloc_short;
  sf_qtable proj[SF_PSP_LMAX + 1][SF_PSP_NPROJ];
  sf_qtable core;
  double rchrg, fchrg, qchrg;                     /* core parameters from the file */
  double core_rmax;                               /* ρc(r) = 0 for r >= core_rmax */
  sf_qtable core_r;                               /* ρc(r), r_j = j·core_r.dq (dq is dr here) */
} sf_psp;

/* Reads the file and tabulates every transform on 0..qmax (Bohr^-1; callers pass
 * something like 1.2*sqrt(2*ecut*4) so the density sphere is covered).  Errors name the
 * file and the line: missing file, truncated data, unknown pspcod, a NaN or infinite
 * number, a bad mesh or core radius; non-finite tables (overflowing integrals) name the file. */
int sf_psp_read(const char *path, double qmax, sf_psp *psp);
/* The same parse of a file's text held in memory (len bytes, no NUL needed; a NUL byte
 * ends the text, as in a file), without MPI or PETSc: the fuzz harnesses call it.  `name` stands
 * for the file in messages and in psp->path; psp->md5 is left empty. */
int sf_psp_read_buffer(const char *name, const char *text, size_t len, double qmax, sf_psp *psp);
void sf_psp_free(sf_psp *psp);

/* ABINIT's check of the file's functional against -ixc (psp_xc.c): returns 1 and writes
 * the message to msg (n bytes) when ixc = 0 or ixc != pspxc, else 0 and an empty msg.
 * sf_psp_warn_xc prints that message as a warning on rank 0; the run continues. */
int sf_psp_xc_mismatch(const sf_psp *psp, int ixc, char *msg, size_t n);
void sf_psp_warn_xc(const sf_psp *psp, int ixc);

/* Spline interpolation of a table at q (0 <= q <= qmax), and its derivative d/dq.
 * Outside the table the end cubic is extrapolated; callers should stay inside. */
double sf_qtable_eval(const sf_qtable *t, double q);
double sf_qtable_deriv(const sf_qtable *t, double q);

/* Real spherical harmonics Y_lm(x̂) for l <= 3, m = -l..l stored at ylm[l*l + l + m];
 * x need not be normalised; x = 0 gives Y_00 only (others 0). */
void sf_ylm_real(const double x[3], double ylm[16]);
/* ylm_deriv.c: the same Y_lm and their Cartesian gradient dylm[lm][c] = ∂Y_lm(x/|x|)/∂x_c
 * (zero at x = 0). */
void sf_ylm_real_grad(const double x[3], double ylm[16], double dylm[16][3]);

#include <stddef.h>

/* The file a -pseudos name means, as an absolute path in `path`.  An absolute name is
 * taken as is; a relative one is looked up, first match wins, in: origin_dir (the folder
 * of the options file that gave -pseudos; NULL or "" = the working directory), then
 * pp_dirpath (ABINIT's -pp_dirpath; NULL or "" = none), then the pseudopotentials
 * shipped with strainfield (data/psp, installed as <prefix>/share/strainfield/psp), then
 * Debian's /usr/share/abinit/psp.  The file must be a regular file (not /dev/zero, a
 * FIFO or a folder), a given pp_dirpath a folder.  A name found nowhere is one error
 * listing the folders searched. */
int sf_psp_find(const char *name, const char *origin_dir, const char *pp_dirpath, char *path,
                size_t len);

#endif
