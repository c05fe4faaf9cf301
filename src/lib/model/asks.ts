/**
 * Turning what the asker picked (people, a preset or a date) into a stored
 * ask. Pure: the clock and the member list are passed in.
 */
import { CommentError, type Ask } from './comments.js';
import { defaultWorkingTime, type WorkingTime } from './people.js';
import { computeReplyBy, parseLocalDateTime, type ReplyByPreset } from './replyBy.js';

export interface AskInput {
  assignees: string[];
  preset: ReplyByPreset;
  /** For the custom preset: a datetime-local value in the asker's zone. */
  custom?: string;
}

export function makeAsk(
  input: AskInput,
  context: {
    now: number;
    askerZone: string;
    workingTimeOf: (personId: string) => WorkingTime | null;
  }
): Ask {
  const assignees = [...new Set(input.assignees)];
  if (assignees.length === 0)
    throw new CommentError('An ask needs at least one person who must answer.');
  let replyBy: number;
  if (input.preset === 'custom') {
    const parsed = parseLocalDateTime(input.custom ?? '', context.askerZone);
    if (parsed === null) throw new CommentError('Pick a reply-by date and time for the ask.');
    replyBy = parsed;
  } else {
    replyBy = computeReplyBy(
      input.preset,
      context.now,
      // Someone not in the member list yet is assumed to work 9–5 in UTC.
      assignees.map((id) => context.workingTimeOf(id) ?? defaultWorkingTime('UTC'))
    );
  }
  if (replyBy <= context.now)
    throw new CommentError('The reply-by time has already passed: pick one in the future.');
  return { assignees, replyBy, preset: input.preset, askerZone: context.askerZone };
}

/** What a composer holds while the asker is choosing. */
export interface AskDraft extends AskInput {
  enabled: boolean;
  custom: string;
}

export function emptyAskDraft(): AskDraft {
  return { enabled: false, assignees: [], preset: '24h', custom: '' };
}
