/**
 * The harness the convergence fuzz tests share (tests/unit/convergence,
 * commentsConvergence, fieldsConvergence): which seeds run, with how many
 * operations, a weighted draw of the next operation, and one seeded run on a
 * TestNetwork: each step a device operates on its own replicas, a few
 * messages are delivered, devices drop off and come back; the network is
 * flushed and the replicas compared at a third, at two thirds and at the end.
 *
 * Every failure names its seed and the command that replays just that run.
 * Each suite reads <NAME>_SEED (one seed only), <NAME>_RUNS (how many seeds)
 * and <NAME>_OPS (operations per run) from the environment, for soak runs.
 */
import * as prng from 'lib0/prng';
import { TestNetwork, type Prng, type TestPeer } from './testNetwork.js';

export function positiveIntegerFromEnv(name: string): number | null {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return null;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer: ${raw}`);
  }
  return value;
}

export interface FuzzSuite {
  /** Operations per run. */
  readonly ops: number;
  /** 1..runs, or only the seed asked for. */
  readonly seeds: number[];
  /** One seed asked for: tests of the harness itself stand aside, so the rerun is just that run. */
  readonly rerunningOneSeed: boolean;
  /** "seed 7 (rerun: NAME_SEED=7 npx vitest run <file>)", for every failure message. */
  hint(seed: number): string;
}

export function fuzzSuite(options: {
  /** Prefix of the environment variables: COMMENTS reads COMMENTS_SEED, _RUNS, _OPS. */
  name: string;
  /** The test file, for the rerun command. */
  file: string;
  runs: number;
  ops: number;
}): FuzzSuite {
  const only = positiveIntegerFromEnv(`${options.name}_SEED`);
  const runs = positiveIntegerFromEnv(`${options.name}_RUNS`) ?? options.runs;
  return {
    ops: positiveIntegerFromEnv(`${options.name}_OPS`) ?? options.ops,
    seeds: only !== null ? [only] : Array.from({ length: runs }, (_, i) => i + 1),
    rerunningOneSeed: only !== null,
    hint: (seed) =>
      `seed ${seed} (rerun: ${options.name}_SEED=${seed} npx vitest run ${options.file})`
  };
}

/** An operation a device makes on its own replicas, as a real client would. */
export type Operation<Ctx> = (ctx: Ctx, peer: TestPeer) => void;

/** Draws an operation, each as often as its weight says. */
export function weightedOperations<Ctx>(
  operations: readonly [weight: number, op: Operation<Ctx>][]
): (gen: Prng) => Operation<Ctx> {
  const totalWeight = operations.reduce((sum, [weight]) => sum + weight, 0);
  return (gen) => {
    let ticket = prng.int32(gen, 0, totalWeight - 1);
    for (const [weight, op] of operations) {
      if (ticket < weight) return op;
      ticket -= weight;
    }
    throw new Error('unreachable: weights cover every ticket');
  };
}

/**
 * Runs `body` on a seeded network of `peers[0]`..`peers[1]` devices holding
 * `rooms`, with Yjs garbage collection on or off as the seed says, and gives
 * back what it returns; the caller destroys the network. An error thrown
 * anywhere in the run names the seed, and the network is destroyed.
 */
export function seededRun<R>(
  suite: FuzzSuite,
  seed: number,
  network: { peers: [min: number, max: number]; rooms: readonly string[] },
  body: (run: { gen: Prng; net: TestNetwork; hint: string }) => R
): R {
  const gen = prng.create(seed);
  const peers = prng.int32(gen, network.peers[0], network.peers[1]);
  const net = new TestNetwork(gen, { peers, rooms: network.rooms, gc: prng.bool(gen) });
  const hint = suite.hint(seed);
  try {
    return body({ gen, net, hint });
  } catch (error) {
    if (error instanceof Error && !error.message.includes(`seed ${seed}`)) {
      error.message = `${hint}: ${error.message}`;
    }
    net.destroy();
    throw error;
  }
}

export interface Schedule<Ctx> {
  ctx: Ctx;
  ops: number;
  nextOperation: (gen: Prng) => Operation<Ctx>;
  /** Moves the clock on before each operation. */
  tick: () => void;
  /**
   * Chances in 100, per operation, that one online device drops off (its
   * own updates then lost or held, half and half) and that one offline
   * device comes back.
   */
  offline: number;
  online: number;
  /** Asserts the flushed replicas agree; `where` names the seed and the moment. */
  check: (where: string) => void;
}

/** The random schedule of a run, ending flushed and checked. */
export function runSchedule<Ctx>(
  run: { gen: Prng; net: TestNetwork; hint: string },
  schedule: Schedule<Ctx>
): void {
  const { gen, net, hint } = run;
  const { ops } = schedule;
  const checkpoints = new Set([Math.floor(ops / 3), Math.floor((2 * ops) / 3)]);
  for (let step = 0; step < ops; step++) {
    schedule.tick();
    const operation = schedule.nextOperation(gen);
    operation(schedule.ctx, prng.oneOf(gen, net.peers));

    const deliveries = prng.int32(gen, 0, 3);
    for (let i = 0; i < deliveries; i++) net.deliverRandom();

    const roll = prng.int32(gen, 0, 99);
    if (roll < schedule.offline) {
      const online = net.onlinePeers;
      if (online.length > 0) {
        net.disconnect(prng.oneOf(gen, online), prng.bool(gen) ? 'drop' : 'hold');
      }
    } else if (roll < schedule.offline + schedule.online) {
      const offline = net.peers.filter((peer) => !peer.online);
      if (offline.length > 0) net.reconnect(prng.oneOf(gen, offline));
    }

    if (checkpoints.has(step)) {
      net.flush();
      schedule.check(`${hint}, checkpoint after op ${step}`);
    }
  }
  net.flush();
  schedule.check(`${hint}, end`);
}

/**
 * What the schedule did over seeds 1 to 3 at 100 operations each, to show
 * it takes devices offline, loses messages and brings devices back; `each`
 * looks at a run before its network is destroyed.
 */
export function scheduleTotals<R extends { net: TestNetwork }>(
  runSeed: (seed: number, ops: number) => R,
  each: (run: R) => void = () => {}
): { reconnects: number; dropped: number } {
  let reconnects = 0;
  let dropped = 0;
  for (const seed of [1, 2, 3]) {
    const run = runSeed(seed, 100);
    reconnects += run.net.stats.reconnects;
    dropped += run.net.stats.dropped;
    each(run);
    run.net.destroy();
  }
  return { reconnects, dropped };
}
