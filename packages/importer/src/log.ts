/** Structured JSON logs (one line per event), as the rest of the product writes them. */
export type Logger = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export const jsonLogger: Logger = (level, msg, fields = {}) => {
  const line = JSON.stringify({ time: new Date().toISOString(), level, component: 'importer', msg, ...fields });
  (level === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
};

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
