// details: the book's details, as bookinfo's details service. GET /details/<id>.
import http from 'node:http';
import { POD_NAME, sendJson, serve } from './common.ts';

const server = http.createServer((req, res) => {
  const m = /^\/details\/(\d+)$/.exec(req.url ?? '');
  if (req.url === '/health') return sendJson(res, 200, { status: 'Details is healthy' });
  if (!m) return sendJson(res, 404, { error: 'please use /details/<id>' });
  sendJson(res, 200, {
    id: Number(m[1]),
    author: 'William Shakespeare',
    year: 1595,
    type: 'paperback',
    pages: 200,
    publisher: 'PublisherA',
    language: 'English',
    'ISBN-10': '1234567890',
    'ISBN-13': '123-1234567890',
    podname: POD_NAME,
  });
});

serve('details', server);
