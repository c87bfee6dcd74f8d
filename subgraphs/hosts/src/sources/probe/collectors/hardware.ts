import type { Hardware } from '../../../facts/types.js';
import { OutputFormatError, attempt, integer, isRecord, lines, parseJson, parseOutput, read, stringField, type CollectorContext } from '../collector.js';

/**
 * `/proc/meminfo`: `Key:   value kB` (a few counters, e.g. HugePages_Total, have no unit). Returns
 * every numeric value by key, in kB where the kernel says kB.
 */
export function parseMeminfo(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of lines(text)) {
    const match = /^([^:]+):\s*(\d+)(?:\s+kB)?\s*$/.exec(line);
    const value = integer(match?.[2]);
    if (match?.[1] !== undefined && value !== null) values.set(match[1], value);
  }
  if (values.size === 0) throw new OutputFormatError('no "Key: value" lines');
  return values;
}

/**
 * `lscpu -J` as field → data, fields without their trailing colon; the first occurrence of a field
 * wins (a big.LITTLE host lists one "Model name" per core type). Two shapes exist, per lscpu(1): the
 * flat `{"lscpu": [{"field", "data"}, …]}` that util-linux 2.38+ prints when stdout is not a terminal
 * (as over SSH), and the same entries nested under `children` that 2.37 always printed and later
 * releases print with --hierarchic. Both are read by walking the tree.
 */
export function parseLscpuJson(text: string): Map<string, string> {
  const document = parseJson(text);
  const entries = isRecord(document) ? document['lscpu'] : undefined;
  if (!Array.isArray(entries)) throw new OutputFormatError('expected an object with an "lscpu" array');
  const fields = new Map<string, string>();
  const walk = (list: unknown[]) => {
    for (const entry of list) {
      if (!isRecord(entry)) continue;
      const field = stringField(entry, 'field')?.replace(/:$/, '');
      const data = stringField(entry, 'data');
      if (field !== undefined && data !== null && !fields.has(field)) fields.set(field, data);
      const children = entry['children'];
      if (Array.isArray(children)) walk(children);
    }
  };
  walk(entries);
  return fields;
}

export interface CpuInfo {
  processors: number;
  modelName: string | null;
  flags: string[];
}

/**
 * `/proc/cpuinfo`: blocks of `key\t: value`, one per logical CPU. The model is `model name` (x86) or
 * `Processor` (32-bit ARM); feature flags are `flags` (x86) or `Features` (ARM), taken from the first
 * CPU that lists them, de-duplicated and sorted.
 */
export function parseCpuinfo(text: string): CpuInfo {
  let processors = 0;
  let modelName: string | null = null;
  let flags: string[] | null = null;
  for (const line of lines(text)) {
    const match = /^([^\t:]+?)\s*:\s?(.*)$/.exec(line);
    if (match?.[1] === undefined) continue;
    const [key, value] = [match[1], (match[2] ?? '').trim()];
    if (key === 'processor') processors++;
    else if ((key === 'model name' || key === 'Processor') && modelName === null && value !== '') modelName = value;
    else if ((key === 'flags' || key === 'Features') && flags === null) flags = value.split(/\s+/).filter((flag) => flag !== '');
  }
  if (processors === 0 && modelName === null && flags === null) throw new OutputFormatError('no processor entries');
  return { processors, modelName, flags: [...new Set(flags ?? [])].sort() };
}

/** lscpu prints `-` for what it cannot tell (e.g. `Socket(s): -` on ARM clusters). */
const known = (value: string | undefined) => (value === undefined || value === '' || value === '-' ? null : value);

/** The fact, from lscpu fields when lscpu ran (null when it did not) plus /proc/cpuinfo and /proc/meminfo. */
export function toHardware(lscpu: ReadonlyMap<string, string> | null, cpuinfo: CpuInfo, meminfo: ReadonlyMap<string, number>): Hardware {
  const field = (name: string) => known(lscpu?.get(name));
  return {
    architecture: field('Architecture'),
    cpuModel: field('Model name') ?? cpuinfo.modelName,
    cpuCount: integer(field('CPU(s)') ?? undefined) ?? (cpuinfo.processors > 0 ? cpuinfo.processors : null),
    socketCount: integer(field('Socket(s)') ?? undefined),
    // ARM lscpu says "Core(s) per cluster" instead; a cluster is not a socket, so that stays null.
    coresPerSocket: integer(field('Core(s) per socket') ?? undefined),
    threadsPerCore: integer(field('Thread(s) per core') ?? undefined),
    memTotalKb: meminfo.get('MemTotal') ?? null,
    cpuFlags: cpuinfo.flags.length > 0 ? cpuinfo.flags : [...new Set((field('Flags') ?? '').split(/\s+/).filter((f) => f !== ''))].sort(),
  };
}

/** lscpu before util-linux 2.30 has no -J; busybox systems often have no lscpu at all. */
const LSCPU_NO_JSON = /invalid option|unrecognized option/i;

/**
 * lscpu, /proc/cpuinfo and /proc/meminfo. Without a usable lscpu (missing, or too old for -J) the fact
 * is still reported from /proc, with architecture and topology null: a partial hardware fact is more
 * use than none, and it does not flap, since a host's lscpu does not come and go between probes.
 */
export async function collectHardware(context: CollectorContext): Promise<Hardware> {
  const [lscpu, cpuinfoText, meminfoText] = await Promise.all([attempt(context, 'cpuTopology'), read(context, 'cpuInfo'), read(context, 'memInfo')]);
  let fields: Map<string, string> | null = null;
  if (lscpu.ok) fields = parseOutput(context, 'cpuTopology', parseLscpuJson, lscpu.output.stdout);
  else if (lscpu.failure.status !== 'UNSUPPORTED' && !LSCPU_NO_JSON.test(lscpu.output.stderr)) throw lscpu.failure;
  return toHardware(fields, parseOutput(context, 'cpuInfo', parseCpuinfo, cpuinfoText), parseOutput(context, 'memInfo', parseMeminfo, meminfoText));
}
