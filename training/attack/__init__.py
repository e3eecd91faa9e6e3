"""Training of the ATT&CK sentence model (``python -m training.attack``)."""

import os

# one BLAS/OpenMP thread: the machines that train are shared; set before numpy is first imported
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
