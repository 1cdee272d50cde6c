/**
 * `npm run bench`: runs every benchmark in this folder (each `bench/*.ts` but this runner), one after
 * the other, each in its own process, and fails if any of them fails. Helpers live in `bench/lib/`.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const benchmarks = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && file !== 'run.ts')
  .sort();

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
