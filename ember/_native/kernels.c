/* Ember's native kernels: exact u8 x s8 -> s32 GEMM and float32 erf-GELU forward/backward.
 *
 * Plain C compiled on first use (see __init__.py); loops are written for GCC/Clang -O3
 * auto-vectorization. Built with -ffp-contract=off: each float operation rounds as NumPy's
 * does, so the GELU forward equals the NumPy path bit for bit on every machine. Every entry
 * point checks the sizes it relies on and returns a negative code instead of touching memory
 * it was not given.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EMBER_API __attribute__((visibility("default")))

/* |u8 * s8| <= 255 * 128 = 32640, so an int32 dot product over up to 65536 terms cannot
 * overflow; larger K is refused (the NumPy path handles it). */
#define EMBER_MAX_K 65536

EMBER_API int ember_native_abi(void) { return 1; }

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#include <immintrin.h>
/* AVX-512 VNNI versions of the two blocked kernels: vpdpbusd (u8 x s8 products summed four at
 * a time into int32 lanes, non-saturating and exact: |sum| <= 4 * 32640), masked loads for the
 * row tails, and one shuffle tree reducing four accumulators at once instead of GCC's separate
 * horizontal sums (a batch-128 Linear measured about 1.5x faster than with the auto-vectorized
 * loops). The portable loops in the #else branch are the reference; tests compare both
 * builds with NumPy. */

static inline __m128i reduce4(__m512i s0, __m512i s1, __m512i s2, __m512i s3) {
    __m256i r0 = _mm256_add_epi32(_mm512_castsi512_si256(s0), _mm512_extracti64x4_epi64(s0, 1));
    __m256i r1 = _mm256_add_epi32(_mm512_castsi512_si256(s1), _mm512_extracti64x4_epi64(s1, 1));
    __m256i r2 = _mm256_add_epi32(_mm512_castsi512_si256(s2), _mm512_extracti64x4_epi64(s2, 1));
    __m256i r3 = _mm256_add_epi32(_mm512_castsi512_si256(s3), _mm512_extracti64x4_epi64(s3, 1));
    __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(r0, r1), _mm256_hadd_epi32(r2, r3));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

static inline __m512i load_k(const void *p, int64_t rest) {
    if (rest >= 64) return _mm512_loadu_si512(p);
    return _mm512_maskz_loadu_epi8((__mmask64)((1ULL << rest) - 1), p); /* reads nothing past */
}

static void dot4x4(const uint8_t *restrict x, int64_t ldx, const int8_t *restrict w,
                   int64_t ldw, int64_t K, int32_t acc[16]) {
    __m512i s[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) s[i][j] = _mm512_setzero_si512();
    for (int64_t k = 0; k < K; k += 64) {
        __m512i b0 = load_k(w + k, K - k), b1 = load_k(w + ldw + k, K - k);
        __m512i b2 = load_k(w + 2 * ldw + k, K - k), b3 = load_k(w + 3 * ldw + k, K - k);
        for (int i = 0; i < 4; i++) {
            __m512i a = load_k(x + i * ldx + k, K - k);
            s[i][0] = _mm512_dpbusd_epi32(s[i][0], a, b0);
            s[i][1] = _mm512_dpbusd_epi32(s[i][1], a, b1);
            s[i][2] = _mm512_dpbusd_epi32(s[i][2], a, b2);
            s[i][3] = _mm512_dpbusd_epi32(s[i][3], a, b3);
        }
    }
    for (int i = 0; i < 4; i++)
        _mm_storeu_si128((__m128i *)(acc + 4 * i), reduce4(s[i][0], s[i][1], s[i][2], s[i][3]));
}

