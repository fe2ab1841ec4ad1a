/* crystal.h — the periodic cell: lattice, atoms, strain, symmetry, k-points, Ewald.
 *
 * Owns: building the lattice from ABINIT-style inputs (acell/rprim/angdeg) or from a
 * strain D = (λa, λb, λc, θa, θb, θc) of a reference cell; the space group (spglib);
 * the Monkhorst-Pack mesh reduced to the irreducible wedge; the ion-ion Ewald energy
 * with its forces and stress.
 *
 * Conventions (Hartree atomic units, lengths in Bohr):
 *   rprimd[i][:]  lattice vector a_(i+1) in Cartesian coordinates (ABINIT's rprimd(:,i+1))
 *   gprimd[i][:]  reciprocal vector b_(i+1) with a_i·b_j = δ_ij (no 2π, as ABINIT)
 *   reduced coordinates: r = Σ_i xred[i] a_i ;  k = Σ_i kred[i] b_i (times 2π for the wavevector)
 */
#ifndef STRAINFIELD_CRYSTAL_H
#define STRAINFIELD_CRYSTAL_H

#define SF_MAXSYM 192

typedef struct {
  double rprimd[3][3];
  double gprimd[3][3];
  double ucvol;      /* Bohr^3, > 0 */
  int natom, ntypat;
  int *typat;        /* [natom], 0-based type index */
  double (*xred)[3]; /* [natom] */
  double *znucl;     /* [ntypat] nuclear charge (identifies the element) */
  double *zion;      /* [ntypat] valence (pseudo-ion) charge, set from the psp */
} sf_cell;

/* Smallest accepted relative volume V / (|a1| |a2| |a3|) (1 for orthogonal vectors, 0 for
 * coplanar ones; sin of the angle between c and the ab plane times sin(gamma)).  Round-off
 * of the cosines (~1e-16) enters V² linearly, so exactly coplanar inputs such as angles
 * 120 120 120 come out near 1e-8: 1e-3 is five decades above that, while the flattest
 * physically meaningful cells stay far above it (angles 60 60 60: 0.71; the campaigns'
 * 84..96 deg: > 0.97; a cell with c only 0.06 deg out of the ab plane: 1e-3).  Below it
 * the reciprocal vectors exceed 1000 times the direct ones and every lattice sum degrades. */
#define SF_CELL_MIN_RELVOL 1e-3
/* Bound on the lattice points any search of the crystal module visits (periodic images of
 * the distance check, Ewald's real- and reciprocal-space sums, k-point meshes): above it
 * the input is refused (SF_ERR_INPUT) instead of running for hours. */
#define SF_CELL_MAX_POINTS 20000000L

/* Signed V / (|a1| |a2| |a3|) of the rows of rprimd (0 if a vector is zero). */
double sf_lattice_relative_volume(const double rprimd[3][3]);
/* Checks angles (degrees, as -angdeg: angle(b,c), angle(a,c), angle(a,b)): each in (0, 180)
 * and together forming a cell with relative volume >= SF_CELL_MIN_RELVOL.  Error
 * SF_ERR_INPUT otherwise; the message says what is wrong and names no option, so that the
 * caller can put the option (or file:line) in front. */
int sf_lattice_check_angles(const double angdeg[3]);
/* rprimd from acell and rprim, rprim given as ABINIT lists it: 9 numbers, vector 1 first,
 * vector i scaled by acell[i].  Refuses (SF_ERR_INPUT) non-positive acell, left-handed
 * vectors and relative volume below SF_CELL_MIN_RELVOL.  Like every lattice builder below,
 * its messages name no option (the caller prefixes it). */
int sf_lattice_from_rprim(const double acell[3], const double rprim[9], double rprimd[3][3]);
/* rprimd from acell and angdeg (α = angle(b,c), β = angle(a,c), γ = angle(a,b), degrees),
 * in ABINIT's orientation for angdeg. */
int sf_lattice_from_angdeg(const double acell[3], const double angdeg[3], double rprimd[3][3]);
/* The strained cell: lengths |a_i| = λ_i |a0_i|, angles θ (degrees) as angdeg, oriented as
 * sf_lattice_from_angdeg.  D = (λa, λb, λc, θa, θb, θc). */
