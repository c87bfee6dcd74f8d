import { describe, expect, it } from 'vitest';
import { collectGroups, collectUsers, parseGetentGroup, parseGetentPasswd } from '../src/sources/probe/collectors/accounts.js';
import { captured, exited, notFound, ok, outcome, scripted } from './collector-harness.js';

const passwd = captured('getent_passwd.txt');
const group = captured('getent_group.txt');

describe('parseGetentPasswd', () => {
  it('reads every account, without the password field', () => {
    const users = parseGetentPasswd(passwd);
    expect(users).toHaveLength(24);
    expect(users[0]).toEqual({ name: 'root', uid: 0, gid: 0, gecos: 'root', home: '/root', shell: '/bin/bash' });
    expect(users.find((user) => user.name === 'postgres')).toEqual({
      name: 'postgres',
      uid: 101,
      gid: 104,
      gecos: 'PostgreSQL administrator,,,',
      home: '/var/lib/postgresql',
      shell: '/bin/bash',
    });
    expect(users.find((user) => user.name === '_apt')).toEqual({ name: '_apt', uid: 42, gid: 65534, gecos: '', home: '/nonexistent', shell: '/usr/sbin/nologin' });
    expect(users.at(-1)?.name).toBe('postgres');
    expect(JSON.stringify(users)).not.toContain(':x:');
    expect(users.some((user) => 'password' in user)).toBe(false);
  });

  it('skips NIS compat entries, malformed lines and a second listing of a name', () => {
    const text = ['+::::::', 'broken:x:abc:1::/:/bin/sh', 'short:x:1:1', 'a:x:1:1::/a:/bin/sh', 'a:x:2:2:ldap copy:/b:/bin/sh', ''].join('\n');
    expect(parseGetentPasswd(text)).toEqual([{ name: 'a', uid: 1, gid: 1, gecos: '', home: '/a', shell: '/bin/sh' }]);
  });
});

describe('parseGetentGroup', () => {
  it('reads every group and its members', () => {
    const groups = parseGetentGroup(group);
    expect(groups).toHaveLength(47);
    expect(groups[0]).toEqual({ name: 'root', gid: 0, members: [] });
    expect(groups.find((g) => g.name === 'ssl-cert')).toEqual({ name: 'ssl-cert', gid: 103, members: ['postgres'] });
    expect(groups.find((g) => g.name === 'nogroup')).toEqual({ name: 'nogroup', gid: 65534, members: [] });
    expect(groups.filter((g) => g.members.length > 0)).toHaveLength(1);
  });

  it('splits several members', () => {
    expect(parseGetentGroup('sudo:x:27:alice,bob\n')).toEqual([{ name: 'sudo', gid: 27, members: ['alice', 'bob'] }]);
  });
});

describe('collectUsers / collectGroups outcomes', () => {
  it('collects from getent', async () => {
    const { context, ran } = scripted({ passwdEntries: ok(passwd), groupEntries: ok(group) });
    expect(await collectUsers(context)).toHaveLength(24);
    expect(await collectGroups(context)).toHaveLength(47);
    expect(ran).toEqual(['passwdEntries', 'groupEntries']);
  });

  it('maps a missing getent to UNSUPPORTED and an enumeration error to FAILED', async () => {
    expect(await outcome(collectUsers(scripted({ passwdEntries: notFound('getent') }).context))).toEqual({
      status: 'UNSUPPORTED',
      message: 'getent is not installed on the host',
    });
    // getent(1): exit 3 is "enumeration not supported on this database".
    expect(await outcome(collectGroups(scripted({ groupEntries: exited(3, '') }).context))).toEqual({
      status: 'FAILED',
      message: 'getent group exited with 3',
    });
  });
});
