/**
 * The SRE transformer (docs/definitions.md §Setups): its config, its parameters as named Float32Arrays, their
 * initialisation and their JSON form. No tfjs here; the compute lives in step.ts (fast),
 * twin.ts (plain tfjs) and ref64.ts (float64 loops).
 *
 *   tokens [B, T] ∈ {0..V-1}
 *   x0 = E[tokens] + P                      [B, T, C]   (token embedding + learned positions)
 *   2 × post-norm encoder layer:
 *     x = LN1(x + Attn(x)),  Attn: fused QKV [B·T, C]×[C, 3C], 4 heads, softmax(QKᵀ/√d)V, out proj
 *     x = LN2(x + FF(x)),    FF: C → F (ReLU) → C
 *   p = mean over T of x                    [B, C]
 *   head: the SRE MLP C → 128 → 128 → 32 (tanh hidden, linear output)
 *
 * Layout: every linear weight is stored [in, out] row-major (the `x @ W` form, like mlp.ts);
 * weights.json keeps that layout and says so (`layout: "in_out"`).
 */
import { initMlp } from '../mlp.ts';
import type { Rng } from '../rng.ts';
import { unreachable } from '../../util/unreachable.ts';

/** The architecture. */
export interface TransformerConfig {
  /** Vocabulary size V (16). */
  readonly vocab: number;
  /** Sequence length T (32). */
  readonly seqLen: number;
  /** Model width C (32). */
  readonly dModel: number;
  /** Attention heads (4); C must be divisible by it. */
  readonly heads: number;
  /** Feed-forward width F (32). */
  readonly dFF: number;
  /** Encoder layers (2). */
  readonly layers: number;
  /** The MLP head's widths, input first; head[0] must equal dModel ([32, 128, 128, 32]). */
  readonly head: readonly number[];
}

/** The transformer of docs/definitions.md §Setups. */
export const SRE_TRANSFORMER: TransformerConfig = { vocab: 16, seqLen: 32, dModel: 32, heads: 4, dFF: 32, layers: 2, head: [32, 128, 128, 32] };

/** What a parameter is (decides its init and whether alignment is measured on it). */
export type ParamKind =
  /** A linear layer's weight [in, out]: a "weight matrix" with alignment and stationarity. */
  | 'weight'
  /** An embedding table [rows, C]: also a weight matrix (its input is a one-hot vector). */
  | 'embedding'
  /** A bias or LayerNorm bias. */
  | 'bias'
  /** A LayerNorm gain. */
  | 'gain';

/** One named parameter. */
export interface ParamSpec {
  /** e.g. 'emb', 'enc1.qkv.W', 'enc1.ln1.g', 'W2', 'b2'. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly kind: ParamKind;
  /** For weights and embeddings: the name alignment is reported under ('enc1.qkv', 'W2', 'emb'). */
  readonly matrix?: string;
}

/** The transformer's parameters: values by name, in `specs` order. */
export interface TransformerParams {
  readonly config: TransformerConfig;
  readonly specs: readonly ParamSpec[];
  readonly values: Readonly<Record<string, Float32Array>>;
}

/** Checks the config's shape constraints; throws with the reason. */
export function checkConfig(c: TransformerConfig): void {
  if (c.dModel % c.heads !== 0) throw new Error(`dModel ${c.dModel} is not divisible by heads ${c.heads}`);
  if (c.head[0] !== c.dModel) throw new Error(`the head's input width ${c.head[0]} must equal dModel ${c.dModel}`);
  if (c.head.length < 2) throw new Error('the head needs at least one layer');
}

/** Every parameter, in a fixed order: embeddings, encoder layers, head (W1, b1, W2, b2, ...). */
export function paramSpecs(c: TransformerConfig): ParamSpec[] {
  checkConfig(c);
  const C = c.dModel;
  const s: ParamSpec[] = [
    { name: 'emb', shape: [c.vocab, C], kind: 'embedding', matrix: 'emb' },
    { name: 'pos', shape: [c.seqLen, C], kind: 'embedding', matrix: 'pos' },
  ];
  for (let l = 1; l <= c.layers; l++) {
    const e = `enc${l}`;
    const lin = (n: string, din: number, dout: number): ParamSpec[] => [
      { name: `${e}.${n}.W`, shape: [din, dout], kind: 'weight', matrix: `${e}.${n}` },
      { name: `${e}.${n}.b`, shape: [dout], kind: 'bias' },
    ];
    const ln = (n: string): ParamSpec[] => [
      { name: `${e}.${n}.g`, shape: [C], kind: 'gain' },
      { name: `${e}.${n}.b`, shape: [C], kind: 'bias' },
    ];
    s.push(...lin('qkv', C, 3 * C), ...lin('out', C, C), ...ln('ln1'), ...lin('ff1', C, c.dFF), ...lin('ff2', c.dFF, C), ...ln('ln2'));
  }
  for (let l = 1; l < c.head.length; l++) {
    s.push({ name: `W${l}`, shape: [c.head[l - 1]!, c.head[l]!], kind: 'weight', matrix: `W${l}` });
    s.push({ name: `b${l}`, shape: [c.head[l]!], kind: 'bias' });
  }
  return s;
}

