/* predict_internal.h — shared by predict.c and predict_bench.c: the BLAS threads of field
 * reconstruction (sf_predict_set_reconstruct_threads), switched on around a
 * reconstruction and back to one thread after it. */
#ifndef STRAINFIELD_PREDICT_INTERNAL_H
#define STRAINFIELD_PREDICT_INTERNAL_H

void sf_predict_threads_on(void);
void sf_predict_threads_off(void);

#endif
