import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, type Arg, type Cmd, type Copy, type From, type Healthcheck, type Instruction, type Label, type Env } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { compiledEntry, IMAGE_NODE_FLAGS, RUNTIME_WORKSPACES } from '../build.js';

/**
 * The production image, linted from the Dockerfile's syntax tree (dockerfile-ast, the parser behind
 * the Docker language server), since no Docker engine runs here: what goes into the image
 * (compiled JavaScript, production dependencies, nothing of tests, benchmarks or sources), how its
 * bases are pinned, who it runs as, how it reports health, what it says about itself.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dockerfileText = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
const dockerignoreText = readFileSync(resolve(root, '.dockerignore'), 'utf8');
const rootPackage = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string; license: string };

interface Stage {
  from: From;
  name: string | null;
  instructions: Instruction[];
}

function stagesOf(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = instruction as From;
      stages.push({ from, name: from.getBuildStage(), instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

const ofKind = <T extends Instruction>(stage: Stage, keyword: string) => stage.instructions.filter((i) => i.getKeyword() === keyword) as T[];
const jsonOf = (instruction: Cmd) => instruction.getJSONStrings().map((s) => s.getJSONValue());
const propertiesOf = (instructions: (Label | Env)[]) => new Map(instructions.flatMap((i) => i.getProperties().map((p) => [p.getName(), p.getValue() ?? ''] as const)));

/** The exec-form command of a HEALTHCHECK (`HEALTHCHECK [flags] CMD ["…", …]`), or null. */
function healthcheckCommand(instruction: Healthcheck): string[] | null {
  if (instruction.getSubcommand()?.getValue().toUpperCase() !== 'CMD') return null;
  const content = instruction.getArgumentsContent() ?? '';
  const json = content.slice(content.indexOf('['));
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) && parsed.every((part) => typeof part === 'string') ? parsed : null;
  } catch {
    return null;
  }
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const OCI_LABELS = ['title', 'description', 'version', 'revision', 'licenses', 'base.name', 'base.digest'].map((key) => `org.opencontainers.image.${key}`);
/** What may reach the image from outside the build stages. */
const CONTEXT_FILES_IN_IMAGE = new Set(['LICENSE']);

