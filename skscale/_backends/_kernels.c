/*
 * skscale's compiled kernels: the scalers' hot loops as single passes.
 *
 * NumPy needs several passes over the data for what these do in one: the
 * shifted sums of a fit (a subtraction into a temporary, two matrix-vector
 * products and a squaring), the affine map of a transform (a subtraction, a
 * division and a finiteness check), the column sums of a sparse matrix (one
 * pass per sum, through scipy's sparse products) and the scaling of its
 * stored values (a gathered copy of the scales, then the division). Each
 * kernel here reads its input once and writes its output once, with the same
 * arithmetic as the NumPy path it replaces (no -ffast-math: the operations
 * are neither reordered nor fused), so the two paths agree to rounding and
 * the map is identical.
 *
 * They are called through ctypes (skscale/_backends/_compiled.py), which keeps
 * this file free of the NumPy C API: plain pointers, element strides and
 * int64 sizes. The module init at the end exists only so that setuptools
 * builds and installs the file as an ordinary extension; it uses CPython's
 * limited API (3.11 and later), so one build, tagged abi3, serves every
 * Python version. When it is not built (no compiler), skscale runs the
 * NumPy path, which gives the same results.
 *
 * The sparse kernels trust nothing of a matrix's structure: scipy does not
 * check index ranges by default, so every column index and every indptr run
 * is checked against the sizes the caller gives, and a malformed matrix
 * returns SK_MALFORMED (the caller raises a ValueError) instead of reading or
 * writing out of bounds.
 */
#ifndef Py_LIMITED_API
#define Py_LIMITED_API 0x030B0000
#endif
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(_MSC_VER)
#define SK_EXPORT __declspec(dllexport)
#define SK_RESTRICT __restrict
#else
#define SK_EXPORT __attribute__((visibility("default")))
#define SK_RESTRICT __restrict__
#endif

/* The dense kernels are compiled twice where GCC can (x86-64 Linux, whose
 * glibc resolves GNU indirect functions, ifunc): for AVX2, whose vector
 * divisions are twice as wide as the baseline's SSE2 ones (the division
 * bounds the float64 map), and for the baseline; the loader picks the one
 * the processor runs. Neither fuses a multiply and an add
 * (-ffp-contract=off), so both give identical results. Elsewhere (clang,
 * macOS, Windows, musl, ARM) there is no ifunc and only the baseline is
 * built: the same arithmetic, with narrower vectors.
 *
 * So that the baseline can be tested on a machine that has AVX2 (where the
 * loader would never pick it), each dense kernel is also exported as
 * NAME_baseline, compiled with the baseline flags only: the same code as
 * the "default" clone. SKSCALE_KERNELS_BASELINE=1 makes _compiled.py call
 * those. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&         \
    defined(__linux__)
#define SK_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#define SK_HAS_CLONES 1
#else
#define SK_VECTOR_CLONES
#define SK_HAS_CLONES 0
#endif
#define SK_NO_CLONES

/* What a sparse kernel returns for a matrix whose indices or indptr do not
 * fit the sizes given. */
#define SK_MALFORMED (-1)

/* An index outside [0, bound): one unsigned comparison (a negative index
 * wraps to a huge one), marked unlikely so the loop is laid out for the
 * valid case. */
#if defined(__GNUC__) || defined(__clang__)
#define SK_OUTSIDE(i, bound)                                                   \
    __builtin_expect((uint64_t)(i) >= (uint64_t)(bound), 0)
#else
#define SK_OUTSIDE(i, bound) ((uint64_t)(i) >= (uint64_t)(bound))
#endif

/* A value is +/-inf: NaN is not (it compares false). */
#define SK_IS_INF(v) (fabs((double)(v)) == INFINITY)

/* ------------------------------------------------------------------------ */
/* Dense moments: per column, sum(w * (x - shift)) and sum(w * (x - shift)^2)
 * over the n rows of a block, accumulated in double. rs and cs are the row
 * and column strides in elements (a C-ordered block has cs == 1, an
 * F-ordered one rs == 1). w may be NULL (unit weights). The sums are
 * overwritten. NaN or inf makes a sum non-finite; the caller then takes
 * the slow path that looks at individual values. */
