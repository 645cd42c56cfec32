/*
 * crt_nifti.c: NIfTI-1 reading and writing through niftilib (libniftiio), behind the small API of crt_nifti.h.
 *
 * niftilib reports most problems on stderr and some of its functions return nothing; this file therefore checks
 * the inputs itself, sniffs headers before handing files to niftilib, and moves the voxel bytes itself: on writing
 * so that every write and the final close are checked, on reading because niftilib's loader silently replaces
 * NaN and infinite floats by 0. niftilib builds, writes and parses the headers (qform, sform, byte order).
 * Errors come back as one-line messages.
 */
#define HAVE_ZLIB 1 /* the Debian niftilib is built with zlib; znzFile's layout depends on it */
#include "crt_nifti.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <nifti1_io.h>

/* Largest size of one dimension in a NIfTI-1 header (dim[] is a signed 16-bit field). */
#define CRT_NIFTI_MAX_DIM 32767
/* fopen/gzopen mode for writing: gzip with zlib's run-length strategy (Z_RLE, mode letter 'R': matches only at
   distance 1, then Huffman coding). Noisy float32 images (all crtsim images carry noise) have almost no longer
   matches, and label volumes are runs: on a clinical case's 44 MB cine Z_RLE gave 89.0 % of raw in 0.45 s
   against level 1's 89.6 % in 1.23 s and level 6's 89.2 % in 1.43 s, and on its 11 MB label volume 4.5 % in
   0.02 s against 5.9 % (level 1) and 3.6 % in 0.09 s (level 6) (docs/performance.md). Any gzip reader reads it.
   The gzip header written by zlib carries no time stamp or name, so the bytes depend only on the input (and the
   zlib version). */
#define CRT_GZIP_WRITE_MODE "wb1R"
#define CRT_PLAIN_WRITE_MODE "wb"
/* Size of the NIfTI-1 header in bytes (sizeof_hdr). */
#define CRT_NIFTI1_HEADER_BYTES 348
/* Size of the NIfTI-2 header, recognised only to give a clear message. */
#define CRT_NIFTI2_HEADER_BYTES 540
/* Bytes handed to one znzwrite / gzread call (zlib takes an unsigned int length). */
#define CRT_IO_CHUNK_BYTES ((size_t)1 << 26)

