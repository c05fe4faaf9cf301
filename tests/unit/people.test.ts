import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  DEFAULT_WORK_DAYS,
  defaultWorkingTime,
  displayName,
  getMembersMap,
  getPerson,
  listPeople,
  readWorkingTime,
  upsertPerson,
  workingTimeError,
  type Person
} from '../../src/lib/model/people.js';
import { parseIdentity } from '../../src/lib/model/identity.js';

function ana(overrides: Partial<Person> = {}): Person {
  return {
    id: 'person-ana',
    name: 'Ana Lima',
    color: '#1f6feb',
    timeZone: 'America/Sao_Paulo',
    workStart: '09:00',
    workEnd: '17:00',
    workDays: [1, 2, 3, 4, 5],
    updatedAt: 1_000,
    ...overrides
  };
}

/** Counts the updates a doc emits, so "writes nothing" is checked on the wire. */
function countUpdates(doc: Y.Doc): { readonly count: number } {
  const counter = { count: 0 };
  doc.on('update', () => counter.count++);
  return counter;
}

function syncBoth(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

describe('upsertPerson', () => {
  it('writes a new person once and reads it back', () => {
    const index = new Y.Doc();
    const updates = countUpdates(index);
    expect(upsertPerson(index, ana({ name: '  Ana   Lima ' }))).toBe(true);
    expect(updates.count).toBe(1);
    expect(getPerson(index, 'person-ana')).toEqual(ana());
  });

  it('writes nothing when the stored entry already says the same', () => {
    const index = new Y.Doc();
    upsertPerson(index, ana());
    const before = Y.encodeStateAsUpdate(index);
    const updates = countUpdates(index);
    expect(upsertPerson(index, ana())).toBe(false);
    // The same profile saved again later, or with the name spaced differently.
    expect(upsertPerson(index, ana({ updatedAt: 5_000, name: 'Ana  Lima ' }))).toBe(false);
    expect(updates.count).toBe(0);
    expect(Y.encodeStateAsUpdate(index)).toEqual(before);
  });

  it('a newer save wins; an older one is ignored', () => {
    const index = new Y.Doc();
    upsertPerson(index, ana());
    expect(upsertPerson(index, ana({ updatedAt: 2_000, timeZone: 'Europe/Lisbon' }))).toBe(true);
    expect(getPerson(index, 'person-ana')?.timeZone).toBe('Europe/Lisbon');

    const updates = countUpdates(index);
    expect(upsertPerson(index, ana({ updatedAt: 1_500, name: 'Ana (old laptop)' }))).toBe(false);
    expect(updates.count).toBe(0);
    expect(getPerson(index, 'person-ana')).toEqual(
      ana({ updatedAt: 2_000, timeZone: 'Europe/Lisbon' })
    );
  });

  it('a profile is replaced whole, never a mix of two saves', () => {
    const index = new Y.Doc();
    upsertPerson(index, ana({ workDays: [1, 2, 3] }));
    upsertPerson(index, ana({ updatedAt: 2_000, color: '#8250df', workEnd: '18:30' }));
    expect(getPerson(index, 'person-ana')).toEqual(
      ana({ updatedAt: 2_000, color: '#8250df', workEnd: '18:30' })
    );
  });

  it('after two devices saved offline, the newer profile is stored again on its next save', () => {
    // Concurrent writes to one map key are decided by Yjs (client ids), not by
    // updatedAt; the device holding the newer profile heals it the next time it
    // registers the person, and the older device then leaves it alone.
    const a = new Y.Doc();
    const b = new Y.Doc();
    a.clientID = 1;
    b.clientID = 2;
    const newer = ana({ updatedAt: 3_000, name: 'Ana L.' });
    const older = ana({ updatedAt: 2_000, name: 'Ana (tablet)' });
    upsertPerson(a, newer);
    upsertPerson(b, older);
    syncBoth(a, b);
    expect(getPerson(a, newer.id)).toEqual(getPerson(b, newer.id));
    // With these client ids Yjs keeps the older save: the case that needs healing.
    expect(getPerson(a, newer.id)?.name).toBe('Ana (tablet)');
    expect(upsertPerson(a, newer)).toBe(true);
    expect(upsertPerson(b, older)).toBe(false);
    syncBoth(a, b);
    expect(getPerson(a, newer.id)?.name).toBe('Ana L.');
    expect(getPerson(b, newer.id)?.name).toBe('Ana L.');
  });

  it('listPeople sorts by name and skips entries without a name', () => {
    const index = new Y.Doc();
    upsertPerson(index, ana());
    upsertPerson(index, ana({ id: 'person-bo', name: 'Bo' }));
    upsertPerson(index, ana({ id: 'person-al', name: 'Al' }));
    getMembersMap(index).set('broken', { name: '   ', color: '#000000' });
    getMembersMap(index).set('junk', 42);
    expect(listPeople(index).map((p) => p.id)).toEqual(['person-al', 'person-ana', 'person-bo']);
    expect(getPerson(index, 'broken')).toBeNull();
    expect(getPerson(index, 'missing')).toBeNull();
  });
});

describe('readWorkingTime', () => {
  it('keeps a valid working time as it is', () => {
    const time = {
      timeZone: 'Asia/Dubai',
      workStart: '08:00',
      workEnd: '16:30',
      workDays: [7, 1, 2, 3, 4]
    };
    expect(readWorkingTime(time)).toEqual({ ...time, workDays: [1, 2, 3, 4, 7] });
  });

  it('falls back field by field for bad values', () => {
    expect(
      readWorkingTime({
        timeZone: 'Mars/Olympus_Mons',
        workStart: '9am',
        workEnd: '18:00',
        workDays: [1, 1, 3, 0, 8, 2.5, '4', 5]
      })
    ).toEqual({ timeZone: 'UTC', workStart: '09:00', workEnd: '18:00', workDays: [1, 3, 5] });
    expect(readWorkingTime({})).toEqual({
      timeZone: 'UTC',
      workStart: '09:00',
      workEnd: '17:00',
      workDays: [...DEFAULT_WORK_DAYS]
    });
    expect(readWorkingTime({ timeZone: 42, workEnd: '25:00', workDays: 'weekdays' })).toEqual(
      defaultWorkingTime('UTC')
    );
  });

  it('a profile that breaks the rules works as the defaults in its zone', () => {
    expect(
      readWorkingTime({
        timeZone: 'Asia/Kolkata',
        workStart: '18:00',
        workEnd: '09:00',
        workDays: [1]
      })
    ).toEqual(defaultWorkingTime('Asia/Kolkata'));
    expect(
      readWorkingTime({
        timeZone: 'Asia/Kolkata',
        workStart: '09:00',
        workEnd: '17:00',
        workDays: []
      })
    ).toEqual(defaultWorkingTime('Asia/Kolkata'));
  });

  it('a stored member with bad working time reads with the defaults', () => {
    const index = new Y.Doc();
    getMembersMap(index).set('old', { name: 'Old Client', color: 'red', workDays: null });
    expect(getPerson(index, 'old')).toEqual({
      id: 'old',
      name: 'Old Client',
      color: '#57606a',
      updatedAt: 0,
      ...defaultWorkingTime('UTC')
    });
  });
});

describe('workingTimeError', () => {
  const good = { timeZone: 'Europe/Berlin', workStart: '09:00', workEnd: '17:00', workDays: [1] };

  it('is null for a valid working time', () => {
    expect(workingTimeError(good)).toBeNull();
  });

  it.each([
    [{ timeZone: 'Europe/Atlantis' }, '“Europe/Atlantis” is not a time zone this browser knows.'],
    [{ timeZone: '' }, '“” is not a time zone this browser knows.'],
    [{ workStart: '9:00' }, 'Working hours are times of day like 09:00.'],
    [{ workEnd: '24:00' }, 'Working hours are times of day like 09:00.'],
    [{ workEnd: '09:00' }, 'The working day has to end after it starts.'],
    [{ workStart: '22:00', workEnd: '06:00' }, 'The working day has to end after it starts.'],
    [{ workDays: [] }, 'Pick at least one working day.']
  ])('%j → %s', (change, message) => {
    expect(workingTimeError({ ...good, ...change })).toBe(message);
  });
});

describe('displayName', () => {
  const people = new Map([['person-ana', ana()]]);

  it('shows the name of a known person id', () => {
    expect(displayName(people, 'person-ana')).toBe('Ana Lima');
  });

  it('shows an unknown id or a legacy stored name as it is', () => {
    expect(displayName(people, 'person-gone')).toBe('person-gone');
    expect(displayName(people, 'Device 3')).toBe('Device 3');
  });

  it('shows "Someone" for nothing', () => {
    expect(displayName(people, '')).toBe('Someone');
  });
});

describe('parseIdentity', () => {
  it('an identity stored before working time existed gets the defaults and keeps its id', () => {
    const raw = JSON.stringify({ userId: 'u-123', name: 'Ana', color: '#1f6feb' });
    expect(parseIdentity(raw, 'Asia/Kolkata')).toEqual({
      userId: 'u-123',
      name: 'Ana',
      color: '#1f6feb',
      updatedAt: 0,
      timeZone: 'Asia/Kolkata',
      workStart: '09:00',
      workEnd: '17:00',
      workDays: [1, 2, 3, 4, 5]
    });
  });

  it('keeps a stored working time over the detected zone', () => {
    const stored = {
      userId: 'u-1',
      name: 'Bo',
      color: '#8250df',
      updatedAt: 7,
      timeZone: 'Asia/Dubai',
      workStart: '08:00',
      workEnd: '15:00',
      workDays: [1, 2, 3, 4, 7]
    };
    expect(parseIdentity(JSON.stringify(stored), 'Europe/Berlin')).toEqual(stored);
  });

  it.each([
    null,
    '',
    'not json',
    '{}',
    JSON.stringify({ userId: '', name: 'Ana', color: '#1f6feb' }),
    JSON.stringify({ userId: 'u', name: '   ', color: '#1f6feb' }),
    JSON.stringify({ userId: 'u', name: 'Ana', color: 'blue' })
  ])('gives null for %j', (raw) => {
    expect(parseIdentity(raw)).toBeNull();
  });
});
