/**
 * The benchmark report: `bench/results/REPORT.md` and its SVG charts (`bench/results/*.svg`), built from
 * the benchmarks' JSON results (`bench/results/<name>.json`) and the runner's record of the latest run
 * (`bench/results/run.json`) alone, so it can be regenerated without rerunning anything:
 *   node bench/report.ts
 * `npm run bench` calls `writeReport` after its benchmarks. The report has the machine, the commit and the
 * load, a summary table of every benchmark's headline figures (patchbay, the raw limit measured in the
 * same run, their ratio, the target and whether it was met), a chart of the ratios, and per benchmark a
 * throughput chart (patchbay beside its raw limit), a latency chart (p50/p95/p99) when latency was
 * measured, and the full table of its rows.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { barChart, formatFigure, type BarGroup } from './lib/svg-charts.ts';
import { commitText, machineText, RESULTS_DIR, type BenchResult, type ResultRow } from './lib/result.ts';

/** How one benchmark ended in a run of `bench/run.ts`. */
export interface BenchStatus {
  name: string;
  status: 'ok' | 'failed' | 'timed out' | 'skipped' | 'interrupted';
  /** ISO time it started. */
  startedAt: string;
  seconds: number;
  /** Why it failed, in a sentence (with the last lines of its output). */
  message?: string;
  /** Its full output, relative to bench/results/ (not committed: *.log is ignored). */
  log?: string;
}

/** `bench/results/run.json`: the latest status of every benchmark the runner ran. */
export interface RunRecord {
  date: string;
  benchmarks: BenchStatus[];
}

export const RUN_RECORD = path.join(RESULTS_DIR, 'run.json');
export const REPORT = path.join(RESULTS_DIR, 'REPORT.md');
/** The order benchmarks run in and the report's sections (others follow, by name). */
export const BENCHMARK_ORDER: readonly string[] = ['workflow', 'callouts', 'delivery', 'postgres-instances'];

const PATCHBAY_COLOR = '#2563eb';
const RAW_COLOR = '#9ca3af';
const PERCENTILE_COLORS = [
  { name: 'p50', color: '#93c5fd', muted: '#d1d5db' },
  { name: 'p95', color: '#3b82f6', muted: '#9ca3af' },
  { name: 'p99', color: '#1e3a8a', muted: '#4b5563' },
];

export function readRunRecord(): RunRecord | null {
  return existsSync(RUN_RECORD) ? (JSON.parse(readFileSync(RUN_RECORD, 'utf8')) as RunRecord) : null;
}

