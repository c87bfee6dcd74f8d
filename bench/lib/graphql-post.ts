/**
 * One GraphQL request over fetch for the benchmarks that check answers as they go: an HTTP error or
 * a GraphQL error is a failure of the run (it throws with the status and the messages), so a figure
 * is never a figure of error answers. `bytes` is the answer's length, which the tables report.
 */
export async function postGraphQL(url: string, body: string, headers: Record<string, string> = {}): Promise<{ data: unknown; bytes: number }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await response.text();
  const parsed = JSON.parse(text) as { data?: unknown; errors?: { message: string }[] };
  if (!response.ok || parsed.errors?.length) throw new Error(`${response.status}: ${parsed.errors?.map((e) => e.message).join('; ') ?? text.slice(0, 200)}`);
  return { data: parsed.data, bytes: text.length };
}
