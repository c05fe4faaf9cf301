import type { Handle } from '@sveltejs/kit';
import { FRAME_ANCESTORS_POLICY, SECURITY_HEADERS } from '$lib/model/securityHeaders';

/**
 * Security headers on everything SvelteKit answers. Pages already carry the
 * Content-Security-Policy from `kit.csp`; static files are served before this
 * hook runs (server/securityHeaders.ts covers them).
 */
export const handle: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers.set(name, value);
  if (!headers.has('content-security-policy')) {
    headers.set('content-security-policy', FRAME_ANCESTORS_POLICY);
  }
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers
  });
};
