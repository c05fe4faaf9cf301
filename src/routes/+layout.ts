// The app runs entirely in the browser: documents live in IndexedDB and sync
// over WebSockets, so there is nothing to render on the server, and one HTML
// shell can be precached to open every route offline.
export const ssr = false;
export const prerender = false;