#define SK_SHIFTED_SUMS(NAME, T, CLONES)                                       \
    SK_EXPORT CLONES void NAME(                                                \
        const T *SK_RESTRICT X, int64_t n, int64_t p,                          \
                        int64_t rs, int64_t cs, const double *SK_RESTRICT w,   \
                        const double *SK_RESTRICT shift,                       \
                        double *SK_RESTRICT sum, double *SK_RESTRICT sq)       \
    {                                                                          \
        for (int64_t j = 0; j < p; j++) {                                      \
            sum[j] = 0.0;                                                      \
            sq[j] = 0.0;                                                       \
        }                                                                      \
        if (rs == 1 && (cs != 1 || p == 1)) {                                  \
            /* column by column, down contiguous memory */                     \
            for (int64_t j = 0; j < p; j++) {                                  \
                const T *col = X + j * cs;                                     \
                const double c = shift[j];                                     \
                double s = 0.0, q = 0.0;                                       \
                if (w == NULL) {                                               \
                    for (int64_t i = 0; i < n; i++) {                          \
                        const double d = (double)col[i] - c;                   \
                        s += d;                                                \
                        q += d * d;                                            \
                    }                                                          \
                } else {                                                       \
                    for (int64_t i = 0; i < n; i++) {                          \
                        const double d = (double)col[i] - c;                   \
                        s += w[i] * d;                                         \
                        q += w[i] * (d * d);                                   \
                    }                                                          \
                }                                                              \
                sum[j] = s;                                                    \
                sq[j] = q;                                                     \
            }                                                                  \
            return;                                                            \
        }                                                                      \
        for (int64_t i = 0; i < n; i++) {                                      \
            const T *row = X + i * rs;                                         \
            if (cs == 1) {                                                     \
                if (w == NULL) {                                               \
                    for (int64_t j = 0; j < p; j++) {                          \
                        const double d = (double)row[j] - shift[j];            \
                        sum[j] += d;                                           \
                        sq[j] += d * d;                                        \
                    }                                                          \
                } else {                                                       \
                    const double wi = w[i];                                    \
                    for (int64_t j = 0; j < p; j++) {                          \
                        const double d = (double)row[j] - shift[j];            \
                        sum[j] += wi * d;                                      \
                        sq[j] += wi * (d * d);                                 \
                    }                                                          \
                }                                                              \
            } else {                                                           \
                const double wi = (w == NULL) ? 1.0 : w[i];                    \
                for (int64_t j = 0; j < p; j++) {                              \
                    const double d = (double)row[j * cs] - shift[j];           \
                    sum[j] += wi * d;                                          \
                    sq[j] += wi * (d * d);                                     \
                }                                                              \
            }                                                                  \
        }                                                                      \
    }

SK_SHIFTED_SUMS(sk_shifted_sums_f64, double, SK_VECTOR_CLONES)
SK_SHIFTED_SUMS(sk_shifted_sums_f32, float, SK_VECTOR_CLONES)
SK_SHIFTED_SUMS(sk_shifted_sums_f64_baseline, double, SK_NO_CLONES)
SK_SHIFTED_SUMS(sk_shifted_sums_f32_baseline, float, SK_NO_CLONES)

/* The same sums for a block holding NaN, which are skipped: per column also
 * the weight of the values present (count) and the number of values present
 * in rows of positive weight (values). A NaN adds exactly 0 to every sum
 * (its deviation and weight are masked, without a branch), so the sums of
 * the values present are those of the kernel above, in the same order. +/-inf
 * still makes a sum non-finite. */
