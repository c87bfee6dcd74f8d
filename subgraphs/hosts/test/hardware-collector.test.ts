import { describe, expect, it } from 'vitest';
import { collectHardware, parseCpuinfo, parseLscpuJson, parseMeminfo, toHardware } from '../src/sources/probe/collectors/hardware.js';
import { captured, exited, notFound, ok, outcome, scripted } from './collector-harness.js';

const lscpuFlat = captured('lscpu_-J.json');
const cpuinfo = captured('proc_cpuinfo_cpu0.txt');
const meminfo = captured('proc_meminfo.txt');

/**
 * lscpu -J with subsections (`children`), as util-linux 2.37 printed it and later releases print it
 * with --hierarchic (lscpu(1), --json: "JSON output follows the default summary behavior for
 * non-terminals … where subsections are missing"). The shape and values follow the real Raspberry Pi 4
 * output (Ubuntu 22.04, util-linux 2.37.2) quoted in chef/ohai issue #1760, cache entries left out.
 */
const lscpuNestedArm = JSON.stringify({
  lscpu: [
    {
      field: 'Architecture:',
      data: 'aarch64',
      children: [
        { field: 'CPU op-mode(s):', data: '32-bit, 64-bit' },
        { field: 'Byte Order:', data: 'Little Endian' },
      ],
    },
    { field: 'CPU(s):', data: '4', children: [{ field: 'On-line CPU(s) list:', data: '0-3' }] },
    {
      field: 'Vendor ID:',
      data: 'ARM',
      children: [
        {
          field: 'Model name:',
          data: 'Cortex-A72',
          children: [
            { field: 'Model:', data: '3' },
            { field: 'Thread(s) per core:', data: '1' },
            { field: 'Core(s) per cluster:', data: '4' },
            { field: 'Socket(s):', data: '-' },
            { field: 'Cluster(s):', data: '1' },
            { field: 'Stepping:', data: 'r0p3' },
            { field: 'CPU max MHz:', data: '1500.0000' },
            { field: 'CPU min MHz:', data: '600.0000' },
            { field: 'BogoMIPS:', data: '108.00' },
            { field: 'Flags:', data: 'fp asimd evtstrm crc32 cpuid' },
          ],
        },
      ],
    },
  ],
});

/** The captured flat entries regrouped the way 2.37+ nests them, to show both shapes read the same. */
function nestCaptured(): string {
  const flat = (JSON.parse(lscpuFlat) as { lscpu: { field: string; data: string }[] }).lscpu;
  const take = (field: string) => {
    const entry = flat.find((e) => e.field === field);
    if (entry === undefined) throw new Error(`capture has no ${field}`);
    return entry;
  };
  return JSON.stringify({
    lscpu: [
      { ...take('Architecture:'), children: [take('CPU op-mode(s):'), take('Address sizes:'), take('Byte Order:')] },
      { ...take('CPU(s):'), children: [take('On-line CPU(s) list:')] },
      {
        ...take('Vendor ID:'),
        children: [
          {
            ...take('Model name:'),
            children: ['CPU family:', 'Model:', 'Thread(s) per core:', 'Core(s) per socket:', 'Socket(s):', 'Stepping:', 'BogoMIPS:', 'Flags:'].map(take),
          },
        ],
      },
    ],
  });
}

const flagsLine = /^flags\t*: (.*)$/m.exec(cpuinfo)?.[1] ?? '';

describe('parseLscpuJson', () => {
  it('reads the flat list of util-linux 2.38', () => {
    const fields = parseLscpuJson(lscpuFlat);
    expect(fields.get('Architecture')).toBe('x86_64');
    expect(fields.get('CPU(s)')).toBe('2');
    expect(fields.get('Model name')).toBe('Intel(R) Xeon(R) Processor');
    expect(fields.get('Core(s) per socket')).toBe('2');
    expect(fields.get('Vulnerability Retbleed')).toBe('Vulnerable');
    // grep -c '"field"' over the capture: 43 entries, all distinct.
    expect(fields.size).toBe(43);
  });

  it('reads the nested form to the same fields', () => {
    const nested = parseLscpuJson(nestCaptured());
    for (const field of ['Architecture', 'CPU(s)', 'Model name', 'Thread(s) per core', 'Core(s) per socket', 'Socket(s)', 'Flags']) {
      expect(nested.get(field), field).toBe(parseLscpuJson(lscpuFlat).get(field));
    }
    expect(parseLscpuJson(lscpuNestedArm).get('Core(s) per cluster')).toBe('4');
  });

  it('refuses JSON that is not lscpu output', () => {
    expect(() => parseLscpuJson('[]')).toThrow(/"lscpu" array/);
  });
});

