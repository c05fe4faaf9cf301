/**
 * A cache lifetime for the app's icons. Everything under /_app/immutable/ has
 * a hash in its name and is cached for a year by adapter-node; the icons in
 * static/ keep their names, so they get a day, and a week in which a cached
 * copy may be shown while a fresh one is fetched. A new icon reaches
 * installed apps through the manifest and the service worker, which precaches
 * them by revision.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const ICON_CACHE_CONTROL = 'public, max-age=86400, stale-while-revalidate=604800';

const ICON_PATH = /^\/(?:icon(?:-[a-z0-9-]+)?\.(?:svg|png)|favicon\.svg|apple-touch-icon\.png)$/;

/** Whether a request path is one of the icons. */
export function isIconPath(path: string): boolean {
  return ICON_PATH.test(path);
}

/** Sets the icons' lifetime before the static handler answers; an error answer drops it. */
export function setStaticCacheHeaders(req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return;
  const path = (req.url ?? '').split('?')[0];
  if (!isIconPath(path)) return;
  res.setHeader('cache-control', ICON_CACHE_CONTROL);
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((statusCode: number, ...rest: unknown[]) => {
    if (statusCode >= 400) res.removeHeader('cache-control');
    return writeHead(statusCode, ...rest);
  }) as ServerResponse['writeHead'];
}
