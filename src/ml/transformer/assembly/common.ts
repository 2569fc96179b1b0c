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