/** Every benchmark's JSON result, in report order. */
export function readResults(): BenchResult[] {
  const results = readdirSync(RESULTS_DIR)
    .filter((file) => file.endsWith('.json') && file !== path.basename(RUN_RECORD))
    .map((file) => JSON.parse(readFileSync(path.join(RESULTS_DIR, file), 'utf8')) as BenchResult)
    .filter((result) => typeof result.name === 'string' && Array.isArray(result.rows));
  const rank = (name: string) => (BENCHMARK_ORDER.includes(name) ? BENCHMARK_ORDER.indexOf(name) : BENCHMARK_ORDER.length);
  return results.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

const cell = (text: string) => text.replace(/\|/g, '\\|');
const figure = (value: number | null | undefined, unit?: string) => (value === null || value === undefined ? '—' : `${formatFigure(value)}${unit ? ` ${unit}` : ''}`);
const ms = (value: number | undefined) => (value === undefined ? '—' : `${formatFigure(value)} ms`);
const verdict = (met: boolean) => (met ? '**MET**' : '**MISSED**');
const minutes = (seconds: number) => (seconds < 90 ? `${Math.round(seconds)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`);

function rawText(row: ResultRow): string {
  if (!row.raw || row.raw.throughput === null) return '—';
  const latency = row.raw.latencyMs ? `, p50/p95/p99 ${formatFigure(row.raw.latencyMs.p50)} / ${formatFigure(row.raw.latencyMs.p95)} / ${formatFigure(row.raw.latencyMs.p99)} ms` : '';
  return `${figure(row.raw.throughput, row.raw.unit)}<br><sub>${cell(row.raw.label)}${latency}</sub>`;
}

function throughputChart(result: BenchResult): string | null {
  const rows = result.rows.filter((row) => row.throughput !== null && row.fixedLoad === undefined);
  if (rows.length === 0) return null;
  const groups: BarGroup[] = rows.map((row) => ({
    label: row.label,
    values: [row.throughput!.value, row.raw?.throughput ?? null],
    ...(row.ratio !== null ? { note: `ratio ${formatFigure(row.ratio)}` } : {}),
  }));
  const units = [...new Set(rows.flatMap((row) => [row.throughput!.unit, ...(row.raw ? [row.raw.unit] : [])]))];
  return barChart({
    title: `${result.title}: throughput, patchbay beside the raw limit`,
    subtitle: `${result.date.slice(0, 16).replace('T', ' ')} UTC, ${commitText(result.commit)}, load ${result.load.start} → ${result.load.end} on ${result.machine.cores} cores; ratio = patchbay ÷ raw limit`,
    axis: `per second (${units.join(', ')})`,
    series: [
      { name: 'patchbay', color: PATCHBAY_COLOR },
      { name: 'raw limit, same run', color: RAW_COLOR },
    ],
    groups,
  });
}

function latencyChart(result: BenchResult): string | null {
  const groups: BarGroup[] = [];
  for (const row of result.rows) {
    if (row.latencyMs) groups.push({ label: row.label, values: [row.latencyMs.p50, row.latencyMs.p95, row.latencyMs.p99] });
    if (row.raw?.latencyMs) groups.push({ label: `${row.raw.label}`, values: [row.raw.latencyMs.p50, row.raw.latencyMs.p95, row.raw.latencyMs.p99], muted: true });
  }
  if (groups.length === 0) return null;
  const hasRaw = groups.some((group) => group.muted);
  const p95Target = result.rows.map((row) => row.target?.text ?? '').map((text) => /p95 < (\d+) ms/.exec(text)).find((match) => match !== null);
  return barChart({
    title: `${result.title}: latency percentiles`,
    subtitle: `${result.date.slice(0, 16).replace('T', ' ')} UTC, load ${result.load.start} → ${result.load.end} on ${result.machine.cores} cores`,
    axis: 'milliseconds',
    series: PERCENTILE_COLORS.map((p) => ({ name: p.name, color: p.color, mutedColor: p.muted })),
    legend: [...PERCENTILE_COLORS.map((p) => ({ name: `patchbay ${p.name}`, color: p.color })), ...(hasRaw ? PERCENTILE_COLORS.map((p) => ({ name: `raw limit ${p.name}`, color: p.muted })) : [])],
    groups,
    ...(p95Target ? { marker: { value: Number(p95Target[1]), label: `target p95 < ${p95Target[1]} ms` } } : {}),
  });
}

function ratioChart(results: BenchResult[]): string | null {
  const groups: BarGroup[] = results.flatMap((result) =>
    result.rows.filter((row) => row.headline && row.ratio !== null).map((row) => ({ label: `${result.name}: ${row.label}`, values: [row.ratio], ...(row.target ? { note: row.target.met ? 'target met' : 'target missed' } : {}) })),
  );
  if (groups.length === 0) return null;
  return barChart({
    title: 'patchbay ÷ raw limit, every benchmark',
    subtitle: 'Each ratio compares patchbay with the raw limit measured in the same run on the same machine (1 = as fast as the raw limit)',
    axis: 'ratio',
    series: [{ name: 'patchbay ÷ raw limit', color: PATCHBAY_COLOR }],
    groups,
    scale: 'linear',
  });
}

/** The same for every result, or null when they differ. */
function common<T>(results: BenchResult[], pick: (result: BenchResult) => T): T | null {
  const values = new Set(results.map((result) => JSON.stringify(pick(result))));
  return values.size === 1 ? pick(results[0]!) : null;
}

/** Writes REPORT.md and the charts from the JSON results; returns the files written. */
export function writeReport(): string[] {
  const results = readResults();
  const run = readRunRecord();
  for (const file of readdirSync(RESULTS_DIR)) if (file.endsWith('.svg')) rmSync(path.join(RESULTS_DIR, file));
  const written: string[] = [];
  const writeChart = (file: string, svg: string | null): string | null => {
    if (!svg) return null;
    writeFileSync(path.join(RESULTS_DIR, file), svg);
    written.push(path.join(RESULTS_DIR, file));
    return file;
  };

  const lines: string[] = ['# Benchmark report', ''];
  lines.push(`Generated ${new Date().toISOString()} by \`node bench/report.ts\` from \`bench/results/*.json\` (written by \`npm run bench\`); do not edit by hand.`, '');
  if (results.length === 0) {
    lines.push('No results yet: run `npm run bench`.', '');
  } else {
    const machine = common(results, (result) => machineText(result.machine));
    const commit = common(results, (result) => commitText(result.commit));
    const loads = results.flatMap((result) => [result.load.start, result.load.end]);
    const newest = results.map((result) => result.date).sort().at(-1)!;
    const oldest = results.map((result) => result.date).sort()[0]!;
    lines.push(`**Machine:** ${machine ?? `differs between benchmarks (see Runs); latest: ${machineText(results.find((result) => result.date === newest)!.machine)}`}.  `);
    // Commits land while a run goes on: then each commit is listed with the benchmarks that measured it.
    const byCommit = new Map<string, string[]>();
    for (const result of results) byCommit.set(commitText(result.commit), [...(byCommit.get(commitText(result.commit)) ?? []), result.name]);
    lines.push(`**Commit:** ${commit ?? [...byCommit].map(([text, names]) => `${text} (${names.join(', ')})`).join('; ')}.  `);
    lines.push(`**Runs:** ${oldest.slice(0, 16).replace('T', ' ')} to ${newest.slice(0, 16).replace('T', ' ')} UTC.  `);
    lines.push(`**Load average (1 min):** ${Math.min(...loads).toFixed(2)} to ${Math.max(...loads).toFixed(2)} during the runs, on ${results[0]!.machine.cores} cores: other work on the machine lowers every figure, so compare the ratios (patchbay and its raw limit share the same conditions) more than the absolute figures.`, '');
    lines.push('Every figure is patchbay beside the raw limit measured in the same run on the same machine (bare inserts through the same store, bare POSTs to the same receiver, direct calls to the same connector); ratio = patchbay ÷ raw limit. Loopback only.', '');

    lines.push('## Summary', '');
    lines.push('| Benchmark | Measurement | patchbay | p95 | Raw limit (same run) | Ratio | Target | |');
    lines.push('|---|---|---:|---:|---:|---:|---|---|');
    for (const result of results) {
      if (result.skipped) {
        lines.push(`| ${result.title} | skipped: ${cell(result.skipped)} | — | — | — | — | — | |`);
        continue;
      }
      for (const row of result.rows.filter((r) => r.headline)) {
        lines.push(
          `| ${result.title} | ${cell(row.label)}${row.note ? `<br><sub>${cell(row.note)}</sub>` : ''} | ${row.throughput ? figure(row.throughput.value, row.throughput.unit) : '—'} | ${ms(row.latencyMs?.p95)} | ${rawText(row)} | ${row.ratio === null ? '—' : formatFigure(row.ratio)} | ${row.target ? cell(row.target.text) : '—'} | ${row.target ? verdict(row.target.met) : ''} |`,
        );
      }
    }
    lines.push('');
    const ratios = writeChart('summary-ratios.svg', ratioChart(results));
    if (ratios) lines.push(`![patchbay ÷ raw limit, every benchmark](${ratios})`, '');
    const verdicts = results.flatMap((result) => result.verdicts.map((v) => `- ${result.title}: ${v.text}: ${verdict(v.met)}`));
    if (verdicts.length > 0) lines.push('Targets of the issues:', '', ...verdicts, '');
  }

  // The runs: when, on what, how long, and whether the latest run of each benchmark succeeded.
  lines.push('## Runs', '');
  lines.push('| Benchmark | Latest run | Figures from | Took | Commit | Load (1 min) start → end | Machine | Details |');
  lines.push('|---|---|---|---:|---|---|---|---|');
  const statuses = new Map((run?.benchmarks ?? []).map((status) => [status.name, status]));
  const names = [...new Set([...results.map((result) => result.name), ...statuses.keys()])];
  for (const name of names) {
    const result = results.find((r) => r.name === name);
    const status = statuses.get(name);
    // A failure after the figures were written means the figures are from an earlier run.
    const stale = status && result && status.status !== 'ok' && status.status !== 'skipped' && status.startedAt > result.date;
    const latest = status ? `${status.status === 'ok' ? 'ok' : `**${status.status.toUpperCase()}**`} ${status.startedAt.slice(0, 16).replace('T', ' ')}${status.message ? `: ${cell(status.message.split('\n')[0]!)}` : ''}` : 'not run by `npm run bench` (run on its own)';
    const details = result ? `[${result.markdown}](${result.markdown}) · [${name}.json](${name}.json)` : '—';
    lines.push(
      result
        ? `| ${result.title} | ${latest} | ${result.date.slice(0, 16).replace('T', ' ')}${stale ? ' (an earlier run)' : ''}${result.skipped ? ` (skipped: ${cell(result.skipped)})` : ''} | ${minutes(result.seconds)} | ${commitText(result.commit)} | ${result.load.start.toFixed(2)} → ${result.load.end.toFixed(2)} | ${result.machine.cpu}, ${result.machine.cores} cores | ${details} |`
        : `| ${name} | ${latest} | no figures | ${status ? minutes(status.seconds) : '—'} | — | — | — | — |`,
    );
  }
  lines.push('');

  for (const result of results) {
    lines.push(`## ${result.title}`, '');
    lines.push(`${result.summary} Full results, method and profiles: [${result.markdown}](${result.markdown}).`, '');
    if (result.skipped) {
      lines.push(`Skipped: ${result.skipped}.`, '');
      continue;
    }
    lines.push(`Settings: ${Object.entries(result.settings).map(([key, value]) => `${key} ${value}`).join(', ')}. Took ${minutes(result.seconds)}.`, '');
    const throughput = writeChart(`${result.name}-throughput.svg`, throughputChart(result));
    if (throughput) lines.push(`![${result.title}: throughput, patchbay beside the raw limit](${throughput})`, '');
    const latency = writeChart(`${result.name}-latency.svg`, latencyChart(result));
    if (latency) lines.push(`![${result.title}: latency percentiles](${latency})`, '');
    lines.push('| Measurement | patchbay | p50 | p95 | p99 | Raw limit (same run) | Ratio | Target | |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---|---|');
    for (const row of result.rows) {
      lines.push(
        `| ${cell(row.label)}${row.note ? `<br><sub>${cell(row.note)}</sub>` : ''} | ${row.throughput ? figure(row.throughput.value, row.throughput.unit) : '—'} | ${ms(row.latencyMs?.p50)} | ${ms(row.latencyMs?.p95)} | ${ms(row.latencyMs?.p99)} | ${rawText(row)} | ${row.ratio === null ? '—' : formatFigure(row.ratio)} | ${row.target ? cell(row.target.text) : '—'} | ${row.target ? verdict(row.target.met) : ''} |`,
      );
    }
    lines.push('');
    if (result.verdicts.length > 0) lines.push(...result.verdicts.map((v) => `- ${v.text}: ${verdict(v.met)}`), '');
  }

  lines.push('## Reproducing', '');
  lines.push('`npm run bench` runs every benchmark (`npm run bench -- delivery callouts` runs some), each in its own process within a time bound, shows their progress, and rewrites this report; `node bench/report.ts` rewrites it from the JSON results without running anything. The environment variables each benchmark reads (durations, concurrency, stores, fan-outs…) are listed at the top of its file in `bench/`.', '');
  writeFileSync(REPORT, lines.join('\n'));
  written.unshift(REPORT);
  return written;
}

if (import.meta.main) {
  const written = writeReport();
  process.stdout.write(`Written ${written.map((file) => path.relative(process.cwd(), file)).join(', ')}\n`);
}