int sf_lattice_from_strain(const double ref_rprimd[3][3], const double D[6], double rprimd[3][3]);
/* The lattice under a small strain ε (symmetric, Cartesian): a_i = (I + ε) a0_i (rows). */
void sf_lattice_apply_strain(const double ref_rprimd[3][3], const double eps[3][3], double rprimd[3][3]);
/* det m (for rows a, b, c: the signed volume a · (b × c)). */
double sf_mat3_det(const double m[3][3]);
/* inv = m⁻¹; SF_ERR_INPUT when |det m| < 1e-14 (a deformation gradient that flattens the cell). */
int sf_mat3_inverse(const double m[3][3], double inv[3][3]);

/* Fills gprimd and ucvol, checks the cell: error (SF_ERR_INPUT) for a zero, negative
 * (left-handed) or degenerate volume (relative volume below SF_CELL_MIN_RELVOL), and for
 * two atoms closer than min_dist Bohr (periodic images included; messages name the atoms;
 * a search over more than SF_CELL_MAX_POINTS images is refused). */
int sf_cell_finish(sf_cell *cell, double min_dist);
int sf_cell_alloc(sf_cell *cell, int natom, int ntypat);
void sf_cell_free(sf_cell *cell);
/* Cartesian position of atom ia. */
void sf_cell_xcart(const sf_cell *cell, int ia, double x[3]);
/* Cartesian wavevector 2π Σ_i g_i b_i (Bohr^-1) of integer reduced g, and its squared norm. */
double sf_cell_gcart(const sf_cell *cell, const int g[3], double q[3]);

/* Space group operations in reduced coordinates: x' = rot·x + tnons (ABINIT's symrel, tnons). */
typedef struct {
  int nsym;
  int rot[SF_MAXSYM][3][3];
  double tnons[SF_MAXSYM][3];
} sf_symmetry;

/* spglib with tolerance tol (Bohr); nsym >= 1 (the identity first). */
/* Averages positions xred (natom × 3; predicted ones carry a model's error, which breaks
 * the symmetry the SCF enforces and its symmetrised forces could never remove) over the
 * images of each atom under sym; SF_ERR_INPUT when an image lands on no atom of its type. */
int sf_symmetry_average_xred(const sf_symmetry *sym, const sf_cell *cell, double (*xred)[3]);
int sf_symmetry_find(const sf_cell *cell, double tol, sf_symmetry *sym);
/* Only the identity: for -nosym / tests. */
void sf_symmetry_identity(sf_symmetry *sym);

typedef struct {
  int nkpt;
  double (*kred)[3]; /* [nkpt] reduced coordinates in units of b_i */
  double *wtk;       /* [nkpt] weights, sum 1 */
} sf_kpoints;

/* Monkhorst-Pack mesh ngkpt with nshiftk shifts (ABINIT's shiftk), reduced to the
 * irreducible wedge with the point group of sym and, if time_reversal, k ~ -k.
 * The number of points and their weights equal ABINIT's kptopt 1 for the same input. */
int sf_kpoints_monkhorst_pack(const sf_symmetry *sym, const int ngkpt[3], int nshiftk,
                              const double (*shiftk)[3], int time_reversal, sf_kpoints *kp);
/* The same for ABINIT's kptrlatt (kptrlatt[i][j] = ABINIT's kptrlatt(i+1,j+1); its columns are
 * the real-space superlattice vectors in units of the a_i; ngkpt is diag(ngkpt)): the mesh is
 * k = kptrlatt^{-T} (n + shiftk) in units of the b_i, |det kptrlatt| points per shift, the
 * shifts in the basis of the superlattice's reciprocal vectors, as in ABINIT. */
int sf_kpoints_kptrlatt(const sf_symmetry *sym, const int kptrlatt[3][3], int nshiftk,
                        const double (*shiftk)[3], int time_reversal, sf_kpoints *kp);
void sf_kpoints_free(sf_kpoints *kp);

/* Ion-ion energy of point charges zion in a uniform compensating background (ABINIT's
 * "Ewald energy"), Ha.  fcart [natom][3] (Ha/Bohr) and stress[6] (Voigt xx yy zz yz xz xy,
 * Ha/Bohr^3, ABINIT's sign: σ = (1/Ω) ∂E/∂ε) are filled when non-NULL. */
int sf_ewald(const sf_cell *cell, double *energy, double (*fcart)[3], double stress[6]);

#endif
