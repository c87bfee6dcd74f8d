import { describe, expect, it } from 'vitest';
import { collectServices, mergeServices, parseSystemctlUnitFiles, parseSystemctlUnits } from '../src/sources/probe/collectors/services.js';
import { captured, exited, notFound, ok, outcome, scripted } from './collector-harness.js';

const units = captured('systemctl_list-units_service_all_plain_no-legend.txt');
const withLegend = captured('systemctl_list-units_service_all_with-legend.txt');
const unitFiles = captured('systemctl_list-unit-files_service_no-legend.txt');

describe('parseSystemctlUnits', () => {
  it('reads every unit of the plain listing with its states and description', () => {
    const parsed = parseSystemctlUnits(units);
    expect(parsed).toHaveLength(69);
    expect(parsed[0]).toEqual({
      name: 'apt-daily-upgrade.service',
      description: 'Daily apt upgrade and clean activities',
      loadState: 'loaded',
      activeState: 'inactive',
      subState: 'dead',
    });
    expect(parsed.find((unit) => unit.name === 'postgresql@15-main.service')).toEqual({
      name: 'postgresql@15-main.service',
      description: 'PostgreSQL Cluster 15-main',
      loadState: 'loaded',
      activeState: 'active',
      subState: 'running',
    });
    expect(parsed.find((unit) => unit.name === 'rc-local.service')?.description).toBe('/etc/rc.local Compatibility');
    // Counted with awk over the same file: 57 loaded + 12 not-found; 6 running, 11 exited, 52 dead.
    expect(parsed.filter((unit) => unit.loadState === 'not-found')).toHaveLength(12);
    expect(parsed.filter((unit) => unit.subState === 'running')).toHaveLength(6);
    expect(parsed.filter((unit) => unit.activeState === 'active' && unit.subState === 'exited')).toHaveLength(11);
    expect(parsed.find((unit) => unit.name === 'NetworkManager.service')).toEqual({
      name: 'NetworkManager.service',
      description: 'NetworkManager.service',
      loadState: 'not-found',
      activeState: 'inactive',
      subState: 'dead',
    });
  });

  it('reads the decorated listing (● marker, header, footer) to the same units', () => {
    expect(withLegend).toContain('● auditd.service');
    expect(withLegend).toContain('69 loaded units listed.');
    expect(parseSystemctlUnits(withLegend)).toEqual(parseSystemctlUnits(units));
  });

  it('keeps an empty description and ignores blank input', () => {
    expect(parseSystemctlUnits('x.service loaded active running\n')).toEqual([
      { name: 'x.service', description: '', loadState: 'loaded', activeState: 'active', subState: 'running' },
    ]);
    expect(parseSystemctlUnits('')).toEqual([]);
  });
});

describe('parseSystemctlUnitFiles and mergeServices', () => {
  it('reads unit file states and ignores the preset column', () => {
    const states = parseSystemctlUnitFiles(unitFiles);
    expect(states.size).toBe(48);
    expect(states.get('console-getty.service')).toBe('enabled-runtime');
    expect(states.get('cryptdisks.service')).toBe('masked');
    expect(states.get('nftables.service')).toBe('disabled');
    expect(states.get('getty@.service')).toBe('enabled');
  });

  it('gives each unit its file state, instances their template state, not-found units null', () => {
    const services = mergeServices(parseSystemctlUnits(units), parseSystemctlUnitFiles(unitFiles));
    const state = (name: string) => services.find((service) => service.name === name)?.unitFileState;
    expect(state('console-getty.service')).toBe('enabled-runtime');
    expect(state('postgresql.service')).toBe('enabled');
    expect(state('getty@tty1.service')).toBe('enabled');
    expect(state('postgresql@15-main.service')).toBe('indirect');
    expect(state('auditd.service')).toBeNull();
    // The capture of list-unit-files was trimmed to 15 static rows, so journald's file is not in it.
    expect(state('systemd-journald.service')).toBeNull();
    // Per state, counted independently with awk over both files (template fallback included).
    const count = (value: string | null) => services.filter((service) => service.unitFileState === value).length;
    expect([count('enabled'), count('indirect'), count('disabled'), count('enabled-runtime'), count('static'), count(null)]).toEqual([5, 1, 2, 2, 12, 47]);
  });
});

describe('collectServices outcomes', () => {
  it('merges both listings when systemd answers', async () => {
    const { context, ran } = scripted({ systemdUnits: ok(units), systemdUnitFiles: ok(unitFiles) });
    const services = await collectServices(context);
    expect(services).toHaveLength(69);
    expect(services.find((service) => service.name === 'dbus.service')).toEqual({
      name: 'dbus.service',
      description: 'D-Bus System Message Bus',
      loadState: 'loaded',
      activeState: 'active',
      subState: 'running',
      unitFileState: 'static',
    });
    expect(ran.sort()).toEqual(['systemdUnitFiles', 'systemdUnits']);
  });

  it('is UNSUPPORTED, not FAILED, on a host that was not booted with systemd', async () => {
    // What systemctl 252 prints here, where PID 1 is not systemd.
    const notBooted = exited(1, "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n");
    const { context } = scripted({ systemdUnits: notBooted, systemdUnitFiles: ok(unitFiles) });
    expect(await outcome(collectServices(context))).toEqual({
      status: 'UNSUPPORTED',
      message: "systemd is not running on the host: System has not been booted with systemd as init system (PID 1). Can't operate.",
    });
  });

  it('is UNSUPPORTED when the bus is missing (containers) or systemctl is not installed', async () => {
    const noBus = scripted({ systemdUnits: exited(1, 'Failed to connect to bus: No such file or directory\n'), systemdUnitFiles: ok('') });
    expect((await outcome(collectServices(noBus.context))).status).toBe('UNSUPPORTED');
    const missing = scripted({ systemdUnits: notFound('systemctl'), systemdUnitFiles: notFound('systemctl') });
    expect(await outcome(collectServices(missing.context))).toEqual({ status: 'UNSUPPORTED', message: 'systemctl is not installed on the host' });
  });

  it('is DENIED when polkit refuses, and FAILED when only the unit files cannot be listed', async () => {
    const denied = scripted({ systemdUnits: exited(1, 'Failed to list units: Access denied\n'), systemdUnitFiles: ok(unitFiles) });
    expect(await outcome(collectServices(denied.context))).toEqual({
      status: 'DENIED',
      message: 'systemctl list-units --type=service --all --no-pager --plain --no-legend was denied: Failed to list units: Access denied',
    });
    const halfway = scripted({ systemdUnits: ok(units), systemdUnitFiles: exited(1, 'Failed to list unit files: Connection timed out\n') });
    expect(await outcome(collectServices(halfway.context))).toEqual({
      status: 'FAILED',
      message: 'systemctl list-unit-files --type=service --no-pager --no-legend exited with 1: Failed to list unit files: Connection timed out',
    });
  });
});
