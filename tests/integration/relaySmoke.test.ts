import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectProvider, startTestRelay, type TestRelay } from '../support/relay.js';
import { waitFor } from '../support/poll.js';

let relay: TestRelay | null = null;
afterEach(async () => {
  await relay?.stop();
  relay?.cleanup();
  relay = null;
});

describe('relay smoke', () => {
  it('syncs two y-websocket clients', async () => {
    relay = await startTestRelay();
    const a = connectProvider(relay.wsUrl, 'main.doc.smoke');
    const b = connectProvider(relay.wsUrl, 'main.doc.smoke');
    a.doc.getText('t').insert(0, 'hello');
    await waitFor(() => b.doc.getText('t').toString() === 'hello', { message: 'b sees a' });
    a.destroy();
    b.destroy();
    const c = connectProvider(relay.wsUrl, 'main.doc.smoke', new Y.Doc());
    await waitFor(() => c.synced, { message: 'c synced' });
    expect(c.doc.getText('t').toString()).toBe('hello');
    c.destroy();
  });
});
