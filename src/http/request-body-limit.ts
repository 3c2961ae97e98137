import type { IncomingMessage } from 'node:http';

/** GraphQL requests are small documents with variables; nothing legitimate comes near this. */
export const MAX_REQUEST_BODY_BYTES = 100 * 1024;

/**
 * Why a request's body is refused before anyone reads it, or null. A body must declare its length
 * (Node's parser then never delivers more than declared), so a chunked upload cannot stream
 * megabytes into the request parser's buffer.
 */
export function bodyRefusal(req: IncomingMessage): { status: number; message: string } | null {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return null;
  const declared = req.headers['content-length'];
  if (declared === undefined) {
    if (req.headers['transfer-encoding'] === undefined) return null;
    return { status: 411, message: 'the request body must declare its length (Content-Length)' };
  }
  const length = Number(declared);
  if (!Number.isSafeInteger(length) || length > MAX_REQUEST_BODY_BYTES) {
    return { status: 413, message: `the request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes` };
  }
  return null;
}
