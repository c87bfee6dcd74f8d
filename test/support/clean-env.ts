/**
 * The test process's environment minus anything that would configure Vigil, plus `extra`: a
 * child Vigil process must see only the configuration its test gives it.
 */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VIGIL_|REDIS_URL$|VICTORIALOGS_URL$|SSH_AUTH_SOCK$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}
