#include "crt_nifti.h"