static void dot1x4(const uint8_t *restrict x, const int8_t *restrict w, int64_t ldw,
                   int64_t K, int32_t acc[4]) {
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
    for (int64_t k = 0; k < K; k += 64) {
        __m512i a = load_k(x + k, K - k);
        s0 = _mm512_dpbusd_epi32(s0, a, load_k(w + k, K - k));
        s1 = _mm512_dpbusd_epi32(s1, a, load_k(w + ldw + k, K - k));
        s2 = _mm512_dpbusd_epi32(s2, a, load_k(w + 2 * ldw + k, K - k));
        s3 = _mm512_dpbusd_epi32(s3, a, load_k(w + 3 * ldw + k, K - k));
    }
    _mm_storeu_si128((__m128i *)acc, reduce4(s0, s1, s2, s3));
}
#else
/* out[i][j] = dot(x_i, w_j) for a 4 x 4 block: 16 independent reductions that the
 * vectorizer turns into widening u8 x s8 dot products (vpdpbusd where available). */
static void dot4x4(const uint8_t *restrict x, int64_t ldx, const int8_t *restrict w,
                   int64_t ldw, int64_t K, int32_t acc[16]) {
    const uint8_t *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
    const int8_t *w0 = w, *w1 = w + ldw, *w2 = w + 2 * ldw, *w3 = w + 3 * ldw;
    int32_t s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
    int32_t s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
    for (int64_t k = 0; k < K; k++) {
        int32_t a0 = x0[k], a1 = x1[k], a2 = x2[k], a3 = x3[k];
        int32_t b0 = w0[k], b1 = w1[k], b2 = w2[k], b3 = w3[k];
        s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
        s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
        s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
        s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
    }
    acc[0] = s00; acc[1] = s01; acc[2] = s02; acc[3] = s03;
    acc[4] = s10; acc[5] = s11; acc[6] = s12; acc[7] = s13;
    acc[8] = s20; acc[9] = s21; acc[10] = s22; acc[11] = s23;
    acc[12] = s30; acc[13] = s31; acc[14] = s32; acc[15] = s33;
}

/* One x row against four w rows (batch 1 and the rows left over from the 4 x 4 blocks). */
static void dot1x4(const uint8_t *restrict x, const int8_t *restrict w, int64_t ldw,
                   int64_t K, int32_t acc[4]) {
    const int8_t *w0 = w, *w1 = w + ldw, *w2 = w + 2 * ldw, *w3 = w + 3 * ldw;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int64_t k = 0; k < K; k++) {
        int32_t a = x[k];
        s0 += a * w0[k]; s1 += a * w1[k]; s2 += a * w2[k]; s3 += a * w3[k];
    }
    acc[0] = s0; acc[1] = s1; acc[2] = s2; acc[3] = s3;
}
#endif

static int32_t dot1x1(const uint8_t *restrict x, const int8_t *restrict w, int64_t K) {
    int32_t s = 0;
    for (int64_t k = 0; k < K; k++) s += (int32_t)x[k] * (int32_t)w[k];
    return s;
}

static int32_t sum_u8(const uint8_t *restrict x, int64_t K) {
    int32_t s = 0;
    for (int64_t k = 0; k < K; k++) s += x[k];
    return s;
}

static int32_t sum_s8(const int8_t *restrict w, int64_t K) {
    int32_t s = 0;
    for (int64_t k = 0; k < K; k++) s += w[k];
    return s;
}

/* Zero-point corrections applied to a raw dot product, in 64 bits then wrapped to int32 the
 * way an int32 accumulator would wrap (only reachable for K near EMBER_MAX_K). */
static inline int32_t fix(int32_t dot, int64_t xzp, int64_t wsum, int64_t wzp, int64_t xsum,
                          int64_t K) {
    int64_t v = (int64_t)dot - xzp * wsum - wzp * xsum + K * xzp * wzp;
    return (int32_t)(uint32_t)(uint64_t)v;
}

/* out[m, n] = sum_k (x[m, k] - x_zp) * (w[n, k] - w_zp[n * zp_stride]) exactly, for rows
 * n in [n0, n1) (a caller may split N between threads). The inner loops are plain dot
 * products of the stored values; the zero points enter through row sums afterwards:
 * acc = x.w - x_zp sum(w) - w_zp sum(x) + K x_zp w_zp. Returns 0, or -1 for sizes out of
 * range. w_sum: sum_k w[n, k] per row (precomputed when a weight is packed), or NULL to
 * compute it here. */
