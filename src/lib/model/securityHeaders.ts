/**
 * Response headers every answer of the app server carries, whoever serves it
 * (SvelteKit's hook for pages, server/securityHeaders.ts for static files).
 * The pages' full Content-Security-Policy comes from `kit.csp` in
 * svelte.config.js; other responses get only its frame-ancestors part.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY'
};

/** For responses without a policy of their own: nobody may frame them. */
export const FRAME_ANCESTORS_POLICY = "frame-ancestors 'none'";
