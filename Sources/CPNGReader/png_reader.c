// png_reader.c: see nn_png.h. libpng decodes (inflate, unfilter, palette index unpacking, low bit depths
// to 8); the conversion to gray with alpha over white and the placing of Adam7 passes are done here, per
// row, in integers.
//
// Strictness: the chunk structure (every CRC, chunk order, PLTE/tRNS rules, IEND last) has been checked
// by the caller (NNImage/PNGChunks.swift), so libpng skips CRCs and ignores the ancillary chunks we do not
// use. What only inflating can show is checked here: libpng's "benign errors" (extra compressed data,
// too much image data) are errors, the zlib stream's Adler-32 is checked, png_read_end reads the stream
// to its end, every palette index must be inside the palette, and the image data may not go on past
// the image's last row (a decompression bomb behind a 1x1 image is refused after one read buffer).
#include "nn_png.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Lives on the heap: after a longjmp, locals of the function that called setjmp and changed since are
// indeterminate in C, but heap memory is not.
typedef struct {
    const uint8_t *data;
    size_t size, offset;
    nn_png_gray *out;
    uint8_t *rows;           // one row of libpng's decoded samples (and, when interlaced, one gray row)
    uint32_t rows_left;      // rows (of every Adam7 pass) libpng has still to deliver
    int palette_entries;     // palette images: PLTE's entry count; 0 otherwise
} reader_state;

static void read_bytes(png_structp png, png_bytep dst, size_t n) {
    reader_state *s = png_get_io_ptr(png);
    if (n > s->size - s->offset) png_error(png, "Read Error: file truncated");
    memcpy(dst, s->data + s->offset, n);
    s->offset += n;
}

static void on_error(png_structp png, png_const_charp message) {
    reader_state *s = png_get_error_ptr(png);
    strncpy(s->out->message, message ? message : "unknown libpng error", sizeof s->out->message - 1);
    s->out->message[sizeof s->out->message - 1] = 0;
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) { (void)png; (void)message; }

static inline uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

// Bytes of IDAT data in the file after byte `from` (the chunk structure is known to be sound).
static size_t idat_bytes_after(const uint8_t *data, size_t size, size_t from) {
    size_t total = 0;
    for (size_t at = 8; size - at >= 12;) {
        const size_t start = at + 8, end = start + be32(data + at);
        if (memcmp(data + at + 4, "IDAT", 4) == 0 && end > from) total += end - (start > from ? start : from);
        at = end + 4;
    }
    return total;
}

// After the last row a valid zlib stream has only its end left: the end-of-block code, perhaps an empty
// block, the 4-byte Adler-32. libpng would inflate whatever follows in 1 KB steps before calling it "too
// much image data" (1.9 s for 1 GiB behind a 1x1 image); more than this many unread bytes is refused
// before it starts.
#define MAX_IDAT_BYTES_AFTER_ROWS 1024

// libpng's user transform runs on each row after its own transforms (indices unpacked to a byte each)
// and before libpng finishes the image data after the last row.
static void on_row(png_structp png, png_row_infop row, png_bytep samples) {
    reader_state *s = png_get_io_ptr(png);
    if (s->palette_entries) {
        uint8_t largest = 0;
        for (png_uint_32 x = 0; x < row->width; x++) largest = samples[x] > largest ? samples[x] : largest;
        if (largest >= s->palette_entries) {
            char message[120];
            snprintf(message, sizeof message, "palette index %u in row %u, the palette has %d entries", largest,
                     png_get_current_row_number(png), s->palette_entries);
            png_error(png, message);
        }
    }
    if (--s->rows_left == 0) {
        const size_t extra = idat_bytes_after(s->data, s->size, s->offset);
        if (extra > MAX_IDAT_BYTES_AFTER_ROWS) {
            char message[120];
            snprintf(message, sizeof message, "the compressed image data goes on for %zu bytes after the image's last row", extra);
            png_error(png, message);
        }
    }
}

// Every formula below is exact integer arithmetic in 32 bits (rounded divisions by 255 and 65535 done with
// shifts), so the loops vectorise; the AVX2 copy of convert_row runs 8 pixels per instruction.

// n / 255 rounded down, exact for n < 65408.
static inline uint32_t div255(uint32_t n) { return (n + 1 + (n >> 8)) >> 8; }
// n / 65535 rounded down, exact for n < 4294901760 (65535 x 65536).
static inline uint32_t div65535(uint32_t n) { return (n + 1 + (n >> 16)) >> 16; }

