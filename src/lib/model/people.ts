/**
 * People: a stable person id made on the device, registered in the workspace
 * member list (root `members` of the index document) with a name, colour, IANA
 * time zone and working hours. Asks, replies and "last edited by" store the
 * person id; the name is looked up here, so a rename shows everywhere.
 *
 * A member entry is one plain object under the person's id, written only by
 * that person's devices: the newest write wins whole, so a profile is never a
 * mix of two edits. Pure: no DOM, no Svelte.
 */
import * as Y from 'yjs';
import { INDEX_ROOTS, numberOr } from './schema.js';
import { isColor, normalizeName } from './names.js';

/** When someone can be expected to answer: their zone, hours and days. */
export interface WorkingTime {
  /** IANA time zone, e.g. "Asia/Kolkata". */
  timeZone: string;
  /** Start and end of the working day, "HH:MM" in their zone. */
  workStart: string;
  workEnd: string;
  /** ISO weekdays they work: 1 = Monday … 7 = Sunday. */
  workDays: number[];
}

export interface Person extends WorkingTime {
  id: string;
  name: string;
  color: string;
  /** When the profile was last saved (ms): the newest save wins. */
  updatedAt: number;
}

export const DEFAULT_WORK_START = '09:00';
export const DEFAULT_WORK_END = '17:00';
export const DEFAULT_WORK_DAYS: readonly number[] = [1, 2, 3, 4, 5];
export const FALLBACK_TIME_ZONE = 'UTC';

export const WEEKDAY_LABELS: Record<number, string> = {
  1: 'Mon',
  2: 'Tue',
  3: 'Wed',
  4: 'Thu',
  5: 'Fri',
  6: 'Sat',
  7: 'Sun'
};

const TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function isTimeOfDay(value: unknown): value is string {
  return typeof value === 'string' && TIME_PATTERN.test(value);
}

/** Minutes since midnight of "HH:MM". */
export function minutesOf(time: string): number {
  const match = TIME_PATTERN.exec(time);
  if (!match) throw new Error(`Not a time of day: ${time}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

const knownZones = new Map<string, boolean>();

/** Whether the platform knows this IANA zone (Intl throws a RangeError otherwise). */
export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || !value) return false;
  let known = knownZones.get(value);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value });
      known = true;
    } catch {
      known = false;
    }
    knownZones.set(value, known);
  }
  return known;
}

/** The zone this device is set to, or UTC when the platform does not say. */
export function detectTimeZone(): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return isTimeZone(zone) ? zone : FALLBACK_TIME_ZONE;
}

export function normalizeWorkDays(value: unknown): number[] {
  if (!Array.isArray(value)) return [...DEFAULT_WORK_DAYS];
  const days = [
    ...new Set(value.filter((d): d is number => Number.isInteger(d) && d >= 1 && d <= 7))
  ];
  return days.sort((a, b) => a - b);
}

/**
 * Checks a profile's working time; returns a sentence for the user, or null.
 * A working day has to end after it starts (a night shift across midnight is
 * not supported yet), and someone has to work at least one day a week.
 */
export function workingTimeError(time: WorkingTime): string | null {
  if (!isTimeZone(time.timeZone))
    return `“${time.timeZone}” is not a time zone this browser knows.`;
  if (!isTimeOfDay(time.workStart) || !isTimeOfDay(time.workEnd))
    return 'Working hours are times of day like 09:00.';
  if (minutesOf(time.workEnd) <= minutesOf(time.workStart))
    return 'The working day has to end after it starts.';
  if (time.workDays.length === 0) return 'Pick at least one working day.';
  return null;
}

export function defaultWorkingTime(timeZone: string = detectTimeZone()): WorkingTime {
  return {
    timeZone,
    workStart: DEFAULT_WORK_START,
    workEnd: DEFAULT_WORK_END,
    workDays: [...DEFAULT_WORK_DAYS]
  };
}

/** Reads any value as working time, falling back field by field to the defaults. */
export function readWorkingTime(value: Partial<Record<keyof WorkingTime, unknown>>): WorkingTime {
  const candidate: WorkingTime = {
    timeZone: isTimeZone(value.timeZone) ? value.timeZone : FALLBACK_TIME_ZONE,
    workStart: isTimeOfDay(value.workStart) ? value.workStart : DEFAULT_WORK_START,
    workEnd: isTimeOfDay(value.workEnd) ? value.workEnd : DEFAULT_WORK_END,
    workDays: normalizeWorkDays(value.workDays)
  };
  // A stored profile that breaks the rules (say, end before start) works as
  // the defaults rather than producing deadlines nobody can meet.
  if (workingTimeError(candidate)) {
    return { ...defaultWorkingTime(candidate.timeZone) };
  }
  return candidate;
}

export function getMembersMap(index: Y.Doc): Y.Map<unknown> {
  return index.getMap(INDEX_ROOTS.members);
}

function readPerson(id: string, raw: unknown): Person | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const value = raw as Record<string, unknown>;
  const name = typeof value.name === 'string' ? normalizeName(value.name) : '';
  if (!name) return null;
  return {
    id,
    name,
    color: isColor(value.color) ? value.color : '#57606a',
    updatedAt: numberOr(value.updatedAt, 0),
    ...readWorkingTime(value)
  };
}

export function getPerson(index: Y.Doc, id: string): Person | null {
  return readPerson(id, getMembersMap(index).get(id));
}

/** Every registered member, by name. */
export function listPeople(index: Y.Doc): Person[] {
  const people: Person[] = [];
  getMembersMap(index).forEach((raw, id) => {
    const person = readPerson(id, raw);
    if (person) people.push(person);
  });
  return people.sort((a, b) => a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1));
}

/**
 * Registers or updates a person. Writes nothing when the stored entry already
 * says the same, so opening the app on a device does not touch the index; an
 * entry saved later (another device of the same person) is kept.
 */
export function upsertPerson(index: Y.Doc, person: Person): boolean {
  const members = getMembersMap(index);
  const current = readPerson(person.id, members.get(person.id));
  if (current && current.updatedAt > person.updatedAt) return false;
  if (current && samePerson(current, person)) return false;
  const raw = members.get(person.id);
  members.set(person.id, {
    // Keys the relay keeps on the entry (role, removedAt) stay as they are.
    ...(typeof raw === 'object' && raw !== null ? raw : {}),
    name: normalizeName(person.name),
    color: person.color,
    timeZone: person.timeZone,
    workStart: person.workStart,
    workEnd: person.workEnd,
    workDays: [...person.workDays],
    updatedAt: person.updatedAt
  });
  return true;
}

function samePerson(a: Person, b: Person): boolean {
  return (
    a.name === normalizeName(b.name) &&
    a.color === b.color &&
    a.timeZone === b.timeZone &&
    a.workStart === b.workStart &&
    a.workEnd === b.workEnd &&
    a.workDays.join() === b.workDays.join()
  );
}

/**
 * The name to show for a person id. Records written before person ids were
 * kept hold a display name instead; an unknown id reads as that text.
 */
export function displayName(people: ReadonlyMap<string, Person>, idOrName: string): string {
  if (!idOrName) return 'Someone';
  return people.get(idOrName)?.name ?? idOrName;
}