describe('parseCpuinfo and parseMeminfo', () => {
  it('reads the model and the sorted, de-duplicated flags', () => {
    const info = parseCpuinfo(cpuinfo);
    expect(info.processors).toBe(1);
    expect(info.modelName).toBe('Intel(R) Xeon(R) Processor');
    expect(info.flags).toHaveLength(108);
    expect(info.flags).toEqual([...new Set(flagsLine.split(' '))].sort());
    expect(info.flags.slice(0, 2)).toEqual(['3dnowprefetch', 'abm']);
    expect(info.flags.at(-1)).toBe('xtopology');
  });

  it('reads ARM cpuinfo (Features, no model name) and counts processors', () => {
    // The aarch64 /proc/cpuinfo layout (arch/arm64/kernel/cpuinfo.c): no "model name" line.
    const arm = ['processor\t: 0', 'BogoMIPS\t: 108.00', 'Features\t: fp asimd evtstrm crc32 cpuid', 'CPU implementer\t: 0x41', '', 'processor\t: 1', 'Features\t: fp asimd evtstrm crc32 cpuid', ''].join('\n');
    expect(parseCpuinfo(arm)).toEqual({ processors: 2, modelName: null, flags: ['asimd', 'cpuid', 'crc32', 'evtstrm', 'fp'] });
  });

  it('reads meminfo values in kB', () => {
    const memory = parseMeminfo(meminfo);
    expect(memory.get('MemTotal')).toBe(24_684_084);
    expect(memory.get('MemAvailable')).toBe(24_109_032);
    expect(memory.get('HugePages_Total')).toBe(0);
    expect(memory.get('VmallocTotal')).toBe(34_359_738_367);
    expect(() => parseMeminfo('nothing here')).toThrow(/no "Key: value"/);
  });
});

describe('collectHardware', () => {
  const expected = {
    architecture: 'x86_64',
    cpuModel: 'Intel(R) Xeon(R) Processor',
    cpuCount: 2,
    socketCount: 1,
    coresPerSocket: 2,
    threadsPerCore: 1,
    memTotalKb: 24_684_084,
    cpuFlags: [...new Set(flagsLine.split(' '))].sort(),
  };

  it('combines lscpu (flat or nested), cpuinfo and meminfo', async () => {
    for (const lscpu of [lscpuFlat, nestCaptured()]) {
      const { context } = scripted({ cpuTopology: ok(lscpu), cpuInfo: ok(cpuinfo), memInfo: ok(meminfo) });
      expect(await collectHardware(context)).toEqual(expected);
    }
  });

  it('reads an ARM cluster host: no socket count, no cores per socket', () => {
    const hardware = toHardware(parseLscpuJson(lscpuNestedArm), { processors: 4, modelName: null, flags: [] }, new Map([['MemTotal', 3_884_000]]));
    expect(hardware).toEqual({
      architecture: 'aarch64',
      cpuModel: 'Cortex-A72',
      cpuCount: 4,
      socketCount: null,
      coresPerSocket: null,
      threadsPerCore: 1,
      memTotalKb: 3_884_000,
      cpuFlags: ['asimd', 'cpuid', 'crc32', 'evtstrm', 'fp'],
    });
  });

  it('falls back to /proc without lscpu, or with an lscpu too old for -J', async () => {
    for (const lscpu of [notFound('lscpu'), exited(1, "lscpu: invalid option -- 'J'\n")]) {
      const { context } = scripted({ cpuTopology: lscpu, cpuInfo: ok(cpuinfo), memInfo: ok(meminfo) });
      expect(await collectHardware(context)).toEqual({ ...expected, architecture: null, cpuCount: 1, socketCount: null, coresPerSocket: null, threadsPerCore: null });
    }
  });

  it('fails when /proc/cpuinfo cannot be read', async () => {
    const { context } = scripted({ cpuTopology: ok(lscpuFlat), cpuInfo: exited(1, 'cat: /proc/cpuinfo: No such file or directory\n'), memInfo: ok(meminfo) });
    expect(await outcome(collectHardware(context))).toEqual({ status: 'FAILED', message: 'cat /proc/cpuinfo exited with 1: cat: /proc/cpuinfo: No such file or directory' });
  });
});