#define SK_MISSING_SUMS(NAME, T, CLONES)                                       \
    SK_EXPORT CLONES void NAME(                                                \
        const T *SK_RESTRICT X, int64_t n, int64_t p, int64_t rs, int64_t cs,  \
        const double *SK_RESTRICT w, const double *SK_RESTRICT shift,          \
        double *SK_RESTRICT count, double *SK_RESTRICT values,                 \
        double *SK_RESTRICT sum, double *SK_RESTRICT sq)                       \
    {                                                                          \
        for (int64_t j = 0; j < p; j++) {                                      \
            count[j] = 0.0;                                                    \
            values[j] = 0.0;                                                   \
            sum[j] = 0.0;                                                      \
            sq[j] = 0.0;                                                       \
        }                                                                      \
        if (rs == 1 && (cs != 1 || p == 1)) {                                  \
            for (int64_t j = 0; j < p; j++) {                                  \
                const T *col = X + j * cs;                                     \
                const double c = shift[j];                                     \
                double m = 0.0, v = 0.0, s = 0.0, q = 0.0;                     \
                for (int64_t i = 0; i < n; i++) {                              \
                    const double raw = (double)col[i] - c;                     \
                    const int here = raw == raw;                               \
                    const double d = here ? raw : 0.0;                         \
                    const double wi = (w == NULL) ? 1.0 : w[i];                \
                    const double wd = here ? wi : 0.0;                         \
                    m += wd;                                                   \
                    v += (here && wi > 0.0) ? 1.0 : 0.0;                       \
                    s += wd * d;                                               \
                    q += wd * (d * d);                                         \
                }                                                              \
                count[j] = m;                                                  \
                values[j] = v;                                                 \
                sum[j] = s;                                                    \
                sq[j] = q;                                                     \
            }                                                                  \
            return;                                                            \
        }                                                                      \
        for (int64_t i = 0; i < n; i++) {                                      \
            const double wi = (w == NULL) ? 1.0 : w[i];                        \
            const double positive = wi > 0.0 ? 1.0 : 0.0;                      \
            for (int64_t j = 0; j < p; j++) {                                  \
                const double raw = (double)X[i * rs + j * cs] - shift[j];      \
                const int here = raw == raw;                                   \
                const double d = here ? raw : 0.0;                             \
                const double wd = here ? wi : 0.0;                             \
                count[j] += wd;                                                \
                values[j] += here ? positive : 0.0;                            \
                sum[j] += wd * d;                                              \
                sq[j] += wd * (d * d);                                         \
            }                                                                  \
        }                                                                      \
    }

SK_MISSING_SUMS(sk_missing_sums_f64, double, SK_VECTOR_CLONES)
SK_MISSING_SUMS(sk_missing_sums_f32, float, SK_VECTOR_CLONES)
SK_MISSING_SUMS(sk_missing_sums_f64_baseline, double, SK_NO_CLONES)
SK_MISSING_SUMS(sk_missing_sums_f32_baseline, float, SK_NO_CLONES)

/* ------------------------------------------------------------------------ */
/* The affine map of a dense array, n rows by p columns; strides in elements
 * for the input (rs, cs) and the output (ors, ocs), which may be the input
 * itself (an in-place map: hence no restrict on either). Returns 1 if the input
 * holds +/-inf (the caller raises, naming the column), else 0.
 *
 * double: forward  out = (x - center) / scale   (division, as NumPy's path)
 *         inverse  out = x * scale + center
 * float:  forward  out = ((x - high) - low) * reciprocal, all in float: the
 *         center split in two float parts (see skscale/_backends/dense.py). */
#define SK_LOOP_2D(BODY)                                                       \
    if (rs == 1 && ors == 1 && (p == 1 || cs != 1 || ocs != 1)) {              \
        /* column by column, down contiguous memory */                         \
        for (int64_t j = 0; j < p; j++) {                                      \
            const T *xc = X + j * cs;                                          \
            T *oc = out + j * ocs;                                             \
            for (int64_t i = 0; i < n; i++) {                                  \
                const T x = xc[i];                                             \
                bad |= SK_IS_INF(x);                                           \
                oc[i] = BODY;                                                  \
            }                                                                  \
        }                                                                      \
    } else if (cs == 1 && ocs == 1) {                                          \
        for (int64_t i = 0; i < n; i++) {                                      \
            const T *xr = X + i * rs;                                          \
            T *orow = out + i * ors;                                           \
            for (int64_t j = 0; j < p; j++) {                                  \
                const T x = xr[j];                                             \
                bad |= SK_IS_INF(x);                                           \
                orow[j] = BODY;                                                \
            }                                                                  \
        }                                                                      \
    } else {                                                                   \
        for (int64_t i = 0; i < n; i++) {                                      \
            for (int64_t j = 0; j < p; j++) {                                  \
                const T x = X[i * rs + j * cs];                                \
                bad |= SK_IS_INF(x);                                           \
                out[i * ors + j * ocs] = BODY;                                 \
            }                                                                  \
        }                                                                      \
    }

