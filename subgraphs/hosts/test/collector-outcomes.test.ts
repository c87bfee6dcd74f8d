import { describe, expect, it } from 'vitest';
import { CommandNotAllowedError } from '../src/sources/probe/allowlist.js';
import { CollectorFailure, failureOf, outcomeOfError, parseOutput } from '../src/sources/probe/collector.js';
import { ProbeFailure } from '../src/sources/probe/probe-failure.js';
import { exited, notFound, ok, scripted } from './collector-harness.js';

const status = (failure: CollectorFailure | null) => (failure === null ? 'OK' : failure.status);

describe('failureOf: how a finished command maps to an outcome', () => {
  it('is null for exit 0, whatever stderr says', () => {
    expect(failureOf('diskFree', ok('x'))).toBeNull();
    expect(failureOf('diskFree', { stdout: 'x', stderr: 'Permission denied', exitCode: 0 })).toBeNull();
  });

  it('maps exit 127 (shell) and ENOENT (the local transport reports it as 127) to UNSUPPORTED', () => {
    expect(failureOf('listeningSockets', notFound('ss'))).toEqual(new CollectorFailure('UNSUPPORTED', 'ss is not installed on the host'));
    expect(status(failureOf('nftRuleset', exited(127, 'nft: command not found')))).toBe('UNSUPPORTED');
    // dash and busybox sh word it differently; the exit code is what counts.
    expect(status(failureOf('nftRuleset', exited(127, 'sh: 1: nft: not found')))).toBe('UNSUPPORTED');
  });

  it('maps EACCES / EPERM texts and sudo refusals to DENIED', () => {
    for (const stderr of [
      'cat: /proc/cpuinfo: Permission denied',
      'Error: cache initialization failed: Operation not permitted',
      'sudo: a password is required',
      'Sorry, user vigil is not allowed to execute \'/usr/sbin/nft -j list ruleset\' as root on host.',
      'vigil is not in the sudoers file.  This incident will be reported.',
      'iptables-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)',
      'Failed to list units: Access denied',
    ]) {
      expect(status(failureOf('nftRuleset', exited(1, `${stderr}\n`))), stderr).toBe('DENIED');
    }
  });

  it('under sudo: a missing sudo is DENIED, a program sudo cannot find is UNSUPPORTED', () => {
    expect(failureOf('nftRuleset', notFound('sudo'), { sudo: true })).toEqual(new CollectorFailure('DENIED', 'sudo -n nft -j list ruleset: sudo is not installed on the host'));
    expect(failureOf('nftRuleset', exited(1, 'sudo: nft: command not found\n'), { sudo: true })).toEqual(new CollectorFailure('UNSUPPORTED', 'nft is not installed on the host'));
    expect(failureOf('nftRuleset', exited(1, 'sudo: a password is required\n'), { sudo: true })).toEqual(
      new CollectorFailure('DENIED', 'sudo -n nft -j list ruleset was denied: sudo: a password is required'),
    );
  });

  it('maps any other exit and a signal to FAILED, naming the command, with at most one short stderr line', () => {
    const long = `ss: ${'x'.repeat(500)}\nsecond line with more detail\n`;
    const failure = failureOf('listeningSockets', exited(2, long));
    expect(failure?.status).toBe('FAILED');
    expect(failure?.message).toBe(`ss -H -tuln exited with 2: ss: ${'x'.repeat(196)}`);
    expect(failure?.message).not.toContain('second line');
    expect(failureOf('listeningSockets', exited(null, ''))).toEqual(new CollectorFailure('FAILED', 'ss -H -tuln was killed by a signal'));
    // Long format strings are left out of messages.
    expect(failureOf('dpkgPackages', exited(2, 'dpkg-query: error: x\n'))?.message).toBe('dpkg-query exited with 2: dpkg-query: error: x');
  });
});

describe('outcomeOfError: what a collector threw', () => {
  it('maps transport failures: TIMEOUT stays TIMEOUT, the rest is FAILED', () => {
    expect(outcomeOfError(new ProbeFailure('TIMEOUT', 'ss did not finish within 100 ms'))).toEqual({ status: 'TIMEOUT', message: 'ss did not finish within 100 ms' });
    expect(outcomeOfError(new ProbeFailure('ERROR', 'cat wrote more than 10 bytes'))).toEqual({ status: 'FAILED', message: 'cat wrote more than 10 bytes' });
    expect(outcomeOfError(new CommandNotAllowedError()).status).toBe('FAILED');
    expect(outcomeOfError(new CollectorFailure('DENIED', 'no'))).toEqual({ status: 'DENIED', message: 'no' });
    expect(outcomeOfError(new TypeError('x is undefined'))).toEqual({ status: 'FAILED', message: 'unexpected collector error: x is undefined' });
  });

  it('turns a parser error into FAILED naming the command, never quoting output', () => {
    const { context } = scripted({});
    const thrown = (() => {
      try {
        parseOutput(context, 'ipAddresses', (text: string) => JSON.parse(text) as unknown, '{"password":"hunter2"');
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(outcomeOfError(thrown)).toEqual({ status: 'FAILED', message: 'could not parse the output of ip -j addr: unexpected output' });
    expect(JSON.stringify(outcomeOfError(thrown))).not.toContain('hunter2');
  });
});
