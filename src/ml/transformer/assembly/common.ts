// AssemblyScript: small inline helpers the kernels share (see kernels.ts).

/** The sum of the 4 lanes. */
// @ts-ignore: decorator
@inline
export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** The largest of the 4 lanes. */
// @ts-ignore: decorator
@inline
export function hmax(v: v128): f32 {
  return Mathf.max(Mathf.max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), Mathf.max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** base[i] as f32 (base a byte pointer). */
// @ts-ignore: decorator
@inline
export function f(base: usize, i: i32): f32 {
  return load<f32>(base + ((<usize>i) << 2));
}

/** base[i] = v (base a byte pointer). */
// @ts-ignore: decorator
@inline
export function st(base: usize, i: i32, v: f32): void {
  store<f32>(base + ((<usize>i) << 2), v);
}

/**
 * e^x for x ≤ 0 in 4 lanes: x = n·ln2 + r (ln2 split in two for an exact product), a degree-6
 * polynomial for e^r (Cephes' expf coefficients, relative error ~1e-7), times 2^n built in the
 * exponent bits; x is clamped at −87 (float32 underflow, e^−87 ≈ 1.6e-38).
 */
// @ts-ignore: decorator
@inline
export function expNonPositive4(x0: v128): v128 {
  const x = f32x4.max(x0, f32x4.splat(-87.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375))), f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const e = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const pow2 = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(e, pow2);
}

/**
 * The 4 × 8 micro-kernel every dense product of the wasm build runs (dense.ts, packed.ts,
 * attention.ts): o[4, 8] (row stride ldo bytes) = init + Σ_k a_r[k] · b_k[0..8) for the 4 rows
 * a0..a3 (each advancing aks bytes per k) and b's rows of 8 floats bstep bytes apart (a packed
 * panel: 32), a multiply then an add per term, k ascending, in 8 accumulators. init 0: from o;
 * 1: zero; 2: bias[0..8).
 */
// @ts-ignore: decorator
@inline
export function kernel4x8(a0: usize, a1: usize, a2: usize, a3: usize, aks: usize, bp: usize, bstep: usize, kc: i32, o: usize, ldo: usize, init: i32, bias: usize): void {
  let c00 = f32x4.splat(0);
  let c01 = c00;
  let c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  if (init == 0) {
    c00 = v128.load(o);
    c01 = v128.load(o, 16);
    c10 = v128.load(o + ldo);
    c11 = v128.load(o + ldo, 16);
    c20 = v128.load(o + 2 * ldo);
    c21 = v128.load(o + 2 * ldo, 16);
    c30 = v128.load(o + 3 * ldo);
    c31 = v128.load(o + 3 * ldo, 16);
  } else if (init == 2) {
    c00 = v128.load(bias);
    c01 = v128.load(bias, 16);
    c10 = c00; c20 = c00; c30 = c00;
    c11 = c01; c21 = c01; c31 = c01;
  }
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const s0 = v128.load32_splat(a0);
    const s1 = v128.load32_splat(a1);
    const s2 = v128.load32_splat(a2);
    const s3 = v128.load32_splat(a3);
    c00 = f32x4.add(c00, f32x4.mul(s0, b0));
    c01 = f32x4.add(c01, f32x4.mul(s0, b1));
    c10 = f32x4.add(c10, f32x4.mul(s1, b0));
    c11 = f32x4.add(c11, f32x4.mul(s1, b1));
    c20 = f32x4.add(c20, f32x4.mul(s2, b0));
    c21 = f32x4.add(c21, f32x4.mul(s2, b1));
    c30 = f32x4.add(c30, f32x4.mul(s3, b0));
    c31 = f32x4.add(c31, f32x4.mul(s3, b1));
    a0 += aks;
    a1 += aks;
    a2 += aks;
    a3 += aks;
    bp += bstep;
  }
  v128.store(o, c00);
  v128.store(o, c01, 16);
  v128.store(o + ldo, c10);
  v128.store(o + ldo, c11, 16);
  v128.store(o + 2 * ldo, c20);
  v128.store(o + 2 * ldo, c21, 16);
  v128.store(o + 3 * ldo, c30);
  v128.store(o + 3 * ldo, c31, 16);
}
