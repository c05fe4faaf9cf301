/**
 * Reply-by presets, worked out in the asked person's zone, working days and
 * hours. Expected instants are written as wall-clock times in a named zone and
 * read with Intl (not with the model), so a test says what a person would see
 * on their own clock.
 */
import { describe, expect, it } from 'vitest';
import {
  addWorkingDays,
  computeReplyBy,
  endOfNextFullWorkingDay,
  formatCountdown,
  formatDeadline,
  parseLocalDateTime,
  replyByFor,
  toLocalDateTimeValue,
  withinWorkingTime
} from '../../src/lib/model/replyBy.js';
import type { WorkingTime } from '../../src/lib/model/people.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function person(timeZone: string, workDays = [1, 2, 3, 4, 5], hours = ['09:00', '17:00']) {
  return { timeZone, workStart: hours[0], workEnd: hours[1], workDays } satisfies WorkingTime;
}

const WEEKDAYS = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

const formats = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock parts of an instant in a zone, read with Intl only. */
function wallParts(instant: number, timeZone: string) {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23'
    });
    formats.set(timeZone, format);
  }
  const parts = format.formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    weekday: get('weekday'),
    date: `${get('year')}-${get('month')}-${get('day')}`,
    time: `${get('hour')}:${get('minute')}`
  };
}

/** "Wed 2026-03-11 15:00": what the person sees on their own clock. */
function wall(instant: number, timeZone: string): string {
  const p = wallParts(instant, timeZone);
  return `${p.weekday} ${p.date} ${p.time}`;
}

/**
 * The instant of a wall-clock time in a zone, found by correcting a UTC guess
 * with the zone's offset as Intl reports it (independent of the model).
 */
function at(local: string, timeZone: string): number {
  const [date, time] = local.split(' ');
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const target = Date.UTC(y, m - 1, d, hh, mm);
  let guess = target;
  for (let i = 0; i < 3; i++) {
    const p = wallParts(guess, timeZone);
    const [gy, gm, gd] = p.date.split('-').map(Number);
    const [gh, gmin] = p.time.split(':').map(Number);
    guess += target - Date.UTC(gy, gm - 1, gd, gh, gmin);
  }
  expect(wall(guess, timeZone).slice(4), `${local} exists in ${timeZone}`).toBe(local);
  return guess;
}

describe('presets in the asked person’s zone', () => {
  // Tuesday 2026-06-09 10:00 on each person's own clock.
  const zones = [
    'UTC',
    'Europe/Berlin',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'America/Los_Angeles',
    'Australia/Sydney'
  ];

  it.each(zones)('%s: 4h, 24h, 3bd, 5bd and decision from Tue 10:00 local', (zone) => {
    const time = person(zone);
    const now = at('2026-06-09 10:00', zone);
    expect(wall(now, zone)).toBe('Tue 2026-06-09 10:00');
    expect(wall(replyByFor('4h', now, time), zone)).toBe('Tue 2026-06-09 14:00');
    expect(wall(replyByFor('24h', now, time), zone)).toBe('Wed 2026-06-10 10:00');
    expect(wall(replyByFor('3bd', now, time), zone)).toBe('Fri 2026-06-12 10:00');
    expect(wall(replyByFor('5bd', now, time), zone)).toBe('Tue 2026-06-16 10:00');
    // 24 hours is Wed 10:00, but the full working day after now ends Wed 17:00.
    expect(wall(replyByFor('decision', now, time), zone)).toBe('Wed 2026-06-10 17:00');
  });

  it('the same instant gives each zone its own deadline', () => {
    const now = Date.UTC(2026, 5, 9, 10, 0); // Tue 10:00 UTC
    expect(wall(replyByFor('4h', now, person('Europe/Berlin')), 'Europe/Berlin')).toBe(
      'Tue 2026-06-09 16:00'
    );
    // 14:00 UTC is 19:30 in Kolkata: after hours, so the end of their next working day.
    expect(wall(replyByFor('4h', now, person('Asia/Kolkata')), 'Asia/Kolkata')).toBe(
      'Wed 2026-06-10 17:00'
    );
    // 14:00 UTC is 07:00 in Los Angeles: before hours, so the end of that day.
    expect(wall(replyByFor('4h', now, person('America/Los_Angeles')), 'America/Los_Angeles')).toBe(
      'Tue 2026-06-09 17:00'
    );
  });
});

