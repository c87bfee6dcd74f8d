/**
 * The privacy charter, in code.
 *
 * A probe reads inventory, never people. This file is the single, complete list of what a probe may
 * run on a host, as fixed argv arrays. Collectors refer to a command by its name; no argument is ever
 * built from configuration, a GraphQL argument or command output, so nothing a client sends can reach
 * a shell. Adding a command means adding it here, where review and `allowlist.test.ts` see it.
 *
 * What a probe never reads, whatever a future collector might want:
 * - shell history of any user (`~/.bash_history`, `~/.zsh_history`, fish/psql/mysql/python history, the
 *   `history` builtin);
 * - other processes' command lines or environments (`/proc/<pid>/cmdline`, `/proc/<pid>/environ`, `ps`,
 *   `pgrep`), which routinely carry passwords and tokens. A listening socket's owner is kept as its
 *   process name only (the 15-character comm `ss -p` prints), never its pid or command line;
 * - log files and journals (`/var/log`, `journalctl`, `dmesg`, `last`), which hold user activity;
 * - credentials (`/etc/shadow`, `/etc/gshadow`, `~/.ssh`, private host keys);
 * - anything through a shell, interpreter or privilege wrapper (`sh -c`, `env`, `sudo`, `python`), since
 *   that would turn a fixed command back into arbitrary code.
 *
 * `FORBIDDEN_PATTERNS` states those rules as patterns; a test fails if any allow-listed argv matches one.
 *
 * The one exception is privilege, and it is not an argv: an operator may let a collector run with
 * `sudo -n` (off by default). The transports then run `SUDO_PREFIX` followed by the allow-listed argv,
 * nothing else: `sudo` never appears inside ALLOWED_COMMANDS, the prefix is a frozen constant applied
 * only by `argvFor`, and `-n` makes sudo fail instead of prompting when a password would be needed.
 * A sudoers rule can then be as narrow as the allow-list itself.
 *
 * The only shell code a probe sends besides allow-listed argv is constant framing. Over SSH a probe's
 * commands run as one batch (batch-script.ts): the exec request is the constant `exec /bin/sh -s`, and
 * the script that shell reads is one line per command: `printf` markers carrying a random per-batch
 * nonce and the command's index, the argv rendered by `renderShellCommand` (with SUDO_PREFIX exactly
 * as above), `</dev/null`, and `$?`. No configuration, inventory or client value, and no command
 * output, ever goes into it; `allowlist.test.ts` rebuilds the script from this list and compares, and
 * runs it through /bin/sh with hostile argv. The shell is the transport's, never an allow-listed
 * program, as `$SHELL -c` was for a single command. A batch holds every command the probe's collectors
 * may ask for, fallbacks included (`probePlan`); an output no collector asks for is dropped unread.
 * The local transport starts each argv with execFile, no shell at all.
 */

type Argv = readonly [program: string, ...args: string[]];

const fixed = <const T extends Argv>(...argv: T): T => Object.freeze(argv);

