/**
 * A real patchbay (app, store and delivery worker) in a child process for benchmarks, configured
 * exactly like `patchbay start`: `openPatchbay(loadConfig([], process.env))`, listening on
 * PATCHBAY_HOST:PATCHBAY_PORT. Started with `startNodeChild` (`startPatchbay` below); reports
 * `{ url }` when listening; `stop` closes it the way SIGTERM does (in-flight work finishes).
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../packages/server/src/config.ts';
import { openPatchbay } from '../../packages/server/src/runtime.ts';
import { serveParent, startNodeChild, type NodeChild } from './child-process.ts';

export interface PatchbayReady {
  url: string;
}

/**
 * Starts a patchbay child with `env` as its only PATCHBAY_* settings (the caller's own PATCHBAY_*
 * variables are dropped so a developer's database URL cannot leak in). With `profileDir`, the child
 * runs with `--cpu-prof` and writes its profile there when stopped.
 */
export function startPatchbay(env: Record<string, string>, options: { profileDir?: string | undefined; name?: string } = {}): Promise<NodeChild<PatchbayReady>> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PATCHBAY_')));
  return startNodeChild<PatchbayReady>(fileURLToPath(import.meta.url), {
    name: options.name ?? 'patchbay',
    env: { ...inherited, ...env },
    execArgv: options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [],
  });
}

if (import.meta.main) {
  const config = loadConfig([], process.env);
  const patchbay = await openPatchbay(config);
  const address = await patchbay.app.listen({ host: config.host, port: config.port });
  serveParent({ stop: () => patchbay.close() }, { url: address } satisfies PatchbayReady);
}
