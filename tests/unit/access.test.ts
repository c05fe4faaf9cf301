import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PRESENCE_COLOR,
  MAX_PRESENCE_NAME,
  apiBase,
  capabilities,
  describeUses,
  inviteRequest,
  inviteUsable,
  parseAccess,
  parseInviteFragment,
  presenceColor,
  presenceName,
  presenceUser,
  readInvites,
  readRedeemed,
  readSession,
  redeemErrorMessage,
  revokedMessage,
  roleNotice,
  sessionStatus,
  type Invite
} from '../../src/lib/model/deviceAccess.js';
import {
  profileForm,
  profileProblems,
  readProfileForm,
  savedProfile
} from '../../src/lib/model/identity.js';
import { threadsMarkdown } from '../../src/lib/model/commentsMarkdown.js';
import type { Thread } from '../../src/lib/model/comments.js';
import { defaultWorkingTime } from '../../src/lib/model/people.js';

const stored = { credential: 'a.b.c', personId: 'p1', role: 'commenter', workspaceId: 'main' };

describe('stored access', () => {
  it('reads what the join page stored', () => {
    expect(parseAccess(JSON.stringify(stored))).toEqual(stored);
  });

  it('reads anything malformed as not joined', () => {
    expect(parseAccess(null)).toBeNull();
    expect(parseAccess('')).toBeNull();
    expect(parseAccess('{not json')).toBeNull();
    expect(parseAccess('null')).toBeNull();
    expect(parseAccess('"a string"')).toBeNull();
    expect(parseAccess(JSON.stringify({ ...stored, role: 'owner' }))).toBeNull();
    expect(parseAccess(JSON.stringify({ ...stored, credential: '  ' }))).toBeNull();
    expect(parseAccess(JSON.stringify({ ...stored, credential: 42 }))).toBeNull();
    expect(parseAccess(JSON.stringify({ ...stored, personId: '' }))).toBeNull();
    expect(parseAccess(JSON.stringify({ ...stored, workspaceId: undefined }))).toBeNull();
  });

  it('takes the answer of POST /api/redeem, ignoring extra keys', () => {
    expect(readRedeemed({ ...stored, role: 'editor', extra: 1 })).toEqual({
      ...stored,
      role: 'editor'
    });
    expect(readRedeemed({ credential: 'x' })).toBeNull();
    expect(readRedeemed(null)).toBeNull();
  });
});

describe('role capabilities', () => {
  it('gives each role what docs/access.md says', () => {
    expect(capabilities('viewer', 'ok')).toEqual({
      canEdit: false,
      canComment: false,
      canShare: false
    });
    expect(capabilities('commenter', 'ok')).toEqual({
      canEdit: false,
      canComment: true,
      canShare: false
    });
    expect(capabilities('editor', 'ok')).toEqual({
      canEdit: true,
      canComment: true,
      canShare: true
    });
  });

  it('trusts the stored role while the relay has not answered (offline)', () => {
    expect(capabilities('editor', 'unknown').canEdit).toBe(true);
    expect(capabilities('commenter', 'unknown').canComment).toBe(true);
  });

  it('writes nothing without a credential or once the relay refused it', () => {
    for (const status of ['none', 'revoked', 'invalid'] as const) {
      expect(capabilities('editor', status)).toEqual({
        canEdit: false,
        canComment: false,
        canShare: false
      });
    }
    expect(capabilities(null, 'ok').canComment).toBe(false);
  });

  it('says what a reader may do, and nothing for editors', () => {
    expect(roleNotice('viewer')).toBe('You can read this workspace (viewer)');
    expect(roleNotice('commenter')).toBe('You can read and comment (commenter)');
    expect(roleNotice('editor')).toBeNull();
  });
});

