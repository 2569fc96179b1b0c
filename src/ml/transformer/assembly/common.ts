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

/** out[i] = e^x[i] for x ≤ 0, 4 at a time (n a multiple of 4): the softmax's exp, exposed for its test. */
