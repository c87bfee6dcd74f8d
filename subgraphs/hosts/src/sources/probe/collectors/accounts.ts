import type { Group, User } from '../../../facts/types.js';
import { integer, lines, parseOutput, read, type CollectorContext } from '../collector.js';

/**
 * `getent passwd`: passwd(5) lines `name:password:uid:gid:gecos:home:shell`. The password field (`x`
 * or `*` on shadowed systems, a hash on very old ones) is never read. Lines that are not seven fields
 * with numeric ids, such as NIS compat `+`/`-` entries, are skipped. When NSS lists a name twice (files
 * and LDAP), the first wins, as it does for getpwnam().
 */
export function parseGetentPasswd(text: string): User[] {
  const users = new Map<string, User>();
  for (const line of lines(text)) {
    const fields = line.split(':');
    if (fields.length !== 7) continue;
    const [name, , uidText, gidText, gecos, home, shell] = fields;
    const uid = integer(uidText);
    const gid = integer(gidText);
    if (!name || uid === null || gid === null || /^[+-]/.test(name) || users.has(name)) continue;
    users.set(name, { name, uid, gid, gecos: gecos ?? '', home: home ?? '', shell: shell ?? '' });
  }
  return [...users.values()];
}

/** `getent group`: group(5) lines `name:password:gid:member,member`; the password field is never read. */
export function parseGetentGroup(text: string): Group[] {
  const groups = new Map<string, Group>();
  for (const line of lines(text)) {
    const fields = line.split(':');
    if (fields.length !== 4) continue;
    const [name, , gidText, memberText] = fields;
    const gid = integer(gidText);
    if (!name || gid === null || /^[+-]/.test(name) || groups.has(name)) continue;
    const members = (memberText ?? '').split(',').filter((member) => member !== '');
    groups.set(name, { name, gid, members });
  }
  return [...groups.values()];
}

export async function collectUsers(context: CollectorContext): Promise<User[]> {
  return parseOutput(context, 'passwdEntries', parseGetentPasswd, await read(context, 'passwdEntries'));
}

export async function collectGroups(context: CollectorContext): Promise<Group[]> {
  return parseOutput(context, 'groupEntries', parseGetentGroup, await read(context, 'groupEntries'));
}
