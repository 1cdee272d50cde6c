/**
 * `npm run bench`: runs every benchmark in this folder (each `bench/*.ts` but this runner), one after
 * the other, each in its own process, and fails if any of them fails. Helpers live in `bench/lib/`.
 * Names select some of them: `node bench/run.ts callouts` (or `npm run bench -- callouts delivery`).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && file !== 'run.ts')
  .sort();
const wanted = process.argv.slice(2).map((name) => name.replace(/^bench\//, '').replace(/\.ts$/, ''));
const unknown = wanted.filter((name) => !available.includes(`${name}.ts`));
if (unknown.length > 0) {
  process.stderr.write(`No benchmark named ${unknown.join(', ')}; the benchmarks are: ${available.map((file) => file.slice(0, -3)).join(', ')}.\n`);
  process.exit(2);
}
const benchmarks = wanted.length === 0 ? available : available.filter((file) => wanted.includes(file.slice(0, -3)));

let failed = 0;
for (const file of benchmarks) {
  process.stdout.write(`\n=== bench/${file} ===\n`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(file, import.meta.url))], { stdio: 'inherit' });
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });
  if (code !== 0) {
    failed++;
    process.stderr.write(`bench/${file} failed (exit ${code})\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
