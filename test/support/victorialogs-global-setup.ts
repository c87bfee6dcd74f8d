import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { INSTALL_SCRIPT } from './victorialogs.js';

/**
 * Vitest globalSetup: integration tests run against a real VictoriaLogs built from its pinned Go module
 * (DESIGN §8). A missing or stale build fails the run at once, naming the script that builds it, rather
 * than failing each test or, worse, skipping them. `.ci/run` builds it before `npm test`.
 */
export default function checkVictoriaLogs(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const check = spawnSync('bash', [INSTALL_SCRIPT, '--check'], { cwd: root, encoding: 'utf8' });
  if (check.status === 0) return;
  const reason = `${check.stderr ?? ''}${check.error ? String(check.error) : ''}`.trim();
  throw new Error(`${reason || `victorialogs: not built; run ${INSTALL_SCRIPT}`}\n(The integration tests run against this build of VictoriaLogs; none is skipped without it.)`);
}