struct crt_nifti_file {
    nifti_image *nim; /* header only (nim->data stays NULL) */
    void *data;       /* voxels as stored, in CPU byte order */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
    if (err == NULL || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* niftilib prints diagnostics to stderr at debug level >= 1; the messages returned here replace them. */
static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;
static void make_quiet(void) { nifti_set_debug_level(0); }
static void ensure_quiet(void) { pthread_once(&quiet_once, make_quiet); }

/* Some niftilib messages ("** ERROR: nifti_convert_nhdr2nim: bad dim[0]") are printed whatever the debug level.
   The header read runs with stderr redirected to a temporary file, under one lock (stderr is process-wide), and
   what niftilib printed comes back folded into one line, so that crtsim's own message is the only line. */
static pthread_mutex_t stderr_lock = PTHREAD_MUTEX_INITIALIZER;

static nifti_image *read_header_capturing(const char *path, char *said, size_t saidlen) {
    said[0] = '\0';
    pthread_mutex_lock(&stderr_lock);
    fflush(stderr);
    FILE *capture = tmpfile();
    int saved = -1;
    if (capture != NULL) {
        saved = dup(STDERR_FILENO);
        if (saved >= 0 && dup2(fileno(capture), STDERR_FILENO) < 0) {
            close(saved);
            saved = -1;
        }
    }
    nifti_image *nim = nifti_image_read(path, 0);
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, STDERR_FILENO);
        close(saved);
    }
    pthread_mutex_unlock(&stderr_lock);
    if (capture != NULL) {
        rewind(capture);
        size_t n = fread(said, 1, saidlen - 1, capture);
        said[n] = '\0';
        fclose(capture);
        /* One line: newlines become "; ", other control characters spaces, the "** " markers go. */
        size_t w = 0;
        for (size_t r = 0; r < n; r++) {
            char c = said[r];
            if (c == '*' && r + 2 < n && said[r + 1] == '*' && said[r + 2] == ' ') { r += 2; continue; }
            if (c == '\n') {
                if (r + 1 < n && w > 0 && w + 2 < saidlen) { said[w++] = ';'; said[w++] = ' '; }
                continue;
            }
            said[w++] = (unsigned char)c < 0x20 ? ' ' : c;
        }
        said[w] = '\0';
    }
    return nim;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ------------------------------------------------------------------------------------------------ writing */

int crt_nifti_write(const char *path, int ndim, const int64_t dims[4], int datatype, const double pixdim[4],
                    int xyzt_units, const double sform_ras[12], const void *data, const char *descrip,
                    char *err, size_t errlen) {
    ensure_quiet();
    if (path == NULL || dims == NULL || pixdim == NULL || sform_ras == NULL || data == NULL) {
        set_err(err, errlen, "NULL argument");
        return -1;
    }
    if (!ends_with(path, ".nii") && !ends_with(path, ".nii.gz")) {
        set_err(err, errlen, "file name must end in .nii or .nii.gz");
        return -1;
    }
    if (ndim != 3 && ndim != 4) {
        set_err(err, errlen, "ndim %d not supported (3 or 4)", ndim);
        return -1;
    }
    if (ndim == 3 && dims[3] != 1) {
        set_err(err, errlen, "a 3D image needs dims[3] = 1, got %lld", (long long)dims[3]);
        return -1;
    }
    for (int a = 0; a < 4; a++) {
        if (dims[a] < 1 || dims[a] > CRT_NIFTI_MAX_DIM) {
            set_err(err, errlen, "dimension %d has size %lld, allowed 1...%d", a + 1, (long long)dims[a],
                    CRT_NIFTI_MAX_DIM);
            return -1;
        }
    }
    for (int a = 0; a < 12; a++) {
        if (!isfinite(sform_ras[a])) {
            set_err(err, errlen, "affine element %d is not finite", a);
            return -1;
        }
    }
    for (int a = 0; a < ndim; a++) {
        if (!(pixdim[a] > 0) || !isfinite(pixdim[a])) {
            set_err(err, errlen, "pixdim[%d] = %g, must be finite and > 0", a + 1, pixdim[a]);
            return -1;
        }
    }
    if (datatype != CRT_NIFTI_FLOAT32 && datatype != CRT_NIFTI_UINT8) {
        set_err(err, errlen, "datatype %d not supported for writing (float32 = 16, uint8 = 2)", datatype);
        return -1;
    }

    int idims[8] = {ndim, (int)dims[0], (int)dims[1], (int)dims[2], (int)dims[3], 1, 1, 1};
    nifti_image *nim = nifti_make_new_nim(idims, datatype, 0);
    if (nim == NULL) {
        set_err(err, errlen, "niftilib could not create an image header");
        return -1;
    }
    if (nifti_set_filenames(nim, path, 0, 1) != 0) {
        nifti_image_free(nim);
        set_err(err, errlen, "niftilib rejected the file name");
        return -1;
    }
    nim->nifti_type = NIFTI_FTYPE_NIFTI1_1;

    nim->dx = nim->pixdim[1] = (float)pixdim[0];
    nim->dy = nim->pixdim[2] = (float)pixdim[1];
    nim->dz = nim->pixdim[3] = (float)pixdim[2];
    if (ndim == 4) nim->dt = nim->pixdim[4] = (float)pixdim[3];
    nim->xyz_units = XYZT_TO_SPACE(xyzt_units);
    nim->time_units = XYZT_TO_TIME(xyzt_units);

    mat44 m;
    memset(&m, 0, sizeof m);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++) m.m[r][c] = (float)sform_ras[4 * r + c];
    m.m[3][3] = 1.0f;