describe('weekends', () => {
  const berlin = person('Europe/Berlin');
  const zone = berlin.timeZone;

  it('asked Friday afternoon: 3bd lands Wednesday at the same time', () => {
    const now = at('2026-03-06 15:00', zone);
    expect(wall(now, zone)).toBe('Fri 2026-03-06 15:00');
    expect(wall(replyByFor('3bd', now, berlin), zone)).toBe('Wed 2026-03-11 15:00');
    expect(wall(replyByFor('5bd', now, berlin), zone)).toBe('Fri 2026-03-13 15:00');
  });

  it('4h on Friday 16:00 moves to Monday 17:00, the end of their next working day', () => {
    const now = at('2026-03-06 16:00', zone);
    expect(wall(replyByFor('4h', now, berlin), zone)).toBe('Mon 2026-03-09 17:00');
  });

  it('24h from Friday falls on Saturday and moves to Monday 17:00', () => {
    const now = at('2026-03-06 15:00', zone);
    expect(wall(replyByFor('24h', now, berlin), zone)).toBe('Mon 2026-03-09 17:00');
  });

  it('asked on Saturday: working days count from Monday', () => {
    const now = at('2026-03-07 11:00', zone);
    expect(wall(addWorkingDays(now, 3, berlin), zone)).toBe('Wed 2026-03-11 11:00');
    expect(wall(replyByFor('3bd', now, berlin), zone)).toBe('Wed 2026-03-11 11:00');
  });
});

describe('working hours', () => {
  const berlin = person('Europe/Berlin');
  const zone = berlin.timeZone;

  it('a deadline at 02:00 their time moves to 17:00 that day', () => {
    const now = at('2026-06-09 22:00', zone);
    expect(wall(now + 4 * HOUR, zone)).toBe('Wed 2026-06-10 02:00');
    expect(wall(replyByFor('4h', now, berlin), zone)).toBe('Wed 2026-06-10 17:00');
  });

  it('a deadline at 20:00 their time moves to 17:00 of the next working day', () => {
    const now = at('2026-06-09 16:00', zone);
    expect(wall(replyByFor('4h', now, berlin), zone)).toBe('Wed 2026-06-10 17:00');
  });

  it('the start and the end of the working day are inside it; a minute later is not', () => {
    expect(withinWorkingTime(at('2026-06-09 09:00', zone), berlin)).toBe(
      at('2026-06-09 09:00', zone)
    );
    expect(withinWorkingTime(at('2026-06-09 17:00', zone), berlin)).toBe(
      at('2026-06-09 17:00', zone)
    );
    expect(wall(withinWorkingTime(at('2026-06-09 17:01', zone), berlin), zone)).toBe(
      'Wed 2026-06-10 17:00'
    );
    expect(wall(withinWorkingTime(at('2026-06-09 08:59', zone), berlin), zone)).toBe(
      'Tue 2026-06-09 17:00'
    );
  });

  it('custom hours are respected', () => {
    const early = person(zone, [1, 2, 3, 4, 5], ['07:30', '15:45']);
    const now = at('2026-06-09 12:00', zone);
    expect(wall(replyByFor('4h', now, early), zone)).toBe('Wed 2026-06-10 15:45');
  });
});

describe('a week that is not Monday to Friday', () => {
  const zone = 'Asia/Dubai';
  const sunToThu = person(zone, [7, 1, 2, 3, 4]);
  const monToFri = person(zone);

  it('4h on Thursday afternoon skips Friday and Saturday', () => {
    const now = at('2026-06-11 15:00', zone);
    expect(wall(now, zone)).toBe('Thu 2026-06-11 15:00');
    expect(wall(replyByFor('4h', now, sunToThu), zone)).toBe('Sun 2026-06-14 17:00');
    expect(wall(replyByFor('4h', now, monToFri), zone)).toBe('Fri 2026-06-12 17:00');
  });

  it('3bd asked on a Friday counts Sunday, Monday, Tuesday', () => {
    const now = at('2026-06-12 10:00', zone);
    expect(wall(replyByFor('3bd', now, sunToThu), zone)).toBe('Tue 2026-06-16 10:00');
    expect(wall(replyByFor('3bd', now, monToFri), zone)).toBe('Wed 2026-06-17 10:00');
  });

  it('the decision rule waits for their Sunday', () => {
    const now = at('2026-06-11 10:00', zone);
    expect(wall(replyByFor('decision', now, sunToThu), zone)).toBe('Sun 2026-06-14 17:00');
  });
});

