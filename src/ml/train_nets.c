/* train_nets.c — an untrained network of the train settings and its output scalers,
 * shared by the training workflow (analysis/train_workflow.c) and cross-validation
 * (cv.c), so that both build exactly the same networks. */
#include "strainfield/core.h"
#include "strainfield/train.h"

#include <math.h>

const char *const sf_train_net_names[SF_NNET] = {
#define SF_NET_NAME_(id, name, units, meaning) #name,
    SF_FIELDS(SF_NET_NAME_)
#undef SF_NET_NAME_
    "xred", "energy"};

int sf_train_make_net(const sf_train_cfg *c, int i, int nout, uint64_t seed, sf_mlp *m)
{
  int w[SF_MLP_MAXLAYER + 1];
  w[0] = 6;
  for (int l = 0; l < c->nhidden[i]; l++) w[l + 1] = c->hidden[i][l];
  w[c->nhidden[i] + 1] = nout;
  SF_CHECK(sf_mlp_create(m, c->nhidden[i] + 1, w, seed));
  return SF_OK;
}

void sf_train_set_scalers(const sf_train_cfg *c, int f, const sf_pca *pca, sf_mlp *m, const double *X,
                          const double *Y, int n)
{
  sf_mlp_fit_scalers(m, X, Y, n);
  if (f >= 0 && c->coef_scaling[f] >= 1 && pca && pca->eig[0] > 0) {
    /* one scale for all coefficients: the MSE loss is then proportional to the L2 error
     * of the reconstructed field, the quantity NRMSE measures */
    const int k = m->width[m->nlayer];
    for (int j = 0; j < k; j++) m->ystd[j] = sqrt(pca->eig[0]);
  }
}
