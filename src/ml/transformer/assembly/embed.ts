// AssemblyScript: the transformer's embedding and mean pool (see kernels.ts), the kernel form of
// ../kernels.ts' JS loops with their arithmetic: f32 sums one term at a time in token order, and
// the pool's terms x · (1/T) formed and added in f64 as JS does, then rounded once (so the wasm
// step's bytes did not change when these loops moved here). Tokens are i32 in the arena; one
// outside [0, V) is counted and skipped (the caller throws), never read or written through.

/** x0[n, :] = E[tok[n], :] + P[n mod T, :] for n < N; returns the number of tokens outside [0, V). */
export function embedForward(tok: usize, E: usize, P: usize, N: i32, T: i32, C: i32, V: i32, x0: usize): i32 {
  let bad = 0;
  const row = (<usize>C) << 2;
  for (let n = 0; n < N; n++) {
    const t = load<i32>(tok + ((<usize>n) << 2));
    const o = x0 + <usize>n * row;
    if (t < 0 || t >= V) {
      bad++;
      memory.fill(o, 0, row);
      continue;
    }
    const e = E + <usize>t * row;
    const p = P + <usize>(n % T) * row;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const q = (<usize>c) << 2;
      v128.store(o + q, f32x4.add(v128.load(e + q), v128.load(p + q)));
    }
    for (; c < C; c++) {
      const q = (<usize>c) << 2;
      store<f32>(o + q, load<f32>(e + q) + load<f32>(p + q));
    }
  }
  return bad;
}

/** dE[v] = Σ_{n: tok[n] = v} dx0[n], dP[t] = Σ_{n mod T = t} dx0[n] (both overwritten; n ascending); returns the tokens outside [0, V). */
export function embedBackward(tok: usize, dx0: usize, N: i32, T: i32, C: i32, V: i32, dE: usize, dP: usize): i32 {
  const row = (<usize>C) << 2;
  memory.fill(dE, 0, <usize>V * row);
  memory.fill(dP, 0, <usize>T * row);
  let bad = 0;
  for (let n = 0; n < N; n++) {
    const t = load<i32>(tok + ((<usize>n) << 2));
    if (t < 0 || t >= V) {
      bad++;
      continue;
    }
    const g = dx0 + <usize>n * row;
    const e = dE + <usize>t * row;
    const p = dP + <usize>(n % T) * row;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const q = (<usize>c) << 2;
      const gv = v128.load(g + q);
      v128.store(e + q, f32x4.add(v128.load(e + q), gv));
      v128.store(p + q, f32x4.add(v128.load(p + q), gv));
    }
    for (; c < C; c++) {
      const q = (<usize>c) << 2;
      const gv = load<f32>(g + q);
      store<f32>(e + q, load<f32>(e + q) + gv);
      store<f32>(p + q, load<f32>(p + q) + gv);
    }
  }
  return bad;
}

/** p[b, :] = Σ_t x[b·T + t, :] · (1/T), each term formed and added in f64, rounded to f32 per step. */
export function meanPoolForward(x: usize, B: i32, T: i32, C: i32, p: usize): void {
  const inv: f64 = 1.0 / <f64>T;
  const row = (<usize>C) << 2;
  for (let b = 0; b < B; b++) {
    const po = p + <usize>b * row;
    memory.fill(po, 0, row);
    for (let t = 0; t < T; t++) {
      const xo = x + <usize>(b * T + t) * row;
      for (let c = 0; c < C; c++) {
        const q = (<usize>c) << 2;
        store<f32>(po + q, <f32>(<f64>load<f32>(po + q) + <f64>load<f32>(xo + q) * inv));
      }
    }
  }
}

/** dx[b·T + t, :] = dp[b, :] · (1/T) (the product in f64, rounded once). */
export function meanPoolBackward(dp: usize, B: i32, T: i32, C: i32, dx: usize): void {
  const inv: f64 = 1.0 / <f64>T;
  const row = (<usize>C) << 2;
  for (let b = 0; b < B; b++) {
    const d = dp + <usize>b * row;
    for (let t = 0; t < T; t++) {
      const o = dx + <usize>(b * T + t) * row;
      for (let c = 0; c < C; c++) {
        const q = (<usize>c) << 2;
        store<f32>(o + q, <f32>(<f64>load<f32>(d + q) * inv));
      }
    }
  }
}
