// nn_png.h: PNG file -> 8-bit grayscale, through libpng's full API.
//
// libpng reports errors with longjmp. Every setjmp/longjmp pair lives inside png_reader.c, so no Swift
// frame is ever jumped over: Swift calls nn_png_read_gray and gets a status code and a message back.
#ifndef NN_PNG_H
#define NN_PNG_H

#include <stddef.h>
#include <stdint.h>

enum {
    NN_PNG_OK = 0,
    NN_PNG_CORRUPT = 1,   // libpng refused the file; message holds its reason
    NN_PNG_SIZE = 2,      // width x height is 0 or over max_pixels; width and height hold the header's size
};

typedef struct {
    uint32_t width, height;
    uint8_t *pixels;      // width*height bytes, row-major, 0 black .. 255 white; free() it (NN_PNG_OK only)
    char message[200];    // NUL-terminated (NN_PNG_CORRUPT only)
} nn_png_gray;

/// Decodes any PNG (every colour type, bit depth 1-16, palette, tRNS, alpha, Adam7) to 8-bit gray.
/// Colour becomes Rec. 601 luma of the stored (gamma-encoded) samples; alpha is composited over white;
/// 16-bit samples are combined at 16 bits and rounded to 8 once at the end.
int nn_png_read_gray(const uint8_t *data, size_t size, uint64_t max_pixels, nn_png_gray *out);

#endif
