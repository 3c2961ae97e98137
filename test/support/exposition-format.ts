/**
 * A strict reading of Prometheus' text exposition format (version 0.0.4) plus the naming rules
 * `promtool check metrics` enforces, so a test can hold /metrics to them where promtool is not installed.
 * Returns every problem found, one string each; an empty list means the text passed.
 */

type Family = { name: string; type: string | null; help: boolean; series: Set<string>; done: boolean };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const VALUE = /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|[+-]?inf|nan)$/i;

type Sample = { name: string; labels: [string, string][]; value: number };

function parseLabels(text: string, problems: string[], where: string): [string, string][] | null {
  const labels: [string, string][] = [];
  let rest = text.trim();
  while (rest.length > 0) {
    const match = /^([^=\s]+)\s*=\s*"((?:[^"\\\n]|\\[\\"n])*)"\s*(,\s*)?/.exec(rest);
    if (!match) {
      problems.push(`${where}: malformed labels {${text}}`);
      return null;
    }
    const [whole, name = '', raw = ''] = match;
    if (!LABEL_NAME.test(name) || name.startsWith('__'))
      problems.push(`${where}: invalid label name ${name}`);
    if (labels.some(([seen]) => seen === name)) problems.push(`${where}: label ${name} given twice`);
    labels.push([name, raw.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char))]);
    rest = rest.slice(whole.length);
    if (rest.length > 0 && !match[3]) {
      problems.push(`${where}: malformed labels {${text}}`);
      return null;
    }
  }
  return labels;
}

