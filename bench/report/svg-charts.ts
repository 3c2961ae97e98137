/**
 * Hand-written SVG charts (no chart library): a line chart for rates over time and a grouped bar
 * chart for latency percentiles. Self-contained files that GitHub and browsers render as images.
 */

export type LineSeries = { name: string; points: { t: number; value: number }[] };
export type BarGroup = { name: string; bars: { label: string; value: number | null }[] };

const WIDTH = 860;
const HEIGHT = 420;
const MARGIN = { top: 48, right: 24, bottom: 92, left: 78 };
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** 1, 2, 5 × 10^n steps: about `count` round ticks from 0 to at least `max`. */
function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((factor) => factor * magnitude >= rough) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let value = 0; value <= max + step * 0.999; value += step) ticks.push(Number(value.toPrecision(12)));
  return ticks;
}

function formatTick(value: number): string {
  if (value >= 1_000_000) return `${Number((value / 1_000_000).toPrecision(3))}M`;
  if (value >= 1000) return `${Number((value / 1000).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

function frame(title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="${WIDTH / 2}" y="26" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(title)}</text>
${body}
</svg>
`;
}

function legend(names: string[], y: number): string {
  const perRow = 3;
  return names
    .map((name, index) => {
      const x = MARGIN.left + (index % perRow) * 250;
      const rowY = y + Math.floor(index / perRow) * 18;
      return `<rect x="${x}" y="${rowY - 9}" width="12" height="12" fill="${PALETTE[index % PALETTE.length]}"/><text x="${x + 18}" y="${rowY + 1}">${escapeXml(name)}</text>`;
    })
    .join('\n');
}

export function lineChart({
  title,
  xLabel,
  yLabel,
  series,
}: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
}): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const allPoints = series.flatMap((line) => line.points);
  const xTicks = niceTicks(Math.max(1, ...allPoints.map((point) => point.t)), 8);
  const yTicks = niceTicks(Math.max(1, ...allPoints.map((point) => point.value)));
  const xMax = xTicks.at(-1) ?? 1;
  const yMax = yTicks.at(-1) ?? 1;
  const x = (t: number) => MARGIN.left + (t / xMax) * plotWidth;
  const y = (value: number) => MARGIN.top + plotHeight - (value / yMax) * plotHeight;
  const grid = [
    ...yTicks.map(
      (tick) =>
        `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e5e7eb"/><text x="${MARGIN.left - 8}" y="${y(tick) + 4}" text-anchor="end">${formatTick(tick)}</text>`,
    ),
    ...xTicks.map(
      (tick) =>
        `<line x1="${x(tick)}" x2="${x(tick)}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight + 5}" stroke="#6b7280"/><text x="${x(tick)}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${formatTick(tick)}</text>`,
    ),
  ].join('\n');
  const lines = series
    .map((line, index) => {
      if (line.points.length === 0) return '';
      const path = line.points
        .map((point, i) => `${i === 0 ? 'M' : 'L'}${x(point.t).toFixed(1)},${y(point.value).toFixed(1)}`)
        .join(' ');
      return `<path d="${path}" fill="none" stroke="${PALETTE[index % PALETTE.length]}" stroke-width="2" stroke-linejoin="round"/>`;
    })
    .join('\n');
  const axes = `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#6b7280"/>
<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}" stroke="#6b7280"/>
<text x="${MARGIN.left + plotWidth / 2}" y="${MARGIN.top + plotHeight + 38}" text-anchor="middle">${escapeXml(xLabel)}</text>
<text transform="translate(18 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`;
  return frame(
    title,
    `${grid}\n${axes}\n${lines}\n${legend(
      series.map((line) => line.name),
      HEIGHT - 34,
    )}`,
  );
}

/** Bars on a logarithmic axis: latencies span from a millisecond to seconds in one chart. */
export function groupedBarChart({
  title,
  yLabel,
  groups,
}: {
  title: string;
  yLabel: string;
  groups: BarGroup[];
}): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const values = groups
    .flatMap((group) => group.bars.map((bar) => bar.value))
    .filter((value): value is number => value !== null && value > 0);
  const low = 10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(1, ...values))));
  const high = 10 ** Math.ceil(Math.log10(Math.max(10, ...values)));
  const y = (value: number) =>
    MARGIN.top +
    plotHeight -
    ((Math.log10(Math.max(value, low)) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) *
      plotHeight;
  const ticks: number[] = [];
  for (let tick = low; tick <= high * 1.0001; tick *= 10) ticks.push(tick);
  const grid = ticks
    .map(
      (tick) =>
        `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e5e7eb"/><text x="${MARGIN.left - 8}" y="${y(tick) + 4}" text-anchor="end">${tick >= 1000 ? `${tick / 1000} s` : `${tick} ms`}</text>`,
    )
    .join('\n');
  const labels = groups[0]?.bars.map((bar) => bar.label) ?? [];
  const groupWidth = plotWidth / Math.max(1, groups.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, labels.length);
  const bars = groups
    .map((group, groupIndex) => {
      const left = MARGIN.left + groupIndex * groupWidth + groupWidth * 0.1;
      const rects = group.bars
        .map((bar, barIndex) => {
          if (bar.value === null || !Number.isFinite(bar.value)) return '';
          const top = y(bar.value);
          return `<rect x="${(left + barIndex * barWidth).toFixed(1)}" y="${top.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(MARGIN.top + plotHeight - top).toFixed(1)}" fill="${PALETTE[barIndex % PALETTE.length]}"><title>${escapeXml(`${group.name} ${bar.label}: ${bar.value.toFixed(1)} ms`)}</title></rect>`;
        })
        .join('');
      return `${rects}<text x="${(left + groupWidth * 0.4).toFixed(1)}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle" font-size="11">${escapeXml(group.name)}</text>`;
    })
    .join('\n');
  const axes = `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#6b7280"/>
<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}" stroke="#6b7280"/>
<text transform="translate(18 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`;
  return frame(title, `${grid}\n${axes}\n${bars}\n${legend(labels, HEIGHT - 34)}`);
}