    nim->sform_code = NIFTI_XFORM_SCANNER_ANAT;
    nim->sto_xyz = m;
    nim->sto_ijk = nifti_mat44_inverse(m);

    float qdx, qdy, qdz;
    nifti_mat44_to_quatern(m, &nim->quatern_b, &nim->quatern_c, &nim->quatern_d, &nim->qoffset_x,
                           &nim->qoffset_y, &nim->qoffset_z, &qdx, &qdy, &qdz, &nim->qfac);
    nim->qform_code = NIFTI_XFORM_SCANNER_ANAT;
    nim->qto_xyz = nifti_quatern_to_mat44(nim->quatern_b, nim->quatern_c, nim->quatern_d, nim->qoffset_x,
                                          nim->qoffset_y, nim->qoffset_z, nim->dx, nim->dy, nim->dz, nim->qfac);
    nim->qto_ijk = nifti_mat44_inverse(nim->qto_xyz);
    nim->pixdim[0] = nim->qfac;

    memset(nim->descrip, 0, sizeof nim->descrip);
    if (descrip != NULL) strncpy(nim->descrip, descrip, sizeof nim->descrip - 1);

    /* Header only, file left open and positioned at the voxel offset; the data are written below so that a
       short write (full disk) is detected, which nifti_image_write() does not report. */
    const char *mode = ends_with(path, ".gz") ? CRT_GZIP_WRITE_MODE : CRT_PLAIN_WRITE_MODE;
    errno = 0;
    znzFile fp = nifti_image_write_hdr_img(nim, 2, mode);
    if (znz_isnull(fp)) {
        nifti_image_free(nim);
        set_err(err, errlen, "cannot open for writing: %s", errno ? strerror(errno) : "niftilib error");
        return -1;
    }
    size_t total = (size_t)nim->nvox * (size_t)nim->nbyper;
    nifti_image_free(nim);

