// Reads pilot's monitoring port: /debug/syncz (every connected proxy and its sync
// state) and /debug/config_dump?proxyID= (what a proxy was last sent).
import http from 'node:http';

export function getJson<T>(url: string, timeoutMs = 2000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode !== 200)
          return reject(new Error(`${url}: HTTP ${res.statusCode} ${body.slice(0, 200)}`));
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(new Error(`${url}: not JSON (${(err as Error).message})`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export interface SyncStatus {
  proxy: string;
  proxyType: string;
  state: string;
  nacks: number;
  connectedAt: string;
  types: { typeUrl?: string; type?: string; state?: string; [k: string]: unknown }[];
  [k: string]: unknown;
}

export interface ConfigDump {
  proxy: string;
  configs: Record<string, unknown>[];
}

export class PilotClient {
  readonly base: string;

  constructor(base: string) {
    this.base = base.replace(/\/$/, '');
  }

  syncz(): Promise<SyncStatus[]> {
    return getJson<SyncStatus[]>(`${this.base}/debug/syncz`);
  }

  configDump(proxyId: string): Promise<ConfigDump> {
    return getJson<ConfigDump>(
      `${this.base}/debug/config_dump?proxyID=${encodeURIComponent(proxyId)}`,
    );
  }
}