// Rec. 601 luma in fixed point (weights sum to 65536), 8- or 16-bit samples (at most 65536 x 65535 + 32768).
static inline uint32_t luma(uint32_t r, uint32_t g, uint32_t b) {
    return (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
}

// 8-bit: y*a + white*(1-a), rounded (numerator at most 65152).
static inline uint8_t over_white8(uint32_t y, uint32_t a) {
    return (uint8_t)div255(y * a + 255 * (255 - a) + 127);
}

// A 16-bit level to 8 bits, rounded (numerator at most 16744192).
static inline uint8_t to8(uint32_t v) { return (uint8_t)div65535(v * 255 + 32767); }

// 16-bit: y*a + white*(1-a) at 16 bits, then to 8 bits, each rounded (numerator at most 4294868992).
static inline uint8_t over_white16(uint32_t y, uint32_t a) {
    return to8(div65535(y * a + 65535 * (65535 - a) + 32767));
}

static inline uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }

// One decoded row (after libpng's transforms) to gray. Written once, inlined into a baseline and an AVX2
// copy: the baseline x86-64 build does not vectorise the interleaved samples well. (Not target_clones: its
// ifunc resolver runs before a sanitizer's runtime is up, and the instrumented resolver crashes.)
__attribute__((always_inline)) static inline void convert_row_body(const uint8_t *restrict src, uint8_t *restrict dst,
                                                                  uint32_t width, int channels, int wide,
                                                                  const uint8_t *restrict palette_gray) {
    if (palette_gray) {
        for (uint32_t x = 0; x < width; x++) dst[x] = palette_gray[src[x]];
        return;
    }
    if (!wide) {
        switch (channels) {
        case 1: memcpy(dst, src, width); break;
        case 2: for (uint32_t x = 0; x < width; x++) dst[x] = over_white8(src[2 * x], src[2 * x + 1]); break;
        case 3: for (uint32_t x = 0; x < width; x++) dst[x] = (uint8_t)luma(src[3 * x], src[3 * x + 1], src[3 * x + 2]); break;
        default:
            for (uint32_t x = 0; x < width; x++) {
                const uint8_t *p = src + 4 * x;
                dst[x] = over_white8(luma(p[0], p[1], p[2]), p[3]);
            }
        }
        return;
    }
    switch (channels) {
    case 1: for (uint32_t x = 0; x < width; x++) dst[x] = to8(be16(src + 2 * x)); break;
    case 2: for (uint32_t x = 0; x < width; x++) dst[x] = over_white16(be16(src + 4 * x), be16(src + 4 * x + 2)); break;
    case 3:
        for (uint32_t x = 0; x < width; x++) {
            const uint8_t *p = src + 6 * x;
            dst[x] = to8(luma(be16(p), be16(p + 2), be16(p + 4)));
        }
        break;
    default:
        for (uint32_t x = 0; x < width; x++) {
            const uint8_t *p = src + 8 * x;
            dst[x] = over_white16(luma(be16(p), be16(p + 2), be16(p + 4)), be16(p + 6));
        }
    }
}

static void convert_row_base(const uint8_t *restrict src, uint8_t *restrict dst, uint32_t width, int channels,
                             int wide, const uint8_t *restrict palette_gray) {
    convert_row_body(src, dst, width, channels, wide, palette_gray);
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void convert_row_avx2(const uint8_t *restrict src, uint8_t *restrict dst,
                                                             uint32_t width, int channels, int wide,
                                                             const uint8_t *restrict palette_gray) {
    convert_row_body(src, dst, width, channels, wide, palette_gray);
}
#endif

typedef void (*convert_fn)(const uint8_t *restrict, uint8_t *restrict, uint32_t, int, int, const uint8_t *restrict);

static convert_fn pick_convert_row(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) return convert_row_avx2;
#endif
    return convert_row_base;
}

