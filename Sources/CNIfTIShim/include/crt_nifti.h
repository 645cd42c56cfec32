#ifndef CRT_NIFTI_H
#define CRT_NIFTI_H
/* placeholder */
#endif