function parseSample(line: string, problems: string[], where: string): Sample | null {
  const match = /^([^\s{]+)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$/.exec(line);
  if (!match) {
    problems.push(`${where}: not a sample line: ${line}`);
    return null;
  }
  const [, name = '', labelText, rawValue = ''] = match;
  if (!METRIC_NAME.test(name)) problems.push(`${where}: invalid metric name ${name}`);
  if (!VALUE.test(rawValue)) problems.push(`${where}: invalid value ${rawValue}`);
  const labels = labelText === undefined ? [] : parseLabels(labelText, problems, where);
  if (!labels) return null;
  const value = /^[+-]?inf$/i.test(rawValue)
    ? rawValue.startsWith('-')
      ? Number.NEGATIVE_INFINITY
      : Number.POSITIVE_INFINITY
    : Number(rawValue);
  return { name, labels, value };
}

/** The family a sample belongs to, given the families declared so far. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const exact = families.get(name);
  if (exact) return exact;
  const match = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (!match) return undefined;
  const family = families.get(match[1] ?? '');
  if (!family) return undefined;
  if (family.type === 'histogram') return family;
  if (family.type === 'summary' && match[2] !== 'bucket') return family;
  return undefined;
}

function namingProblems(family: Family): string[] {
  const problems: string[] = [];
  const { name, type } = family;
  if (!family.help) problems.push(`${name}: no HELP text`);
  if (type === 'counter' && !name.endsWith('_total')) problems.push(`${name}: counter names end in _total`);
  if (type !== 'counter' && name.endsWith('_total')) problems.push(`${name}: only counters end in _total`);
  if (type !== 'histogram' && type !== 'summary' && /_(sum|count)$/.test(name)) {
    problems.push(`${name}: _sum and _count are reserved for histograms and summaries`);
  }
  if (type !== 'histogram' && name.endsWith('_bucket'))
    problems.push(`${name}: _bucket is reserved for histograms`);
  return problems;
}

export function checkExposition(text: string): string[] {
  const problems: string[] = [];
  const families = new Map<string, Family>();
  let current: Family | null = null;
  const histograms = new Map<string, { buckets: [number, number][]; count?: number }>();

  const enter = (family: Family, where: string) => {
    if (current === family) return;
    if (family.done) problems.push(`${where}: ${family.name} appears again after other metrics`);
    if (current) current.done = true;
    current = family;
  };
  const declare = (name: string, where: string): Family => {
    let family = families.get(name);
    if (!family) {
      family = { name, type: null, help: false, series: new Set(), done: false };
      families.set(name, family);
    }
    enter(family, where);
    return family;
  };

  text.split('\n').forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
      if (!meta) return; // a plain comment
      const [, keyword, name = '', rest = ''] = meta;
      if (!METRIC_NAME.test(name)) problems.push(`${where}: invalid metric name ${name}`);
      const family = declare(name, where);
      if (keyword === 'HELP') {
        if (family.help) problems.push(`${where}: second HELP for ${name}`);
        family.help = true;
      } else {
        if (family.type !== null) problems.push(`${where}: second TYPE for ${name}`);
        if (family.series.size > 0) problems.push(`${where}: TYPE for ${name} after its samples`);
        if (!TYPES.has(rest.trim())) problems.push(`${where}: unknown type "${rest.trim()}" for ${name}`);
        family.type = rest.trim();
      }
      return;
    }
    const sample = parseSample(line, problems, where);
    if (!sample) return;
    const family = familyOf(sample.name, families) ?? declare(sample.name, where);
    enter(family, where);
    const labelNames = sample.labels.map(([name]) => name);
    const series = `${sample.name}{${[...sample.labels]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
      .join(',')}}`;
    if (family.series.has(series)) problems.push(`${where}: duplicate series ${series}`);
    family.series.add(series);

    const isSummaryQuantile = family.type === 'summary' && sample.name === family.name;
    const isBucket = family.type === 'histogram' && sample.name === `${family.name}_bucket`;
    if (labelNames.includes('quantile') !== isSummaryQuantile) {
      problems.push(
        isSummaryQuantile
          ? `${where}: summary sample ${sample.name} without a quantile label`
          : `${where}: ${sample.name} has a "quantile" label, which only summaries may have`,
      );
    }
    if (isSummaryQuantile) {
      const quantile = Number(sample.labels.find(([name]) => name === 'quantile')?.[1]);
      if (!(quantile >= 0 && quantile <= 1)) problems.push(`${where}: quantile outside 0..1 in ${series}`);
    }
    if (labelNames.includes('le') !== isBucket) {
      problems.push(
        isBucket
          ? `${where}: histogram bucket ${sample.name} without an le label`
          : `${where}: ${sample.name} has an "le" label, which only histogram buckets may have`,
      );
    }
    if (family.type === 'histogram') {
      const others = sample.labels.filter(([name]) => name !== 'le');
      const key = JSON.stringify(others.sort(([a], [b]) => a.localeCompare(b)));
      const entry = histograms.get(`${family.name}${key}`) ?? { buckets: [] };
      histograms.set(`${family.name}${key}`, entry);
      if (isBucket) {
        const le = sample.labels.find(([name]) => name === 'le')?.[1] ?? '';
        const bound = /^\+?inf$/i.test(le) ? Number.POSITIVE_INFINITY : Number(le);
        if (Number.isNaN(bound)) problems.push(`${where}: le="${le}" is not a number`);
        entry.buckets.push([bound, sample.value]);
      } else if (sample.name.endsWith('_count')) {
        entry.count = sample.value;
      }
    }
  });

  for (const family of families.values()) {
    if (family.type === null) problems.push(`${family.name}: samples without a TYPE line`);
    problems.push(...namingProblems(family));
  }
  for (const [series, { buckets, count }] of histograms) {
    const sorted = [...buckets].sort(([a], [b]) => a - b);
    if (sorted.at(-1)?.[0] !== Number.POSITIVE_INFINITY) problems.push(`${series}: no le="+Inf" bucket`);
    for (let index = 1; index < sorted.length; index += 1) {
      if ((sorted[index]?.[1] ?? 0) < (sorted[index - 1]?.[1] ?? 0)) {
        problems.push(`${series}: bucket counts are not cumulative`);
        break;
      }
    }
    if (count !== undefined && sorted.at(-1)?.[1] !== count)
      problems.push(`${series}: _count differs from +Inf`);
  }
  return problems;
}