static int gemm_rows(int64_t M, int64_t K, int64_t kd, const uint8_t *x, int64_t ldx,
                     int32_t x_zp, const int8_t *w0, int64_t ldw, const int32_t *w_zp,
                     int64_t zp_stride, const int32_t *w_sum, int32_t *out, int64_t ldo,
                     int64_t n0, int64_t n1);

/* Rows copied into zero-filled rows of a multiple of 64 bytes: the vectorized dot products
 * cover short rows whole instead of leaving them to the scalar remainder loop (a conv's
 * K = C * kh * kw is often small and odd). Zeros add nothing to a dot product. */
#define EMBER_PAD 64

static void *padded(const void *src, int64_t rows, int64_t K, int64_t ld, int64_t kp) {
    uint8_t *dst = calloc((size_t)rows, (size_t)kp);
    if (dst)
        for (int64_t r = 0; r < rows; r++) memcpy(dst + r * kp, (const uint8_t *)src + r * ld, K);
    return dst;
}

EMBER_API int ember_u8s8_gemm(int64_t M, int64_t N, int64_t K, const uint8_t *x, int64_t ldx,
                              int32_t x_zp, const int8_t *w, int64_t ldw, const int32_t *w_zp,
                              int64_t zp_stride, const int32_t *w_sum, int32_t *out,
                              int64_t ldo, int64_t n0, int64_t n1) {
    if (M <= 0 || N <= 0 || K <= 0 || K > EMBER_MAX_K || ldx < K || ldw < K || ldo < N)
        return -1;
    if (n0 < 0 || n1 > N || n0 > n1 || zp_stride < 0 || zp_stride > 1) return -1;
    if (M > INT64_MAX / ldx || N > INT64_MAX / ldw || M > INT64_MAX / ldo) return -1;
    int64_t kp = (K + EMBER_PAD - 1) / EMBER_PAD * EMBER_PAD;
    if (kp != K && K < 1024) {
        int64_t nw = n1 - n0;
        uint8_t *xp = padded(x, M, K, ldx, kp);
        int8_t *wp = nw ? padded(w + n0 * ldw, nw, K, ldw, kp) : NULL;
        int rc = -2;
        if (xp && (wp || !nw))
            rc = gemm_rows(M, K, kp, xp, kp, x_zp, wp, kp, w_zp, zp_stride, w_sum, out, ldo,
                           n0, n1);
        free(xp);
        free(wp);
        if (rc != -2) return rc;
    }
    return gemm_rows(M, K, K, x, ldx, x_zp, w + n0 * ldw, ldw, w_zp, zp_stride, w_sum, out, ldo,
                     n0, n1);
}

/* The GEMM proper for output columns [n0, n1): dot products over kd >= K bytes (the bytes past
 * K are zeros), w0 is w's row n0 (rows of stride ldw), K enters the zero-point correction. */
