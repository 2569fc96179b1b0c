/**
 * The store's promises, tried as a hostile user would (issue 11): every kind of damage to a
 * store, kill -9 at many points of a run, and concurrent runs, each followed by the read
 * commands and a repro through the real CLI on the toy project. A case holds when no command
 * exits 70, no read command changes the store, repro exits 0 with the right result, and fsck then
 * finds nothing. Prints one line per case and the totals (docs/engine.md quotes them).
 *
 *   node bin/run-ts.js scripts/store-campaign.ts [--kills N] [--cases REGEX]
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect, Rig } from '../test/rig.ts';

interface Rec {
  key: string;
  tree: string;
  outputs: { path: string; digest: string }[];
}

/** Every path under `dir` (tmp/ aside: a read command may stage there) with kind, inode, size, mtime, mode. */
function storeState(dir: string): string {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (rel === '' && e.name === 'tmp') continue;
      const st = lstatSync(join(d, e.name));
      out.push(`${rel}${e.name} ${e.isDirectory() ? 'd' : 'f'}:${st.ino}:${st.size}:${st.mtimeMs}:${st.mode}`);
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
    }
  };
  walk(dir, '');
  return out.join('\n');
}

async function main(): Promise<void> {
  const arg = (flag: string): string | undefined => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
  const kills = Number(arg('--kills') ?? 10);
  const only = new RegExp(arg('--cases') ?? '.');
  const rig = Rig.create();
  const art = (...p: string[]): string => rig.path('artifacts', ...p);
  const rec = async (cell: string): Promise<Rec> => JSON.parse((await rig.hebb(['show', cell, '--json'])).stdout).record as Rec;
  const obj = (r: Rec): string => art('cas', r.outputs[0]!.digest.slice(0, 2), r.outputs[0]!.digest.slice(2));
  const writable = (f: string, s: string): void => {
    chmodSync(f, 0o644);
    writeFileSync(f, s);
  };
  let tried = 0;
  let held = 0;
  const failures: string[] = [];

  /** Runs the read commands, then repro and fsck; whether every promise held. */
  const check = async (name: string): Promise<void> => {
    tried++;
    const problems: string[] = [];
    const before = storeState(art());
    for (const cmd of [['status'], ['show', 'sum'], ['repro', '--dry-run'], ['fsck'], ['gc', '--dry-run']]) {
      const r = await rig.hebb(cmd);
      if (r.code === 70 || r.code === null) problems.push(`${cmd.join(' ')} exited ${r.code}`);
    }
    if (storeState(art()) !== before) problems.push('a read command changed the store');
    const r = await rig.hebb(['repro', '-j', '2']);
    if (r.code !== 0) problems.push(`repro exited ${r.code}: ${r.stderr.split('\n').slice(-3).join(' | ')}`);
    const sum = existsSync(rig.path('reports/full/sum.json')) ? rig.read('reports/full/sum.json') : '';
    if (sum !== JSON.stringify({ total: 180, n: 6 })) problems.push(`wrong result ${sum}`);
    const f = await rig.hebb(['fsck']);
    if (f.code !== 0) problems.push(`fsck after repro: ${f.stdout.trim().split('\n').slice(0, 3).join(' | ')}`);
    if (problems.length === 0) held++;
    else failures.push(`${name}: ${problems.join('; ')}`);
    process.stdout.write(`${problems.length === 0 ? 'held  ' : 'FAILED'} ${name}${problems.length ? `: ${problems.join('; ')}` : ''}\n`);
  };

  // A changing statement in sum's code (its key changes, its output does not) makes it read its inputs again.
  rig.edit('stages/sum.ts', "import { total } from './lib/other.ts';", "import { total } from './lib/other.ts';\nexport const campaignRound = 0;");
  const touchSum = (): void => rig.edit('stages/sum.ts', /campaignRound = \d+/, `campaignRound = ${tried + 1}`);
  if ((await rig.hebb(['repro', '-j', '2'])).code !== 0) throw new Error('the toy project does not run');
  const damage: [string, () => Promise<void>][] = [
    ['object: byte flipped in place', async () => writable(obj(await rec('gen@b-s2')), '{"v":90}')],
    ['object: changed with its mtime kept', async () => {
      const f = obj(await rec('gen@b-s2'));
      const st = lstatSync(f);
      writable(f, '{"v":90}');
      utimesSync(f, st.atime, st.mtime);
    }],
    ['object: replaced by a directory', async () => {
      const f = obj(await rec('gen@a-s1'));
      rmSync(f);
      mkdirSync(f);
    }],
    ['object: deleted', async () => rmSync(obj(await rec('sum')))],
    ...(['{}', '[]', 'null', 'TRUNC'] as const).map((c): [string, () => Promise<void>] => [`record: ${c}`, async () => {
      const f = art('runs', `${(await rec('gen@b-s1')).key}.json`);
      writeFileSync(f, c === 'TRUNC' ? readFileSync(f, 'utf8').slice(0, 50) : c);
    }]),
    ['record: copied over another key', async () => writeFileSync(art('runs', `${(await rec('gen@b-s2')).key}.json`), readFileSync(art('runs', `${(await rec('gen@a-s2')).key}.json`)))],
    ['record: outputs edited (tree no longer matches)', async () => {
      const f = art('runs', `${(await rec('gen@a-s0')).key}.json`);
      const j = JSON.parse(readFileSync(f, 'utf8'));
      j.outputs[0].digest = (await rec('gen@b-s2')).outputs[0]!.digest;
      writeFileSync(f, JSON.stringify(j));
    }],
    ['record: replaced by a directory', async () => {
      const f = art('runs', `${(await rec('sum')).key}.json`);
      rmSync(f);
      mkdirSync(f);
    }],
    ['spec: [] and its cell must run', async () => {
      const k = (await rec('sum')).key;
      writeFileSync(art('specs', `${k}.json`), '[]');
      rmSync(art('runs', `${k}.json`));
    }],
    ['spec: another key\'s spec, and its cell must run', async () => {
      const k = (await rec('sum')).key;
      writeFileSync(art('specs', `${k}.json`), readFileSync(art('specs', `${(await rec('gen@a-s0')).key}.json`)));
      rmSync(art('runs', `${k}.json`));
    }],
    ['index: null', async () => writeFileSync(art('index', 'full', 'gen%40a-s0.json'), 'null')],
    ['index: a key with no record', async () => writeFileSync(art('index', 'full', 'sum.json'), JSON.stringify({ key: 'f'.repeat(64) }))],
    ['index: another cell\'s record', async () => writeFileSync(art('index', 'full', 'sum.json'), JSON.stringify({ key: (await rec('gen@a-s0')).key }))],
    ['.state/verified.json: null', async () => writeFileSync(art('.state', 'verified.json'), 'null')],
    ['.state/code-cache.json: []', async () => writeFileSync(art('.state', 'code-cache.json'), '[]')],
    ['.state/params-cache.json: truncated', async () => writeFileSync(art('.state', 'params-cache.json'), '{"a":{')],
    ['view: a file deleted', async () => unlinkSync(art('views', (await rec('gen@a-s0')).tree, 'value.json'))],
    ['view: a file replaced by other bytes', async () => {
      const f = art('views', (await rec('gen@a-s0')).tree, 'value.json');
      unlinkSync(f);
      writeFileSync(f, '{"v":1000}');
    }],
    ['view: an extra file', async () => writeFileSync(art('views', (await rec('gen@a-s0')).tree, 'extra.json'), '{}')],
    ['view: written through (same inode as the object)', async () => writable(art('views', (await rec('gen@b-s0')).tree, 'value.json'), '{"v":2000}')],
  ];
  for (const [name, fn] of damage) {
    if (!only.test(name)) continue;
    await fn();
    // (Not for a damaged spec: sum must be planned under the key whose spec was damaged.)
    if (!name.startsWith('spec:')) touchSum();
    await check(name);
  }

  // kill -9 at many points of a run (cells take 300 ms each, so kills land mid-cell and mid-store).
  rig.edit('pipeline.yaml', 'delay_ms: 0', 'delay_ms: 300');
  for (let i = 0; i < kills; i++) {
    rig.edit('pipeline.yaml', /seeds: \[[^\]]*\]/, `seeds: [${100 + i}, 1, 2]`);
    touchSum();
    const child = rig.spawn(['repro', '-j', '2']);
    const done = collect(child);
    await new Promise((r) => setTimeout(r, 400 + ((i * 397) % 2600)));
    child.kill('SIGKILL');
    await done;
    rig.edit('pipeline.yaml', /seeds: \[[^\]]*\]/, 'seeds: [0, 1, 2]');
    await check(`kill -9 at ${400 + ((i * 397) % 2600)} ms`);
  }
  // Two repros at once on one store.
  touchSum();
  const both = await Promise.all([collect(rig.spawn(['repro', '-j', '2'])), collect(rig.spawn(['repro', '-j', '2']))]);
  if (both.some((r) => r.code !== 0)) failures.push(`concurrent repros exited ${both.map((r) => r.code).join(', ')}`);
  await check('two concurrent repros');
  rig.dispose();
  process.stdout.write(`\nstore campaign: ${tried} cases tried, ${held} held${failures.length ? `\n${failures.join('\n')}` : ''}\n`);
  process.exitCode = failures.length ? 1 : 0;
}

void main();
