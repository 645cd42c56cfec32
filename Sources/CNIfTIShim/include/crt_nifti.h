#ifndef CRT_NIFTI_H
#define CRT_NIFTI_H
/*
 * crt_nifti: a small C API around niftilib (NIfTI-1) so that Swift never sees the niftilib headers.
 *
 * Conventions
 *   - Array axes are (i, j, k, t) = (column, row, slice, frame); i varies fastest in memory.
 *   - Affines are 3x4 row-major, mapping a voxel index (i, j, k) to NIfTI world coordinates (RAS, in the file's
 *     spatial unit; crtsim writes mm).
 *   - Every function reports failure through its return value and a NUL-terminated message in `err`
 *     (capacity `errlen`); nothing here aborts or exits.
 *   - The functions are safe to call from several threads on different files.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* NIfTI-1 datatype codes (nifti1.h DT_*), repeated here so that callers need not include niftilib. */
enum {
    CRT_NIFTI_UINT8 = 2,
    CRT_NIFTI_INT16 = 4,
    CRT_NIFTI_INT32 = 8,
    CRT_NIFTI_FLOAT32 = 16,
    CRT_NIFTI_FLOAT64 = 64,
    CRT_NIFTI_INT8 = 256,
    CRT_NIFTI_UINT16 = 512,
    CRT_NIFTI_UINT32 = 768,
    CRT_NIFTI_INT64 = 1024,
    CRT_NIFTI_UINT64 = 1280
};

/* NIfTI-1 unit codes (nifti1.h NIFTI_UNITS_*). xyzt_units = spatial code | temporal code. */
enum {
    CRT_NIFTI_UNITS_UNKNOWN = 0,
    CRT_NIFTI_UNITS_METER = 1,
    CRT_NIFTI_UNITS_MM = 2,
    CRT_NIFTI_UNITS_MICRON = 3,
    CRT_NIFTI_UNITS_SEC = 8,
    CRT_NIFTI_UNITS_MSEC = 16,
    CRT_NIFTI_UNITS_USEC = 24
};

/* Which header transform `crt_nifti_info.affine_ras` came from. */
enum {
    CRT_NIFTI_XFORM_NONE = 0,  /* neither qform nor sform set (ANALYZE-style; affine is diag(pixdim)) */
    CRT_NIFTI_XFORM_QFORM = 1, /* sform_code == 0, qform_code > 0 */
    CRT_NIFTI_XFORM_SFORM = 2  /* sform_code > 0 */
};

/*
 * Writes a NIfTI-1 single file (`.nii`, or `.nii.gz` gzip-compressed, chosen by the path's ending).
 *   ndim        3 or 4; dims[3] must be 1 when ndim == 3.
 *   dims        sizes along i, j, k, t (each 1...32767).
 *   datatype    CRT_NIFTI_FLOAT32 or CRT_NIFTI_UINT8; `data` holds dims[0]*dims[1]*dims[2]*dims[3] values.
 *   pixdim      grid spacings along i, j, k (spatial unit) and t (temporal unit); pixdim[3] is ignored for 3D.
 *   xyzt_units  e.g. CRT_NIFTI_UNITS_MM | CRT_NIFTI_UNITS_MSEC.
 *   sform_ras   3x4 row-major voxel -> RAS affine; written as the sform and (orthogonalised) as the qform, both
 *               with code NIFTI_XFORM_SCANNER_ANAT.
 *   descrip     stored in the 80-byte descrip field (truncated to 79 bytes); may be NULL.
 * The output is byte-deterministic: the same arguments always give the same file (the gzip header carries no
 * time stamp). Returns 0 on success, -1 with a message in `err` on failure (a partial file may remain).
 */
int crt_nifti_write(const char *path, int ndim, const int64_t dims[4], int datatype, const double pixdim[4],
                    int xyzt_units, const double sform_ras[12], const void *data, const char *descrip,
                    char *err, size_t errlen);

/* Header facts of an opened file. */
typedef struct crt_nifti_info {
    int ndim;              /* dim[0] */
    int64_t dims[7];       /* dim[1...7]; entries beyond ndim are 1 */
    int datatype;          /* DT_* code as stored */
    double pixdim[7];      /* pixdim[1...7] as stored (file units) */
    int xyz_units;         /* spatial unit code (CRT_NIFTI_UNITS_*) */
    int time_units;        /* temporal unit code */
    double affine_ras[12]; /* 3x4 row-major voxel -> RAS affine in the spatial unit, from the sform or qform */
    int xform_source;      /* CRT_NIFTI_XFORM_* */
    int qform_code, sform_code;
    double scl_slope, scl_inter; /* as stored; scaling applies when slope is finite and non-zero */
    char descrip[81];
} crt_nifti_info;

/* An opened file with its voxel data in memory (opaque). */
typedef struct crt_nifti_file crt_nifti_file;

/*
 * Opens and reads a NIfTI-1 file (.nii, .nii.gz, or a .hdr/.img pair), fills `info`.
 * Supported datatypes: uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32, float64.
 * Returns NULL with a message in `err` when the file is missing, unreadable, not NIfTI-1, has an unsupported
 * datatype, or holds fewer bytes than its header promises.
 */
crt_nifti_file *crt_nifti_open(const char *path, crt_nifti_info *info, char *err, size_t errlen);

/* Number of voxels (product of all dims). */
int64_t crt_nifti_voxel_count(const crt_nifti_file *file);

/*
 * Converts the voxels to float32 into `dst` (capacity `count`, which must equal the voxel count), applying
 * value * scl_slope + scl_inter when the slope is finite and non-zero and (slope, inter) != (1, 0).
 * Returns the number of non-finite (NaN or infinite) results, and the linear index of the first one in
 * `first_nonfinite` (-1 if none); returns -1 with a message in `err` when `count` is wrong.
 */
int64_t crt_nifti_copy_float(const crt_nifti_file *file, float *dst, int64_t count, int64_t *first_nonfinite,
                             char *err, size_t errlen);

/* Frees the file (NULL is allowed). */
void crt_nifti_close(crt_nifti_file *file);

#ifdef __cplusplus
}
#endif
#endif
