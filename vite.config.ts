import { sveltekit } from '@sveltejs/kit/vite';
import { VitePWA } from 'vite-plugin-pwa';
import { defineConfig, type Plugin } from 'vite';
import { join, resolve } from 'node:path';

/**
 * In `vite dev`, the relay runs inside the dev server (same /sync path and
 * SQLite store as `npm start`), so development needs one command too.
 */
function devRelay(): Plugin {
  return {
    name: 'driftwrite-dev-relay',
    apply: 'serve',
    async configureServer(server) {
      if (!server.httpServer) return;
      const { Relay } = await import('./server/relay/Relay.js');
      const { SqliteStore } = await import('./server/store/SqliteStore.js');
      const { attachRelay } = await import('./server/attachRelay.js');
      const { consoleLogger } = await import('./server/relay/logger.js');
      const { Access } = await import('./server/auth/Access.js');
      const { SqliteAccessStore } = await import('./server/auth/SqliteAccessStore.js');
      const { loadOrCreateSecret } = await import('./server/auth/secret.js');
      const { createAccessApi } = await import('./server/auth/api.js');
      const { accessHooks, admitWith } = await import('./server/createServer.js');
      const dataDir = resolve(process.env.DATA_DIR ?? './data');
      const store = new SqliteStore(join(dataDir, 'relay.sqlite'));
      const accessStore = new SqliteAccessStore(join(dataDir, 'relay.sqlite'));
      const access = new Access({
        store: accessStore,
        secret: loadOrCreateSecret(dataDir).secret,
        workspaceId: 'main'
      });
      const relay = new Relay({ store, logger: consoleLogger, hooks: accessHooks(access) });
      const api = createAccessApi(access, relay, consoleLogger);
      server.middlewares.use((req, res, next) => {
        void api(req, res).then((handled) => {
          if (!handled) next();
        });
      });
      const attached = attachRelay(server.httpServer as import('node:http').Server, relay, {
        logger: consoleLogger,
        admit: admitWith(access, relay, consoleLogger)
      });
      const ownerLink = await access.ownerLink();
      if (ownerLink) {
        server.httpServer.once('listening', () => {
          const base = server.resolvedUrls?.local[0]?.replace(/\/$/, '') ?? '';
          console.log(`\n  Owner link (first sign-in): ${base}${ownerLink}\n`);
        });
      }
      server.httpServer.once('close', () => {
        attached.detach();
        void relay.close().then(() => {
          store.close();
          accessStore.close();
        });
      });
    }
  };
}

const buildId = new Date().toISOString();

export default defineConfig({
  plugins: [
    devRelay(),
    sveltekit(),
    VitePWA({
      // Registered by the root layout (src/lib/state/appUpdates.svelte.ts). A
      // new version waits until the person chooses to reload: its service
      // worker activates only on their word (SKIP_WAITING), never by itself.
      injectRegister: null,
      registerType: 'prompt',
      strategies: 'generateSW',
      filename: 'sw.js',
      includeAssets: ['apple-touch-icon.png'],
      manifest: {
        id: '/',
        name: 'Driftwrite',
        short_name: 'Driftwrite',
        description:
          'Write and review documents with your team, online or offline: everything is kept on your device and syncs when you reconnect.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'any',
        background_color: '#ffffff',
        theme_color: '#1f6feb',
        categories: ['productivity'],
        icons: [
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          {
            src: '/icon-maskable-512.png',
            sizes: '512x512',
            type: 'image/png',
            purpose: 'maskable'
          },
          { src: '/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }
        ]
      },
      workbox: {
        // The plugin adds the manifest, its icons and includeAssets itself;
        // listing them here too would precache them twice.
        globPatterns: ['**/*.{js,css,ico,woff2}', 'favicon.svg', '_app/version.json'],
        // With ssr = false every route is the same HTML shell, so the shell
        // at / answers every navigation offline and the client router takes
        // it from there (a document page included).
        additionalManifestEntries: [{ url: '/', revision: buildId }],
        navigateFallback: '/',
        navigateFallbackDenylist: [/^\/sync\//, /^\/healthz$/],
        cleanupOutdatedCaches: true,
        // The first service worker takes the open page at once (it replaces
        // none); a later one waits for every tab's agreement, then takes them
        // all. Until then the old one keeps serving the chunks old tabs ask for.
        clientsClaim: true,
        skipWaiting: false,
        maximumFileSizeToCacheInBytes: 5 * 1024 * 1024
      },
      devOptions: { enabled: false }
    })
  ]
});
