/**
 * Reply-by deadlines: the presets of the team's response norms, worked out in
 * the asked person's own time zone, working days and hours, and the wording
 * that shows a deadline to a reader somewhere else.
 *
 * Time-zone and calendar arithmetic is date-fns 4 with @date-fns/tz: a TZDate
 * does wall-clock maths in its zone, so "three working days later at the same
 * time" stays right across a daylight-saving change. Nothing here adds hour
 * offsets by hand. Pure: no DOM, no Svelte.
 */
import { TZDate } from '@date-fns/tz';
import { addDays, getISODay, set } from 'date-fns';
import { minutesOf, type WorkingTime } from './people.js';
import { dateFormat } from './time.js';

export const REPLY_BY_PRESETS = ['4h', '24h', '3bd', '5bd', 'decision', 'custom'] as const;
export type ReplyByPreset = (typeof REPLY_BY_PRESETS)[number];

export const PRESET_LABELS: Record<ReplyByPreset, string> = {
  '4h': '4 hours — direct question',
  '24h': '24 hours — review comment',
  '3bd': '3 business days — design feedback',
  '5bd': '5 business days — design feedback',
  decision: '24-hour decision rule — a full working day for everyone',
  custom: 'Custom date and time'
};

export function isReplyByPreset(value: unknown): value is ReplyByPreset {
  return typeof value === 'string' && (REPLY_BY_PRESETS as readonly string[]).includes(value);
}

const HOUR = 3_600_000;
/** No working pattern leaves more than a week between working days. */
const MAX_DAYS_SEARCHED = 14;

function atMinutes(day: TZDate, minutes: number): TZDate {
  return set(day, {
    hours: Math.floor(minutes / 60),
    minutes: minutes % 60,
    seconds: 0,
    milliseconds: 0
  });
}

function isWorkingDay(day: TZDate, time: WorkingTime): boolean {
  return time.workDays.includes(getISODay(day));
}

/**
 * Moves an instant that falls outside someone's working time to the end of
 * their next working day, so they get working time to answer; an instant
 * inside their working hours stays as it is.
 */
export function withinWorkingTime(instant: number, time: WorkingTime): number {
  if (time.workDays.length === 0) return instant;
  const start = minutesOf(time.workStart);
  const end = minutesOf(time.workEnd);
  let day = new TZDate(instant, time.timeZone);
  for (let i = 0; i < MAX_DAYS_SEARCHED; i++, day = addDays(day, 1)) {
    if (!isWorkingDay(day, time)) continue;
    const dayStart = atMinutes(day, start).getTime();
    const dayEnd = atMinutes(day, end).getTime();
    if (instant <= dayEnd) return instant >= dayStart ? instant : dayEnd;
  }
  return instant;
}

/** The same wall-clock time `count` of their working days later. */
export function addWorkingDays(instant: number, count: number, time: WorkingTime): number {
  if (time.workDays.length === 0) return instant + count * 24 * HOUR;
  let day = new TZDate(instant, time.timeZone);
  let added = 0;
  while (added < count) {
    day = addDays(day, 1);
    if (isWorkingDay(day, time)) added++;
  }
  return day.getTime();
}

/** The end of the first working day of theirs that starts after `instant`. */
export function endOfNextFullWorkingDay(instant: number, time: WorkingTime): number {
  const start = minutesOf(time.workStart);
  const end = minutesOf(time.workEnd);
  let day = new TZDate(instant, time.timeZone);
  for (let i = 0; i < MAX_DAYS_SEARCHED; i++, day = addDays(day, 1)) {
    if (!isWorkingDay(day, time)) continue;
    if (atMinutes(day, start).getTime() >= instant) return atMinutes(day, end).getTime();
  }
  return instant + 24 * HOUR;
}

/**
 * The reply-by instant of a preset for one asked person:
 * - 4h / 24h: that long from now, moved into their working time;
 * - 3bd / 5bd: that many of their working days later, same time of day,
 *   moved into their working time;
 * - decision (the 24-hour rule): at least 24 hours, and never before the end
 *   of a full working day of theirs that starts after now.
 */
export function replyByFor(
  preset: Exclude<ReplyByPreset, 'custom'>,
  now: number,
  time: WorkingTime
): number {
  switch (preset) {
    case '4h':
      return withinWorkingTime(now + 4 * HOUR, time);
    case '24h':
      return withinWorkingTime(now + 24 * HOUR, time);
    case '3bd':
      return withinWorkingTime(addWorkingDays(now, 3, time), time);
    case '5bd':
      return withinWorkingTime(addWorkingDays(now, 5, time), time);
    case 'decision':
      return Math.max(withinWorkingTime(now + 24 * HOUR, time), endOfNextFullWorkingDay(now, time));
  }
}

/**
 * One deadline for several asked people: the latest of theirs, so each of
 * them gets the time the norm promises in their own zone.
 */
export function computeReplyBy(
  preset: Exclude<ReplyByPreset, 'custom'>,
  now: number,
  asked: readonly WorkingTime[]
): number {
  if (asked.length === 0) throw new Error('An ask needs at least one person.');
  return Math.max(...asked.map((time) => replyByFor(preset, now, time)));
}

/**
 * A date and time typed into a `datetime-local` field ("2026-12-03T17:00"),
 * read as wall-clock time in `timeZone`. Null when it is not such a value.
 */
export function parseLocalDateTime(value: string, timeZone: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute] = match.slice(1).map(Number);
  const date = new TZDate(year, month - 1, day, hour, minute, timeZone);
  // Reject 2026-02-31 and the like rather than rolling into March.
  if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day)
    return null;
  const instant = date.getTime();
  return Number.isFinite(instant) ? instant : null;
}

/** The value a `datetime-local` field shows for an instant in `timeZone`. */
export function toLocalDateTimeValue(instant: number, timeZone: string): string {
  const date = new TZDate(instant, timeZone);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * A deadline as a reader sees it: weekday and time, with the date when it is
 * not within the coming week, in `timeZone` ("Thu 17:00", "Tue 8 Dec, 09:00").
 */
export function formatDeadline(
  instant: number,
  timeZone: string,
  now: number,
  locale = 'en-GB'
): string {
  const far = Math.abs(instant - now) > 6 * 24 * HOUR;
  return dateFormat(locale, {
    weekday: 'short',
    ...(far ? { day: 'numeric', month: 'short' } : {}),
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone
  }).format(instant);
}

/** The zone's short name at that instant ("UTC", "GMT+5:30", "EST"). */
export function zoneAbbreviation(instant: number, timeZone: string, locale = 'en-US'): string {
  const part = dateFormat(locale, { timeZone, timeZoneName: 'short' })
    .formatToParts(instant)
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? timeZone;
}

/** "due in 3 h", "due in 2 d", "overdue by 45 min". */
export function formatCountdown(replyBy: number, now: number): string {
  const diff = replyBy - now;
  const span = Math.abs(diff);
  let amount: string;
  if (span < HOUR) amount = `${Math.max(1, Math.round(span / 60_000))} min`;
  else if (span < 48 * HOUR) amount = `${Math.round(span / HOUR)} h`;
  else amount = `${Math.round(span / (24 * HOUR))} d`;
  return diff >= 0 ? `due in ${amount}` : `overdue by ${amount}`;
}
