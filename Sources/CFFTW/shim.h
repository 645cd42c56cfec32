#include <fftw3.h>
/// FFTW's version string (an array of unknown size, which Swift cannot import directly).
static inline const char *crt_fftw_version(void) { return fftw_version; }
