// GET a JSON document from pilot's monitoring port or a proxy's admin port,
// with every failure as one OperatorError line that says what was asked where.
import { OperatorError } from './errors.ts';

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.message ?? cause?.code ?? (err as Error).message;
}

/** What the server said about an error: pilot answers `{error}`, Envoy's admin plain text. */
function explain(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: Envoy-style text
  }
  return body.trim().split('\n', 1)[0] ?? '';
}

export async function getJson(
  base: string,
  path: string,
  what: string,
  timeoutMs: number,
): Promise<unknown> {
  const url = `${base}${path}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const why =
      (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : causeOf(err);
    throw new OperatorError(
      'PETREL_OPERATOR_UNREACHABLE',
      `cannot reach ${what} at ${base}: ${why}`,
      { cause: err },
    );
  }
  const body = await res.text();
  if (!res.ok) {
    const code =
      res.status === 404 && /not connected/.test(body)
        ? 'PETREL_OPERATOR_PROXY_NOT_FOUND'
        : 'PETREL_OPERATOR_HTTP';
    throw new OperatorError(code, `${what} ${base}${path}: HTTP ${res.status}: ${explain(body)}`);
  }
  try {
    return JSON.parse(body);
  } catch {
    throw new OperatorError(
      'PETREL_OPERATOR_RESPONSE',
      `${what} ${base}${path}: answer is not JSON`,
    );
  }
}
