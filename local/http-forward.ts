import { request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Forwards one request to `target` (same method, path and headers) and streams the answer back; when the
 * upstream fails, answers 502 naming `who` and the upstream. `body` replaces the request's own body (its
 * length is set accordingly); without it the body is streamed right away, with no 100-continue handshake.
 */
export function forwardRequest(req: IncomingMessage, res: ServerResponse, target: URL, who: string, body?: Buffer): void {
  const headers = { ...req.headers, ...(body ? { 'content-length': String(body.length) } : {}) };
  delete headers.expect;
  const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', (e) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`${who}: ${target.origin} failed: ${e.message}`);
  });
  if (body) upstream.end(body);
  else req.pipe(upstream);
}

/** Listens on 127.0.0.1:`port` (0: a free port); `close` ends open connections too. */
export async function listenOnLoopback(server: Server, port = 0): Promise<{ endpoint: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