describe('daylight-saving change (US, Sunday 2027-03-14)', () => {
  const NY = 'America/New_York';
  const KOLKATA = 'Asia/Kolkata';

  it('asker in New York, asked in Kolkata: the deadline is Kolkata wall-clock time', () => {
    const now = at('2027-03-12 10:00', NY); // Fri, EST (UTC−5)
    expect(now).toBe(Date.UTC(2027, 2, 12, 15, 0));
    const asked = person(KOLKATA);
    // 4h: 00:30 Saturday in Kolkata → end of Monday there.
    const fourHours = replyByFor('4h', now, asked);
    expect(wall(fourHours, KOLKATA)).toBe('Mon 2027-03-15 17:00');
    expect(fourHours).toBe(Date.UTC(2027, 2, 15, 11, 30));
    // The asker now reads it on summer time: 07:30 EDT, not 06:30.
    expect(wall(fourHours, NY)).toBe('Mon 2027-03-15 07:30');
    expect(formatDeadline(fourHours, NY, now)).toBe('Mon 07:30');
    expect(formatDeadline(fourHours, KOLKATA, now)).toBe('Mon 17:00');
    // 3bd: Wed 20:30 in Kolkata is after hours → Thursday 17:00 there.
    expect(wall(replyByFor('3bd', now, asked), KOLKATA)).toBe('Thu 2027-03-18 17:00');
  });

  it('asked in New York across the change: wall-clock time is preserved', () => {
    const asked = person(NY);
    const now = at('2027-03-12 10:00', NY);
    const due = replyByFor('3bd', now, asked);
    expect(wall(due, NY)).toBe('Wed 2027-03-17 10:00');
    // 10:00 EDT is 14:00 UTC; adding 72 h of elapsed time would have given 15:00.
    expect(due).toBe(Date.UTC(2027, 2, 17, 14, 0));
    expect(due).not.toBe(Date.UTC(2027, 2, 17, 15, 0));
  });

  it('5bd from the Monday before the change ends at 10:00 EDT', () => {
    const asked = person(NY);
    const due = replyByFor('5bd', at('2027-03-08 10:00', NY), asked);
    expect(due).toBe(Date.UTC(2027, 2, 15, 14, 0));
  });

  it('the end of a working day on the autumn change is 17:00 local', () => {
    const asked = person(NY);
    // Saturday before the November change (2027-11-07): the next working day is Monday.
    const now = at('2027-11-06 12:00', NY);
    expect(endOfNextFullWorkingDay(now, asked)).toBe(Date.UTC(2027, 10, 8, 22, 0));
  });
});

describe("'decision': the 24-hour rule", () => {
  const people = [
    person('America/Los_Angeles'),
    person('Asia/Kolkata'),
    person('Europe/Berlin'),
    person('Asia/Dubai', [7, 1, 2, 3, 4]),
    person('Pacific/Auckland', [1, 2, 3, 4], ['08:00', '16:00'])
  ];

  /** The end of the first working day of theirs that starts at or after `now`, found with Intl. */
  function endOfFirstFullDay(now: number, time: WorkingTime): number {
    const step = 15 * MINUTE;
    for (let t = Math.ceil(now / step) * step; t < now + 10 * DAY; t += step) {
      const p = wallParts(t, time.timeZone);
      if (p.time !== time.workStart) continue;
      if (!time.workDays.includes(WEEKDAYS.indexOf(p.weekday))) continue;
      for (let u = t; u < t + DAY; u += step) {
        const q = wallParts(u, time.timeZone);
        if (q.time === time.workEnd && q.date === p.date) return u;
      }
    }
    throw new Error('no working day found');
  }

  // Every 7 hours over two weeks, so every weekday and time of day comes up.
  const nows = Array.from({ length: 48 }, (_, i) => Date.UTC(2026, 5, 5, 0, 0) + i * 7 * HOUR);

  it('gives at least 24 hours and the end of a full working day of each person', () => {
    for (const now of nows) {
      const due = computeReplyBy('decision', now, people);
      expect(due - now, `from ${new Date(now).toISOString()}`).toBeGreaterThanOrEqual(DAY);
      for (const time of people) {
        expect(
          due,
          `from ${new Date(now).toISOString()}, ${time.timeZone} gets a full working day`
        ).toBeGreaterThanOrEqual(endOfFirstFullDay(now, time));
      }
    }
  });

  it('for one person it is never earlier than their 24h preset', () => {
    for (const now of nows) {
      for (const time of people) {
        expect(replyByFor('decision', now, time)).toBeGreaterThanOrEqual(
          replyByFor('24h', now, time)
        );
      }
    }
  });

  it('asked before the working day starts, the next full day is the following one', () => {
    const utc = person('UTC');
    // Monday 08:00: 24 h is Tue 08:00, before hours → Tue 17:00.
    expect(replyByFor('decision', Date.UTC(2026, 5, 8, 8, 0), utc)).toBe(
      Date.UTC(2026, 5, 9, 17, 0)
    );
    // Friday 10:00: 24 h is Saturday → Monday 17:00.
    expect(replyByFor('decision', Date.UTC(2026, 5, 12, 10, 0), utc)).toBe(
      Date.UTC(2026, 5, 15, 17, 0)
    );
  });
});