// The parts that may longjmp. Everything they allocate is reachable from the arguments, so the caller
// can free it whichever way they end.
static int decode(png_structp png, png_infop info, uint64_t max_pixels, reader_state *s) {
    nn_png_gray *out = s->out;
    png_read_info(png, info);
    png_uint_32 width, height;
    int depth, type, interlace;
    png_get_IHDR(png, info, &width, &height, &depth, &type, &interlace, NULL, NULL);
    out->width = width;
    out->height = height;
    if (width == 0 || height == 0 || (uint64_t)width * height > max_pixels) return NN_PNG_SIZE;

    // Palette: indices one per byte, mapped through a 256-entry gray table (alpha already composited).
    // An index past the palette's end is refused (on_row).
    uint8_t palette_gray[256];
    int use_palette = type == PNG_COLOR_TYPE_PALETTE;
    if (use_palette) {
        png_colorp palette = NULL;
        int count = 0;
        png_bytep trans = NULL;
        int trans_count = 0;
        png_get_PLTE(png, info, &palette, &count);
        s->palette_entries = count;
        if (png_get_valid(png, info, PNG_INFO_tRNS)) png_get_tRNS(png, info, &trans, &trans_count, NULL);
        for (int i = 0; i < 256; i++) {
            uint32_t y = i < count ? luma(palette[i].red, palette[i].green, palette[i].blue) : 0;
            uint32_t a = i < trans_count ? trans[i] : 255;
            palette_gray[i] = over_white8(y, a);
        }
        if (depth < 8) png_set_packing(png);
    } else {
        if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
        if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    }
    // No png_set_interlace_handling: an Adam7 image arrives as its seven reduced sub-images, each row
    // converted to gray and its pixels placed here. libpng's own de-interlacing would expand every pass
    // into a full-width, full-size buffer of decoded samples (up to 8 bytes a pixel), written sparsely
    // seven times; placing one gray byte a pixel made interlaced files 1.1-2.2x faster to decode.
    png_set_read_user_transform_fn(png, on_row);
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    int wide = png_get_bit_depth(png, info) == 16;
    const uint8_t *lut = use_palette ? palette_gray : NULL;
    const convert_fn convert_row = pick_convert_row();
    uint8_t *pixels = malloc((size_t)width * height);
    if (!pixels) png_error(png, "out of memory");
    out->pixels = pixels;
    if (interlace == PNG_INTERLACE_NONE) {
        s->rows_left = height;
    } else {
        for (int pass = 0; pass < 7; pass++)
            if (PNG_PASS_COLS(width, pass) != 0) s->rows_left += PNG_PASS_ROWS(height, pass);
    }

    if (interlace == PNG_INTERLACE_NONE) {
        // Row by row, converted as it arrives; 8-bit gray needs no conversion and lands in place.
        if (channels == 1 && !wide && !lut) {
            for (png_uint_32 y = 0; y < height; y++) png_read_row(png, pixels + (size_t)y * width, NULL);
            png_read_end(png, NULL);
            return NN_PNG_OK;
        }
        s->rows = malloc(png_get_rowbytes(png, info));
        if (!s->rows) png_error(png, "out of memory");
        for (png_uint_32 y = 0; y < height; y++) {
            png_read_row(png, s->rows, NULL);
            convert_row(s->rows, pixels + (size_t)y * width, width, channels, wide, lut);
        }
    } else {
        // A pass's row is at most as wide as the image: one row buffer and one gray row serve them all.
        s->rows = malloc(png_get_rowbytes(png, info) + width);
        if (!s->rows) png_error(png, "out of memory");
        uint8_t *gray = s->rows + png_get_rowbytes(png, info);
        for (int pass = 0; pass < 7; pass++) {
            const png_uint_32 cols = PNG_PASS_COLS(width, pass), rows = PNG_PASS_ROWS(height, pass);
            if (cols == 0 || rows == 0) continue;  // libpng skips empty passes too
            const png_uint_32 x0 = PNG_PASS_START_COL(pass), dx = 1u << PNG_PASS_COL_SHIFT(pass);
            for (png_uint_32 r = 0; r < rows; r++) {
                png_read_row(png, s->rows, NULL);
                convert_row(s->rows, gray, cols, channels, wide, lut);
                uint8_t *dst = pixels + (size_t)PNG_ROW_FROM_PASS_ROW(r, pass) * width + x0;
                for (png_uint_32 x = 0; x < cols; x++) dst[(size_t)x * dx] = gray[x];
            }
        }
    }
    // the rest of the zlib stream (its end and Adler-32, nothing more) and the chunks up to IEND
    png_read_end(png, NULL);
    return NN_PNG_OK;
}

int nn_png_read_gray(const uint8_t *data, size_t size, uint64_t max_pixels, nn_png_gray *out) {
    memset(out, 0, sizeof *out);
    reader_state *state = calloc(1, sizeof *state);
    if (!state) {
        strcpy(out->message, "out of memory");
        return NN_PNG_CORRUPT;
    }
    state->data = data;
    state->size = size;
    state->out = out;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, state, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    volatile int status = NN_PNG_CORRUPT;
    if (!png || !info) {
        strcpy(out->message, "out of memory");
    } else if (setjmp(png_jmpbuf(png)) == 0) {
        png_set_read_fn(png, state, read_bytes);
        png_set_benign_errors(png, 0);
        // Every CRC has been checked (PNGChunks.swift): libpng need not compute them again.
        png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
        // The ancillary chunks other than tRNS are skipped unread (gamma, colour spaces and text do not
        // change the gray levels we make, and libpng's checks of their contents are not ours to fail).
        png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
        status = decode(png, info, max_pixels, state);
    }
    if (png) png_destroy_read_struct(&png, info ? &info : NULL, NULL);
    free(state->rows);
    free(state);
    if (status != NN_PNG_OK) {
        free(out->pixels);
        out->pixels = NULL;
    }
    return status;
}
