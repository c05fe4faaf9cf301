/**
 * Security headers for what the app server answers outside SvelteKit's hooks:
 * adapter-node serves the built static files (sirv) before any hook runs, and
 * the server's own answers (/healthz, 404) never reach SvelteKit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FRAME_ANCESTORS_POLICY, SECURITY_HEADERS } from '../src/lib/model/securityHeaders.js';

/**
 * Sets the headers before anything is written. SvelteKit's pages replace the
 * Content-Security-Policy with their full one; static files keep this one.
 */
export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  res.setHeader('content-security-policy', FRAME_ANCESTORS_POLICY);
}

type Handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** The adapter-node handler with the headers set on every answer, static files included. */
export function withSecurityHeaders<H extends Handler>(handler: H): H {
  return ((req, res, next) => {
    setSecurityHeaders(res);
    handler(req, res, next);
  }) as H;
}
