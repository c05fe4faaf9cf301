/**
 * Turning what the asker picked (people, a preset or a date) into a stored
 * ask. Pure: the clock and the member list are passed in. The checks are
 * comments.ts's validateAsk, the one every written ask passes.
 */
import { validateAsk, type Ask, type AskKind } from './comments.js';
import { defaultWorkingTime, type WorkingTime } from './people.js';
import { computeReplyBy, parseLocalDateTime, type ReplyByPreset } from './replyBy.js';

export interface AskInput {
  assignees: string[];
  preset: ReplyByPreset;
  /** For the custom preset: a datetime-local value in the asker's zone. */
  custom?: string;
  /**
   * For the custom preset, an instant the app worked out itself (a review
   * window's close, an action's due time); used instead of `custom`.
   */
  replyBy?: number;
  /** Absent means 'answer'. */
  kind?: AskKind;
}

export interface AskContext {
  now: number;
  askerZone: string;
  workingTimeOf: (personId: string) => WorkingTime | null;
}

export function makeAsk(input: AskInput, context: AskContext): Ask {
  return validateAsk(
    {
      assignees: input.assignees,
      ...(input.kind ? { kind: input.kind } : {}),
      replyBy: replyByOf(input, context),
      preset: input.preset,
      askerZone: context.askerZone
    },
    context.now
  );
}

/** NaN when there is nothing to work it out from: validateAsk then says what is missing. */
function replyByOf(input: AskInput, context: AskContext): number {
  if (input.preset === 'custom') {
    return input.replyBy ?? parseLocalDateTime(input.custom ?? '', context.askerZone) ?? Number.NaN;
  }
  const assignees = input.assignees.filter(Boolean);
  if (assignees.length === 0) return Number.NaN;
  return computeReplyBy(
    input.preset,
    context.now,
    // Someone not in the member list yet is assumed to work 9–5 in UTC.
    assignees.map((id) => context.workingTimeOf(id) ?? defaultWorkingTime('UTC'))
  );
}

/** What a composer holds while the asker is choosing. */
export interface AskDraft extends AskInput {
  enabled: boolean;
  custom: string;
}

export function emptyAskDraft(): AskDraft {
  return { enabled: false, assignees: [], preset: '24h', custom: '' };
}