/** The weight matrices alignment is measured on, in spec order ('emb', 'pos', 'enc1.qkv', ..., 'W1', ...). */
export function matrixNames(c: TransformerConfig): string[] {
  return paramSpecs(c).flatMap((s) => (s.matrix ? [s.matrix] : []));
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Initialisation choices (docs/definitions.md §Training: PyTorch-style; the embedding scale is ours, a param). */
export interface InitOptions {
  /** Multiplies the uniform(±1/√fan_in) bound of every linear weight and bias (1 = PyTorch). */
  readonly scale: number;
  /** Token and position embeddings ~ N(0, embedStd²) (1 = torch.nn.Embedding's default). */
  readonly embedStd: number;
  /**
   * The attention projections: 'fan_in' (ours, the default: like every linear layer) or 'pytorch'
   * (torch.nn.MultiheadAttention: in-projection Xavier-uniform ±√(6/(C + 3C)), in- and
   * out-projection biases 0; the out-projection weight stays uniform(±1/√fan_in)). `scale` applies to both.
   */
  readonly attention?: 'fan_in' | 'pytorch';
}

/**
 * Draws the parameters from `rng`: embeddings N(0, embedStd²); every linear layer's weight and
 * bias uniform(±scale/√fan_in) (docs/definitions.md §Training's rule, applied to the attention projections too); LayerNorm
 * gain 1, bias 0. The head is drawn by mlp.ts's `initMlp` (the SRE MLP's init) after the encoder.
 */
export function initTransformer(c: TransformerConfig, rng: Rng, opt: InitOptions): TransformerParams {
  const specs = paramSpecs(c);
  const values: Record<string, Float32Array> = {};
  const encoder = specs.filter((s) => !/^[Wb]\d+$/.test(s.name));
  for (let i = 0; i < encoder.length; i++) {
    const s = encoder[i]!;
    const a = new Float32Array(numel(s.shape));
    switch (s.kind) {
      case 'embedding':
        rng.fillNormal(a, 0, opt.embedStd);
        break;
      case 'weight': {
        const bias = encoder[i + 1]!; // the layer's bias follows its weight, same fan-in
        i++;
        if (opt.attention === 'pytorch' && /\.(qkv|out)\.W$/.test(s.name)) {
          const [fanIn, fanOut] = [s.shape[0]!, s.shape[1]!];
          const bound = s.name.endsWith('.qkv.W') ? opt.scale * Math.sqrt(6 / (fanIn + fanOut)) : opt.scale / Math.sqrt(fanIn);
          rng.fillUniform(a, -bound, bound);
          values[bias.name] = new Float32Array(numel(bias.shape));
          break;
        }
        const bound = opt.scale / Math.sqrt(s.shape[0]!);
        rng.fillUniform(a, -bound, bound);
        values[bias.name] = rng.fillUniform(new Float32Array(numel(bias.shape)), -bound, bound);
        break;
      }
      case 'gain':
        a.fill(1);
        break;
      case 'bias':
        break; // LayerNorm bias: 0 (linear biases are drawn with their weight)
      default:
        return unreachable(s.kind);
    }
    values[s.name] = a;
  }
  const head = initMlp(c.head, rng, opt.scale);
  head.W.forEach((w, l) => (values[`W${l + 1}`] = w));
  head.b.forEach((b, l) => (values[`b${l + 1}`] = b));
  return { config: c, specs, values };
}

/** The value of parameter `name`; throws when it does not exist. */
export function param(p: TransformerParams, name: string): Float32Array {
  const v = p.values[name];
  if (!v) throw new Error(`no parameter '${name}'`);
  return v;
}

/** Parameters as JSON: config, layout and each array (nested [in][out] for matrices). */
export function transformerToJson(p: TransformerParams): { config: TransformerConfig; layout: 'in_out'; params: Record<string, number[] | number[][]> } {
  const out: Record<string, number[] | number[][]> = {};
  for (const s of p.specs) {
    const v = param(p, s.name);
    if (s.shape.length === 1) out[s.name] = Array.from(v);
    else {
      const [r, c] = s.shape as [number, number];
      out[s.name] = Array.from({ length: r }, (_, i) => Array.from(v.subarray(i * c, (i + 1) * c)));
    }
  }
  return { config: p.config, layout: 'in_out', params: out };
}

/** The inverse of `transformerToJson`. */
export function transformerFromJson(j: { config: TransformerConfig; params: Record<string, number[] | number[][]> }): TransformerParams {
  const specs = paramSpecs(j.config);
  const values: Record<string, Float32Array> = {};
  for (const s of specs) {
    const v = j.params[s.name];
    if (!v) throw new Error(`transformer JSON lacks parameter '${s.name}'`);
    values[s.name] = Float32Array.from((v as (number | number[])[]).flat());
    if (values[s.name]!.length !== numel(s.shape)) throw new Error(`parameter '${s.name}' has ${values[s.name]!.length} values, expected ${numel(s.shape)}`);
  }
  return { config: j.config, specs, values };
}

