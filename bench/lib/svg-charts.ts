/**
 * Horizontal bar charts as plain SVG text, for the benchmark report (no chart dependency): a title, a
 * legend, one group of bars per measurement with its label on the left, each bar's value at its end, an
 * optional note per group on the right (e.g. a ratio), an x axis with grid lines and an optional marker
 * line (a target). Figures that span more than two orders of magnitude get a logarithmic axis, said in
 * the axis title. A white background keeps them readable in GitHub's dark mode.
 */

/** One bar of every group. */
export interface BarSeries {
  name: string;
  color: string;
  /** The colour of this series in a muted group (e.g. the raw limit's latency, in greys). */
  mutedColor?: string;
}

/** One measurement: a bar per series (null: no bar), a label, and an optional note on the right. */
export interface BarGroup {
  label: string;
  values: Array<number | null>;
  /** Draw with the series' muted colours. */
  muted?: boolean;
  note?: string;
}

export interface BarChart {
  title: string;
  subtitle?: string;
  /** The x axis title, e.g. "per second"; the scale is added. */
  axis: string;
  series: BarSeries[];
  groups: BarGroup[];
  /** The legend; defaults to the series' names and colours. */
  legend?: Array<{ name: string; color: string }>;
  /** 'auto' (default): logarithmic when the values span more than 100×. */
  scale?: 'linear' | 'log' | 'auto';
  /** Text of a bar's value (default: grouped thousands, up to 3 significant digits). */
  format?: (value: number) => string;
  /** A dashed vertical line, e.g. a target. */
  marker?: { value: number; label: string };
}

/** Widths of the plot (bars), of the room for the value after the longest bar, and of the notes column. */
const PLOT_WIDTH = 434;
const VALUE_ROOM = 86;
const NOTE_WIDTH = 134;
/** About the width of a character of 12 px text, to fit the label column to the longest label. */
const CHAR_WIDTH = 6.4;
const BAR_HEIGHT = 13;
const BAR_GAP = 2;
const GROUP_GAP = 12;
/** Longer labels are cut (the whole label is the tooltip). */
const MAX_LABEL = 72;
const FONT = 'font-family="-apple-system, BlinkMacSystemFont, Segoe UI, Helvetica, Arial, sans-serif"';

/** Escapes text for SVG content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A figure as the charts and tables print it: thousands grouped, small values with up to 3 significant digits. */
export function formatFigure(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1).replace(/\.0$/, '');
  return Number(value.toPrecision(Math.abs(value) >= 1 ? 3 : 2)).toString();
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Nice linear ticks from 0 to at least `max`. */
function linearTicks(max: number): number[] {
  const top = max > 0 ? max : 1;
  const rough = top / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => top / s <= 6) ?? 10 * power;
  const ticks: number[] = [];
  for (let tick = 0; tick < top + step * 0.999; tick += step) ticks.push(Number(tick.toPrecision(12)));
  return ticks;
}