/** Every rule the image must keep, as a list of problems (empty: the Dockerfile passes). */
export function dockerfileProblems(text: string): string[] {
  const problems: string[] = [];
  const stages = stagesOf(text);
  const names = new Set<string>();
  for (const stage of stages) {
    const image = stage.from.getImage() ?? '';
    const where = `FROM ${image}${stage.name ? ` AS ${stage.name}` : ''}`;
    if (names.has(image)) {
      // A stage of this file: pinned where that stage starts.
    } else if (stage.from.getImageDigest() === null || !DIGEST.test(stage.from.getImageDigest() ?? '')) {
      problems.push(`${where}: a base image must be pinned by digest (image:tag@sha256:…)`);
    } else if (stage.from.getImageTag() === null) {
      problems.push(`${where}: name the tag beside the digest, so a reader knows what it is`);
    }
    if (/\$/.test(image)) problems.push(`${where}: no build-arg in FROM (the pin must be in the file)`);
    if (stage.name) names.add(stage.name);
    // Tests and benchmarks never enter any stage; nor does the whole context.
    for (const copy of ofKind<Copy>(stage, 'COPY').concat(ofKind<Copy>(stage, 'ADD'))) {
      if (copy.getFromFlag() !== null) continue;
      const sources = copy.getArguments().map((a) => a.getValue()).slice(0, -1);
      if (sources[0]?.startsWith('<<')) continue;
      for (const source of sources) {
        const path = source.replace(/^\.\//, '').replace(/\/$/, '');
        if (path === '.' || path === '' || path === '*') problems.push(`${where}: COPY ${source} copies the whole context`);
        if (/(^|\/)(test|tests|__tests__)(\/|$)|\.test\.ts$|(^|\/)bench(\/(?!package\.json$)|$)/.test(path)) problems.push(`${where}: COPY ${source}: tests and benchmarks stay out of every stage`);
      }
    }
  }

  const last = stages.at(-1);
  if (!last) return [...problems, 'no FROM'];
  if (last.name !== 'vigil') problems.push(`the last stage (what \`docker build .\` produces) must be vigil, not ${last.name ?? 'unnamed'}`);
  const where = `stage ${last.name ?? '(last)'}`;

  // Runs as a non-root user, by number (Kubernetes' runAsNonRoot can only check a number).
  const user = ofKind(last, 'USER').at(-1)?.getArgumentsContent()?.trim() ?? '';
  if (user === '') problems.push(`${where}: no USER (it would run as root)`);
  else if (!/^[1-9]\d*(:\d+)?$/.test(user)) problems.push(`${where}: USER ${user}: a numeric, non-root uid`);

  // What runs: node and a compiled entry, never tsx or npx.
  const cmd = ofKind<Cmd>(last, 'CMD').at(-1);
  const command = cmd ? jsonOf(cmd) : [];
  if (command[0] !== 'node' || command.at(-1) !== compiledEntry('stack')) problems.push(`${where}: CMD ${JSON.stringify(command)}: expected ["node", "${compiledEntry('stack')}"] (exec form)`);
  for (const instruction of [...ofKind(last, 'CMD'), ...ofKind(last, 'ENTRYPOINT'), ...ofKind(last, 'HEALTHCHECK'), ...ofKind(last, 'RUN')]) {
    const content = instruction.getArgumentsContent() ?? '';
    // The RUN that deletes npm and npx from the image names them without running them.
    if (/\b(npx|tsx)\b/.test(content) && !/^rm -rf\b/.test(content.trim())) problems.push(`${where}: ${instruction.getKeyword()} runs ${/\bnpx\b/.test(content) ? 'npx' : 'tsx'}; the image runs compiled JavaScript with node`);
  }

  // A health check the slim image can run (no curl or wget): node's fetch of /healthz.
  const healthchecks = ofKind<Healthcheck>(last, 'HEALTHCHECK');
  const probe = healthchecks.length === 1 && healthchecks[0] ? healthcheckCommand(healthchecks[0]) : null;
  if (!probe) problems.push(`${where}: exactly one HEALTHCHECK, exec form (CMD ["…"])`);
  else if (probe[0] !== 'node' || probe[1] !== '-e' || !/fetch\(.*\/healthz/.test(probe[2] ?? '')) problems.push(`${where}: HEALTHCHECK ${JSON.stringify(probe)}: node -e fetch of /healthz`);

  // Only the build's output and the production dependencies come in, plus the licence.
  for (const copy of ofKind<Copy>(last, 'COPY')) {
    const from = copy.getFromFlag()?.getValue() ?? null;
    const sources = copy.getArguments().map((a) => a.getValue()).slice(0, -1);
    if (from === 'build') {
      if (sources.join() !== '/app/dist') problems.push(`${where}: COPY --from=build ${sources.join(' ')}: only /app/dist`);
    } else if (from === 'deps') {
      if (sources.join() !== '/app/node_modules') problems.push(`${where}: COPY --from=deps ${sources.join(' ')}: only /app/node_modules`);
    } else if (from !== null) {
      problems.push(`${where}: COPY --from=${from}: only from the build and deps stages`);
    } else {
      for (const source of sources) if (!CONTEXT_FILES_IN_IMAGE.has(source)) problems.push(`${where}: COPY ${source}: only the compiled output, production dependencies and ${[...CONTEXT_FILES_IN_IMAGE].join(', ')}`);
    }
  }

  // Production dependencies only, of exactly the workspaces the bundles are built from.
  const deps = stages.find((s) => s.name === 'deps');
  const install = deps ? ofKind(deps, 'RUN').map((r) => r.getArgumentsContent() ?? '').find((r) => /\bnpm ci\b/.test(r)) : undefined;
  if (!install) problems.push('stage deps: no npm ci');
  else {
    if (!/--omit=dev\b/.test(install)) problems.push('stage deps: npm ci without --omit=dev');
    const workspaces = [...install.matchAll(/--workspace=(\S+)/g)].map((m) => m[1] ?? '');
    if (JSON.stringify([...workspaces].sort()) !== JSON.stringify([...RUNTIME_WORKSPACES].sort())) problems.push(`stage deps: npm ci --workspace= ${workspaces.join(', ')}; build.ts RUNTIME_WORKSPACES is ${RUNTIME_WORKSPACES.join(', ')}`);
  }
  const build = stages.find((s) => s.name === 'build');
  if (!build || !ofKind(build, 'RUN').some((r) => /\bnpm run build\b/.test(r.getArgumentsContent() ?? ''))) problems.push('stage build: no `npm run build`');

  // What the image says about itself (OCI annotations), consistent with package.json and its base.
  const args = new Map(ofKind<Arg>(last, 'ARG').map((a) => [a.getProperty()?.getName() ?? '', a.getProperty()?.getValue() ?? '']));
  const labels = propertiesOf(ofKind<Label>(last, 'LABEL'));
  const expand = (value: string) => value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced: string | undefined, bare: string | undefined) => args.get(braced ?? bare ?? '') ?? '');
  for (const key of OCI_LABELS) if (!labels.get(key)) problems.push(`${where}: LABEL ${key} missing`);
  if (labels.has('org.opencontainers.image.version') && expand(labels.get('org.opencontainers.image.version') ?? '') !== rootPackage.version) problems.push(`${where}: LABEL version defaults to ${expand(labels.get('org.opencontainers.image.version') ?? '')}, package.json says ${rootPackage.version}`);
  if (labels.has('org.opencontainers.image.licenses') && labels.get('org.opencontainers.image.licenses') !== rootPackage.license) problems.push(`${where}: LABEL licenses is not package.json's ${rootPackage.license}`);
  const nodeBase = stages.find((s) => s.name === 'node-base')?.from;
  if (nodeBase && labels.has('org.opencontainers.image.base.digest')) {
    if (labels.get('org.opencontainers.image.base.digest') !== nodeBase.getImageDigest()) problems.push(`${where}: LABEL base.digest is not node-base's digest`);
    if (!(labels.get('org.opencontainers.image.base.name') ?? '').endsWith(`${nodeBase.getImageName() ?? ''}:${nodeBase.getImageTag() ?? ''}`)) problems.push(`${where}: LABEL base.name is not node-base's image`);
  }

  // The runtime flags the startup benchmark measures (build.ts IMAGE_NODE_FLAGS).
  const env = propertiesOf([...(nodeBase ? stages.filter((s) => s.name === 'node-base') : []), last].flatMap((s) => ofKind<Env>(s, 'ENV')));
  if (env.get('NODE_ENV') !== 'production') problems.push(`${where}: ENV NODE_ENV=production`);
  if (env.get('NODE_OPTIONS') !== IMAGE_NODE_FLAGS.join(' ')) problems.push(`${where}: ENV NODE_OPTIONS is ${env.get('NODE_OPTIONS') ?? '(unset)'}, build.ts IMAGE_NODE_FLAGS says ${IMAGE_NODE_FLAGS.join(' ')}`);
  return problems;
}