describe('computeReplyBy', () => {
  const now = Date.UTC(2026, 5, 9, 10, 0); // Tue 10:00 UTC
  const berlin = person('Europe/Berlin');
  const kolkata = person('Asia/Kolkata');
  const losAngeles = person('America/Los_Angeles');

  it('takes the latest deadline over the asked people, whatever their order', () => {
    const each = [berlin, kolkata, losAngeles].map((t) => replyByFor('4h', now, t));
    expect(new Set(each).size).toBe(3);
    const latest = Math.max(...each);
    expect(latest).toBe(Date.UTC(2026, 5, 10, 11, 30)); // Kolkata's Wed 17:00
    expect(computeReplyBy('4h', now, [berlin, kolkata, losAngeles])).toBe(latest);
    expect(computeReplyBy('4h', now, [losAngeles, kolkata, berlin])).toBe(latest);
    expect(computeReplyBy('4h', now, [berlin])).toBe(each[0]);
  });

  it('throws when nobody is asked', () => {
    expect(() => computeReplyBy('24h', now, [])).toThrow(/at least one person/);
  });
});

describe('custom dates typed in a datetime-local field', () => {
  it('reads wall-clock time in the given zone', () => {
    expect(parseLocalDateTime('2026-12-03T17:00', 'Asia/Kolkata')).toBe(
      Date.UTC(2026, 11, 3, 11, 30)
    );
    expect(parseLocalDateTime('2026-12-03T17:00', 'UTC')).toBe(Date.UTC(2026, 11, 3, 17, 0));
    expect(parseLocalDateTime('2028-02-29T09:15', 'Europe/Berlin')).toBe(
      Date.UTC(2028, 1, 29, 8, 15)
    );
  });

  it.each([
    '2026-02-31T10:00',
    '2026-13-01T10:00',
    '2026-04-31T10:00',
    '2027-02-29T10:00',
    '2026-12-03T24:00',
    '2026-12-03 17:00',
    '2026-12-03',
    '',
    'garbage',
    'tomorrow at five'
  ])('rejects %j', (value) => {
    expect(parseLocalDateTime(value, 'Europe/Berlin')).toBeNull();
  });

  it('round-trips through toLocalDateTimeValue', () => {
    for (const zone of ['UTC', 'Asia/Kolkata', 'America/New_York', 'Australia/Sydney']) {
      const instant = parseLocalDateTime('2027-03-17T10:00', zone);
      expect(instant).not.toBeNull();
      expect(toLocalDateTimeValue(instant as number, zone)).toBe('2027-03-17T10:00');
    }
    expect(toLocalDateTimeValue(Date.UTC(2027, 2, 17, 14, 0), 'America/New_York')).toBe(
      '2027-03-17T10:00'
    );
  });
});

describe('showing a deadline', () => {
  it('in the reader’s zone: "Thu 17:00 UTC — Fri 01:00 your time"', () => {
    const now = Date.UTC(2026, 5, 9, 10, 0);
    const due = Date.UTC(2026, 5, 11, 17, 0);
    expect(formatDeadline(due, 'UTC', now)).toBe('Thu 17:00');
    expect(formatDeadline(due, 'Asia/Singapore', now)).toBe('Fri 01:00');
  });

  it('with the date when it is more than six days away', () => {
    const now = Date.UTC(2026, 5, 9, 10, 0);
    expect(formatDeadline(Date.UTC(2026, 11, 8, 9, 0), 'UTC', now)).toBe('Tue 8 Dec, 09:00');
  });

  it.each([
    [3 * HOUR, 'due in 3 h'],
    [45 * MINUTE, 'due in 45 min'],
    [30_000, 'due in 1 min'],
    [0, 'due in 1 min'],
    [5 * DAY, 'due in 5 d'],
    [-2 * DAY, 'overdue by 2 d'],
    [-90 * MINUTE, 'overdue by 2 h'],
    [-10 * MINUTE, 'overdue by 10 min'],
    [47 * HOUR, 'due in 47 h']
  ])('countdown %i ms → %s', (diff, wording) => {
    const now = Date.UTC(2026, 5, 9, 10, 0);
    expect(formatCountdown(now + diff, now)).toBe(wording);
  });
});