#define SK_AFFINE_F64(NAME, CLONES)                                            \
    SK_EXPORT CLONES int NAME(const double *X, double *out, int64_t n,         \
                              int64_t p, int64_t rs, int64_t cs, int64_t ors,  \
                              int64_t ocs, const double *SK_RESTRICT center,   \
                              const double *SK_RESTRICT scale, int inverse)    \
    {                                                                          \
        typedef double T;                                                      \
        int bad = 0;                                                           \
        if (inverse) {                                                         \
            SK_LOOP_2D(x * scale[j] + center[j])                               \
        } else {                                                               \
            SK_LOOP_2D((x - center[j]) / scale[j])                             \
        }                                                                      \
        return bad;                                                            \
    }

#define SK_AFFINE_F32(NAME, CLONES)                                            \
    SK_EXPORT CLONES int NAME(const float *X, float *out, int64_t n,           \
                              int64_t p, int64_t rs, int64_t cs, int64_t ors,  \
                              int64_t ocs, const float *SK_RESTRICT high,      \
                              const float *SK_RESTRICT low,                    \
                              const float *SK_RESTRICT reciprocal)             \
    {                                                                          \
        typedef float T;                                                       \
        int bad = 0;                                                           \
        SK_LOOP_2D(((x - high[j]) - low[j]) * reciprocal[j])                   \
        return bad;                                                            \
    }

SK_AFFINE_F64(sk_affine_f64, SK_VECTOR_CLONES)
SK_AFFINE_F32(sk_affine_f32, SK_VECTOR_CLONES)
SK_AFFINE_F64(sk_affine_f64_baseline, SK_NO_CLONES)
SK_AFFINE_F32(sk_affine_f32_baseline, SK_NO_CLONES)