describe('the Dockerfile', () => {
  it('passes every rule of the production image', () => {
    expect(dockerfileProblems(dockerfileText)).toEqual([]);
  });

  it('pins both external bases by digest: node 24 (slim) for Vigil, Debian for the demo host', () => {
    const external = stagesOf(dockerfileText).filter((s) => s.from.getImageDigest() !== null);
    expect(external.map((s) => `${s.from.getImageName() ?? ''}:${s.from.getImageTag() ?? ''} AS ${s.name ?? ''}`).sort()).toEqual(['debian:bookworm-slim AS demo-host', 'node:24-bookworm-slim AS node-base']);
  });

  it('exposes the gateway and subgraph ports', () => {
    const vigil = stagesOf(dockerfileText).at(-1);
    const exposed = vigil ? ofKind(vigil, 'EXPOSE').flatMap((e) => e.getArguments().map((a) => Number(a.getValue()))) : [];
    expect(exposed).toEqual([4000, 4001, 4002, 4003, 4004, 4005]);
  });

  // The lint must catch what it is there for: each broken copy yields a problem naming the rule.
  const broken: [string, (text: string) => string, RegExp][] = [
    ['a base pinned by tag only', (t) => t.replace(/(FROM node:24-bookworm-slim)@sha256:[0-9a-f]{64}/, '$1'), /pinned by digest/],
    ['a digest without its tag', (t) => t.replace('FROM node:24-bookworm-slim@', 'FROM node@'), /name the tag/],
    ['USER root', (t) => t.replace(/^USER 1000:1000$/m, 'USER root'), /numeric, non-root/],
    ['no USER', (t) => t.replace(/^USER 1000:1000$/m, ''), /no USER/],
    ['running through npx tsx', (t) => t.replace('CMD ["node", "dist/stack.mjs"]', 'CMD ["npx", "tsx", "gateway/src/stack-main.ts"]'), /expected \["node"|runs npx/],
    ['no HEALTHCHECK', (t) => t.replace(/^HEALTHCHECK[\s\S]*?\/healthz.*$/m, ''), /HEALTHCHECK/],
    ['a curl health check', (t) => t.replace(/CMD \["node", "-e", "const e=process\.env;.*\]$/m, 'CMD ["curl", "-f", "http://127.0.0.1:4000/healthz"]'), /node -e fetch/],
    ['COPY . .', (t) => t.replace('COPY LICENSE ./', 'COPY . .'), /whole context/],
    ['tests copied into the build', (t) => t.replace('COPY gateway/ gateway/', 'COPY gateway/ gateway/\nCOPY test/ test/'), /tests and benchmarks/],
    ['benchmarks copied into the image', (t) => t.replace('COPY LICENSE ./', 'COPY bench/ bench/'), /tests and benchmarks|only the compiled output/],
    ['sources copied into the image', (t) => t.replace('COPY LICENSE ./', 'COPY gateway/src/ gateway/src/'), /only the compiled output/],
    ['dev dependencies in the image', (t) => t.replace('npm ci --omit=dev --ignore-scripts', 'npm ci --ignore-scripts'), /without --omit=dev/],
    ['a workspace missing from the install', (t) => t.replace(' --workspace=subgraphs/alerts', ''), /RUNTIME_WORKSPACES/],
    ['the whole build stage copied in', (t) => t.replace('COPY --from=build /app/dist ./dist', 'COPY --from=build /app ./'), /only \/app\/dist/],
    ['a missing OCI label', (t) => t.replace(/^\s+org\.opencontainers\.image\.licenses="Apache-2\.0" \\\n/m, ''), /licenses missing/],
    ['a base digest label that disagrees', (t) => t.replace(/(image\.base\.digest="sha256:)[0-9a-f]{4}/, '$10000'), /base\.digest/],
    ['other Node flags than the benchmark measured', (t) => t.replace('NODE_OPTIONS="--max-semi-space-size=8"', 'NODE_OPTIONS="--max-semi-space-size=64"'), /NODE_OPTIONS/],
  ];
  it.each(broken)('rejects a copy with %s', (_label, change, expected) => {
    const text = change(dockerfileText);
    expect(text, 'the mutation must change the file').not.toBe(dockerfileText);
    const problems = dockerfileProblems(text);
    expect(problems.some((p) => expected.test(p)), `problems:\n${problems.join('\n')}`).toBe(true);
  });
});

describe('.dockerignore', () => {
  const patterns = dockerignoreText.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

  it('keeps tests, benchmark code, a host build and local installs out of the build context', () => {
    for (const required of ['test', '**/test', 'bench/*.ts', 'bench/lib', 'dist', '**/node_modules', '.env', '.git']) expect(patterns, required).toContain(required);
  });

  it('keeps what the build needs: no pattern hides a workspace manifest, the lockfile, build.ts, tsconfig.json or LICENSE', () => {
    for (const needed of ['package.json', 'package-lock.json', 'build.ts', 'tsconfig.json', 'LICENSE', 'bench/package.json', 'lib/package.json', 'gateway/src/index.ts']) {
      expect(patterns.filter((p) => p === needed || p === needed.split('/')[0]), needed).toEqual([]);
    }
  });
});
