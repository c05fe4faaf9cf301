/** The access commands as a newcomer runs them, against a real relay sharing DATA_DIR. */
import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  Resources,
  connectProvider,
  startTestRelay,
  tempDataDir,
  whenSynced
} from '../support/relay.js';
import { waitFor } from '../support/poll.js';
import { getMembersMap } from '../../src/lib/model/people.js';

const exec = promisify(execFile);
const resources = new Resources();
afterEach(() => resources.disposeAll());

async function cli(script: string, args: string[], dataDir: string, port = 0) {
  const { stdout } = await exec(
    process.execPath,
    ['--import', 'tsx', `scripts/${script}.ts`, ...args],
    {
      env: { ...process.env, DATA_DIR: dataDir, PORT: String(port) }
    }
  );
  return stdout.trim().split('\n');
}

describe('npm run invite / token / members', () => {
  it('prints an invite link on its last line that a device can redeem', async () => {
    const dataDir = resources.add(tempDataDir(), (dir) =>
      rmSync(dir, { recursive: true, force: true })
    );
    const lines = await cli(
      'invite',
      ['--role', 'commenter', '--expires', '2d', '--uses', '1'],
      dataDir
    );
    const link = lines.at(-1)!;
    expect(link).toMatch(/^http:\/\/localhost:\d+\/join#invite=/);
    expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
    const relay = resources.relay(await startTestRelay({ dataDir, insecureOpenAccess: false }));
    const response = await fetch(`${relay.url}/api/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ invite: link.split('#invite=')[1], name: 'Ravi' })
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { role: string }).role).toBe('commenter');
  });

  it('prints a token a y-websocket client connects with; the script becomes a member', async () => {
    const dataDir = resources.add(tempDataDir(), (dir) =>
      rmSync(dir, { recursive: true, force: true })
    );
    const lines = await cli('token', ['--role', 'commenter', '--name', 'Overdue bot'], dataDir);
    const token = lines.at(-1)!;
    const relay = resources.relay(await startTestRelay({ dataDir, insecureOpenAccess: false }));
    const index = resources.provider(
      connectProvider(relay.wsUrl, 'main.index', undefined, { token })
    );
    await whenSynced(index);
    await waitFor(
      () =>
        [...getMembersMap(index.doc).values()].some(
          (m) => (m as { name?: string }).name === 'Overdue bot'
        ),
      { message: 'the bot in the member list' }
    );
    expect((await cli('token', ['--list'], dataDir)).join('\n')).toMatch(/Overdue bot/);
  });

  it('removes a person while the relay is stopped; their next connection is refused', async () => {
    const dataDir = resources.add(tempDataDir(), (dir) =>
      rmSync(dir, { recursive: true, force: true })
    );
    const token = (await cli('token', ['--role', 'viewer', '--name', 'Old job'], dataDir)).at(-1)!;
    const list = await cli('members', ['--list'], dataDir);
    const id = list.find((line) => line.includes('Old job'))!.split(/\s+/)[0];
    const removed = await cli('members', ['--remove', id], dataDir);
    expect(removed.at(-1)).toMatch(/refused/);
    const relay = resources.relay(await startTestRelay({ dataDir, insecureOpenAccess: false }));
    const status = await fetch(`${relay.url}/api/session`, {
      headers: { authorization: `Bearer ${token}` }
    });
    expect(status.status).toBe(403);
  });

  it('refuses a wrong role with a sentence and exit code 1', async () => {
    const dataDir = resources.add(tempDataDir(), (dir) =>
      rmSync(dir, { recursive: true, force: true })
    );
    await expect(cli('invite', ['--role', 'boss'], dataDir)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/not a role/)
    });
  });
});