static int gemm_rows(int64_t M, int64_t K, int64_t kd, const uint8_t *x, int64_t ldx,
                     int32_t x_zp, const int8_t *w0, int64_t ldw, const int32_t *w_zp,
                     int64_t zp_stride, const int32_t *w_sum, int32_t *out, int64_t ldo,
                     int64_t n0, int64_t n1) {
    int32_t xsum[256];
    int64_t mstep = M < 256 ? M : 256; /* x rows handled per pass: their sums fit the stack */
    for (int64_t mb = 0; mb < M; mb += mstep) {
        int64_t me = mb + mstep < M ? mb + mstep : M;
        for (int64_t m = mb; m < me; m++) xsum[m - mb] = sum_u8(x + m * ldx, kd);
        int64_t n = n0;
        for (; n + 4 <= n1; n += 4) {
            const int8_t *wn = w0 + (n - n0) * ldw;
            int64_t ws[4], wz[4];
            for (int j = 0; j < 4; j++) {
                ws[j] = !x_zp ? 0 : w_sum ? w_sum[n + j] : sum_s8(wn + j * ldw, kd);
                wz[j] = w_zp[(n + j) * zp_stride];
            }
            int64_t m = mb;
            int32_t acc[16];
            for (; m + 4 <= me; m += 4) {
                dot4x4(x + m * ldx, ldx, wn, ldw, kd, acc);
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++)
                        out[(m + i) * ldo + n + j] =
                            fix(acc[4 * i + j], x_zp, ws[j], wz[j], xsum[m + i - mb], K);
            }
            for (; m < me; m++) {
                dot1x4(x + m * ldx, wn, ldw, kd, acc);
                for (int j = 0; j < 4; j++)
                    out[m * ldo + n + j] = fix(acc[j], x_zp, ws[j], wz[j], xsum[m - mb], K);
            }
        }
        for (; n < n1; n++) {
            const int8_t *wn = w0 + (n - n0) * ldw;
            int64_t ws = !x_zp ? 0 : w_sum ? w_sum[n] : sum_s8(wn, kd), wz = w_zp[n * zp_stride];
            for (int64_t m = mb; m < me; m++)
                out[m * ldo + n] = fix(dot1x1(x + m * ldx, wn, kd), x_zp, ws, wz,
                                       xsum[m - mb], K);
        }
    }
    return 0;
}

/* Dynamic quantization's two ends, as fbgemm (and int8_gemm.py's NumPy code) computes them:
 * q = clamp(rint(x * inv_scale) + zp, 0, 255) in float32, rounding half to even (NaN -> 0). */
EMBER_API int ember_quantize_u8(int64_t n, const float *restrict x, float inv_scale, int32_t zp,
                                uint8_t *restrict q) {
    if (n < 0 || zp < 0 || zp > 255) return -1;
    const float fzp = (float)zp;
    for (int64_t i = 0; i < n; i++) {
        float y = __builtin_rintf(x[i] * inv_scale) + fzp;
        y = y > 0.0f ? y : 0.0f;
        y = y < 255.0f ? y : 255.0f;
        q[i] = (uint8_t)(int32_t)y;
    }
    return 0;
}

/* y[m, n] = float32(double(acc[m, n]) * scale[n] + bias[n]): one product and one add in double
 * and one rounding to float32 (bias may be NULL). */
EMBER_API int ember_dequantize_acc(int64_t M, int64_t N, const int32_t *restrict acc,
                                   const double *restrict scale, const float *restrict bias,
                                   float *restrict y) {
    if (M < 0 || N < 0 || (N > 0 && M > INT64_MAX / N)) return -1;
    for (int64_t m = 0; m < M; m++) {
        const int32_t *a = acc + m * N;
        float *o = y + m * N;
        if (bias)
            for (int64_t j = 0; j < N; j++) o[j] = (float)((double)a[j] * scale[j] + bias[j]);
        else
            for (int64_t j = 0; j < N; j++) o[j] = (float)((double)a[j] * scale[j]);
    }
    return 0;
}

/* A dynamically quantized Linear in one call (float32 x (M, K) -> float32 y (M, N)):
 * ember_quantize_u8, ember_u8s8_gemm, ember_dequantize_acc, with the uint8 batch and the int32
 * accumulator in scratch memory; -2 when that cannot be allocated. */
EMBER_API int ember_dynamic_linear(int64_t M, int64_t N, int64_t K, const float *x,
                                   float inv_scale, int32_t x_zp, const int8_t *w,
                                   const int32_t *w_zp, int64_t zp_stride, const int32_t *w_sum,
                                   const double *scale, const float *bias, float *y) {
    if (M <= 0 || N <= 0 || K <= 0 || M > INT64_MAX / K || M > INT64_MAX / N) return -1;
    uint8_t *xq = malloc((size_t)(M * K));
    int32_t *acc = malloc((size_t)(M * N) * sizeof(int32_t));
    int rc = -2;
    if (xq && acc) {
        rc = ember_quantize_u8(M * K, x, inv_scale, x_zp, xq);
        if (rc == 0)
            rc = ember_u8s8_gemm(M, N, K, xq, K, x_zp, w, K, w_zp, zp_stride, w_sum, acc, N, 0,
                                 N);
        if (rc == 0) rc = ember_dequantize_acc(M, N, acc, scale, bias, y);
    }
    free(xq);
    free(acc);
    return rc;
}

