/** One sample of a Prometheus text exposition: `name{labels} value`. */
export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed `/metrics` answer. */
export interface PrometheusText {
  samples: PrometheusSample[];
  /** Metric family name → its `# TYPE` (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>;
  /** Samples whose name is `name` and whose labels include every label given. */
  find(name: string, labels?: Record<string, string>): PrometheusSample[];
  /** The sum of those samples' values (0 when there is none). */
  sum(name: string, labels?: Record<string, string>): number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})?\\s+(\\S+)(?:\\s+(-?\\d+))?$`);
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * Parses the Prometheus text format (version 0.0.4) strictly: any line that is not a comment, a
 * `# HELP` / `# TYPE` line or a well-formed sample throws, naming the line. Written here because
 * prom-client only writes the format, and a test of /metrics must prove a scraper can read it.
 */
export function parsePrometheusText(text: string): PrometheusText {
  const samples: PrometheusSample[] = [];
  const types = new Map<string, string>();
  text.split('\n').forEach((line, index) => {
    const fail = (why: string) => {
      throw new Error(`line ${index + 1} of the metrics text ${why}: ${JSON.stringify(line)}`);
    };
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!meta) return; // a plain comment
      if (!new RegExp(`^${NAME}$`).test(meta[2])) fail('names an invalid metric');
      if (meta[1] === 'TYPE') {
        if (!TYPES.has(meta[3] ?? '')) fail('has an unknown type');
        if (types.has(meta[2])) fail('repeats a TYPE');
        types.set(meta[2], meta[3] as string);
      }
      return;
    }
    const match = SAMPLE.exec(line);
    if (!match) return fail('is not a sample');
    const [, name, labelText, valueText] = match;
    const value = parseValue(valueText);
    if (value === undefined) return fail('has a value that is not a number');
    const labels: Record<string, string> = {};
    if (labelText !== undefined && labelText !== '') {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < labelText.length) {
        const at = LABEL.lastIndex;
        const label = LABEL.exec(labelText);
        if (!label || label.index !== at) return fail('has malformed labels');
        if (label[1] in labels) fail('repeats a label');
        labels[label[1]] = label[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      }
    }
    samples.push({ name, labels, value });
  });
  const find = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return { samples, types, find, sum: (name, labels) => find(name, labels).reduce((total, s) => total + s.value, 0) };
}

/** A sample value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case; prom-client writes `Nan`). */
function parseValue(text: string): number | undefined {
  if (/^nan$/i.test(text)) return NaN;
  const infinity = /^([+-]?)inf(inity)?$/i.exec(text);
  if (infinity) return infinity[1] === '-' ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return undefined;
  return Number(text);
}