export const ALLOWED_COMMANDS = Object.freeze({
  osRelease: fixed('cat', '/etc/os-release'),
  // os-release(5): /etc/os-release takes precedence, /usr/lib/os-release is the vendor fallback.
  osReleaseFallback: fixed('cat', '/usr/lib/os-release'),
  kernelRelease: fixed('uname', '-r'),
  machineArch: fixed('uname', '-m'),
  // Identifiers, not secrets: they tell which Kubernetes Node a host is (the kubelet reports the same
  // machine ID and SMBIOS system UUID in Node.status.nodeInfo). product_uuid is readable by root only:
  // without sudo for the os collector it fails and the UUID is simply unknown.
  machineId: fixed('cat', '/etc/machine-id'),
  systemUuid: fixed('cat', '/sys/class/dmi/id/product_uuid'),
  hostName: fixed('uname', '-n'),
  // dpkg-query expands \t and \n itself; ${Status} lets the parser drop removed-but-configured rows.
  dpkgPackages: fixed('dpkg-query', '-W', '-f=${Package}\\t${Version}\\t${Architecture}\\t${Status}\\n'),
  // rpm-queryformat(7) `%|TAG?{present}:{absent}|` prints "EPOCH:" only when the package sets one,
  // which works on every rpm release (EPOCHNUM needs rpm >= 4.9).
  rpmPackages: fixed('rpm', '-qa', '--queryformat', '%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\n'),
  // `apk info -v` prints one `name-version-rN` per installed package on every apk-tools release.
  apkPackages: fixed('apk', 'info', '-v'),

  // --plain drops the tree and the `●` marker, --no-legend the header and footer; --all includes
  // inactive and not-found units, which are posture too (a unit something wants but that is missing).
  systemdUnits: fixed('systemctl', 'list-units', '--type=service', '--all', '--no-pager', '--plain', '--no-legend'),
  systemdUnitFiles: fixed('systemctl', 'list-unit-files', '--type=service', '--no-pager', '--no-legend'),
  // Accounts through NSS, so LDAP/SSSD users appear too; the password field is never kept.
  passwdEntries: fixed('getent', 'passwd'),
  groupEntries: fixed('getent', 'group'),
  ipAddresses: fixed('ip', '-j', 'addr'),
  ipRoutes: fixed('ip', '-j', 'route'),
  ip6Routes: fixed('ip', '-j', '-6', 'route'),
  // Numeric (-n), listening (-l) TCP and UDP sockets without a header (-H). No -p: see listeningPorts.
  listeningSockets: fixed('ss', '-H', '-tuln'),
  // With -p, ss names each socket's owning processes (comm, pid, fd); only the name is kept, and only
  // when the probe is privileged enough to see every process (see collectors/ports.ts).
  listeningSocketsWithProcesses: fixed('ss', '-H', '-tulpn'),
  effectiveUid: fixed('id', '-u'),
  nftRuleset: fixed('nft', '-j', 'list', 'ruleset'),
  iptablesRules: fixed('iptables-save'),
  ip6tablesRules: fixed('ip6tables-save'),
  cpuTopology: fixed('lscpu', '-J'),
  cpuInfo: fixed('cat', '/proc/cpuinfo'),
  memInfo: fixed('cat', '/proc/meminfo'),
  loadAverage: fixed('cat', '/proc/loadavg'),
  uptime: fixed('cat', '/proc/uptime'),
  // POSIX format (-P) keeps one line per filesystem however long its name; -k fixes the unit.
  diskFree: fixed('df', '-P', '-k'),
});

/** The only thing ever put in front of an allow-listed argv, and only by `argvFor`. */
export const SUDO_PREFIX = fixed('sudo', '-n');

export interface RunOptions {
  /** Run as `sudo -n <argv>`. @default false */
  readonly sudo?: boolean;
}

export type AllowedCommandName = keyof typeof ALLOWED_COMMANDS;

export const ALLOWED_COMMAND_NAMES: readonly AllowedCommandName[] = Object.freeze(
  Object.keys(ALLOWED_COMMANDS).filter(isAllowedCommandName),
);

export interface ForbiddenPattern {
  readonly pattern: RegExp;
  readonly reason: string;
}

/** Checked against every argv element of every allow-listed command (see allowlist.test.ts). */
export const FORBIDDEN_PATTERNS: readonly ForbiddenPattern[] = Object.freeze([
  { pattern: /history|\.lesshst|\.viminfo/i, reason: 'shell and tool history' },
  { pattern: /\/proc\/[^/\s]+\/(?:cmdline|environ)/, reason: "other processes' command lines and environments" },
  { pattern: /environ/i, reason: 'process environments' },
  { pattern: /^(?:ps|pgrep|pkill|pstree|top|htop|w|who)$/, reason: "process listings expose other processes' command lines" },
  { pattern: /\/var\/log\b|\/run\/log\b|\.log$/, reason: 'log files' },
  { pattern: /^(?:journalctl|dmesg|last|lastb|lastlog|utmpdump)$/, reason: 'journals and login records' },
  { pattern: /\/etc\/g?shadow\b|\/etc\/security\/opasswd/, reason: 'password hashes' },
  { pattern: /(?:^|\/)\.ssh(?:\/|$)|ssh_host_[a-z0-9]+_key$/, reason: 'SSH keys' },
  {
    pattern: /^(?:sh|bash|dash|zsh|ksh|fish|csh|tcsh|busybox|env|sudo|su|doas|eval|exec|xargs|find|awk|perl|python\d*(?:\.\d+)?|ruby|node)$/,
    // sudo stays here: inside an argv it would be a wrapper like any other. Privilege is only ever
    // SUDO_PREFIX, which argvFor puts in front of a listed argv and which is not itself listed.
    reason: 'shells, interpreters and wrappers run arbitrary code',
  },
]);