/* ---------------------------------------------------------------- GELU (erf form), float32 */

/* Phi(x) = 1/2 + xc P(xc^2) / Q(xc^2), xc = clamp(x, -clip, clip): P has 7 coefficients and Q
 * 5, highest power first (the same float32 constants as the NumPy path). */
EMBER_API int ember_gelu_f32(int64_t n, const float *restrict x, float *restrict y,
                             float *restrict aux, const float *P, const float *Q, float clip) {
    if (n < 0) return -1;
    const float p0 = P[0], p1 = P[1], p2 = P[2], p3 = P[3], p4 = P[4], p5 = P[5], p6 = P[6];
    const float q0 = Q[0], q1 = Q[1], q2 = Q[2], q3 = Q[3], q4 = Q[4];
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        float xc = v < -clip ? -clip : (v > clip ? clip : v);
        xc = v != v ? v : xc; /* NaN stays NaN, as np.clip keeps it */
        float z = xc * xc;
        float p = (((((p0 * z + p1) * z + p2) * z + p3) * z + p4) * z + p5) * z + p6;
        float q = (((q0 * z + q1) * z + q2) * z + q3) * z + q4;
        float phi = xc * (p / q) + 0.5f;
        /* the rational tail can leave [0, 1] by an ulp: torch's gelu(-10) is -0, not +6e-7 */
        phi = phi < 0.0f ? 0.0f : (phi > 1.0f ? 1.0f : phi);
        aux[i] = phi;
        /* torch's float32 kernel gives NaN at both infinities */
        y[i] = (v == INFINITY || v == -INFINITY) ? NAN : v * phi;
    }
    return 0;
}

/* exp(t) for t <= 0 in float32 (max error ~1 ulp): t = k ln2 + r, |r| <= ln2/2, e^r by a
 * degree-6 polynomial, 2^k built in the exponent bits; 0 below -87.3 (no denormals). */
static inline float exp_nonpos(float t) {
    const float ln2_hi = 0.693145751953125f, ln2_lo = 1.428606765330187e-06f;
    float tc = t < -87.3f ? -87.3f : t;
    /* round to nearest by adding 1.5 * 2^23 (no -ffast-math, so the compiler keeps it) */
    float kf = (tc * 1.4426950408889634f + 12582912.0f) - 12582912.0f;
    float r = tc - kf * ln2_hi;
    r = r - kf * ln2_lo;
    float e = 1.3981999507e-3f;
    e = e * r + 8.3334519073e-3f;
    e = e * r + 4.1665795894e-2f;
    e = e * r + 1.6666665459e-1f;
    e = e * r + 5.0000001201e-1f;
    e = e * r * r + r + 1.0f;
    union { float f; int32_t i; } u;
    u.i = ((int32_t)kf + 127) << 23;
    float res = e * u.f;
    return t < -87.3f ? 0.0f : res;
}

/* gx = g * (Phi(x) + x phi(x)), with Phi(x) = aux from the forward. */
EMBER_API int ember_gelu_backward_f32(int64_t n, const float *restrict x, const float *restrict g,
                                      const float *restrict aux, float *restrict gx) {
    if (n < 0) return -1;
    const float inv_sqrt_2pi = 0.3989422804014327f;
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        /* the NumPy path's order of operations (no contraction: -ffp-contract=off) */
        float d = exp_nonpos((v * v) * -0.5f) * v * inv_sqrt_2pi + aux[i];
        gx[i] = d * g[i];
    }
    return 0;
}