/** The chart as SVG text. */
export function barChart(chart: BarChart): string {
  const format = chart.format ?? formatFigure;
  const values = chart.groups.flatMap((group) => group.values).filter((value): value is number => value !== null && Number.isFinite(value));
  const positive = values.filter((value) => value > 0);
  const max = Math.max(...positive, chart.marker?.value ?? 0, Number.MIN_VALUE);
  const min = Math.min(...positive, chart.marker?.value ?? Infinity);
  const log = chart.scale === 'log' || (chart.scale !== 'linear' && positive.length > 0 && max / min > 100);

  // The label column fits the longest label (within limits); the rest of the layout follows it.
  const longest = Math.max(...chart.groups.map((group) => Math.min(group.label.length, MAX_LABEL)));
  const labelRight = Math.min(480, Math.max(220, Math.ceil(longest * CHAR_WIDTH) + 16));
  const plotLeft = labelRight + 8;
  const plotRight = plotLeft + PLOT_WIDTH;
  const noteLeft = plotRight + VALUE_ROOM;
  const width = noteLeft + NOTE_WIDTH;

  let x: (value: number) => number;
  let ticks: number[];
  if (log) {
    const low = Math.floor(Math.log10(min));
    const high = Math.max(low + 1, Math.ceil(Math.log10(max)));
    x = (value) => plotLeft + ((Math.log10(Math.max(value, 10 ** low)) - low) / (high - low)) * (plotRight - plotLeft);
    ticks = Array.from({ length: high - low + 1 }, (_, i) => 10 ** (low + i));
  } else {
    ticks = linearTicks(max);
    const top = ticks.at(-1)!;
    x = (value) => plotLeft + (Math.max(0, value) / top) * (plotRight - plotLeft);
  }

  const legend = chart.legend ?? chart.series.map((series) => ({ name: series.name, color: series.color }));
  const top = 56 + (chart.subtitle ? 18 : 0) + 24;
  const groupHeight = chart.series.length * (BAR_HEIGHT + BAR_GAP) - BAR_GAP + GROUP_GAP;
  const plotBottom = top + chart.groups.length * groupHeight;
  const height = plotBottom + 48;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(chart.title)}" ${FONT}>`);
  out.push(`<title>${escapeXml(chart.title)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="16" y="28" font-size="17" font-weight="600" fill="#111827">${escapeXml(chart.title)}</text>`);
  let legendY = 50;
  if (chart.subtitle) {
    out.push(`<text x="16" y="48" font-size="12" fill="#4b5563">${escapeXml(chart.subtitle)}</text>`);
    legendY += 18;
  }
  let legendX = 16;
  for (const item of legend) {
    out.push(`<rect x="${legendX}" y="${legendY - 10}" width="12" height="12" fill="${item.color}"/>`);
    out.push(`<text x="${legendX + 17}" y="${legendY}" font-size="12" fill="#111827">${escapeXml(item.name)}</text>`);
    legendX += 17 + Math.ceil(item.name.length * 6.6) + 18;
  }

  // Grid lines and tick labels.
  for (const tick of ticks) {
    const at = x(tick).toFixed(1);
    out.push(`<line x1="${at}" y1="${top - 6}" x2="${at}" y2="${plotBottom}" stroke="#e5e7eb" stroke-width="1"/>`);
    out.push(`<text x="${at}" y="${plotBottom + 16}" font-size="11" fill="#4b5563" text-anchor="middle">${escapeXml(format(tick))}</text>`);
  }
  out.push(`<line x1="${plotLeft}" y1="${top - 6}" x2="${plotLeft}" y2="${plotBottom}" stroke="#6b7280" stroke-width="1"/>`);
  out.push(`<line x1="${plotLeft}" y1="${plotBottom}" x2="${plotRight}" y2="${plotBottom}" stroke="#6b7280" stroke-width="1"/>`);
  out.push(`<text x="${(plotLeft + plotRight) / 2}" y="${plotBottom + 34}" font-size="12" fill="#374151" text-anchor="middle">${escapeXml(`${chart.axis} (${log ? 'logarithmic scale' : 'linear scale'})`)}</text>`);

  chart.groups.forEach((group, index) => {
    const groupTop = top + index * groupHeight;
    const middle = groupTop + (groupHeight - GROUP_GAP) / 2;
    out.push(`<text x="${labelRight}" y="${(middle + 4).toFixed(1)}" font-size="12" fill="#111827" text-anchor="end"><title>${escapeXml(group.label)}</title>${escapeXml(truncate(group.label, MAX_LABEL))}</text>`);
    chart.series.forEach((series, s) => {
      const value = group.values[s];
      if (value === null || value === undefined || !Number.isFinite(value)) return;
      const y = groupTop + s * (BAR_HEIGHT + BAR_GAP);
      const end = x(value);
      const color = group.muted ? (series.mutedColor ?? series.color) : series.color;
      out.push(`<rect x="${plotLeft}" y="${y}" width="${Math.max(1, end - plotLeft).toFixed(1)}" height="${BAR_HEIGHT}" fill="${color}"><title>${escapeXml(`${group.label}, ${series.name}: ${format(value)}`)}</title></rect>`);
      out.push(`<text x="${(end + 4).toFixed(1)}" y="${y + BAR_HEIGHT - 2}" font-size="11" fill="#111827">${escapeXml(format(value))}</text>`);
    });
    if (group.note) out.push(`<text x="${noteLeft}" y="${(middle + 4).toFixed(1)}" font-size="12" fill="#111827">${escapeXml(group.note)}</text>`);
  });

  if (chart.marker) {
    const at = x(chart.marker.value).toFixed(1);
    out.push(`<line x1="${at}" y1="${top - 6}" x2="${at}" y2="${plotBottom}" stroke="#dc2626" stroke-width="1.5" stroke-dasharray="5 3"/>`);
    out.push(`<text x="${at}" y="${top - 10}" font-size="11" fill="#dc2626" text-anchor="middle">${escapeXml(chart.marker.label)}</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
