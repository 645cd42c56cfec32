// libpng reports errors by longjmp; that must not cross Swift frames, so all libpng calls stay in this file.
#include "crt_png.h"
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

typedef struct { char *error; size_t capacity; } crt_png_err;

static void crt_png_error_fn(png_structp png, png_const_charp msg) {
    crt_png_err *e = (crt_png_err *)png_get_error_ptr(png);
    if (e && e->error && e->capacity > 0) snprintf(e->error, e->capacity, "libpng: %s", msg);
    png_longjmp(png, 1);
}

static void crt_png_warning_fn(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

int crt_png_write_gray16(const char *path, const uint16_t *pixels, int width, int height,
                         char *error, size_t error_capacity) {
    crt_png_err err = { error, error_capacity };
    if (width <= 0 || height <= 0) {
        snprintf(error, error_capacity, "image size %d x %d is empty", width, height);
        return 1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) { snprintf(error, error_capacity, "cannot open for writing: %s", strerror(errno)); return 1; }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &err, crt_png_error_fn, crt_png_warning_fn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    unsigned char *row = (unsigned char *)malloc((size_t)width * 2);
    if (!png || !info || !row) {
        snprintf(error, error_capacity, "out of memory");
        if (png) png_destroy_write_struct(&png, info ? &info : NULL);
        free(row); fclose(f);
        return 1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row); fclose(f);
        return 1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 16, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) {
        const uint16_t *src = pixels + (size_t)y * (size_t)width;
        for (int x = 0; x < width; x++) { row[2 * x] = (unsigned char)(src[x] >> 8); row[2 * x + 1] = (unsigned char)(src[x] & 0xff); }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    if (fclose(f) != 0) { snprintf(error, error_capacity, "cannot close: %s", strerror(errno)); return 1; }
    return 0;
}

int crt_png_read_rgba8(const char *path, uint8_t **pixels, int *width, int *height, char *error, size_t error_capacity) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    *pixels = NULL;
    if (!png_image_begin_read_from_file(&image, path)) {
        snprintf(error, error_capacity, "libpng: %s", image.message);
        return 1;
    }
    image.format = PNG_FORMAT_RGBA;
    size_t size = PNG_IMAGE_SIZE(image);
    uint8_t *buffer = (uint8_t *)malloc(size);
    if (!buffer) { png_image_free(&image); snprintf(error, error_capacity, "out of memory"); return 1; }
    if (!png_image_finish_read(&image, NULL, buffer, 0, NULL)) {
        snprintf(error, error_capacity, "libpng: %s", image.message);
        free(buffer);
        png_image_free(&image);
        return 1;
    }
    *pixels = buffer;
    *width = (int)image.width;
    *height = (int)image.height;
    return 0;
}

void crt_png_free(uint8_t *pixels) { free(pixels); }
