/**
 * What `npm run backup` and `npm run restore` share: one file named on the
 * command line (relative to where npm was run), `--help`, a usage error as a
 * sentence and the usage line with exit code 2, the store in DATA_DIR, and
 * any failure as one line with the exit code of its kind (EXIT_CODES in
 * server/store/backup.ts, listed in README.md). The access commands have
 * their own runner (server/auth/cli.ts): every error of theirs is exit code 1.
 */
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { configFromEnv } from '../server/config.js';
import { BackupError, EXIT_CODES } from '../server/store/backup.js';

export interface StoreCommand {
  /** Printed for --help and after every usage error. */
  usage: string;
  /** What is done with the file: "Give exactly one backup file to <verb>." */
  verb: string;
  /** Switches besides --help, all off unless given. */
  flags?: readonly string[];
  /** Begins the line of any failure: "Backup failed". */
  failed: string;
  /** Begins the line of a refusal (a BackupError); `failed` when not given. */
  refused?: string;
  run(args: StoreArgs): number | Promise<number>;
}

export interface StoreArgs {
  /** The file named, as an absolute path. */
  file: string;
  dataDir: string;
  flags: Record<string, boolean>;
}

export interface Output {
  log(line: string): void;
  error(line: string): void;
}

/** Where npm was run: npm runs scripts from the package root. */
function callerDir(): string {
  return process.env.INIT_CWD ?? process.cwd();
}

/** A path as the person would type it: relative when it is below where they ran npm. */
export function shown(path: string): string {
  const fromHere = relative(callerDir(), path);
  return fromHere && !fromHere.startsWith('..') ? fromHere : path;
}

/** Runs a store command on `argv` and gives its exit code; it never throws. */
export async function storeCommand(
  command: StoreCommand,
  argv: string[],
  out: Output = console
): Promise<number> {
  const flags = command.flags ?? [];
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...Object.fromEntries(
          flags.map((flag) => [flag, { type: 'boolean' as const, default: false }])
        ),
        help: { type: 'boolean' }
      }
    });
  } catch (error) {
    out.error(`${(error as Error).message}\n${command.usage}`);
    return EXIT_CODES.usage;
  }
  if (args.values.help) {
    out.log(command.usage);
    return EXIT_CODES.ok;
  }
  if (args.positionals.length !== 1) {
    out.error(`Give exactly one backup file to ${command.verb}.\n${command.usage}`);
    return EXIT_CODES.usage;
  }
  const values: Record<string, unknown> = args.values;
  try {
    return await command.run({
      file: resolve(callerDir(), args.positionals[0]),
      dataDir: configFromEnv({ DATA_DIR: process.env.DATA_DIR }).dataDir,
      flags: Object.fromEntries(flags.map((flag) => [flag, values[flag] === true]))
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof BackupError) {
      out.error(`${command.refused ?? command.failed}: ${message}`);
      return EXIT_CODES[error.kind];
    }
    out.error(`${command.failed}: ${message}`);
    return EXIT_CODES.failed;
  }
}

/** Runs a store command as this process, with the arguments it was given. */
export function runStoreCommand(command: StoreCommand): void {
  void storeCommand(command, process.argv.slice(2)).then((code) => (process.exitCode = code));
}
