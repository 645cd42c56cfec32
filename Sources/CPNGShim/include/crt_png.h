#ifndef CRT_PNG_H
#define CRT_PNG_H
#include <stddef.h>
#include <stdint.h>

/// Writes a 16-bit greyscale PNG (no gamma chunk, no time stamp: the bytes depend only on the pixels).
/// `pixels` holds width * height values, row by row from the top, native byte order.
/// Returns 0 on success; otherwise fills `error` (capacity `error_capacity`) with a one-line message.
int crt_png_write_gray16(const char *path, const uint16_t *pixels, int width, int height,
                         char *error, size_t error_capacity);

/// Reads any PNG as 8-bit RGBA (libpng's simplified API: palette, grey, 16-bit and alpha are converted).
/// On success returns 0 and sets `*pixels` (width * height * 4 bytes, row by row from the top; free with
/// `crt_png_free`), `*width` and `*height`; otherwise fills `error` with a one-line message.
int crt_png_read_rgba8(const char *path, uint8_t **pixels, int *width, int *height, char *error, size_t error_capacity);

/// Frees pixels returned by `crt_png_read_rgba8`.
void crt_png_free(uint8_t *pixels);
#endif