    const unsigned char *bytes = (const unsigned char *)data;
    size_t done = 0;
    errno = 0;
    int failed = 0;
    while (done < total) {
        size_t n = total - done < CRT_IO_CHUNK_BYTES ? total - done : CRT_IO_CHUNK_BYTES;
        if (znzwrite(bytes + done, 1, n, fp) != n) {
            failed = 1;
            break;
        }
        done += n;
    }
    int saved_errno = errno;
    int close_status = znzclose(fp);
    if (failed) {
        set_err(err, errlen, "short write after %zu of %zu voxel bytes: %s", done, total,
                saved_errno ? strerror(saved_errno) : "write error");
        return -1;
    }
    if (close_status != 0) {
        set_err(err, errlen, "error while closing (flushing) the file: %s", errno ? strerror(errno) : "zlib error");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------------ reading */

/* Reads the first bytes (decompressing gzip transparently) and says what the file is, before niftilib sees it. */
static int sniff_header(const char *path, char *err, size_t errlen) {
    struct stat st;
    if (stat(path, &st) != 0) {
        set_err(err, errlen, errno == ENOENT ? "file not found" : "cannot access: %s", strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "is a directory, expected a NIfTI file");
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        /* A FIFO, socket or device: opening or reading it could block forever. */
        set_err(err, errlen, "is not a regular file (a FIFO, socket or device), expected a NIfTI file");
        return -1;
    }
    gzFile gz = gzopen(path, "rb");
    if (gz == NULL) {
        set_err(err, errlen, "cannot open: %s", strerror(errno));
        return -1;
    }
    unsigned char h[CRT_NIFTI1_HEADER_BYTES];
    int n = gzread(gz, h, sizeof h);
    int errnum = 0;
    const char *zmsg = n < 0 ? gzerror(gz, &errnum) : NULL;
    char zcopy[128] = {0};
    if (zmsg) strncpy(zcopy, zmsg, sizeof zcopy - 1);
    gzclose(gz);
    if (n < 0) {
        set_err(err, errlen, "not a NIfTI file (cannot decompress: %s)", zcopy);
        return -1;
    }
    if (n < 4) {
        set_err(err, errlen, "not a NIfTI file (only %d bytes)", n);
        return -1;
    }
    int32_t le = (int32_t)((uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24);
    int32_t be = (int32_t)((uint32_t)h[3] | (uint32_t)h[2] << 8 | (uint32_t)h[1] << 16 | (uint32_t)h[0] << 24);
    if (le == CRT_NIFTI2_HEADER_BYTES || be == CRT_NIFTI2_HEADER_BYTES) {
        set_err(err, errlen, "NIfTI-2 files are not supported (NIfTI-1 only)");
        return -1;
    }
    if (le != CRT_NIFTI1_HEADER_BYTES && be != CRT_NIFTI1_HEADER_BYTES) {
        set_err(err, errlen, "not a NIfTI file (header size field %d, expected %d)", (int)le,
                CRT_NIFTI1_HEADER_BYTES);
        return -1;
    }
    if (n < CRT_NIFTI1_HEADER_BYTES) {
        set_err(err, errlen, "truncated NIfTI header (%d of %d bytes)", n, CRT_NIFTI1_HEADER_BYTES);
        return -1;
    }
    return 0;
}

static int supported_read_type(int dt) {
    switch (dt) {
    case DT_UINT8: case DT_INT8: case DT_INT16: case DT_UINT16: case DT_INT32: case DT_UINT32:
    case DT_INT64: case DT_UINT64: case DT_FLOAT32: case DT_FLOAT64:
        return 1;
    default:
        return 0;
    }
}

/* Reads the voxel bytes as stored (niftilib's own loader would silently replace NaN and infinite floats by 0,
   hiding broken inputs), swapped to CPU byte order. Returns a malloc'ed buffer, or NULL with a message. */
static void *load_voxels(const nifti_image *nim, char *err, size_t errlen) {
    if (nim->nifti_type == NIFTI_FTYPE_ASCII || nim->iname_offset < 0) {
        set_err(err, errlen, "NIfTI files with ASCII headers are not supported");
        return NULL;
    }
    if (nim->iname == NULL) {
        set_err(err, errlen, "no image data file name in the header");
        return NULL;
    }
    /* The voxel count and byte count from dim[1...ndim], checked for overflow: niftilib multiplies the dims into
       nim->nvox in size_t without a check, so e.g. seven dimensions of 512 (2^63 voxels) of int16 wrapped the byte
       count to 0, passed the size check below, and nifti_swap_Nbytes then swapped 2^63 values of a 1-byte buffer
       (segfault; found reading this code for the Fuzz/ nifti target, confirmed with it). */
    size_t nvox = 1, total = 0;
    int overflow = nim->ndim < 1 || nim->ndim > 7 || nim->nbyper < 1;
    for (int a = 1; !overflow && a <= nim->ndim; a++) {
        if (nim->dim[a] < 1) {
            set_err(err, errlen, "invalid dimensions: dim[%d] = %d (each must be >= 1)", a, nim->dim[a]);
            return NULL;
        }
        overflow = __builtin_mul_overflow(nvox, (size_t)nim->dim[a], &nvox);
    }
    if (!overflow) overflow = __builtin_mul_overflow(nvox, (size_t)nim->nbyper, &total) || total > (size_t)INT64_MAX;
    if (overflow || nvox != nim->nvox) {
        set_err(err, errlen, "unsupported dimensions: %d dimensions (dim[1...7] = %d, %d, %d, %d, %d, %d, %d) of "
                "%d-byte voxels exceed a 64-bit byte count", nim->ndim, nim->dim[1], nim->dim[2], nim->dim[3],
                nim->dim[4], nim->dim[5], nim->dim[6], nim->dim[7], nim->nbyper);
        return NULL;
    }
    if (!nifti_is_gzfile(nim->iname)) {
        struct stat st;
        if (stat(nim->iname, &st) != 0) {
            set_err(err, errlen, "image data file %s: %s", nim->iname, strerror(errno));
            return NULL;
        }
        size_t available = (size_t)st.st_size > (size_t)nim->iname_offset
            ? (size_t)st.st_size - (size_t)nim->iname_offset : 0;
        if (available < total) {
            set_err(err, errlen, "cannot read the voxel data (file truncated: header promises %zu bytes of voxel "
                    "data, the file holds %zu)", total, available);
            return NULL;
        }
    }
    /* A plain file holds at least `total` bytes (checked above), so the buffer takes them at once. A gzip file's
       decompressed size is unknown until it is read, and its header may promise any size (a 4 KB file claiming
       40 GB made malloc ask for 40 GB; found with the Fuzz/ nifti target): the buffer starts at one chunk and
       doubles as data arrives, so memory stays within twice what the file really holds. */
    size_t capacity = nifti_is_gzfile(nim->iname) && total > CRT_IO_CHUNK_BYTES ? CRT_IO_CHUNK_BYTES : total;
    void *buf = malloc(capacity > 0 ? capacity : 1);
    if (buf == NULL) {
        set_err(err, errlen, "out of memory for %zu bytes of voxel data", capacity);
        return NULL;
    }
    gzFile gz = gzopen(nim->iname, "rb");
    if (gz == NULL) {
        free(buf);
        set_err(err, errlen, "cannot open image data %s: %s", nim->iname, strerror(errno));
        return NULL;
    }
    size_t done = 0;
    int ok = gzseek(gz, (z_off_t)nim->iname_offset, SEEK_SET) == (z_off_t)nim->iname_offset;
    while (ok && done < total) {
        if (done == capacity) {
            size_t grown = capacity > total / 2 ? total : 2 * capacity;
            void *bigger = realloc(buf, grown);
            if (bigger == NULL) {
                free(buf);
                gzclose(gz);
                set_err(err, errlen, "out of memory for %zu bytes of voxel data", grown);
                return NULL;
            }
            buf = bigger;
            capacity = grown;
        }
        size_t room = capacity - done;
        size_t want = room < CRT_IO_CHUNK_BYTES ? room : CRT_IO_CHUNK_BYTES;
        int got = gzread(gz, (unsigned char *)buf + done, (unsigned)want);
        if (got <= 0) break;
        done += (size_t)got;
    }
    gzclose(gz);
    if (done < total) {
        free(buf);
        set_err(err, errlen, "cannot read the voxel data (file truncated or corrupt: header promises %zu bytes of "
                "voxel data, read %zu)", total, done);
        return NULL;
    }
    if (nim->swapsize > 1 && nim->byteorder != nifti_short_order())
        nifti_swap_Nbytes(nim->nvox, nim->swapsize, buf);
    return buf;
}

crt_nifti_file *crt_nifti_open(const char *path, crt_nifti_info *info, char *err, size_t errlen) {
    ensure_quiet();
    if (path == NULL || info == NULL) {
        set_err(err, errlen, "NULL argument");
        return NULL;
    }
    memset(info, 0, sizeof *info);
    if (sniff_header(path, err, errlen) != 0) return NULL;

    /* Header only: the voxels are read by load_voxels() below. */
    char said[256];
    nifti_image *nim = read_header_capturing(path, said, sizeof said);
    if (nim == NULL) {
        if (said[0] != '\0')
            set_err(err, errlen, "niftilib could not parse the header (not a valid NIfTI-1 file): %s", said);
        else
            set_err(err, errlen, "niftilib could not parse the header (not a valid NIfTI-1 file)");
        return NULL;
    }
    if (!supported_read_type(nim->datatype)) {
        set_err(err, errlen, "unsupported datatype %s (%d); supported: uint8, int8, int16, uint16, int32, uint32, "
                "int64, uint64, float32, float64", nifti_datatype_string(nim->datatype), nim->datatype);
        nifti_image_free(nim);
        return NULL;
    }
    void *data = load_voxels(nim, err, errlen);
    if (data == NULL) {
        nifti_image_free(nim);
        return NULL;
    }

    info->ndim = nim->ndim;
    for (int a = 0; a < 7; a++) {
        info->dims[a] = a < nim->ndim ? nim->dim[a + 1] : 1;
        info->pixdim[a] = nim->pixdim[a + 1];
    }
    info->datatype = nim->datatype;
    info->xyz_units = nim->xyz_units;
    info->time_units = nim->time_units;
    info->qform_code = nim->qform_code;
    info->sform_code = nim->sform_code;
    const mat44 *m;
    if (nim->sform_code > 0) {
        m = &nim->sto_xyz;
        info->xform_source = CRT_NIFTI_XFORM_SFORM;
    } else {
        m = &nim->qto_xyz;
        info->xform_source = nim->qform_code > 0 ? CRT_NIFTI_XFORM_QFORM : CRT_NIFTI_XFORM_NONE;
    }
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++) info->affine_ras[4 * r + c] = m->m[r][c];
    info->scl_slope = nim->scl_slope;
    info->scl_inter = nim->scl_inter;
    memcpy(info->descrip, nim->descrip, 80);
    info->descrip[80] = '\0';

    crt_nifti_file *f = malloc(sizeof *f);
    if (f == NULL) {
        free(data);
        nifti_image_free(nim);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    f->nim = nim;
    f->data = data;
    return f;
}

int64_t crt_nifti_voxel_count(const crt_nifti_file *file) {
    return file == NULL ? 0 : (int64_t)file->nim->nvox;
}

#define CRT_CONVERT(CTYPE)                                                                                       \
    do {                                                                                                         \
        const CTYPE *src = (const CTYPE *)file->data;                                                             \
        if (scale)                                                                                               \
            for (int64_t q = 0; q < count; q++) dst[q] = (float)((double)src[q] * slope + inter);                \
        else                                                                                                     \
            for (int64_t q = 0; q < count; q++) dst[q] = (float)src[q];                                          \
    } while (0)

int64_t crt_nifti_copy_float(const crt_nifti_file *file, float *dst, int64_t count, int64_t *first_nonfinite,
                             char *err, size_t errlen) {
    if (file == NULL || dst == NULL) {
        set_err(err, errlen, "NULL argument");
        return -1;
    }
    const nifti_image *nim = file->nim;
    if (count != (int64_t)nim->nvox) {
        set_err(err, errlen, "buffer holds %lld values, the image has %lld voxels", (long long)count,
                (long long)nim->nvox);
        return -1;
    }
    double slope = nim->scl_slope, inter = nim->scl_inter;
    int scale = isfinite(slope) && slope != 0 && isfinite(inter) && !(slope == 1 && inter == 0);
    switch (nim->datatype) {
    case DT_UINT8: CRT_CONVERT(uint8_t); break;
    case DT_INT8: CRT_CONVERT(int8_t); break;
    case DT_INT16: CRT_CONVERT(int16_t); break;
    case DT_UINT16: CRT_CONVERT(uint16_t); break;
    case DT_INT32: CRT_CONVERT(int32_t); break;
    case DT_UINT32: CRT_CONVERT(uint32_t); break;
    case DT_INT64: CRT_CONVERT(int64_t); break;
    case DT_UINT64: CRT_CONVERT(uint64_t); break;
    case DT_FLOAT32: CRT_CONVERT(float); break;
    case DT_FLOAT64: CRT_CONVERT(double); break;
    default:
        set_err(err, errlen, "unsupported datatype %d", nim->datatype);
        return -1;
    }
    int64_t bad = 0, first = -1;
    for (int64_t q = 0; q < count; q++) {
        if (!isfinite(dst[q])) {
            if (first < 0) first = q;
            bad++;
        }
    }
    if (first_nonfinite) *first_nonfinite = first;
    return bad;
}

void crt_nifti_close(crt_nifti_file *file) {
    if (file == NULL) return;
    free(file->data);
    nifti_image_free(file->nim);
    free(file);
}
