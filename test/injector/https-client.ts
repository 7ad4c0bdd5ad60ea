// A real HTTPS client for the webhook tests: verifies the server's certificate
// against the CA the test was given, as the API server does with caBundle.
import { request } from 'node:https';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
}

export function post(
  url: string,
  ca: string,
  body: string | Buffer,
  options: { method?: string; contentType?: string; chunked?: boolean } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const headers: Record<string, string | number> = {
      'content-type': options.contentType ?? 'application/json',
    };
    if (!options.chunked) headers['content-length'] = Buffer.byteLength(body);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: options.method ?? 'POST',
        ca,
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.method === 'GET') req.end();
    else req.end(body);
  });
}

export function review(
  object: unknown,
  extra: Record<string, unknown> = {},
  apiVersion = 'admission.k8s.io/v1',
): string {
  return JSON.stringify({
    apiVersion,
    kind: 'AdmissionReview',
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'bookinfo',
      operation: 'CREATE',
      object,
      ...extra,
    },
  });
}