export class CommandNotAllowedError extends Error {
  constructor() {
    // The offending name is not echoed: it may come from anywhere and this message can reach a client.
    super('refused to run a command that is not on the probe allow-list');
    this.name = 'CommandNotAllowedError';
  }
}

export function isAllowedCommandName(name: unknown): name is AllowedCommandName {
  // Object.hasOwn, not `in`: `constructor` or `__proto__` must not pass as command names.
  return typeof name === 'string' && Object.hasOwn(ALLOWED_COMMANDS, name);
}

/**
 * The argv for a name, checked at runtime too: the type system cannot stop a caller that launders a
 * string through a cast, so transports call this rather than indexing ALLOWED_COMMANDS. With
 * `{ sudo: true }` the argv is SUDO_PREFIX followed by the allow-listed argv, and nothing else.
 */
export function argvFor(name: AllowedCommandName, options?: RunOptions): Argv {
  if (!isAllowedCommandName(name)) throw new CommandNotAllowedError();
  const argv = ALLOWED_COMMANDS[name];
  // Read defensively: options may arrive through a cast too. Only an own `sudo: true` turns sudo on,
  // so a truthy string or an inherited property cannot; anything but true/false/absent is refused.
  if (options === undefined) return argv;
  if (typeof options !== 'object' || options === null) throw new CommandNotAllowedError();
  const sudo: unknown = Object.hasOwn(options, 'sudo') ? options.sudo : undefined;
  if (sudo === true) return Object.freeze([...SUDO_PREFIX, ...argv] as const);
  if (sudo !== undefined && sudo !== false) throw new CommandNotAllowedError();
  return argv;
}

/** The program for messages: `nft`, or `sudo -n nft` when run with sudo. */
export function programLabel(name: AllowedCommandName, options?: RunOptions): string {
  const argv = argvFor(name, options);
  const programAt = argv.length - ALLOWED_COMMANDS[name].length;
  return argv.slice(0, programAt + 1).join(' ');
}

/**
 * The whole command for messages (`ss -H -tuln`), or only the program when an argument is a format
 * string (dpkg-query's `${Package}…`, rpm's `%{NAME}…`), which would be noise in a message.
 */
export function commandLabel(name: AllowedCommandName, options?: RunOptions): string {
  const argv = argvFor(name, options);
  return argv.some((word) => /[$%\\]/.test(word)) ? programLabel(name, options) : argv.join(' ');
}

/**
 * Quotes one argument for a POSIX shell: inside single quotes nothing is special but `'` itself,
 * which is closed, escaped and reopened (`'\''`).
 */
export function quoteShellArgument(argument: string): string {
  if (argument.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  return `'${argument.replaceAll("'", `'\\''`)}'`;
}

/**
 * Renders an argv as one command line: a line of a batch script, which /bin/sh reads (batch-script.ts),
 * or, for a single `run`, the command sshd hands the remote user's shell (`$SHELL -c <line>`).
 * Every word is quoted, the program name too, so no word is subject to expansion, globbing or
 * aliasing. Assumes a POSIX-family login shell for `run` (sh, bash, dash, ksh, zsh); the allow-listed
 * argv contain no backslash-backslash or `!` sequences, so csh and fish read them the same way.
 */
export function renderShellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('an empty argv cannot be rendered');
  return argv.map(quoteShellArgument).join(' ');
}

export function shellCommandFor(name: AllowedCommandName, options?: RunOptions): string {
  return renderShellCommand(argvFor(name, options));
}
