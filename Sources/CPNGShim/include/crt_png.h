#ifndef CRT_PNG_H
#define CRT_PNG_H
#include <stddef.h>
#include <stdint.h>

/// Writes a 16-bit greyscale PNG (no gamma chunk, no time stamp: the bytes depend only on the pixels).
/// `pixels` holds width * height values, row by row from the top, native byte order.
/// Returns 0 on success; otherwise fills `error` (capacity `error_capacity`) with a one-line message.
int crt_png_write_gray16(const char *path, const uint16_t *pixels, int width, int height,
                         char *error, size_t error_capacity);
#endif
