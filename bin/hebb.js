#!/usr/bin/env node
// The `hebb` CLI entry: registers the TypeScript loader (tsx), then hands over to src/cli/main.ts.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
