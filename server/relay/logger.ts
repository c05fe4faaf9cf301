/** Structured log lines, one JSON object each, so they can be grepped and shipped. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

type Level = keyof Logger;
const LEVELS: Level[] = ['debug', 'info', 'warn', 'error'];

export function createLogger(
  minLevel: Level = 'info',
  write = (line: string) => console.log(line)
): Logger {
  const min = LEVELS.indexOf(minLevel);
  const log = (level: Level) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(level) < min) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export const consoleLogger = createLogger(
  (process.env.LOG_LEVEL as Level | undefined) && LEVELS.includes(process.env.LOG_LEVEL as Level)
    ? (process.env.LOG_LEVEL as Level)
    : 'info'
);

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
