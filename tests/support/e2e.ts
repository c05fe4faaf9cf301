/**
 * What every end-to-end test file shares: one Chromium per file, and per test
 * a fresh relay (with its own data directory), proxies and browser contexts,
 * all closed after the test, whose page errors fail it. Nothing one test
 * leaves behind reaches the next.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestRelay, type TestRelay } from './relay.js';
import { joinAs, type Joined } from './access.js';
import type { StoredAccess } from '../../src/lib/model/deviceAccess.js';
import { startTcpProxy, type TcpProxy } from './tcpProxy.js';
import {
  PageErrors,
  launchChromium,
  loadBuiltApp,
  newPersonContext,
  type Person
} from './browser.js';
import type { StartOptions } from '../../server/createServer.js';

export interface E2E {
  readonly browser: Browser;
  /** Page errors of the current test's pages; checked after each test. */
  readonly errors: PageErrors;
  /** A context for a person (null: nobody picked yet), closed after the test. */
  context(person: Person | null): Promise<BrowserContext>;
  /** A context and one page in it. */
  page(person: Person | null): Promise<{ context: BrowserContext; page: Page }>;
  /** The built app and a relay on a fresh data directory, stopped after the test. */
  relay(options?: StartOptions): Promise<TestRelay>;
  /** A proxy in front of a port, so one person can be cut off alone. */
  proxy(port: number): Promise<TcpProxy>;
  /** Anything else to undo after the test (run last-in, first-out). */
  defer(dispose: () => unknown): void;
}

export function useE2E(): E2E {
  let browser: Browser | undefined;
  let errors = new PageErrors();
  let disposers: (() => unknown)[] = [];
  /** The current test's relay, and who has joined it. */
  let relay: TestRelay | null = null;
  let joinedPeople = new Map<string, Joined>();

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(() => {
    relay = null;
    errors = new PageErrors();
    disposers = [];
  });
  afterEach(async () => {
    const failures: unknown[] = [];
    for (const dispose of disposers.reverse()) {
      try {
        await dispose();
      } catch (error) {
        failures.push(error);
      }
    }
    disposers = [];
    errors.assertNone();
    if (failures.length > 0) throw new AggregateError(failures, 'cleanup failed');
  });

  const e2e: E2E = {
    get browser() {
      if (!browser) throw new Error('Chromium is not running (useE2E at the top of the file)');
      return browser;
    },
    get errors() {
      return errors;
    },
    async context(person) {
      // Each person joins the test's relay once, by an invite for their
      // role, as opening the link would; their later contexts are the same
      // device signed in again.
      let access: StoredAccess | undefined;
      if (person && relay?.access) {
        const joined =
          joinedPeople.get(person.userId) ??
          (await joinAs(relay, person.role ?? 'editor', person.name, {
            personId: person.userId,
            color: person.color,
            timeZone: person.timeZone
          }));
        joinedPeople.set(person.userId, joined);
        if (joined.personId !== person.userId) {
          throw new Error(`${person.name} joined as ${joined.personId}, not ${person.userId}`);
        }
        access = joined;
      }
      const context = await newPersonContext(e2e.browser, person, { errors, access });
      e2e.defer(() => context.close());
      return context;
    },
    async page(person) {
      const context = await e2e.context(person);
      return { context, page: await context.newPage() };
    },
    async relay(options = {}) {
      const started = await startTestRelay({
        appHandler: await loadBuiltApp(),
        insecureOpenAccess: false,
        ...options
      });
      relay = started;
      joinedPeople = new Map();
      e2e.defer(async () => {
        await started.stop();
        started.cleanup();
      });
      return started;
    },
    async proxy(port) {
      const proxy = await startTcpProxy(port);
      e2e.defer(() => proxy.close());
      return proxy;
    },
    defer(dispose) {
      disposers.push(dispose);
    }
  };
  return e2e;
}
