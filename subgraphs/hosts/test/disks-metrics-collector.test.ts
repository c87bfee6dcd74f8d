import { describe, expect, it } from 'vitest';
import { collectDisks, parseDf, storageRows } from '../src/sources/probe/collectors/disks.js';
import { collectMetrics, parseLoadavg, parseUptime } from '../src/sources/probe/collectors/metrics.js';
import { captured, exited, ok, outcome, scripted } from './collector-harness.js';

const df = captured('df_-P_-k.txt');
const loadavg = captured('proc_loadavg.txt');
const uptime = captured('proc_uptime.txt');
const meminfo = captured('proc_meminfo.txt');

describe('parseDf', () => {
  it('reads every filesystem line and skips the header', () => {
    expect(parseDf(df)).toEqual([
      { filesystem: 'devtmpfs', mountpoint: '/dev', sizeKb: 12_334_460, usedKb: 0, availableKb: 12_334_460 },
      { filesystem: 'tmpfs', mountpoint: '/dev/shm', sizeKb: 24_684_084, usedKb: 1052, availableKb: 24_683_032 },
      { filesystem: '/dev/vda', mountpoint: '/', sizeKb: 264_212_084, usedKb: 25_533_400, availableKb: 80_857_512 },
      { filesystem: 'tmpfs', mountpoint: '/sys/fs/cgroup', sizeKb: 4096, usedKb: 0, availableKb: 4096 },
    ]);
  });

  it('keeps spaces in names and mount points, and skips lines df could not measure', () => {
    const text = ['Filesystem 1024-blocks Used Available Capacity Mounted on', '//nas/my share      1000  10  990   1% /mnt/my share', 'gone  -  -  -  - /mnt/hung'].join('\n');
    expect(parseDf(text)).toEqual([{ filesystem: '//nas/my share', mountpoint: '/mnt/my share', sizeKb: 1000, usedKb: 10, availableKb: 990 }]);
  });
});

describe('storageRows', () => {
  it('skips memory-backed and pseudo filesystems and container overlays, keeping an overlay root', () => {
    const row = (filesystem: string, mountpoint: string, sizeKb = 100) => ({ filesystem, mountpoint, sizeKb, usedKb: 1, availableKb: 99 });
    expect(
      storageRows([
        row('overlay', '/'),
        row('overlay', '/var/lib/docker/overlay2/abc/merged'),
        row('tmpfs', '/run'),
        row('udev', '/dev'),
        row('/dev/sda1', '/boot'),
        row('/dev/loop0', '/snap/empty', 0),
        row('/dev/sdb1', '/data'),
        row('/dev/sdc1', '/data'),
      ]).map((r) => `${r.filesystem} ${r.mountpoint}`),
    ).toEqual(['overlay /', '/dev/sda1 /boot', '/dev/sdc1 /data']);
  });
});

describe('collectDisks', () => {
  it('reports each real filesystem with its size only', async () => {
    const { context } = scripted({ diskFree: ok(df) });
    expect(await collectDisks(context)).toEqual([{ filesystem: '/dev/vda', mountpoint: '/', sizeKb: 264_212_084 }]);
  });

  it('keeps the rows df printed when one filesystem could not be read (exit 1)', async () => {
    const { context } = scripted({ diskFree: exited(1, "df: /run/user/1000/doc: Operation not permitted\n", df) });
    expect(await collectDisks(context)).toHaveLength(1);
  });

  it('fails when df printed nothing usable', async () => {
    expect(await outcome(collectDisks(scripted({ diskFree: exited(1, 'df: cannot read table of mounted file systems: No such file or directory\n') }).context))).toEqual({
      status: 'FAILED',
      message: 'df -P -k exited with 1: df: cannot read table of mounted file systems: No such file or directory',
    });
    expect(await outcome(collectDisks(scripted({ diskFree: ok('Filesystem 1024-blocks Used Available Capacity Mounted on\n') }).context))).toEqual({
      status: 'FAILED',
      message: 'could not parse the output of df -P -k: no filesystem lines',
    });
  });
});

describe('metrics', () => {
  it('parses /proc/loadavg and /proc/uptime', () => {
    expect(parseLoadavg(loadavg)).toEqual({ load1: 1.01, load5: 0.75, load15: 0.42 });
    expect(parseUptime(uptime)).toBe(807.03);
    expect(() => parseLoadavg('1.0 x\n')).toThrow(/three load averages/);
    expect(() => parseUptime('\n')).toThrow(/seconds since boot/);
  });

  it('collects one snapshot from loadavg, meminfo, uptime and df', async () => {
    const { context, ran } = scripted({ loadAverage: ok(loadavg), memInfo: ok(meminfo), uptime: ok(uptime), diskFree: ok(df) });
    expect(await collectMetrics(context, '2030-01-01T00:00:00.000Z')).toEqual({
      at: '2030-01-01T00:00:00.000Z',
      load1: 1.01,
      load5: 0.75,
      load15: 0.42,
      memTotalKb: 24_684_084,
      memAvailableKb: 24_109_032,
      swapTotalKb: 0,
      swapFreeKb: 0,
      uptimeSeconds: 807.03,
      disks: [{ mountpoint: '/', sizeKb: 264_212_084, usedKb: 25_533_400, availableKb: 80_857_512 }],
    });
    expect(ran.sort()).toEqual(['diskFree', 'loadAverage', 'memInfo', 'uptime']);
  });

  it('leaves MemAvailable null on kernels before 3.14', async () => {
    const old = meminfo.replace(/^MemAvailable:.*\n/m, '');
    const { context } = scripted({ loadAverage: ok(loadavg), memInfo: ok(old), uptime: ok(uptime), diskFree: ok(df) });
    expect((await collectMetrics(context, '2030-01-01T00:00:00.000Z')).memAvailableKb).toBeNull();
  });

  it('fails, naming the command, when a /proc file is unreadable', async () => {
    const { context } = scripted({ loadAverage: exited(1, 'cat: /proc/loadavg: Permission denied\n'), memInfo: ok(meminfo), uptime: ok(uptime), diskFree: ok(df) });
    expect(await outcome(collectMetrics(context, '2030-01-01T00:00:00.000Z'))).toEqual({
      status: 'DENIED',
      message: 'cat /proc/loadavg was denied: cat: /proc/loadavg: Permission denied',
    });
  });
});