/* Whether the loader picked the AVX2 clones (the resolver's own test). */
SK_EXPORT int sk_uses_avx2(void)
{
#if SK_HAS_CLONES
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

/* ------------------------------------------------------------------------ */
/* Sparse matrices: data (T) and index arrays (I: int32 or int64).
 *
 * Column sums of the stored values and of their squares, in double. CSR
 * scatters by column index; CSC sums each column's run of values. The sums
 * are added to (the caller zeroes them). Return 0, or SK_MALFORMED for a
 * column index outside [0, p) (CSR) or an indptr run outside [0, nnz] or
 * decreasing (CSC): data holds nnz values. */
#define SK_CSR_SUMS(NAME, T, I)                                                \
    SK_EXPORT int NAME(const T *SK_RESTRICT data,                              \
                       const I *SK_RESTRICT columns, int64_t nnz, int64_t p,   \
                       double *SK_RESTRICT sum, double *SK_RESTRICT sq)        \
    {                                                                          \
        /* the two sums of a column side by side: one cache line per value */ \
        double *pair = (double *)calloc((size_t)(2 * p + 1), sizeof(double)); \
        if (pair == NULL) {                                                    \
            for (int64_t k = 0; k < nnz; k++) {                                \
                const double v = (double)data[k];                              \
                const int64_t c = (int64_t)columns[k];                         \
                if (SK_OUTSIDE(c, p))                                          \
                    return SK_MALFORMED;                                       \
                sum[c] += v;                                                   \
                sq[c] += v * v;                                                \
            }                                                                  \
            return 0;                                                          \
        }                                                                      \
        int bad = 0;                                                           \
        for (int64_t k = 0; k < nnz; k++) {                                    \
            const double v = (double)data[k];                                  \
            const int64_t c = (int64_t)columns[k];                             \
            if (SK_OUTSIDE(c, p)) {                                            \
                bad = 1;                                                       \
                break;                                                         \
            }                                                                  \
            pair[2 * c] += v;                                                  \
            pair[2 * c + 1] += v * v;                                          \
        }                                                                      \
        for (int64_t c = 0; c < p; c++) {                                      \
            sum[c] += pair[2 * c];                                             \
            sq[c] += pair[2 * c + 1];                                          \
        }                                                                      \
        free(pair);                                                            \
        return bad ? SK_MALFORMED : 0;                                         \
    }

/* Whether indptr[0..n_runs] describes runs within nnz values: non-negative,
 * not decreasing, the last at most nnz. */
#define SK_RUNS_OK(NAME, I)                                                    \
    static int NAME(const I *indptr, int64_t n_runs, int64_t nnz)              \
    {                                                                          \
        if ((int64_t)indptr[0] < 0)                                            \
            return 0;                                                          \
        for (int64_t c = 0; c < n_runs; c++)                                   \
            if (indptr[c + 1] < indptr[c])                                     \
                return 0;                                                      \
        return (int64_t)indptr[n_runs] <= nnz;                                 \
    }

SK_RUNS_OK(sk_runs_ok_i32, int32_t)
SK_RUNS_OK(sk_runs_ok_i64, int64_t)

#define SK_CSC_SUMS(NAME, T, I, RUNS_OK)                                       \
    SK_EXPORT int NAME(const T *SK_RESTRICT data,                              \
                       const I *SK_RESTRICT indptr, int64_t n_columns,         \
                       int64_t nnz, double *SK_RESTRICT sum,                   \
                       double *SK_RESTRICT sq)                                 \
    {                                                                          \
        if (!RUNS_OK(indptr, n_columns, nnz))                                  \
            return SK_MALFORMED;                                               \
        for (int64_t c = 0; c < n_columns; c++) {                              \
            /* four running sums each: one would wait on the adder's latency */ \
            double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;                     \
            double q0 = 0.0, q1 = 0.0, q2 = 0.0, q3 = 0.0;                     \
            int64_t k = indptr[c];                                             \
            const int64_t end = indptr[c + 1];                                 \
            for (; k + 4 <= end; k += 4) {                                     \
                const double v0 = (double)data[k], v1 = (double)data[k + 1];   \
                const double v2 = (double)data[k + 2], v3 = (double)data[k + 3]; \
                s0 += v0; s1 += v1; s2 += v2; s3 += v3;                        \
                q0 += v0 * v0; q1 += v1 * v1; q2 += v2 * v2; q3 += v3 * v3;    \
            }                                                                  \
            for (; k < end; k++) {                                             \
                const double v = (double)data[k];                              \
                s0 += v;                                                       \
                q0 += v * v;                                                   \
            }                                                                  \
            sum[c] += (s0 + s1) + (s2 + s3);                                   \
            sq[c] += (q0 + q1) + (q2 + q3);                                    \
        }                                                                      \
        return 0;                                                              \
    }

/* Weighted column sums of the stored values and of their squares:
 * sum(w[row] * v) and sum(w[row] * v * v), in double, added to sum and sq.
 * CSR walks each row's run (indptr over n rows) with that row's weight and
 * scatters by column index; CSC walks each column's run and gathers the
 * weight of each stored row. Every index and run is checked: SK_MALFORMED
 * for a column index outside [0, p) (CSR), a row index outside [0, n)
 * (CSC), or runs outside [0, nnz] or decreasing. */
#define SK_CSR_WEIGHTED_SUMS(NAME, T, I, RUNS_OK)                              \
    SK_EXPORT int NAME(const T *SK_RESTRICT data,                              \
                       const I *SK_RESTRICT indices,                           \
                       const I *SK_RESTRICT indptr, int64_t n, int64_t p,      \
                       int64_t nnz, const double *SK_RESTRICT w,               \
                       double *SK_RESTRICT sum, double *SK_RESTRICT sq)        \
    {                                                                          \
        if (!RUNS_OK(indptr, n, nnz))                                          \
            return SK_MALFORMED;                                               \
        for (int64_t i = 0; i < n; i++) {                                      \
            const double wi = w[i];                                            \
            for (int64_t k = indptr[i]; k < indptr[i + 1]; k++) {              \
                const double v = (double)data[k];                              \
                const int64_t c = (int64_t)indices[k];                         \
                if (SK_OUTSIDE(c, p))                                           \
                    return SK_MALFORMED;                                       \
                sum[c] += wi * v;                                              \
                sq[c] += wi * (v * v);                                         \
            }                                                                  \
        }                                                                      \
        return 0;                                                              \
    }

#define SK_CSC_WEIGHTED_SUMS(NAME, T, I, RUNS_OK)                              \
    SK_EXPORT int NAME(const T *SK_RESTRICT data,                              \
                       const I *SK_RESTRICT indices,                           \
                       const I *SK_RESTRICT indptr, int64_t n, int64_t p,      \
                       int64_t nnz, const double *SK_RESTRICT w,               \
                       double *SK_RESTRICT sum, double *SK_RESTRICT sq)        \
    {                                                                          \
        if (!RUNS_OK(indptr, p, nnz))                                          \
            return SK_MALFORMED;                                               \
        for (int64_t c = 0; c < p; c++) {                                      \
            double s = 0.0, q = 0.0;                                           \
            for (int64_t k = indptr[c]; k < indptr[c + 1]; k++) {              \
                const int64_t r = (int64_t)indices[k];                         \
                if (SK_OUTSIDE(r, n))                                           \
                    return SK_MALFORMED;                                       \
                const double v = (double)data[k];                              \
                s += w[r] * v;                                                 \
                q += w[r] * (v * v);                                           \
            }                                                                  \
            sum[c] += s;                                                       \
            sq[c] += q;                                                        \
        }                                                                      \
        return 0;                                                              \
    }

/* Stored values divided (or, with inverse, multiplied) by their column's
 * scale, computed in double and rounded once into T, as NumPy's in-place
 * division of T values by double scales. out may be data itself. Returns 1
 * if a value is +/-inf, SK_MALFORMED for a column index outside [0, p): out
 * is then partly written, so an in-place caller checks the indices first
 * (sk_check_columns). */
#define SK_SPARSE_SCALE(NAME, T, I)                                            \
    SK_EXPORT int NAME(const T *data, T *out,                                  \
                       const I *SK_RESTRICT columns, int64_t nnz, int64_t p,   \
                       const double *SK_RESTRICT scale, int inverse)           \
    {                                                                          \
        int bad = 0;                                                           \
        if (inverse) {                                                         \
            for (int64_t k = 0; k < nnz; k++) {                                \
                const double v = (double)data[k];                              \
                const int64_t c = (int64_t)columns[k];                         \
                if (SK_OUTSIDE(c, p))                                           \
                    return SK_MALFORMED;                                       \
                bad |= SK_IS_INF(v);                                           \
                out[k] = (T)(v * scale[c]);                                    \
            }                                                                  \
        } else {                                                               \
            for (int64_t k = 0; k < nnz; k++) {                                \
                const double v = (double)data[k];                              \
                const int64_t c = (int64_t)columns[k];                         \
                if (SK_OUTSIDE(c, p))                                           \
                    return SK_MALFORMED;                                       \
                bad |= SK_IS_INF(v);                                           \
                out[k] = (T)(v / scale[c]);                                    \
            }                                                                  \
        }                                                                      \
        return bad;                                                            \
    }

/* 0 if every one of the nnz column indices is in [0, p), else SK_MALFORMED. */
#define SK_CHECK_COLUMNS(NAME, I)                                              \
    SK_EXPORT int NAME(const I *SK_RESTRICT columns, int64_t nnz, int64_t p)   \
    {                                                                          \
        int bad = 0;                                                           \
        for (int64_t k = 0; k < nnz; k++) {                                    \
            const int64_t c = (int64_t)columns[k];                             \
            bad |= (c < 0) | (c >= p);                                         \
        }                                                                      \
        return bad ? SK_MALFORMED : 0;                                         \
    }

SK_CHECK_COLUMNS(sk_check_columns_i32, int32_t)
SK_CHECK_COLUMNS(sk_check_columns_i64, int64_t)

/* CSR by stored column index: its columns are the indices array. */
SK_CSR_SUMS(sk_csr_sums_f64_i32, double, int32_t)
SK_CSR_SUMS(sk_csr_sums_f64_i64, double, int64_t)
SK_CSR_SUMS(sk_csr_sums_f32_i32, float, int32_t)
SK_CSR_SUMS(sk_csr_sums_f32_i64, float, int64_t)
SK_CSC_SUMS(sk_csc_sums_f64_i32, double, int32_t, sk_runs_ok_i32)
SK_CSC_SUMS(sk_csc_sums_f64_i64, double, int64_t, sk_runs_ok_i64)
SK_CSC_SUMS(sk_csc_sums_f32_i32, float, int32_t, sk_runs_ok_i32)
SK_CSC_SUMS(sk_csc_sums_f32_i64, float, int64_t, sk_runs_ok_i64)
SK_CSR_WEIGHTED_SUMS(sk_csr_weighted_sums_f64_i32, double, int32_t, sk_runs_ok_i32)
SK_CSR_WEIGHTED_SUMS(sk_csr_weighted_sums_f64_i64, double, int64_t, sk_runs_ok_i64)
SK_CSR_WEIGHTED_SUMS(sk_csr_weighted_sums_f32_i32, float, int32_t, sk_runs_ok_i32)
SK_CSR_WEIGHTED_SUMS(sk_csr_weighted_sums_f32_i64, float, int64_t, sk_runs_ok_i64)
SK_CSC_WEIGHTED_SUMS(sk_csc_weighted_sums_f64_i32, double, int32_t, sk_runs_ok_i32)
SK_CSC_WEIGHTED_SUMS(sk_csc_weighted_sums_f64_i64, double, int64_t, sk_runs_ok_i64)
SK_CSC_WEIGHTED_SUMS(sk_csc_weighted_sums_f32_i32, float, int32_t, sk_runs_ok_i32)
SK_CSC_WEIGHTED_SUMS(sk_csc_weighted_sums_f32_i64, float, int64_t, sk_runs_ok_i64)
SK_SPARSE_SCALE(sk_sparse_scale_f64_i32, double, int32_t)
SK_SPARSE_SCALE(sk_sparse_scale_f64_i64, double, int64_t)
SK_SPARSE_SCALE(sk_sparse_scale_f32_i32, float, int32_t)
SK_SPARSE_SCALE(sk_sparse_scale_f32_i64, float, int64_t)

/* CSC scaling: a column's run of values all take that column's scale. The
 * runs are checked before anything is written. */
#define SK_CSC_SCALE(NAME, T, I, RUNS_OK)                                      \
    SK_EXPORT int NAME(const T *data, T *out,                                  \
                       const I *SK_RESTRICT indptr, int64_t n_columns,         \
                       int64_t nnz, const double *SK_RESTRICT scale,           \
                       int inverse)                                            \
    {                                                                          \
        int bad = 0;                                                           \
        if (!RUNS_OK(indptr, n_columns, nnz))                                  \
            return SK_MALFORMED;                                               \
        for (int64_t c = 0; c < n_columns; c++) {                              \
            const double s = scale[c];                                         \
            if (inverse) {                                                     \
                for (int64_t k = indptr[c]; k < indptr[c + 1]; k++) {          \
                    const double v = (double)data[k];                          \
                    bad |= SK_IS_INF(v);                                       \
                    out[k] = (T)(v * s);                                       \
                }                                                              \
            } else {                                                           \
                for (int64_t k = indptr[c]; k < indptr[c + 1]; k++) {          \
                    const double v = (double)data[k];                          \
                    bad |= SK_IS_INF(v);                                       \
                    out[k] = (T)(v / s);                                       \
                }                                                              \
            }                                                                  \
        }                                                                      \
        return bad;                                                            \
    }

SK_CSC_SCALE(sk_csc_scale_f64_i32, double, int32_t, sk_runs_ok_i32)
SK_CSC_SCALE(sk_csc_scale_f64_i64, double, int64_t, sk_runs_ok_i64)
SK_CSC_SCALE(sk_csc_scale_f32_i32, float, int32_t, sk_runs_ok_i32)
SK_CSC_SCALE(sk_csc_scale_f32_i64, float, int64_t, sk_runs_ok_i64)

/* Bumped whenever a kernel's signature changes: _compiled.py refuses a
 * stale build (an old .so left in a source tree) rather than call it wrongly. */
SK_EXPORT int sk_abi_version(void) { return 3; }

/* ------------------------------------------------------------------------ */
static struct PyModuleDef sk_module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "skscale's compiled kernels, called through ctypes "
    "(skscale._backends._compiled); this module itself defines nothing.",
    -1, NULL, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&sk_module); }
