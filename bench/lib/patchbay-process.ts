/**
 * A real patchbay (app, store and delivery worker) in a child process for benchmarks, configured
 * exactly like `patchbay start`: `openPatchbay(loadConfig([], process.env))`, listening on
 * PATCHBAY_HOST:PATCHBAY_PORT. Started with `startNodeChild` (`startPatchbay` below); reports
 * `{ url }` when listening; `stop` closes it the way SIGTERM does (in-flight work finishes);
 * `profileStart` and `profileStop(file)` profile a measurement window.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
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
 * runs with `--cpu-prof` and writes its profile there when stopped. With `stdout: 'ignore'` its log
 * lines go to /dev/null (a log level of info writes one per request).
 */
export function startPatchbay(env: Record<string, string>, options: { profileDir?: string | undefined; name?: string; stdout?: 'inherit' | 'ignore' } = {}): Promise<NodeChild<PatchbayReady>> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PATCHBAY_')));
  return startNodeChild<PatchbayReady>(fileURLToPath(import.meta.url), {
    name: options.name ?? 'patchbay',
    env: { ...inherited, ...env },
    execArgv: options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [],
    ...(options.stdout ? { stdout: options.stdout } : {}),
  });
}

if (import.meta.main) {
  const config = loadConfig([], process.env);
  const patchbay = await openPatchbay(config);
  const address = await patchbay.app.listen({ host: config.host, port: config.port });
  // `profileStart()` / `profileStop(file)`: a V8 CPU profile of just a measurement window (unlike
  // --cpu-prof, which covers start-up too), written to `file` as a .cpuprofile.
  const inspector = new Session();
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => inspector.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))));
  serveParent(
    {
      stop: () => patchbay.close(),
      profileStart: async () => {
        inspector.connect();
        await post('Profiler.enable');
        await post('Profiler.start');
      },
      profileStop: async (file: string) => {
        const { profile } = await post<{ profile: object }>('Profiler.stop');
        await post('Profiler.disable');
        inspector.disconnect();
        writeFileSync(file, JSON.stringify(profile));
      },
    },
    { url: address } satisfies PatchbayReady,
  );
}
