// docs/fragments/*.yaml explain pipeline.yaml's settings piece by piece; they must say what
// pipeline.yaml says. Every profile variable and stage a fragment declares must equal
// pipeline.yaml's (parsed, so formatting and comments may differ), and no fragment may repeat a key.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';

const dir = 'docs/fragments';
const pipeline = parse(readFileSync('pipeline.yaml', 'utf8')) as { profiles: Record<string, Record<string, unknown>>; stages: Record<string, unknown> };

describe.each(readdirSync(dir).filter((f) => f.endsWith('.yaml')))('docs/fragments/%s', (file) => {
  const text = readFileSync(join(dir, file), 'utf8');
  it('parses without duplicate keys', () => {
    expect(parseDocument(text, { uniqueKeys: true }).errors.map((e) => e.message)).toEqual([]);
  });
  it('declares exactly what pipeline.yaml declares', () => {
    const frag = parse(text) as { profiles?: Record<string, Record<string, unknown>>; stages?: Record<string, unknown> };
    for (const [profile, vars] of Object.entries(frag.profiles ?? {})) {
      for (const [key, value] of Object.entries(vars)) expect(pipeline.profiles[profile]?.[key], `profiles.${profile}.${key}`).toEqual(value);
    }
    for (const [stage, body] of Object.entries(frag.stages ?? {})) expect(pipeline.stages[stage], `stages.${stage}`).toEqual(body);
  });
});