describe('invite links', () => {
  const token = 'eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJpbnZpdGUifQ.sig-_123';

  it('reads the token from the fragment', () => {
    expect(parseInviteFragment(`#invite=${token}`)).toBe(token);
    expect(parseInviteFragment(`invite=${token}`)).toBe(token);
    expect(parseInviteFragment(`#other=1&invite=${token}`)).toBe(token);
    expect(parseInviteFragment(`#invite=%20${token}%20`)).toBe(token);
  });

  it('refuses a missing, empty or broken token', () => {
    expect(parseInviteFragment('')).toBeNull();
    expect(parseInviteFragment('#')).toBeNull();
    expect(parseInviteFragment('#invite=')).toBeNull();
    expect(parseInviteFragment('#token=abc')).toBeNull();
    expect(parseInviteFragment('#invite=<script>')).toBeNull();
    expect(parseInviteFragment('#invite=a b')).toBeNull();
    expect(parseInviteFragment(`#invite=${'a'.repeat(5000)}`)).toBeNull();
  });

  it('builds the body of POST /api/invites, leaving out "never" and "unlimited"', () => {
    expect(inviteRequest('viewer', 24, 5)).toEqual({ role: 'viewer', expiresInHours: 24, uses: 5 });
    expect(inviteRequest('editor', null, null)).toEqual({ role: 'editor' });
  });

  it('reads the invite list and tells which can still be used', () => {
    const now = 1_000_000;
    const invites = readInvites({
      invites: [
        {
          id: 'a',
          role: 'commenter',
          createdBy: 'p',
          createdAt: 1,
          expiresAt: null,
          maxUses: 5,
          uses: 2,
          revokedAt: null
        },
        {
          id: 'b',
          role: 'viewer',
          createdBy: 'p',
          createdAt: 2,
          expiresAt: now - 1,
          maxUses: null,
          uses: 0,
          revokedAt: null
        },
        {
          id: 'c',
          role: 'editor',
          createdBy: 'p',
          createdAt: 3,
          expiresAt: null,
          maxUses: 1,
          uses: 1,
          revokedAt: null
        },
        {
          id: 'd',
          role: 'editor',
          createdBy: 'p',
          createdAt: 4,
          expiresAt: null,
          maxUses: null,
          uses: 0,
          revokedAt: 5
        },
        { id: 'e', role: 'owner' },
        'junk'
      ]
    });
    expect(invites.map((i) => i.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(invites.map((i) => inviteUsable(i, now))).toEqual([true, false, false, false]);
    expect(describeUses(invites[0] as Invite)).toBe('2 of 5 used');
    expect(describeUses(invites[1] as Invite)).toBe('0 used (no limit)');
    expect(readInvites(null)).toEqual([]);
    expect(readInvites({ invites: 'no' })).toEqual([]);
  });
});

describe('the relay’s answers in plain words', () => {
  it('explains a refused invite', () => {
    expect(redeemErrorMessage(410, { reason: 'expired' })).toBe(
      'This invite has expired — ask for a new one.'
    );
    expect(redeemErrorMessage(410, { reason: 'used-up' })).toMatch(/^This invite was used up/);
    expect(redeemErrorMessage(410, { reason: 'revoked' })).toMatch(/withdrawn/);
    expect(redeemErrorMessage(401, { reason: 'invalid' })).toMatch(/not valid/);
    expect(redeemErrorMessage(400, { error: 'name: too long' })).toMatch(/name: too long/);
    expect(redeemErrorMessage(500, null)).toMatch(/status 500/);
  });

  it('reads GET /api/session', () => {
    expect(sessionStatus(200, {})).toEqual({ status: 'ok', reason: null });
    expect(sessionStatus(401, { reason: 'invalid' })).toEqual({
      status: 'invalid',
      reason: 'invalid'
    });
    expect(sessionStatus(403, { reason: 'removed' })).toEqual({
      status: 'revoked',
      reason: 'removed'
    });
    // A relay in trouble says nothing about the credential.
    expect(sessionStatus(503, {})).toBeNull();
    expect(sessionStatus(429, {})).toBeNull();
    expect(
      readSession({ personId: 'p', role: 'viewer', workspaceId: 'main', kind: 'device' })
    ).toEqual({ personId: 'p', role: 'viewer', workspaceId: 'main' });
    expect(readSession({ personId: 'p', role: 'admin', workspaceId: 'main' })).toBeNull();
  });

  it('counts what stays on the device when access is removed', () => {
    expect(revokedMessage(3)).toBe(
      'Your access to this workspace was removed. Nothing you wrote here is lost: 3 unsynced changes stay on this device'
    );
    expect(revokedMessage(1)).toMatch(/1 unsynced change stays/);
    expect(revokedMessage(0)).toMatch(/had reached the relay/);
  });

  it('finds the HTTP API beside the websocket relay', () => {
    expect(apiBase('ws://localhost:3000/sync')).toBe('http://localhost:3000');
    expect(apiBase('wss://example.com/sync/')).toBe('https://example.com');
    expect(apiBase('wss://example.com/relay/sync')).toBe('https://example.com/relay');
  });
});

describe('presence from other devices', () => {
  it('uses a colour only when it is #rrggbb', () => {
    expect(presenceColor('#1f6feb')).toBe('#1f6feb');
    expect(presenceColor('#ABCDEF')).toBe('#ABCDEF');
    for (const bad of [
      'red',
      '#fff',
      '#1f6feb; background:url(x)',
      'url(x)',
      '',
      42,
      null,
      undefined
    ]) {
      expect(presenceColor(bad)).toBe(DEFAULT_PRESENCE_COLOR);
    }
  });

  it('trims names and cuts them to 100 characters', () => {
    expect(presenceName('  Ana   Lima ')).toBe('Ana Lima');
    expect(presenceName('x'.repeat(500))).toHaveLength(MAX_PRESENCE_NAME);
    expect(Array.from(presenceName('😀'.repeat(150)))).toHaveLength(MAX_PRESENCE_NAME);
    expect(presenceName(42)).toBe('');
    expect(presenceName({ toString: () => 'x' })).toBe('');
  });

  it('validates the awareness user', () => {
    expect(presenceUser({ user: { name: 'Ana', color: 'javascript:1' } })).toEqual({
      name: 'Ana',
      color: DEFAULT_PRESENCE_COLOR
    });
    expect(presenceUser({ user: { name: '   ', color: '#000000' } })).toBeNull();
    expect(presenceUser({ user: 'Ana' })).toBeNull();
    expect(presenceUser({})).toBeNull();
    expect(presenceUser(null)).toBeNull();
  });
});

describe('profile form', () => {
  it('asks for a name and a working time that makes sense', () => {
    const time = defaultWorkingTime('Europe/Warsaw');
    expect(profileProblems({ name: 'Ana', ...time })).toEqual({ name: '', time: '' });
    expect(profileProblems({ name: '  ', ...time }).name).toMatch(/name/);
    expect(profileProblems({ name: 'Ana', ...time, workDays: [] }).time).not.toBe('');
  });

  it('saves the zone trimmed and the days in calendar order, whatever order they were ticked in', () => {
    const form = {
      name: 'Ana',
      color: '#1f6feb',
      timeZone: '  Europe/Warsaw ',
      workStart: '08:00',
      workEnd: '16:00',
      workDays: [5, 1, 3]
    };
    expect(readProfileForm(form)).toEqual({
      profile: { ...form, timeZone: 'Europe/Warsaw', workDays: [1, 3, 5] },
      problems: { name: '', time: '' }
    });
    // The form itself is left as typed.
    expect(form.workDays).toEqual([5, 1, 3]);
  });

  it('saves nothing while a part of the form has a problem, and says which', () => {
    const time = defaultWorkingTime('Europe/Warsaw');
    const nameless = readProfileForm({ name: ' ', color: '#1f6feb', ...time });
    expect(nameless.profile).toBeNull();
    expect(nameless.problems).toEqual({ name: expect.stringMatching(/name/), time: '' });
    const dayless = readProfileForm({ name: 'Ana', color: '#1f6feb', ...time, workDays: [] });
    expect(dayless.profile).toBeNull();
    expect(dayless.problems.name).toBe('');
    expect(dayless.problems.time).not.toBe('');
    const nowhere = readProfileForm({
      name: 'Ana',
      color: '#1f6feb',
      ...time,
      timeZone: 'Mars/Base'
    });
    expect(nowhere.profile).toBeNull();
    expect(nowhere.problems.time).not.toBe('');
  });

  it('stores and sends the name normalized and the days in order, leaving the original', () => {
    const profile = {
      name: '  Ana   Lopez ',
      color: '#1f6feb',
      timeZone: 'Europe/Warsaw',
      workStart: '08:00',
      workEnd: '16:00',
      workDays: [3, 1]
    };
    expect(savedProfile(profile)).toEqual({ ...profile, name: 'Ana Lopez', workDays: [1, 3] });
    expect(profile.workDays).toEqual([3, 1]);
  });

  it("gives a form its own copy of only the profile's fields", () => {
    const identity = {
      userId: 'p1',
      updatedAt: 5,
      name: 'Ana',
      color: '#1f6feb',
      ...defaultWorkingTime('UTC')
    };
    const form = profileForm(identity);
    expect(form).toEqual({
      name: 'Ana',
      color: '#1f6feb',
      ...defaultWorkingTime('UTC')
    });
    form.workDays.push(6);
    expect(identity.workDays).toEqual(defaultWorkingTime('UTC').workDays);
  });
});

describe('comments taken away as Markdown', () => {
  it('lists each thread with its passage, who wrote what and when', () => {
    const comment = (
      id: string,
      author: string,
      text: string,
      deletedAt: number | null = null
    ) => ({
      id,
      author,
      text,
      createdAt: Date.UTC(2026, 0, 2, 3, 4),
      editedAt: null,
      deletedAt,
      outcome: false,
      ask: null,
      reactions: []
    });
    const threads: Thread[] = [
      {
        id: 't1',
        purpose: 'passage',
        anchorStart: null,
        anchorEnd: null,
        quote: 'the  plan',
        createdAt: 2,
        createdBy: 'p1',
        resolution: { resolved: true, at: Date.UTC(2026, 0, 3), by: 'p2' },
        comments: [comment('c1', 'p1', 'Why?\nReally?'), comment('c2', 'p2', 'gone', 5)]
      }
    ];
    const names: Record<string, string> = { p1: 'Ana', p2: 'Ravi' };
    const markdown = threadsMarkdown('Plan', threads, (id) => names[id] ?? id);
    expect(markdown).toContain('# Comments on “Plan”');
    expect(markdown).toContain('## “the plan”');
    expect(markdown).toContain('Resolved by Ravi, 2026-01-03 00:00 UTC.');
    expect(markdown).toContain('**Ana**, 2026-01-02 03:04 UTC:\n\n> Why?\n> Really?');
    expect(markdown).not.toContain('gone');
    expect(threadsMarkdown('', [], (id) => id)).toContain('No comments.');
  });
});
