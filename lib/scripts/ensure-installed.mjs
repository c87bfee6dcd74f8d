#!/usr/bin/env node
// Runs before `npm start` and `npm test` (pre-scripts), in plain JavaScript because nothing is
// installed yet on a fresh clone: checks the Node version, and installs dependencies once.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `Vigil needs Node.js 22.12 or newer (24 LTS recommended); this is ${process.version}.\n` +
      'Without a system install:  npm install --prefix .tools node@24 && export PATH="$PWD/.tools/node_modules/.bin:$PATH"',
  );
  process.exit(1);
}
if (!existsSync(`${root}node_modules/.package-lock.json`)) {
  console.error('First run: installing dependencies with `npm ci` ...');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
