/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): the functions with the most self time, the
 * files (or packages) with the most self time, and the project functions with the most inclusive time.
 *   node bench/lib/cpuprofile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** `file:line` relative to the repository, or the package a dependency file belongs to. */
function place(url: string): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (pkg) return `[${pkg[1]}]`;
  const repo = path.indexOf('/packages/');
  if (repo >= 0) return path.slice(repo + 1);
  const bench = path.indexOf('/bench/');
  if (bench >= 0) return path.slice(bench + 1);
  return path.startsWith('node:') ? path : path.split('/').slice(-2).join('/');
}

export function summarise(profile: CpuProfile, top = 25): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const key = (node: ProfileNode) => `${node.callFrame.functionName || '(anonymous)'} ${place(node.callFrame.url)}${node.callFrame.url && !node.callFrame.url.includes('node_modules') ? `:${node.callFrame.lineNumber + 1}` : ''}`;

  const self = new Map<string, number>();
  const selfByPlace = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const node = byId.get(id)!;
    total += delta;
    const name = node.callFrame.functionName;
    if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') {
      if (name === '(idle)') idle += delta;
      self.set(name, (self.get(name) ?? 0) + delta);
      return;
    }
    self.set(key(node), (self.get(key(node)) ?? 0) + delta);
    const where = place(node.callFrame.url);
    selfByPlace.set(where, (selfByPlace.get(where) ?? 0) + delta);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!;
      if (!frame.callFrame.url.includes('/packages/') || frame.callFrame.url.includes('node_modules')) continue;
      const k = key(frame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + delta);
    }
  });
  const busy = total - idle;
  const pct = (value: number) => `${((100 * value) / busy).toFixed(1).padStart(5)}%`;
  const list = (map: Map<string, number>) =>
    [...map]
      .filter(([name]) => name !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, value]) => `  ${pct(value)}  ${(value / 1_000).toFixed(0).padStart(6)} ms  ${name}`)
      .join('\n');
  return [
    `Profile: ${(total / 1e6).toFixed(2)} s, busy ${(busy / 1e6).toFixed(2)} s (${((100 * busy) / total).toFixed(0)}%); percentages are of busy time.`,
    '',
    'Self time by function:',
    list(self),
    '',
    'Self time by file / package:',
    list(selfByPlace),
    '',
    'Inclusive time of project functions:',
    list(inclusive),
  ].join('\n');
}

if (import.meta.main) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node bench/lib/cpuprofile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top ? Number(top) : 25)}\n`);
}
